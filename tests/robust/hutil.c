#include "hutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int hu_bind_on(const char *ip, int type, struct tn_addr *a)
{
	memset(a, 0, sizeof *a);
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	in->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &in->sin_addr) != 1)
		return -1;
	a->len = sizeof *in;
	a->family = AF_INET;
	return tn_bind_listen(a, type);
}

int hu_tcp_pair(const char *ip, int *c, int *s)
{
	struct tn_addr a;
	int l = hu_bind_on(ip, SOCK_STREAM, &a);
	if (l < 0)
		return -1;
	*c = tn_connect(&a, SOCK_STREAM);
	*s = *c >= 0 ? accept(l, NULL, NULL) : -1;
	close(l);
	if (*s < 0) {
		if (*c >= 0)
			close(*c);
		return -1;
	}
	return 0;
}

void hu_print_ts(const char *label)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s %s.%06ldZ\n", label, buf, ts.tv_nsec / 1000);
}

int hu_fd_of(const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -1;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int found = -1, dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		char link[64], target[PATH_MAX];
		if (e->d_name[0] == '.' || fd == dfd)
			continue;
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, real) == 0 && fd > found)
				found = fd;
		}
	}
	closedir(d);
	return found;
}
