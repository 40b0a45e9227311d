#include "demo-util.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void say(const char *fmt, ...)
{
	va_list ap;
	printf("[%s] ", demo_who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
