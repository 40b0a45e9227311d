#include "wine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

enum sf_wine_role sf_wine_role;
char sf_wine_program[64];

static const char *base_name(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/* Wine's loader (Debian: /usr/lib/wine/wine64, started by the wine script)
 * and its preloader, which starts the loader in the same process. */
static int is_loader(const char *name)
{
	return strcmp(name, "wine64") == 0 || strcmp(name, "wine") == 0 || strcmp(name, "wine64-preloader") == 0 ||
	       strcmp(name, "wine-preloader") == 0;
}

/* The program of a command line (NUL-separated, n bytes) that Wine's
 * loader runs: LOADER [LOADER] PROGRAM ARGS..., or PROGRAM ARGS... once
 * Wine has rewritten it. 0 if there is none. */
static int program_of(const char *buf, size_t n, char *name, size_t cap)
{
	int loader = n && is_loader(base_name(buf));
	for (size_t at = 0; at < n; at += strlen(buf + at) + 1) {
		const char *b = base_name(buf + at);
		size_t len = strlen(b);
		if (!*b || is_loader(b))
			continue;
		if (!loader && !(len > 4 && strcasecmp(b + len - 4, ".exe") == 0))
			return 0;
		snprintf(name, cap, "%s", b);
		return 1;
	}
	return 0;
}

static size_t read_cmdline(const char *path, char *buf, size_t cap)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t n = 0;
	for (;;) {
		long r = syscall(SYS_read, fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			break;
	}
	syscall(SYS_close, fd);
	buf[n] = '\0';
	return n;
}

void sf_wine_identify(char *name, size_t cap)
{
	char buf[4096];
	if (strncmp(name, "wineserver", 10) == 0) {
		/* Started by the first Wine process of its prefix: under
		 * sockfault run, the run's own program. */
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)syscall(SYS_getppid));
		size_t n = read_cmdline(path, buf, sizeof buf);
		program_of(buf, n, sf_wine_program, sizeof sf_wine_program);
		sf_wine_role = SF_WINE_SERVER;
		return;
	}
	if (!is_loader(name))
		return;
	sf_wine_role = SF_WINE_PROGRAM;
	/* The library starts before Wine rewrites its command line. */
	size_t n = read_cmdline("/proc/self/cmdline", buf, sizeof buf);
	program_of(buf, n, name, cap);
}

void sf_wine_fit(struct sf_rule *r)
{
	if (sf_wine_role == SF_WINE_NONE)
		return;
	r->protos &= (uint8_t)~SF_PROTO_UNIX;
	if (!r->protos || (sf_wine_role == SF_WINE_SERVER &&
			   (r->action == SF_ACT_DELAY || r->action == SF_ACT_THROTTLE || r->action == SF_ACT_LOSSY)))
		r->ops = 0;
}

int sf_wine_errno(int err)
{
	if (sf_wine_role != SF_WINE_NONE && err == EPIPE)
		return ESHUTDOWN;
	return err;
}
