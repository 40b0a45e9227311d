/* The data calls (send, sendto, sendmsg, sendmmsg, write, writev and their
 * receiving twins), through one path: each call is described by its iovec
 * and a function that runs the real call on an iovec, so `short` and `drop`
 * are written once for all twelve. */
#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "active.h"
#include "alloc.h"
#include "clock.h"
#include "dead.h"
#include "fate.h"
#include "icmp.h"
#include "log.h"
#include "relay.h"
#include "shape.h"
#include "slow.h"
#include "stash.h"
#include "usermem.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

struct sf_io;
typedef ssize_t (*sf_run_fn)(struct sf_io *io, const struct iovec *iov, int iovcnt);

struct sf_io {
	struct sf_call c;
	int tx;
	sf_run_fn run;
	const struct iovec *iov; /* the data as the program gave it */
	int iovcnt;
	struct iovec one; /* single-buffer calls */
	int flags;
	const struct sockaddr *to;
	socklen_t tolen;
	struct sockaddr *from;
	socklen_t *fromlen;
	const struct msghdr *msg; /* sendmsg/recvmsg: the program's header */
	struct msghdr *rmsg;
	struct mmsghdr *vec; /* sendmmsg/recvmmsg */
	unsigned vlen;
	SF_MMSG_TIMEOUT_T timeout;
	size_t moved; /* bytes the real call moved */
	/* The library's own copies of what it reads of the program's memory
	 * (usermem.h): the header of a msghdr call and the iovec array when
	 * the call is shaped (the destination: io_slow's own). */
	struct msghdr mcopy;
	struct iovec *iov_copy;
	size_t iov_copy_size;
	size_t total; /* bytes the program asked to move */
};

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Before shaping a call, the iovec array is copied (the program's may not
 * be readable: then the kernel will say so, and the call is not shaped).
 * Returns 0 if it cannot be read. */
static int own_iov(struct sf_io *io)
{
	if (io->iov == &io->one || io->iov_copy)
		return 1;
	if (io->iovcnt < 0 || io->iovcnt > IOV_MAX)
		return 0;
	size_t size = (size_t)(io->iovcnt ? io->iovcnt : 1) * sizeof(struct iovec);
	struct iovec *copy = sf_alloc(size);
	if (!copy || !sf_user_copy(copy, io->iov, (size_t)io->iovcnt * sizeof(struct iovec))) {
		if (copy)
			sf_free(copy, size);
		return 0;
	}
	io->iov_copy = copy;
	io->iov_copy_size = size;
	io->iov = copy;
	io->total = iov_total(copy, io->iovcnt);
	return 1;
}

/* Runs of the real calls on (iov, iovcnt). Single-buffer calls are given one iovec. */
static ssize_t moved(struct sf_io *io, ssize_t r)
{
	io->moved = r > 0 ? (size_t)r : 0;
	return r;
}

static ssize_t run_send(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_send(io->c.fd, v[0].iov_base, v[0].iov_len, io->flags));
}
static ssize_t run_sendto(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_sendto(io->c.fd, v[0].iov_base, v[0].iov_len, io->flags, io->to, io->tolen));
}
static ssize_t run_write(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_write(io->c.fd, v[0].iov_base, v[0].iov_len));
}
static ssize_t run_writev(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_writev(io->c.fd, v, n));
}
/* The msghdr calls give the kernel the program's own header unless the
 * iovec was cut; then a copy with the cut iovec. */
