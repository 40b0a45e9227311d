/* The pace of a relayed direction (sockfault-rules(5), lossy and throttle):
 * when each segment of the stream reaches the far end of a noisy link, and
 * when each byte is through a slow one. Pure: the relay gives the times
 * and the round trip, these say when; the same seed gives the same times
 * for the same sends. */
#ifndef SF_PACE_H
#define SF_PACE_H

#include <stdint.h>

/* A TCP sender over a link that loses each segment with chance `loss`
 * (scaled as sf_p_hit's; 0: none), the segment's n-th try drawn from `key`
 * (the draws of sf_lossy_wait). It sends in windows (rounds of one round
 * trip: 10 segments first, doubling until a round loses one, then one
 * more a round). A lost segment that later segments follow is sent again
 * when their acknowledgements say so, one round trip later (fast
 * retransmission; with SACK several in one round); one that nothing
 * follows, when the tail loss probe fires (twice the round trip, at least
 * 10 ms). A retransmission lost in turn is found the same way while more
 * than a window of new segments follows it; in the last window only the
 * retransmission timeout finds it (the round trip and 200 ms, doubling);
 * at most SF_LOSSY_TRIES tries. The
 * stream is delivered in order. Calibrated against a real link (20 ms each
 * way, 10 % lost): sockfault-rules(5), lossy. */
struct sf_pace {
	uint64_t loss, key;
	uint64_t round_at; /* when the current window was sent */
	uint64_t last;	   /* when the last segment sent was delivered */
	uint32_t cwnd;	   /* the window, segments (0: nothing sent yet) */
	uint32_t ssthresh;
	uint32_t sent; /* segments sent in this round */
	uint8_t round_lost;
};

/* The floors of the round trip and of the tail loss probe (ns). */
#define SF_PACE_RTT_MIN 1000000ull
#define SF_PACE_PTO_MIN 10000000ull

/* Segment `seg` (counted from 0, in order) leaves at `now` (or when the
 * window lets it); `after`: how many segments are known to follow it (0:
 * it is the tail so far; the caller's "many" is enough). Returns when it
 * reaches the peer, less the link's one-way latency (which the caller
 * adds), never before an earlier segment. rtt: the connection's round trip
 * (ns; raised to the floor). */
uint64_t sf_pace_segment(struct sf_pace *p, uint64_t seg, uint64_t now, uint64_t after, uint64_t rtt);

/* A bottleneck of `rate` bytes a second, free again at *free_at: n bytes
 * that reach it at `at` are through it at the returned time (and it is
 * busy until then). An idle bottleneck saves up nothing. */
uint64_t sf_pace_rate(uint64_t *free_at, uint64_t rate, uint64_t at, uint64_t n);

#endif
