/* Starts a program in each of the ways a process can, one after the
 * other, for the process tree's numbering.
 *
 *   tspawn WAY[,WAY...] PROGRAM [ARG...]
 *
 * WAY is one of
 *   fork     fork, then execv in the child
 *   vfork    vfork, then execve in the child with an environment of its
 *            own making (a copy of environ without SOCKFAULT_TREE)
 *   vforkp   vfork, then execvp (libc takes environ)
 *   spawn    posix_spawn with that environment of its own making
 *   spawnp   posix_spawnp with environ
 *   execle   fork, then execle with that environment (PROGRAM and 3 or 4
 *            arguments)
 *   system   system(3), which the library does not see
 *   exec     execv in place of tspawn itself (the last WAY)
 * Each child is waited for before the next starts. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Globals, not locals: vfork's child returns into main's frame. */
static char **prog, **env;

__attribute__((noinline)) static char **own_env(void)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **e = calloc(n + 1, sizeof *e);
	if (!e)
		exit(99);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SOCKFAULT_TREE=", 15) != 0)
			e[k++] = environ[i];
	return e;
}

static void reap(pid_t pid, const char *way)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fprintf(stderr, "tspawn: %s: no child\n", way);
		exit(99);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: tspawn WAY[,WAY...] PROGRAM [ARG...]\n", stderr);
		return 99;
	}
	prog = argv + 2;
	env = own_env();
	static char *ways, *way;
	ways = strdup(argv[1]);
	for (way = strtok(ways, ","); way; way = strtok(NULL, ",")) {
		static pid_t pid;
		fflush(stdout);
		if (strcmp(way, "fork") == 0) {
			if ((pid = fork()) == 0) {
				execv(prog[0], prog);
				_exit(127);
			}
		} else if (strcmp(way, "vfork") == 0) {
			if ((pid = vfork()) == 0) {
				execve(prog[0], prog, env);
				_exit(127);
			}
		} else if (strcmp(way, "vforkp") == 0) {
			if ((pid = vfork()) == 0) {
				execvp(prog[0], prog);
				_exit(127);
			}
		} else if (strcmp(way, "spawn") == 0) {
			if (posix_spawn(&pid, prog[0], NULL, NULL, prog, env) != 0)
				pid = -1;
		} else if (strcmp(way, "spawnp") == 0) {
			if (posix_spawnp(&pid, prog[0], NULL, NULL, prog, environ) != 0)
				pid = -1;
		} else if (strcmp(way, "execle") == 0) {
			if ((pid = fork()) == 0) {
				/* The arguments written out, as a program would. */
				int n = 0;
				while (prog[n])
					n++;
				if (n == 5)
					execle(prog[0], prog[0], prog[1], prog[2], prog[3], prog[4], (char *)NULL, env);
				else if (n == 4)
					execle(prog[0], prog[0], prog[1], prog[2], prog[3], (char *)NULL, env);
				_exit(127);
			}
		} else if (strcmp(way, "system") == 0) {
			char cmd[4096] = "";
			for (char **a = prog; *a; a++)
				snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s'%s'", a == prog ? "" : " ",
					 *a);
			if (system(cmd) < 0)
				return 99;
			continue;
		} else if (strcmp(way, "exec") == 0) {
			execv(prog[0], prog);
			return 127;
		} else {
			fprintf(stderr, "tspawn: unknown way %s\n", way);
			return 99;
		}
		reap(pid, way);
	}
	return 0;
}
