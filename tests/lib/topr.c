/* The program under test for the operating features: hot reload (it edits
 * its own rules file and times how soon the new rules bite), a reload storm,
 * and threads whose faults must not depend on the scheduling.
 *
 *   topr watch TARGET STEP...
 *   topr storm [-t THREADS] [-s SECONDS] TARGET
 *   topr rewrite [-n MAX] [-i MS] [-t SECONDS] [-s STOPFILE] [-b BAD [-e MS]] DST SRC...
 *   topr threads [-j JITTER_SEED] [-c CONNS] [-n CALLS] TARGET...
 *
 * Output is one line per observation, in the style of tclient
 * ("send = -1 ECONNRESET"); exit status as tnet.h says (0, 1 unexpected,
 * 3 setup). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tnet.h"

static void usage(void)
{
	fputs("usage: topr SUBCOMMAND ...\n"
	      "  watch TARGET STEP...      send every 10 ms on one connection, and in order:\n"
	      "      copy:SRC:DST          replace DST by a copy of SRC (write aside, rename)\n"
	      "      over:SRC:DST          rewrite DST in place with the bytes of SRC\n"
	      "      remove:DST            remove DST\n"
	      "      until:OUTCOME:MS      send until a send gives OUTCOME (ok or an errno name)\n"
	      "      hold:OUTCOME:MS       every send for MS ms must give OUTCOME\n"
	      "  storm [-t THREADS] [-s SECONDS] TARGET   socket calls in a loop, in threads\n"
	      "  rewrite [-n MAX] [-i MS] [-t SECONDS] [-s STOPFILE] [-b BAD [-e MS]] DST SRC...\n"
	      "                            rewrite DST with each SRC in turn (and BAD every MS)\n"
	      "  threads [-j SEED] [-c CONNS] [-n CALLS] TARGET...  a thread per target\n",
	      stdout);
	exit(TN_EXIT_SETUP);
}

/* --- watch: the rules file changes under a running program --- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		tn_setup_fail("cannot read %s", path);
	char *buf = malloc(65536);
	if (!buf)
		tn_setup_fail("malloc");
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void put_file(const char *src, const char *dst, int in_place)
{
	size_t len;
	char *text = slurp(src, &len);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.new", dst);
	const char *path = in_place ? dst : tmp;
	/* In place: O_TRUNC and one write, as an editor that does not rename
	 * would do it. Aside: a new inode renamed over the old one. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0)
		tn_setup_fail("cannot write %s", path);
	if (!in_place && rename(tmp, dst) != 0)
		tn_setup_fail("cannot rename %s", tmp);
	free(text);
}

static const char *send_once(int fd)
{
	ssize_t r = send(fd, "w", 1, MSG_NOSIGNAL);
	return tn_outcome(r, errno);
}

/* Each step prints its own line; the times are from the end of the last
 * file change, which is what the reload look (every 250 ms) can see. */
static int cmd_watch(int argc, char **argv)
{
	if (argc < 3)
		usage();
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	double changed = tn_now_ms();
	for (int i = 2; i < argc; i++) {
		char step[4200];
		snprintf(step, sizeof step, "%s", argv[i]);
		char *verb = strtok(step, ":"), *x = strtok(NULL, ":"), *y = strtok(NULL, ":");
		if (!verb || !x)
			usage();
		if (strcmp(verb, "copy") == 0 || strcmp(verb, "over") == 0) {
			if (!y)
				usage();
			put_file(x, y, verb[0] == 'o');
			changed = tn_now_ms();
			printf("step %d: %s %s\n", i - 1, verb, x);
		} else if (strcmp(verb, "remove") == 0) {
			if (unlink(x) != 0)
				tn_setup_fail("unlink %s", x);
			changed = tn_now_ms();
			printf("step %d: removed\n", i - 1);
		} else if (strcmp(verb, "until") == 0 || strcmp(verb, "hold") == 0) {
			if (!y)
				usage();
			int ms = atoi(y), calls = 0, other = 0;
			char first_other[24] = "";
			double t0 = tn_now_ms(), end = t0 + ms;
			int seen = 0;
			while (tn_now_ms() < end) {
				const char *o = send_once(fd);
				calls++;
				if (strcmp(o, x) == 0) {
					if (verb[0] == 'u') {
						seen = 1;
						break;
					}
				} else if (!other++) {
					snprintf(first_other, sizeof first_other, "%s", o);
				}
				tn_sleep_ms(10);
			}
			if (verb[0] == 'u') {
				if (seen)
					printf("step %d: %s after %d ms (%d calls)\n", i - 1, x,
					       (int)(tn_now_ms() - changed), calls);
				else
					tn_unexpected("step %d: no %s in %d ms (%d calls)", i - 1, x, ms, calls);
			} else {
				printf("step %d: hold %s for %d ms: %d calls, %d other%s%s\n", i - 1, x, ms, calls,
				       other, other ? " first " : "", other ? first_other : "");
				if (other)
					tn_unexpected("step %d: %d of %d calls were not %s", i - 1, other, calls, x);
			}
		} else {
			usage();
		}
	}
	close(fd);
	return 0;
}

