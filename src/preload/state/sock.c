#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "alloc.h"
#include "decide.h"
#include "fdtab.h"
#include "peers.h"
#include "real.h"
#include "reclaim.h"
#include "settings.h"

/* Only the kinds a rule can speak of are tracked: TCP, UDP and unix sockets.
 * Netlink, raw and packet sockets are treated as "not a socket": never faulted. */
uint8_t sf_sock_kind(int family, int type)
{
	type &= 0xf; /* strip SOCK_NONBLOCK / SOCK_CLOEXEC */
	if (family == AF_UNIX && (type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_SEQPACKET))
		return SF_PROTO_UNIX;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (type == SOCK_STREAM)
		return SF_PROTO_TCP;
	if (type == SOCK_DGRAM)
		return SF_PROTO_UDP;
	return 0;
}

struct sf_sock sf_notsock = {
	.refs = 1,
	.opmask = SF_NOTSOCK_OPS,
	.dest = &sf_dest_none,
};

/* made is odd, the count even: it never holds. */
struct sf_dest_copy sf_dest_none = { .made = 1 };

/* Records are type-stable: they come from a pool of their own and go back
 * to it, never to the allocator. A thread that read a descriptor's entry
 * just before another thread closed it may still look at the record: the
 * fast path reads its generation and op mask, sf_sock_get tries to take a
 * reference. It finds a socket record there, live or free, and a free one
 * has no references, so the attempt fails and nothing is written to it.
 * The destination cache (decide/dest.h) reads `plan` too, in a reader
 * section (a free record's is NULL), and reads and writes the record's
 * copy of its verdict (`dest`, the record's for good) under the copy's own
 * count, which the record's end and its reuse move: a free or reused
 * record's copy never holds. The pool's free list is linked through
 * `rare`, which only a holder of a reference reads. */
static struct sf_pool pool = { sizeof(struct sf_sock), offsetof(struct sf_sock, rare), NULL };

struct sf_sock *sf_sock_new(int family, int type)
{
	uint8_t proto = sf_sock_kind(family, type);
	if (!proto)
		return NULL;
	struct sf_sock *s = sf_pool_get(&pool);
	if (!s)
		return NULL;
	/* What a racing reader may look at is stored atomically; it sees a
	 * record without references until the end, and then ours. */
	SF_STORE(&s->gen, 0);
	SF_STORE(&s->opmask, 0);
	SF_STORE(&s->quick_ops, 0);
	SF_STORE(&s->dest_ops, 0);
	/* A new record (zeroed) has no copy; a reused one keeps its own. */
	if (!SF_LOAD(&s->dest))
		SF_RELEASE(&s->dest, &sf_dest_none);
	sf_sock_dest_forget(s);
	memset((char *)s + offsetof(struct sf_sock, state), 0,
	       offsetof(struct sf_sock, dest) - offsetof(struct sf_sock, state));
	s->family = (uint8_t)family;
	s->proto = proto;
	s->state = SF_STATE_UNCONNECTED;
	type &= 0xf;
	if (type == SOCK_STREAM || type == SOCK_SEQPACKET)
		s->flags |= SF_SOCK_STREAM;
	/* The maker's reference, held until its call leaves the library. */
	SF_RELEASE(&s->refs, 1);
	sf_sock_hold(s);
	return s;
}

