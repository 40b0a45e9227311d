#include "fmt.h"

#include <string.h>

void sf_buf_mem(struct sf_buf *b, const char *s, size_t n)
{
	if (b->len < b->cap) {
		size_t room = b->cap - b->len;
		memcpy(b->p + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

void sf_buf_str(struct sf_buf *b, const char *s)
{
	sf_buf_mem(b, s, strlen(s));
}

void sf_buf_u64(struct sf_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sf_buf_mem(b, tmp + i, sizeof tmp - i);
}

void sf_buf_i64(struct sf_buf *b, int64_t v)
{
	if (v < 0) {
		sf_buf_mem(b, "-", 1);
		sf_buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		sf_buf_u64(b, (uint64_t)v);
	}
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* One character of a JSON string: its escaped text in e, and how many bytes
 * of s it used. */
static size_t json_char(const char *s, size_t n, char e[6], size_t *elen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[0];
	size_t ul = utf8_len((const unsigned char *)s, n);
	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		*elen = 2;
		return 1;
	}
	if (c < 0x20 || ul == 0) {
		/* Control characters, and bytes that are not UTF-8 (as U+00XX). */
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		memcpy(e, u, 6);
		*elen = 6;
		return 1;
	}
	memcpy(e, s, ul);
	*elen = ul;
	return ul;
}

void sf_buf_json(struct sf_buf *b, const char *s, size_t n)
{
	sf_buf_mem(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		char e[6];
		size_t el;
		i += json_char(s + i, n - i, e, &el);
		sf_buf_mem(b, e, el);
	}
	sf_buf_mem(b, "\"", 1);
}

size_t sf_json_fit(const char *s, size_t n, size_t room)
{
	size_t used = 2, i = 0;
	if (room < 2)
		return 0;
	while (i < n) {
		char e[6];
		size_t el, step = json_char(s + i, n - i, e, &el);
		if (used + el > room)
			break;
		used += el;
		i += step;
	}
	return i;
}

void sf_buf_text(struct sf_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t ul = utf8_len((const unsigned char *)s + i, n - i);
		if (c < 0x20 || c == 0x7f || c == '\\' || ul == 0) {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sf_buf_mem(b, e, 4);
			i++;
		} else {
			sf_buf_mem(b, s + i, ul);
			i += ul;
		}
	}
}

static void two(struct sf_buf *b, unsigned v)
{
	char d[2] = { (char)('0' + v / 10 % 10), (char)('0' + v % 10) };
	sf_buf_mem(b, d, 2);
}

void sf_buf_timestamp(struct sf_buf *b, int64_t sec, long usec)
{
	/* Days to a civil date (Howard Hinnant's algorithm): gmtime_r may take
	 * locks and read time zone files; this does neither. */
	int64_t days = sec / 86400, rem = sec % 86400;
	if (rem < 0)
		rem += 86400, days--;
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	sf_buf_i64(b, y);
	sf_buf_mem(b, "-", 1);
	two(b, m);
	sf_buf_mem(b, "-", 1);
	two(b, d);
	sf_buf_mem(b, "T", 1);
	two(b, (unsigned)(rem / 3600));
	sf_buf_mem(b, ":", 1);
	two(b, (unsigned)(rem / 60 % 60));
	sf_buf_mem(b, ":", 1);
	two(b, (unsigned)(rem % 60));
	char us[8] = { '.', 0, 0, 0, 0, 0, 0, 'Z' };
	for (int i = 6; i >= 1; i--, usec /= 10)
		us[i] = (char)('0' + usec % 10);
	sf_buf_mem(b, us, 8);
}

size_t sf_buf_used(const struct sf_buf *b)
{
	return b->len < b->cap ? b->len : b->cap;
}
