/* One trapped call of the program: made by the supervisor on the program's
 * behalf, on its own copy of the program's socket and through the library's
 * wrappers (so the rules decide it exactly as in a dynamic program), or
 * handed back to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE) when no rule
 * can touch it: the same question the wrappers' fast path asks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elfkind.h"
#include "req.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The bytes the program's iovec array (n entries at addr) describes, at
 * most SV_MAX_IO (a supervised call moves no more). */
ssize_t sv_iov_bytes(const struct req *q, uint64_t addr, size_t n)
{
	struct iovec iov[SF_SV_IOV_MAX];
	if (n > SF_SV_IOV_MAX || sf_sv_peek(q->tid, addr, iov, n * sizeof *iov) < 0)
		return -1;
	size_t len = 0;
	for (size_t k = 0; k < n; k++)
		len += iov[k].iov_len;
	return (ssize_t)(len > SV_MAX_IO ? SV_MAX_IO : len);
}

static void on_socket(struct req *q)
{
	int r = q->sv->lib.socket((int)q->a[0], (int)q->a[1], (int)q->a[2]);
	if (r < 0)
		return sv_result(q, -1, errno);
	int fd = sf_sv_install(q->sv, q->n->id, r, ((int)q->a[1] & SOCK_CLOEXEC) != 0, 1);
	if (fd < 0)
		sv_result(q, -1, -fd);
}

static void on_socketpair(struct req *q)
{
	int two[2];
	if (q->sv->lib.socketpair((int)q->a[0], (int)q->a[1], (int)q->a[2], two) < 0)
		return sv_result(q, -1, errno);
	int cloexec = ((int)q->a[1] & SOCK_CLOEXEC) != 0;
	int fd0 = sf_sv_install(q->sv, q->n->id, two[0], cloexec, 0);
	if (fd0 < 0) {
		q->sv->lib.close(two[1]);
		return sv_result(q, -1, -fd0);
	}
	int fd1 = sf_sv_install(q->sv, q->n->id, two[1], cloexec, 0);
	if (fd1 < 0)
		return sv_result(q, -1, -fd1);
	int out[2] = { fd0, fd1 };
	if (sf_sv_poke(q->tid, q->a[3], out, sizeof out) < 0)
		return sv_result(q, -1, EFAULT);
	sv_result(q, 0, 0);
}

/* accept and accept4: always made here, so that the new socket is ours. */
static void on_accept(struct req *q, int four)
{
	if (!sf_sv_owns(q->sv, (uint32_t)q->a[0]))
		return sv_pass(q);
	struct sockaddr_storage ss;
	socklen_t len = 0, cap = 0;
	if (q->a[1]) {
		if (sf_sv_peek(q->tid, q->a[2], &cap, sizeof cap) < 0)
			return sv_result(q, -1, EFAULT);
		len = sizeof ss;
	}
	int flags = four ? (int)q->a[3] : 0;
	int fd = (int)q->a[0];
	int r = four ? q->sv->lib.accept4(fd, q->a[1] ? (struct sockaddr *)&ss : NULL, q->a[1] ? &len : NULL, flags)
		     : q->sv->lib.accept(fd, q->a[1] ? (struct sockaddr *)&ss : NULL, q->a[1] ? &len : NULL);
	if (r < 0)
		return sv_result(q, -1, errno);
	/* The address first: a program that cannot take it gets EFAULT and
	 * no descriptor, as from the kernel. */
	if (q->a[1] && (sf_sv_poke(q->tid, q->a[1], &ss, len < cap ? len : cap) < 0 ||
			sf_sv_poke(q->tid, q->a[2], &len, sizeof len) < 0)) {
		q->sv->lib.close(r);
		return sv_result(q, -1, EFAULT);
	}
	/* A connection no rule can touch (its peer is known now) goes where
	 * its data calls are not trapped; not a unix one, whose receives may
	 * bring descriptors. */
	int domain = 0;
	socklen_t dlen = sizeof domain;
	int quiet = q->sv->lib.quiet(r) && getsockopt(r, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
		    (domain == AF_INET || domain == AF_INET6);
	int cloexec = (flags & SOCK_CLOEXEC) != 0;
	int nfd = quiet ? sf_sv_install_quiet(q->sv, q->n->id, r, cloexec, 1)
			: sf_sv_install(q->sv, q->n->id, r, cloexec, 1);
	if (nfd < 0)
		sv_result(q, -1, -nfd);
}

/* connect and bind: an address in, nothing out. */
static void on_address_in(struct req *q, enum sf_op op)
{
	if (!sv_ours(q, op))
		return sv_pass(q);
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)q->a[2];
	if (len > sizeof ss)
		return sv_result(q, -1, EINVAL);
	if (sf_sv_peek(q->tid, q->a[1], &ss, len) < 0)
		return sv_result(q, -1, EFAULT);
	if (!sv_still(q))
		return;
	int fd = (int)q->a[0];
	int r = op == SF_OP_connect ? q->sv->lib.connect(fd, (struct sockaddr *)&ss, len)
				    : q->sv->lib.bind(fd, (struct sockaddr *)&ss, len);
	sv_result(q, r, errno);
}

