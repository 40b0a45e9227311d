/* `watch`: what changes, as event lines, for as long as the client stays.
 * The channel's thread looks every tick (control.c) and compares with what
 * it told this client last: connections that appeared, died (a fault or
 * `fire`) or went, faults fired per rule, rule sets replaced. Nothing is
 * added to the program's calls: the events are found, not sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "clock.h"
#include "ctl.h"
#include "dead.h"
#include "fdtab.h"
#include "reclaim.h"
#include "settings.h"
#include "units.h"

extern uint64_t sf_ctl_fire_count;
struct sf_ctl_out sf_ctl_events;

struct wconn {
	int fd;
	uint32_t ino;
	uint8_t dead;
};

struct sf_ctl_watch {
	uint32_t gen;
	uint64_t *fired; /* per rule of the set of generation gen */
	unsigned nrules;
	uint64_t ctl_fired;
	struct wconn *c;
	unsigned nc;
};

static void event(struct sf_ctl_out *o, const char *what)
{
	sf_ctl_begin(o);
	sf_ctl_str(o, "event", what);
	sf_ctl_num(o, "uptime_ms", (int64_t)((sf_now() - sf_config.t_start) / SF_NS_PER_MS));
}

static void conn_fields(struct sf_ctl_out *o, int fd, const struct sf_sock *s)
{
	char peer[300] = "-";
	struct sf_sockaddr v;
	sf_ctl_num(o, "fd", fd);
	if (SF_LOAD(&s->flags) & SF_SOCK_HAS_PEER) {
		sf_sock_addr_view(s, 1, &v);
		sf_sockaddr_format(peer, sizeof peer, &v);
	}
	sf_ctl_str(o, "peer", peer);
}

static void rules_tick(struct sf_ctl_watch *w, struct sf_ctl_out *o, int first)
{
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	uint32_t gen = a ? a->gen : 0;
	unsigned n = a ? a->rs.n : 0;
	if (first || gen != w->gen) {
		uint64_t *f = calloc(n ? n : 1, sizeof *f);
		if (f) {
			free(w->fired);
			w->fired = f;
			w->nrules = n;
			w->gen = gen;
			for (unsigned i = 0; i < n; i++)
				f[i] = SF_LOAD(&a->stats[i].fired);
			if (!first) {
				event(o, "rules");
				sf_ctl_num(o, "rules", n);
				sf_ctl_end(o);
			}
		}
	} else {
		for (unsigned i = 0; i < n && i < w->nrules; i++) {
			uint64_t now = SF_LOAD(&a->stats[i].fired);
			if (now == w->fired[i])
				continue;
			event(o, "fault");
			sf_ctl_str(o, "rule", a->rs.rules[i].name);
			sf_ctl_num(o, "new", (int64_t)(now - w->fired[i]));
			sf_ctl_num(o, "fired", (int64_t)now);
			sf_ctl_end(o);
			w->fired[i] = now;
		}
	}
	sf_read_end();
	uint64_t ctl = SF_LOAD(&sf_ctl_fire_count);
	if (!first && ctl != w->ctl_fired) {
		event(o, "fault");
		sf_ctl_str(o, "rule", "ctl");
		sf_ctl_num(o, "new", (int64_t)(ctl - w->ctl_fired));
		sf_ctl_end(o);
	}
	w->ctl_fired = ctl;
}

static void closed(struct sf_ctl_out *o, const struct wconn *c)
{
	event(o, "closed");
	sf_ctl_num(o, "fd", c->fd);
	sf_ctl_end(o);
}

/* Both lists are in descriptor order: one pass over each. */
static void conns_tick(struct sf_ctl_watch *w, struct sf_ctl_out *o)
{
	unsigned high = SF_LOAD(&sf_fd_high), n = 0, cap = w->nc + 16, j = 0;
	struct wconn *now = malloc(cap * sizeof *now);
	if (!now)
		return;
	for (unsigned fd = 0; fd < high; fd++) {
		while (j < w->nc && w->c[j].fd < (int)fd)
			closed(o, &w->c[j++]);
		const struct wconn *was = j < w->nc && w->c[j].fd == (int)fd ? &w->c[j++] : NULL;
		sf_read_begin();
		struct sf_sock *s = sf_sock_get((int)fd);
		if (!s || !sf_sock_still(s, (int)fd)) {
			sf_sock_release_held();
			sf_read_end();
			if (was)
				closed(o, was);
			continue;
		}
		uint32_t ino = SF_LOAD(&s->ino);
		uint8_t dead = SF_LOAD(&s->dead);
		if (was && was->ino != ino) {
			closed(o, was); /* the number is another socket's now */
			was = NULL;
		}
		if (!was) {
			event(o, "conn");
			conn_fields(o, (int)fd, s);
			sf_ctl_str(o, "state", sf_state_names[SF_LOAD(&s->state) % SF_STATE__COUNT]);
			sf_ctl_end(o);
		}
		if (dead && (!was || was->dead != dead)) {
			event(o, "dead");
			conn_fields(o, (int)fd, s);
			sf_ctl_str(o, "dead", sf_dead_name(dead));
			sf_ctl_end(o);
		}
		sf_sock_release_held();
		sf_read_end();
		if (n == cap) {
			struct wconn *more = realloc(now, (cap *= 2) * sizeof *now);
			if (!more)
				break;
			now = more;
		}
		now[n++] = (struct wconn){ (int)fd, ino, dead };
	}
	while (j < w->nc)
		closed(o, &w->c[j++]);
	free(w->c);
	w->c = now;
	w->nc = n;
}

struct sf_ctl_watch *sf_ctl_watch_new(struct sf_ctl_out *o)
{
	struct sf_ctl_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	rules_tick(w, o, 1);
	conns_tick(w, o);
	return w;
}

void sf_ctl_watch_tick(struct sf_ctl_watch *w, struct sf_ctl_out *o)
{
	rules_tick(w, o, 0);
	conns_tick(w, o);
}

void sf_ctl_watch_free(struct sf_ctl_watch *w)
{
	if (!w)
		return;
	free(w->fired);
	free(w->c);
	free(w);
}
