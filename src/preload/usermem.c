#include "usermem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "settings.h"
#include "sf.h"

/* process_vm_readv on the process itself: the kernel copies, and an
 * unreadable source is EFAULT, not SIGSEGV. Where a sandbox forbids the
 * call, the copy falls back to memcpy (a bad pointer then faults, as it
 * would without the sandbox's rule in the way). */
static int unavailable;

/* glibc's record of where the main thread's stack began (musl has none). */
extern void *__libc_stack_end __attribute__((weak));

/* src..src+len-1 is readable without asking the kernel, because it lies
 * - in the 4 KiB block of `here`, a local of this function (a page is never
 *   smaller, and the page of a live frame is mapped), or
 * - between `here` and the start of the main thread's stack, when `here` is
 *   on that stack: it is one mapping, and all of it in use. A frame within
 *   64 MiB below that start is on it; the kernel puts every other mapping
 *   (thread stacks, signal stacks) at least 128 MiB lower. */
static int readable_stack(const void *src, size_t len, const void *here)
{
	uintptr_t a = (uintptr_t)src, h = (uintptr_t)here, end = a + len - 1;
	if (end < a)
		return 0;
	if ((a >> 12) == (h >> 12) && (end >> 12) == (h >> 12))
		return 1;
	if (!&__libc_stack_end)
		return 0;
	uintptr_t top = (uintptr_t)__libc_stack_end;
	return h < top && top - h < (64u << 20) && a >= h && end < top;
}

int sf_user_copy(void *dst, const void *src, size_t len)
{
	if (!len)
		return 1;
	if (!src)
		return 0;
	/* The common case needs no system call: an address in a local
	 * variable of the program, on the stack. */
	volatile char here = 0;
	if (readable_stack(src, len, (const void *)&here)) {
		memcpy(dst, src, len);
		return 1;
	}
	if (!SF_LOAD(&unavailable)) {
		int saved = errno;
		struct iovec local = { dst, len }, remote = { (void *)src, len };
		long n = syscall(SYS_process_vm_readv, sf_config.pid, &local, 1UL, &remote, 1UL, 0UL);
		int err = errno;
		errno = saved;
		if (n == (long)len)
			return 1;
		if (n >= 0 || err == EFAULT)
			return 0;
		SF_STORE(&unavailable, 1);
	}
	memcpy(dst, src, len);
	return 1;
}
