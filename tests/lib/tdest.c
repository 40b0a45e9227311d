/* The program under test for the destination cache of an unconnected UDP
 * socket (sockfault-rules(5): a datagram socket's rules about peers are
 * decided per destination): every verdict must be the one for the
 * destination of that very call, however the calls alternate.
 *
 *   tdest alternate [-m] [-t THREADS] [-r RULES -s NEWRULES | -c DEST [-d]] N DEST...
 *
 * Each thread sends N rounds of one datagram to each DEST (ADDR:PORT, or
 * [ADDR]:PORT for IPv6; all of one family) in turn, on one socket shared by all threads, with sendto (-m: sendmsg,
 * the destination in the header). With -r, after the rounds
 * the rules file RULES is replaced by a copy of NEWRULES (SOCKFAULT_RELOAD
 * reads it again), the program sends until the first DEST's outcome
 * changes (at most 5 s), and then sends N more rounds. With -c, after the
 * rounds the socket is connected to that DEST (which makes its plan
 * again: side=client holds from then on; -d: and then unconnected again,
 * with connect(2)'s AF_UNSPEC), and N more rounds are sent, to the same
 * destinations as before. Output: for each
 * phase and DEST (a DEST named twice counts once), "PHASE DEST: OUTCOME=N",
 * one line per outcome seen (ok, or the errno's strerror). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_DESTS 16
#define MAX_THREADS 8
#define MAX_ERRNO 256

static int fd;
static int ndests, rounds;
static struct sockaddr_storage dests[MAX_DESTS];
static socklen_t destlens[MAX_DESTS];
static const char *names[MAX_DESTS];
static int slot[MAX_DESTS]; /* the first DEST of the same name: where its outcomes go */
/* Outcomes per phase and destination: [0] ok, [e] errno e. */
static unsigned long seen[2][MAX_DESTS][MAX_ERRNO];
static int phase;
static int use_msg;

static void usage(void)
{
	fputs("usage: tdest alternate [-m] [-t THREADS] [-r RULES -s NEWRULES | -c DEST [-d]] N "
	      "ADDR:PORT|[ADDR6]:PORT...\n",
	      stderr);
	exit(2);
}

static int one(int d)
{
	/* The destination on this frame's stack, as programs keep it. */
	struct sockaddr_storage to = dests[d];
	ssize_t r;
	if (use_msg) {
		struct iovec v = { "x", 1 };
		struct msghdr m = { .msg_name = &to, .msg_namelen = destlens[d], .msg_iov = &v, .msg_iovlen = 1 };
		r = sendmsg(fd, &m, MSG_DONTWAIT);
	} else {
		r = sendto(fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&to, destlens[d]);
	}
	int e = r < 0 ? errno : 0;
	return e < MAX_ERRNO ? e : MAX_ERRNO - 1;
}

static void *runner(void *arg)
{
	(void)arg;
	for (int i = 0; i < rounds; i++)
		for (int d = 0; d < ndests; d++)
			__atomic_add_fetch(&seen[phase][slot[d]][one(d)], 1, __ATOMIC_RELAXED);
	return NULL;
}

static void run_phase(int threads)
{
	pthread_t t[MAX_THREADS];
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, runner, NULL) != 0) {
			perror("pthread_create");
			exit(3);
		}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
}

static void copy_file(const char *src, const char *dst)
{
	char buf[4096], tmp[4096];
	FILE *in = fopen(src, "r");
	snprintf(tmp, sizeof tmp, "%s.new", dst);
	FILE *out = fopen(tmp, "w");
	if (!in || !out) {
		perror("copy");
		exit(3);
	}
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out) != 0 || rename(tmp, dst) != 0) {
		perror("rename");
		exit(3);
	}
}

static void report(const char *title, int p)
{
	for (int d = 0; d < ndests; d++)
		for (int e = 0; e < MAX_ERRNO && slot[d] == d; e++)
			if (seen[p][d][e])
				printf("%s %s: %s=%lu\n", title, names[d], e ? strerror(e) : "ok", seen[p][d][e]);
}

/* ADDR:PORT or [ADDR6]:PORT into *ss: 0, not one. */
static int parse_dest(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	int v6 = arg[0] == '[';
	if (!colon || colon - arg < 2 + 2 * v6 || (size_t)(colon - arg) >= sizeof host || (v6 && colon[-1] != ']'))
		return 0;
	memcpy(host, arg + v6, (size_t)(colon - arg - 2 * v6));
	host[colon - arg - 2 * v6] = 0;
	uint16_t port = htons((uint16_t)atoi(colon + 1));
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		*len = sizeof *in6;
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	in->sin_family = AF_INET;
	in->sin_port = port;
	*len = sizeof *in;
	return inet_pton(AF_INET, host, &in->sin_addr) == 1;
}

int main(int argc, char **argv)
{
	int threads = 1, opt, dissolve = 0;
	const char *rules = NULL, *newrules = NULL, *conn = NULL;
	if (argc < 2 || strcmp(argv[1], "alternate") != 0)
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "mt:r:s:c:d")) != -1) {
		if (opt == 'm')
			use_msg = 1;
		else if (opt == 't')
			threads = atoi(optarg);
		else if (opt == 'r')
			rules = optarg;
		else if (opt == 's')
			newrules = optarg;
		else if (opt == 'c')
			conn = optarg;
		else if (opt == 'd')
			dissolve = 1;
		else
			usage();
	}
	if (argc - optind < 2 || threads < 1 || threads > MAX_THREADS || !rules != !newrules || (rules && conn) ||
	    (dissolve && !conn))
		usage();
	rounds = atoi(argv[optind++]);
	if (rounds < 1 || rounds > 100000)
		usage();
	for (; optind < argc && ndests < MAX_DESTS; optind++, ndests++) {
		if (!parse_dest(argv[optind], &dests[ndests], &destlens[ndests]))
			usage();
		if (dests[ndests].ss_family != dests[0].ss_family)
			usage();
		names[ndests] = argv[optind];
		slot[ndests] = ndests;
		for (int d = 0; d < ndests; d++)
			if (strcmp(names[d], names[ndests]) == 0 && slot[ndests] == ndests)
				slot[ndests] = d;
	}
	if (optind < argc)
		usage();
	fd = socket(dests[0].ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 3;
	}
	run_phase(threads);
	report("before", 0);
	if (rules) {
		int first = one(0);
		copy_file(newrules, rules);
		/* SOCKFAULT_RELOAD looks at the file every 250 ms. */
		struct timespec tick = { 0, 10 * 1000 * 1000 };
		int tries = 0;
		while (one(0) == first && ++tries < 500)
			nanosleep(&tick, NULL);
		printf("reloaded after %s\n", tries < 500 ? "a change" : "no change");
	}
	if (conn) {
		struct sockaddr_storage to = { 0 };
		socklen_t len;
		if (!parse_dest(conn, &to, &len))
			usage();
		if (connect(fd, (struct sockaddr *)&to, len) != 0) {
			perror("connect");
			return 3;
		}
		/* -d: unconnected again (connect(2)'s AF_UNSPEC). */
		struct sockaddr none = { .sa_family = AF_UNSPEC };
		if (dissolve && connect(fd, &none, sizeof none) != 0) {
			perror("connect AF_UNSPEC");
			return 3;
		}
	}
	if (rules || conn) {
		phase = 1;
		run_phase(threads);
		report("after", 1);
	}
	close(fd);
	return 0;
}