static void on_listen_shutdown(struct req *q, enum sf_op op)
{
	if (!sv_ours(q, op))
		return sv_pass(q);
	int r = op == SF_OP_listen ? q->sv->lib.listen((int)q->a[0], (int)q->a[1])
				   : q->sv->lib.shutdown((int)q->a[0], (int)q->a[1]);
	sv_result(q, r, errno);
}

static void on_getsockopt(struct req *q)
{
	if (!sv_ours(q, SF_OP_getsockopt))
		return sv_pass(q);
	socklen_t len;
	unsigned char val[512];
	if (sf_sv_peek(q->tid, q->a[4], &len, sizeof len) < 0)
		return sv_result(q, -1, EFAULT);
	if (len > sizeof val)
		return sv_pass(q);
	int r = q->sv->lib.getsockopt((int)q->a[0], (int)q->a[1], (int)q->a[2], val, &len);
	if (r < 0)
		return sv_result(q, -1, errno);
	if (sf_sv_poke(q->tid, q->a[3], val, len) < 0 || sf_sv_poke(q->tid, q->a[4], &len, sizeof len) < 0)
		return sv_result(q, -1, EFAULT);
	sv_result(q, 0, 0);
}

static void on_getpeername(struct req *q)
{
	if (!sv_ours(q, SF_OP_getpeername))
		return sv_pass(q);
	socklen_t cap, len = sizeof(struct sockaddr_storage);
	struct sockaddr_storage ss;
	if (sf_sv_peek(q->tid, q->a[2], &cap, sizeof cap) < 0)
		return sv_result(q, -1, EFAULT);
	int r = q->sv->lib.getpeername((int)q->a[0], (struct sockaddr *)&ss, &len);
	if (r < 0)
		return sv_result(q, -1, errno);
	if (sf_sv_poke(q->tid, q->a[1], &ss, len < cap ? len : cap) < 0 ||
	    sf_sv_poke(q->tid, q->a[2], &len, sizeof len) < 0)
		return sv_result(q, -1, EFAULT);
	sv_result(q, 0, 0);
}

