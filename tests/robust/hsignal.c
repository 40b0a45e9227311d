/* Signal handlers that make socket calls while the thread they interrupted
 * is inside the library.
 *
 *   hsignal [-n SENDS] [-m CHURN]
 *
 * Three loopback connections: D (the script delays every send to it, so
 * the main thread spends its time inside the library), H (the handler's:
 * a rule that never fires keeps its calls on the library's slow path) and
 * F (the handler's too, with a rule that fires: EIO). Another thread sends
 * SIGUSR1 to the main thread every millisecond. The handler calls send()
 * on H and F, write() on H and write() on stdout (one '.').
 *
 * Phase 0: the main thread sleeps (outside the library) for 200 ms: the
 * handler's calls take the library's path, and F's rule fires. Phase 1:
 * the main thread makes SENDS delayed sends on D. Phase 2: for at least
 * 500 ms and CHURN times, it creates and closes sockets (records allocated
 * under the library's lock) while the handler does the same. A handler call
 * that took the library's path while the thread was already inside would
 * deadlock or corrupt its state; a nested call must go straight to libc.
 *
 * Prints the handler's counts; "UNEXPECTED: ..." (exit 1) if a handler call
 * failed other than as the rules say, or the main thread's calls did. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hutil.h"

static int dc, ds, hc, hs, fc, fs;
static volatile sig_atomic_t in_library_call;
static volatile sig_atomic_t main_phase;

/* Written by the handler (on the main thread), read after the signals stop. */
static volatile sig_atomic_t sigs, nested, h_send_ok, h_write_ok, h_stdout_ok, f_ok, f_eio, h_bad, h_sock_ok;
static volatile sig_atomic_t h_bad_what, h_bad_errno;

static void bad(int what, int err)
{
	h_bad++;
	h_bad_what = what;
	h_bad_errno = err;
}

static void on_usr1(int sig)
{
	(void)sig;
	int saved = errno;
	sigs++;
	if (in_library_call)
		nested++;
	char b = 'h';
	ssize_t r = send(hs, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r == 1)
		h_send_ok++;
	else
		bad(1, errno);
	r = write(hs, &b, 1);
	if (r == 1)
		h_write_ok++;
	else
		bad(2, errno);
	r = send(fs, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r == 1)
		f_ok++; /* nested: straight to libc, no rule applies */
	else if (r == -1 && errno == EIO)
		f_eio++;
	else
		bad(3, errno);
	r = write(1, ".", 1);
	if (r == 1)
		h_stdout_ok++;
	else
		bad(4, errno);
	if (main_phase == 2) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && close(fd) == 0)
			h_sock_ok++;
		else
			bad(5, errno);
	}
	errno = saved;
}

static int stop_kicker;

static void *kicker(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	/* Bounded: the main thread stops it, and it gives up after 60 s. */
	for (int i = 0; i < 60000 && !__atomic_load_n(&stop_kicker, __ATOMIC_ACQUIRE); i++) {
		pthread_kill(main_thread, SIGUSR1);
		tn_sleep_ms(1);
	}
	return NULL;
}

static long drain(int fd)
{
	char buf[4096];
	long total = 0, r;
	while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		total += r;
	return total;
}

int main(int argc, char **argv)
{
	int nsends = 20, churn = 3000, opt;
	tn_init();
	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n')
			nsends = atoi(optarg);
		else if (opt == 'm')
			churn = atoi(optarg);
		else
			tn_setup_fail("usage: hsignal [-n SENDS] [-m CHURN]");
	}
	/* D to 127.0.0.1 (delayed), H to 127.0.0.2, F to 127.0.0.3 (EIO). The
	 * receiving ends are the ones the calls are made on (hs, fs), so the
	 * client ends stay unread and nothing blocks. */
	if (hu_tcp_pair("127.0.0.1", &dc, &ds) < 0 || hu_tcp_pair("127.0.0.2", &hs, &hc) < 0 ||
	    hu_tcp_pair("127.0.0.3", &fs, &fc) < 0)
		tn_setup_fail("connections");
	/* Output arrives as the handler writes it: stdout unbuffered. */
	setvbuf(stdout, NULL, _IONBF, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the interrupted calls see the signal as they would. */
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);

	pthread_t self = pthread_self(), kt;
	if (pthread_create(&kt, NULL, kicker, &self) != 0)
		tn_setup_fail("pthread_create");

	int main_bad = 0;
	main_phase = 0;
	tn_sleep_ms(200);
	int outside_eio = f_eio;
	char payload[100];
	memset(payload, 'd', sizeof payload);
	double t0 = tn_now_ms();
	main_phase = 1;
	for (int i = 0; i < nsends; i++) {
		in_library_call = 1;
		ssize_t r = send(dc, payload, sizeof payload, MSG_NOSIGNAL);
		int err = errno;
		in_library_call = 0;
		if (r != (ssize_t)sizeof payload) {
			printf("\nUNEXPECTED: delayed send %d = %ld %s\n", i, (long)r, tn_errname(err));
			main_bad++;
		}
		/* Keep D's buffers from filling. */
		drain(ds);
	}
	double t1 = tn_now_ms();
	main_phase = 2;
	double t2 = tn_now_ms();
	int i;
	for (i = 0; i < churn || (tn_now_ms() - t2 < 500 && i < 100 * churn); i++) {
		in_library_call = 1;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int err = errno;
		int cr = fd >= 0 ? close(fd) : 0;
		in_library_call = 0;
		if (fd < 0 || cr != 0) {
			printf("\nUNEXPECTED: socket/close %d = %d %s\n", i, fd, tn_errname(err));
			main_bad++;
			break;
		}
	}
	main_phase = 0;
	__atomic_store_n(&stop_kicker, 1, __ATOMIC_RELEASE);
	pthread_join(kt, NULL);
	/* A signal sent to this thread is delivered when it returns from the
	 * kernel (the join at the latest); none may come after the counts. */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	long got_h = drain(hc), got_f = drain(fc);
	printf("\nphase0: f_eio=%d\n", outside_eio);
	printf("phase1: %d sends in %.0f ms\n", nsends, t1 - t0);
	printf("phase2: %d sockets\n", i);
	printf("signals=%d nested=%d\n", (int)sigs, (int)nested);
	printf("handler: send=%d write=%d stdout=%d sockets=%d f_ok=%d f_eio=%d bad=%d\n", (int)h_send_ok,
	       (int)h_write_ok, (int)h_stdout_ok, (int)h_sock_ok, (int)f_ok, (int)f_eio, (int)h_bad);
	printf("received: h=%ld f=%ld\n", got_h, got_f);
	if (h_bad)
		printf("UNEXPECTED: %d handler call(s) failed, the last: call %d errno %s\n", (int)h_bad,
		       (int)h_bad_what, tn_errname(h_bad_errno));
	if (got_h != (long)h_send_ok + h_write_ok)
		printf("UNEXPECTED: H received %ld bytes, the handler sent %d\n", got_h, (int)(h_send_ok + h_write_ok));
	if (got_f != (long)f_ok)
		printf("UNEXPECTED: F received %ld bytes, %d sends succeeded\n", got_f, (int)f_ok);
	close(dc), close(ds), close(hc), close(hs), close(fc), close(fs);
	return main_bad || h_bad || got_h != (long)h_send_ok + h_write_ok || got_f != (long)f_ok ? TN_EXIT_UNEXPECTED
												 : 0;
}
