#include "katimer.h"

#include "units.h"

/* The firing the timer waits for: one before the idle time has passed
 * only sets it again. */
static uint64_t first_firing(const struct sf_katimer *k)
{
	uint64_t t = k->last_rx + k->idle_ms * SF_NS_PER_MS;
	return k->next > t ? k->next : t;
}

uint64_t sf_katimer_end(const struct sf_katimer *k)
{
	uint64_t intvl = k->intvl_ms * SF_NS_PER_MS, ut = k->ut_ms * SF_NS_PER_MS;
	uint64_t t = first_firing(k), j;
	if (!ut) {
		j = k->sent < k->cnt ? (uint64_t)(k->cnt - k->sent) : 0;
	} else {
		uint64_t since = t - k->last_rx;
		j = since >= ut ? 0 : (ut - since + intvl - 1) / intvl;
		if (!j && !k->sent)
			j = 1;
	}
	return t + j * intvl;
}

/* The firings up to now that did not end the connection sent a probe
 * each. */
static void advance(struct sf_katimer *k, uint64_t now)
{
	if (!k->on)
		return;
	uint64_t intvl = k->intvl_ms * SF_NS_PER_MS, t = first_firing(k), end = sf_katimer_end(k);
	if (now < t)
		return;
	uint64_t n = (now - t) / intvl + 1, before_end = (end - t) / intvl;
	if (n > before_end)
		n = before_end;
	uint64_t sent = k->sent + n;
	k->sent = (uint8_t)(sent > 255 ? 255 : sent);
	k->next = t + n * intvl;
}

void sf_katimer_change(struct sf_katimer *k, enum sf_katimer_opt opt, uint32_t value, uint64_t now)
{
	advance(k, now);
	switch (opt) {
	case SF_KA_ON:
		/* Turned on, the kernel sets its timer TCP_KEEPIDLE ahead. */
		if (value && !k->on)
			k->next = now + k->idle_ms * SF_NS_PER_MS;
		k->on = value != 0;
		return;
	case SF_KA_IDLE: {
		k->idle_ms = value;
		uint64_t t = k->last_rx + k->idle_ms * SF_NS_PER_MS;
		k->next = t > now ? t : now;
		return;
	}
	case SF_KA_INTVL:
		k->intvl_ms = value;
		return;
	case SF_KA_CNT:
		k->cnt = (uint8_t)value;
		return;
	case SF_KA_UT:
		k->ut_ms = value;
		return;
	}
}
