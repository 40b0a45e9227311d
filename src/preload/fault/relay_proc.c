/* The relay and the process's events (relay.h): its exit and an exec
 * (what is held back for the peer goes out first), a fork's child, the
 * supervisor that never relays. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdtab.h"
#include "proc.h"
#include "relay_link.h"
#include "units.h"

/* The lock, from an exit or an exec that may run in a signal handler which
 * interrupted a holder: tried for at most 100 ms (the relay's thread holds
 * it for microseconds). Once held, what is held back for the peer has two
 * seconds to go out (*deadline). */
static int lock_bounded(uint64_t *deadline)
{
	for (int i = 0; i < 100; i++) {
		if (pthread_mutex_trylock(&sf_relay.lock) == 0) {
			*deadline = sf_now() + 2 * SF_NS_PER_S;
			return 1;
		}
		struct timespec ms = { 0, 1000000 };
		syscall(SYS_nanosleep, &ms, NULL);
	}
	return 0;
}

/* The process is ending: the relay's thread ends with it, and the kernel
 * would deliver what the program sent. What is still held back goes out
 * now, early rather than never (bounded: a peer that takes nothing gets
 * what fits in two seconds). */
__attribute__((destructor)) static void relay_at_exit(void)
{
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&sf_relay.lost))
		return;
	int e0 = errno;
	uint64_t deadline;
	if (lock_bounded(&deadline)) {
		for (unsigned i = 0; i < sf_relay.nlinks; i++)
			if (sf_link_at(i)->state == L_UP)
				sf_link_flush(sf_link_at(i), deadline);
		pthread_mutex_unlock(&sf_relay.lock);
	}
	errno = e0;
}

/* The program's descriptors of a link's end that a new program would
 * inherit, up to `cap`; how many. */
static int inherited(const struct link *l, int *fds, int cap)
{
	int n = 0;
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high && n < cap; i++) {
		if (sf_fd_get((int)i) != (uintptr_t)l->s)
			continue;
		long fl = syscall(SYS_fcntl, (int)i, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fds[n++] = (int)i;
	}
	return n;
}

void sf_relay_before_exec(void)
{
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&sf_relay.lost) || !sf_proc_owns_state())
		return;
	int e0 = errno;
	uint64_t deadline;
	if (!lock_bounded(&deadline)) {
		errno = e0;
		return;
	}
	for (unsigned i = 0; i < sf_relay.nlinks; i++) {
		struct link *l = sf_link_at(i);
		int fds[16];
		int n = l->state == L_UP || l->state == L_CONNECTING ? inherited(l, fds, 16) : 0;
		if (!n)
			continue;
		if (l->state == L_UP)
			sf_link_flush(l, deadline);
		/* The program's numbers become the real socket again, with the
		 * program's end's blocking mode and timeouts. */
		sf_relay_same_mode(fds[0], l->real);
		for (int k = 0; k < n; k++)
			syscall(SYS_dup3, l->real, fds[k], 0);
		sf_sock_identify(l->s, fds[0]);
		sf_link_free(l);
	}
	pthread_mutex_unlock(&sf_relay.lock);
	errno = e0;
}

void sf_relay_disable(void)
{
	if (!SF_LOAD(&sf_relay.lost))
		SF_STORE(&sf_relay.lost, 1);
}

void sf_relay_child_reset(void)
{
	pthread_mutex_init(&sf_relay.lock, NULL);
	if (sf_relay.epfd < 0 && !sf_relay_count)
		return;
	/* The connections stay the parent's to carry: the child's descriptor
	 * is the same end of the same pair, served by the parent's thread. The
	 * child's copies of the relay's descriptors would keep the real
	 * connections open after the parent closed them: closed here. */
	for (unsigned i = 0; i < sf_relay.nlinks; i++) {
		struct link *l = sf_link_at(i);
		if (l->state == L_FREE)
			continue;
		sf_link_let_go(l, !sf_relay.lost);
		l->state = L_FREE;
	}
	sf_relay_thread_forget();
	sf_relay_count = 0;
}