/* read, recvfrom (recv when no address is asked for), readv. */
static void on_receive(struct req *q)
{
	int nr = q->n->data.nr;
	enum sf_op op = nr == SYS_read	  ? SF_OP_read
			: nr == SYS_readv ? SF_OP_readv
			: q->a[4]	  ? SF_OP_recvfrom
					  : SF_OP_recv;
	if (!sv_ours(q, op))
		return sv_pass(q);
	int fd = (int)q->a[0];
	size_t len = q->a[2];
	if (op == SF_OP_readv) {
		ssize_t n = (int)q->a[2] < 0 ? -1 : sv_iov_bytes(q, q->a[1], (size_t)(int)q->a[2]);
		if (n < 0)
			return sv_pass(q);
		len = (size_t)n;
	}
	if (len > SV_MAX_IO)
		len = SV_MAX_IO;
	void *buf = sf_sv_buffer(len ? len : 1);
	if (!buf)
		return sv_pass(q);
	struct sockaddr_storage ss;
	socklen_t alen = sizeof ss, cap = 0;
	if (op == SF_OP_recvfrom && sf_sv_peek(q->tid, q->a[5], &cap, sizeof cap) < 0)
		return sv_result(q, -1, EFAULT);
	ssize_t r;
	int flags = op == SF_OP_recvfrom || op == SF_OP_recv ? (int)q->a[3] : 0;
	switch (op) {
	case SF_OP_read:
		r = q->sv->lib.read(fd, buf, len);
		break;
	case SF_OP_readv: {
		struct iovec one = { buf, len };
		r = q->sv->lib.readv(fd, &one, 1);
		break;
	}
	case SF_OP_recv:
		r = q->sv->lib.recv(fd, buf, len, flags);
		break;
	default:
		r = q->sv->lib.recvfrom(fd, buf, len, flags, (struct sockaddr *)&ss, &alen);
		break;
	}
	int err = errno;
	if (r < 0)
		return sv_result(q, -1, err);
	/* MSG_TRUNC: the datagram's real length, more than was moved. */
	size_t moved = (size_t)r < len ? (size_t)r : len;
	if (op == SF_OP_readv) {
		if (sf_sv_pokev(q->tid, q->a[1], (int)q->a[2], buf, moved) < 0)
			return sv_result(q, -1, EFAULT);
	} else if (sf_sv_poke(q->tid, q->a[1], buf, moved) < 0) {
		return sv_result(q, -1, EFAULT);
	}
	if (op == SF_OP_recvfrom && (sf_sv_poke(q->tid, q->a[4], &ss, alen < cap ? alen : cap) < 0 ||
				     sf_sv_poke(q->tid, q->a[5], &alen, sizeof alen) < 0))
		return sv_result(q, -1, EFAULT);
	sv_result(q, r, 0);
}

/* write, sendto (send when there is no destination), writev. */
static void on_send(struct req *q)
{
	int nr = q->n->data.nr;
	enum sf_op op = nr == SYS_write	   ? SF_OP_write
			: nr == SYS_writev ? SF_OP_writev
			: q->a[4]	   ? SF_OP_sendto
					   : SF_OP_send;
	if (!sv_ours(q, op))
		return sv_pass(q);
	int fd = (int)q->a[0];
	size_t len = q->a[2];
	ssize_t got;
	if (op == SF_OP_writev) {
		int n = (int)q->a[2];
		ssize_t total = n < 0 ? -1 : sv_iov_bytes(q, q->a[1], (size_t)n);
		if (total < 0)
			return sv_pass(q);
		len = (size_t)total;
		void *buf = sf_sv_buffer(len ? len : 1);
		if (!buf)
			return sv_pass(q);
		got = sf_sv_peekv(q->tid, q->a[1], n, buf, len);
	} else {
		if (len > SV_MAX_IO)
			len = SV_MAX_IO;
		void *buf = sf_sv_buffer(len ? len : 1);
		if (!buf)
			return sv_pass(q);
		got = sf_sv_peek(q->tid, q->a[1], buf, len) < 0 ? -EFAULT : (ssize_t)len;
	}
	if (got < 0)
		return sv_result(q, -1, EFAULT);
	struct sockaddr_storage ss;
	socklen_t alen = (socklen_t)q->a[5];
	if (op == SF_OP_sendto && (alen > sizeof ss || sf_sv_peek(q->tid, q->a[4], &ss, alen) < 0))
		return sv_result(q, -1, alen > sizeof ss ? EINVAL : EFAULT);
	if (!sv_still(q))
		return;
	void *buf = sf_sv_buffer(0);
	int flags = op == SF_OP_sendto || op == SF_OP_send ? (int)q->a[3] : 0;
	ssize_t r;
	switch (op) {
	case SF_OP_write:
		r = q->sv->lib.write(fd, buf, (size_t)got);
		break;
	case SF_OP_writev: {
		struct iovec one = { buf, (size_t)got };
		r = q->sv->lib.writev(fd, &one, 1);
		break;
	}
	case SF_OP_send:
		r = q->sv->lib.send(fd, buf, (size_t)got, flags);
		break;
	default:
		r = q->sv->lib.sendto(fd, buf, (size_t)got, flags, (struct sockaddr *)&ss, alen);
		break;
	}
	int err = errno;
	sv_pipe_signal(q, r, err, flags);
	sv_result(q, r, err);
}

