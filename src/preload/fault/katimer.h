/* The kernel's keepalive timer, as tcp_keepalive_timer runs it on a
 * connection from which nothing arrives (keepalive.h keeps it in the
 * kernel's place): pure, on a struct sf_katimer (sock.h), times in
 * monotonic ns. The timer fires TCP_KEEPIDLE after the last segment
 * received; at each firing it ends the connection if TCP_KEEPCNT probes
 * are out (with TCP_USER_TIMEOUT: if that long has passed since that
 * segment and a probe is out), else it sends one more and fires again
 * TCP_KEEPINTVL later. */
#ifndef SF_KATIMER_H
#define SF_KATIMER_H

#include <stdint.h>

#include "sock.h"

/* When the timer ends the connection, if nothing changes. */
uint64_t sf_katimer_end(const struct sf_katimer *k);

/* What the program changes at `now`, as setsockopt changes the kernel's
 * timer: SO_KEEPALIVE (on: the first firing TCP_KEEPIDLE later; off: no
 * end), TCP_KEEPIDLE (the timer set again from the last segment
 * received), TCP_KEEPINTVL and TCP_KEEPCNT (from the next firing on),
 * TCP_USER_TIMEOUT. The probes sent up to now are counted first. */
enum sf_katimer_opt { SF_KA_ON, SF_KA_IDLE, SF_KA_INTVL, SF_KA_CNT, SF_KA_UT };
void sf_katimer_change(struct sf_katimer *k, enum sf_katimer_opt opt, uint32_t value, uint64_t now);

#endif
