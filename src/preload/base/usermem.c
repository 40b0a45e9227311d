#include "usermem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sf.h"

/* process_vm_readv on the process itself: the kernel copies, and an
 * unreadable source is EFAULT, not SIGSEGV. Where a sandbox forbids the
 * call, each 4 KiB block of the source is first shown to the kernel through
 * rt_sigprocmask, which reads 8 bytes from it and changes nothing when
 * `how` is invalid: EFAULT or EINVAL says whether the block is readable
 * (every page is at least 4 KiB, and a page is readable as a whole). */
static int unavailable;

#define PROBE_HOW 0x7fff
#define BLOCK 4096u
/* Blocks looked at by one process_vm_readv. */
#define BATCH 32

/* The first block of [a, end] and the 8 bytes of block blk to look at:
 * inside both the block and, where it can be, the data. */
static uintptr_t block_probe(uintptr_t blk, uintptr_t a)
{
	uintptr_t p = blk < a ? a : blk;
	return p > blk + BLOCK - 8 ? blk + BLOCK - 8 : p;
}

/* 1: the 8 bytes at p are readable; 0: they are not; -1: no answer. */
static int probe8(uintptr_t p)
{
	long r = syscall(SYS_rt_sigprocmask, PROBE_HOW, (void *)p, (void *)0, (size_t)8);
	if (r == 0)
		return -1;
	return errno == EINVAL ? 1 : errno == EFAULT ? 0 : -1;
}

/* Through process_vm_readv, one byte of each block into one byte of ours:
 * 1 readable, 0 not, -1 the call is forbidden. */
static int readable_by_copy(uintptr_t a, uintptr_t end)
{
	char sink;
	struct iovec local[BATCH], remote[BATCH];
	long pid = syscall(SYS_getpid);
	uintptr_t last = end & ~(uintptr_t)(BLOCK - 1);
	for (uintptr_t blk = a & ~(uintptr_t)(BLOCK - 1);;) {
		unsigned k = 0;
		for (; k < BATCH; k++) {
			local[k] = (struct iovec){ &sink, 1 };
			remote[k] = (struct iovec){ (void *)(blk < a ? a : blk), 1 };
			if (blk >= last)
				break;
			blk += BLOCK;
		}
		unsigned n = k < BATCH ? k + 1 : BATCH;
		long r = syscall(SYS_process_vm_readv, pid, local, (unsigned long)n, remote, (unsigned long)n, 0UL);
		if (r < 0 && errno != EFAULT)
			return -1;
		if (r != (long)n)
			return 0;
		if (k < BATCH)
			return 1;
	}
}

int sf_user_readable(const void *src, size_t len)
{
	if (!len)
		return 1;
	uintptr_t a = (uintptr_t)src, end = a + len - 1;
	if (end < a)
		return 0;
	int saved = errno;
	int ok = SF_LOAD(&unavailable) ? -1 : readable_by_copy(a, end);
	if (ok < 0) {
		SF_STORE(&unavailable, 1);
		ok = 1;
		for (uintptr_t blk = a & ~(uintptr_t)(BLOCK - 1);; blk += BLOCK) {
			int r = probe8(block_probe(blk, a));
			if (r <= 0) {
				/* No answer (a sandbox again): only the null
				 * page is surely unreadable. */
				ok = r == 0 ? 0 : a >= BLOCK;
				break;
			}
			if (blk >= (end & ~(uintptr_t)(BLOCK - 1)))
				break;
		}
	}
	errno = saved;
	return ok;
}

/* glibc's record of where the main thread's stack began (musl has none). */
extern void *__libc_stack_end __attribute__((weak));

/* How far below __libc_stack_end a frame is surely on the main stack: the
 * kernel keeps RLIMIT_STACK (as it was at exec) free below the stack's top
 * for the stack to grow into, and places no mapping of its own there. At
 * most 64 MiB; 0 (unknown) until sf_usermem_init. */
static uintptr_t main_stack_window;

void sf_usermem_init(void)
{
	struct rlimit rl;
	if (!&__libc_stack_end || getrlimit(RLIMIT_STACK, &rl) != 0)
		return;
	uintptr_t max = (uintptr_t)64 << 20;
	main_stack_window = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > max ? max : (uintptr_t)rl.rlim_cur;
}

/* src..src+len-1 is readable without asking the kernel, because it lies
 * - in the 4 KiB block of `here`, a local of this function (a page is never
 *   smaller, and the page of a live frame is mapped), or
 * - between `here` and the start of the main thread's stack, when `here` is
 *   on that stack: from a live frame up, the stack is one mapping in use.
 * What this cannot know: a mapping the program itself placed (MAP_FIXED)
 * just below its own stack and runs a stack on. What the window pays
 * (the page of `here` alone serves scripts/bench's loops, whose
 * destination lies next to the copying frame): a UDP sendto whose
 * destination is 16 KiB up the main stack, under a rule for another
 * destination, made one process_vm_readv a call without the window and
 * took 3.9 to 4.1 us a call, against none and 1.8 to 3.1 us with it. */
static int readable_stack(const void *src, size_t len, const void *here)
{
	uintptr_t a = (uintptr_t)src, h = (uintptr_t)here, end = a + len - 1;
	if (end < a)
		return 0;
	if ((a >> 12) == (h >> 12) && (end >> 12) == (h >> 12))
		return 1;
	uintptr_t window = SF_LOAD(&main_stack_window);
	if (!window)
		return 0;
	uintptr_t top = (uintptr_t)__libc_stack_end;
	return h < top && top - h < window && a >= h && end < top;
}

/* A stack copy as the hardware makes it. Under AddressSanitizer the
 * program's stack carries its redzones, and what the library reads there
 * (a destination, a return address left by a frame that is gone) is raw
 * memory, not an object of the library's. */
#if defined(__SANITIZE_ADDRESS__)
__attribute__((no_sanitize_address)) static void stack_copy(void *dst, const void *src, size_t len)
{
	const volatile unsigned char *s = src;
	unsigned char *d = dst;
	for (size_t i = 0; i < len; i++)
		d[i] = s[i];
}
#else
#define stack_copy memcpy
#endif

int sf_user_copy(void *dst, const void *src, size_t len)
{
	if (!len)
		return 1;
	if (!src)
		return 0;
	/* The common case needs no system call: an address in a local
	 * variable of the program, on the stack. */
	volatile char here = 0;
	if (readable_stack(src, len, (const void *)&here)) {
		stack_copy(dst, src, len);
		return 1;
	}
	if (!SF_LOAD(&unavailable)) {
		int saved = errno;
		struct iovec local = { dst, len }, remote = { (void *)src, len };
		/* Not a cached pid: a child made without fork handlers
		 * (_Fork, clone) has its own memory under its own pid. */
		long n = syscall(SYS_process_vm_readv, syscall(SYS_getpid), &local, 1UL, &remote, 1UL, 0UL);
		int err = errno;
		errno = saved;
		if (n == (long)len)
			return 1;
		if (n >= 0 || err == EFAULT)
			return 0;
		SF_STORE(&unavailable, 1);
	}
	if (!sf_user_readable(src, len))
		return 0;
	memcpy(dst, src, len);
	return 1;
}
