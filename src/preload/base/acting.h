/* The seccomp supervisor's hooks in the library (src/preload/supervise.c;
 * sockfault(1), THE SUPERVISOR). */
#ifndef SF_ACTING_H
#define SF_ACTING_H

/* The process and thread the log names for the call under way: the
 * supervised program's, in the supervisor; else this process's own. */
long sf_acting_pid(void);
long sf_acting_tid(void);

#endif
