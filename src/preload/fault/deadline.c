#include "deadline.h"

#include "active.h"
#include "clock.h"
#include "dead.h"
#include "engine.h"
#include "reclaim.h"
#include "timer.h"

/* When the timed rule r could first hold: both its bounds (age from the
 * connection, idle from the last data moved), the later of the two. */
static uint64_t rule_deadline(const struct sf_rule *r, const struct sf_sock *s)
{
	uint64_t connected = s->t_connected, last = SF_LOAD(&s->t_last_io), at = 0;
	if (last < connected)
		last = connected;
	if (r->num[SF_NUM_AGE].lo)
		at = connected + r->num[SF_NUM_AGE].lo;
	if (r->num[SF_NUM_IDLE].lo && last + r->num[SF_NUM_IDLE].lo > at)
		at = last + r->num[SF_NUM_IDLE].lo;
	return at;
}

void sf_deadline_arm(int fd, struct sf_sock *s)
{
	if (SF_LOAD(&s->dead) || !s->t_connected || SF_LOAD(&s->state) != SF_STATE_CONNECTED)
		return;
	uint64_t now = sf_now(), next = UINT64_MAX;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if (!sf_rule_timed(r))
			continue;
		/* A time already past was asked about (or is a receive's to
		 * decide): only what is still to come is kept. */
		uint64_t at = rule_deadline(r, s);
		if (at > now && at < next)
			next = at;
	}
	sf_read_end();
	if (next == UINT64_MAX)
		return;
	struct sf_sock_rare *rare = sf_sock_rare(s);
	if (!rare)
		return;
	uint16_t token = (uint16_t)(SF_LOAD(&rare->trigger_token) + 1);
	SF_STORE(&rare->trigger_token, token);
	sf_timer_schedule_trigger(fd, s, token, next);
}

void sf_deadline_expired(int fd, struct sf_sock *s)
{
	if (SF_LOAD(&s->dead) || SF_LOAD(&s->state) != SF_STATE_CONNECTED)
		return;
	/* No call of the program's: the rules see a receive (the operation a
	 * timed rule names), logged as such. */
	struct sf_call c = { .op = SF_OP_recv, .fd = fd, .s = s, .timed = 1 };
	sf_decide(&c);
	if (c.v.decided) {
		sf_dead_at_time(fd, s, &c.v);
		return;
	}
	sf_deadline_arm(fd, s);
}

void sf_deadline_closed(struct sf_sock *s)
{
	/* Never armed: nothing to look for (the common case: no rare block). */
	const struct sf_sock_rare *rare = sf_sock_rare_if(s);
	if (!rare || (!SF_LOAD(&rare->trigger_token) && !SF_LOAD(&rare->ka_token)))
		return;
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high; i++)
		if (sf_fd_get((int)i) == (uintptr_t)s)
			return;
	sf_timer_forget_closed(s);
}
