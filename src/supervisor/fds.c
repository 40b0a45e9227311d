/* The program's sockets: each is made (or accepted, or duplicated) by the
 * supervisor and put into the program with SECCOMP_IOCTL_NOTIF_ADDFD at a
 * number at or above the threshold, where the filter sees its calls; the
 * supervisor keeps its own copy at the same number. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sv.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

/* Numbers are chosen and taken under the lock (workers accept while the
 * main thread makes sockets); the bits are read without it. */
static pthread_mutex_t numbers = PTHREAD_MUTEX_INITIALIZER;

static void set_owned(struct sf_sv *sv, int fd, int on)
{
	uint64_t n = (uint64_t)(unsigned)fd;
	if (on)
		__atomic_fetch_or(&sv->owned[n / 64], 1ull << (n % 64), __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&sv->owned[n / 64], ~(1ull << (n % 64)), __ATOMIC_RELEASE);
}

/* The lowest number free here and in the program. A thread of the program
 * that opens its (threshold+1)th descriptor at this very moment could take
 * the number between the look and ADDFD: only a program that already holds
 * that many descriptors can. */
static int free_number(struct sf_sv *sv, unsigned from, unsigned to)
{
	for (unsigned n = from; n < to; n++) {
		if (sf_sv_owns(sv, sv->threshold + n))
			continue;
		int fd = (int)(sv->threshold + n);
		char name[16];
		snprintf(name, sizeof name, "%d", fd);
		if (faccessat(sv->procfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (syscall(SYS_fcntl, fd, F_GETFD) >= 0)
			continue;
		return fd;
	}
	return -EMFILE;
}

int sf_sv_install(struct sf_sv *sv, uint64_t id, int mine, int cloexec, int answer)
{
	pthread_mutex_lock(&numbers);
	int fd = free_number(sv, 0, sv->quiet - sv->threshold);
	int r = fd < 0 ? fd : sf_sv_install_at(sv, id, mine, fd, cloexec, answer);
	pthread_mutex_unlock(&numbers);
	if (fd < 0)
		sv->lib.close(mine);
	return r;
}

int sf_sv_install_quiet(struct sf_sv *sv, uint64_t id, int mine, int cloexec, int answer)
{
	/* The kernel refuses a number at or above a process's limit, here
	 * and in the program (Go raises its own to the hard limit as it
	 * starts; a C program keeps 1024 unless it asks). */
	struct rlimit mine_rl, prog_rl;
	if (getrlimit(RLIMIT_NOFILE, &mine_rl) < 0 || prlimit(sv->pid, RLIMIT_NOFILE, NULL, &prog_rl) < 0)
		return sf_sv_install(sv, id, mine, cloexec, answer);
	rlim_t end = mine_rl.rlim_cur < prog_rl.rlim_cur ? mine_rl.rlim_cur : prog_rl.rlim_cur;
	if (end > sf_sv_end(sv))
		end = sf_sv_end(sv);
	if (end <= sv->quiet)
		return sf_sv_install(sv, id, mine, cloexec, answer);
	pthread_mutex_lock(&numbers);
	int fd = free_number(sv, sv->quiet - sv->threshold, (unsigned)end - sv->threshold);
	int r = fd < 0 ? fd : sf_sv_install_at(sv, id, mine, fd, cloexec, answer);
	pthread_mutex_unlock(&numbers);
	/* Every quiet number taken: an ordinary one. */
	return fd < 0 ? sf_sv_install(sv, id, mine, cloexec, answer) : r;
}

int sf_sv_install_at(struct sf_sv *sv, uint64_t id, int mine, int fd, int cloexec, int answer)
{
	if ((unsigned)fd < sv->threshold || (unsigned)fd >= sv->threshold + SF_SV_MAX_FDS) {
		syscall(SYS_close, mine);
		return -EBADF;
	}
	/* Moved without the library's dup2 and close (rules about those calls
	 * are the program's, and it made neither); its record moves along. */
	if (syscall(SYS_dup3, mine, fd, O_CLOEXEC) < 0) {
		int err = errno;
		sv->lib.close(mine);
		return -err;
	}
	sv->lib.move(mine, fd);
	syscall(SYS_close, mine);
	/* Ours before the program has it: with SECCOMP_ADDFD_FLAG_SEND the
	 * program runs on at once, and may fork (its child's context is a copy
	 * of this state) before this thread gets further. */
	set_owned(sv, fd, 1);
	struct seccomp_notif_addfd add = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SETFD | (answer ? SECCOMP_ADDFD_FLAG_SEND : 0),
		.srcfd = (unsigned)fd,
		.newfd = (unsigned)fd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	sf_sv_intr_hold(1);
	int added = ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	int err = errno;
	sf_sv_intr_hold(0);
	if (added < 0) {
		set_owned(sv, fd, 0);
		sv->lib.close(fd);
		return -err;
	}
	return fd;
}

void sf_sv_forget(struct sf_sv *sv, int fd)
{
	if (!sf_sv_owns(sv, (uint64_t)(unsigned)fd))
		return;
	set_owned(sv, fd, 0);
	sv->lib.close(fd);
}

void sf_sv_adopt(struct sf_sv *sv, int fd)
{
	if (fd >= 0 && (unsigned)fd < sv->threshold)
		set_owned(sv, fd, 1);
}

void sf_sv_release_all(struct sf_sv *sv)
{
	for (unsigned n = 0; n < sf_sv_end(sv); n++) {
		int fd = (int)n;
		if (!sf_sv_owns(sv, (uint32_t)fd))
			continue;
		set_owned(sv, fd, 0);
		sv->lib.move(fd, -1);
		syscall(SYS_close, fd);
	}
}

void sf_sv_fds_reset(void)
{
	pthread_mutex_init(&numbers, NULL);
}