static ssize_t run_sendmsg(struct sf_io *io, const struct iovec *v, int n)
{
	if (v == io->iov && !io->iov_copy)
		return moved(io, sf_real_sendmsg(io->c.fd, io->msg, io->flags));
	struct msghdr m = io->mcopy;
	m.msg_iov = (struct iovec *)v;
	m.msg_iovlen = (size_t)n;
	return moved(io, sf_real_sendmsg(io->c.fd, &m, io->flags));
}
static ssize_t run_recv(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_recv(io->c.fd, v[0].iov_base, v[0].iov_len, io->flags));
}
static ssize_t run_recvfrom(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_recvfrom(io->c.fd, v[0].iov_base, v[0].iov_len, io->flags, io->from, io->fromlen));
}
static ssize_t run_read(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_read(io->c.fd, v[0].iov_base, v[0].iov_len));
}
static ssize_t run_readv(struct sf_io *io, const struct iovec *v, int n)
{
	return moved(io, sf_real_readv(io->c.fd, v, n));
}
static ssize_t run_recvmsg(struct sf_io *io, const struct iovec *v, int n)
{
	if (v == io->iov && !io->iov_copy)
		return moved(io, sf_real_recvmsg(io->c.fd, io->rmsg, io->flags));
	struct msghdr m = io->mcopy;
	m.msg_iov = (struct iovec *)v;
	m.msg_iovlen = (size_t)n;
	ssize_t r = sf_real_recvmsg(io->c.fd, &m, io->flags);
	/* Give back what the kernel filled in, keeping the program's iovec. */
	if (r >= 0) {
		io->rmsg->msg_namelen = m.msg_namelen;
		io->rmsg->msg_controllen = m.msg_controllen;
		io->rmsg->msg_flags = m.msg_flags;
	}
	return moved(io, r);
}

/* sendmmsg/recvmmsg: untouched, the whole vector; shortened, the first
 * message alone with its iovec cut. */
static ssize_t mmsg_done(struct sf_io *io, ssize_t r)
{
	io->moved = 0;
	for (ssize_t i = 0; i < r; i++)
		io->moved += io->vec[i].msg_len;
	return r;
}

#ifdef HAVE_SENDMMSG
static ssize_t run_sendmmsg(struct sf_io *io, const struct iovec *v, int n)
{
	if (v == io->iov && !io->iov_copy)
		return mmsg_done(io, sf_real_sendmmsg(io->c.fd, io->vec, io->vlen, (SF_MMSG_FLAGS_T)io->flags));
	struct mmsghdr first = { io->mcopy, 0 };
	first.msg_hdr.msg_iov = (struct iovec *)v;
	first.msg_hdr.msg_iovlen = (size_t)n;
	ssize_t r = sf_real_sendmmsg(io->c.fd, &first, 1, (SF_MMSG_FLAGS_T)io->flags);
	if (r > 0)
		io->vec[0].msg_len = first.msg_len;
	return mmsg_done(io, r);
}
#endif

#ifdef HAVE_RECVMMSG
static ssize_t run_recvmmsg(struct sf_io *io, const struct iovec *v, int n)
{
	if (v == io->iov && !io->iov_copy)
		return mmsg_done(
			io, sf_real_recvmmsg(io->c.fd, io->vec, io->vlen, (SF_MMSG_FLAGS_T)io->flags, io->timeout));
	struct mmsghdr first = { io->mcopy, 0 };
	first.msg_hdr.msg_iov = (struct iovec *)v;
	first.msg_hdr.msg_iovlen = (size_t)n;
	ssize_t r = sf_real_recvmmsg(io->c.fd, &first, 1, (SF_MMSG_FLAGS_T)io->flags, io->timeout);
	if (r > 0) {
		io->vec[0].msg_len = first.msg_len;
		io->vec[0].msg_hdr.msg_namelen = first.msg_hdr.msg_namelen;
		io->vec[0].msg_hdr.msg_controllen = first.msg_hdr.msg_controllen;
		io->vec[0].msg_hdr.msg_flags = first.msg_hdr.msg_flags;
	}
	return mmsg_done(io, r);
}
#endif

/* Linux's "check the path, send nothing" (glibc calls it MSG_PROXY). */
#define SF_MSG_PROBE 0x10

/* The largest datagram the kernel takes on the socket: an IPv4 or IPv6
 * packet's 65535 bytes less its headers; on a unix socket, the send buffer
 * less 32 bytes. 0: no limit (a byte stream). */
