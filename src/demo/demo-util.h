/* What the demo's client and server share: their way of talking and of
 * telling the time. */
#ifndef DEMO_UTIL_H
#define DEMO_UTIL_H

/* The program's prefix in what it prints: "client" or "server". */
extern const char *demo_who;

/* One line on stdout: "[who] ...". */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
