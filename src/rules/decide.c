#include "decide.h"

/* splitmix64's finaliser: every input bit reaches every output bit. */
uint64_t sf_peer_hash(const struct sf_sockaddr *a)
{
	uint64_t h = sf_mix64(((uint64_t)a->family << 16) | a->port);
	if (a->family == SF_ADDR_IP4 || a->family == SF_ADDR_IP6) {
		for (int i = 0; i < 16; i += 8) {
			uint64_t w = 0;
			for (int k = 0; k < 8; k++)
				w = (w << 8) | a->ip[i + k];
			h = sf_mix64(h ^ w);
		}
	} else if (a->family == SF_ADDR_UNIX && a->path) {
		for (size_t i = 0; i < a->path_len; i++)
			h = sf_mix64(h ^ (unsigned char)a->path[i]);
	}
	return h;
}

uint64_t sf_accepted_hash(const struct sf_sockaddr *local, const struct sf_sockaddr *client)
{
	struct sf_sockaddr c = *client;
	c.port = 0;
	/* Tagged, so that it never equals the hash of a peer connected to. */
	return sf_mix64(sf_peer_hash(local) ^ sf_mix64(sf_peer_hash(&c) ^ 0x5e41ull));
}

uint64_t sf_draw_key(uint64_t seed, uint64_t proc_key, uint64_t rule_hash, uint64_t peer_hash, uint64_t conn_ordinal,
		     enum sf_draw what)
{
	/* The seed is mixed before the purpose goes in, so that no two seeds
	 * give one purpose's draws to another. */
	uint64_t h = sf_mix64(sf_mix64(seed) ^ (uint64_t)what);
	h = sf_mix64(h ^ proc_key);
	h = sf_mix64(h ^ rule_hash);
	h = sf_mix64(h ^ peer_hash);
	return sf_mix64(h ^ conn_ordinal);
}

uint64_t sf_draw(uint64_t seed, uint64_t proc_key, uint64_t rule_hash, uint64_t peer_hash, uint64_t conn_ordinal,
		 uint64_t call_index, enum sf_draw what)
{
	return sf_mix64(sf_draw_key(seed, proc_key, rule_hash, peer_hash, conn_ordinal, what) ^ call_index);
}

uint64_t sf_jittered(uint64_t d, uint64_t j, uint64_t bits)
{
	if (!j)
		return d;
	uint64_t span = 2 * j + 1;
	return d - j + bits % span;
}

uint64_t sf_lossy_wait(uint64_t loss, uint64_t key, uint64_t n)
{
	uint64_t wait = 0, rto = SF_LOSSY_RTO_NS;
	for (uint64_t k = 0; k < SF_LOSSY_TRIES && sf_p_hit(loss, sf_mix64(key ^ (n * SF_LOSSY_TRIES + k))); k++) {
		wait += rto;
		rto *= 2;
	}
	return wait;
}

/* The natural logarithm of x > 0, from its binary exponent and
 * 2 atanh((m-1)/(m+1)) for its mantissa m in [sqrt(1/2), sqrt(2)), to
 * about one part in 10^16. The rules library links no libm; the build
 * keeps the compiler from fusing multiplies and adds (-ffp-contract=off),
 * so that a seed draws alike on every machine. */
static double ln(double x)
{
	union {
		double d;
		uint64_t u;
	} v = { x };
	int e = (int)((v.u >> 52) & 0x7ff) - 1023;
	v.u = (v.u & ~(0x7ffull << 52)) | (1023ull << 52);
	double m = v.d;
	if (m > 1.4142135623730951) {
		m *= 0.5;
		e++;
	}
	double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = 0;
	for (int k = 1; k <= 25; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * 0.6931471805599453 + 2 * sum;
}

uint64_t sf_gap_next(uint64_t p_scaled, uint64_t key, uint64_t m)
{
	uint64_t gap = 0;
	if (p_scaled < SF_P_ONE) {
		/* u in (0, 1], and 1-p, both exact in a double. */
		double u = (double)((sf_mix64(key ^ m) >> 11) + 1) / (double)SF_P_ONE;
		double q = (double)(SF_P_ONE - p_scaled) / (double)SF_P_ONE;
		double g = p_scaled ? ln(u) / ln(q) : 1e300;
		if (!(g < 1.8e19))
			return UINT64_MAX;
		gap = (uint64_t)g;
	}
	uint64_t next;
	if (__builtin_add_overflow(m, 1 + gap, &next))
		return UINT64_MAX;
	return next;
}
