#include "gate.h"

#include "conditions.h"

struct sf_gate sf_gate_make(const struct sf_rule *r, const struct sf_gate_in *in)
{
	struct sf_gate g = { 0, 0, 0 };
	/* A datagram socket's peer is each call's destination: a rule about
	 * the peer is checked per destination (engine.c keeps a cache of the
	 * last one); its other fixed conditions are settled here like a
	 * stream's. */
	int per_dest = in->dgram && (r->has & SF_HAS_PER_DEST);
	int statics_ok = !per_dest && sf_rule_statics_hold(r, in->subj, 0);
	int dynamic = r->states != SF_STATE_ALL || (r->has & SF_HAS_MEASURE);
	/* A rule counted per process shares its count with every socket, and
	 * under replay the log, not the gate, says which calls fire: both go
	 * the full path on every call. */
	int gated = r->per == SF_PER_CONN && !in->replaying;
	g.flags = (uint8_t)((per_dest ? SF_PE_PER_DEST : 0) | (statics_ok ? SF_PE_STATICS_OK : 0) |
			    (dynamic ? SF_PE_DYNAMIC : 0) | (gated ? SF_PE_GATED : 0) |
			    (gated && statics_ok ? SF_PE_QUICK : 0) |
			    (sf_rule_nums(r) & SF_NUMS_CLOCK ? SF_PE_CLOCK : 0));
	/* One number alone, in any state: the quick lane compares it. */
	uint32_t nums = sf_rule_nums(r);
	if (dynamic && r->states == SF_STATE_ALL && nums && !(nums & (nums - 1)))
		g.num = (uint8_t)(1 + __builtin_ctz(nums));
	if (r->when.first == 1 && r->when.step == 1 && r->when.last == UINT64_MAX)
		g.flags |= SF_PE_EVERY;
	/* p= alone draws by gaps on the connection's key (sf_gate_gap_count);
	 * with when=, the full path draws at the counts when= names. */
	if (gated && r->p_scaled < SF_P_ONE && (g.flags & SF_PE_EVERY)) {
		g.flags |= SF_PE_DRAWS;
		g.draw_key = sf_draw_key(in->seed, in->proc_key, r->name_hash, in->peer_hash, in->ordinal, SF_DRAW_P);
	}
	return g;
}
