/* Faults whose trigger is a time (a rule for receiving calls with idle> or
 * age>, see sf_rule_timed) happen at that time, whether or not the program
 * calls: a program waiting in poll, epoll or an event loop sees them as it
 * would see the real thing. Each connection has at most one deadline, its
 * earliest, kept by the timer thread (timer.h). */
#ifndef SF_DEADLINE_H
#define SF_DEADLINE_H

#include "sock.h"

/* The connection of s (fd one of its descriptors, or -1 if the caller has
 * none at hand) is made or has moved, or a call found a lower bound of the
 * quick lane not reached (decide/quick.h SF_HOLDS_LATER): set its next
 * deadline, the earliest of its timed rules' and of those bounds', and
 * mark the bounds to come (the entries' mark: SF_ARM_ON where the timer
 * runs for them, else SF_ARM_NEVER, which the lane makes SF_ARM_UNTIL), so
 * that the lane's calls read no clock until then. errno is kept. */
void sf_deadline_arm(int fd, struct sf_sock *s);

/* From the timer thread: the deadline has come. The marks are cleared; the
 * rules are asked as for a receive, only the timed ones; one that fires
 * changes the connection in the kernel (sf_dead_at_time). Otherwise the
 * next deadline is set. */
void sf_deadline_expired(int fd, struct sf_sock *s);

/* A time trigger of s came while one of its descriptors was being
 * closed (timer.h): its marks are cleared, for the descriptors left. */
void sf_deadline_lost(struct sf_sock *s);

/* Around fork (before the timer's lock): no arming is half done in the
 * child. The child's marks are cleared (its timer keeps no deadline only
 * they needed), before sf_timer_child_reset. */
void sf_deadline_lock(void);
void sf_deadline_unlock(void);
void sf_deadline_child_reset(void);

/* The program closed a descriptor of s (already forgotten by the table):
 * if it was the last, its deadline goes, and its keepalive's end
 * (keepalive.h). */
void sf_deadline_closed(struct sf_sock *s);

#endif