static size_t datagram_max(const struct sf_sock *s, int fd)
{
	if (s->proto == SF_PROTO_UDP)
		return s->family == AF_INET6 ? 65535 - 8 : 65535 - 20 - 8;
	if (s->proto != SF_PROTO_UNIX)
		return 0;
	int type = 0, sndbuf = 0;
	socklen_t l = sizeof type;
	if (sf_real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 || type == SOCK_STREAM)
		return 0;
	l = sizeof sndbuf;
	if (sf_real_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &l) != 0 || sndbuf <= 32)
		return 0;
	return (size_t)sndbuf - 32;
}

/* What the kernel answers before any byte of a send goes out, in its
 * order: on a UDP socket, the destination, flags, control data and route,
 * asked of the kernel itself with MSG_PROBE (which sends nothing); a
 * datagram too large (EMSGSIZE); bytes it cannot read (EFAULT). A send that
 * a rule drops, or that goes into a blackhole, answers the same. m: the
 * call as a msghdr, its iovec the library's copy. 0: it would have gone
 * out. */
static int send_refused(const struct sf_io *io, const struct msghdr *m, size_t total)
{
	if (io->c.s->proto == SF_PROTO_UDP) {
		int e = errno;
		struct msghdr probe = *m;
		/* The destination as the kernel reads it, with the padding a
		 * program may leave unset (sin_zero) cleared: the kernel ignores
		 * it, and a memory checker must not see us hand it over. */
		struct sockaddr_storage name;
		if (m->msg_name && m->msg_namelen >= sizeof(struct sockaddr_in) && m->msg_namelen <= sizeof name) {
			if (!sf_user_copy(&name, m->msg_name, m->msg_namelen))
				return EFAULT;
			if (name.ss_family == AF_INET)
				memset(((struct sockaddr_in *)&name)->sin_zero, 0,
				       sizeof((struct sockaddr_in *)0)->sin_zero);
			probe.msg_name = &name;
		}
		ssize_t r = sf_real_sendmsg(io->c.fd, &probe, io->flags | SF_MSG_PROBE);
		int err = errno;
		errno = e;
		if (r < 0)
			return err;
	}
	size_t max = datagram_max(io->c.s, io->c.fd);
	if (max && total > max)
		return EMSGSIZE;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
		if (!sf_user_readable(m->msg_iov[i].iov_base, m->msg_iov[i].iov_len))
			return EFAULT;
	return 0;
}

/* `drop` on a send, or a send into a blackhole: the data "went out". */
static ssize_t pretend_sent(struct sf_io *io)
{
	if (io->vec) {
		/* Each message "went out" whole: its length is what the kernel
		 * would have reported. A header that cannot be read ends it. */
		unsigned i = 0;
		for (; i < io->vlen; i++) {
			struct mmsghdr m;
			struct sf_io one = { .iovcnt = 0 };
			if (!sf_user_copy(&m, &io->vec[i], sizeof m))
				break;
			one.iov = m.msg_hdr.msg_iov;
			one.iovcnt = (int)m.msg_hdr.msg_iovlen;
			if (!own_iov(&one))
				break;
			m.msg_hdr.msg_iov = (struct iovec *)one.iov;
			int refused = send_refused(io, &m.msg_hdr, one.total);
			sf_free(one.iov_copy, one.iov_copy_size);
			if (refused) {
				if (i)
					break;
				errno = refused;
				return -1;
			}
			io->vec[i].msg_len = (unsigned)one.total;
		}
		return i ? (ssize_t)i : (errno = EFAULT, -1);
	}
	struct msghdr m = { 0 };
	if (io->msg)
		m = io->mcopy;
	else {
		m.msg_name = (void *)io->to;
		m.msg_namelen = io->tolen;
	}
	m.msg_iov = (struct iovec *)io->iov;
	m.msg_iovlen = (size_t)io->iovcnt;
	int refused = send_refused(io, &m, io->total);
	if (refused) {
		errno = refused;
		return -1;
	}
	return (ssize_t)io->total;
}

static void account(struct sf_io *io, ssize_t r)
{
	sf_account(io->c.s, io->tx, r, io->moved);
}

#define CORRUPT_MAX (64 * 1024)

/* Run the real call on bytes [off, off+len) of the program's data. A send
 * to be corrupted goes from a copy (the program's buffer is const); a
 * receive is corrupted where it landed. */
