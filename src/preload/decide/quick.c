#include "quick.h"

int sf_lane_holds_full(const struct sf_active *a, const struct sf_plan_entry *e, const struct sf_sock *s)
{
	struct sf_snap sn;
	sf_sock_snap(s, e->flags & SF_PE_CLOCK, &sn);
	return sf_gate_holds(&a->rs.rules[e->rule], &sn);
}

int sf_quick_more(struct sf_sock *s, enum sf_op op, const struct sockaddr *dest)
{
	int own_dest = dest && !((s->flags & SF_SOCK_STREAM) && (s->flags & SF_SOCK_HAS_PEER));
	return sf_quick_count(s, op, own_dest, 1) > 0;
}
