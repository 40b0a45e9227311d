/* Built with -O2 -D_FORTIFY_SOURCE=3: glibc compiles recv, recvfrom and read
 * into __recv_chk, __recvfrom_chk and __read_chk whenever it knows the size
 * of the buffer, at level 3 even when that size is only known at run time
 * (a malloc'ed buffer).
 *
 *   hfortify calls
 *       On a unix socket pair with "abcd" waiting: recv, recvfrom and read
 *       into a stack buffer and into a malloc'ed one, each reported
 *       ("recv(stack) = 4", "read(heap) = -1 EIO"), with the data that a
 *       failed call must have left in place checked by a plain recv after.
 *   hfortify overflow recv|recvfrom|read
 *       The call with a length larger than its 8-byte buffer: glibc's check
 *       must abort the program ("*** buffer overflow detected ***",
 *       SIGABRT), under the library as without it. Prints "survived" if
 *       the call returned instead. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hutil.h"

static int pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		tn_setup_fail("socketpair");
	if (write(sv[1], "abcd", 4) != 4)
		tn_setup_fail("write");
	return sv[0];
}

/* What is left on the socket after the call under test (recvmsg: no rule
 * here names it). */
static void left(int fd)
{
	char buf[16];
	struct iovec v = { buf, sizeof buf };
	struct msghdr m = { 0 };
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	long r = recvmsg(fd, &m, MSG_DONTWAIT);
	if (r >= 0)
		printf("  left %ld\n", r);
	else
		printf("  left -1 %s\n", tn_errname(errno));
}

/* Inlined, so the size of the caller's buffer is known where the call is. */
static inline __attribute__((always_inline)) long one(const char *op, int fd, char *buf, size_t len)
{
	if (strcmp(op, "recv") == 0)
		return recv(fd, buf, len, 0);
	if (strcmp(op, "recvfrom") == 0)
		return recvfrom(fd, buf, len, 0, NULL, NULL);
	return read(fd, buf, len);
}

static int cmd_calls(void)
{
	static const char *const ops[] = { "recv", "recvfrom", "read" };
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char stackbuf[32];
		char what[64];
		int fd = pair(sv);
		/* A length the compiler cannot see: the _chk entry is called. */
		snprintf(what, sizeof what, "%s(stack)", ops[i]);
		TN_REPORT(what, one(ops[i], fd, stackbuf, tn_opaque(sizeof stackbuf)));
		left(fd);
		close(sv[0]);
		close(sv[1]);

		fd = pair(sv);
		size_t n = tn_opaque(48);
		char *heap = malloc(n);
		if (!heap)
			tn_setup_fail("malloc");
		snprintf(what, sizeof what, "%s(heap)", ops[i]);
		TN_REPORT(what, one(ops[i], fd, heap, n));
		left(fd);
		free(heap);
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}

static int cmd_overflow(const char *op)
{
	int sv[2];
	char small[8];
	int fd = pair(sv);
	printf("calling %s with 64 bytes into 8\n", op);
	fflush(stdout);
	long r = one(op, fd, small, tn_opaque(64));
	printf("survived: %s = %ld\n", op, r);
	return TN_EXIT_UNEXPECTED;
}

int main(int argc, char **argv)
{
	tn_init();
	if (argc >= 2 && strcmp(argv[1], "calls") == 0)
		return cmd_calls();
	if (argc >= 3 && strcmp(argv[1], "overflow") == 0)
		return cmd_overflow(argv[2]);
	tn_setup_fail("usage: hfortify calls | overflow recv|recvfrom|read");
}
