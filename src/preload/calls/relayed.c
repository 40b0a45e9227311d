/* setsockopt and getsockname pass straight to libc, except on a relayed
 * connection (relay.h), where they speak of the real socket: the program's
 * descriptor is then one end of a local pair, which has no TCP options and
 * no address of its own; and the keepalive's options on a silenced
 * connection, whose keepalive the library keeps (keepalive.h). */
#include <errno.h>
#include <sys/socket.h>

#include "keepalive.h"
#include "relay.h"
#include "slow.h"

/* The real socket behind fd, or -1 (the guard entered); -2: nothing is
 * relayed, or the call is the library's own (libc answers). */
static int relayed(int fd)
{
	if (SF_LIKELY(!SF_LOAD(&sf_relay_count)) || !sf_enter())
		return -2;
	struct sf_sock *s = sf_lookup(fd);
	return s ? sf_relay_real_fd(s, fd) : -1;
}

/* A keepalive option on a socket that is not relayed. */
static int keepalive_option(int fd, int level, int name, const void *val, socklen_t len)
{
	int e0 = errno;
	if (!sf_enter())
		return sf_real_setsockopt(fd, level, name, val, len);
	struct sf_sock *s = sf_lookup(fd);
	errno = e0;
	int r = s ? sf_keepalive_setsockopt(fd, s, level, name, val, len)
		  : sf_real_setsockopt(fd, level, name, val, len);
	return (int)sf_done(r, errno);
}

SF_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int e0 = errno;
	int rfd = relayed(fd);
	if (rfd == -2) {
		if (SF_UNLIKELY(SF_LOAD(&sf_keepalive_watch)) && sf_keepalive_option(level, name) &&
		    !SF_LOAD(&sf_relay_count))
			return keepalive_option(fd, level, name, val, len);
		return sf_real_setsockopt(fd, level, name, val, len);
	}
	if (rfd < 0) {
		errno = e0;
		struct sf_sock *s = sf_keepalive_option(level, name) ? sf_lookup(fd) : NULL;
		int r = s ? sf_keepalive_setsockopt(fd, s, level, name, val, len)
			  : sf_real_setsockopt(fd, level, name, val, len);
		return (int)sf_done(r, errno);
	}
	/* The timeouts are the program's calls' own: its end keeps them. */
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		errno = e0;
		int r = sf_real_setsockopt(fd, level, name, val, len);
		return (int)sf_done(r, errno);
	}
	errno = e0;
	int r = sf_real_setsockopt(rfd, level, name, val, len);
	return (int)sf_done(r, errno);
}

SF_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	int e0 = errno;
	int rfd = relayed(fd);
	if (rfd == -2)
		return sf_real_getsockname(fd, addr, len);
	errno = e0;
	int r = sf_real_getsockname(rfd >= 0 ? rfd : fd, addr, len);
	return (int)sf_done(r, errno);
}
