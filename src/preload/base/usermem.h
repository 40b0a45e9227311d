/* Reading the program's memory before the kernel has vouched for it.
 * Whatever a program passes (an address, a msghdr) goes to libc as it is;
 * the library may only look at it through this copy, which reports a bad
 * pointer instead of faulting on it. */
#ifndef SF_USERMEM_H
#define SF_USERMEM_H

#include <stddef.h>

/* Copy len bytes from the program's src to dst: 1 done, 0 if src cannot be
 * read (the kernel would say EFAULT). */
int sf_user_copy(void *dst, const void *src, size_t len);

/* 1 if len bytes at src can be read (the kernel would not say EFAULT). */
int sf_user_readable(const void *src, size_t len);

/* At start: what the copy needs to know about the main thread's stack. */
void sf_usermem_init(void);

#endif