struct sf_sock_rare *sf_sock_rare(struct sf_sock *s)
{
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	if (r)
		return r;
	struct sf_sock_rare *made = sf_alloc(sizeof *made);
	if (!made)
		return NULL;
	/* Two holders may need it at once (a timer and a call): one block is
	 * kept, the other given back unseen. */
	if (__atomic_compare_exchange_n(&s->rare, &r, made, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return made;
	sf_free(made, sizeof *made);
	return r;
}

void sf_sock_dest_need(struct sf_sock *s)
{
	struct sf_dest_copy *none = &sf_dest_none;
	if (SF_LOAD(&s->dest) != none)
		return;
	struct sf_dest_copy *d = sf_alloc(sizeof *d);
	if (!d)
		return;
	d->made = 1;
	/* Two threads may make the record's plan at once: one copy wins. */
	if (!__atomic_compare_exchange_n(&s->dest, &none, d, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		sf_free(d, sizeof *d);
}

void sf_sock_ref(struct sf_sock *s)
{
	SF_ADD(&s->refs, 1);
}

void sf_sock_free(struct sf_sock *s)
{
	/* Unpublished before it is retired: a reader without a reference
	 * that finds it afterwards finds none. */
	struct sf_plan *plan = s->plan;
	SF_RELEASE(&s->plan, (struct sf_plan *)NULL);
	sf_sock_dest_forget(s);
	if (plan)
		sf_retire(plan, sf_plan_bytes(plan), sf_free);
	struct sf_sock_rare *r = s->rare;
	if (r) {
		if (r->paths)
			sf_free(r->paths, (size_t)r->peer_path_len + r->local_path_len + 2);
		if (r->stash)
			sf_free(r->stash, r->stash_cap);
		sf_free(r, sizeof *r);
	}
	sf_pool_put(&pool, s);
}

void sf_sock_unref(struct sf_sock *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		sf_sock_free(s);
}

/* Bounded: the loop only goes round when another thread replaced the
 * entry between the two reads, and then it finds the new one. */
#define GET_TRIES 64

struct sf_sock *sf_sock_get_slow(int fd)
{
	for (int i = 0; i < GET_TRIES; i++) {
		uintptr_t v = sf_fd_get(fd);
		if (!sf_fd_is_sock(v))
			return NULL;
		struct sf_sock *s = (struct sf_sock *)v;
		if (sf_sock_try_ref(s)) {
			if (sf_fd_get(fd) == v) {
				sf_sock_hold(s);
				return s;
			}
			sf_sock_unref(s);
		}
	}
	return NULL;
}

/* Straight to the kernel: the library's own threads (relay, control) look
 * too, and an interposed fstat (a sanitizer's, another preload's) would
 * count the look as a use of the program's descriptor. */
static int stat_fd(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

void sf_sock_identify(struct sf_sock *s, int fd)
{
	struct stat st;
	if (stat_fd(fd, &st) == 0)
		s->ino = (uint32_t)st.st_ino;
}

int sf_sock_still(const struct sf_sock *s, int fd)
{
	struct stat st;
	return stat_fd(fd, &st) == 0 && S_ISSOCK(st.st_mode) && (uint32_t)st.st_ino == s->ino;
}

void sf_sock_install(int fd, uintptr_t v)
{
	if (sf_fd_is_sock(v))
		sf_sock_ref((struct sf_sock *)v);
	uintptr_t old = sf_fd_swap(fd, v);
	if (old == v && (unsigned)fd >= SF_LOAD(&sf_fd_limit) && sf_fd_is_sock(v)) {
		/* Not stored (descriptor beyond the table): the record has no owner. */
		sf_sock_unref((struct sf_sock *)v);
		return;
	}
	if (sf_fd_is_sock(old))
		sf_sock_unref((struct sf_sock *)old);
}

void sf_caddr_from(struct sf_caddr *c, const struct sockaddr *a, socklen_t len)
{
	memset(c, 0, sizeof *c);
	if (!a || len < (socklen_t)sizeof(sa_family_t))
		return;
	if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)a;
		c->family = SF_ADDR_IP4;
		c->port = ntohs(in->sin_port);
		memcpy(c->ip, &in->sin_addr, 4);
	} else if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)a;
		c->port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			c->family = SF_ADDR_IP4;
			memcpy(c->ip, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			c->family = SF_ADDR_IP6;
			memcpy(c->ip, &in6->sin6_addr, 16);
		}
	} else if (a->sa_family == AF_UNIX) {
		c->family = SF_ADDR_UNIX;
	}
}

/* A unix path as rules see it: abstract names get a leading '@'. */
static size_t unix_path(const struct sockaddr *a, socklen_t len, char *out, size_t cap)
{
	const struct sockaddr_un *un = (const void *)a;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	if (!a || a->sa_family != AF_UNIX || len <= (socklen_t)off)
		return 0;
	size_t n = (size_t)len - off;
	if (n > sizeof un->sun_path)
		n = sizeof un->sun_path;
	const char *p = un->sun_path;
	size_t k = 0;
	if (p[0] == '\0') {
		if (n <= 1)
			return 0;
		out[k++] = '@';
		p++, n--;
	} else {
		n = strnlen(p, n);
	}
	if (n > cap - k)
		n = cap - k;
	memcpy(out + k, p, n);
	return k + n;
}

/* The unix paths of s as they are: NULL with both lengths 0 when neither
 * end is named. */
static const char *paths_of(const struct sf_sock *s, size_t *plen, size_t *llen)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	*plen = r && r->paths ? r->peer_path_len : 0;
	*llen = r && r->paths ? r->local_path_len : 0;
	return r ? r->paths : NULL;
}