static ssize_t run_window(struct sf_io *io, size_t off, size_t len)
{
	size_t total = io->total;
	int corrupt = io->c.corrupt_bits != 0;
	if (off == 0 && len >= total && !corrupt)
		return io->run(io, io->iov, io->iovcnt);
	if (io->iovcnt > IOV_MAX || io->iovcnt < 0)
		return io->run(io, io->iov, io->iovcnt);
	struct iovec cut[io->iovcnt > 0 ? io->iovcnt : 1];
	int n = 0;
	size_t skip = off, left = len;
	for (int i = 0; i < io->iovcnt && left; i++) {
		size_t l = io->iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		cut[n].iov_base = (char *)io->iov[i].iov_base + skip;
		cut[n].iov_len = l - skip < left ? l - skip : left;
		left -= cut[n].iov_len;
		skip = 0;
		n++;
	}
	if (n == 0) {
		cut[0].iov_base = io->iovcnt > 0 ? io->iov[0].iov_base : NULL;
		cut[0].iov_len = 0;
		n = 1;
	}
	if (!corrupt)
		return io->run(io, cut, n);
	if (io->tx) {
		size_t m = len - left < CORRUPT_MAX ? len - left : CORRUPT_MAX;
		unsigned char *copy = sf_alloc(m ? m : 1);
		if (!copy)
			return io->run(io, cut, n);
		size_t k = 0;
		for (int i = 0; i < n && k < m; i++) {
			size_t c = cut[i].iov_len < m - k ? cut[i].iov_len : m - k;
			if (!sf_user_copy(copy + k, cut[i].iov_base, c)) {
				sf_free(copy, m ? m : 1);
				return io->run(io, cut, n); /* the kernel will say what is wrong */
			}
			k += c;
		}
		struct iovec one = { copy, m };
		sf_corrupt_iov(&one, 1, m, io->c.corrupt_bits, io->c.corrupt_draw);
		ssize_t r = io->run(io, &one, 1);
		sf_free(copy, m ? m : 1);
		return r;
	}
	ssize_t r = io->run(io, cut, n);
	if (r > 0)
		sf_corrupt_iov(cut, n, io->vec ? io->vec[0].msg_len : io->moved, io->c.corrupt_bits,
			       io->c.corrupt_draw);
	return r;
}

/* The real call over a link of `rate` bytes a second (throttle), at most
 * limit bytes. Out of line: the rare block it may make would cost every
 * other call through io_slow its registers. */
static __attribute__((noinline)) ssize_t throttled(struct sf_io *io, size_t limit, uint64_t rate)
{
	struct sf_sock *s = io->c.s;
	/* Datagrams are never split; a stream goes out in slices, and a
	 * blocking send keeps going until all of it has crossed the slow link. */
	int split = (s->flags & SF_SOCK_STREAM) && !io->vec;
	/* Without memory for the socket's link, this call's own: it waits
	 * for no call before it. */
	uint64_t own = 0;
	struct sf_sock_rare *rare = sf_sock_rare(s);
	uint64_t *link = rare ? &rare->link_free[io->tx ? 0 : 1] : &own;
	int keep_going = io->tx && split && !(io->flags & MSG_DONTWAIT) && !sf_fd_nonblocking(io->c.fd);
	size_t done = 0;
	ssize_t r;
	do {
		size_t n = sf_throttle_wait(link, rate, limit - done, split);
		r = run_window(io, done, n);
		if (r < 0)
			break;
		sf_throttle_used(link, rate, io->moved);
		done += io->moved;
		if ((size_t)r < n)
			break;
	} while (keep_going && done < limit);
	if (done && r < 0)
		r = 0; /* what went out before the error is what the call reports */
	if (io->vec || r < 0)
		return r;
	io->moved = done;
	return (ssize_t)done;
}

/* The real call, shaped by short, throttle and corrupt. */
static ssize_t perform(struct sf_io *io)
{
	size_t total = io->total;
	size_t limit = io->c.short_len && io->c.short_len < total ? io->c.short_len : total;
	uint64_t rate = io->c.throttle;
	return rate ? throttled(io, limit, rate) : run_window(io, 0, limit);
}

