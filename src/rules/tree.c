#include "tree.h"

#include <string.h>

#include "decide.h"

uint64_t sf_tree_key(const char *id)
{
	uint64_t h = 0x3c6ef372fe94f82bull;
	for (const char *p = id; *p; p++)
		h = sf_mix64(h ^ (unsigned char)*p);
	return h;
}

/* Decimal digits of n at p; returns the end. */
static char *put_u32(char *p, uint32_t n)
{
	char tmp[10];
	int k = 0;
	do
		tmp[k++] = (char)('0' + n % 10);
	while (n /= 10);
	while (k)
		*p++ = tmp[--k];
	return p;
}

void sf_tree_child(const char *parent, uint32_t n, char out[SF_TREE_MAX])
{
	size_t len = strlen(parent);
	char *p = out;
	if (len + 11 <= SF_TREE_ID_MAX) {
		memcpy(p, parent, len);
		p += len;
	} else {
		static const char hex[] = "0123456789abcdef";
		uint64_t k = sf_tree_key(parent);
		*p++ = '#';
		for (int i = 60; i >= 0; i -= 4)
			*p++ = hex[(k >> i) & 15];
	}
	*p++ = '.';
	p = put_u32(p, n);
	*p = '\0';
}

void sf_tree_format(const char *id, uint32_t children, char out[SF_TREE_MAX])
{
	size_t len = strlen(id);
	if (len > SF_TREE_ID_MAX)
		len = SF_TREE_ID_MAX;
	memcpy(out, id, len);
	char *p = out + len;
	if (children) {
		*p++ = ',';
		p = put_u32(p, children);
	}
	*p = '\0';
}

/* A number of 1 to 4294967295 without a leading zero; returns its length, 0 if none. */
static size_t number(const char *s, uint32_t *out)
{
	size_t i = 0;
	uint64_t n = 0;
	if (s[0] < '1' || s[0] > '9')
		return 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > UINT32_MAX)
			return 0;
	}
	*out = (uint32_t)n;
	return i;
}

int sf_tree_parse(const char *v, char id[SF_TREE_MAX], uint32_t *children)
{
	size_t i = 0;
	uint32_t n;
	if (v[0] == '#') {
		for (i = 1; i <= 16; i++)
			if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
				return 0;
		/* A folded identity always names a child of the folded parent. */
		if (v[i] != '.')
			return 0;
	} else {
		size_t k = number(v, &n);
		if (!k)
			return 0;
		i = k;
	}
	while (v[i] == '.') {
		size_t k = number(v + i + 1, &n);
		if (!k)
			return 0;
		i += 1 + k;
	}
	if (i > SF_TREE_ID_MAX)
		return 0;
	*children = 0;
	if (v[i] == ',') {
		size_t k = number(v + i + 1, children);
		if (!k)
			return 0;
		if (v[i + 1 + k])
			return 0;
	} else if (v[i]) {
		return 0;
	}
	memcpy(id, v, i);
	id[i] = '\0';
	return 1;
}
