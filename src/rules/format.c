#include "format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errnos.h"
#include "units.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_addrs(struct out *o, const char *key, const struct sf_addrpat *a, unsigned n)
{
	/* localhost was expanded into two patterns: print it back as one. */
	static const uint8_t loopback6[16] = { [15] = 1 };
	put(o, " %s=", key);
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n && a[i].kind == SF_ADDR_IP4 && a[i].prefix == 8 && a[i].ip[0] == 127 &&
		    a[i + 1].kind == SF_ADDR_IP6 && a[i + 1].prefix == 128 &&
		    memcmp(a[i + 1].ip, loopback6, sizeof loopback6) == 0 && a[i].has_port == a[i + 1].has_port &&
		    a[i].port_lo == a[i + 1].port_lo && a[i].port_hi == a[i + 1].port_hi) {
			char port[24] = "";
			if (a[i].has_port && a[i].port_lo == a[i].port_hi)
				snprintf(port, sizeof port, ":%u", a[i].port_lo);
			else if (a[i].has_port)
				snprintf(port, sizeof port, ":%u-%u", a[i].port_lo, a[i].port_hi);
			put(o, "%slocalhost%s", i ? "," : "", port);
			i++;
			continue;
		}
		/* Straight into the output: a unix: glob is as long as it was
		 * written, and a cut one would print another rule. */
		if (i)
			put(o, ",");
		size_t room = o->len < o->cap ? o->cap - o->len : 0;
		o->len += sf_addrpat_format(room ? o->buf + o->len : NULL, room, &a[i]);
	}
}

/* Printed whenever it was written: side=client,server still says "on a
 * connection", which the rule without it does not. */
static void put_bits(struct out *o, const char *key, unsigned bits, const char *const *words, int written)
{
	if (!written)
		return;
	put(o, " %s=", key);
	const char *sep = "";
	for (unsigned i = 0; words[i]; i++)
		if (bits & (1u << i)) {
			put(o, "%s%s", sep, words[i]);
			sep = ",";
		}
}

static void num_text(char *buf, size_t cap, int k, uint64_t v)
{
	if (k == SF_NUM_SENT || k == SF_NUM_RECEIVED)
		sf_format_size(buf, cap, v);
	else
		sf_format_duration(buf, cap, v);
}

static void put_range(struct out *o, int k, const struct sf_range *r)
{
	char a[40], b[40];
	const char *key = sf_num_names[k];
	if (r->lo == r->hi && !r->lo_strict && !r->hi_strict) {
		num_text(a, sizeof a, k, r->lo);
		put(o, " %s=%s", key, a);
		return;
	}
	if (r->lo > 0 || r->lo_strict) {
		num_text(a, sizeof a, k, r->lo_strict ? r->lo - 1 : r->lo);
		put(o, " %s%s%s", key, r->lo_strict ? ">" : ">=", a);
	}
	if (r->hi < UINT64_MAX) {
		num_text(b, sizeof b, k, r->hi_strict ? r->hi + 1 : r->hi);
		put(o, " %s%s%s", key, r->hi_strict ? "<" : "<=", b);
	}
	/* >=0 still says "known": age>=0s holds only once the socket is connected. */
	if (r->lo == 0 && !r->lo_strict && r->hi == UINT64_MAX) {
		num_text(a, sizeof a, k, 0);
		put(o, " %s>=%s", key, a);
	}
}

size_t sf_action_format(char *buf, size_t cap, const struct sf_rule *r)
{
	struct out o = { buf, cap, 0 };
	char a[40], b[40];
	put(&o, "%s", sf_action_names[r->action]);
	switch (sf_action_arg(r->action)) {
	case SF_ARG_ERRNO: {
		const char *name = sf_errno_name(r->err);
		if (name)
			put(&o, " %s", name);
		else
			put(&o, " %d", r->err);
		break;
	}
	case SF_ARG_DURATION:
		sf_format_duration(a, sizeof a, r->dur_ns);
		put(&o, " %s", a);
		break;
	case SF_ARG_DELAY:
		sf_format_duration(a, sizeof a, r->dur_ns);
		put(&o, " %s", a);
		if (r->jitter_ns) {
			sf_format_duration(b, sizeof b, r->jitter_ns);
			put(&o, "~%s", b);
		}
		break;
	case SF_ARG_SIZE:
	case SF_ARG_BITS:
		put(&o, " %llu", (unsigned long long)r->count);
		break;
	case SF_ARG_RATE:
		sf_format_size(a, sizeof a, r->rate);
		put(&o, " %s/s", a);
		break;
	case SF_ARG_CHANCE:
		put(&o, " %s", r->loss_text);
		break;
	case SF_ARG_NONE:
		break;
	}
	return o.len;
}

size_t sf_rule_format(char *buf, size_t cap, const struct sf_rule *r)
{
	struct out o = { buf, cap, 0 };
	char tmp[64];

	char ops[256];
	sf_ops_format(ops, sizeof ops, r->ops);
	put(&o, "%s: %s", r->name, ops);
	if (r->has & SF_HAS_PEER)
		put_addrs(&o, "peer", r->peers, r->npeers);
	if (r->has & SF_HAS_LOCAL)
		put_addrs(&o, "local", r->locals, r->nlocals);
	put_bits(&o, "proto", r->protos, sf_proto_names, !!(r->has & SF_HAS_PROTO));
	put_bits(&o, "side", r->sides, sf_side_names, !!(r->has & SF_HAS_SIDE));
	put_bits(&o, "state", r->states, sf_state_names, !!(r->has & SF_HAS_STATE));
	for (int k = 0; k < SF_NUM__COUNT; k++)
		if (r->has & SF_HAS_NUM(k))
			put_range(&o, k, &r->num[k]);
	if (r->has & SF_HAS_HOST) {
		put(&o, " host=");
		for (unsigned i = 0; i < r->nhosts; i++)
			put(&o, "%s%s", i ? "," : "", r->hosts[i]);
	}
	if (r->has & SF_HAS_EXE)
		put(&o, " exe=%s", r->exe);
	if (r->has & SF_HAS_WHEN) {
		sf_when_format(tmp, sizeof tmp, &r->when);
		put(&o, " when=%s", tmp);
	}
	if (r->has & SF_HAS_PER)
		put(&o, " per=%s", sf_per_names[r->per]);
	if (r->has & SF_HAS_P)
		put(&o, " p=%s", r->p_text);
	if (r->has & SF_HAS_LIMIT)
		put(&o, " limit=%llu", (unsigned long long)r->limit);
	put(&o, " => ");
	size_t room = o.len < o.cap ? o.cap - o.len : 0;
	o.len += sf_action_format(room ? o.buf + o.len : NULL, room, r);
	if (r->sticky)
		put(&o, " sticky");
	if (r->now)
		put(&o, " now");
	if (r->icmp)
		put(&o, r->icmp == SF_ICMP_LOCAL ? " icmp=local" : " icmp");
	if (r->quiet)
		put(&o, " log=quiet");
	return o.len;
}
