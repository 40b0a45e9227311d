/* The processes below one: what the watchdog kills with the program when
 * the supervisor dies. Read from /proc/PID/task/TID/children (a process's
 * children are listed under the thread that made them) with bare system
 * calls: the watchdog is a bare clone of a process with threads, where
 * malloc's locks may be held. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sv.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Append the children that thread `tid` of `pid` made. */
static size_t children_of(pid_t pid, const char *tid, pid_t *out, size_t n, size_t cap)
{
	char path[96], text[4096];
	snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, tid);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return n;
	ssize_t len = syscall(SYS_read, fd, text, sizeof text - 1);
	syscall(SYS_close, fd);
	text[len > 0 ? len : 0] = '\0';
	for (char *p = text; *p && n < cap;) {
		char *end;
		long c = strtol(p, &end, 10);
		if (end == p)
			break;
		out[n++] = (pid_t)c;
		p = end;
	}
	return n;
}

size_t sf_sv_descendants(pid_t root, pid_t *out, size_t cap)
{
	size_t n = 0;
	if (cap)
		out[n++] = root;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task", (int)out[i]);
		int dir = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			continue;
		char buf[4096] __attribute__((aligned(8)));
		long got;
		while ((got = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
			for (long off = 0; off < got;) {
				struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
				if (d->d_name[0] != '.')
					n = children_of(out[i], d->d_name, out, n, cap);
				off += d->d_reclen;
			}
		}
		syscall(SYS_close, dir);
	}
	return n;
}
