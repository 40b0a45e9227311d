#include "filter.h"

#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SV_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SV_ARCH AUDIT_ARCH_AARCH64
#else
#error "the supervisor knows the system call numbers of x86_64 and aarch64 only"
#endif

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The low 32 bits of an argument: descriptors are ints, and the kernel
 * itself ignores the upper half. */
#define ARG_LO(n) (offsetof(struct seccomp_data, args[n]) + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0))

/* Calls trapped when their first argument (the descriptor) is at or above
 * the threshold: the supervisor's sockets live there and nothing else does
 * (unless the program holds more descriptors than the threshold). Each with
 * the operations it stands for; 0: trapped whenever anything is (the calls
 * that keep every socket above the threshold, and close, which must drop the
 * supervisor's copy). Data calls are not trapped on the quiet numbers. */
static const struct {
	int nr;
	sf_opmask ops;
	int data; /* a data call: not trapped on the quiet numbers */
} on_fd[] = {
	{ SYS_accept, 0, 0 },
	{ SYS_accept4, 0, 0 },
	{ SYS_close, 0, 0 },
	{ SYS_dup, 0, 0 },
	{ SYS_connect, SF_OPBIT(SF_OP_connect), 0 },
	{ SYS_bind, SF_OPBIT(SF_OP_bind), 0 },
	{ SYS_listen, SF_OPBIT(SF_OP_listen), 0 },
	{ SYS_shutdown, SF_OPBIT(SF_OP_shutdown), 0 },
	{ SYS_getsockopt, SF_OPBIT(SF_OP_getsockopt), 0 },
	{ SYS_getpeername, SF_OPBIT(SF_OP_getpeername), 0 },
	{ SYS_sendto, SF_OPBIT(SF_OP_send) | SF_OPBIT(SF_OP_sendto), 1 },
	{ SYS_recvfrom, SF_OPBIT(SF_OP_recv) | SF_OPBIT(SF_OP_recvfrom), 1 },
	{ SYS_sendmsg, SF_OPBIT(SF_OP_sendmsg), 1 },
	/* Receives that may bring descriptors (SCM_RIGHTS): a socket among
	 * them is put at a number the filter sees. */
	{ SYS_recvmsg, 0, 1 },
	{ SYS_read, SF_OPBIT(SF_OP_read), 1 },
	{ SYS_write, SF_OPBIT(SF_OP_write), 1 },
	{ SYS_readv, SF_OPBIT(SF_OP_readv), 1 },
	{ SYS_writev, SF_OPBIT(SF_OP_writev), 1 },
	{ SYS_sendmmsg, SF_OPBIT(SF_OP_sendmmsg), 1 },
	{ SYS_recvmmsg, 0, 1 },
	/* Data moved inside the kernel, out of a socket's data calls' sight
	 * (calls.c refuses it when rules watch that data). */
	{ SYS_sendfile, SF_OPS_TX, 1 },
};

enum { L_ALLOW, L_NOTIFY, L_ENOSYS, L_ARG0, L_ARG01, L_ARG02, L_DATA, L_FCNTL, L_RANGE, L_CLONE, L__COUNT };

struct prog {
	struct sock_filter ins[192];
	unsigned n;
	int target[192]; /* label the true branch jumps to, or -1 */
	unsigned at[L__COUNT];
};

static void emit(struct prog *p, struct sock_filter f, int label)
{
	/* The program is fixed at build time; its length is well below this. */
	if (p->n == sizeof p->ins / sizeof p->ins[0])
		abort();
	p->target[p->n] = label;
	p->ins[p->n++] = f;
}

static void jump_if(struct prog *p, unsigned k, int label)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0), label);
}

static void place(struct prog *p, int label)
{
	p->at[label] = p->n;
}

/* The loaded argument is at or above the threshold, or one of the
 * inherited sockets' numbers: to the supervisor. */
static void trap_fd(struct prog *p, unsigned t, const int *low, unsigned nlow)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, t, 0, 0), L_NOTIFY);
	for (unsigned i = 0; i < nlow; i++)
		jump_if(p, (unsigned)low[i], L_NOTIFY);
}

