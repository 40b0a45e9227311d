/* Faults whose trigger is a time (a rule for receiving calls with idle> or
 * age>, see sf_rule_timed) happen at that time, whether or not the program
 * calls: a program waiting in poll, epoll or an event loop sees them as it
 * would see the real thing. Each connection has at most one deadline, its
 * earliest, kept by the timer thread (timer.h). */
#ifndef SF_DEADLINE_H
#define SF_DEADLINE_H

#include "sock.h"

/* The connection of s (fd one of its descriptors, or -1 if the caller has
 * none at hand) is made or has moved: set its next deadline, if a timed
 * rule of its plan has one. */
void sf_deadline_arm(int fd, struct sf_sock *s);

/* From the timer thread: the deadline has come. The rules are asked as for
 * a receive, only the timed ones; one that fires changes the connection in
 * the kernel (sf_dead_at_time). Otherwise the next deadline is set. */
void sf_deadline_expired(int fd, struct sf_sock *s);

/* The program closed a descriptor of s (already forgotten by the table):
 * if it was the last, its deadline goes, and its keepalive's end
 * (keepalive.h). */
void sf_deadline_closed(struct sf_sock *s);

#endif
