/* "A rule that can never fire is an error, not a silent no-op." */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse_internal.h"

#define OP(name) SF_OPBIT(SF_OP_##name)
#define OPS_CREATE sf_ops_of_class(SF_CLASS_CREATE)
#define OPS_ACCEPT sf_ops_of_class(SF_CLASS_ACCEPT)
#define OPS_CONNECT OP(connect)

/* The operations that can be called on a socket in each state. */
static sf_opmask state_ops(unsigned states)
{
	sf_opmask m = 0, any = SF_OPS_ALL & ~OPS_CREATE;
	if (states & (1u << SF_STATE_LISTENING))
		m |= OPS_ACCEPT | OP(listen) | OP(shutdown) | OP(close) | OP(dup) | OP(dup2) | OP(dup3) | OP(fcntl) |
		     OP(getsockopt) | OP(getpeername);
	if (states & (1u << SF_STATE_UNCONNECTED))
		m |= any & ~OPS_ACCEPT;
	if (states & ((1u << SF_STATE_CONNECTING) | (1u << SF_STATE_CONNECTED) | (1u << SF_STATE_SHUTDOWN)))
		m |= any & ~(OPS_ACCEPT | OP(bind) | OP(listen));
	return m;
}

static void states_text(char *buf, size_t cap, unsigned states)
{
	buf[0] = '\0';
	for (int i = 0; i < SF_STATE__COUNT; i++)
		if (states & (1u << i))
			snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", buf[0] ? "," : "", sf_state_names[i]);
}

struct narrowing {
	struct sf_rule *r;
	const struct sf_rule_where *w;
	sf_report_fn report;
	void *ctx;
	unsigned errors;
	sf_opmask ops;
};

/* Remove from the rule's operations those outside `allowed`. An operation the
 * user named one by one is an error; a group member quietly drops out; an
 * empty result is an error. */
static void narrow(struct narrowing *n, sf_opmask allowed, size_t at, const char *why, const char *hint)
{
	sf_opmask gone = n->ops & ~allowed;
	sf_opmask named_gone = gone & n->w->named_ops;
	if (!gone)
		return;
	n->ops &= allowed;
	if (named_gone || !n->ops) {
		char ops[256];
		sf_ops_format(ops, sizeof ops, named_gone ? named_gone : gone);
		n->report(n->ctx, at, "this rule can never fire on %s: %s%s", ops, why, hint);
		n->errors++;
		n->ops = 0;
	}
}

static int pattern_fits(const struct sf_addrpat *p, unsigned protos)
{
	switch (p->kind) {
	case SF_ADDR_UNIX:
		return protos & SF_PROTO_UNIX;
	case SF_ADDR_ANY:
		return p->has_port ? (protos & (SF_PROTO_TCP | SF_PROTO_UDP)) != 0 : 1;
	default:
		return protos & (SF_PROTO_TCP | SF_PROTO_UDP);
	}
}

static void check_addrs(struct narrowing *n, const struct sf_addrpat *pats, unsigned count, enum sf_key key)
{
	for (unsigned i = 0; i < count; i++)
		if (pattern_fits(&pats[i], n->r->protos))
			return;
	if (!count)
		return;
	n->report(n->ctx, n->w->key[key],
		  "contradictory conditions: no address of %s= can belong to a socket of proto=%s", sf_key_names[key],
		  n->r->protos == SF_PROTO_UNIX	 ? "unix"
		  : n->r->protos == SF_PROTO_UDP ? "udp"
		  : n->r->protos == SF_PROTO_TCP ? "tcp"
						 : "tcp,udp");
	n->errors++;
}

static void fail(struct narrowing *n, size_t at, const char *msg)
{
	n->report(n->ctx, at, "%s", msg);
	n->errors++;
}

unsigned sf_check_rule(struct sf_rule *r, const struct sf_rule_where *w, sf_report_fn report, void *ctx)
{
	struct narrowing n = { r, w, report, ctx, 0, r->ops };
	const char *an = sf_action_names[r->action];

	char why[160];
	snprintf(why, sizeof why, "%s applies to %s", an, sf_action_scope_text(r->action));
	narrow(&n, sf_action_ops(r->action), w->action, why,
	       sf_action_scope_hint(r->action, r->ops & ~sf_action_ops(r->action)));
	for (int k = 0; k < SF_KEY__COUNT && !n.errors; k++)
		if (w->key[k] != SF_NOWHERE)
			narrow(&n, sf_cond_ops((enum sf_key)k), w->key[k], sf_cond_reason((enum sf_key)k), "");
	if (!n.errors && (r->has & SF_HAS_STATE)) {
		char st[96];
		states_text(st, sizeof st, r->states);
		snprintf(why, sizeof why, "it is never called on a socket that is %s", st);
		narrow(&n, state_ops(r->states), w->key[SF_KEY_STATE], why, "");
	}
	if (n.errors)
		return n.errors;
	r->ops = n.ops;

	unsigned protos = r->protos;
	char misfit[200];
	if (sf_action_misfit(misfit, sizeof misfit, r->action, protos))
		fail(&n, w->action, misfit);
	if (protos == SF_PROTO_UDP && (r->has & SF_HAS_SIDE) && (r->sides & SF_SIDE_SERVER) &&
	    r->sides == SF_SIDE_SERVER)
		fail(&n, w->key[SF_KEY_SIDE],
		     "contradictory conditions: UDP sockets are never accepted, so "
		     "side=server never holds with proto=udp");
	if (protos == SF_PROTO_UDP && (r->has & SF_HAS_STATE) && r->states == (1u << SF_STATE_LISTENING))
		fail(&n, w->key[SF_KEY_STATE], "contradictory conditions: UDP sockets never listen");
	if ((r->has & SF_HAS_SIDE) && (r->has & SF_HAS_STATE) && r->states == (1u << SF_STATE_LISTENING))
		fail(&n, w->key[SF_KEY_SIDE],
		     "contradictory conditions: a listening socket is neither the "
		     "client nor the server side of a connection");
	if (r->has & SF_HAS_PROTO) {
		check_addrs(&n, r->peers, r->npeers, SF_KEY_PEER);
		check_addrs(&n, r->locals, r->nlocals, SF_KEY_LOCAL);
	}
	if (r->now && (r->action != SF_ACT_ERROR || !(r->ops & OPS_CONNECT)))
		fail(&n, w->now, "'now' only changes how an error on connect is delivered (error E now)");
	if (r->icmp && (r->action != SF_ACT_ERROR || !(r->ops & OPS_CONNECT) || r->now ||
			(r->err != ECONNREFUSED && r->err != EHOSTUNREACH && r->err != ENETUNREACH)))
		fail(&n, w->icmp,
		     r->icmp == SF_ICMP_LOCAL
			     ? "'icmp=local' says the host's own firewall answered the connect with ICMP: error "
			       "ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now"
			     : "'icmp' says a router's ICMP answered the connect: error ECONNREFUSED, "
			       "EHOSTUNREACH or ENETUNREACH, on connect, without now");
	return n.errors;
}
