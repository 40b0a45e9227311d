/* A forking server: one child per connection, as inetd-style and
 * pre-fork servers do, for the process tree's draws.
 *
 *   tforksrv [-p PORT] [-n CONNS] [-t SECONDS] READYFILE
 *
 * Listens on 127.0.0.1:PORT (0, the default: a port of the kernel's
 * choosing; the port is written to READYFILE), accepts CONNS connections one after the other; for each a
 * child reads once, answers "ok" if it read, and prints
 *   conn K: read OUTCOME
 * The parent waits for each child before the next accept, so the lines
 * come in connection order. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tnet.h"

static void serve_one(int fd, int k)
{
	char buf[256];
	ssize_t r;
	do
		r = tn_recv_wait(fd, buf, sizeof buf, TN_WAIT_MS);
	while (r < 0 && errno == EAGAIN);
	int err = errno;
	printf("conn %d: read %s\n", k, tn_outcome(r, err));
	if (r > 0)
		tn_send_all(fd, "ok", 2);
	fflush(stdout);
	close(fd);
}

int main(int argc, char **argv)
{
	int conns = 10, seconds = 30, port = 0, opt;
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "p:n:t:")) != -1) {
		if (opt == 'p')
			port = atoi(optarg);
		else if (opt == 'n')
			conns = atoi(optarg);
		else if (opt == 't')
			seconds = atoi(optarg);
		else
			tn_setup_fail("usage: tforksrv [-p PORT] [-n CONNS] [-t SECONDS] READYFILE");
	}
	if (optind + 1 != argc)
		tn_setup_fail("usage: tforksrv [-p PORT] [-n CONNS] [-t SECONDS] READYFILE");
	alarm((unsigned)seconds);
	struct tn_addr a;
	tn_loopback(&a, AF_INET, port);
	int ls = tn_bind_listen(&a, SOCK_STREAM);
	if (ls < 0)
		tn_setup_fail("listen");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[optind]);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", tn_local_port(ls)) < 0 || fclose(f) != 0 || rename(tmp, argv[optind]) != 0)
		tn_setup_fail("cannot write %s", argv[optind]);
	for (int k = 1; conns == 0 || k <= conns; k++) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			printf("conn %d: accept %s\n", k, tn_outcome(-1, errno));
			continue;
		}
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			tn_setup_fail("fork");
		if (pid == 0) {
			close(ls);
			serve_one(fd, k);
			_exit(0);
		}
		close(fd);
		waitpid(pid, NULL, 0);
	}
	return tn_exit_status();
}
