/* A small static program for the supervisor's own tests (linked with
 * musl-gcc -static by the scripts):
 *
 *   tstatic watch FILE   write its pid (twice) to FILE, then make a
 *                        socket every 20 ms for 10 s, saying so if one fails
 *   tstatic forkwatch FILE  the same as watch in a forked child; FILE gets
 *                        the parent's pid and the child's
 *   tstatic forklate FILE   the same, the child making its first socket 1 s
 *                        after writing FILE
 *   tstatic block FILE   write its pid (twice) to FILE, then recv on a socket
 *                        pair that stays silent (10 s at most): what it gives
 *   tstatic signals FILE make a socket every 20 ms (at most 10 s) until SIGINT
 *                        or SIGTERM, FILE written when ready; then says how
 *                        many of each came (in the 300 ms after the first),
 *                        and what a socket call gives after them
 *   tstatic uring        what io_uring_setup says
 *   tstatic cloexec PORT connect to 127.0.0.1:PORT (close-on-exec), send
 *                        "hello", then exec itself to sleep 3 s
 *   tstatic sleep N      sleep N seconds
 *   tstatic pid PORT     print its pid, then what connect to 127.0.0.1:PORT gives
 *   tstatic files N      N one-byte writes to /dev/null: ns per write
 *   tstatic calls N      N getsockopt(SO_TYPE) on a socket: ns per call
 *   tstatic msgs         the calls beyond plain sends and receives, on unix
 *                        socket pairs, each result on a line: 100 buffers
 *                        (writev, sendmsg, recvmsg), sendmmsg and recvmmsg,
 *                        a pipe and a socket passed in SCM_RIGHTS (the
 *                        socket's number, then a send on it), sendfile
 *                        and splice
 *   tstatic launch FD CMD...  a unix stream socket pair, one end at FD (not
 *                        close-on-exec) in CMD, started as a child; then what
 *                        the other end receives until CMD ends
 *   tstatic inherited FD a send on FD, a dup of it (its number), then a
 *                        send on FD after dup2 of it to FD + 1
 *   tstatic serve        its descriptor limit raised to the hard one (as Go
 *                        does), a TCP connection to itself on loopback: the
 *                        accepted socket's number, a send on it and on a dup
 *                        of it (the dup's number), what the client receives
 *   tstatic forks N      fork N children that wait (at most 10 s): how many
 *                        forks worked, and how the first to fail failed
 *   tstatic daemon       fork a child that closes its stdout and lives 3 s;
 *                        say so and exit
 *   tstatic eintr restart|interrupt|timeout
 *                        a recv waiting on a socket pair when SIGALRM comes
 *                        (200 ms; its handler installed with or without
 *                        SA_RESTART; timeout: with, and SO_RCVTIMEO 5 s on
 *                        the socket), a thread sending 5 bytes at 800 ms:
 *                        what recv gives, after how long, how many signals
 *                        and whether the first was handled at once */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ints, terms;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		ints++;
	else
		terms++;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void say(const char *what, long r)
{
	if (r >= 0) {
		printf("%s = %ld\n", what, r);
		return;
	}
	const char *e = errno == EIO	    ? "EIO"
			: errno == EINVAL   ? "EINVAL"
			: errno == EINTR    ? "EINTR"
			: errno == EBADF    ? "EBADF"
			: errno == EMSGSIZE ? "EMSGSIZE"
					    : strerror(errno);
	printf("%s = -1 %s\n", what, e);
}

/* Send one descriptor over a unix socket, then receive it on the other
 * end: the number it arrives at, or -1. */
