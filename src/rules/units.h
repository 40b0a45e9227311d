/* Durations (`200ms`, `1m30s`), sizes (`64KiB`) and rates (`1MiB/s`). */
#ifndef SF_UNITS_H
#define SF_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define SF_NS_PER_US 1000ull
#define SF_NS_PER_MS 1000000ull
#define SF_NS_PER_S 1000000000ull

enum sf_unit_err {
	SF_UNIT_OK,
	SF_UNIT_EMPTY,	    /* nothing where a number was expected */
	SF_UNIT_NOT_NUMBER, /* does not start with a digit */
	SF_UNIT_BARE,	    /* a duration without a unit */
	SF_UNIT_BAD_UNIT,   /* a unit that is not one of the list */
	SF_UNIT_TOO_BIG,    /* overflows 64 bits */
	SF_UNIT_FRACTION,   /* more precision than the unit allows (1.5B) */
};

struct sf_unit_result {
	enum sf_unit_err err;
	size_t at;	 /* offset of the offending part */
	size_t unit_len; /* for SF_UNIT_BAD_UNIT: length of the bad unit */
};

/* Nanoseconds. Sequences are summed: `1m30s`. */
struct sf_unit_result sf_parse_duration(const char *s, size_t len, uint64_t *ns);
/* Bytes; a bare number is bytes. */
struct sf_unit_result sf_parse_size(const char *s, size_t len, uint64_t *bytes);
/* Bytes per second: a size followed by `/s`. */
struct sf_unit_result sf_parse_rate(const char *s, size_t len, uint64_t *bytes_per_s);

/* The known unit words, NULL-terminated, for suggestions. */
extern const char *const sf_duration_units[];
extern const char *const sf_size_units[];

/* Canonical text: the largest unit that is exact (`1500ms`, `64KiB`).
 * Returns the length written (the buffer holds at least 32 bytes). */
size_t sf_format_duration(char *buf, size_t cap, uint64_t ns);
size_t sf_format_size(char *buf, size_t cap, uint64_t bytes);

#endif
