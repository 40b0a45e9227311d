/* The message calls made on the program's behalf (sendmsg, recvmsg,
 * sendmmsg, recvmmsg) with their names, buffers and control data, through
 * the library's wrappers, so the rules decide them as in a dynamic program.
 * Descriptors passed in SCM_RIGHTS are the program's: one it sends is taken
 * from its table (pidfd_getfd), one it receives is put into it
 * (SECCOMP_IOCTL_NOTIF_ADDFD), a socket at a number the filter sees, like
 * every socket of the program (sockfault(1), THE SUPERVISOR). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "req.h"

/* The most control data one message carries: the kernel's own bound
 * (net.core.optmem_max's default); a send with more fails with ENOBUFS, as
 * it would there. */
#define SV_MAX_CTL (128u * 1024)
/* The most messages of one sendmmsg or recvmmsg (the kernel's own bound),
 * and the most control data all of them carry (more: fewer messages are
 * moved, which both calls may do). */
#define SV_MAX_MSGS 1024u
#define SV_MAX_CTL_ALL (1u << 20)

struct one {
	struct msghdr rm; /* the program's header, as it wrote it */
	uint64_t at;	  /* where it is in the program */
	struct msghdr h;  /* ours */
	struct iovec iov;
	struct sockaddr_storage ss;
	size_t len; /* data bytes */
	size_t ctl; /* control bytes */
};

/* The header at `at`: 0, or -errno (the call's answer). */
static int load(struct req *q, struct one *o, uint64_t at, int tx)
{
	memset(o, 0, sizeof *o);
	o->at = at;
	if (sf_sv_peek(q->tid, at, &o->rm, sizeof o->rm) < 0)
		return -EFAULT;
	/* msg_iovlen is a size_t in glibc, an int in musl (whose library
	 * clears the other half). */
	size_t niov = (size_t)o->rm.msg_iovlen;
	if (niov > SF_SV_IOV_MAX)
		return -EMSGSIZE;
	if (tx && o->rm.msg_name && o->rm.msg_namelen > sizeof o->ss)
		return -EINVAL;
	ssize_t len = sv_iov_bytes(q, (uintptr_t)o->rm.msg_iov, niov);
	if (len < 0)
		return -EFAULT;
	o->len = (size_t)len;
	o->ctl = o->rm.msg_control ? (size_t)o->rm.msg_controllen : 0;
	if (o->ctl > SV_MAX_CTL) {
		if (tx)
			return -ENOBUFS;
		o->ctl = SV_MAX_CTL;
	}
	return 0;
}

/* Our header for the message, its data at `data` and its control data at
 * `ctl`; for a send, both read from the program: 0 or -EFAULT. */
static int prepare(struct req *q, struct one *o, unsigned char *data, unsigned char *ctl, int tx)
{
	o->iov = (struct iovec){ data, o->len };
	o->h = (struct msghdr){
		.msg_iov = &o->iov, .msg_iovlen = 1, .msg_control = o->ctl ? ctl : NULL, .msg_controllen = o->ctl
	};
	if (o->rm.msg_name) {
		o->h.msg_name = &o->ss;
		o->h.msg_namelen = tx ? o->rm.msg_namelen : sizeof o->ss;
	}
	if (!tx)
		return 0;
	ssize_t got = sf_sv_peekv(q->tid, (uintptr_t)o->rm.msg_iov, (int)o->rm.msg_iovlen, data, o->len);
	if (got < 0 ||
	    (o->rm.msg_name && sf_sv_peek(q->tid, (uintptr_t)o->rm.msg_name, &o->ss, o->rm.msg_namelen) < 0) ||
	    sf_sv_peek(q->tid, (uintptr_t)o->rm.msg_control, ctl, o->ctl) < 0)
		return -EFAULT;
	o->iov.iov_len = (size_t)got;
	return 0;
}

/* The control messages of a header, checked as the kernel checks a send's:
 * each within the buffer. */
static int each_cmsg(struct msghdr *h, struct cmsghdr **c)
{
	*c = *c ? CMSG_NXTHDR(h, *c) : CMSG_FIRSTHDR(h);
	return *c != NULL;
}

static int well_formed(struct msghdr *h)
{
	for (struct cmsghdr *c = NULL; each_cmsg(h, &c);) {
		size_t off = (size_t)((unsigned char *)c - (unsigned char *)h->msg_control);
		if (c->cmsg_len < sizeof *c || c->cmsg_len > h->msg_controllen - off)
			return 0;
	}
	return 1;
}

static size_t count_fds(const struct cmsghdr *c)
{
	return c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int)
									 : 0;
}

