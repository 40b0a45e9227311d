/* The values of the SOCKFAULT_* variables under libFuzzer: the first byte
 * picks the variable, the rest (to the first NUL) is its value, read by the
 * pure functions the library's settings call (src/rules/envval.c). Promises:
 * a word accepted is the word; a value refused gets one message that quotes
 * it and fits the buffer; a seed read prints back as the same number.
 * Built as fuzz_env (libFuzzer, scripts/fuzz) and fuzz_env_replay (make
 * check: tests/fuzz/env-corpus and tests/fuzz/env-regress). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_env: %s (value '%s')\n", what, value);
	abort();
}

/* The word lists of the library's settings (sockfault(1), ENVIRONMENT). */
static const char *const onoff[] = { "0", "1", NULL };
static const char *const on_error[] = { "exit", "warn", NULL };
static const char *const formats[] = { "text", "json", NULL };
static const char *const *const lists[] = { onoff, on_error, formats };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* An environment value is a C string: at most to the first NUL. */
	char *v = malloc(size);
	if (!v)
		abort();
	memcpy(v, data + 1, size - 1);
	v[size - 1] = '\0';
	if (data[0] % 4 == 3) {
		uint64_t seed = 0;
		if (sf_env_seed(v, &seed)) {
			char again[32];
			int hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
			snprintf(again, sizeof again, "%" PRIu64, seed);
			uint64_t back = 0;
			if (!sf_env_seed(again, &back) || back != seed)
				broken("a seed that does not read back", v);
			if (!hex && strspn(v, "0123456789") != strlen(v))
				broken("a decimal seed with other characters accepted", v);
		}
	} else {
		const char *const *words = lists[data[0] % 4];
		char msg[160];
		memset(msg, 'Z', sizeof msg);
		int i = sf_env_choice(v, words, msg, sizeof msg);
		if (i >= 0) {
			if (strcmp(words[i], v) != 0)
				broken("a word accepted that is not the word", v);
		} else {
			if (!memchr(msg, '\0', sizeof msg) || strncmp(msg, "unknown value '", 15) != 0)
				broken("a refusal without its message", v);
			for (int k = 0; words[k]; k++)
				if (strcmp(words[k], v) == 0)
					broken("a known word refused", v);
		}
	}
	free(v);
	return 0;
}

#ifdef SF_FUZZ_REPLAY
#define FUZZ_CORPUS "tests/fuzz/env-corpus"
#define FUZZ_REGRESS "tests/fuzz/env-regress"
#include "replay.h"
#endif
