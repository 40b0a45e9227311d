#include "quick.h"

int sf_lane_holds_full(const struct sf_active *a, const struct sf_plan_entry *e, const struct sf_sock *s)
{
	struct sf_snap sn;
	sf_sock_snap(s, e->flags & SF_PE_CLOCK, &sn);
	return sf_gate_holds(&a->rs.rules[e->rule], &sn);
}