/* Close the supervisor's copies of the descriptors a message carries (-1:
 * none there). */
static void drop_fds(struct msghdr *h)
{
	for (struct cmsghdr *c = NULL; each_cmsg(h, &c);) {
		size_t n = count_fds(c);
		for (size_t k = 0; k < n; k++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
			if (fd >= 0)
				syscall(SYS_close, fd);
		}
	}
}

/* A send's SCM_RIGHTS: the program's descriptors become the supervisor's
 * copies of them. 0; 1: the message cannot be sent from here (its
 * credentials name the program: SCM_CREDENTIALS); -errno: the answer (EBADF:
 * not a descriptor of the program's), every copy closed. */
static int take_fds(struct req *q, struct msghdr *h, int *pidfd)
{
	if (!h->msg_control)
		return 0;
	if (!well_formed(h))
		return -EINVAL;
	int err = 0;
	for (struct cmsghdr *c = NULL; each_cmsg(h, &c);) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			err = err ? err : 1;
		size_t n = count_fds(c);
		for (size_t k = 0; k < n; k++) {
			int fd = -1, theirs;
			memcpy(&theirs, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
			if (!err && *pidfd < 0)
				*pidfd = (int)syscall(SYS_pidfd_open, q->sv->pid, 0);
			if (!err) {
				fd = *pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, *pidfd, theirs, 0);
				if (fd < 0)
					err = *pidfd < 0 || errno != EBADF ? -EBADF : -errno;
			}
			memcpy(CMSG_DATA(c) + k * sizeof fd, &fd, sizeof fd);
		}
	}
	if (err)
		drop_fds(h);
	return err;
}

/* One received descriptor into the program (the supervisor's copy closed):
 * its number there, or -errno. */
