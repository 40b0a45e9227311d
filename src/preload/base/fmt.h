/* Building log lines in a fixed buffer: no allocation, no locale, no stdio. */
#ifndef SF_FMT_H
#define SF_FMT_H

#include <stddef.h>
#include <stdint.h>

struct sf_buf {
	char *p;
	size_t cap, len; /* len may pass cap: the text was cut */
};

void sf_buf_mem(struct sf_buf *b, const char *s, size_t n);
void sf_buf_str(struct sf_buf *b, const char *s);
void sf_buf_u64(struct sf_buf *b, uint64_t v);
void sf_buf_i64(struct sf_buf *b, int64_t v);
/* A JSON string, quoted and escaped; bytes that are not UTF-8 (a unix
 * socket name may hold any) are written as \u00XX, so the line stays UTF-8. */
void sf_buf_json(struct sf_buf *b, const char *s, size_t n);
/* The longest prefix of s (ending on a character) whose JSON string,
 * quotes included, takes at most room bytes. */
size_t sf_json_fit(const char *s, size_t n, size_t room);
/* Text for a text log line: control bytes and backslashes as \xHH, so an
 * event stays one line. */
void sf_buf_text(struct sf_buf *b, const char *s, size_t n);
/* RFC 3339 UTC with microseconds: 2026-11-22T03:04:53.123456Z */
void sf_buf_timestamp(struct sf_buf *b, int64_t sec, long usec);
/* The text, cut to the buffer (which keeps room for a final newline). */
size_t sf_buf_used(const struct sf_buf *b);

#endif
