/* A library whose constructor makes socket calls: preloaded next to
 * libsockfault.so, in the order that runs this constructor first, its calls
 * reach the library before the library's own constructor has run (as with
 * a logging or tracing library that connects to its collector at load).
 *
 * With HCTOR_PORT set, the constructor makes a socket, connects to
 * 127.0.0.1:HCTOR_PORT, sends "ctor-hello" and closes, and reports each
 * result on stderr ("hctor: connect = 0", "hctor: send = -1 EIO"). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The few errnos the rules here give (strerrorname_np is glibc's only). */
static const char *errname(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EIO:
		return "EIO";
	case EMFILE:
		return "EMFILE";
	case ECONNRESET:
		return "ECONNRESET";
	default:
		return "E?";
	}
}

static void say(const char *what, long r, int err)
{
	char line[128];
	int n;
	if (r < 0)
		n = snprintf(line, sizeof line, "hctor: %s = %ld %s\n", what, r, errname(err));
	else
		n = snprintf(line, sizeof line, "hctor: %s = %ld\n", what, r);
	/* stdio may not be ready for us; a plain write to stderr always is. */
	if (n > 0 && write(2, line, (size_t)n) < 0)
		return;
}

__attribute__((constructor)) static void hctor_init(void)
{
	const char *port = getenv("HCTOR_PORT");
	if (!port)
		return;
	say("constructor", 0, 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	say("socket", fd < 0 ? -1 : 0, errno);
	if (fd < 0)
		return;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long r = connect(fd, (struct sockaddr *)&a, sizeof a);
	say("connect", r, errno);
	if (r == 0) {
		r = send(fd, "ctor-hello", 10, MSG_NOSIGNAL);
		say("send", r, errno);
	}
	r = close(fd);
	say("close", r, errno);
}
