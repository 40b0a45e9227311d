/* Events as text or JSON lines (sockfault(1), LOG), written through logfd.h. */
#ifndef SF_LOG_H
#define SF_LOG_H

#include <stdint.h>

#include "active.h"
#include "engine.h"
#include "logfd.h"

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
/* A message of the library at start (bad input), as text on the stderr
 * the program started with and, when logging to a file, in the log too. */
void sf_log_message(const char *text);
/* A message of the library later on (a reload's bad rules): where the log
 * goes. */
void sf_log_problem(const char *text);

#endif