static void set_paths(struct sf_sock *s, const char *peer, size_t plen, const char *local, size_t llen)
{
	/* Two unnamed ends (a socketpair's) need no block at all. */
	struct sf_sock_rare *r = plen || llen ? sf_sock_rare(s) : sf_sock_rare_if(s);
	if (!r)
		return;
	char *old = r->paths;
	size_t oldsize = (size_t)r->peer_path_len + r->local_path_len + 2;
	char *p = NULL;
	if (plen || llen) {
		p = sf_alloc(plen + llen + 2);
		if (p) {
			memcpy(p, peer, plen);
			memcpy(p + plen + 1, local, llen);
		}
	}
	r->paths = p;
	r->peer_path_len = p ? (uint16_t)plen : 0;
	r->local_path_len = p ? (uint16_t)llen : 0;
	if (old)
		sf_free(old, oldsize);
}

static void set_addr(struct sf_sock *s, int peer, const struct sockaddr *a, socklen_t len)
{
	struct sf_caddr *c = peer ? &s->peer : &s->local;
	sf_caddr_from(c, a, len);
	s->flags |= peer ? SF_SOCK_HAS_PEER : SF_SOCK_HAS_LOCAL;
	if (c->family == SF_ADDR_UNIX) {
		char buf[sizeof((struct sockaddr_un *)0)->sun_path + 1];
		size_t n = unix_path(a, len, buf, sizeof buf);
		size_t plen, llen;
		const char *paths = paths_of(s, &plen, &llen);
		const char *other = paths ? (peer ? paths + plen + 1 : paths) : "";
		size_t olen = peer ? llen : plen;
		char keep[sizeof buf];
		memcpy(keep, other, olen);
		if (peer)
			set_paths(s, buf, n, keep, olen);
		else
			set_paths(s, keep, olen, buf, n);
	}
	if (peer) {
		struct sf_sockaddr view;
		sf_sock_addr_view(s, 1, &view);
		s->peer_hash = sf_peer_hash(&view);
	}
}

void sf_sock_set_peer(struct sf_sock *s, const struct sockaddr *a, socklen_t len)
{
	set_addr(s, 1, a, len);
}

void sf_sock_set_local(struct sf_sock *s, const struct sockaddr *a, socklen_t len)
{
	set_addr(s, 0, a, len);
}

void sf_sock_addr_view(const struct sf_sock *s, int peer, struct sf_sockaddr *out)
{
	const struct sf_caddr *c = peer ? &s->peer : &s->local;
	memset(out, 0, sizeof *out);
	if (!(s->flags & (peer ? SF_SOCK_HAS_PEER : SF_SOCK_HAS_LOCAL)))
		return;
	out->family = c->family;
	out->port = c->port;
	memcpy(out->ip, c->ip, sizeof out->ip);
	if (c->family == SF_ADDR_UNIX) {
		size_t plen, llen;
		const char *paths = paths_of(s, &plen, &llen);
		out->path = paths ? (peer ? paths : paths + plen + 1) : "";
		out->path_len = peer ? plen : llen;
	}
}

void sf_sockaddr_view(const struct sockaddr *a, socklen_t len, struct sf_sockaddr *out, char *pathbuf, size_t pathcap)
{
	struct sf_caddr c;
	sf_caddr_from(&c, a, len);
	memset(out, 0, sizeof *out);
	out->family = c.family;
	out->port = c.port;
	memcpy(out->ip, c.ip, sizeof out->ip);
	if (c.family == SF_ADDR_UNIX) {
		out->path_len = unix_path(a, len, pathbuf, pathcap);
		out->path = pathbuf;
	}
}

