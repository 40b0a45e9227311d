#include "jsonl.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

static int hexval(char c);

/* A string starting at s[i] == '"': returns the index after the closing
 * quote, or 0. Only JSON's escapes are let through (a backslash before a
 * control character or a NUL is not one), so that what the unescaping
 * makes of a string is text. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\') {
			if (++i >= len || !s[i] || !strchr("\"\\/bfnrtu", s[i]))
				return 0;
			if (s[i] == 'u') {
				for (int k = 1; k <= 4; k++)
					if (i + (size_t)k >= len || hexval(s[i + (size_t)k]) < 0)
						return 0;
				i += 4;
			}
			continue;
		}
		if (s[i] == '"')
			return i + 1;
		if ((unsigned char)s[i] < 0x20)
			return 0;
	}
	return 0;
}

static size_t scalar_end(const char *s, size_t len, size_t i)
{
	size_t start = i;
	while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t')
		i++;
	size_t n = i - start;
	if ((n == 4 && (memcmp(s + start, "true", 4) == 0 || memcmp(s + start, "null", 4) == 0)) ||
	    (n == 5 && memcmp(s + start, "false", 5) == 0))
		return i;
	size_t k = start;
	if (k < i && s[k] == '-')
		k++;
	if (k == i)
		return 0;
	for (; k < i; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == 'e' || s[k] == 'E' || s[k] == '+' ||
		      s[k] == '-'))
			return 0;
	return i;
}

long sf_json_object(const char *s, size_t len, struct sf_json_field *fields, int max, int *n)
{
	size_t i = skip_ws(s, len, 0);
	*n = 0;
	if (i >= len || s[i] != '{')
		return (long)i;
	i = skip_ws(s, len, i + 1);
	if (i < len && s[i] == '}')
		return skip_ws(s, len, i + 1) == len ? -1 : (long)i;
	for (;;) {
		if (i >= len || s[i] != '"')
			return (long)i;
		size_t kend = string_end(s, len, i);
		if (!kend)
			return (long)i;
		struct sf_json_field f = { s + i + 1, kend - i - 2, NULL, 0, 0 };
		i = skip_ws(s, len, kend);
		if (i >= len || s[i] != ':')
			return (long)i;
		i = skip_ws(s, len, i + 1);
		size_t vend;
		if (i < len && s[i] == '"') {
			vend = string_end(s, len, i);
			if (!vend)
				return (long)i;
			f.val = s + i + 1;
			f.vlen = vend - i - 2;
			f.is_string = 1;
		} else {
			vend = scalar_end(s, len, i);
			if (!vend)
				return (long)i;
			f.val = s + i;
			f.vlen = vend - i;
		}
		if (*n < max)
			fields[(*n)++] = f;
		i = skip_ws(s, len, vend);
		if (i < len && s[i] == ',') {
			i = skip_ws(s, len, i + 1);
			continue;
		}
		if (i < len && s[i] == '}')
			return skip_ws(s, len, i + 1) == len ? -1 : (long)i + 1;
		return (long)i;
	}
}

const struct sf_json_field *sf_json_get(const struct sf_json_field *f, int n, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < n; i++)
		if (f[i].klen == kl && memcmp(f[i].key, key, kl) == 0)
			return &f[i];
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append the UTF-8 bytes of code point cp, if they fit before the NUL. */
static int put_utf8(char *out, size_t cap, size_t *o, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	if (*o + n >= cap)
		return 0;
	memcpy(out + *o, b, n);
	*o += n;
	return 1;
}

/* The 4 hex digits at v[i..i+3] (i + 4 <= vlen), or -1. */
static long hex4(const char *v, size_t vlen, size_t i)
{
	if (i + 4 > vlen)
		return -1;
	long cp = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(v[i + k]);
		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	return cp;
}

size_t sf_json_unescape(const char *v, size_t vlen, char *out, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return 0;
	/* Every way out goes through the terminating NUL below: a bad or cut
	 * escape ends the text there, an escape whose bytes do not fit is left
	 * out whole (never half a UTF-8 sequence). */
	for (size_t i = 0; i < vlen && o + 1 < cap; i++) {
		unsigned cp = (unsigned char)v[i];
		if (v[i] == '\\') {
			if (i + 1 >= vlen)
				break;
			char e = v[++i];
			switch (e) {
			case 'n':
				cp = '\n';
				break;
			case 't':
				cp = '\t';
				break;
			case 'r':
				cp = '\r';
				break;
			case 'b':
				cp = '\b';
				break;
			case 'f':
				cp = '\f';
				break;
			case 'u': {
				long hi = hex4(v, vlen, i + 1);
				if (hi < 0)
					goto end;
				i += 4;
				cp = (unsigned)hi;
				if (cp >= 0xd800 && cp < 0xdc00) {
					/* A surrogate pair is one code point; half of one is
					 * not a character (U+FFFD stands for it). */
					long lo = i + 2 < vlen && v[i + 1] == '\\' && v[i + 2] == 'u'
							  ? hex4(v, vlen, i + 3)
							  : -1;
					if (lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
						i += 6;
					} else {
						cp = 0xfffd;
					}
				} else if (cp >= 0xdc00 && cp < 0xe000) {
					cp = 0xfffd;
				} else if (cp == 0) {
					/* A NUL would cut the C string short: not kept. */
					goto end;
				}
				break;
			}
			case '"':
			case '\\':
			case '/':
				cp = (unsigned char)e;
				break;
			default:
				goto end;
			}
		}
		if (!put_utf8(out, cap, &o, cp))
			break;
	}
end:
	out[o] = '\0';
	return o;
}

int sf_json_int(const struct sf_json_field *f, int64_t *out)
{
	if (!f || f->is_string || !f->vlen)
		return 0;
	/* Accumulated negative, where the range is one larger: INT64_MIN reads. */
	int64_t v = 0;
	size_t i = 0;
	int neg = f->val[0] == '-';
	if (neg)
		i++;
	if (i == f->vlen)
		return 0;
	for (; i < f->vlen; i++) {
		if (f->val[i] < '0' || f->val[i] > '9')
			return 0;
		int d = f->val[i] - '0';
		if (v < (INT64_MIN + d) / 10)
			return 0;
		v = v * 10 - d;
	}
	if (!neg && v == INT64_MIN)
		return 0;
	*out = neg ? v : -v;
	return 1;
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int sf_json_time(const char *s, size_t n, int64_t *out)
{
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return 0;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
	    mi = digits(s + 14, 2), sec = digits(s + 17, 2), us = 0;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
	    sec > 60)
		return 0;
	if (s[19] == '.') {
		int k = 0;
		for (size_t i = 20; i < n && k < 6 && s[i] >= '0' && s[i] <= '9'; i++, k++)
			us = us * 10 + (s[i] - '0');
		for (; k < 6; k++)
			us *= 10;
	}
	/* days from civil (Howard Hinnant). */
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153u * (unsigned)(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + (int64_t)doe - 719468;
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + us;
	return 1;
}
