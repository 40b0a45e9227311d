#include <sys/resource.h>

#include "fdfloor.h"

int sf_fd_floor(int eighths)
{
	struct rlimit rl;
	long lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 1024;
	if (lim > 1024)
		lim = 1024;
	return (int)(lim * eighths / 8);
}
