/* The control channel: a unix socket in a directory only this user can
 * enter, served by one thread of its own (started only when
 * SOCKFAULT_CONTROL=1). The thread's descriptors live above a high floor
 * and close on exec; the program may still close them (a daemon's
 * close-everything loop): each is checked to be the same file (device and
 * inode) before every use, and one that is not is forgotten, never closed
 * or read (its number may be the program's now), and the channel made
 * again. See sockfault(1), CONTROL CHANNEL. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "fdfloor.h"
#include "log.h"
#include "settings.h"
#include "sf.h"
#include "thread.h"
#include "units.h"

#define MAX_CLIENTS 8
#define REQUEST_MAX (4u << 20) /* one request line: a rules file of a few MiB */
#define POLL_MS 100	       /* how soon a descriptor closed under us is noticed */
#define WRITE_WAIT_MS 2000     /* a client that reads nothing is dropped */
#define WATCH_TICK_NS (100 * SF_NS_PER_MS)

struct owned {
	int fd;
	dev_t dev;
	ino_t ino;
};

struct client {
	struct owned o;
	char *in;
	size_t n, cap;
	struct sf_ctl_stage stage;
	struct sf_ctl_watch *watch; /* watching: events every tick */
};

static struct owned listener = { -1, 0, 0 };
static struct client clients[MAX_CLIENTS] = { [0 ... MAX_CLIENTS - 1] = { .o = { -1, 0, 0 } } };
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int path_pid; /* the process that made sock_path; only it removes it */
static int fd_floor;

/* The descriptor is still the file we opened (not one the program got
 * after closing ours). */
static int same(const struct owned *o)
{
	struct stat st;
	return o->fd >= 0 && fstat(o->fd, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino;
}

/* Move fd above the floor (close-on-exec) and note its identity. */
static int own(int fd, struct owned *o)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	o->fd = fd;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	return 1;
}

/* Close a descriptor of ours; one that is no longer ours is only forgotten. */
static void release(struct owned *o)
{
	if (same(o))
		close(o->fd);
	o->fd = -1;
}

/* Why there is no channel: "SOCKFAULT_CONTROL: DIR: WHY; no control channel". */
static void say(const char *dir, const char *why)
{
	char msg[700];
	snprintf(msg, sizeof msg, "SOCKFAULT_CONTROL: %s: %s; no control channel", dir, why);
	sf_log_message(msg);
}

/* $XDG_RUNTIME_DIR/sockfault, else /tmp/sockfault-UID: made 0700, and used
 * only if it is a directory of this user that nobody else may enter.
 * Returns 0 (said why) if it cannot be used. */
static int channel_dir(char *out, size_t cap)
{
#ifdef HAVE_SECURE_GETENV
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
#else
	const char *xdg = getenv("XDG_RUNTIME_DIR");
#endif
	if (xdg && *xdg)
		snprintf(out, cap, "%s/sockfault", xdg);
	else
		snprintf(out, cap, "/tmp/sockfault-%u", (unsigned)geteuid());
	if (mkdir(out, 0700) < 0 && errno != EEXIST) {
		say(out, strerror(errno));
		return 0;
	}
	struct stat st;
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		say(out, "not a directory of this user with mode 0700 (refused: others could reach the channel)");
		return 0;
	}
	return 1;
}

/* 1: listening; 0: not now (try again later); -1: never (said why). */
static int open_listener(void)
{
	char dir[sizeof sock_path];
	if (!channel_dir(dir, sizeof dir))
		return -1;
	int pid = (int)syscall(SYS_getpid);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(a.sun_path, sizeof a.sun_path, "%s/%d.sock", dir, pid) >= sizeof a.sun_path) {
		say(dir, "too long a path for a unix socket");
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	/* A socket of this pid is this process's own, from before exec, or a
	 * dead process's that had the same pid. */
	unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return 0;
	}
	if (!own(fd, &listener)) {
		unlink(a.sun_path);
		return 0;
	}
	memcpy(sock_path, a.sun_path, sizeof sock_path);
	SF_STORE(&path_pid, pid);
	return 1;
}

static void drop(struct client *c)
{
	release(&c->o);
	free(c->in);
	sf_ctl_stage_free(&c->stage);
	sf_ctl_watch_free(c->watch);
	memset(c, 0, sizeof *c);
	c->o.fd = -1;
}

/* The whole answer, waiting a little for a slow reader. */
static int send_all(struct client *c, const char *p, size_t n)
{
	uint64_t give_up = sf_now() + (uint64_t)WRITE_WAIT_MS * 1000000u;
	while (n) {
		if (!same(&c->o))
			return 0;
		ssize_t w = send(c->o.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return 0;
		uint64_t now = sf_now();
		if (now >= give_up)
			return 0;
		struct pollfd pf = { c->o.fd, POLLOUT, 0 };
		poll(&pf, 1, (int)((give_up - now) / 1000000u) + 1);
	}
	return 1;
}

static void refuse(int fd, const char *why)
{
	char line[200];
	int n = snprintf(line, sizeof line, "{\"ok\":false,\"refused\":true,\"error\":\"%s\"}\n", why);
	send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void take_client(void)
{
	if (!same(&listener)) {
		listener.fd = -1;
		return;
	}
	int fd = accept4(listener.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
		refuse(fd, "permission denied: the channel answers only its own user");
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].o.fd < 0) {
			if (!own(fd, &clients[i].o))
				clients[i].o.fd = -1;
			return;
		}
	}
	refuse(fd, "busy: too many clients on this channel");
	close(fd);
}

