/* Shell-style globs for unix paths, host names and program names.
 * Our own instead of fnmatch(3): no locale, no allocation, safe inside a wrapper. */
#ifndef SF_GLOB_H
#define SF_GLOB_H

#include <stddef.h>

/* `*` any run of characters (slashes included), `?` one character,
 * `[abc]`, `[a-z]`, `[!a-z]` one of a set, `\x` the character x. */
int sf_glob_match(const char *pat, const char *s, size_t slen);

/* NULL if `pat` is well formed, else a description of what is wrong and its offset. */
const char *sf_glob_check(const char *pat, size_t *at);

#endif
