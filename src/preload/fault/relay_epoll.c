#include "relay_epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtab.h"

/* Looking through /proc/self/fd at each swap is bounded: a process with
 * more descriptors than this keeps its delays inside the calls. */
#define SCAN_MAX 4096

static const char *number(const char *p, int base, unsigned long long *v)
{
	while (*p == ' ' || *p == '\t')
		p++;
	*v = 0;
	for (;; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			return p;
		*v = *v * (unsigned)base + (unsigned)d;
	}
}

/* The value after `key` in line (hex or decimal); 0 if it is not there. */
static int field(const char *line, const char *key, int base, unsigned long long *v)
{
	const char *p = strstr(line, key);
	if (!p)
		return 0;
	number(p + strlen(key), base, v);
	return 1;
}

/* One line of an epoll set's fdinfo:
 * "tfd:        5 events:       19 data:   7f00000005  pos:0 ino:1a2b sdev:8"
 * a registration of number fd for the socket of inode ino? */
static int line_names(const char *line, int fd, unsigned long long ino, struct sf_epoll_reg *r)
{
	unsigned long long tfd, ev, data, i;
	if (strncmp(line, "tfd:", 4) != 0 || !field(line, "tfd:", 10, &tfd) || tfd != (unsigned long long)fd ||
	    !field(line, "events:", 16, &ev) || !field(line, "data:", 16, &data) || !field(line, " ino:", 16, &i) ||
	    i != ino)
		return 0;
	r->events = (uint32_t)ev;
	r->data = data;
	return 1;
}

/* The registration of (fd, ino) in the epoll set whose fdinfo is
 * dir/../fdinfo/NAME: 1 found, 0 none, -1 unreadable. */
static int fdinfo_find(int dir, const char *name, int fd, unsigned long long ino, struct sf_epoll_reg *r)
{
	char path[64] = "../fdinfo/";
	size_t n = strlen(path);
	for (const char *p = name; *p && n < sizeof path - 1; p++)
		path[n++] = *p;
	path[n] = 0;
	int f = (int)syscall(SYS_openat, dir, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	/* Read in pieces, a line carried over: small, as this runs on the
	 * program's stack. */
	char buf[1024 + 1];
	size_t have = 0;
	int found = 0;
	for (;;) {
		ssize_t k = syscall(SYS_read, f, buf + have, sizeof buf - 1 - have);
		if (k <= 0)
			break;
		have += (size_t)k;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			*nl = 0;
			found |= line_names(line, fd, ino, r);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0; /* no line is this long */
	}
	syscall(SYS_close, f);
	return found;
}

int sf_epoll_take(int fd, int skip, struct sf_epoll_reg *regs)
{
	struct stat st;
	if (SF_LOAD(&sf_fd_high) > SCAN_MAX || syscall(SYS_fstat, fd, &st) != 0)
		return -1;
	int dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	char buf[1024];
	int n = 0, bad = 0;
	long got;
	while (!bad && (got = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; off < got && !bad;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			off += d->reclen;
			char target[32];
			long k = syscall(SYS_readlinkat, dir, d->name, target, sizeof target - 1);
			int epfd = 0;
			for (const char *p = d->name; *p >= '0' && *p <= '9'; p++)
				epfd = epfd * 10 + (*p - '0');
			if (k != 22 || memcmp(target, "anon_inode:[eventpoll]", 22) != 0 || epfd == skip || epfd == dir)
				continue;
			struct sf_epoll_reg r = { .epfd = epfd };
			int f = fdinfo_find(dir, d->name, fd, (unsigned long long)st.st_ino, &r);
			if (f < 0 || (f && n == SF_EPOLL_REGS))
				bad = 1;
			else if (f)
				regs[n++] = r;
		}
	}
	syscall(SYS_close, dir);
	if (bad || got < 0)
		return -1;
	for (int i = 0; i < n; i++)
		syscall(SYS_epoll_ctl, regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
	return n;
}

void sf_epoll_put(int fd, const struct sf_epoll_reg *regs, int n)
{
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = regs[i].events, .data.u64 = regs[i].data };
		syscall(SYS_epoll_ctl, regs[i].epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}
