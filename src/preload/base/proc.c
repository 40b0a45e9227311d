#include "proc.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Nonzero in the process the library started in and in every child that
 * shares its memory; zero in a child with a copy of its own (the kernel
 * wipes the page when it copies the address space). NULL where the kernel
 * has no MADV_WIPEONFORK (before Linux 4.14): such a child cannot be told
 * from a vfork child, and is treated as one. */
static volatile int *mark;
static void (*adopt_child)(void);
int sf_proc_pid;

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

void sf_proc_init(void (*adopt)(void))
{
	adopt_child = adopt;
	sf_proc_pid = (int)syscall(SYS_getpid);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (madvise(p, 4096, MADV_WIPEONFORK) != 0) {
		munmap(p, 4096);
		return;
	}
	*(volatile int *)p = 1;
	mark = p;
}

void sf_proc_forked(void)
{
	sf_proc_pid = (int)syscall(SYS_getpid);
	if (mark)
		*mark = 1;
}

int sf_proc_owns_state(void)
{
	int pid = (int)syscall(SYS_getpid);
	if (SF_LIKELY(pid == SF_LOAD(&sf_proc_pid)))
		return 1;
	if (!mark || *mark)
		return 0;
	/* A child made without fork handlers, alone in a copy of the
	 * parent's memory: the locks other threads held at the fork, the
	 * parent's timers and pid are put right as fork would have. */
	sf_self.depth++;
	adopt_child();
	sf_depth_down();
	return 1;
}
