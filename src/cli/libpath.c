#include "libpath.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usable(const char *p)
{
	return access(p, R_OK) == 0;
}

static int try(char *out, size_t cap, const char *dir, const char *rest)
{
	snprintf(out, cap, "%s/%s", dir, rest);
	return usable(out);
}

int sf_find_library(char *out, size_t cap)
{
	const char *env = getenv("SOCKFAULT_LIBRARY");
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return usable(out);
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		char bindir[PATH_MAX];
		const char *configured = realpath(SF_BINDIR, bindir) ? bindir : SF_BINDIR;
		const char *libdir_base = strrchr(SF_LIBDIR, '/');
		if (try(out, cap, exe, ".libs/libsockfault.so"))
			return 1;
		if (strcmp(exe, configured) == 0 && try(out, cap, SF_LIBDIR, "libsockfault.so"))
			return 1;
		char rel[PATH_MAX];
		snprintf(rel, sizeof rel, "..%s/libsockfault.so", libdir_base ? libdir_base : "/lib");
		if (try(out, cap, exe, rel) || try(out, cap, exe, "../lib/libsockfault.so") ||
		    try(out, cap, exe, "../lib64/libsockfault.so"))
			return 1;
	}
	return try(out, cap, SF_LIBDIR, "libsockfault.so");
}
