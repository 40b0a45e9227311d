/* The program's memory: a call made on its behalf reads its arguments and
 * writes its results there. process_vm_readv/writev fail cleanly on an
 * unmapped address (EFAULT, as the system call would give). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "sv.h"

int sf_sv_peek(pid_t tid, uint64_t addr, void *out, size_t len)
{
	if (!len)
		return 0;
	struct iovec l = { out, len }, r = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int sf_sv_poke(pid_t tid, uint64_t addr, const void *in, size_t len)
{
	if (!len)
		return 0;
	struct iovec l = { (void *)in, len }, r = { (void *)(uintptr_t)addr, len };
	return process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

size_t sf_sv_peek_str(pid_t tid, uint64_t addr, char *out, size_t cap)
{
	/* Piece by piece, never across a page: the string may end just
	 * before an unmapped one. */
	size_t n = 0;
	while (n + 1 < cap) {
		size_t page = 4096 - (size_t)((addr + n) % 4096);
		size_t want = cap - 1 - n < page ? cap - 1 - n : page;
		if (sf_sv_peek(tid, addr + n, out + n, want) < 0)
			break;
		char *end = memchr(out + n, '\0', want);
		if (end)
			return (size_t)(end - out);
		n += want;
	}
	out[n] = '\0';
	return n;
}

/* The program's iovecs, clipped to len bytes in all. */
static int remote_iov(pid_t tid, uint64_t iov, int n, size_t len, struct iovec *out)
{
	if (n < 0 || n > SF_SV_IOV_MAX)
		return -EINVAL;
	if (sf_sv_peek(tid, iov, out, (size_t)n * sizeof *out) < 0)
		return -EFAULT;
	size_t left = len;
	int k = 0;
	for (; k < n && left; k++) {
		if (out[k].iov_len > left)
			out[k].iov_len = left;
		left -= out[k].iov_len;
	}
	return k;
}

ssize_t sf_sv_peekv(pid_t tid, uint64_t iov, int n, void *out, size_t len)
{
	struct iovec r[SF_SV_IOV_MAX];
	int k = remote_iov(tid, iov, n, len, r);
	if (k <= 0)
		return k;
	struct iovec l = { out, len };
	ssize_t got = process_vm_readv(tid, &l, 1, r, (unsigned long)k, 0);
	return got < 0 ? -EFAULT : got;
}

ssize_t sf_sv_pokev(pid_t tid, uint64_t iov, int n, const void *in, size_t len)
{
	struct iovec r[SF_SV_IOV_MAX];
	int k = remote_iov(tid, iov, n, len, r);
	if (k <= 0)
		return k;
	struct iovec l = { (void *)in, len };
	ssize_t put = process_vm_writev(tid, &l, 1, r, (unsigned long)k, 0);
	return put < 0 ? -EFAULT : put;
}

static __thread unsigned char *buf;
static __thread size_t cap;

void *sf_sv_buffer(size_t len)
{
	if (len <= cap)
		return buf;
	unsigned char *b = realloc(buf, len);
	if (!b)
		return NULL;
	buf = b;
	cap = len;
	return b;
}