static int pass_fd(int tx, int rx, int fd)
{
	char c = 'F', cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { &c, 1 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	say("scm sendmsg", sendmsg(tx, &h, 0));
	memset(cbuf, 0, sizeof cbuf);
	h.msg_controllen = sizeof cbuf;
	say("scm recvmsg", recvmsg(rx, &h, MSG_CMSG_CLOEXEC | MSG_DONTWAIT));
	cm = CMSG_FIRSTHDR(&h);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static int msgs(void)
{
	int s[2], d[2], b[2], p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, d) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0 || pipe(p) < 0)
		return 3;
	static char bytes[200];
	struct iovec iov[100];
	for (int i = 0; i < 100; i++)
		iov[i] = (struct iovec){ bytes + 2 * i, 1 };
	memset(bytes, 'a', sizeof bytes);
	say("writev 100", writev(s[0], iov, 100));
	struct msghdr h = { .msg_iov = iov, .msg_iovlen = 100 };
	say("sendmsg 100", sendmsg(s[0], &h, 0));
	for (int i = 0; i < 100; i++)
		iov[i].iov_len = 2;
	memset(bytes, 0, sizeof bytes);
	say("recvmsg 100", recvmsg(s[1], &h, MSG_DONTWAIT));
	printf("recvmsg 100 data = %.4s\n", bytes);

	struct mmsghdr mm[2];
	struct iovec one[2] = { { "one", 3 }, { "two", 3 } };
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &one[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* The system call itself: musl's sendmmsg is a loop of sendmsg. */
	say("sendmmsg", syscall(SYS_sendmmsg, d[0], mm, 2, 0));
	char in[2][8] = { { 0 } };
	struct iovec two[2] = { { in[0], 7 }, { in[1], 7 } };
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &two[i];
		mm[i].msg_len = 0;
	}
	say("recvmmsg", recvmmsg(d[1], mm, 2, MSG_DONTWAIT, NULL));
	printf("recvmmsg data = %s %s, %u %u\n", in[0], in[1], mm[0].msg_len, mm[1].msg_len);

	int fd = pass_fd(s[0], s[1], p[1]);
	if (fd >= 0) {
		char got[3] = { 0 };
		if (write(fd, "hi", 2) != 2 || read(p[0], got, 2) != 2)
			printf("scm pipe = broken\n");
		else
			printf("scm pipe = %s, cloexec %d\n", got, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
		close(fd);
	}
	fd = pass_fd(s[0], s[1], b[0]);
	if (fd >= 0) {
		printf("scm socket = %s\n", fd >= 512 ? "high" : "low");
		say("scm socket send", send(fd, "x", 1, MSG_DONTWAIT));
		close(fd);
	}

	int m = memfd_create("tstatic", 0);
	if (m < 0 || write(m, "0123456789", 10) != 10)
		return 3;
	off_t off = 0;
	say("sendfile", sendfile(s[0], m, &off, 10));
	int q[2];
	if (pipe(q) < 0 || write(q[1], "abc", 3) != 3)
		return 3;
	say("splice", splice(q[0], NULL, s[0], NULL, 3, 0));
	return 0;
}

static int launch(int fd, char **cmd)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 || dup2(sp[1], fd) < 0)
		return 3;
	pid_t c = fork();
	if (c < 0)
		return 3;
	if (c == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(fd);
	close(sp[1]);
	char buf[256];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof buf - 1 && (r = read(sp[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	int st;
	waitpid(c, &st, 0);
	printf("peer got = '%s'\n", buf);
	printf("launched = %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int use_inherited(int fd)
{
	say("inherited send", send(fd, "one", 3, MSG_NOSIGNAL));
	int d = dup(fd);
	printf("inherited dup = %s\n", d >= 512 ? "high" : d >= 0 ? "low" : "failed");
	say("dup send", send(d, "two", 3, MSG_NOSIGNAL));
	close(d);
	return 0;
}

static int block(const char *file)
{
	int sp[2];
	struct timeval tv = { 10, 0 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 ||
	    setsockopt(sp[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		return 3;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 3;
	fprintf(f, "%d %d\n", (int)getpid(), (int)getpid());
	fclose(f);
	rename(tmp, file);
	char c;
	say("recv", recv(sp[1], &c, 1, 0));
	return 0;
}

static int serve(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
		return 3;
	int s = accept(l, NULL, NULL);
	if (s < 0)
		return 3;
	printf("accepted fd = %d\n", s);
	say("accepted send", send(s, "one", 3, MSG_NOSIGNAL));
	int d = dup(s);
	printf("dup fd = %d\n", d);
	say("dup send", send(d, "two", 3, MSG_NOSIGNAL));
	close(d);
	close(s);
	char buf[16] = { 0 };
	size_t got = 0;
	ssize_t r;
	while (got < sizeof buf - 1 && (r = recv(c, buf + got, sizeof buf - 1 - got, 0)) > 0)
		got += (size_t)r;
	printf("client got = '%s'\n", buf);
	return 0;
}

static int forks(int n)
{
	static pid_t kids[4096];
	int made = 0, err = 0;
	if (n > 4096)
		n = 4096;
	for (; made < n; made++) {
		pid_t c = fork();
		if (c < 0) {
			err = errno;
			break;
		}
		if (c == 0) {
			sleep(10);
			_exit(0);
		}
		kids[made] = c;
	}
	printf("forks = %d, then %s\n", made, !err ? "none failed" : err == EAGAIN ? "EAGAIN" : strerror(err));
	for (int i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < made; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

static int eintr_pair[2];

static double alarm_ns;

static void on_alarm(int sig)
{
	(void)sig;
	if (!ints++)
		alarm_ns = now_ns();
}

static void *late_send(void *arg)
{
	(void)arg;
	usleep(800000);
	if (send(eintr_pair[0], "hello", 5, 0) != 5)
		printf("late send failed\n");
	return NULL;
}

static int eintr(int restart, int timeo)
{
	struct timeval tv = { 5, 0 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, eintr_pair) < 0 ||
	    (timeo && setsockopt(eintr_pair[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0))
		return 3;
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, late_send, NULL) != 0)
		return 3;
	struct itimerval it = { .it_value = { 0, 200000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	char buf[8];
	double t0 = now_ns();
	ssize_t r = recv(eintr_pair[1], buf, sizeof buf, 0);
	int err = errno;
	double ms = (now_ns() - t0) / 1e6;
	errno = err;
	say("recv", r);
	printf("after = %s\n", ms < 600 ? "early" : "late");
	printf("handled = %d, %s\n", (int)ints, ints && (alarm_ns - t0) / 1e6 < 600 ? "at once" : "late");
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "msgs") == 0)
		return msgs();
	if (argc >= 4 && strcmp(argv[1], "launch") == 0)
		return launch(atoi(argv[2]), argv + 3);
	if (argc == 2 && strcmp(argv[1], "daemon") == 0) {
		pid_t c = fork();
		if (c < 0)
			return 3;
		if (c == 0) {
			close(1);
			sleep(3);
			_exit(0);
		}
		printf("daemon = started\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "forks") == 0)
		return forks(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "serve") == 0)
		return serve();
	if (argc == 3 && strcmp(argv[1], "block") == 0)
		return block(argv[2]);
	if (argc == 3 && strcmp(argv[1], "inherited") == 0)
		return use_inherited(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "eintr") == 0)
		return eintr(strcmp(argv[2], "interrupt") != 0, strcmp(argv[2], "timeout") == 0);
	if (argc == 3 &&
	    (strcmp(argv[1], "watch") == 0 || strcmp(argv[1], "forkwatch") == 0 || strcmp(argv[1], "forklate") == 0)) {
		pid_t first = getpid();
		if (argv[1][0] == 'f') {
			pid_t c = fork();
			if (c < 0)
				return 3;
			if (c > 0) {
				int st;
				waitpid(c, &st, 0);
				printf("child = %s\n", WIFSIGNALED(st) ? "killed" : "exited");
				return 0;
			}
		}
		/* Written atomically: the script reads it as soon as it exists. */
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
		FILE *f = fopen(tmp, "w");
		if (!f)
			return 3;
		fprintf(f, "%d %d\n", (int)first, (int)getpid());
		fclose(f);
		rename(tmp, argv[2]);
		if (strcmp(argv[1], "forklate") == 0)
			sleep(1);
		for (int i = 0; i < 500; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0) {
				printf("socket = %s\n", strerror(errno));
				fflush(stdout);
			} else {
				close(fd);
			}
			usleep(20000);
		}
		printf("watch = done\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "cloexec") == 0) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(argv[2])),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0 || write(fd, "hello", 5) != 5)
			return 3;
		printf("cloexec = sent, fd %d\n", fd);
		fflush(stdout);
		execl("/proc/self/exe", "tstatic", "sleep", "3", (char *)NULL);
		return 4;
	}
	if (argc == 3 && strcmp(argv[1], "pid") == 0) {
		printf("pid = %d\n", (int)getpid());
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(argv[2])),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int r = connect(fd, (struct sockaddr *)&a, sizeof a);
		printf("connect = %s\n", r == 0 ? "0" : strerror(errno));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "sleep") == 0) {
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "signals") == 0) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 3;
		fputs("ready\n", f);
		fclose(f);
		for (int i = 0; i < 500 && !ints && !terms; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd >= 0)
				close(fd);
			usleep(20000);
		}
		usleep(300000);
		printf("signals = INT %d TERM %d\n", (int)ints, (int)terms);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		printf("socket after = %s\n", fd >= 0 ? "ok" : strerror(errno));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "uring") == 0) {
		char params[120] = { 0 };
		long r = syscall(SYS_io_uring_setup, 4, params);
		printf("io_uring_setup = %ld %s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : strerror(errno));
		return 0;
	}
	if (argc == 3 && (strcmp(argv[1], "files") == 0 || strcmp(argv[1], "calls") == 0)) {
		long n = atol(argv[2]);
		int files = argv[1][0] == 'f';
		int fd = files ? open("/dev/null", O_WRONLY) : socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || n <= 0)
			return 3;
		char c = 0;
		int type;
		socklen_t len = sizeof type;
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (files ? write(fd, &c, 1) != 1 : getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
				return 4;
		printf("%s = %.0f ns per call (fd %d)\n", argv[1], (now_ns() - t0) / (double)n, fd);
		return 0;
	}
	fprintf(stderr, "usage: tstatic watch FILE | forkwatch FILE | forklate FILE | block FILE | signals FILE | "
			"uring | cloexec PORT | sleep N | pid PORT | files N | calls N | msgs | serve | forks N | "
			"daemon | launch FD CMD... | inherited FD | eintr restart|interrupt|timeout\n");
	return 2;
}
