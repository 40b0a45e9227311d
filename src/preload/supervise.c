/* The one question the seccomp supervisor asks the library it loads (see
 * sockfault(1), THE SUPERVISOR): would this call, on this descriptor, go
 * straight to the kernel? If so the supervisor lets the program make it
 * itself, exactly as the wrappers' fast path would. */
#include "slow.h"

SF_EXPORT int sockfault_supervisor_passes(int op, int fd);
SF_EXPORT int sockfault_supervisor_passes(int op, int fd)
{
	if (op < 0 || op >= SF_OP__COUNT)
		return 0;
	if (SF_UNLIKELY(!SF_ACQUIRE(&sf_init_done)) && !sf_init_ready())
		return 0;
	return sf_pass((enum sf_op)op, fd);
}