/* A receive after a reset at a time, while data that came before it is
 * left: that data, as the kernel gives queued data first (stash.h). A
 * stream socket has no source address, control data or flags to report. */
static ssize_t stash_recv(struct sf_io *io, int *errp, int e0)
{
	static const socklen_t none;
	long r = own_iov(io) ? sf_stash_give(io->c.s, io->iov, io->iovcnt, io->flags & MSG_PEEK) : (errno = EFAULT, -1);
	int err = r < 0 ? errno : e0;
	if (r >= 0 && io->fromlen)
		sf_user_put(io->fromlen, &none, sizeof none);
	if (r >= 0 && (io->rmsg || io->vec)) {
		struct msghdr *m = io->rmsg ? io->rmsg : &io->vec[0].msg_hdr;
		struct msghdr h = io->mcopy;
		h.msg_namelen = 0;
		h.msg_controllen = 0;
		h.msg_flags = 0;
		sf_user_put(m, &h, sizeof h);
		if (io->vec) {
			unsigned n = (unsigned)r;
			sf_user_put(&io->vec[0].msg_len, &n, sizeof n);
			r = 1;
		}
	}
	sf_trace(&io->c, r, err);
	if (io->iov_copy)
		sf_free(io->iov_copy, io->iov_copy_size);
	return sf_done_at(errp, r, err);
}

/* A datagram that draws ICMP port unreachable (icmp.h): the send runs for
 * real, toward a closed port of the socket's own address. */
static ssize_t icmp_send(struct sf_io *io, int *errp, int e0)
{
	struct sf_icmp_save save;
	if (!sf_icmp_redirect(io->c.fd, &save))
		return sf_fail(&io->c, ECONNREFUSED);
	*errp = e0;
	ssize_t r = io->run(io, io->iov, io->iovcnt);
	int err = r < 0 ? *errp : e0;
	sf_icmp_restore(io->c.fd, &save);
	sf_trace(&io->c, r, err);
	return sf_done_at(errp, r, err);
}

