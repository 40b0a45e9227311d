#include "jsonl.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* A string starting at s[i] == '"': returns the index after the closing quote, or 0. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\') {
			i++;
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

size_t sf_json_unescape(const char *v, size_t vlen, char *out, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return 0;
	for (size_t i = 0; i < vlen && o + 1 < cap; i++) {
		char c = v[i];
		if (c == '\\' && i + 1 < vlen) {
			char e = v[++i];
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				int cp = 0, ok = i + 4 < vlen;
				for (int k = 1; ok && k <= 4; k++) {
					int h = hexval(v[i + (size_t)k]);
					ok = h >= 0;
					cp = cp * 16 + h;
				}
				if (!ok)
					return o;
				i += 4;
				if (cp < 0x80) {
					c = (char)cp;
				} else if (cp < 0x800) {
					if (o + 2 >= cap)
						break;
					out[o++] = (char)(0xc0 | (cp >> 6));
					c = (char)(0x80 | (cp & 0x3f));
				} else {
					if (o + 3 >= cap)
						break;
					out[o++] = (char)(0xe0 | (cp >> 12));
					out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					c = (char)(0x80 | (cp & 0x3f));
				}
				break;
			}
			default: c = e; break;
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

int sf_json_int(const struct sf_json_field *f, int64_t *out)
{
	if (!f || f->is_string || !f->vlen)
		return 0;
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
		v = v * 10 + (f->val[i] - '0');
	}
	*out = neg ? -v : v;
	return 1;
}
