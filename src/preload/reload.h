/* SOCKFAULT_RELOAD: a thread that re-reads the rules files when they change. */
#ifndef SF_RELOAD_H
#define SF_RELOAD_H

void sf_reload_start(void);
void sf_reload_child_restart(void);

#endif
