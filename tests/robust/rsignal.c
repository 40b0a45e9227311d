/* Signals and threads: what a program's signal handlers, timers and
 * namespaces may do while the library lives in it.
 *
 *   rsignal longjmp-quick|longjmp-slow
 *       A signal handler siglongjmps out of a call the library is in (a
 *       recv blocked in the kernel on the quick lane; a send sleeping in a
 *       `delay`). The thread's later calls must still be faulted (a send a
 *       rule fails) and its closes tracked (a file on the socket's number
 *       is not the socket). Then the same from a signal handler running on
 *       an alternate stack, and a handler that makes a nested call.
 *   rsignal nested-sendto
 *       An unconnected UDP socket sends to a receiver; a signal handler
 *       sends to it again while the program's recv waits in the library
 *       (a nested call); then the program sends twice more: prints each
 *       send's result (the nested send is not the program's to count).
 *   rsignal itimer N
 *       A 50 us interval timer runs while N sends are each delayed 100 ms;
 *       prints "elapsed: MS".
 *   rsignal unshare
 *       Socket calls, then unshare(CLONE_NEWUSER), which fails with EINVAL
 *       in a process with more than one thread.
 *
 * Exit 0 as expected, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hutil.h"

static sigjmp_buf jump;
static volatile sig_atomic_t nested_fd = -1;
static volatile long nested_r;
static volatile int nested_e;

static void jump_out(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

/* A nested call: the library is under way in the interrupted code. */
static void nested_send(int sig)
{
	(void)sig;
	int e = errno;
	nested_r = send(nested_fd, "n", 1, MSG_NOSIGNAL);
	nested_e = errno;
	errno = e;
}

static void arm(void (*fn)(int), int on_altstack, int ms)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = on_altstack ? SA_ONSTACK : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A send made from frames far below the one the jump left: levels of 256
 * bytes each, written (a frame that leaves the abandoned call's image in
 * place cannot be told from the live call: sockfault(1)). Not instrumented
 * by ASan: its redzones around each level are never written, and one of
 * them may hold the abandoned call's image where the library's own frames
 * put it. */
static __attribute__((noinline, no_sanitize_address)) long deep_send(int c, int levels)
{
	volatile char pad[256];
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (char)levels;
	if (levels > 0)
		return deep_send(c, levels - 1) + pad[0] - (char)levels;
	return send(c, "x", 1, MSG_NOSIGNAL);
}

/* After the jump: the thread is not "inside the library" any more. */
static void check_after(const char *when, int c)
{
	char what[96];
	/* First from deeper in the stack than the abandoned call, then from
	 * where it was made. */
	snprintf(what, sizeof what, "%s: send from 8 KiB deeper", when);
	TN_CHECK(what, deep_send(c, 32), "EIO");
	snprintf(what, sizeof what, "%s: send", when);
	TN_CHECK(what, send(c, "x", 1, MSG_NOSIGNAL), "EIO");
	/* The close is tracked: a file on the same number is no socket. */
	close(c);
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || (fd != c && dup2(fd, c) < 0))
		tn_setup_fail("/dev/null");
	if (fd != c)
		close(fd);
	snprintf(what, sizeof what, "%s: write to a file on its number", when);
	TN_CHECK(what, write(c, "p", 1), "ok");
	close(c);
}

static int longjmp_case(const char *how)
{
	static char alt[64 * 1024];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
	if (sigaltstack(&ss, NULL) != 0)
		tn_setup_fail("sigaltstack");
	const char *when[] = { "after a jump", "after a jump from the alternate stack" };
	for (int round = 0; round < 2; round++) {
		int c, s;
		if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
			tn_setup_fail("tcp pair");
		arm(jump_out, round, 100);
		if (sigsetjmp(jump, 1) == 0) {
			char b[4];
			if (!strcmp(how, "longjmp-quick"))
				recv(c, b, sizeof b, 0); /* blocks: no data */
			else
				send(c, "d", 1, MSG_NOSIGNAL); /* sleeps 10 s in a delay */
			tn_unexpected("%s: the call returned before the signal", how);
		}
		check_after(when[round], c);
		close(s);
	}
	/* A truly nested call still goes straight through: the send from the
	 * handler while the program's send sleeps in its delay is neither
	 * faulted nor delayed. */
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("tcp pair");
	nested_fd = c;
	nested_r = -2;
	arm(nested_send, 0, 100);
	double t0 = tn_now_ms();
	if (!strcmp(how, "longjmp-slow"))
		send(c, "d", 1, MSG_NOSIGNAL);
	else {
		char b[4];
		recv(c, b, sizeof b, 0);
	}
	(void)t0;
	tn_report("nested: send", nested_r, nested_e);
	return tn_exit_status();
}

static volatile sig_atomic_t nested_udp = -1;
static struct tn_addr nested_to;

static void nested_sendto(int sig)
{
	(void)sig;
	int e = errno;
	/* The address on the stack, where programs keep theirs. */
	struct sockaddr_storage to = nested_to.ss;
	nested_r = sendto(nested_udp, "n", 1, 0, (struct sockaddr *)&to, nested_to.len);
	nested_e = errno;
	errno = e;
}

static int nested_sendto_case(void)
{
	int rx = hu_bind_on("127.0.0.1", SOCK_DGRAM, &nested_to);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int c, s;
	if (rx < 0 || u < 0 || hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("sockets");
	struct sockaddr_storage to = nested_to.ss;
	TN_REPORT("sendto", sendto(u, "a", 1, 0, (struct sockaddr *)&to, nested_to.len));
	nested_udp = u;
	nested_r = -2;
	arm(nested_sendto, 0, 100);
	char b[4];
	recv(c, b, sizeof b, 0); /* waits in the library until the signal */
	tn_report("nested: sendto", nested_r, nested_e);
	TN_REPORT("sendto", sendto(u, "b", 1, 0, (struct sockaddr *)&to, nested_to.len));
	TN_REPORT("sendto", sendto(u, "c", 1, 0, (struct sockaddr *)&to, nested_to.len));
	return tn_exit_status();
}

static void tick(int sig)
{
	(void)sig;
}

static int itimer_case(int n)
{
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("tcp pair");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tick;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	setitimer(ITIMER_REAL, &it, NULL);
	double t0 = tn_now_ms();
	for (int i = 0; i < n; i++)
		if (send(c, "x", 1, MSG_NOSIGNAL) != 1)
			tn_unexpected("send %d failed", i);
	double t = tn_now_ms() - t0;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("elapsed: %.0f\n", t);
	return tn_exit_status();
}

static int unshare_case(void)
{
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("tcp pair");
	TN_REPORT("send", send(c, "x", 1, MSG_NOSIGNAL));
	char b[4];
	TN_REPORT("recv", recv(s, b, sizeof b, 0));
	/* Long enough for any thread the library would start to be there. */
	tn_sleep_ms(600);
	TN_REPORT("send", send(c, "y", 1, MSG_NOSIGNAL));
	TN_CHECK("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), "ok");
	return tn_exit_status();
}

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strncmp(mode, "longjmp-", 8))
		return longjmp_case(mode);
	if (!strcmp(mode, "nested-sendto"))
		return nested_sendto_case();
	if (!strcmp(mode, "itimer") && argc > 2)
		return itimer_case(atoi(argv[2]));
	if (!strcmp(mode, "unshare"))
		return unshare_case();
	fprintf(stderr, "usage: rsignal longjmp-quick|longjmp-slow|nested-sendto|itimer N|unshare\n");
	return 3;
}
