/* The timeout action's deadlines: one helper thread, started the first time a
 * timeout fires (never for rule sets without one), restarted lazily in a
 * forked child. */
#ifndef SF_TIMER_H
#define SF_TIMER_H

#include <stdint.h>

#include "sock.h"

/* At start: what a deadline that comes does, expired(fd, s) from the timer
 * thread (the dead states' end of a timeout, dead.h; registered by the
 * library's start, so that the timer knows nothing of what it times). */
void sf_timer_init(void (*expired)(int fd, struct sf_sock *s));

/* At monotonic time `deadline`, if fd still refers to s and the timeout has
 * not been replaced, call the expiry function with (fd, s). */
void sf_timer_schedule(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline);

/* The close path of a socket brackets its close with these (begin 1, then
 * 0): while it closes, a deadline does not touch its descriptors. */
void sf_timer_closing(struct sf_sock *s, int begin);

void sf_timer_lock(void);
void sf_timer_unlock(void);
void sf_timer_child_reset(void);

#endif