/* --- rewrite: the writer of the storm, never preloaded --- */

/* A program rather than a shell loop: under the storm's load, a loop that
 * forks cp and mv for every rewrite manages too few of them. The sources
 * are written in turn, two of three by rename and one in place; with -b,
 * every -e ms the bad file is put in place and kept for 400 ms, long enough
 * for the reload look (every 250 ms) to see it. */
static int cmd_rewrite(int argc, char **argv)
{
	int max = 500, interval = 5, seconds = 30, every = 1000, opt;
	const char *stop = NULL, *bad = NULL;
	while ((opt = getopt(argc, argv, "n:i:t:s:b:e:")) != -1) {
		if (opt == 'n')
			max = atoi(optarg);
		else if (opt == 'i')
			interval = atoi(optarg);
		else if (opt == 't')
			seconds = atoi(optarg);
		else if (opt == 's')
			stop = optarg;
		else if (opt == 'b')
			bad = optarg;
		else if (opt == 'e')
			every = atoi(optarg);
		else
			usage();
	}
	if (optind + 1 >= argc || max < 1 || every < 1)
		usage();
	const char *dst = argv[optind];
	int nsrc = argc - optind - 1, n = 0, nbad = 0;
	double t0 = tn_now_ms(), end = t0 + seconds * 1000.0, next_bad = t0 + every;
	struct stat st;
	while (n < max && tn_now_ms() < end && !(stop && stat(stop, &st) == 0)) {
		if (bad && tn_now_ms() >= next_bad) {
			put_file(bad, dst, 0);
			nbad++;
			tn_sleep_ms(400);
			next_bad = tn_now_ms() + every;
		}
		put_file(argv[optind + 1 + n % nsrc], dst, n % 3 == 2);
		n++;
		tn_sleep_ms(interval);
	}
	printf("rewrites = %d\n", n);
	printf("bad = %d\n", nbad);
	return 0;
}

/* --- storm: threads making socket calls while the rules are replaced --- */

enum { O_OK, O_RESET, O_REFUSED, O_TIMEDOUT, O_PIPE, O_AGAIN, O_NOTCONN, O_OTHER, O__N };
static const char *const onames[O__N] = { "ok",	   "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT",
					  "EPIPE", "EAGAIN",	 "ENOTCONN",	 "other" };

struct stormer {
	pthread_t t;
	int id;
	struct tn_addr a;
	double deadline;
	long iterations;
	long count[O__N];
	int other_err; /* one errno counted as "other"; -1: none */
};

static void tally(struct stormer *s, long r, int err)
{
	int k = O_OTHER;
	if (r >= 0)
		k = O_OK;
	else if (err == ECONNRESET)
		k = O_RESET;
	else if (err == ECONNREFUSED)
		k = O_REFUSED;
	else if (err == ETIMEDOUT)
		k = O_TIMEDOUT;
	else if (err == EPIPE)
		k = O_PIPE;
	else if (err == EAGAIN)
		k = O_AGAIN;
	else if (err == ENOTCONN)
		k = O_NOTCONN;
	else
		s->other_err = err;
	s->count[k]++;
}

static void *storm_main(void *arg)
{
	struct stormer *s = arg;
	char buf[64];
	/* Bounded by time and by count: a hang shows as a missing line. */
	for (long i = 0; i < 1000000 && tn_now_ms() < s->deadline; i++) {
		s->iterations++;
		int fd = socket(s->a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			tally(s, -1, errno);
			continue;
		}
		int r = connect(fd, (struct sockaddr *)&s->a.ss, s->a.len);
		tally(s, r, errno);
		if (r == 0) {
			ssize_t n = send(fd, "storm!", 6, MSG_NOSIGNAL);
			tally(s, n, errno);
			if (n > 0) {
				n = tn_recv_wait(fd, buf, sizeof buf, 200);
				tally(s, n, errno);
			}
			/* The calls that keep the records right go through the
			 * rules too: a dup, its close, a peer name. */
			if (i % 4 == 0) {
				int d = dup(fd);
				if (d >= 0) {
					n = write(d, "d", 1);
					tally(s, n, errno);
					close(d);
				}
				struct sockaddr_storage ss;
				socklen_t l = sizeof ss;
				/* The call, then errno: not both as arguments. */
				int g = getpeername(fd, (struct sockaddr *)&ss, &l);
				tally(s, g, errno);
			}
			if (i % 16 == 0) {
				/* host= keeps a table of resolved names. */
				struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
				if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
					freeaddrinfo(res);
			}
		}
		close(fd);
	}
	return NULL;
}

