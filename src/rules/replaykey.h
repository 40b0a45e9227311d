/* What replay knows a recorded fault by (sockfault(1), SOCKFAULT_REPLAY):
 * the process (its place in the run's tree), the rule, the connection and
 * the rule's call on it. Pure functions, shared by the log's reader and
 * the calls being replayed. */
#ifndef SF_REPLAYKEY_H
#define SF_REPLAYKEY_H

#include <stddef.h>
#include <stdint.h>

/* The connection as replay knows it, in out: its peer as the log writes
 * it, or for an accepted connection "LOCAL<CLIENT" with the client's port
 * left out (its kernel picks another in every run, as the draws know). */
void sf_replay_conn_text(const char *peer, const char *local, int accepted, char *out, size_t cap);

/* One fault's key: process, rule, connection text, nth connection, call. */
uint64_t sf_replay_key(const char *proc, const char *rule, const char *conn_text, uint64_t conn, uint64_t call);

#endif