static ssize_t io_slow(struct sf_io *io)
{
	if (!sf_enter())
		return io->run(io, io->iov, io->iovcnt);
	int *errp = &errno;
	int e0 = *errp;
	struct sf_sock *s = sf_lookup(io->c.fd);
	if (!s) {
		*errp = e0;
		ssize_t r = io->run(io, io->iov, io->iovcnt);
		return sf_done_at(errp, r, *errp);
	}
	io->c.s = s;
	/* The destination, copied: the rules read it, the kernel has not yet
	 * said whether it can be read at all. One that cannot goes to the
	 * kernel untouched by any rule. Not in struct sf_io, whose
	 * initialisers would clear its 128 bytes on every call. */
	struct sockaddr_storage dest;
	const struct sockaddr *to = io->to;
	socklen_t tolen = io->tolen;
	if (!to && io->msg) {
		to = io->mcopy.msg_name;
		tolen = io->mcopy.msg_namelen;
	}
	if (to) {
		if (tolen < (socklen_t)sizeof(sa_family_t) || tolen > (socklen_t)sizeof dest ||
		    !sf_user_copy(&dest, to, tolen)) {
			*errp = e0;
			ssize_t r = io->run(io, io->iov, io->iovcnt);
			return sf_done_at(errp, r, *errp);
		}
		io->c.addr = (const struct sockaddr *)&dest;
		io->c.addrlen = tolen;
	}
	long ret;
	int err, relayed = 0;
again:;
	enum sf_fate f = sf_fate_dead(&io->c, io->flags, &ret, &err);
	if (f == SF_FATE_STASHED)
		return stash_recv(io, errp, e0);
	if (f == SF_FATE_UNTRACKED) {
		*errp = e0;
		ssize_t r = io->run(io, io->iov, io->iovcnt);
		return sf_done_at(errp, r, *errp);
	}
	s = io->c.s;
	/* A dead connection is past the rules: what it does not answer itself,
	 * the kernel answers, and no rule fires on it again. */
	if (f == SF_FATE_ALIVE) {
		/* A relayed connection's delays hold back its data (relay.h). */
		relayed = sf_relay_real_fd(s, io->c.fd) >= 0;
		io->c.defer_delay = (uint8_t)relayed;
		sf_decide(&io->c);
		if (relayed && io->tx)
			sf_relay_tx_delay(s, io->c.fd, io->c.delay_ns);
		/* Its rate is the relay's bottleneck: the call moves what the
		 * local buffer takes, as on a slow link. */
		if (relayed)
			io->c.throttle = 0;
		/* A later rule's answer comes after the latency, as before. */
		if (relayed && io->c.v.decided && io->c.delay_ns)
			sf_sleep_ns(io->c.delay_ns);
		const struct sf_verdict *v = &io->c.v;
		if (v->decided && !v->ends && v->action == SF_ACT_ERROR && io->tx && sf_icmp_udp(s, io->c.addr, v->err))
			return icmp_send(io, errp, e0);
		f = v->decided ? sf_fate_verdict(&io->c, io->flags, &ret, &err) : SF_FATE_RUN;
	}
	if (f == SF_FATE_FAILED)
		return sf_fail(&io->c, err);
	if (f == SF_FATE_PRETEND_SENT) {
		ret = io->vec || own_iov(io) ? pretend_sent(io) : (errno = EFAULT, -1);
		err = ret < 0 ? errno : e0;
		f = SF_FATE_ANSWERED;
	}
	if (f == SF_FATE_ANSWERED) {
		sf_trace(&io->c, ret, err);
		return sf_done_at(errp, ret, err);
	}
	*errp = e0;
	ssize_t r;
	if (io->c.v.decided && io->c.v.action == SF_ACT_DROP) {
		/* Lose one datagram, then receive as the program asked (blocking
		 * for the next one, or EAGAIN). */
		r = io->run(io, io->iov, io->iovcnt);
		if (r >= 0) {
			*errp = e0;
			r = io->run(io, io->iov, io->iovcnt);
		}
	} else if ((io->c.short_len || io->c.throttle || io->c.corrupt_bits) && own_iov(io)) {
		r = perform(io);
	} else {
		r = io->run(io, io->iov, io->iovcnt);
	}
	err = r < 0 ? *errp : e0;
	if (relayed && !io->tx && r == 0 && sf_relay_real_fd(s, io->c.fd) < 0) {
		/* It waited on the relay's pair while a fault handed the
		 * connection back (relay.h), and woke with the pair's end of
		 * stream: it asks again, of the connection as it is now (the
		 * fault may not have marked it yet: the kernel then answers). */
		relayed = 0;
		io->c.v.decided = 0;
		io->c.short_len = 0;
		io->c.throttle = 0;
		io->c.corrupt_bits = 0;
		goto again;
	}
	r = sf_fate_after(s, io->c.fd, io->c.op, r, &err);
	account(io, r);
	sf_trace(&io->c, r, err);
	if (io->iov_copy)
		sf_free(io->iov_copy, io->iov_copy_size);
	return sf_done_at(errp, r, err);
}

/* The slow paths of the twelve calls: describe the call, run it. */
/* The call's description; what the macro does not name starts as zero. The
 * extra arguments are more designated initialisers (IO_ONE: one buffer).
 * Clearing the whole structure costs some 40 instructions a call more than
 * setting each field by hand (callgrind, a unix send under a rule that
 * applies and does not fire: 744 against 704); only the slow path pays it,
 * for one place that says what every call starts from. */