static int give_fd(struct req *q, int mine, int cloexec)
{
	struct stat st;
	if (fstat(mine, &st) == 0 && S_ISSOCK(st.st_mode))
		return sf_sv_install(q->sv, q->n->id, mine, cloexec, 0);
	struct seccomp_notif_addfd add = { .id = q->n->id,
					   .srcfd = (unsigned)mine,
					   .newfd_flags = cloexec ? O_CLOEXEC : 0 };
	sf_sv_intr_hold(1);
	int r = ioctl(q->sv->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	int err = errno;
	sf_sv_intr_hold(0);
	syscall(SYS_close, mine);
	return r < 0 ? -err : r;
}

/* A receive's SCM_RIGHTS: the descriptors go into the program and the
 * message names them by its numbers. As in the kernel, one that cannot be
 * installed ends the control data there (MSG_CTRUNC), the rest closed. */
static void give_fds(struct req *q, struct msghdr *h, int cloexec)
{
	size_t end = h->msg_controllen;
	for (struct cmsghdr *c = NULL; each_cmsg(h, &c);) {
		size_t n = count_fds(c), k = 0;
		size_t off = (size_t)((unsigned char *)c - (unsigned char *)h->msg_control);
		for (; k < n && end == h->msg_controllen; k++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
			int theirs = give_fd(q, fd, cloexec);
			if (theirs < 0) {
				end = k ? off + CMSG_SPACE(k * sizeof fd) : off;
				if (k)
					c->cmsg_len = CMSG_LEN(k * sizeof fd);
				h->msg_flags |= MSG_CTRUNC;
				k++;
				break;
			}
			memcpy(CMSG_DATA(c) + k * sizeof fd, &theirs, sizeof theirs);
		}
		if (end != h->msg_controllen) {
			/* The ones after it: closed here. */
			for (; k < n; k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
				syscall(SYS_close, fd);
			}
		}
	}
	if (end < h->msg_controllen)
		h->msg_controllen = end;
}

/* A received message back into the program: data (`moved` bytes), name,
 * control data, lengths and flags. 0 or -EFAULT. */
static int deliver(struct req *q, struct one *o, size_t moved)
{
	struct msghdr *pm = (struct msghdr *)(uintptr_t)o->at;
	if (sf_sv_pokev(q->tid, (uintptr_t)o->rm.msg_iov, (int)o->rm.msg_iovlen, o->iov.iov_base, moved) < 0)
		return -EFAULT;
	if (o->rm.msg_name) {
		socklen_t put = o->h.msg_namelen < o->rm.msg_namelen ? o->h.msg_namelen : o->rm.msg_namelen;
		if (sf_sv_poke(q->tid, (uintptr_t)o->rm.msg_name, &o->ss, put) < 0 ||
		    sf_sv_poke(q->tid, (uintptr_t)&pm->msg_namelen, &o->h.msg_namelen, sizeof o->h.msg_namelen) < 0)
			return -EFAULT;
	}
	if (o->rm.msg_control) {
		size_t len = o->h.msg_control ? o->h.msg_controllen : 0;
		if (sf_sv_poke(q->tid, (uintptr_t)o->rm.msg_control, o->h.msg_control, len) < 0 ||
		    sf_sv_poke(q->tid, (uintptr_t)&pm->msg_controllen, &len, sizeof len) < 0)
			return -EFAULT;
	}
	return sf_sv_poke(q->tid, (uintptr_t)&pm->msg_flags, &o->h.msg_flags, sizeof o->h.msg_flags);
}

/* n messages at the program's vec (a struct mmsghdr array, or one msghdr
 * with stride 0): loaded, then made here. */
static void transfer(struct req *q, uint64_t vec, size_t stride, unsigned n, int tx)
{
	struct sf_sv *sv = q->sv;
	int fd = (int)q->a[0], flags = (int)q->a[stride ? 3 : 2], pidfd = -1;
	struct one *o = calloc(n, sizeof *o);
	struct mmsghdr *mm = stride ? calloc(n, sizeof *mm) : NULL;
	unsigned char *ctl = NULL;
	if (!o || (stride && !mm)) {
		free(o);
		return sv_pass(q);
	}
	size_t data = 0, ctls = 0;
	unsigned k = 0;
	for (; k < n; k++) {
		int e = load(q, &o[k], vec + k * stride, tx);
		/* A fault past the first message ends the call there. */
		if (e < 0 && !k) {
			free(o);
			free(mm);
			return sv_result(q, -1, -e);
		}
		if (e < 0 || (k && (data + o[k].len > SV_MAX_IO || ctls + CMSG_ALIGN(o[k].ctl) > SV_MAX_CTL_ALL)))
			break;
		data += o[k].len;
		ctls += CMSG_ALIGN(o[k].ctl);
	}
	n = k;
	unsigned char *buf = sf_sv_buffer(data ? data : 1);
	if (!buf || (ctls && !(ctl = calloc(1, ctls)))) {
		free(o);
		free(mm);
		free(ctl);
		return sv_pass(q);
	}
	long r = -1;
	/* 1: the call's answer is r and err; 0: the call is made as it is; -1:
	 * nobody waits for one. */
	int err = 0, answer = 1;
	size_t d = 0, c = 0;
	for (k = 0; k < n; k++) {
		int e = prepare(q, &o[k], buf + d, ctl ? ctl + c : NULL, tx);
		if (!e && tx)
			e = take_fds(q, &o[k].h, &pidfd);
		if (e) {
			/* Failed, or to be made as it is (credentials): the
			 * messages before it go, as the kernel sends them. */
			if (!k) {
				answer = e < 0;
				err = -e;
			}
			break;
		}
		d += o[k].len;
		c += CMSG_ALIGN(o[k].ctl);
		if (mm)
			mm[k].msg_hdr = o[k].h;
	}
	n = k;
	if (!n)
		goto out;
	/* The program's thread no longer waits: its memory is not its own. */
	if (!sv_still(q)) {
		answer = -1;
		goto out;
	}
	if (!stride) {
		r = tx ? sv->lib.sendmsg(fd, &o[0].h, flags) : sv->lib.recvmsg(fd, &o[0].h, flags);
		err = errno;
	} else if (tx) {
		r = sv->lib.sendmmsg(fd, mm, n, flags);
		err = errno;
	} else {
		struct timespec ts, *tp = NULL;
		if (q->a[4] && sf_sv_peek(q->tid, q->a[4], &ts, sizeof ts) < 0) {
			err = EFAULT;
			goto out;
		}
		tp = q->a[4] ? &ts : NULL;
		r = sv->lib.recvmmsg(fd, mm, n, flags, tp);
		err = errno;
		if (r >= 0 && tp && sf_sv_poke(q->tid, q->a[4], tp, sizeof *tp) < 0) {
			r = -1;
			err = EFAULT;
		}
	}
	if (tx)
		sv_pipe_signal(q, r, err, flags);
	/* What each message moved: its length and, for a receive, its data,
	 * name, control data and flags. */
	for (k = 0; r >= 0 && k < (stride ? (unsigned)r : 1u); k++) {
		size_t moved = stride ? mm[k].msg_len : (size_t)r;
		if (stride)
			o[k].h = mm[k].msg_hdr;
		if (!tx) {
			if (o[k].h.msg_control && o[k].h.msg_controllen)
				give_fds(q, &o[k].h, (flags & MSG_CMSG_CLOEXEC) != 0);
			if (deliver(q, &o[k], moved < o[k].len ? moved : o[k].len) < 0) {
				r = -1;
				err = EFAULT;
				break;
			}
		}
		if (stride && sf_sv_poke(q->tid, vec + k * stride + offsetof(struct mmsghdr, msg_len), &mm[k].msg_len,
					 sizeof mm[k].msg_len) < 0) {
			r = -1;
			err = EFAULT;
			break;
		}
	}
out:
	if (tx)
		for (k = 0; k < n; k++)
			drop_fds(&o[k].h);
	if (pidfd >= 0)
		close(pidfd);
	if (!answer)
		sv_pass(q);
	else if (answer > 0)
		sv_result(q, r, err);
	free(o);
	free(mm);
	free(ctl);
}

int sf_sv_may_get_fds(const struct seccomp_notif *n)
{
	int mm = n->data.nr == SYS_recvmmsg;
	if (!mm && n->data.nr != SYS_recvmsg)
		return 0;
	unsigned count = mm ? (unsigned)n->data.args[2] : 1;
	if (count > SV_MAX_MSGS)
		count = SV_MAX_MSGS;
	size_t stride = mm ? sizeof(struct mmsghdr) : sizeof(struct msghdr);
	/* Read in pieces: a vector of headers is at most 64 KiB. */
	for (unsigned k = 0; k < count;) {
		struct mmsghdr v[64];
		unsigned take = count - k < 64 ? count - k : 64;
		if (sf_sv_peek((pid_t)n->pid, n->data.args[1] + k * stride, v, take * stride) < 0)
			return 1;
		for (unsigned i = 0; i < take; i++) {
			const struct msghdr *h = mm ? &v[i].msg_hdr : (const struct msghdr *)v;
			if (h->msg_control && h->msg_controllen)
				return 1;
		}
		k += take;
	}
	return 0;
}

void sv_on_msg(struct req *q, int tx)
{
	/* A receive that may bring descriptors is made here, rules or not:
	 * they must reach the program at numbers the filter sees. */
	if (!sf_sv_owns(q->sv, (uint32_t)q->a[0]) ||
	    (!sv_ours(q, tx ? SF_OP_sendmsg : SF_OP_recvmsg) && (tx || !sf_sv_may_get_fds(q->n))))
		return sv_pass(q);
	transfer(q, q->a[1], 0, 1, tx);
}

void sv_on_mmsg(struct req *q, int tx)
{
	if (!sf_sv_owns(q->sv, (uint32_t)q->a[0]) ||
	    (!sv_ours(q, tx ? SF_OP_sendmmsg : SF_OP_recvmmsg) && (tx || !sf_sv_may_get_fds(q->n))))
		return sv_pass(q);
	unsigned n = (unsigned)q->a[2];
	if (!n)
		return sv_result(q, 0, 0);
	transfer(q, q->a[1], sizeof(struct mmsghdr), n > SV_MAX_MSGS ? SV_MAX_MSGS : n, tx);
}

/* Does a rule watch this socket's data going in (rx) or out? */
static int watched(struct req *q, int fd, int rx)
{
	static const enum sf_op tx_ops[] = { SF_OP_send, SF_OP_sendto, SF_OP_sendmsg, SF_OP_write, SF_OP_writev };
	static const enum sf_op rx_ops[] = { SF_OP_recv, SF_OP_recvfrom, SF_OP_recvmsg, SF_OP_read, SF_OP_readv };
	if (!sf_sv_owns(q->sv, (uint32_t)fd))
		return 0;
	for (size_t i = 0; i < 5; i++)
		if (!q->sv->lib.passes(rx ? rx_ops[i] : tx_ops[i], fd))
			return 1;
	return 0;
}

/* sendfile and splice move a socket's data inside the kernel, where no
 * rule sees it (nor does the library in a dynamic program, which has no
 * such operation). On a socket whose data the rules watch they fail with
 * EINVAL, the kernel's answer for descriptors it cannot splice, on which
 * programs (Go's among them) fall back to reads and writes, which the
 * rules see. */
void sv_on_zerocopy(struct req *q)
{
	int splice = q->n->data.nr == SYS_splice;
	int out = (int)q->a[splice ? 2 : 0], in = splice ? (int)q->a[0] : -1;
	if (watched(q, out, 0) || (in >= 0 && watched(q, in, 1)))
		return sv_result(q, -1, EINVAL);
	sv_pass(q);
}
