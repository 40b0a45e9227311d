/* The preload library, loaded into the supervisor: its wrappers decide and
 * perform the program's socket calls, so every rule, action, log line, stat
 * and replay is the library's own (sockfault(1), THE SUPERVISOR). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sv.h"

int sf_sv_lib_load(struct sf_sv_lib *lib, const char *path, const char *program)
{
	/* exe= names the program: the library takes the name the process was
	 * started as, when it initialises (at dlopen). */
	const char *slash = strrchr(program, '/');
	program_invocation_short_name = (char *)(slash ? slash + 1 : program);
	program_invocation_name = (char *)program;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		sf_cli_error("run: cannot load %s into the supervisor: %s", path, dlerror());
		return -1;
	}
	struct {
		void **slot;
		const char *name;
	} want[] = {
#define E(n) { (void **)&lib->n, #n }
		E(socket),
		E(socketpair),
		E(connect),
		E(accept4),
		E(accept),
		E(bind),
		E(listen),
		E(shutdown),
		E(close),
		E(dup),
		E(send),
		E(sendto),
		E(recv),
		E(recvfrom),
		E(read),
		E(write),
		E(readv),
		E(sendmsg),
		E(recvmsg),
		E(sendmmsg),
		E(recvmmsg),
		E(fcntl),
		E(writev),
		E(getsockopt),
		E(getpeername),
#undef E
		{ (void **)&lib->passes, "sockfault_supervisor_passes" },
		{ (void **)&lib->quiet, "sockfault_supervisor_quiet" },
		{ (void **)&lib->ops, "sockfault_supervisor_ops" },
		{ (void **)&lib->move, "sockfault_supervisor_move" },
		{ (void **)&lib->acting, "sockfault_supervisor_acting" },
		{ (void **)&lib->exiting, "sockfault_supervisor_exiting" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		*want[i].slot = dlsym(h, want[i].name);
		if (!*want[i].slot) {
			sf_cli_error("run: %s has no %s: it is not this sockfault's library", path, want[i].name);
			return -1;
		}
	}
	return 0;
}