#define IO_BEGIN(opname, is_tx, runner, ...) \
	struct sf_io io = { .c = { .op = SF_OP_##opname, .fd = fd }, .tx = is_tx, .run = runner, __VA_ARGS__ }
#define IO_ONE(buffer, length) .one = { (void *)(buffer), (length) }, .iov = &io.one, .iovcnt = 1, .total = (length)

ssize_t sf_slow_send(int fd, const void *buf, size_t len, int flags)
{
	IO_BEGIN(send, 1, run_send, IO_ONE(buf, len), .flags = flags);
	return io_slow(&io);
}

ssize_t sf_slow_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
	IO_BEGIN(sendto, 1, run_sendto, IO_ONE(buf, len), .flags = flags, .to = to, .tolen = tolen);
	return io_slow(&io);
}

ssize_t sf_slow_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!msg)
		return sf_real_sendmsg(fd, msg, flags);
	IO_BEGIN(sendmsg, 1, run_sendmsg, .msg = msg, .flags = flags);
	if (!sf_user_copy(&io.mcopy, msg, sizeof io.mcopy))
		return sf_real_sendmsg(fd, msg, flags);
	io.iov = io.mcopy.msg_iov;
	io.iovcnt = (int)io.mcopy.msg_iovlen;
	return io_slow(&io);
}

ssize_t sf_slow_write(int fd, const void *buf, size_t len)
{
	IO_BEGIN(write, 1, run_write, IO_ONE(buf, len));
	return io_slow(&io);
}

ssize_t sf_slow_writev(int fd, const struct iovec *iov, int iovcnt)
{
	IO_BEGIN(writev, 1, run_writev, .iov = iov, .iovcnt = iovcnt);
	return io_slow(&io);
}

ssize_t sf_slow_recv(int fd, void *buf, size_t len, int flags)
{
	IO_BEGIN(recv, 0, run_recv, IO_ONE(buf, len), .flags = flags);
	return io_slow(&io);
}

ssize_t sf_slow_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	IO_BEGIN(recvfrom, 0, run_recvfrom, IO_ONE(buf, len), .flags = flags, .from = from, .fromlen = fromlen);
	return io_slow(&io);
}

ssize_t sf_slow_recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!msg)
		return sf_real_recvmsg(fd, msg, flags);
	IO_BEGIN(recvmsg, 0, run_recvmsg, .rmsg = msg, .flags = flags);
	if (!sf_user_copy(&io.mcopy, msg, sizeof io.mcopy))
		return sf_real_recvmsg(fd, msg, flags);
	io.iov = io.mcopy.msg_iov;
	io.iovcnt = (int)io.mcopy.msg_iovlen;
	return io_slow(&io);
}

ssize_t sf_slow_read(int fd, void *buf, size_t len)
{
	IO_BEGIN(read, 0, run_read, IO_ONE(buf, len));
	return io_slow(&io);
}

ssize_t sf_slow_readv(int fd, const struct iovec *iov, int iovcnt)
{
	IO_BEGIN(readv, 0, run_readv, .iov = iov, .iovcnt = iovcnt);
	return io_slow(&io);
}

#ifdef HAVE_SENDMMSG
int sf_slow_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, SF_MMSG_FLAGS_T flags)
{
	if (!vec || !vlen)
		return sf_real_sendmmsg(fd, vec, vlen, flags);
	IO_BEGIN(sendmmsg, 1, run_sendmmsg, .vec = vec, .vlen = vlen, .msg = &vec[0].msg_hdr, .flags = (int)flags);
	if (!sf_user_copy(&io.mcopy, &vec[0].msg_hdr, sizeof io.mcopy))
		return sf_real_sendmmsg(fd, vec, vlen, flags);
	io.iov = io.mcopy.msg_iov;
	io.iovcnt = (int)io.mcopy.msg_iovlen;
	return (int)io_slow(&io);
}
#endif

#ifdef HAVE_RECVMMSG
int sf_slow_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, SF_MMSG_FLAGS_T flags, SF_MMSG_TIMEOUT_T timeout)
{
	if (!vec || !vlen)
		return sf_real_recvmmsg(fd, vec, vlen, flags, timeout);
	IO_BEGIN(recvmmsg, 0, run_recvmmsg, .vec = vec, .vlen = vlen, .flags = (int)flags, .timeout = timeout);
	if (!sf_user_copy(&io.mcopy, &vec[0].msg_hdr, sizeof io.mcopy))
		return sf_real_recvmmsg(fd, vec, vlen, flags, timeout);
	io.iov = io.mcopy.msg_iov;
	io.iovcnt = (int)io.mcopy.msg_iovlen;
	return (int)io_slow(&io);
}
#endif
