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

void sf_buf_json(struct sf_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sf_buf_mem(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sf_buf_mem(b, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			sf_buf_mem(b, e, 6);
		} else {
			sf_buf_mem(b, (const char *)&c, 1);
		}
	}
	sf_buf_mem(b, "\"", 1);
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
