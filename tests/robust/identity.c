/* A program that closes its sockets where the library cannot see it, and
 * gets the numbers back for files and other sockets: whatever the library
 * knew about the old socket must not answer for what the number is now.
 *
 *   identity CASE FILE
 *
 *   fclose      a dead TCP connection (a rule killed it) closed by fclose
 *               of its fdopen'ed stream; FILE opened on the number, written
 *   rawclose    the same, closed with syscall(SYS_close)
 *   closerange  the same, closed with syscall(SYS_close_range)
 *   unixread    a silenced unix socket closed with syscall(SYS_close); FILE
 *               (holding "file data\n") opened on the number and read
 *   rights      a pipe's number, closed, gets a TCP socket over SCM_RIGHTS:
 *               the rules must see the socket (send on it is faulted)
 *   rawrights   the same, the pipe closed with syscall(SYS_close)
 *
 * Prints what each call returned; exit 0 when the steps ran, 3 on a set-up
 * failure, 4 when the program had to be stopped (a hang). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LINE "hello, world!!\n"

static void hung(int sig)
{
	(void)sig;
	static const char msg[] = "HANG: a call never returned\n";
	write(1, msg, sizeof msg - 1);
	_exit(4);
}

static void say(const char *what, long r, int err)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerror(err));
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

/* A connected TCP socket (to a listener of our own) and its peer. */
static int tcp_pair(int *peer)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		return -1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	*peer = accept(l, NULL, NULL);
	close(l);
	/* Keep the listener's number taken: the next number free is then the
	 * one the caller closes. */
	if (*peer < 0 || open("/dev/null", O_RDONLY) < 0)
		return -1;
	return c;
}

/* The call's errno, read after the call. */
#define SAY(what, call)               \
	do {                          \
		long r_ = (call);     \
		say(what, r_, errno); \
	} while (0)

static int reuse_for_file(int old, const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	if (fd != old) {
		printf("SETUP: the file got fd %d, not %d\n", fd, old);
		return -1;
	}
	return fd;
}

static int killed_then_closed(const char *how, const char *path)
{
	int peer, c = tcp_pair(&peer);
	if (c < 0)
		return 3;
	/* The rule (send => ...) kills the connection on this send. */
	SAY("send", send(c, "x", 1, MSG_NOSIGNAL));
	if (strcmp(how, "fclose") == 0) {
		FILE *f = fdopen(c, "w");
		if (!f)
			return 3;
		fclose(f);
	} else if (strcmp(how, "rawclose") == 0) {
		syscall(SYS_close, c);
	} else {
#ifdef SYS_close_range
		if (syscall(SYS_close_range, c, c, 0) != 0)
			return 3;
#else
		return 3;
#endif
	}
	int fd = reuse_for_file(c, path, O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		return 3;
	SAY("write to the file", write(fd, LINE, strlen(LINE)));
	close(fd);
	close(peer);
	return 0;
}

static int unix_read(const char *path)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 3;
	char c;
	/* The rule (recv => blackhole) silences this end. */
	SAY("recv", recv(sv[0], &c, 1, MSG_DONTWAIT));
	syscall(SYS_close, sv[0]);
	int w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(w, "file data\n", 10);
	close(w);
	int fd = reuse_for_file(sv[0], path, O_RDONLY);
	if (fd < 0)
		return 3;
	char buf[64];
	SAY("read from the file", read(fd, buf, sizeof buf));
	return 0;
}

static int rights(int raw)
{
	int sv[2], peer;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 3;
	int c = tcp_pair(&peer);
	if (c < 0)
		return 3;
	int p[2];
	if (pipe(p) < 0)
		return 3;
	/* The pipe's number is known as "not a socket" (a call the rules see),
	 * then closed: nothing below it is free, so it is the next number. */
	SAY("write to the pipe", write(p[1], "x", 1));
	int num = p[1];
	if (raw)
		syscall(SYS_close, num);
	else
		close(num);
	char byte = 'r';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c, sizeof c);
	if (sendmsg(sv[1], &m, 0) != 1)
		return 3;
	memset(&u, 0, sizeof u);
	m.msg_controllen = sizeof u.b;
	if (recvmsg(sv[0], &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		return 3;
	int got;
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
	printf("received fd %s\n", got == num ? "on the pipe's number" : "elsewhere");
	SAY("send on the received socket", send(got, "x", 1, MSG_NOSIGNAL));
	close(peer);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 3;
	signal(SIGALRM, hung);
	alarm(5);
	if (strcmp(argv[1], "unixread") == 0)
		return unix_read(argv[2]);
	if (strcmp(argv[1], "rights") == 0)
		return rights(0);
	if (strcmp(argv[1], "rawrights") == 0)
		return rights(1);
	return killed_then_closed(argv[1], argv[2]);
}
