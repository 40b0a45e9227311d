/* SOCKFAULT_CONTROL: a unix socket through which the user (sockfault ctl,
 * a test) reads and changes this process's faults while it runs. See
 * sockfault(1), CONTROL CHANNEL and PROTOCOL. */
#ifndef SF_CONTROL_H
#define SF_CONTROL_H

/* Open the channel and start the one thread that serves it. */
void sf_control_start(void);
/* fork: the child has no serving thread; it gets a channel of its own. */
void sf_control_child_restart(void);

#endif
