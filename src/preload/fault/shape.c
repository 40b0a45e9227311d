#include "shape.h"

#include "clock.h"
#include "decide.h"
#include "sf.h"
#include "units.h"

#define SLICE_NS (20 * SF_NS_PER_MS)

size_t sf_throttle_wait(uint64_t *link_free, uint64_t rate, size_t want, int may_split)
{
	uint64_t now = sf_now();
	uint64_t free_at = SF_LOAD(link_free);
	/* An idle link saves up at most one slice: bursts stay short. */
	if (free_at + SLICE_NS < now)
		free_at = now - SLICE_NS;
	if (free_at > now)
		sf_sleep_ns(free_at - now);
	SF_STORE(link_free, free_at);
	if (!may_split)
		return want;
	uint64_t slice = rate * SLICE_NS / SF_NS_PER_S;
	if (slice < 1)
		slice = 1;
	return want < slice ? want : (size_t)slice;
}

void sf_throttle_used(uint64_t *link_free, uint64_t rate, size_t n)
{
	uint64_t busy = (uint64_t)((unsigned __int128)n * SF_NS_PER_S / rate);
	uint64_t now = sf_now(), free_at = SF_LOAD(link_free);
	if (free_at + SLICE_NS < now)
		free_at = now - SLICE_NS;
	SF_STORE(link_free, free_at + busy);
}

static void flip(const struct iovec *iov, int iovcnt, size_t bit)
{
	size_t byte = bit / 8;
	for (int i = 0; i < iovcnt; i++) {
		if (byte < iov[i].iov_len) {
			((unsigned char *)iov[i].iov_base)[byte] ^= (unsigned char)(1u << (bit % 8));
			return;
		}
		byte -= iov[i].iov_len;
	}
}

void sf_corrupt_iov(const struct iovec *iov, int iovcnt, size_t len, uint64_t bits, uint64_t draw)
{
	size_t nbits = len * 8;
	if (!nbits)
		return;
	if (bits > nbits)
		bits = nbits;
	/* Distinct positions: a bit flipped twice would be no corruption. */
	size_t chosen[64];
	size_t nchosen = 0;
	for (uint64_t i = 0, tries = 0; i < bits && tries < bits * 8 + 64; tries++) {
		size_t pos = (size_t)(sf_mix64(draw + tries) % nbits);
		int dup = 0;
		for (size_t k = 0; k < nchosen; k++)
			dup |= chosen[k] == pos;
		if (dup)
			continue;
		if (nchosen < sizeof chosen / sizeof chosen[0])
			chosen[nchosen++] = pos;
		flip(iov, iovcnt, pos);
		i++;
	}
}
