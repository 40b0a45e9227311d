#include "lookup.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

struct sf_sock *sf_learn(int fd)
{
	/* A vfork child's descriptors are not the parent's: it learns none
	 * into the table they share. */
	if (fd < 0 || (unsigned)fd >= SF_LOAD(&sf_fd_limit) || !sf_proc_owns_state())
		return NULL;
	uintptr_t v = sf_sock_learn(fd);
	if (v)
		sf_sock_install(fd, v);
	/* Another thread may have installed something meanwhile: use what
	 * the table holds now. */
	return sf_sock_get(fd);
}

int sf_sock_is(struct sf_sock *s, int fd)
{
	if (sf_sock_still(s, fd))
		return 1;
	if (sf_proc_owns_state() && sf_fd_get(fd) == (uintptr_t)s)
		sf_sock_install(fd, sf_sock_learn(fd));
	return 0;
}

int sf_fd_nonblocking(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}