/* close: our copy goes first, so that the program's close is the last
 * reference and the peer sees the connection end when the program ends it. */
static void on_close(struct req *q)
{
	sf_sv_forget(q->sv, (int)q->a[0]);
	sv_pass(q);
}

static void on_close_range(struct req *q)
{
	unsigned flags = (unsigned)q->a[2];
	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		uint64_t lo = (uint32_t)q->a[0], hi = (uint32_t)q->a[1];
		for (uint64_t fd = lo; fd <= hi && fd < sf_sv_end(q->sv); fd++)
			if (sf_sv_owns(q->sv, fd))
				sf_sv_forget(q->sv, (int)fd);
	}
	sv_pass(q);
}

/* Does the program an exec starts stay under this supervisor? Not if it
 * will load the library itself (a dynamic program with it in LD_PRELOAD),
 * nor if its environment no longer carries the rules (a program that
 * starts a helper clean of them, as it would without the supervisor). */
static int stays(struct req *q)
{
	int at = q->n->data.nr == SYS_execveat;
	uint64_t envp = q->a[at ? 3 : 2];
	int lib = 0, rules = 0;
	for (unsigned i = 0; envp && i < 4096; i++) {
		uint64_t p;
		char e[4096];
		if (sf_sv_peek(q->tid, envp + i * sizeof p, &p, sizeof p) < 0 || !p)
			break;
		sf_sv_peek_str(q->tid, p, e, sizeof e);
		if (strncmp(e, "LD_PRELOAD=", 11) == 0 && strstr(e, "libsockfault"))
			lib = 1;
		if (strncmp(e, "SOCKFAULT_RULES=", 16) == 0 || strncmp(e, "SOCKFAULT_RULES_TEXT=", 21) == 0 ||
		    strncmp(e, "SOCKFAULT_REPLAY=", 17) == 0)
			rules = 1;
	}
	if (!rules)
		return 0;
	if (!lib)
		return 1;
	/* The file, as the program names it (relative to its directory). */
	char name[PATH_MAX], path[PATH_MAX + 64];
	sf_sv_peek_str(q->tid, q->a[at ? 1 : 0], name, sizeof name);
	if (at && name[0] != '/')
		snprintf(path, sizeof path, "/proc/%d/fd/%d/%s", (int)q->sv->pid, (int)q->a[0], name);
	else if (name[0] != '/')
		snprintf(path, sizeof path, "/proc/%d/cwd/%s", (int)q->sv->pid, name);
	else
		snprintf(path, sizeof path, "%s", name);
	enum binary_kind k = sf_elf_kind(path);
	return k == BIN_STATIC || (k == BIN_GO && !sf_elf_dynamic(path));
}

/* exec closes the sockets marked close-on-exec without a close call: our
 * copies of them go first, so that the peer sees them end with the old
 * program, as without the supervisor; the others are learned afresh, as a
 * library starting in the new program would. (An exec that then fails
 * leaves the program the sockets closed here, no longer supervised.) A
 * program that does not stay under the supervisor is left alone from now
 * on (its statistics are not printed: the library would end at such an
 * exec without a word). */
