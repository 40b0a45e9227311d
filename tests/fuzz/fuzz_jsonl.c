/* The JSONL reader (replay, `sockfault report`) under libFuzzer: any bytes,
 * split in lines, and the reader must neither crash nor read outside the
 * line (ASan, UBSan), and keep its promises: fields point inside the line,
 * no more than asked for; an unescaped string is terminated inside its
 * buffer, whatever the buffer's size, and its length is what it returns; a
 * time read lies within years 0 to 9999; an integer prints back as itself.
 * Built as fuzz_jsonl (libFuzzer, scripts/fuzz) and fuzz_jsonl_replay
 * (make check: tests/fuzz/jsonl-corpus and tests/fuzz/jsonl-regress). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_jsonl: %s\n", what);
	abort();
}

static void one_line(const char *line, size_t len)
{
	struct sf_json_field f[8];
	int n = -1;
	long bad = sf_json_object(line, len, f, 8, &n);
	if (bad < -1 || bad > (long)len)
		broken("the offset of a bad byte is outside the line");
	if (bad >= 0)
		return;
	if (n < 0 || n > 8)
		broken("more fields than room");
	for (int i = 0; i < n; i++) {
		if (f[i].key < line || f[i].key + f[i].klen > line + len || f[i].val < line ||
		    f[i].val + f[i].vlen > line + len)
			broken("a field outside the line");
		static const size_t caps[] = { 1, 2, 3, 4, 5, 7, 64 };
		for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
			char *out = malloc(caps[c]);
			if (!out)
				abort();
			size_t got = sf_json_unescape(f[i].val, f[i].vlen, out, caps[c]);
			if (got >= caps[c] || out[got] != '\0' || strlen(out) != got)
				broken("an unescaped string not terminated where its length says");
			free(out);
		}
		char ts[64];
		int64_t us;
		sf_json_unescape(f[i].val, f[i].vlen, ts, sizeof ts);
		/* Years 0 to 9999, in microseconds since the epoch. */
		if (sf_json_time(ts, strlen(ts), &us) && (us < -62167219200000000ll || us >= 253402300800000000ll))
			broken("a time outside years 0 to 9999");
		int64_t v;
		if (sf_json_int(&f[i], &v)) {
			char again[32];
			snprintf(again, sizeof again, "%lld", (long long)v);
			/* What reads as a number prints back as itself, leading zeros
			 * and "-0" aside. */
			if (f[i].vlen < sizeof again && f[i].val[0] != '0' && !(f[i].vlen > 1 && f[i].val[1] == '0') &&
			    (strlen(again) != f[i].vlen || memcmp(again, f[i].val, f[i].vlen) != 0))
				broken("an integer that does not print back as itself");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each line in a buffer of exactly its size, so that ASan sees a read past it. */
	for (size_t i = 0; i <= size;) {
		size_t end = i;
		while (end < size && data[end] != '\n')
			end++;
		char *line = malloc(end - i ? end - i : 1);
		if (!line)
			abort();
		memcpy(line, data + i, end - i);
		one_line(line, end - i);
		free(line);
		i = end + 1;
	}
	return 0;
}

#ifdef SF_FUZZ_REPLAY
#define FUZZ_CORPUS "tests/fuzz/jsonl-corpus"
#define FUZZ_REGRESS "tests/fuzz/jsonl-regress"
#include "replay.h"
#endif
