#include "pace.h"

#include "decide.h"

#define IW 10 /* the kernel's initial window, segments */
#define CWND_MAX 4096

static int lost(const struct sf_pace *p, uint64_t seg, uint64_t k)
{
	return sf_p_hit(p->loss, sf_mix64(p->key ^ (seg * SF_LOSSY_TRIES + k)));
}

/* The acknowledgements of a round are back (or the window is full and
 * waits for them): the next round starts at `at` with a window grown by
 * what the last one carried, or no longer doubling if it lost a segment. */
static void next_round(struct sf_pace *p, uint64_t at)
{
	if (p->round_lost) {
		/* The loss is found a round trip after it was sent, when that
		 * round's acknowledgements have grown the window: slow start
		 * ends there. (The kernel's CUBIC cuts the window to 7/10 and
		 * its proportional rate reduction sends on meanwhile: measured
		 * against the real link, a transfer takes as long as this
		 * model without the cut; with it, two to three times longer.) */
		if (p->cwnd < p->ssthresh)
			p->cwnd += p->sent;
		p->ssthresh = p->cwnd;
	} else if (p->sent >= p->cwnd) {
		/* Only a window that was used grows (the kernel's
		 * cwnd-limited check). */
		p->cwnd = p->cwnd < p->ssthresh ? p->cwnd * 2 : p->cwnd + 1;
		if (p->cwnd > CWND_MAX)
			p->cwnd = CWND_MAX;
	}
	p->round_at = at;
	p->sent = 0;
	p->round_lost = 0;
}

uint64_t sf_pace_segment(struct sf_pace *p, uint64_t seg, uint64_t now, uint64_t after, uint64_t rtt)
{
	if (rtt < SF_PACE_RTT_MIN)
		rtt = SF_PACE_RTT_MIN;
	if (!p->cwnd) {
		p->cwnd = IW;
		p->ssthresh = UINT32_MAX;
		p->round_at = now;
	} else if (now >= p->round_at + rtt) {
		next_round(p, now);
		/* Idle for longer than a retransmission timeout: the kernel
		 * starts slow again (tcp_slow_start_after_idle). */
		if (now >= p->last + rtt + SF_LOSSY_RTO_NS && p->cwnd > IW)
			p->cwnd = IW;
	} else if (p->sent >= p->cwnd) {
		next_round(p, p->round_at + rtt);
	}
	p->sent++;
	uint64_t at = p->round_at;
	if (p->loss && lost(p, seg, 0)) {
		p->round_lost = 1;
		uint64_t pto = 2 * rtt > SF_PACE_PTO_MIN ? 2 * rtt : SF_PACE_PTO_MIN;
		at += after ? rtt : pto;
		uint64_t rto = rtt + SF_LOSSY_RTO_NS;
		for (uint64_t k = 1; k < SF_LOSSY_TRIES && lost(p, seg, k); k++) {
			/* A lost retransmission is found as the first loss was
			 * while new segments go out after it (RACK); in the
			 * last window, only the timeout finds it. */
			if (after > p->cwnd) {
				at += rtt;
				continue;
			}
			at += rto;
			rto *= 2;
		}
	}
	if (at < p->last)
		at = p->last;
	p->last = at;
	return at;
}

uint64_t sf_pace_rate(uint64_t *free_at, uint64_t rate, uint64_t at, uint64_t n)
{
	uint64_t start = *free_at > at ? *free_at : at;
	uint64_t busy = (uint64_t)((unsigned __int128)n * 1000000000u / (rate ? rate : 1));
	*free_at = start + busy;
	return *free_at;
}
