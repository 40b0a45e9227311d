#include "clock.h"

#include <errno.h>

void sf_sleep_ns(uint64_t ns)
{
	/* To a deadline, not for a length: a sleep restarted after each signal
	 * handler would lose the time already slept, and the timer slack, at
	 * every signal (a program with a fast interval timer would never wake). */
	uint64_t until = sf_now() + ns;
	struct timespec ts = { (time_t)(until / 1000000000ull), (long)(until % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
