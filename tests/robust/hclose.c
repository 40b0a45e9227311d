/* Descriptors closed many at a time (close_range, closefrom), or behind the
 * library's back, and their numbers reused by descriptors the library never
 * sees made (pipe, open).
 *
 *   hclose range|closefrom|unshare|cloexec|fclose
 *       Sockets on a run of numbers; a write on each (the script's rules
 *       fault writes on sockets: "write => error EIO", and sends on
 *       connected clients: "send side=client => error ENOBUFS"). Then:
 *         range      close_range(lo, hi, 0)
 *         closefrom  closefrom(lo)
 *         unshare    close_range(lo, hi, CLOSE_RANGE_UNSHARE)
 *         cloexec    close_range(lo, hi, CLOSE_RANGE_CLOEXEC): closes
 *                    nothing, so the sockets must still be known as they
 *                    were (the client's side is not learnable afresh)
 *         fclose     fclose(fdopen(socket)): glibc closes the descriptor
 *                    with its internal close, which no wrapper sees
 *       then pipes and files on the freed numbers, written and read: they
 *       are not sockets and no rule may touch them; then sockets again on
 *       those numbers, which must be faulted again.
 *   hclose logfd closefrom|range DATAFILE
 *       With SOCKFAULT_LOG=FILE: a fault (the log is opened), closefrom(3)
 *       or close_range(3, ~0U, 0), then DATAFILE opened until it takes the
 *       log's old number, and another fault: the log line must go to the
 *       log (reopened), never into DATAFILE.
 *
 * Each check prints a line; "UNEXPECTED: ..." (exit 1) for a surprise. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hutil.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define NSOCK 7
#define EXIT_UNSUPPORTED 4

#ifndef HAVE_CLOSE_RANGE
static int close_range(unsigned lo, unsigned hi, int flags)
{
	(void)lo, (void)hi, (void)flags;
	printf("close_range: not in this libc\n");
	exit(EXIT_UNSUPPORTED);
}
#endif
#ifndef HAVE_CLOSEFROM
static void closefrom(int lo)
{
	(void)lo;
	printf("closefrom: not in this libc\n");
	exit(EXIT_UNSUPPORTED);
}
#endif

static int expect_io(const char *what, int fd, long r, int err, const char *want)
{
	char label[96];
	snprintf(label, sizeof label, "%s fd=%d", what, fd);
	return tn_check(label, r, err, want);
}

static void write_check(const char *what, int fd, const char *want)
{
	char b = 'w';
	long r = write(fd, &b, 1);
	expect_io(what, fd, r, errno, want);
}

/* Sockets on NSOCK consecutive numbers (the lowest free ones): two unix
 * pairs, a TCP client and its server end, a fresh TCP socket. */
static void make_sockets(int fds[NSOCK], int *client)
{
	int sv[2], c, s;
	int n = 0;
	for (int i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
			tn_setup_fail("socketpair");
		fds[n++] = sv[0];
		fds[n++] = sv[1];
	}
	if (hu_tcp_pair("127.0.0.1", &c, &s) < 0)
		tn_setup_fail("tcp pair");
	fds[n++] = c;
	fds[n++] = s;
	*client = c;
	fds[n++] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[n - 1] < 0)
		tn_setup_fail("socket");
	for (int i = 0; i < NSOCK; i++)
		fcntl(fds[i], F_SETFD, 0);
}

static int lo_of(const int *fds)
{
	int lo = INT_MAX;
	for (int i = 0; i < NSOCK; i++)
		lo = fds[i] < lo ? fds[i] : lo;
	return lo;
}

static int hi_of(const int *fds)
{
	int hi = -1;
	for (int i = 0; i < NSOCK; i++)
		hi = fds[i] > hi ? fds[i] : hi;
	return hi;
}

/* Pipes and files on the numbers lo..hi; returns how many landed there. */
static int reuse_numbers(int lo, int hi)
{
	int landed = 0;
	char path[] = "/tmp/hclose.XXXXXX";
	int tmpfd = mkstemp(path);
	if (tmpfd < 0)
		tn_setup_fail("mkstemp");
	unlink(path);
	int opened[64], nopened = 0;
	opened[nopened++] = tmpfd;
	/* The lowest free numbers are taken: pipes and /dev/null in turn,
	 * until one lands above hi. */
	for (int k = 0; nopened < 60 && opened[nopened - 1] <= hi; k++) {
		int p[2];
		if (k % 2 == 0) {
			if (pipe(p) != 0)
				tn_setup_fail("pipe");
			opened[nopened++] = p[0];
			opened[nopened++] = p[1];
		} else {
			opened[nopened] = open("/dev/null", O_RDWR);
			if (opened[nopened++] < 0)
				tn_setup_fail("open");
		}
	}
	for (int i = 0; i < nopened; i++) {
		int fd = opened[i];
		if (fd < lo || fd > hi)
			continue;
		landed++;
		/* Write on every kind: a pipe's read end refuses (EBADF), which is
		 * the kernel's own answer and must stay so. */
		char b = 'r';
		long r = write(fd, &b, 1);
		int err = errno;
		char label[64];
		int fl = fcntl(fd, F_GETFL);
		int is_pipe_read = (fl & O_ACCMODE) == O_RDONLY;
		snprintf(label, sizeof label, "reused write fd=%d", fd);
		tn_check(label, r, err, is_pipe_read ? "EBADF" : "ok");
	}
	/* A pipe's data read back on a reused number: not faulted either. */
	for (int i = 0; i + 1 < nopened; i++) {
		int fd = opened[i];
		int fl = fcntl(fd, F_GETFL);
		if (fd < lo || fd > hi || (fl & O_ACCMODE) != O_RDONLY)
			continue;
		tn_set_nonblocking(fd, 1);
		char buf[8];
		long r = read(fd, buf, sizeof buf);
		char label[64];
		snprintf(label, sizeof label, "reused read fd=%d", fd);
		tn_check(label, r, errno, "ok");
	}
	for (int i = 0; i < nopened; i++)
		close(opened[i]);
	return landed;
}

