/* On a dead link the segments a program sends are lost on the way; here
 * they would leave (the filter that makes the link dead drops only what
 * comes in), one window of them reaching the peer. So the kernel is told,
 * in TCP repair mode, that the peer's window ends where what is already
 * sent ends: it sends nothing new, the send buffer fills as on a dead link
 * (POLLOUT clears, sends block), and since no ACK can come in to open the
 * window again, its zero-window probe timer ends the connection with
 * ETIMEDOUT after tcp_retries2 probes (or TCP_USER_TIMEOUT). That comes one
 * backoff step before the retransmission timer would end it, measured from
 * its first retransmission (sockfault-rules(5), blackhole). What leaves is
 * a probe now and then: no data, with a sequence number the peer has
 * already acknowledged, which its kernel answers and its program never
 * sees. Data sent before the fault is retransmitted as it would be.
 * Repair mode lasts three calls: a send or receive of another thread that
 * starts within them fails (EINVAL, EPERM), as repair mode has it; one
 * already waiting in the kernel is not disturbed. */
#include "mute.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "units.h"

static int getopt_int(int fd, int level, int name)
{
	int v = 0;
	socklen_t l = sizeof v;
	return syscall(SYS_getsockopt, fd, level, name, &v, &l) == 0 ? v : 0;
}

static int established(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	return syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 &&
	       (ti.tcpi_state == TCP_ESTABLISHED || ti.tcpi_state == TCP_CLOSE_WAIT);
}

/* The kernel's tcp_retries2 (its default if it cannot be read). */
static int retries2(void)
{
	char b[16] = "";
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/sys/net/ipv4/tcp_retries2", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 15;
	long n = syscall(SYS_read, fd, b, sizeof b - 1);
	syscall(SYS_close, fd);
	return n > 0 ? atoi(b) : 15;
}

/* The wait before the first probe: the retransmission timeout, at least
 * 200 ms. */
static uint64_t probe_base_ns(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	uint64_t rto = 200 * SF_NS_PER_MS;
	if (syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 && ti.tcpi_rto * 1000ull > rto)
		rto = ti.tcpi_rto * 1000ull;
	return rto;
}

/* The soonest the probe timer can end the connection: tcp_retries2
 * probes, each after twice the wait of the one before, none more than
 * 120 s apart. */
static uint64_t probes_end_ns(uint64_t base)
{
	uint64_t cap = 120 * SF_NS_PER_S, end = 0;
	for (int k = 0, n = retries2(); k <= n && k < 64; k++, base *= 2)
		end += base < cap ? base : cap;
	return end;
}

uint64_t sf_mute_sends(int fd, uint64_t deadline_ns)
{
	int saved = errno;
	int queued = 0, unsent = 0;
	uint64_t base = probe_base_ns(fd);
	if (!established(fd) || (deadline_ns && probes_end_ns(base) <= deadline_ns) ||
	    syscall(SYS_ioctl, fd, SIOCOUTQ, &queued) != 0 || syscall(SYS_ioctl, fd, SIOCOUTQNSD, &unsent) != 0 ||
	    queued < unsent) {
		errno = saved;
		return 0;
	}
	/* Turning repair mode off forgets SO_REUSEADDR: it is put back. */
	int reuse = getopt_int(fd, SOL_SOCKET, SO_REUSEADDR);
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP;
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0) {
		errno = saved;
		return 0;
	}
	struct tcp_repair_window w;
	socklen_t l = sizeof w;
	if (syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &l) == 0) {
		/* The window ends at the last byte already sent. */
		w.snd_wnd = (uint32_t)(queued - unsent);
		if (w.max_window < w.snd_wnd)
			w.max_window = w.snd_wnd;
		syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof w);
	}
	/* Off without the window probe that repair mode sends when it ends. */
	syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off);
	if (reuse)
		syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
	errno = saved;
	/* With data in flight its retransmissions keep the timer (from the
	 * first one); else the probes do, from the first probe. */
	return queued == unsent ? base : 0;
}
