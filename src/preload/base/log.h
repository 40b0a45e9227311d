/* Events as text or JSON lines (sockfault(1), LOG), written through logfd.h.
 * The log is told plain data: a call as text (its operation, descriptor,
 * formatted addresses), a rule by its name and line, numbers. What the
 * library's own structures mean for a log line is said in decide/report.h. */
#ifndef SF_LOG_H
#define SF_LOG_H

#include <stdint.h>

#include "logfd.h"
#include "tree.h"

enum sf_log_format { SF_LOG_TEXT, SF_LOG_JSON };

/* From the environment, once at start (state/settings.c): the format, then
 * what the start line says about the run (rules_path NULL: no file). */
void sf_log_setup(enum sf_log_format format);
void sf_log_describe(uint64_t seed, const char *exe, const char *rules_path);
/* Where a JSON line's "proc" comes from: the process's place in the run's
 * tree (decide/proctree.h), registered by the library's start. */
void sf_log_proc_source(void (*text)(char out[SF_TREE_MAX]));

/* Remember what the start line will say; it is written before the first
 * event of the process (and again in a forked child, with its own pid). */
void sf_log_start(unsigned nrules);

/* A call, as the log names it. */
struct sf_log_call {
	const char *op; /* the operation's name; "-" for a fault fired by hand */
	int fd;
	const char *peer; /* formatted addresses ("-" when unknown) */
	const char *local;
	int server; /* about a connection the program accepted */
};

/* A rule fired on a call: `action` as the rules file writes it (a delay
 * with the delay applied); `err` the errno the call will return (0: none);
 * `conn` and `call` say which connection to the peer and which of the
 * rule's calls on it this is (what replay matches on). */
struct sf_log_firing {
	const char *rule;
	unsigned line;
	const char *action;
	int err;
	uint64_t conn, call;
};
void sf_log_fault(const struct sf_log_call *c, const struct sf_log_firing *f);
/* SOCKFAULT_TRACE: a call and its result. */
void sf_log_trace(const struct sf_log_call *c, long ret, int err);
/* SOCKFAULT_STATS: one rule's counts; `exe` not NULL for a rule whose exe=
 * does not match this program. */
void sf_log_stats(const char *rule, unsigned line, const char *exe, uint64_t matched, uint64_t fired);
/* SOCKFAULT_RELOAD: the rules were replaced. */
void sf_log_reload(unsigned nrules);
/* A message of the library at start (bad input), as text on the stderr
 * the program started with and, when logging to a file, in the log too. */
void sf_log_message(const char *text);
/* A message of the library later on (a reload's bad rules): where the log
 * goes. */
void sf_log_problem(const char *text);

#endif