static void on_exec(struct req *q)
{
	struct sf_sv *sv = q->sv;
	if (!stays(q)) {
		sf_sv_release_all(sv);
		sv_pass(q);
		sf_sv_retire(sv);
		return;
	}
	for (unsigned n = 0; n < sf_sv_end(sv); n++) {
		int fd = (int)n;
		if (!sf_sv_owns(sv, (uint32_t)fd))
			continue;
		char name[32], text[256];
		snprintf(name, sizeof name, "%d", fd);
		int info = openat(sv->procinfo, name, O_RDONLY | O_CLOEXEC);
		if (info < 0) {
			sf_sv_forget(sv, fd);
			continue;
		}
		ssize_t len = read(info, text, sizeof text - 1);
		close(info);
		text[len > 0 ? len : 0] = '\0';
		const char *flags = strstr(text, "flags:");
		if (!flags || (strtoul(flags + 6, NULL, 8) & O_CLOEXEC))
			sf_sv_forget(sv, fd);
		else
			sv->lib.move(fd, -1);
	}
	sv_pass(q);
}

/* fork, vfork, clone and clone3 making a process: its supervisor context is
 * made now, while this process waits in the call, so that it starts with
 * the same sockets and the same library state as the child will. A thread
 * (clone3 with CLONE_THREAD), or a process sharing this one's descriptor
 * table (CLONE_FILES), has no context of its own. */
static void on_fork(struct req *q)
{
	uint64_t flags = 0;
	if (q->n->data.nr == SYS_clone3) {
		if (sf_sv_peek(q->tid, q->a[0], &flags, sizeof flags) < 0)
			return sv_pass(q);
	} else if (q->n->data.nr == SYS_clone) {
		flags = q->a[0];
	}
	/* A process no context would serve would run with its sockets
	 * unsupervised: its fork fails as at the kernel's process limit. */
	if (!(flags & (CLONE_THREAD | CLONE_FILES)) && sf_sv_procs_fork(q->sv) < 0)
		return sv_result(q, -1, EAGAIN);
	sv_pass(q);
}

static void on_exit_group(struct req *q)
{
	q->sv->lib.exiting();
	sv_pass(q);
}

/* dup and fcntl(F_DUPFD): the copy is made here and put at a number the
 * filter sees, like every socket of the program. */
static void on_dup(struct req *q, int cmd)
{
	int fd = (int)q->a[0];
	if (!sf_sv_owns(q->sv, (uint32_t)fd))
		return sv_pass(q);
	int r = cmd < 0 ? q->sv->lib.dup(fd) : q->sv->lib.fcntl(fd, cmd, 0);
	if (r < 0)
		return sv_result(q, -1, errno);
	/* A copy of a quiet socket is quiet too. */
	int nfd = sf_sv_is_quiet(q->sv, (uint32_t)fd)
			  ? sf_sv_install_quiet(q->sv, q->n->id, r, cmd == F_DUPFD_CLOEXEC, 1)
			  : sf_sv_install(q->sv, q->n->id, r, cmd == F_DUPFD_CLOEXEC, 1);
	if (nfd < 0)
		sv_result(q, -1, -nfd);
}

/* dup2 and dup3: the number replaced loses our copy; a copy of one of our
 * sockets made at or above the threshold is ours too. A copy made below it
 * is left to the program: the rules do not see that number. */
static void on_dup2(struct req *q, int three)
{
	int from = (int)q->a[0], to = (int)q->a[1];
	if (from == to)
		return sv_pass(q);
	if (sf_sv_owns(q->sv, (uint32_t)from) && (unsigned)to >= q->sv->threshold) {
		if (three && (q->a[2] & ~(uint64_t)O_CLOEXEC))
			return sv_result(q, -1, EINVAL);
		int r = q->sv->lib.dup(from);
		if (r < 0)
			return sv_result(q, -1, errno);
		sf_sv_forget(q->sv, to);
		int nfd = sf_sv_install_at(q->sv, q->n->id, r, to, three && (q->a[2] & O_CLOEXEC), 1);
		if (nfd < 0)
			sv_result(q, -1, -nfd);
		return;
	}
	sf_sv_forget(q->sv, to);
	sv_pass(q);
}

