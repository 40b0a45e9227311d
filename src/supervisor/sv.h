/* The supervisor's state: one traced program, whose socket calls it makes
 * on the program's behalf through the preload library loaded into itself
 * (sockfault(1), THE SUPERVISOR). */
#ifndef SF_SV_H
#define SF_SV_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The library's entry points: the same wrappers a dynamic program calls. */
struct sf_sv_lib {
	int (*socket)(int, int, int);
	int (*socketpair)(int, int, int, int *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*dup)(int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, SF_MMSG_FLAGS_T);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, SF_MMSG_FLAGS_T, SF_MMSG_TIMEOUT_T);
	int (*fcntl)(int, int, ...);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*passes)(int op, int fd);
	int (*quiet)(int fd);
	unsigned (*ops)(void);
	void (*move)(int from, int to);
	void (*acting)(int pid, int tid);
	void (*exiting)(void);
};

/* The program's sockets live at and above the threshold, at the same
 * number in the supervisor (so fd= in the log is the program's). */
#define SF_SV_MAX_FDS 65536
/* The quiet numbers start at most this far above the threshold. */
#define SF_SV_QUIET_MAX 32768
/* The threshold is at most this (sockfault(1), THE SUPERVISOR). */
#define SF_SV_MAX_THRESHOLD 512
/* The most inherited sockets the filter names (below the threshold). */
#define SF_SV_MAX_INHERITED 16
/* The most iovecs a call takes: the kernel's own bound (UIO_MAXIOV), so that
 * a call with more fails in the kernel as it would anyway. */
#define SF_SV_IOV_MAX 1024

struct sf_sv {
	int listener;
	pid_t pid;    /* the program (its process id) */
	int procfd;   /* /proc/PID/fd of the program */
	int procinfo; /* /proc/PID/fdinfo */
	unsigned threshold;
	/* Sockets whose data calls no rule can ever touch live at this number
	 * and above, where the filter traps only the calls that make, copy
	 * and end sockets; the others below it (sockfault(1), THE
	 * SUPERVISOR). threshold + SF_SV_MAX_FDS: none. */
	unsigned quiet;
	int retired; /* the program runs a program of its own now:
	                         * its calls run as they are */
	struct sf_sv_lib lib;
	/* bit n: descriptor n is the program's socket, the supervisor's copy
	 * at the same number: at or above the threshold, or below it for the
	 * sockets the program inherited (whose numbers the filter knows). */
	uint64_t owned[(SF_SV_MAX_THRESHOLD + SF_SV_MAX_FDS) / 64];
};

static inline int sf_sv_owns(const struct sf_sv *sv, uint64_t fd)
{
	if (fd >= sv->threshold + SF_SV_MAX_FDS)
		return 0;
	return (__atomic_load_n(&sv->owned[fd / 64], __ATOMIC_ACQUIRE) >> (fd % 64)) & 1;
}

static inline int sf_sv_is_quiet(const struct sf_sv *sv, uint64_t fd)
{
	return fd >= sv->quiet && sf_sv_owns(sv, fd);
}

/* Every descriptor the supervisor may own: for (fd = 0; fd < sf_sv_end(sv); fd++). */
static inline unsigned sf_sv_end(const struct sf_sv *sv)
{
	return sv->threshold + SF_SV_MAX_FDS;
}

/* lib.c: load the library and find its entry points (0), or say why not. */
int sf_sv_lib_load(struct sf_sv_lib *lib, const char *path, const char *program);

/* mem.c: the program's memory, read and written through process_vm_*v.
 * 0 or -EFAULT. */
int sf_sv_peek(pid_t tid, uint64_t addr, void *out, size_t len);
int sf_sv_poke(pid_t tid, uint64_t addr, const void *in, size_t len);
/* A string of the program's (at most cap - 1 bytes, cut there): its length. */
size_t sf_sv_peek_str(pid_t tid, uint64_t addr, char *out, size_t cap);
/* Gather from / scatter to the program's iovec array (n entries at addr):
 * bytes moved, or -EFAULT. */
