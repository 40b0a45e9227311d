/* One trapped call of the program while the supervisor answers it: shared
 * by the files that make the calls (calls.c, msg.c). */
#ifndef SF_SV_REQ_H
#define SF_SV_REQ_H

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"
#include "sv.h"

/* The most data one call moves: a stream call may move less than asked, and
 * no datagram is this large. */
#define SV_MAX_IO (1u << 20)

struct req {
	struct sf_sv *sv;
	const struct seccomp_notif *n;
	pid_t tid;
	uint64_t a[6];
};

static inline void sv_result(struct req *q, long r, int err)
{
	sf_sv_answer(q->sv, q->n->id, r, r < 0 ? err : 0);
}

static inline void sv_pass(struct req *q)
{
	sf_sv_continue(q->sv, q->n->id);
}

/* The program's socket, and the rules want to see this call on it. */
static inline int sv_ours(struct req *q, enum sf_op op)
{
	int fd = (int)q->a[0];
	return sf_sv_owns(q->sv, (uint32_t)fd) && !q->sv->lib.passes(op, fd);
}

/* A request read from the program's memory is the program's only while the
 * thread still waits in it. */
static inline int sv_still(struct req *q)
{
	return sf_sv_valid(q->sv, q->n->id);
}

/* A send that failed with EPIPE raises SIGPIPE in the thread that made it,
 * as the kernel would have (the supervisor ignores its own). */
static inline void sv_pipe_signal(struct req *q, long r, int err, int flags)
{
	if (r < 0 && err == EPIPE && !(flags & MSG_NOSIGNAL))
		syscall(SYS_tgkill, q->sv->pid, q->tid, SIGPIPE);
}

/* calls.c: the bytes the program's iovec array (n entries at addr)
 * describes, at most SV_MAX_IO; -1 if it cannot be read or has more entries
 * than the kernel takes. */
ssize_t sv_iov_bytes(const struct req *q, uint64_t addr, size_t n);

/* msg.c: sendmsg, recvmsg, sendmmsg, recvmmsg (with their control data),
 * sendfile and splice. */
void sv_on_msg(struct req *q, int tx);
void sv_on_mmsg(struct req *q, int tx);
void sv_on_zerocopy(struct req *q);

#endif
