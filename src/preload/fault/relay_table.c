/* The relay's links (relay_link.h): a table of blocks made as connections
 * come, looked through without the lock by every call on a relayed
 * connection. */
#include "relay.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "relay_link.h"

unsigned sf_relay_count;
struct sf_relay_state sf_relay = { .lock = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1 };

/* Where each record's link was put, by a hash of the record's address
 * (the place plus one; 0: none): every call on a relayed connection looks
 * for its link, and the table may hold a thousand. A hint that is wrong
 * (another record's, a link since freed) costs one look more. */
#define HINTS 1024
static uint16_t hint[HINTS];

static unsigned hint_of(const struct sf_sock *s)
{
	return (unsigned)(((uintptr_t)s >> 6) % HINTS);
}

static int is_link_of(const struct link *l, const struct sf_sock *s, uint32_t ino)
{
	return SF_LOAD(&l->state) != L_FREE && SF_LOAD(&l->s) == s && SF_LOAD(&l->ino) == ino;
}

struct link *sf_link_find(const struct sf_sock *s, int fd)
{
	(void)fd;
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&sf_relay.lost))
		return NULL;
	uint32_t ino = SF_LOAD(&s->ino);
	unsigned n = SF_ACQUIRE(&sf_relay.nlinks), h = SF_LOAD(&hint[hint_of(s)]);
	if (h && h <= n && is_link_of(sf_link_at(h - 1), s, ino))
		return sf_link_at(h - 1);
	for (unsigned i = 0; i < n; i++)
		if (is_link_of(sf_link_at(i), s, ino))
			return sf_link_at(i);
	return NULL;
}

/* How many links the descriptors allow: each holds two numbers above the
 * floor (three while its connect is under way), and the relay takes at most
 * three quarters of the numbers there, the rest staying the program's (144
 * links under the usual limit of 1024 descriptors). */
static unsigned link_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur <= (rlim_t)sf_relay.floor_fd)
		return 0;
	rlim_t room = (rl.rlim_cur - (rlim_t)sf_relay.floor_fd) * 3 / 8;
	return room < LINKS_MAX ? (unsigned)room : LINKS_MAX;
}

struct link *sf_link_take(void)
{
	unsigned n = sf_relay.nlinks;
	for (unsigned i = 0; i < n; i++)
		if (sf_link_at(i)->state == L_FREE)
			return sf_link_at(i);
	/* A failed connect's link is kept for its SO_ERROR until the record
	 * is another socket's. */
	for (unsigned i = 0; i < n; i++) {
		struct link *l = sf_link_at(i);
		if (l->state == L_FAILED && (l->err_taken || SF_LOAD(&l->s->ino) != l->ino)) {
			sf_link_free(l);
			return l;
		}
	}
	if (n >= LINKS_MAX || sf_relay_count >= link_budget())
		return NULL;
	struct link *block = sf_alloc(CHUNK * sizeof *block);
	if (!block)
		return NULL;
	memset(block, 0, CHUNK * sizeof *block);
	for (unsigned i = 0; i < CHUNK; i++) {
		block[i].idx = n + i;
		block[i].keep = -1;
	}
	SF_STORE(&sf_relay.chunks[n / CHUNK], block);
	SF_RELEASE(&sf_relay.nlinks, n + CHUNK);
	return &block[0];
}

void sf_link_bind(struct link *l, struct sf_sock *s)
{
	sf_sock_ref(s);
	SF_STORE(&l->s, s);
	SF_STORE(&l->ino, s->ino);
	SF_STORE(&hint[hint_of(s)], (uint16_t)(l->idx + 1));
}

void sf_link_let_go(struct link *l, int close_fds)
{
	if (close_fds) {
		syscall(SYS_close, l->real);
		syscall(SYS_close, l->end);
		if (l->keep >= 0)
			syscall(SYS_close, l->keep);
	}
	sf_free(l->tx.buf, RING);
	sf_free(l->rx.buf, RING);
}

void sf_link_free(struct link *l)
{
	sf_link_unwatch(l);
	sf_link_let_go(l, 1);
	sf_sock_unref(l->s);
	SF_STORE(&l->state, L_FREE);
	if (sf_relay_count)
		SF_STORE(&sf_relay_count, sf_relay_count - 1);
}

int sf_relay_find_real(const struct sf_sock *s, int fd)
{
	struct link *l = sf_link_find(s, fd);
	return l ? SF_LOAD(&l->real) : -1;
}

int sf_relay_connect_state(const struct sf_sock *s, int fd, int take, int *err)
{
	struct link *l = sf_link_find(s, fd);
	if (!l)
		return 0;
	pthread_mutex_lock(&sf_relay.lock);
	uint8_t st = l->state;
	int ret = st == L_CONNECTING ? SF_RELAY_CONNECTING : st == L_FAILED ? SF_RELAY_FAILED : SF_RELAY_UP;
	if (take == 2) {
		*err = 0;
	} else if (st == L_CONNECTING) {
		*err = take ? 0 : EALREADY;
	} else if (st == L_FAILED) {
		*err = l->err_taken && take ? 0 : l->err;
		if (take)
			l->err_taken = 1;
	} else if (take) {
		*err = 0;
	} else {
		/* The kernel's second connect after the handshake says 0 once. */
		*err = l->conn_told ? EISCONN : 0;
		l->conn_told = 1;
	}
	pthread_mutex_unlock(&sf_relay.lock);
	return ret;
}

static int within(int fd, unsigned lo, unsigned hi)
{
	return fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi;
}

void sf_relay_fd_range_lost(unsigned lo, unsigned hi)
{
	if (SF_LOAD(&sf_relay.epfd) < 0 || SF_LOAD(&sf_relay.lost))
		return;
	int hit = within(SF_LOAD(&sf_relay.epfd), lo, hi) || within(SF_LOAD(&sf_relay.wakefd), lo, hi);
	for (unsigned i = 0, n = SF_ACQUIRE(&sf_relay.nlinks); i < n && !hit; i++) {
		struct link *l = sf_link_at(i);
		if (SF_LOAD(&l->state) == L_FREE)
			continue;
		hit = within(SF_LOAD(&l->real), lo, hi) || within(SF_LOAD(&l->end), lo, hi) ||
		      within(SF_LOAD(&l->keep), lo, hi);
	}
	if (hit) {
		/* Whatever the relay carried is lost with them, as when a
		 * program closes a connection it did not know it had. */
		SF_STORE(&sf_relay.lost, 1);
		SF_STORE(&sf_relay_count, 0);
	}
}

void sf_relay_lock(void)
{
	pthread_mutex_lock(&sf_relay.lock);
}

void sf_relay_unlock(void)
{
	pthread_mutex_unlock(&sf_relay.lock);
}
