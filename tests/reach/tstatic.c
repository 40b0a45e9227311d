/* A small static program for the supervisor's own tests (linked with
 * musl-gcc -static by the scripts):
 *
 *   tstatic watch FILE   write its pid (twice) to FILE, then make a
 *                        socket every 20 ms for 10 s, saying so if one fails
 *   tstatic forkwatch FILE  the same as watch in a forked child; FILE gets
 *                        the parent's pid and the child's
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
 *   tstatic calls N      N getsockopt(SO_TYPE) on a socket: ns per call */
#include <errno.h>
#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

int main(int argc, char **argv)
{
	if (argc == 3 && (strcmp(argv[1], "watch") == 0 || strcmp(argv[1], "forkwatch") == 0)) {
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
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
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
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
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
	fprintf(stderr, "usage: tstatic watch FILE | forkwatch FILE | signals FILE | uring | cloexec PORT | sleep N | pid PORT | files N | calls N\n");
	return 2;
}
