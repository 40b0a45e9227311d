#include "replaykey.h"

#include <stdio.h>
#include <string.h>

#include "decide.h"

uint64_t sf_replay_key(const char *proc, const char *rule, const char *conn_text, uint64_t conn, uint64_t call)
{
	uint64_t h = 0x6a09e667f3bcc908ull;
	for (const char *p = proc; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	h = sf_mix64(h ^ 0xfe);
	for (const char *p = rule; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	h = sf_mix64(h ^ 0xff);
	for (const char *p = conn_text; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	h = sf_mix64(h ^ conn);
	return sf_mix64(h ^ call);
}

/* "10.0.0.1:80" -> "10.0.0.1", "[::1]:80" -> "[::1]"; anything else as it is. */
static void strip_port(char *a)
{
	char *colon = strrchr(a, ':');
	if (!colon || !colon[1] || colon == a)
		return;
	for (const char *d = colon + 1; *d; d++)
		if (*d < '0' || *d > '9')
			return;
	if (a[0] == '[' ? colon[-1] == ']' : memchr(a, ':', (size_t)(colon - a)) == NULL)
		*colon = '\0';
}

void sf_replay_conn_text(const char *peer, const char *local, int accepted, char *out, size_t cap)
{
	if (!accepted) {
		snprintf(out, cap, "%s", peer);
		return;
	}
	char client[300];
	snprintf(client, sizeof client, "%s", peer);
	strip_port(client);
	snprintf(out, cap, "%s<%s", local, client);
}
