/* The values of the SOCKFAULT_* environment variables, read without the
 * environment: pure functions of the text, so that the library's settings
 * and the fuzz target tests/fuzz/fuzz_env.c call the same code. */
#ifndef SF_ENVVAL_H
#define SF_ENVVAL_H

#include <stddef.h>
#include <stdint.h>

/* The index of `value` in the NULL-terminated `words`; else -1 and, in msg,
 * "unknown value 'V' (did you mean 'W'?)" or "... (expected A, B)". */
int sf_env_choice(const char *value, const char *const *words, char *msg, size_t cap);

/* A 64-bit seed, decimal or 0x hex: 1 and *out, or 0 if it is not one. */
int sf_env_seed(const char *value, uint64_t *out);

#endif
