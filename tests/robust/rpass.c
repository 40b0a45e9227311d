/* Pass-through fidelity: what a call gives back under the library is what
 * the kernel and libc give back without it.
 *
 *   rpass connect-errno
 *       errno set to EDOM, then a successful connect: errno is still EDOM.
 *   rpass close-error N
 *       N sockets closed while a rule fails every close: each descriptor is
 *       released all the same (fcntl says EBADF), none leaks.
 *   rpass drop
 *       UDP sends the kernel refuses (NULL buffer, 100 000 and 65 508 bytes,
 *       MSG_OOB, no destination) and one it takes.
 *   rpass seccomp
 *       A seccomp policy denies process_vm_readv; then sends to an
 *       unreadable destination (EFAULT, never a crash) and to destinations
 *       on the heap (the rule for 127.0.0.2 still fires, not on .3).
 *
 * Prints what each call returned; exit 0 as expected, 1 otherwise. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hutil.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static int connect_errno(void)
{
	struct tn_addr a;
	int l = hu_bind_on("127.0.0.1", SOCK_STREAM, &a);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0)
		tn_setup_fail("sockets");
	errno = EDOM;
	int r = connect(c, (struct sockaddr *)&a.ss, a.len);
	int e = errno;
	printf("connect = %d, errno after: %s\n", r, tn_errname(e));
	if (r != 0 || e != EDOM)
		tn_unexpected("connect changed errno");
	return tn_exit_status();
}

static int close_error(int n)
{
	int before = open_fds();
	int released = 0;
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0)
			tn_setup_fail("socket %d", i);
		int r = close(s);
		int e = errno;
		if (i == 0)
			tn_report("close", r, e);
		if (fcntl(s, F_GETFD) < 0 && errno == EBADF)
			released++;
	}
	int after = open_fds();
	printf("released: %d of %d\n", released, n);
	printf("open descriptors: %d before, %d after\n", before, after);
	if (released != n || after != before)
		tn_unexpected("descriptors leaked");
	return tn_exit_status();
}

static char big[100000];

static int drop(void)
{
	struct tn_addr a;
	int r = hu_bind_on("127.0.0.1", SOCK_DGRAM, &a);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (r < 0 || u < 0)
		tn_setup_fail("sockets");
	struct sockaddr *d = (struct sockaddr *)&a.ss;
	void *volatile nil = NULL;
	TN_REPORT("sendto NULL buffer", sendto(u, nil, 10, 0, d, a.len));
	TN_REPORT("sendto 100000 bytes", sendto(u, big, sizeof big, 0, d, a.len));
	TN_REPORT("sendto 65508 bytes", sendto(u, big, 65508, 0, d, a.len));
	TN_REPORT("sendto MSG_OOB", sendto(u, "x", 1, MSG_OOB, d, a.len));
	TN_REPORT("sendto no destination", sendto(u, "x", 1, 0, NULL, 0));
	TN_REPORT("sendto 1 byte", sendto(u, "x", 1, 0, d, a.len));
	return tn_exit_status();
}

static void deny_process_vm_readv(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		tn_setup_fail("seccomp");
}

static int seccomp_case(void)
{
	struct tn_addr a, b;
	int ra = hu_bind_on("127.0.0.2", SOCK_DGRAM, &a);
	int rb = hu_bind_on("127.0.0.3", SOCK_DGRAM, &b);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	/* A readable page, then an unreadable one. */
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *page = m == MAP_FAILED || mprotect(m + 4096, 4096, PROT_NONE) != 0 ? MAP_FAILED : m + 4096;
	struct tn_addr *heap = malloc(sizeof *heap);
	if (ra < 0 || rb < 0 || u < 0 || page == (char *)MAP_FAILED || !heap)
		tn_setup_fail("setup");
	deny_process_vm_readv();
	char x[1];
	struct iovec l = { x, 1 }, r = { x, 1 };
	TN_REPORT("process_vm_readv", syscall(SYS_process_vm_readv, getpid(), &l, 1UL, &r, 1UL, 0UL));
	TN_CHECK("sendto an unreadable destination", sendto(u, "x", 1, 0, (struct sockaddr *)page, a.len), "EFAULT");
	memcpy(page - 4, &a.ss, 4);
	TN_CHECK("sendto the last 4 bytes of a mapping", sendto(u, "x", 1, 0, (struct sockaddr *)(page - 4), a.len),
		 "EFAULT");
	*heap = a;
	TN_CHECK("sendto 127.0.0.2 from the heap", sendto(u, "x", 1, 0, (struct sockaddr *)&heap->ss, heap->len),
		 "EIO");
	*heap = b;
	TN_CHECK("sendto 127.0.0.3 from the heap", sendto(u, "x", 1, 0, (struct sockaddr *)&heap->ss, heap->len), "ok");
	free(heap);
	return tn_exit_status();
}

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "connect-errno"))
		return connect_errno();
	if (!strcmp(mode, "close-error") && argc > 2)
		return close_error(atoi(argv[2]));
	if (!strcmp(mode, "drop"))
		return drop();
	if (!strcmp(mode, "seccomp"))
		return seccomp_case();
	fprintf(stderr, "usage: rpass connect-errno|close-error N|drop|seccomp\n");
	return 3;
}
