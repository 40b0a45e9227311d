/* Whom the log names: in the seccomp supervisor, the program it acts for
 * (entry/supervise.c; sockfault(1), THE SUPERVISOR). */
#ifndef SF_ACTING_H
#define SF_ACTING_H

/* The process and thread the log names for the call under way: the
 * supervised program's, in the supervisor; else this process's own. */
long sf_acting_pid(void);
long sf_acting_tid(void);

/* The supervisor, around each call it makes for the program: pid and tid
 * are the program's (0: this process's own again). */
void sf_acting_set(int pid, int tid);

#endif
