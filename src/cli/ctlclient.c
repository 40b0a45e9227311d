#include "ctlclient.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_WAIT_MS 10000 /* a program that does not answer is given up */

void sf_ctl_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(out, cap, "%s/sockfault", xdg);
	else
		snprintf(out, cap, "/tmp/sockfault-%u", (unsigned)geteuid());
}

static int by_value(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int *sf_ctl_pids(size_t *n)
{
	char dir[4096];
	sf_ctl_dir(dir, sizeof dir);
	*n = 0;
	size_t cap = 64;
	int *v = malloc(cap * sizeof *v);
	DIR *d = opendir(dir);
	if (!d || !v)
		return v;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (pid <= 0 || end == e->d_name || strcmp(end, ".sock") != 0)
			continue;
		if (*n == cap) {
			int *nv = realloc(v, cap * 2 * sizeof *v);
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[(*n)++] = (int)pid;
	}
	closedir(d);
	qsort(v, *n, sizeof *v, by_value);
	return v;
}

int sf_ctl_connect(int pid, char *why, size_t cap, int *stale)
{
	char dir[4096];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	sf_ctl_dir(dir, sizeof dir);
	*stale = 0;
	if ((size_t)snprintf(a.sun_path, sizeof a.sun_path, "%s/%d.sock", dir, pid) >= sizeof a.sun_path) {
		snprintf(why, cap, "%s: too long a path for a unix socket", dir);
		return -1;
	}
	int alive = kill(pid, 0) == 0 || errno == EPERM;
	struct stat st;
	if (lstat(a.sun_path, &st) < 0) {
		if (errno == EACCES)
			snprintf(why, cap, "%d: %s belongs to another user", pid, dir);
		else if (!alive)
			snprintf(why, cap, "%d: no such process", pid);
		else
			snprintf(why, cap,
				 "%d: no control channel (is it running with SOCKFAULT_CONTROL=1 or sockfault "
				 "run --control?)",
				 pid);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, cap, "%d: the channel belongs to another user", pid);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, cap, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		return fd;
	int err = errno;
	close(fd);
	if (err == ECONNREFUSED && !alive) {
		/* Its process is gone without removing it (killed, _exit). */
		unlink(a.sun_path);
		*stale = 1;
		snprintf(why, cap, "%d: no such process (its stale socket removed)", pid);
	} else if (err == EACCES) {
		snprintf(why, cap, "%d: the channel belongs to another user", pid);
	} else {
		snprintf(why, cap, "%d: cannot reach the control channel: %s", pid, strerror(err));
	}
	return -1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sf_ctl_line_free(struct sf_ctl_line *l)
{
	free(l->line);
	memset(l, 0, sizeof *l);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

/* What was read past the last line handed out (the CLI talks to one
 * channel at a time: one reader). */
static struct {
	int fd;
	char *buf;
	size_t n, cap;
} rd = { -1, NULL, 0, 0 };

/* The next line of fd; 1, 0 at the end (why says), -1 on a timeout. */
static int next_line(int fd, struct sf_ctl_line *l, long long deadline, char *why, size_t cap)
{
	if (rd.fd != fd) {
		rd.fd = fd;
		rd.n = 0;
	}
	for (;;) {
		char *nl = rd.buf ? memchr(rd.buf, '\n', rd.n) : NULL;
		if (nl) {
			memset(l, 0, sizeof *l);
			l->len = (size_t)(nl - rd.buf);
			l->line = malloc(l->len + 1);
			if (!l->line) {
				snprintf(why, cap, "out of memory");
				return 0;
			}
			memcpy(l->line, rd.buf, l->len);
			l->line[l->len] = 0;
			memmove(rd.buf, nl + 1, rd.n - l->len - 1);
			rd.n -= l->len + 1;
			if (sf_json_object(l->line, l->len, l->f, 32, &l->n) >= 0) {
				snprintf(why, cap, "not an answer of the protocol: %.200s", l->line);
				sf_ctl_line_free(l);
				return 0;
			}
			return 1;
		}
		if (rd.n + 4096 > rd.cap) {
			size_t ncap = rd.cap ? rd.cap * 2 : 65536;
			char *nb = realloc(rd.buf, ncap);
			if (!nb) {
				snprintf(why, cap, "out of memory");
				return 0;
			}
			rd.buf = nb;
			rd.cap = ncap;
		}
		int wait_ms = -1;
		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				snprintf(why, cap, "no answer within %d s", ANSWER_WAIT_MS / 1000);
				return -1;
			}
			wait_ms = (int)left;
		}
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			snprintf(why, cap, "no answer within %d s", ANSWER_WAIT_MS / 1000);
			return -1;
		}
		ssize_t got = recv(fd, rd.buf + rd.n, rd.cap - rd.n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(why, cap, "the channel closed");
			return 0;
		}
		rd.n += (size_t)got;
	}
}

