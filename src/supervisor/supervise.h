/* sockfault run under the seccomp supervisor (sockfault(1), THE SUPERVISOR):
 * for programs that make their own system calls (Go, static binaries) and for
 * any command given --seccomp. */
#ifndef SF_SUPERVISE_H
#define SF_SUPERVISE_H

/* Execute argv[0] with its socket calls supervised, the rules already in
 * the environment (SOCKFAULT_*) and `lib` the preload library. Returns only
 * if that cannot be done: the exit status for the run, the error printed. */
int sf_supervise_run(char **argv, const char *lib);

#endif
