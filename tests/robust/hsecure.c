/* Secure execution and the log file.
 *
 *   hsecure probe
 *       Prints "secure=N" (getauxval(AT_SECURE)), "library=loaded|absent"
 *       (libsockfault in this process's mappings), then makes a send on a
 *       unix pair and prints its result ("send = -1 EIO"). The script runs
 *       it with a rule that fails every send, as a setuid-root copy run by
 *       an unprivileged user (secure execution: nothing injected) and as a
 *       plain copy (the rule fires).
 *   hsecure logflags
 *       With SOCKFAULT_LOG=FILE: a fault opens the log; prints the
 *       descriptor it is on and its flags from /proc/self/fdinfo
 *       ("log: fd=5 append=1 cloexec=1").
 *   hsecure closed012 RESULT
 *       Started with descriptors 0, 1 and 2 closed, SOCKFAULT_LOG=FILE: a
 *       fault opens the log while 0 is the lowest free number; then the
 *       program's own open(RESULT) must get 0. The report goes to RESULT. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef HAVE_GETAUXVAL
#include <sys/auxv.h>
#endif

#include "hutil.h"

static int library_loaded(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "libsockfault"))
			found = 1;
	fclose(f);
	return found;
}

static long faulted_send(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -2;
	long r = send(sv[0], "s", 1, MSG_NOSIGNAL);
	int err = errno;
	close(sv[0]);
	close(sv[1]);
	errno = err;
	return r;
}

static int cmd_probe(void)
{
	unsigned long secure = 0;
#ifdef HAVE_GETAUXVAL
	secure = getauxval(AT_SECURE);
#endif
	printf("secure=%lu\n", secure);
	printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
	printf("library=%s\n", library_loaded() ? "loaded" : "absent");
	TN_REPORT("send", faulted_send());
	return 0;
}

/* The flags field of /proc/self/fdinfo/FD (octal), or -1. */
static long fdinfo_flags(int fd)
{
	char path[64], line[256];
	long flags = -1;
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "flags:", 6) == 0)
			flags = strtol(line + 6, NULL, 8);
	fclose(f);
	return flags;
}

static int cmd_logflags(void)
{
	const char *log = getenv("SOCKFAULT_LOG");
	if (!log)
		tn_setup_fail("SOCKFAULT_LOG is not set");
	TN_REPORT("send", faulted_send());
	int fd = hu_fd_of(log);
	long fl = fd >= 0 ? fdinfo_flags(fd) : -1;
	printf("log: fd=%d flags=0%lo append=%d cloexec=%d wronly=%d\n", fd, fl, fl >= 0 && (fl & O_APPEND) != 0,
	       fl >= 0 && (fl & O_CLOEXEC) != 0, fl >= 0 && (fl & O_ACCMODE) == O_WRONLY);
	return 0;
}

static int cmd_closed012(const char *result)
{
	const char *log = getenv("SOCKFAULT_LOG");
	/* The pair takes 0 and 1: move it away, so that 0 is free again when
	 * the library opens its log. */
	int sv[2];
	if (!log || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 3;
	int a = fcntl(sv[0], F_DUPFD_CLOEXEC, 10), b = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
	int low0 = sv[0], low1 = sv[1];
	close(sv[0]);
	close(sv[1]);
	long r = send(a, "s", 1, MSG_NOSIGNAL);
	int err = errno;
	int fd = open(result, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 3;
	char line[256];
	int n = snprintf(line, sizeof line, "pair was on %d,%d\nsend = %s\nfirst open = %d\nlog fd = %d\n", low0, low1,
			 tn_outcome(r, err), fd, hu_fd_of(log));
	if (write(fd, line, (size_t)n) != n)
		return 3;
	close(fd);
	close(a);
	close(b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "closed012") == 0)
		return cmd_closed012(argv[2]);
	tn_init();
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return cmd_probe();
	if (argc >= 2 && strcmp(argv[1], "logflags") == 0)
		return cmd_logflags();
	tn_setup_fail("usage: hsecure probe | logflags | closed012 RESULT");
}