/* Answer each complete line; 0 if the client is to be dropped. */
static int answer_lines(struct client *c)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->n - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (c->in + start));
		struct sf_ctl_out o = { 0 };
		sf_ctl_handle(c->in + start, len, &c->stage, &o, &c->watch);
		int ok = !o.oom && send_all(c, o.p, o.len);
		free(o.p);
		if (!ok)
			return 0;
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->n - start);
	c->n -= start;
	return 1;
}

static int read_client(struct client *c)
{
	if (!same(&c->o))
		return 0;
	if (c->cap - c->n < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 8192;
		if (cap > REQUEST_MAX + 4096)
			return 0;
		char *in = realloc(c->in, cap);
		if (!in)
			return 0;
		c->in = in;
		c->cap = cap;
	}
	ssize_t r = recv(c->o.fd, c->in + c->n, c->cap - c->n, MSG_DONTWAIT);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
	if (r == 0)
		return 0;
	c->n += (size_t)r;
	return answer_lines(c);
}

/* The events of the channel's own making, to each watching client. */
static void send_events(void)
{
	if (!sf_ctl_events.len && !sf_ctl_events.oom)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->o.fd >= 0 && c->watch && !sf_ctl_events.oom && !send_all(c, sf_ctl_events.p, sf_ctl_events.len))
			drop(c);
	}
	free(sf_ctl_events.p);
	memset(&sf_ctl_events, 0, sizeof sf_ctl_events);
}

/* Tell each watching client what changed. */
static void watch_tick(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->o.fd < 0 || !c->watch)
			continue;
		struct sf_ctl_out o = { 0 };
		sf_ctl_watch_tick(c->watch, &o);
		if (o.oom || (o.len && !send_all(c, o.p, o.len)))
			drop(c);
		free(o.p);
	}
}

static void *serve(void *arg)
{
	(void)arg;
	sf_self.depth = 1;
	uint64_t last_tick = 0;
	for (;;) {
		if (!same(&listener)) {
			/* Closed by the program (its number may be reused): forgotten, made again. */
			listener.fd = -1;
			int r = open_listener();
			if (r < 0)
				return NULL;
			if (r == 0) {
				sf_sleep_ns(1000 * SF_NS_PER_MS);
				continue;
			}
		}
		struct pollfd pf[1 + MAX_CLIENTS];
		int who[1 + MAX_CLIENTS];
		int n = 0;
		pf[n] = (struct pollfd){ listener.fd, POLLIN, 0 };
		who[n++] = -1;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i].o.fd < 0)
				continue;
			if (!same(&clients[i].o)) {
				drop(&clients[i]);
				continue;
			}
			pf[n] = (struct pollfd){ clients[i].o.fd, POLLIN, 0 };
			who[n++] = i;
		}
		int ready = poll(pf, (nfds_t)n, POLL_MS);
		uint64_t now = sf_now();
		if (now - last_tick >= WATCH_TICK_NS) {
			last_tick = now;
			watch_tick();
		}
		if (ready <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (who[k] < 0)
				take_client();
			else if (!read_client(&clients[who[k]]))
				drop(&clients[who[k]]);
		}
		send_events();
	}
	return NULL;
}

/* The channel is there when the program's main begins (a test may talk
 * to it at once); the thread serves it, and makes it again if lost. */
static void start(void)
{
	fd_floor = sf_fd_floor(6);
	if (open_listener() < 0)
		return;
	if (!sf_thread_start(serve, 256 * 1024)) {
		sf_log_message("SOCKFAULT_CONTROL: cannot start the channel's thread; no control channel");
		release(&listener);
		unlink(sock_path);
		SF_STORE(&path_pid, 0);
	}
}

void sf_control_start(void)
{
	start();
}

void sf_control_child_restart(void)
{
	/* The parent's descriptors are the child's copies: closed here (the
	 * parent keeps its own); the memory behind them may have been in the
	 * middle of a change when fork copied it, so it is left, not freed. */
	SF_STORE(&path_pid, 0);
	if (!sf_config.control || sf_config.inert)
		return;
	release(&listener);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		release(&clients[i].o);
		memset(&clients[i], 0, sizeof clients[i]);
		clients[i].o.fd = -1;
	}
	memset(&sf_ctl_events, 0, sizeof sf_ctl_events);
	sf_ctl_child_reset();
	start();
}

__attribute__((destructor)) static void remove_socket(void)
{
	if (SF_LOAD(&path_pid) && SF_LOAD(&path_pid) == (int)syscall(SYS_getpid))
		unlink(sock_path);
}
