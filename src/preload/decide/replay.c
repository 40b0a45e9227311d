#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "call.h"
#include "jsonl.h"
#include "proctree.h"
#include "readfile.h"
#include "replaykey.h"
#include "sock.h"

int sf_replaying;
static uint64_t *keys;
static size_t nkeys;

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

unsigned sf_replay_load(const char *path, void (*report)(void *ctx, const char *msg), void *ctx)
{
	char msg[600];
	struct sf_read rd;
	if (sf_read_path(path, SF_REPLAY_MAX_BYTES, &rd) != SF_READ_OK) {
		char why[300];
		snprintf(msg, sizeof msg, "SOCKFAULT_REPLAY: %s: %s", path,
			 sf_read_problem(&rd, "the log", why, sizeof why));
		report(ctx, msg);
		return 1;
	}
	char *text = rd.text;
	size_t len = rd.len;
	unsigned problems = 0, lineno = 0;
	size_t cap = 64;
	keys = malloc(cap * sizeof *keys);
	for (size_t i = 0; i < len && keys;) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		struct sf_json_field f[32];
		int n;
		if (end > i) {
			long bad = sf_json_object(text + i, end - i, f, 32, &n);
			const struct sf_json_field *ev = bad < 0 ? sf_json_get(f, n, "event") : NULL;
			if (bad >= 0) {
				snprintf(msg, sizeof msg,
					 "SOCKFAULT_REPLAY: %s:%u:%ld: not a JSON log line of sockfault "
					 "(write the log with SOCKFAULT_LOG_FORMAT=json)",
					 path, lineno, bad + 1);
				report(ctx, msg);
				problems++;
			} else if (ev && ev->vlen == 5 && memcmp(ev->val, "fault", 5) == 0) {
				const struct sf_json_field *rule = sf_json_get(f, n, "rule"),
							   *peer = sf_json_get(f, n, "peer");
				const struct sf_json_field *local = sf_json_get(f, n, "local"),
							   *proc = sf_json_get(f, n, "proc");
				const struct sf_json_field *side = sf_json_get(f, n, "side");
				int64_t conn, call;
				if (!rule || !peer || !sf_json_int(sf_json_get(f, n, "conn"), &conn) ||
				    !sf_json_int(sf_json_get(f, n, "call"), &call)) {
					snprintf(msg, sizeof msg,
						 "SOCKFAULT_REPLAY: %s:%u: a fault without rule, peer, conn "
						 "and call: it cannot be replayed",
						 path, lineno);
					report(ctx, msg);
					problems++;
				} else {
					char r[256], p[300], l[300], t[608], id[SF_TREE_MAX + 1] = "1";
					sf_json_unescape(rule->val, rule->vlen, r, sizeof r);
					sf_json_unescape(peer->val, peer->vlen, p, sizeof p);
					/* A log from before process trees: every process was "1". */
					if (proc)
						sf_json_unescape(proc->val, proc->vlen, id, sizeof id);
					strcpy(l, "-");
					if (local)
						sf_json_unescape(local->val, local->vlen, l, sizeof l);
					sf_replay_conn_text(
						p, l, side && side->vlen == 6 && memcmp(side->val, "server", 6) == 0, t,
						sizeof t);
					if (nkeys == cap) {
						uint64_t *nk = realloc(keys, cap * 2 * sizeof *keys);
						if (!nk)
							break;
						keys = nk;
						cap *= 2;
					}
					keys[nkeys++] = sf_replay_key(id, r, t, (uint64_t)conn, (uint64_t)call);
				}
			}
		}
		i = end + 1;
	}
	free(text);
	if (keys)
		qsort(keys, nkeys, sizeof *keys, cmp);
	sf_replaying = problems == 0;
	return problems;
}

int sf_replay_fired(const struct sf_call *c, const char *rule, uint64_t conn, uint64_t call)
{
	char peer[160], local[160], t[608], proc[SF_TREE_MAX];
	struct sf_sockaddr v;
	sf_call_peer(c, peer, sizeof peer);
	strcpy(local, "-");
	if (c->s && (c->s->flags & SF_SOCK_HAS_LOCAL)) {
		sf_sock_addr_view(c->s, 0, &v);
		sf_sockaddr_format(local, sizeof local, &v);
	}
	sf_replay_conn_text(peer, local, sf_call_accepted(c), t, sizeof t);
	sf_proctree_text(proc);
	uint64_t k = sf_replay_key(proc, rule, t, conn, call);
	return keys && bsearch(&k, keys, nkeys, sizeof *keys, cmp) != NULL;
}
