/* The replay main of a fuzz target built without libFuzzer (-DSF_FUZZ_REPLAY),
 * a TAP test of make check: every file of the directories given (default:
 * the target's seed corpus and regression inputs under $SF_SRCDIR) through
 * LLVMFuzzerTestOneInput, in a child, one TAP line per file. Included once,
 * by a target that defines FUZZ_CORPUS and FUZZ_REGRESS. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurp.h"

static int replay_one(const char *path)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);
	if (!buf)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		LLVMFuzzerTestOneInput(buf, len);
		_exit(0);
	}
	free(buf);
	int status;
	while (pid > 0 && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.' && strcmp(e->d_name, "README") != 0;
}

int main(int argc, char **argv)
{
	const char *src = getenv("SF_SRCDIR");
	const char *defaults[] = { FUZZ_CORPUS, FUZZ_REGRESS };
	char dirs[2][4096];
	int ndirs = 0;
	if (argc == 1) {
		if (!src)
			return 2;
		for (int i = 0; i < 2; i++)
			snprintf(dirs[ndirs++], sizeof dirs[0], "%s/%s", src, defaults[i]);
	}
	struct dirent **list[2] = { 0 };
	int n[2] = { 0 };
	size_t total = 0;
	for (int d = 0; d < ndirs; d++) {
		n[d] = scandir(dirs[d], &list[d], not_dot, alphasort);
		if (n[d] < 0) {
			fprintf(stderr, "%s: %s\n", dirs[d], strerror(errno));
			return 1;
		}
		total += (size_t)n[d];
	}
	if (argc > 1)
		total = (size_t)argc - 1;
	printf("1..%zu\n", total);
	size_t t = 0;
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		int ok = replay_one(argv[i]) == 0;
		printf("%sok %zu - %s\n", ok ? "" : "not ", ++t, argv[i]);
		failed |= !ok;
	}
	for (int d = 0; d < ndirs; d++) {
		for (int k = 0; k < n[d]; k++) {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dirs[d], list[d][k]->d_name);
			int ok = replay_one(path) == 0;
			printf("%sok %zu - %s/%s\n", ok ? "" : "not ", ++t, defaults[d], list[d][k]->d_name);
			failed |= !ok;
			free(list[d][k]);
		}
		free(list[d]);
	}
	return failed;
}
