/* A Winsock client for the Wine tests (tests/reach/wine.sh): built with
 * x86_64-w64-mingw32-gcc, run under wine64 with the library preloaded. It
 * plays the steps of its command line on one TCP socket to 127.0.0.1:PORT
 * and prints one line per call: the step, the call's result and, when the
 * call failed, WSAGetLastError() by name and number, e.g.
 *
 *   connect = -1 WSAECONNREFUSED 10061
 *
 *   wclient PORT STEP...
 *     socket        a new TCP socket (the first step does it implicitly)
 *     nonblock      ioctlsocket FIONBIO 1
 *     connect       connect() to 127.0.0.1:PORT
 *     select MS     select() for write and except -> "select = N w=W e=E"
 *     soerror       getsockopt SO_ERROR -> "soerror = CODE NAME"
 *     send TEXT     send() of TEXT -> "send = N"
 *     recv MS       recv() after waiting at most MS ms for it to be
 *                   readable (select) -> "recv = N TEXT" or the error
 *     brecv         recv() at once: a blocking socket waits in it
 *     sleep MS      Sleep(MS)
 *     clock         the milliseconds since Windows started -> "clock = N"
 *     close         closesocket()
 *
 * The Windows connect() documentation: a nonblocking connect fails with
 * WSAEWOULDBLOCK, a second connect() while it is pending with WSAEALREADY,
 * and one after it completed with WSAEISCONN. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int code;
	const char *name;
} names[] = {
	{ WSAEINTR, "WSAEINTR" },
	{ WSAEINVAL, "WSAEINVAL" },
	{ WSAEWOULDBLOCK, "WSAEWOULDBLOCK" },
	{ WSAEINPROGRESS, "WSAEINPROGRESS" },
	{ WSAEALREADY, "WSAEALREADY" },
	{ WSAENOTSOCK, "WSAENOTSOCK" },
	{ WSAEMSGSIZE, "WSAEMSGSIZE" },
	{ WSAEOPNOTSUPP, "WSAEOPNOTSUPP" },
	{ WSAEADDRINUSE, "WSAEADDRINUSE" },
	{ WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL" },
	{ WSAENETDOWN, "WSAENETDOWN" },
	{ WSAENETUNREACH, "WSAENETUNREACH" },
	{ WSAENETRESET, "WSAENETRESET" },
	{ WSAECONNABORTED, "WSAECONNABORTED" },
	{ WSAECONNRESET, "WSAECONNRESET" },
	{ WSAENOBUFS, "WSAENOBUFS" },
	{ WSAEISCONN, "WSAEISCONN" },
	{ WSAENOTCONN, "WSAENOTCONN" },
	{ WSAESHUTDOWN, "WSAESHUTDOWN" },
	{ WSAETIMEDOUT, "WSAETIMEDOUT" },
	{ WSAECONNREFUSED, "WSAECONNREFUSED" },
	{ WSAEHOSTDOWN, "WSAEHOSTDOWN" },
	{ WSAEHOSTUNREACH, "WSAEHOSTUNREACH" },
	{ WSAEDISCON, "WSAEDISCON" },
};

static const char *name_of(int code)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].code == code)
			return names[i].name;
	return "OTHER";
}

/* One line per call; flushed, so that a test sees every line even when
 * the program is killed by its watchdog. */
static void result(const char *step, int ret, int failed)
{
	if (failed) {
		int e = WSAGetLastError();
		printf("%s = %d %s %d\n", step, ret, name_of(e), e);
	} else {
		printf("%s = %d\n", step, ret);
	}
	fflush(stdout);
}

static SOCKET new_socket(void)
{
	SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	result("socket", s == INVALID_SOCKET ? -1 : 0, s == INVALID_SOCKET);
	return s;
}

int main(int argc, char **argv)
{
	/* Lines end with \n, not \r\n: the transcript is read on Linux. */
	_setmode(_fileno(stdout), _O_BINARY);
	WSADATA wsa;
	if (argc < 2 || WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
		fprintf(stderr, "usage: wclient PORT STEP...\n");
		return 2;
	}
	struct sockaddr_in to = { 0 };
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)atoi(argv[1]));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	SOCKET s = INVALID_SOCKET;

	for (int i = 2; i < argc; i++) {
		const char *step = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : "0";
		if (strcmp(step, "socket") == 0) {
			s = new_socket();
			continue;
		}
		if (s == INVALID_SOCKET)
			s = new_socket();
		if (strcmp(step, "nonblock") == 0) {
			u_long on = 1;
			int r = ioctlsocket(s, FIONBIO, &on);
			result(step, r, r != 0);
		} else if (strcmp(step, "connect") == 0) {
			int r = connect(s, (struct sockaddr *)&to, sizeof to);
			result(step, r, r != 0);
		} else if (strcmp(step, "select") == 0) {
			fd_set w, e;
			FD_ZERO(&w);
			FD_ZERO(&e);
			FD_SET(s, &w);
			FD_SET(s, &e);
			int ms = atoi(arg);
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
			int r = select(0, NULL, &w, &e, &tv);
			if (r < 0)
				result(step, r, 1);
			else
				printf("select = %d w=%d e=%d\n", r, FD_ISSET(s, &w) ? 1 : 0, FD_ISSET(s, &e) ? 1 : 0);
			fflush(stdout);
			i++;
		} else if (strcmp(step, "soerror") == 0) {
			int err = 0, len = sizeof err;
			int r = getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len);
			if (r != 0)
				result(step, r, 1);
			else
				printf("soerror = %d %s\n", err, err ? name_of(err) : "0");
			fflush(stdout);
		} else if (strcmp(step, "send") == 0) {
			int r = send(s, arg, (int)strlen(arg), 0);
			result(step, r, r < 0);
			i++;
		} else if (strcmp(step, "recv") == 0) {
			fd_set rd;
			FD_ZERO(&rd);
			FD_SET(s, &rd);
			int ms = atoi(arg);
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
			select(0, &rd, NULL, NULL, &tv);
			char buf[256];
			int r = recv(s, buf, sizeof buf - 1, 0);
			if (r > 0) {
				buf[r] = '\0';
				printf("recv = %d %s\n", r, buf);
				fflush(stdout);
			} else {
				result(step, r, r < 0);
			}
			i++;
		} else if (strcmp(step, "brecv") == 0) {
			char buf[256];
			int r = recv(s, buf, sizeof buf - 1, 0);
			if (r > 0) {
				buf[r] = '\0';
				printf("brecv = %d %s\n", r, buf);
				fflush(stdout);
			} else {
				result(step, r, r < 0);
			}
		} else if (strcmp(step, "sleep") == 0) {
			Sleep((DWORD)atoi(arg));
			i++;
		} else if (strcmp(step, "clock") == 0) {
			printf("clock = %llu\n", (unsigned long long)GetTickCount64());
			fflush(stdout);
		} else if (strcmp(step, "close") == 0) {
			int r = closesocket(s);
			result(step, r, r != 0);
			s = INVALID_SOCKET;
		} else {
			fprintf(stderr, "wclient: unknown step '%s'\n", step);
			return 2;
		}
	}
	WSACleanup();
	return 0;
}
