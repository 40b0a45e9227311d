#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "jsonl.h"
#include "readfile.h"

int sf_replaying;
static uint64_t *keys;
static size_t nkeys;

static uint64_t key_of(const char *rule, const char *peer, uint64_t conn, uint64_t call)
{
	uint64_t h = 0x6a09e667f3bcc908ull;
	for (const char *p = rule; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	h = sf_mix64(h ^ 0xff);
	for (const char *p = peer; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	h = sf_mix64(h ^ conn);
	return sf_mix64(h ^ call);
}

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
		snprintf(msg, sizeof msg, "SOCKFAULT_REPLAY: %s: %s", path, sf_read_problem(&rd, "the log", why, sizeof why));
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
				snprintf(msg, sizeof msg, "SOCKFAULT_REPLAY: %s:%u:%ld: not a JSON log line of sockfault "
				         "(write the log with SOCKFAULT_LOG_FORMAT=json)", path, lineno, bad + 1);
				report(ctx, msg);
				problems++;
			} else if (ev && ev->vlen == 5 && memcmp(ev->val, "fault", 5) == 0) {
				const struct sf_json_field *rule = sf_json_get(f, n, "rule"), *peer = sf_json_get(f, n, "peer");
				int64_t conn, call;
				if (!rule || !peer || !sf_json_int(sf_json_get(f, n, "conn"), &conn) ||
				    !sf_json_int(sf_json_get(f, n, "call"), &call)) {
					snprintf(msg, sizeof msg, "SOCKFAULT_REPLAY: %s:%u: a fault without rule, peer, conn "
					         "and call: it cannot be replayed", path, lineno);
					report(ctx, msg);
					problems++;
				} else {
					char r[256], p[300];
					sf_json_unescape(rule->val, rule->vlen, r, sizeof r);
					sf_json_unescape(peer->val, peer->vlen, p, sizeof p);
					if (nkeys == cap) {
						uint64_t *nk = realloc(keys, cap * 2 * sizeof *keys);
						if (!nk)
							break;
						keys = nk;
						cap *= 2;
					}
					keys[nkeys++] = key_of(r, p, (uint64_t)conn, (uint64_t)call);
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

int sf_replay_fired(const char *rule, const char *peer, uint64_t conn, uint64_t call)
{
	uint64_t k = key_of(rule, peer, conn, call);
	return keys && bsearch(&k, keys, nkeys, sizeof *keys, cmp) != NULL;
}
