/* The library's own helper threads (the timeout timer, the relay, the control channel). */
#ifndef SF_THREAD_H
#define SF_THREAD_H

#include <stddef.h>

/* Start fn on a detached thread with every signal blocked (signals are for
 * the program's threads), and return once it runs (or after 100 ms, if its
 * start-up cannot finish). Returns 1 if it started. */
int sf_thread_start(void *(*fn)(void *), size_t stack);

#endif
