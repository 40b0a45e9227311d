#include "acting.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "sf.h"

/* 0 in every process but the supervisor's, and there between its calls. */
static SF_TLS int acting_pid, acting_tid;

long sf_acting_pid(void)
{
	return acting_pid ? acting_pid : syscall(SYS_getpid);
}

long sf_acting_tid(void)
{
	return acting_tid ? acting_tid : syscall(SYS_gettid);
}

void sf_acting_set(int pid, int tid)
{
	acting_pid = pid;
	acting_tid = tid;
}
