/* One supervisor context per traced process. A process the program forks
 * has its own descriptor table and its own library state (counters, sticky
 * faults, timers), as under the preload, where the library is forked with
 * it: so the supervisor context forks too, at the fork, while the parent
 * waits in the call (the new context's copy of the sockets and the
 * library's records are then exactly the child's). The first supervisor
 * process is the router: it receives every notification and hands those of
 * other processes to their context over a unix socket; each context answers
 * on its own copy of the listener. The router's table is only ever touched
 * by its receiving thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sv.h"

enum { MSG_NOTIF, MSG_BIND, MSG_PENDING };

struct msg {
	int kind;
	int pid;		/* BIND: the process; PENDING: the parent */
	struct seccomp_notif n; /* NOTIF */
};

/* The router's table: contexts made at a fork, bound to their process at
 * its first trapped call (the child's pid is not known before). */
#define MAX_PROCS 256
static struct route {
	pid_t tgid; /* 0: not bound yet */
	pid_t parent;
	int chan;
} routes[MAX_PROCS];
static unsigned nroutes;
static int router = 1;
static int my_chan = -1; /* a context's channel to the router */

static void drain(void);

static void add_route(pid_t parent, int chan)
{
	/* Contexts whose process ended leave their channel closed. */
	if (nroutes == MAX_PROCS)
		drain();
	if (nroutes == MAX_PROCS) {
		close(chan);
		return;
	}
	routes[nroutes++] = (struct route){ .parent = parent, .chan = chan };
}

static void drop_route(unsigned i)
{
	close(routes[i].chan);
	routes[i] = routes[--nroutes];
}

/* A field ("Tgid:", "PPid:") of /proc/PID/status; 0 if the process is gone. */
static pid_t status_field(pid_t pid, const char *field)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	const char *p = strstr(text, field);
	return p ? (pid_t)atoi(p + strlen(field)) : 0;
}

static int send_msg(int chan, int kind, int pid, const struct seccomp_notif *n)
{
	struct msg m = { .kind = kind, .pid = pid };
	if (n)
		m.n = *n;
	return send(chan, &m, sizeof m, MSG_NOSIGNAL) == (ssize_t)sizeof m ? 0 : -1;
}

/* Registrations of new contexts, sent by contexts that saw a fork. */
static void drain(void)
{
	for (unsigned i = 0; i < nroutes;) {
		struct msg m;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &m, sizeof m };
		struct msghdr h = {
			.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf
		};
		ssize_t r = recvmsg(routes[i].chan, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			i++;
			continue;
		}
		if (r <= 0) {
			/* The context ended with its process. */
			drop_route(i);
			continue;
		}
		struct cmsghdr *c = CMSG_FIRSTHDR(&h);
		if (m.kind == MSG_PENDING && c && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			add_route(m.pid, fd);
		}
	}
}

int sf_sv_procs_route(const struct seccomp_notif *n)
{
	pid_t tgid = status_field((pid_t)n->pid, "Tgid:");
	if (!tgid)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < nroutes; i++)
			if (routes[i].tgid == tgid)
				return send_msg(routes[i].chan, MSG_NOTIF, 0, n) == 0;
		/* A context registered by its parent's context is on its way. */
		drain();
	}
	pid_t parent = status_field(tgid, "PPid:");
	for (unsigned i = 0; i < nroutes; i++)
		if (!routes[i].tgid && routes[i].parent == parent) {
			routes[i].tgid = tgid;
			return send_msg(routes[i].chan, MSG_BIND, tgid, NULL) == 0 &&
			       send_msg(routes[i].chan, MSG_NOTIF, 0, n) == 0;
		}
	return 0;
}

/* A context: serve the notifications of one process until it ends. */
static __attribute__((noreturn)) void context(struct sf_sv *sv, int chan)
{
	router = 0;
	while (nroutes)
		drop_route(0);
	if (my_chan >= 0)
		close(my_chan);
	my_chan = chan;
	sf_sv_pool_reset();
	sf_sv_intr_reset();
	sf_sv_fds_reset();
	close(sv->procfd);
	close(sv->procinfo);
	sv->procfd = sv->procinfo = -1;
	int pidfd = -1;
	for (;;) {
		struct pollfd p[2] = { { .fd = chan, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(0);
		}
		/* The process has ended: its context with it (its statistics
		 * were printed at its exit_group). */
		if (pidfd >= 0 && p[1].revents)
			_exit(0);
		struct msg m;
		if (!(p[0].revents & POLLIN) || recv(chan, &m, sizeof m, 0) != (ssize_t)sizeof m) {
			/* The router is gone: the process would run on with its
			 * socket calls failing (ENOSYS). It goes too, as the
			 * program does (PR_SET_PDEATHSIG). */
			if (pidfd >= 0)
				syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			_exit(0);
		}
		if (m.kind == MSG_BIND) {
			char path[64];
			sv->pid = m.pid;
			snprintf(path, sizeof path, "/proc/%d/fd", m.pid);
			sv->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			snprintf(path, sizeof path, "/proc/%d/fdinfo", m.pid);
			sv->procinfo = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			pidfd = (int)syscall(SYS_pidfd_open, m.pid, 0);
			if (sv->procfd < 0 || sv->procinfo < 0 || pidfd < 0)
				_exit(0);
		} else if (m.kind == MSG_NOTIF && sv->pid) {
			sf_sv_handle(sv, &m.n);
		}
	}
}

void sf_sv_retire(struct sf_sv *sv)
{
	sv->retired = 1;
}

int sf_sv_procs_fork(struct sf_sv *sv)
{
	int ch[2];
	if (router && nroutes == MAX_PROCS)
		drain();
	if ((router && nroutes == MAX_PROCS) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
		return -1;
	/* One fork, as the program's: the library counts it, so the new
	 * context's place in the run's tree (sockfault-rules(5), "Process
	 * trees") is the child's. Nobody reaps it: the supervisor ignores
	 * SIGCHLD. */
	pid_t c = fork();
	if (c < 0) {
		close(ch[0]);
		close(ch[1]);
		return -1;
	}
	if (c == 0) {
		close(ch[0]);
		context(sv, ch[1]);
	}
	close(ch[1]);
	if (router) {
		add_route(sv->pid, ch[0]);
		return 0;
	}
	struct msg m = { .kind = MSG_PENDING, .pid = sv->pid };
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { &m, sizeof m };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &ch[0], sizeof(int));
	sendmsg(my_chan, &h, MSG_NOSIGNAL);
	close(ch[0]);
	return 0;
}