static int cmd_numbers(const char *how)
{
	int fds[NSOCK], client;
	make_sockets(fds, &client);
	int lo = lo_of(fds), hi = hi_of(fds);
	printf("sockets on %d..%d\n", lo, hi);
	for (int i = 0; i < NSOCK; i++)
		write_check("before: write", fds[i], "EIO");
	long r = send(client, "s", 1, MSG_NOSIGNAL);
	expect_io("before: send on the client", client, r, errno, "ENOBUFS");

	if (strcmp(how, "range") == 0) {
		TN_CHECK("close_range", close_range((unsigned)lo, (unsigned)hi, 0), "ok");
	} else if (strcmp(how, "unshare") == 0) {
		TN_CHECK("close_range(UNSHARE)", close_range((unsigned)lo, (unsigned)hi, CLOSE_RANGE_UNSHARE), "ok");
	} else if (strcmp(how, "closefrom") == 0) {
		closefrom(lo);
		printf("closefrom(%d)\n", lo);
	} else if (strcmp(how, "cloexec") == 0) {
		TN_CHECK("close_range(CLOEXEC)", close_range((unsigned)lo, (unsigned)hi, CLOSE_RANGE_CLOEXEC), "ok");
		int fl = fcntl(client, F_GETFD);
		tn_check("the client is now close-on-exec", fl >= 0 && (fl & FD_CLOEXEC) ? 0 : -1, EINVAL, "ok");
		for (int i = 0; i < NSOCK; i++)
			write_check("after cloexec: write", fds[i], "EIO");
		r = send(client, "s", 1, MSG_NOSIGNAL);
		expect_io("after cloexec: send on the client", client, r, errno, "ENOBUFS");
		for (int i = 0; i < NSOCK; i++)
			close(fds[i]);
		return tn_exit_status();
	} else if (strcmp(how, "fclose") == 0) {
		for (int i = 0; i < NSOCK; i++) {
			FILE *f = fdopen(fds[i], "w");
			if (!f || fclose(f) != 0)
				tn_setup_fail("fdopen/fclose");
		}
		printf("fclose(fdopen()) on %d..%d\n", lo, hi);
	} else {
		tn_setup_fail("unknown mode %s", how);
	}
	for (int i = 0; i < NSOCK; i++)
		if (fcntl(fds[i], F_GETFD) != -1)
			tn_unexpected("fd %d is still open", fds[i]);

	int landed = reuse_numbers(lo, hi);
	printf("reused %d of %d numbers\n", landed, hi - lo + 1);
	if (landed < NSOCK)
		tn_unexpected("only %d pipes and files landed on the freed numbers", landed);

	/* Sockets again on the same numbers: known and faulted again. */
	int again[NSOCK], client2;
	make_sockets(again, &client2);
	printf("sockets again on %d..%d\n", lo_of(again), hi_of(again));
	for (int i = 0; i < NSOCK; i++)
		write_check("again: write", again[i], "EIO");
	r = send(client2, "s", 1, MSG_NOSIGNAL);
	expect_io("again: send on the client", client2, r, errno, "ENOBUFS");
	for (int i = 0; i < NSOCK; i++)
		close(again[i]);
	return tn_exit_status();
}

static int cmd_logfd(const char *how, const char *datafile)
{
	const char *logpath = getenv("SOCKFAULT_LOG");
	if (!logpath)
		tn_setup_fail("SOCKFAULT_LOG is not set");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		tn_setup_fail("socketpair");
	long r = send(sv[0], "a", 1, MSG_NOSIGNAL);
	tn_check("first send", r, errno, "EIO");
	int logfd = hu_fd_of(logpath);
	printf("the log is on fd %d\n", logfd);
	if (logfd < 3)
		tn_unexpected("the log is not open on a descriptor above 2");
	if (strcmp(how, "range") == 0) {
		TN_CHECK("close_range(3, ~0U)", close_range(3, ~0U, 0), "ok");
	} else {
		closefrom(3);
		printf("closefrom(3)\n");
	}
	/* Take the numbers up to and including the log's old one. */
	int data[16], ndata = 0;
	do {
		data[ndata] = open(datafile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (data[ndata] < 0)
			tn_setup_fail("open %s", datafile);
	} while (data[ndata++] < logfd && ndata < 16);
	printf("the data file is on fd %d\n", data[ndata - 1]);
	if (data[ndata - 1] != logfd)
		tn_unexpected("the data file did not take the log's old number");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		tn_setup_fail("socketpair");
	r = send(sv[0], "b", 1, MSG_NOSIGNAL);
	tn_check("second send", r, errno, "EIO");
	if (write(data[ndata - 1], "program data\n", 13) != 13)
		tn_unexpected("write to the data file: %s", tn_errname(errno));
	int now = hu_fd_of(logpath);
	printf("the log is now on fd %d\n", now);
	for (int i = 0; i < ndata; i++)
		close(data[i]);
	close(sv[0]);
	close(sv[1]);
	return tn_exit_status();
}

int main(int argc, char **argv)
{
	tn_init();
	if (argc >= 4 && strcmp(argv[1], "logfd") == 0)
		return cmd_logfd(argv[2], argv[3]);
	if (argc >= 2)
		return cmd_numbers(argv[1]);
	tn_setup_fail("usage: hclose range|closefrom|unshare|cloexec|fclose | logfd closefrom|range DATAFILE");
}
