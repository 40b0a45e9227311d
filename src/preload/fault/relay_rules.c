/* The relay and the rules (relay.h): which connections a rule can delay,
 * throttle or make lossy, the latency and pace each direction starts with,
 * and a rule set replaced while they are relayed. */
#include "relay.h"

#include <errno.h>
#include <pthread.h>

#include "active.h"
#include "decide.h"
#include "match.h"
#include "names.h"
#include "reclaim.h"
#include "relay_link.h"
#include "settings.h"

/* Relay when a rule that can touch this connection delays, throttles or
 * loses TCP, and none that can touch it ends a connection in another way:
 * the actions that do (reset, eof, hangup, blackhole, timeout, a sticky
 * error) act on the kernel's socket under the program's descriptor, so
 * with them a delay stays a wait inside the calls and composes as it
 * always did. Where such an action comes later (rules reloaded, the
 * control channel), it acts on the relayed connection's real socket
 * (dead.c: silence in place, the others after sf_relay_hand_back). "Can
 * touch": its fixed conditions (peer=, host=, local=, side=, exe=) hold
 * for the connection or are not known yet; a connection no such rule can
 * touch keeps its own socket and costs the relay nothing. */
static int shaping_rule_for(const struct sf_subject *subj)
{
	if (sf_config.delay_in_call)
		return 0;
	int want = 0, kills = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	for (unsigned i = 0; a && i < a->rs.n; i++) {
		const struct sf_rule *r = &a->rs.rules[i];
		if (!a->for_exe[i] || !(r->protos & SF_PROTO_TCP) || !sf_rule_statics_hold(r, subj, 1))
			continue;
		want |= r->action == SF_ACT_DELAY && (r->ops & (SF_OPS_IO | SF_OPBIT(SF_OP_connect)));
		want |= (r->action == SF_ACT_LOSSY || r->action == SF_ACT_THROTTLE) && (r->ops & SF_OPS_IO);
		kills |= sf_rule_kills(r);
	}
	sf_read_end();
	return want && !kills;
}

int sf_relay_wanted(const struct sf_sock *s, const struct sf_sockaddr *target)
{
	if (s->proto != SF_PROTO_TCP || SF_LOAD(&sf_relay.lost))
		return 0;
	struct sf_subject subj;
	const char *hosts[SF_NAMES_PER_ADDR + 1];
	sf_sock_subject(s, &subj);
	if (target) {
		/* A connect: the program's side is the client's from now on. */
		subj.peer = *target;
		subj.side = SF_SIDE_CLIENT;
		subj.side_known = 1;
	}
	sf_names_of(&subj.peer, hosts);
	subj.hosts = hosts;
	return shaping_rule_for(&subj);
}

/* The latency a direction starts with: the D of the first delay rule of
 * that direction in the socket's plan whose fixed conditions (peer, local
 * address, side) are known to hold; its jitter and its conditions that
 * change (when=, p=, counts) are the sends' own, and not drawn for the
 * bytes that come in before any call. */
static uint64_t plan_delay(const struct sf_sock *s, sf_opmask ops)
{
	uint64_t d = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n && !d; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if (r->action == SF_ACT_DELAY && (r->ops & ops) && (plan->e[i].flags & SF_PE_STATICS_OK))
			d = r->dur_ns;
	}
	sf_read_end();
	return d;
}

/* The link's noise and bottleneck in one direction: the first lossy rule
 * of that direction in the socket's plan whose fixed conditions hold, and
 * the slowest such throttle rule (their conditions that change are not
 * drawn for the relay's segments). */
static void plan_shape(const struct sf_sock *s, sf_opmask ops, struct dir *d)
{
	d->pace.loss = 0;
	d->rate = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if (!(r->ops & ops) || !(plan->e[i].flags & SF_PE_STATICS_OK))
			continue;
		if (r->action == SF_ACT_LOSSY && !d->pace.loss) {
			d->pace.loss = r->loss;
			d->pace.key = sf_draw_key(sf_config.seed, sf_plan_draw_proc(plan), r->name_hash, s->peer_hash,
						  plan->draw_ord, SF_DRAW_LOSS);
		}
		if (r->action == SF_ACT_THROTTLE && r->rate && (!d->rate || r->rate < d->rate))
			d->rate = r->rate;
	}
	sf_read_end();
}

void sf_link_plan(struct link *l, const struct sf_sock *s)
{
	l->tx.delay = plan_delay(s, SF_OPS_TX);
	l->rx.delay = plan_delay(s, SF_OPS_RX);
	plan_shape(s, SF_OPS_TX, &l->tx);
	plan_shape(s, SF_OPS_RX, &l->rx);
}

void sf_relay_replanned(const struct sf_sock *s, int fd)
{
	struct link *l = sf_link_find(s, fd);
	if (!l)
		return;
	SF_STORE(&l->rx.delay, plan_delay(s, SF_OPS_RX));
	/* A send's own decision replaces it (sf_relay_tx_delay). */
	SF_STORE(&l->tx.delay, plan_delay(s, SF_OPS_TX));
	/* The thread reads the noise under the lock. */
	pthread_mutex_lock(&sf_relay.lock);
	plan_shape(s, SF_OPS_TX, &l->tx);
	plan_shape(s, SF_OPS_RX, &l->rx);
	pthread_mutex_unlock(&sf_relay.lock);
}

void sf_relay_tx_delay(const struct sf_sock *s, int fd, uint64_t ns)
{
	struct link *l = sf_link_find(s, fd);
	if (l)
		SF_STORE(&l->tx.delay, ns);
}

/* The rules replaced (a reload, the control channel): each link's socket
 * is planned again, and its delays follow (sf_relay_replanned), whether or
 * not the program calls on it. Outside the lock, which a replan takes. */
void sf_links_follow_rules(void)
{
	static uint32_t seen;
	uint32_t gen = SF_LOAD(&sf_gen);
	if (!gen || gen == seen)
		return;
	seen = gen;
	for (unsigned i = 0; i < SF_ACQUIRE(&sf_relay.nlinks); i++) {
		pthread_mutex_lock(&sf_relay.lock);
		struct link *l = sf_link_at(i);
		struct sf_sock *s = NULL;
		if ((l->state == L_UP || l->state == L_CONNECTING) && !sf_sock_current(l->s, gen))
			sf_sock_ref(s = l->s);
		pthread_mutex_unlock(&sf_relay.lock);
		if (s) {
			sf_sock_replan(s);
			sf_sock_unref(s);
		}
	}
}

void sf_relay_prepare(void)
{
	/* Growing the descriptor table up to the high numbers waits for every
	 * other thread to pass a quiescent point (milliseconds, more under
	 * load); while the program has one thread it costs nothing: the first
	 * connect would otherwise pay it. */
	struct sf_subject anyone = { .proto = SF_PROTO_TCP, .peer.family = SF_ADDR_ANY, .local.family = SF_ADDR_ANY };
	if (!shaping_rule_for(&anyone))
		return;
	int e0 = errno;
	pthread_mutex_lock(&sf_relay.lock);
	sf_relay_descriptors();
	pthread_mutex_unlock(&sf_relay.lock);
	errno = e0;
}
