#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_device(const struct stat *st)
{
	return S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);
}

static enum sf_read_status fail(struct sf_read *r, enum sf_read_status s, int err)
{
	/* r->max stays: the message names it. */
	free(r->text);
	r->text = NULL;
	r->len = 0;
	r->status = s;
	r->err = err;
	return s;
}

/* Wait until fd has something to read (data or its end) or the deadline
 * passes. ppoll, not poll: the only one every architecture has. */
static int wait_readable(int fd, long long deadline, int *err)
{
	for (;;) {
		/* Past the deadline, still one look without waiting: a regular
		 * file is always ready, whatever a FIFO before it cost. */
		long long left = deadline - now_ms();
		if (left < 0)
			left = 0;
		struct pollfd p = { fd, POLLIN, 0 };
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000 };
		long n = syscall(SYS_ppoll, &p, 1, &ts, NULL, 0);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR) {
			*err = errno;
			return -1;
		}
	}
}

/* fstat on a descriptor of the reader's own, by the system call: nothing
 * between the library and the kernel (a sanitizer's interceptor, another
 * preload) takes the number for one of the program's. */
static int raw_fstat(int fd, struct stat *st)
{
#ifdef SYS_fstat
	return (int)syscall(SYS_fstat, fd, st);
#else
	return (int)syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH);
#endif
}

static enum sf_read_status read_all(int fd, size_t max, long long deadline, struct sf_read *r)
{
	struct stat st;
	memset(r, 0, sizeof *r);
	r->max = max;
	if (raw_fstat(fd, &st) != 0)
		return fail(r, SF_READ_ERRNO, errno);
	if (is_device(&st))
		return fail(r, SF_READ_DEVICE, 0);
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
		return fail(r, SF_READ_TOO_BIG, 0);
	/* A regular file's size is known (a file of /proc says 0); one byte
	 * more shows that it did not grow past the limit meanwhile. */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	size_t n = 0;
	r->text = malloc(cap + 1);
	if (!r->text)
		return fail(r, SF_READ_ERRNO, ENOMEM);
	for (;;) {
		if (n == cap) {
			if (cap > max)
				return fail(r, SF_READ_TOO_BIG, 0);
			size_t ncap = cap * 2 > max ? max + 1 : cap * 2;
			char *t = realloc(r->text, ncap + 1);
			if (!t)
				return fail(r, SF_READ_ERRNO, ENOMEM);
			r->text = t;
			cap = ncap;
		}
		/* Waiting first, with a deadline: a pipe whose writer never
		 * writes nor closes cannot hold the program. */
		int err = 0, w = wait_readable(fd, deadline, &err);
		if (w == 0)
			return fail(r, SF_READ_SLOW, 0);
		if (w < 0)
			return fail(r, SF_READ_ERRNO, err);
		long got = syscall(SYS_read, fd, r->text + n, cap - n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return fail(r, SF_READ_ERRNO, errno);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max)
		return fail(r, SF_READ_TOO_BIG, 0);
	r->text[n] = '\0';
	r->len = n;
	r->status = SF_READ_OK;
	return SF_READ_OK;
}

enum sf_read_status sf_read_fd(int fd, size_t max, struct sf_read *r)
{
	return read_all(fd, max, sf_read_deadline(), r);
}

long long sf_read_deadline(void)
{
	return now_ms() + SF_READ_MAX_MS;
}

enum sf_read_status sf_read_path(const char *path, size_t max, struct sf_read *r)
{
	return sf_read_path_by(path, max, sf_read_deadline(), r);
}

enum sf_read_status sf_read_path_by(const char *path, size_t max, long long deadline, struct sf_read *r)
{
	struct stat st;
	memset(r, 0, sizeof *r);
	r->max = max;
	/* A device is refused before it is opened: opening one can block (a
	 * tty, a tape) or do something of its own. */
	if (stat(path, &st) == 0 && is_device(&st))
		return fail(r, SF_READ_DEVICE, 0);
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer without end. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fail(r, SF_READ_ERRNO, errno);
	read_all(fd, max, deadline, r);
	syscall(SYS_close, fd);
	return r->status;
}

/* 4194304 -> "4 MiB"; a limit that is not whole MiB in bytes. */
static void size_text(size_t n, char *buf, size_t cap)
{
	if (n && n % ((size_t)1 << 20) == 0)
		snprintf(buf, cap, "%zu MiB", n >> 20);
	else
		snprintf(buf, cap, "%zu bytes", n);
}

const char *sf_read_problem(const struct sf_read *r, const char *what, char *buf, size_t cap)
{
	char lim[32];
	size_text(r->max, lim, sizeof lim);
	switch (r->status) {
	case SF_READ_OK:
		snprintf(buf, cap, "%s was read", what);
		break;
	case SF_READ_ERRNO:
		snprintf(buf, cap, "cannot read %s: %s", what, strerror(r->err));
		break;
	case SF_READ_TOO_BIG:
		snprintf(buf, cap, "cannot read %s: it is larger than %s, the limit", what, lim);
		break;
	case SF_READ_DEVICE:
		snprintf(buf, cap,
			 "cannot read %s: it is a device (a regular file is read, or a pipe that "
			 "delivers at most %s and closes within " SF_READ_MAX_MS_TEXT ")",
			 what, lim);
		break;
	case SF_READ_SLOW:
		snprintf(buf, cap,
			 "cannot read %s: it did not deliver all of it and close within " SF_READ_MAX_MS_TEXT
			 " (the limit for a pipe or FIFO; at most %s)",
			 what, lim);
		break;
	}
	return buf;
}
