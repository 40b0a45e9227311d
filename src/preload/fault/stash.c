#include "stash.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "real.h"

/* Receives of one socket from several threads take the bytes in turn. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void sf_stash_take(int fd, struct sf_sock *s)
{
	int queued = 0;
	struct sf_sock_rare *rare = sf_sock_rare_if(s);
	if ((rare && rare->stash) || ioctl(fd, FIONREAD, &queued) < 0 || queued <= 0)
		return;
	uint32_t cap = (uint32_t)queued < SF_STASH_MAX ? (uint32_t)queued : SF_STASH_MAX;
	if (!(rare = sf_sock_rare(s)))
		return;
	char *b = sf_alloc(cap);
	if (!b)
		return;
	uint32_t len = 0;
	while (len < cap) {
		ssize_t r = sf_real_recvfrom(fd, b + len, cap - len, MSG_DONTWAIT, NULL, NULL);
		if (r <= 0)
			break;
		len += (uint32_t)r;
	}
	rare->stash = b;
	rare->stash_cap = cap;
	rare->stash_off = 0;
	/* Published last: a receive that sees the length sees the bytes. */
	__atomic_store_n(&rare->stash_len, len, __ATOMIC_RELEASE);
}

/* process_vm_writev on the process itself: the kernel copies, and a buffer
 * that cannot be written is EFAULT, not SIGSEGV. Where a sandbox forbids
 * the call, a plain copy (the program's buffers are then trusted). */
int sf_user_put(void *dst, const void *src, size_t len)
{
	if (!len)
		return 1;
	int saved = errno;
	struct iovec local = { (void *)src, len }, remote = { dst, len };
	long r = syscall(SYS_process_vm_writev, syscall(SYS_getpid), &local, 1UL, &remote, 1UL, 0UL);
	int ok = r == (long)len;
	if (r < 0 && errno != EFAULT) {
		memcpy(dst, src, len);
		ok = 1;
	}
	errno = saved;
	return ok;
}

long sf_stash_give(struct sf_sock *s, const struct iovec *iov, int iovcnt, int peek)
{
	struct sf_sock_rare *rare = sf_sock_rare_if(s);
	if (!rare)
		return 0;
	pthread_mutex_lock(&lock);
	uint32_t len = __atomic_load_n(&rare->stash_len, __ATOMIC_ACQUIRE), off = rare->stash_off;
	long moved = 0;
	for (int i = 0; i < iovcnt && off < len; i++) {
		size_t n = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;
		if (!sf_user_put(iov[i].iov_base, rare->stash + off, n)) {
			if (!moved)
				moved = -1;
			break;
		}
		off += (uint32_t)n;
		moved += (long)n;
	}
	if (!peek)
		__atomic_store_n(&rare->stash_off, off, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	if (moved < 0)
		errno = EFAULT;
	return moved;
}
