/* The program that libhctor.so is preloaded into: main makes the same calls
 * as the constructor did (socket, connect to 127.0.0.1:PORT, send, close),
 * so that counting rules (when= per=process) show whether the calls of the
 * constructor and of main were counted by one library, initialised once.
 *
 *   hctor PORT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hutil.h"

int main(int argc, char **argv)
{
	tn_init();
	if (argc < 2)
		tn_setup_fail("usage: hctor PORT");
	struct tn_addr a;
	tn_loopback(&a, AF_INET, atoi(argv[1]));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	long r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	tn_report("main: connect", r, errno);
	if (r == 0) {
		r = send(fd, "main-hello", 10, MSG_NOSIGNAL);
		tn_report("main: send", r, errno);
	}
	TN_REPORT("main: close", close(fd));
	return 0;
}