int sf_ctl_request(int fd, const char *req, void (*fn)(void *ctx, struct sf_ctl_line *l), void *ctx,
		   struct sf_ctl_line *last, char *why, size_t cap)
{
	memset(last, 0, sizeof *last);
	if (!send_all(fd, req, strlen(req)) || !send_all(fd, "\n", 1)) {
		/* Refused at once (another user): the refusal may be there to read. */
		struct sf_ctl_line l;
		if (next_line(fd, &l, now_ms() + 1000, why, cap) == 1 && sf_json_get(l.f, l.n, "ok")) {
			*last = l;
			return 1;
		}
		snprintf(why, cap, "the channel closed: %s", strerror(errno));
		return 0;
	}
	long long deadline = now_ms() + ANSWER_WAIT_MS;
	for (;;) {
		struct sf_ctl_line l;
		if (next_line(fd, &l, deadline, why, cap) != 1) {
			if (!strcmp(why, "the channel closed"))
				snprintf(why, cap, "the channel closed before the answer ended");
			return 0;
		}
		if (sf_json_get(l.f, l.n, "ok")) {
			*last = l;
			return 1;
		}
		fn(ctx, &l);
		sf_ctl_line_free(&l);
	}
}

int sf_ctl_stream(int fd, void (*fn)(void *ctx, struct sf_ctl_line *l), void *ctx, char *why, size_t cap)
{
	for (;;) {
		struct sf_ctl_line l;
		if (next_line(fd, &l, 0, why, cap) != 1)
			return 0;
		fn(ctx, &l);
		sf_ctl_line_free(&l);
	}
}

const char *sf_ctl_field(const struct sf_ctl_line *l, const char *key, char *buf, size_t cap)
{
	const struct sf_json_field *f = sf_json_get(l->f, l->n, key);
	buf[0] = 0;
	if (!f)
		return buf;
	if (f->is_string) {
		sf_json_unescape(f->val, f->vlen, buf, cap);
	} else {
		size_t k = f->vlen < cap - 1 ? f->vlen : cap - 1;
		memcpy(buf, f->val, k);
		buf[k] = 0;
	}
	return buf;
}

int sf_ctl_field_true(const struct sf_ctl_line *l, const char *key)
{
	const struct sf_json_field *f = sf_json_get(l->f, l->n, key);
	return f && !f->is_string && f->vlen == 4 && memcmp(f->val, "true", 4) == 0;
}

static void put(struct sf_ctl_req_buf *b, const char *s, size_t n)
{
	if (!b->p && b->cap)
		return; /* out of memory before */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			free(b->p);
			b->p = NULL;
			b->cap = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sf_ctl_req_raw(struct sf_ctl_req_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

void sf_ctl_req_str(struct sf_ctl_req_buf *b, const char *key, const char *v, size_t n)
{
	if (b->len && b->p && b->p[b->len - 1] != '{')
		put(b, ",", 1);
	put(b, "\"", 1);
	put(b, key, strlen(key));
	put(b, "\":\"", 3);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}
