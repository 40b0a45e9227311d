/* sockfault run for Windows programs under Wine (sockfault(1), WINDOWS
 * PROGRAMS): the run gets a wineserver of its own, and it is gone when the
 * run ends.
 *
 * Every Wine program of a prefix talks to one wineserver, which makes the
 * program's connects and waits, so the rules must be in force there; and
 * wineserver outlives its last program by a few seconds, keeping the
 * environment (the rules) it was started with. Wine finds the server of a
 * prefix by the prefix directory's identity, so the run uses a prefix
 * directory of its own whose entries are links to the user's prefix
 * (the registry files are copies): drive_c and the Windows installation are
 * the user's, the server and the registry it writes are the run's. When the program has ended, that server and the programs Wine
 * started for it are stopped, and the run's directory is removed. */
#include "winerun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

int sf_wine_command(const char *cmd)
{
	const char *b = strrchr(cmd, '/');
	b = b ? b + 1 : cmd;
	static const char *const loaders[] = {
		"wine", "wine64", "wine-stable", "wine64-stable", "wine-development", "wine64-development", NULL
	};
	for (int i = 0; loaders[i]; i++)
		if (strcmp(b, loaders[i]) == 0)
			return 1;
	return 0;
}

/* The user's prefix, as Wine chooses it. */
static int user_prefix(char *out, size_t cap)
{
	const char *p = getenv("WINEPREFIX");
	if (p && *p)
		return snprintf(out, cap, "%s", p) < (int)cap;
	const char *home = getenv("HOME");
	return home && *home && snprintf(out, cap, "%s/.wine", home) < (int)cap;
}

/* Run argv with the environment as it is (no library: the helpers of a
 * run are not under test) and wait for it. */
static int run_plain(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		unsetenv("LD_PRELOAD");
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Copy the file from to the new file to (mode 0600). */
static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int ok = 1;
	while (ok && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			ok = errno == EINTR;
			continue;
		}
		for (ssize_t done = 0; ok && done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno != EINTR)
				ok = 0;
			else if (w > 0)
				done += w;
		}
	}
	close(in);
	if (close(out) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int is_registry(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".reg") == 0;
}

/* The run's prefix: a new directory with a link to each entry of the
 * user's, except Debian's "wineserver" file (where that prefix's server
 * lives) and the registry files, copied: the run's server writes them
 * when it ends, and must not write the user's (whose own server may be
 * running). Returns 0 on failure, with the reason said. */
static int make_shadow(const char *user, char *dir, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	if (snprintf(dir, cap, "%s/sockfault-wine-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)cap || !mkdtemp(dir)) {
		sf_cli_error("run: cannot make a Wine prefix for the run: %s", strerror(errno));
		return 0;
	}
	DIR *d = opendir(user);
	if (!d) {
		sf_cli_error("run: cannot read the Wine prefix %s: %s", user, strerror(errno));
		rmdir(dir);
		return 0;
	}
	struct dirent *e;
	int ok = 1;
	while (ok && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "wineserver") == 0)
			continue;
		char from[PATH_MAX], to[PATH_MAX];
		if (snprintf(from, sizeof from, "%s/%s", user, e->d_name) >= (int)sizeof from ||
		    snprintf(to, sizeof to, "%s/%s", dir, e->d_name) >= (int)sizeof to ||
		    (is_registry(e->d_name) ? copy_file(from, to) : symlink(from, to)) != 0) {
			sf_cli_error("run: cannot link %s into the run's Wine prefix: %s", from, strerror(errno));
			ok = 0;
		}
	}
	closedir(d);
	return ok;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Debian's Wine keeps the server's socket in a directory of its own that
 * the prefix's "wineserver" file names (/tmp/wine-XXXXXX): remove it too. */
static void remove_server_dir(const char *dir)
{
	char file[PATH_MAX], name[PATH_MAX];
	if (snprintf(file, sizeof file, "%s/wineserver", dir) >= (int)sizeof file)
		return;
	FILE *f = fopen(file, "re");
	if (!f)
		return;
	if (fgets(name, sizeof name, f)) {
		name[strcspn(name, "\n")] = '\0';
		if (strncmp(name, "wine-", 5) == 0 && !strchr(name, '/')) {
			char path[PATH_MAX];
			const char *tmp = getenv("TMPDIR");
			if (snprintf(path, sizeof path, "%s/%s", tmp && *tmp ? tmp : "/tmp", name) < (int)sizeof path)
				nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		}
	}
	fclose(f);
}