ssize_t sf_sv_peekv(pid_t tid, uint64_t iov, int n, void *out, size_t len);
ssize_t sf_sv_pokev(pid_t tid, uint64_t iov, int n, const void *in, size_t len);
/* This thread's buffer for a call's data, at least len bytes (NULL: out of
 * memory). */
void *sf_sv_buffer(size_t len);

/* fds.c: the program's sockets. */
/* Put the supervisor's descriptor `mine` (closed by this call) into the
 * program at a free number at or above the threshold, and at the same number
 * here. With `answer`, the number is the call's result. The number, or -errno. */
int sf_sv_install(struct sf_sv *sv, uint64_t id, int mine, int cloexec, int answer);
/* The same among the quiet numbers, when the program's descriptor limit
 * reaches them; else as sf_sv_install. */
int sf_sv_install_quiet(struct sf_sv *sv, uint64_t id, int mine, int cloexec, int answer);
/* The same at the number `at` (at or above the threshold), as dup2 does. */
int sf_sv_install_at(struct sf_sv *sv, uint64_t id, int mine, int at, int cloexec, int answer);
/* A socket the program inherits at fd, below the threshold (the supervisor,
 * forked from the same process, holds it at the same number): ours. */
void sf_sv_adopt(struct sf_sv *sv, int fd);
/* The program closed (or replaced) fd: drop our copy. */
void sf_sv_forget(struct sf_sv *sv, int fd);
/* Drop every copy and its record, with no call the log would show. */
void sf_sv_release_all(struct sf_sv *sv);

/* calls.c: answer one notification (from the program's own process):
 * sf_sv_handle at once, or through a worker for a call that may wait;
 * sf_sv_perform makes the call. */
void sf_sv_handle(struct sf_sv *sv, const struct seccomp_notif *n);
void sf_sv_perform(struct sf_sv *sv, const struct seccomp_notif *n);
/* msg.c: a recvmsg or recvmmsg with room for control data, which may bring
 * descriptors (made here even when no rule watches it). */
int sf_sv_may_get_fds(const struct seccomp_notif *n);

/* pool.c: sf_sv_perform in a worker thread. */
void sf_sv_pool_submit(struct sf_sv *sv, const struct seccomp_notif *n);
/* In a context just forked, where no worker is. */
void sf_sv_pool_reset(void);
void sf_sv_fds_reset(void);

/* procs.c: one context per traced process. */
/* The router: hand a notification from another process to its context
 * (1), or find none (0: the call runs as it is). */
int sf_sv_procs_route(const struct seccomp_notif *n);
/* The process of this context is about to fork: make the child's context
 * (0), or say it cannot be made (-1: too many processes, or no memory). */
int sf_sv_procs_fork(struct sf_sv *sv);
/* The process has left the supervisor (an exec): its calls are answered
 * with CONTINUE from now on; its context stays only to end it if the
 * supervisor dies. */
void sf_sv_retire(struct sf_sv *sv);

/* intr.c: a worker making a call for the program's thread tid (of process
 * pid) between begin and end is interrupted when that thread gets a signal;
 * sf_sv_intr_errno gives the answer for the error the call ended with. The
 * call waits on socket fd under its option timeo (SO_RCVTIMEO, SO_SNDTIMEO;
 * -1: none). */
void sf_sv_intr_begin(pid_t pid, pid_t tid, int fd, int timeo);
void sf_sv_intr_end(void);
int sf_sv_intr_errno(int err);
/* Around a step that must not be interrupted once begun (putting a
 * descriptor into the program, which waits for the program to take it). */
void sf_sv_intr_hold(int on);
/* In a context just forked, where no watcher is. */
void sf_sv_intr_reset(void);

/* descend.c: root and every process below it, parents first (at most cap
 * of them): their number. */
size_t sf_sv_descendants(pid_t root, pid_t *out, size_t cap);

/* loop.c: answers. */
void sf_sv_continue(const struct sf_sv *sv, uint64_t id);
void sf_sv_answer(const struct sf_sv *sv, uint64_t id, long val, int err);
/* The request is still waiting (its memory is the program's). */
int sf_sv_valid(const struct sf_sv *sv, uint64_t id);
/* Serve until the program and everything it started are gone: 0, or -errno
 * if the listener failed. */
int sf_sv_serve(struct sf_sv *sv);

#endif