int sf_sv_filter_install(unsigned t, unsigned quiet, unsigned ops, const int *low, unsigned nlow)
{
	/* The lowest number close_range must reach to be seen. */
	unsigned lowest = t;
	for (unsigned i = 0; i < nlow; i++)
		if ((unsigned)low[i] < lowest)
			lowest = (unsigned)low[i];
	/* A connect error injected on a nonblocking socket is given in place of
	 * the kernel's at the first call that reports it, whichever that is. */
	if (ops & SF_OPBIT(SF_OP_connect))
		ops |= SF_OPS_IO;
	struct prog p = { .n = 0 };
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), -1);
	/* Another ABI (32-bit calls on x86_64) is not supervised. */
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SV_ARCH, 1, 0), -1);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), -1);
#ifdef __x86_64__
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 0), L_ALLOW);
#endif
	jump_if(&p, SYS_io_uring_setup, L_ENOSYS);
	if (ops) {
		jump_if(&p, SYS_socket, L_NOTIFY);
		jump_if(&p, SYS_socketpair, L_NOTIFY);
		for (unsigned i = 0; i < sizeof on_fd / sizeof on_fd[0]; i++)
			if (!on_fd[i].ops || (on_fd[i].ops & ops))
				jump_if(&p, (unsigned)on_fd[i].nr, on_fd[i].data ? L_DATA : L_ARG0);
#ifdef SYS_dup2
		jump_if(&p, SYS_dup2, L_ARG01);
#endif
		jump_if(&p, SYS_dup3, L_ARG01);
		if (ops & SF_OPS_IO)
			jump_if(&p, SYS_splice, L_ARG02);
		jump_if(&p, SYS_fcntl, L_FCNTL);
		jump_if(&p, SYS_close_range, L_RANGE);
		jump_if(&p, SYS_execve, L_NOTIFY);
		jump_if(&p, SYS_execveat, L_NOTIFY);
		/* A new process gets a supervisor context of its own; a new
		 * thread does not (clone3's flags are in memory: trapped). */
#ifdef SYS_fork
		jump_if(&p, SYS_fork, L_NOTIFY);
		jump_if(&p, SYS_vfork, L_NOTIFY);
#endif
		jump_if(&p, SYS_clone3, L_NOTIFY);
		/* The process's statistics are printed before it is gone. */
		jump_if(&p, SYS_exit_group, L_NOTIFY);
		jump_if(&p, SYS_clone, L_CLONE);
	}
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	/* fcntl: only the duplicating commands, then the descriptor. */
	place(&p, L_FCNTL);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)), -1);
	jump_if(&p, F_DUPFD, L_ARG0);
	jump_if(&p, F_DUPFD_CLOEXEC, L_ARG0);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	/* dup2, dup3: either descriptor (a copy made below the threshold would
	 * escape; one made above it replaces a socket the supervisor holds). */
	place(&p, L_ARG01);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)), -1);
	trap_fd(&p, t, low, nlow);
	/* splice: either end may be a socket. */
	place(&p, L_ARG02);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)), -1);
	trap_fd(&p, t, low, nlow);
	place(&p, L_ARG0);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)), -1);
	trap_fd(&p, t, low, nlow);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	/* Data calls: not on the quiet numbers, whose sockets no rule can
	 * touch (sf_sv_install_quiet). */
	place(&p, L_DATA);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)), -1);
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, quiet, 0, 0), L_ALLOW);
	trap_fd(&p, t, low, nlow);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	/* close_range: its last descriptor reaches a socket of the program's. */
	place(&p, L_RANGE);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)), -1);
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lowest, 0, 0), L_NOTIFY);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	/* clone: a thread runs as it is. */
	place(&p, L_CLONE);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)), -1);
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 0), L_ALLOW);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF), -1);
	/* The answers last: classic BPF jumps only forward. */
	place(&p, L_ALLOW);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), -1);
	place(&p, L_NOTIFY);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF), -1);
	place(&p, L_ENOSYS);
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS), -1);
	for (unsigned i = 0; i < p.n; i++)
		if (p.target[i] >= 0) {
			/* A jump reaches at most 255 instructions ahead; the
			 * program (with at most SF_SV_MAX_INHERITED names) is
			 * shorter than that. */
			if (p.at[p.target[i]] - (i + 1) > 255)
				abort();
			p.ins[i].jt = (unsigned char)(p.at[p.target[i]] - (i + 1));
		}
	struct sock_fprog prog = { .len = (unsigned short)p.n, .filter = p.ins };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	return fd < 0 ? -errno : (int)fd;
}
