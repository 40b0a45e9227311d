/* Events of SPEC section 6, as text or JSON lines, on the library's own descriptor. */
#ifndef SF_LOG_H
#define SF_LOG_H

#include <stdint.h>

#include "active.h"
#include "engine.h"

/* Remember what the start line will say; it is written before the first
 * event of the process (and again in a forked child, with its own pid). */
void sf_log_start(unsigned nrules);
/* A rule fired on a call. For delay, `delay_ns` is the delay applied;
 * `err` the errno the call will return (0: none); `conn` and `call` say
 * which connection to the peer and which of the rule's calls on it this is
 * (what replay matches on). */
void sf_log_fault(const struct sf_call *c, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
                  uint64_t call);
/* SOCKFAULT_TRACE: a call and its result. */
void sf_log_trace(const struct sf_call *c, long ret, int err);
void sf_log_stats(const struct sf_active *a);
/* SOCKFAULT_RELOAD: the rules were replaced. */
void sf_log_reload(unsigned nrules);
/* A message of the library itself (bad input), always as text on stderr
 * and, when logging to a file, in the log too. */
void sf_log_message(const char *text);

/* The program closed or is about to reuse our log descriptor (or, for a
 * log on stderr, closed descriptor 2: whatever takes number 2 next is not
 * stderr, unless the program puts it there with dup). */
#define SF_LOG_STDERR_CLOSED (-3)
void sf_log_fd_lost(int fd);
void sf_log_fd_range_lost(unsigned lo, unsigned hi);
/* The program made descriptor 2 a copy of something: its stderr again. */
void sf_log_stderr_back(int fd);

#endif
