#include "glob.h"

#include <string.h>

/* Length of the bracket expression starting at pat[0] == '[', or 0 if unterminated. */
static size_t class_len(const char *pat)
{
	size_t i = 1;
	if (pat[i] == '!' || pat[i] == '^')
		i++;
	if (pat[i] == ']')
		i++;
	for (; pat[i]; i++)
		if (pat[i] == ']')
			return i + 1;
	return 0;
}

static int class_match(const char *pat, size_t len, unsigned char c)
{
	size_t i = 1;
	int neg = 0, hit = 0;
	if (pat[i] == '!' || pat[i] == '^') {
		neg = 1;
		i++;
	}
	size_t first = i;
	for (; i < len - 1; i++) {
		unsigned char lo = (unsigned char)pat[i];
		if (lo == ']' && i != first)
			break;
		if (i + 2 < len - 1 && pat[i + 1] == '-') {
			unsigned char hi = (unsigned char)pat[i + 2];
			if (c >= lo && c <= hi)
				hit = 1;
			i += 2;
		} else if (c == lo) {
			hit = 1;
		}
	}
	return hit != neg;
}

int sf_glob_match(const char *pat, const char *s, size_t slen)
{
	/* Iterative matcher with one backtrack point for the last `*`:
	 * linear in practice, never recursive. */
	size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
	while (i < slen) {
		char pc = pat[p];
		if (pc == '*') {
			star_p = ++p;
			star_i = i;
			continue;
		}
		if (pc == '[') {
			size_t cl = class_len(pat + p);
			if (cl && class_match(pat + p, cl, (unsigned char)s[i])) {
				p += cl;
				i++;
				continue;
			}
		} else if (pc == '\\' && pat[p + 1]) {
			if (pat[p + 1] == s[i]) {
				p += 2;
				i++;
				continue;
			}
		} else if (pc && (pc == '?' || pc == s[i])) {
			p++;
			i++;
			continue;
		}
		if (star_p == (size_t)-1)
			return 0;
		p = star_p;
		i = ++star_i;
	}
	while (pat[p] == '*')
		p++;
	return pat[p] == '\0';
}

const char *sf_glob_check(const char *pat, size_t *at)
{
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == '\\') {
			if (!pat[i + 1]) {
				*at = i;
				return "a '\\' at the end of a pattern escapes nothing";
			}
			i++;
		} else if (pat[i] == '[') {
			size_t cl = class_len(pat + i);
			if (!cl) {
				*at = i;
				return "'[' opens a character set that is never closed with ']'";
			}
			i += cl - 1;
		}
	}
	return NULL;
}
