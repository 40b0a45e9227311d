/* The deadlines of the timeout action, of time triggers and of the
 * library's keepalive on silenced connections: one helper thread, started
 * the first time one is set (never for rule sets without any), restarted
 * lazily in a forked child. */
#ifndef SF_TIMER_H
#define SF_TIMER_H

#include <stdint.h>

#include "sock.h"

/* The thread runs in this process: 1 once a deadline was set (a look
 * without the lock may be a moment late). */
extern SF_HIDDEN int sf_timer_running;

/* The kinds of deadline, each with its token in the record's rare block. */
enum { SF_TIMER_TIMEOUT, SF_TIMER_TRIGGER, SF_TIMER_KEEPALIVE, SF_TIMER_KINDS };

/* At start: what a deadline that comes does, from the timer thread:
 * expired(fd, s) for a timeout (the dead states' end of it, dead.h),
 * triggered(fd, s) for a time trigger (deadline.h), keepalive(fd, s) for
 * the end a silenced connection's keepalive gives (keepalive.h);
 * trigger_lost(s) for a time trigger that came while one of the socket's
 * descriptors was being closed; registered by the library's start, so
 * that the timer knows nothing of what it times. */
void sf_timer_init(void (*expired)(int fd, struct sf_sock *s), void (*triggered)(int fd, struct sf_sock *s),
		   void (*keepalive)(int fd, struct sf_sock *s), void (*trigger_lost)(struct sf_sock *s));

/* At monotonic time `deadline`, if fd still refers to s and the timeout has
 * not been replaced, call the expiry function with (fd, s). */
void sf_timer_schedule(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline);

/* The same for a time trigger (deadline.h): if the trigger armed with
 * `token` is still the socket's, call the trigger function with (fd, s).
 * optional: only the calls' marks need it (a forked child drops it). 1
 * when the thread will call, 0 when it cannot (no memory, or no thread:
 * then an optional trigger is not kept). */
int sf_timer_schedule_trigger(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline, int optional);

/* The same for a keepalive's end (keepalive.h), with its token ka_token. */
void sf_timer_schedule_keepalive(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline);

/* Drop the time triggers and keepalive ends scheduled for s (its last
 * descriptor is closed): their references would keep the record until the
 * deadline, hours away for a keepalive. */
void sf_timer_forget_closed(struct sf_sock *s);

/* A reference to s is held besides `own` of the caller's and those of the
 * timer's entries: another descriptor's (a dup), or a call's. */
int sf_timer_held_elsewhere(const struct sf_sock *s, uint32_t own);

/* The close path of a socket brackets its close with these (begin 1, then
 * 0): while it closes, a deadline does not touch its descriptors. */
void sf_timer_closing(struct sf_sock *s, int begin);

void sf_timer_lock(void);
void sf_timer_unlock(void);
void sf_timer_child_reset(void);

#endif
