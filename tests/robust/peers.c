/* A program that meets a great many peers: one UDP socket connected in turn
 * to N distinct addresses (no packet is sent), then the growth of its
 * resident memory. The library remembers something per peer (which
 * connection to it this is, for p=): that must stay bounded.
 *
 *   peers N       prints "rss growth = KIB"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return 3;
	struct sockaddr_in a = { .sin_family = AF_INET };
	/* Warm up: the first connections set up whatever is set up once. */
	for (long i = 0; i < 1000; i++) {
		a.sin_addr.s_addr = htonl(0x7f000001u);
		a.sin_port = htons((unsigned short)(1000 + i));
		connect(s, (struct sockaddr *)&a, sizeof a);
	}
	long before = rss_kib();
	for (long i = 0; i < n; i++) {
		/* 127.0.0.0/8, every port: distinct peers, all local. */
		a.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(1 + i / 60000));
		a.sin_port = htons((unsigned short)(1024 + i % 60000));
		if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
			perror("connect");
			return 3;
		}
	}
	printf("rss growth = %ld\n", rss_kib() - before);
	return 0;
}
