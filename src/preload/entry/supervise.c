/* The questions the seccomp supervisor asks the library it loads (see
 * sockfault(1), THE SUPERVISOR). Would this call, on this descriptor, go
 * straight to the kernel? If so the supervisor lets the program make it
 * itself, exactly as the wrappers' fast path would. */
#include <sys/syscall.h>
#include <unistd.h>

#include "acting.h"
#include "relay.h"
#include "replay.h"
#include "report.h"
#include "slow.h"

/* Set by the supervisor around each call it makes for the program: the log
 * names the program's process and thread, not the supervisor's. */
SF_EXPORT void sockfault_supervisor_acting(int pid, int tid);
SF_EXPORT void sockfault_supervisor_acting(int pid, int tid)
{
	sf_acting_set(pid, tid);
	/* The program's own descriptor is the real socket: a relay on the
	 * supervisor's copy would carry data the program's poll never sees. */
	sf_relay_disable();
}

SF_EXPORT int sockfault_supervisor_passes(int op, int fd);
SF_EXPORT int sockfault_supervisor_passes(int op, int fd)
{
	if (op < 0 || op >= SF_OP__COUNT)
		return 0;
	if (SF_UNLIKELY(!SF_ACQUIRE(&sf_init_done)) && !sf_init_ready())
		return 0;
	return sf_pass((enum sf_op)op, fd);
}

/* Will every data call on this socket go straight to the kernel for as
 * long as it lives? Yes when no rule can apply to its data now (its record,
 * planned with its peer known, wants none of those calls) and nothing can
 * change that later: no rules read again or sent over the control channel,
 * no host names still to be learnt, no replay, no tracing. The supervisor
 * then puts it where the filter does not trap its data calls. */
SF_EXPORT int sockfault_supervisor_quiet(int fd);
SF_EXPORT int sockfault_supervisor_quiet(int fd)
{
	if (SF_UNLIKELY(!SF_ACQUIRE(&sf_init_done)) && !sf_init_ready())
		return 0;
	const struct sf_active *a = sf_active_get();
	if (sf_config.reload || sf_config.control || sf_config.trace || sf_replaying || (a && a->has_host))
		return 0;
	for (int op = 0; op < SF_OP__COUNT; op++)
		if ((SF_OPS_IO & SF_OPBIT(op)) && !sf_pass((enum sf_op)op, fd))
			return 0;
	return 1;
}

/* The operations the library must see, now that it has read its rules (0:
 * none; every one when rules may change, or when every call is traced). The
 * supervisor traps only the system calls behind them. */
SF_EXPORT unsigned sockfault_supervisor_ops(void);
SF_EXPORT unsigned sockfault_supervisor_ops(void)
{
	if (SF_UNLIKELY(!SF_ACQUIRE(&sf_init_done)) && !sf_init_ready())
		return SF_OPS_ALL;
	/* Rules read again later may name any call. */
	if (sf_config.reload)
		return SF_OPS_ALL;
	return SF_LOAD(&sf_hot);
}

/* The supervisor made a socket through the wrappers (socket, accept, dup)
 * and moved it to the program's number: the record moves with it, with
 * everything it knows (side, age, the copies that share it). To -1: the
 * record is dropped, and the socket learned again at its next call, as a
 * library starting in a new program would (exec). */
SF_EXPORT void sockfault_supervisor_move(int from, int to);
SF_EXPORT void sockfault_supervisor_move(int from, int to)
{
	if (!sf_enter())
		return;
	uintptr_t v = sf_fd_get(from);
	if (v) {
		if (to >= 0)
			sf_sock_install(to, v);
		sf_sock_install(from, 0);
	}
	sf_leave();
}

/* The program's process is about to exit (exit_group): its statistics, as
 * the library's destructor prints them in a preloaded process. The
 * supervisor itself ends without running destructors. */
SF_EXPORT void sockfault_supervisor_exiting(void);
SF_EXPORT void sockfault_supervisor_exiting(void)
{
	static int done;
	struct sf_active *a = sf_active_get();
	if (a && sf_config.stats && !sf_config.inert && !__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		sf_report_stats(a);
}
