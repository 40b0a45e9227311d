/* Where the preload library is, seen from the sockfault program. */
#ifndef SF_LIBPATH_H
#define SF_LIBPATH_H

#include <stddef.h>

/* SOCKFAULT_LIBRARY if set; else next to this program in a build tree
 * (.libs/); else the configured libdir when the program runs from the
 * configured bindir; else ../lib, ../lib64 relative to the program (a
 * relocated or DESTDIR install); else the configured libdir. */
int sf_find_library(char *out, size_t cap);

#endif
