#include "match.h"

#include <string.h>

#include "glob.h"

static int any_addr(const struct sf_addrpat *p, unsigned n, const struct sf_sockaddr *a)
{
	for (unsigned i = 0; i < n; i++)
		if (sf_addrpat_match(&p[i], a))
			return 1;
	return 0;
}

static int any_host(const struct sf_rule *r, const char *const *hosts)
{
	if (!hosts)
		return 0;
	for (; *hosts; hosts++)
		for (unsigned i = 0; i < r->nhosts; i++)
			if (sf_glob_match(r->hosts[i], *hosts, strlen(*hosts)))
				return 1;
	return 0;
}

int sf_rule_statics_hold(const struct sf_rule *r, const struct sf_subject *s, int unknown_holds)
{
	if (s->proto && !(r->protos & s->proto))
		return 0;
	if (!s->proto && r->protos != SF_PROTO_ALL && !unknown_holds)
		return 0;
	if ((r->has & SF_HAS_EXE) && !(s->exe && sf_glob_match(r->exe, s->exe, strlen(s->exe))) &&
	    !(s->exe_also && sf_glob_match(r->exe, s->exe_also, strlen(s->exe_also))))
		return 0;
	if (r->has & SF_HAS_PEER) {
		if (s->peer.family != SF_ADDR_ANY) {
			if (!any_addr(r->peers, r->npeers, &s->peer))
				return 0;
		} else if (!unknown_holds) {
			return 0;
		}
	}
	if (r->has & SF_HAS_LOCAL) {
		if (s->local.family != SF_ADDR_ANY) {
			if (!any_addr(r->locals, r->nlocals, &s->local))
				return 0;
		} else if (!unknown_holds) {
			return 0;
		}
	}
	if (r->has & SF_HAS_HOST) {
		if (s->peer.family != SF_ADDR_ANY) {
			if (!any_host(r, s->hosts))
				return 0;
		} else if (!unknown_holds) {
			return 0;
		}
	}
	if (r->has & SF_HAS_SIDE) {
		if (s->side_known || s->side) {
			if (!(r->sides & s->side))
				return 0;
		} else if (!unknown_holds) {
			return 0;
		}
	}
	return 1;
}

int sf_rule_dynamics_hold(const struct sf_rule *r, const struct sf_subject *s)
{
	if (!(r->ops & SF_OPBIT(s->op)))
		return 0;
	if (!(r->states & (1u << s->state)))
		return 0;
	for (int k = 0; k < SF_NUM__COUNT; k++) {
		if (!(r->has & SF_HAS_NUM(k)))
			continue;
		if (!(s->num_known & (1u << k)))
			return 0;
		if (s->num[k] < r->num[k].lo || s->num[k] > r->num[k].hi)
			return 0;
	}
	return 1;
}

int sf_rule_matches(const struct sf_rule *r, const struct sf_subject *s)
{
	return sf_rule_dynamics_hold(r, s) && sf_rule_statics_hold(r, s, 0);
}