void sf_sock_connected(struct sf_sock *s, uint8_t side, uint8_t state)
{
	s->side = side;
	/* An accepted connection is drawn for by what two runs share: the
	 * listening address and the client's address, not the port the
	 * client's kernel picked (sockfault-rules(5), "Determinism"). */
	if (side == SF_SIDE_SERVER && (s->flags & SF_SOCK_HAS_PEER) && (s->flags & SF_SOCK_HAS_LOCAL)) {
		struct sf_sockaddr local, client;
		sf_sock_addr_view(s, 0, &local);
		sf_sock_addr_view(s, 1, &client);
		s->peer_hash = sf_accepted_hash(&local, &client);
	}
	/* A connect took its ordinal when it was attempted. */
	if (!s->conn_ordinal)
		s->conn_ordinal = sf_peer_next_ordinal(s->peer_hash);
	if (state == SF_STATE_CONNECTED && !s->t_connected)
		s->t_connected = sf_now();
	SF_STORE(&s->state, state);
}

/* The kernel's ephemeral port range, where connect() takes its local ports. */
static void ephemeral_range(unsigned *lo, unsigned *hi)
{
	static unsigned cached_lo, cached_hi;
	if (!SF_LOAD(&cached_hi)) {
		unsigned l = 32768, h = 60999;
		char buf[64];
		int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/sys/net/ipv4/ip_local_port_range",
				      O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
			syscall(SYS_close, fd);
			if (n > 0) {
				buf[n] = '\0';
				sscanf(buf, "%u %u", &l, &h);
			}
		}
		SF_STORE(&cached_lo, l);
		SF_STORE(&cached_hi, h);
	}
	*lo = SF_LOAD(&cached_lo);
	*hi = SF_LOAD(&cached_hi);
}

/* Which end made a connection the library did not see being made (a socket
 * inherited through exec, as inetd hands one over)? A unix client's peer is
 * the server's path and its own end is unnamed; a TCP client's local port
 * comes from the ephemeral range and the server's does not. When the
 * evidence is not that clear, the side stays unknown and side= does not
 * match. */
static uint8_t infer_side(const struct sf_sock *s)
{
	if (s->proto == SF_PROTO_UNIX) {
		size_t plen, llen;
		paths_of(s, &plen, &llen);
		int peer_named = plen > 0, local_named = llen > 0;
		if (peer_named != local_named)
			return peer_named ? SF_SIDE_CLIENT : SF_SIDE_SERVER;
		return 0;
	}
	if (s->proto != SF_PROTO_TCP)
		return 0;
	unsigned lo, hi;
	ephemeral_range(&lo, &hi);
	int local_eph = s->local.port >= lo && s->local.port <= hi;
	int peer_eph = s->peer.port >= lo && s->peer.port <= hi;
	if (local_eph != peer_eph)
		return local_eph ? SF_SIDE_CLIENT : SF_SIDE_SERVER;
	return 0;
}

uintptr_t sf_sock_learn(int fd)
{
	int type = 0, family = 0, listening = 0;
	socklen_t len = sizeof type;
	if (sf_real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errno == EBADF ? 0 : SF_FD_NOTSOCK;
	len = sizeof family;
	if (sf_real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
		return SF_FD_NOTSOCK;
	struct sf_sock *s = sf_sock_new(family, type);
	if (!s)
		return SF_FD_NOTSOCK;
	s->flags |= SF_SOCK_LEARNED;
	sf_sock_identify(s, fd);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (sf_real_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &(socklen_t){ sizeof listening }) == 0 &&
	    listening)
		s->state = SF_STATE_LISTENING;
	if (sf_real_getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		sf_sock_set_local(s, (struct sockaddr *)&ss, sl);
	sl = sizeof ss;
	if (sf_real_getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		sf_sock_set_peer(s, (struct sockaddr *)&ss, sl);
		sf_sock_connected(s, infer_side(s), SF_STATE_CONNECTED);
	}
	return (uintptr_t)s;
}