void sf_sv_perform(struct sf_sv *sv, const struct seccomp_notif *n)
{
	struct req q = { .sv = sv, .n = n, .tid = (pid_t)n->pid };
	memcpy(q.a, n->data.args, sizeof q.a);
	/* The log names the program's process and thread. */
	sv->lib.acting(sv->pid, q.tid);
	switch (n->data.nr) {
	case SYS_socket:
		return on_socket(&q);
	case SYS_socketpair:
		return on_socketpair(&q);
	case SYS_accept:
		return on_accept(&q, 0);
	case SYS_accept4:
		return on_accept(&q, 1);
	case SYS_connect:
		return on_address_in(&q, SF_OP_connect);
	case SYS_bind:
		return on_address_in(&q, SF_OP_bind);
	case SYS_listen:
		return on_listen_shutdown(&q, SF_OP_listen);
	case SYS_shutdown:
		return on_listen_shutdown(&q, SF_OP_shutdown);
	case SYS_getsockopt:
		return on_getsockopt(&q);
	case SYS_getpeername:
		return on_getpeername(&q);
	case SYS_read:
	case SYS_readv:
	case SYS_recvfrom:
		return on_receive(&q);
	case SYS_write:
	case SYS_writev:
	case SYS_sendto:
		return on_send(&q);
	case SYS_sendmsg:
		return sv_on_msg(&q, 1);
	case SYS_recvmsg:
		return sv_on_msg(&q, 0);
	case SYS_sendmmsg:
		return sv_on_mmsg(&q, 1);
	case SYS_recvmmsg:
		return sv_on_mmsg(&q, 0);
	case SYS_sendfile:
	case SYS_splice:
		return sv_on_zerocopy(&q);
	case SYS_close:
		return on_close(&q);
	case SYS_close_range:
		return on_close_range(&q);
	case SYS_execve:
	case SYS_execveat:
		return on_exec(&q);
#ifdef SYS_fork
	case SYS_fork:
	case SYS_vfork:
#endif
	case SYS_clone:
	case SYS_clone3:
		return on_fork(&q);
	case SYS_exit_group:
		return on_exit_group(&q);
	case SYS_dup:
		return on_dup(&q, -1);
	case SYS_fcntl:
		return on_dup(&q, (int)q.a[1]);
#ifdef SYS_dup2
	case SYS_dup2:
		return on_dup2(&q, 0);
#endif
	case SYS_dup3:
		return on_dup2(&q, 1);
	default:
		return sv_pass(&q);
	}
}

/* The operation of a call that may wait, or -1. */
static int waiting_op(const struct seccomp_notif *n)
{
	switch (n->data.nr) {
	case SYS_connect:
		return SF_OP_connect;
	case SYS_accept:
		return SF_OP_accept;
	case SYS_accept4:
		return SF_OP_accept4;
	case SYS_read:
		return SF_OP_read;
	case SYS_readv:
		return SF_OP_readv;
	case SYS_recvfrom:
		return n->data.args[4] ? SF_OP_recvfrom : SF_OP_recv;
	case SYS_recvmsg:
		return SF_OP_recvmsg;
	case SYS_write:
		return SF_OP_write;
	case SYS_writev:
		return SF_OP_writev;
	case SYS_sendto:
		return n->data.args[4] ? SF_OP_sendto : SF_OP_send;
	case SYS_sendmsg:
		return SF_OP_sendmsg;
	case SYS_sendmmsg:
		return SF_OP_sendmmsg;
	case SYS_recvmmsg:
		return SF_OP_recvmmsg;
	default:
		return -1;
	}
}

void sf_sv_handle(struct sf_sv *sv, const struct seccomp_notif *n)
{
	if (sv->retired)
		return sf_sv_continue(sv, n->id);
	int op = waiting_op(n);
	if (op < 0)
		return sf_sv_perform(sv, n);
	int fd = (int)n->data.args[0];
	if (!sf_sv_owns(sv, (uint32_t)fd))
		return sf_sv_continue(sv, n->id);
	/* accept is always made here (the new socket must be ours). */
	if (op != SF_OP_accept && op != SF_OP_accept4 && sv->lib.passes(op, fd) && !sf_sv_may_get_fds(n))
		return sf_sv_continue(sv, n->id);
	sf_sv_pool_submit(sv, n);
}
