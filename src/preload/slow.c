#include "slow.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "settings.h"

struct sf_sock *sf_lookup(int fd)
{
	uintptr_t v = sf_fd_get(fd);
	if (v == 0 && fd >= 0 && (unsigned)fd < SF_FD_MAX) {
		v = sf_sock_learn(fd);
		if (v)
			sf_sock_install(fd, v);
		/* Another thread may have installed something meanwhile: use
		 * what the table holds now. */
		v = sf_fd_get(fd);
	}
	return v > SF_FD_NOTSOCK ? (struct sf_sock *)v : NULL;
}

long sf_fail(struct sf_call *c, int err)
{
	sf_trace(c, -1, err);
	return sf_done(-1, err);
}

void sf_trace(const struct sf_call *c, long ret, int err)
{
	if (sf_config.trace)
		sf_log_trace(c, ret, err);
}

int sf_pending_error(struct sf_sock *s, int err)
{
	uint16_t pending = SF_LOAD(&s->pending_err);
	if (!pending || err != ECONNREFUSED)
		return err;
	SF_STORE(&s->pending_err, 0);
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	sf_sock_replan(s);
	return pending;
}

int sf_table_is_ours(void)
{
	return syscall(SYS_getpid) == sf_config.pid;
}

int sf_fd_nonblocking(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}