static int cmd_storm(int argc, char **argv)
{
	int threads = 4, seconds = 5, opt;
	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		if (opt == 't')
			threads = atoi(optarg);
		else if (opt == 's')
			seconds = atoi(optarg);
		else
			usage();
	}
	if (optind >= argc || threads < 1 || threads > 16 || seconds < 1 || seconds > 60)
		usage();
	struct stormer s[16];
	memset(s, 0, sizeof s);
	double deadline = tn_now_ms() + seconds * 1000.0;
	/* A thread stuck inside the library (a deadlock, a lost wake-up) must
	 * not stall the suite: the alarm ends the process with SIGALRM. */
	alarm((unsigned)seconds + 20);
	for (int i = 0; i < threads; i++) {
		s[i].id = i;
		s[i].other_err = -1;
		s[i].deadline = deadline;
		s[i].a = tn_target(argc, argv, optind);
		if (pthread_create(&s[i].t, NULL, storm_main, &s[i]) != 0)
			tn_setup_fail("pthread_create");
	}
	long total[O__N] = { 0 }, iterations = 0;
	int other_err = -1;
	for (int i = 0; i < threads; i++) {
		pthread_join(s[i].t, NULL);
		iterations += s[i].iterations;
		if (s[i].other_err != -1)
			other_err = s[i].other_err;
		for (int k = 0; k < O__N; k++)
			total[k] += s[i].count[k];
	}
	printf("storm: %d threads, %ld iterations\n", threads, iterations);
	for (int k = 0; k < O__N; k++)
		printf("storm: %s %ld\n", onames[k], total[k]);
	if (other_err != -1)
		printf("storm: an other error: %s\n", other_err ? tn_errname(other_err) : "errno 0");
	return 0;
}

/* --- threads: each with its own peer, faults independent of scheduling --- */

#define MAX_THREADS 8
#define MAX_CALLS 200
#define MAX_CONNS 10

struct runner {
	pthread_t t;
	int id;
	struct tn_addr a;
	int conns, calls;
	unsigned jitter;
	pthread_barrier_t *start;
	char out[MAX_CONNS][MAX_CALLS * 13 + 32];
};

static unsigned order_next;
static unsigned char order[MAX_THREADS * MAX_CONNS * MAX_CALLS];

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	unsigned rs = r->jitter;
	pthread_barrier_wait(r->start);
	for (int c = 0; c < r->conns; c++) {
		char *o = r->out[c];
		int fd = tn_connect(&r->a, SOCK_STREAM);
		if (fd < 0) {
			snprintf(o, sizeof r->out[c], " connect %s", tn_errname(errno));
			continue;
		}
		for (int k = 0; k < r->calls; k++) {
			/* Random sleeps: the threads' calls interleave differently
			 * from run to run (and from jitter seed to jitter seed). */
			if (r->jitter)
				usleep((useconds_t)(rand_r(&rs) % 1500));
			ssize_t n = send(fd, "x", 1, MSG_NOSIGNAL);
			int err = errno;
			unsigned slot = __atomic_fetch_add(&order_next, 1, __ATOMIC_RELAXED);
			if (slot < sizeof order)
				order[slot] = (unsigned char)r->id;
			size_t used = strlen(o);
			snprintf(o + used, sizeof r->out[c] - used, " %s", tn_outcome(n, err));
		}
		close(fd);
	}
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	unsigned jitter = 0;
	int conns = 2, calls = 20, opt;
	while ((opt = getopt(argc, argv, "j:c:n:")) != -1) {
		if (opt == 'j')
			jitter = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'c')
			conns = atoi(optarg);
		else if (opt == 'n')
			calls = atoi(optarg);
		else
			usage();
	}
	int n = argc - optind;
	if (n < 1 || n > MAX_THREADS || conns < 1 || conns > MAX_CONNS || calls < 1 || calls > MAX_CALLS)
		usage();
	static struct runner r[MAX_THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		r[i].id = i;
		r[i].a = tn_target(argc, argv, optind + i);
		r[i].conns = conns;
		r[i].calls = calls;
		r[i].jitter = jitter ? jitter * 7919u + (unsigned)i : 0;
		r[i].start = &start;
		if (pthread_create(&r[i].t, NULL, runner_main, &r[i]) != 0)
			tn_setup_fail("pthread_create");
	}
	for (int i = 0; i < n; i++)
		pthread_join(r[i].t, NULL);
	for (int i = 0; i < n; i++)
		for (int c = 0; c < conns; c++)
			printf("thread %d conn %d:%s\n", i, c + 1, r[i].out[c]);
	/* Which thread made each call, in the order they were made: the
	 * scripts check that this differs between runs while the faults do
	 * not. */
	unsigned total = order_next < sizeof order ? order_next : (unsigned)sizeof order;
	printf("order = %08x (%u calls)\n", (unsigned)tn_fnv(TN_FNV_INIT, order, total), total);
	return 0;
}

static const struct tn_cmd cmds[] = {
	{ "watch", cmd_watch },
	{ "storm", cmd_storm },
	{ "rewrite", cmd_rewrite },
	{ "threads", cmd_threads },
};

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	return TN_RUN_CMD(cmds, argc - 1, argv + 1, usage);
}
