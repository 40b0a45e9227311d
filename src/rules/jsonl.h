/* Reading the library's own JSON log lines: flat objects of strings,
 * numbers, booleans and null. Pure: used by replay and by `sockfault report`. */
#ifndef SF_JSONL_H
#define SF_JSONL_H

#include <stddef.h>
#include <stdint.h>

struct sf_json_field {
	const char *key;
	size_t klen;
	const char *val; /* strings: between the quotes, still escaped */
	size_t vlen;
	int is_string;
};

/* Split one line into its fields. Returns -1 on success, else the offset
 * of the first byte that is not valid for a flat JSON object. */
long sf_json_object(const char *line, size_t len, struct sf_json_field *fields, int max, int *n);

/* The field named key, or NULL. */
const struct sf_json_field *sf_json_get(const struct sf_json_field *f, int n, const char *key);

/* A string value unescaped into out: always NUL-terminated, cut to cap (at
 * a character boundary) or at the first bad escape; an escaped NUL ends it too. */
size_t sf_json_unescape(const char *val, size_t vlen, char *out, size_t cap);

/* An integer value; 0 if it is not one or does not fit 64 bits. */
int sf_json_int(const struct sf_json_field *f, int64_t *out);

/* A log's time, 2026-11-22T03:40:33.234120Z (the fraction optional), as
 * microseconds since the epoch; 0 if it is not one. Every field is checked
 * against its range: the result lies within years 0 to 9999, so that no
 * difference of two times overflows. */
int sf_json_time(const char *s, size_t n, int64_t *out);

#endif