/* The wineserver of the loader: the one next to it (Debian:
 * /usr/lib/wine/wine64 and /usr/lib/wine/wineserver), else PATH's. */
static void find_wineserver(const char *loader, char *out, size_t cap)
{
	char path[PATH_MAX] = "";
	if (strchr(loader, '/')) {
		snprintf(path, sizeof path, "%s", loader);
	} else {
		const char *p = getenv("PATH");
		for (p = p ? p : "/usr/bin:/bin"; *p;) {
			size_t len = strcspn(p, ":");
			if (snprintf(path, sizeof path, "%.*s/%s", (int)len, p, loader) < (int)sizeof path &&
			    access(path, X_OK) == 0)
				break;
			path[0] = '\0';
			p += len + (p[len] == ':');
		}
	}
	char *slash = strrchr(path, '/');
	if (slash && (size_t)(slash - path) + sizeof "/wineserver" <= sizeof path) {
		strcpy(slash, "/wineserver");
		if (access(path, X_OK) == 0) {
			snprintf(out, cap, "%s", path);
			return;
		}
	}
	snprintf(out, cap, "wineserver");
}

/* Stop the run's server (and the programs Wine started for it), wait for
 * it to end, remove the run's prefix. Links are removed, not followed. */
static void clean_up(const char *loader, const char *dir)
{
	setenv("WINEPREFIX", dir, 1);
	char server[PATH_MAX], k[] = "-k", w[] = "-w";
	find_wineserver(loader, server, sizeof server);
	char *killv[] = { server, k, NULL }, *waitv[] = { server, w, NULL };
	run_plain(killv);
	run_plain(waitv);
	remove_server_dir(dir);
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static volatile sig_atomic_t child_pid;

/* A signal sent to sockfault alone goes on to the program; one the
 * terminal sent to the whole process group has reached it already. */
static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (child_pid > 0 && si->si_code <= 0)
		kill((pid_t)child_pid, sig);
}

int sf_wine_run(char **argv)
{
	char user[PATH_MAX], dir[PATH_MAX];
	if (!user_prefix(user, sizeof user)) {
		sf_cli_error("run: no Wine prefix: set WINEPREFIX (or HOME)");
		return SF_EXIT_USAGE;
	}
	struct stat st;
	if (stat(user, &st) != 0) {
		/* Made first, as Wine would make it, without the library. */
		char boot[] = "wineboot", i[] = "-i";
		char *bootv[] = { argv[0], boot, i, NULL };
		if (run_plain(bootv) != 0 || stat(user, &st) != 0) {
			sf_cli_error("run: cannot make the Wine prefix %s (%s wineboot -i failed)", user, argv[0]);
			return SF_EXIT_USAGE;
		}
		char server[PATH_MAX], w[] = "-w";
		find_wineserver(argv[0], server, sizeof server);
		char *waitv[] = { server, w, NULL };
		run_plain(waitv);
	}
	/* The links must name it from anywhere (WINEPREFIX may be relative). */
	char abs_user[PATH_MAX];
	if (realpath(user, abs_user))
		memcpy(user, abs_user, sizeof user);
	if (!make_shadow(user, dir, sizeof dir)) {
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		return SF_EXIT_USAGE;
	}
	struct sigaction sa = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO }, old[4];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	sigemptyset(&sa.sa_mask);
	for (int k = 0; k < 4; k++)
		sigaction(sigs[k], &sa, &old[k]);
	pid_t pid = fork();
	if (pid == 0) {
		for (int k = 0; k < 4; k++)
			sigaction(sigs[k], &old[k], NULL);
		setenv("WINEPREFIX", dir, 1);
		execvp(argv[0], argv);
		int err = errno;
		sf_cli_error("run: cannot run %s: %s", argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	int status = SF_EXIT_USAGE;
	if (pid < 0) {
		sf_cli_error("run: cannot start %s: %s", argv[0], strerror(errno));
	} else {
		child_pid = pid;
		int w = 0;
		while (waitpid(pid, &w, 0) < 0 && errno == EINTR)
			;
		child_pid = 0;
		status = WIFEXITED(w) ? WEXITSTATUS(w) : 128 + WTERMSIG(w);
	}
	clean_up(argv[0], dir);
	for (int k = 0; k < 4; k++)
		sigaction(sigs[k], &old[k], NULL);
	return status;
}
