#include "lexer.h"

#include <stdlib.h>
#include <string.h>

void sf_lexer_init(struct sf_lexer *lx, const char *src, size_t len, int semicolons)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->len = len;
	lx->phys_line = 1;
	lx->col = 1;
	lx->semicolons = semicolons;
}

void sf_lexer_free(struct sf_lexer *lx)
{
	free(lx->cur.text);
	free(lx->cur.line);
	free(lx->cur.col);
	memset(&lx->cur, 0, sizeof lx->cur);
	lx->cap = 0;
}

static int grow(struct sf_lexer *lx, size_t need)
{
	if (need <= lx->cap)
		return 1;
	size_t cap = lx->cap ? lx->cap : 128;
	while (cap < need)
		cap *= 2;
	char *t = realloc(lx->cur.text, cap);
	if (!t)
		return 0;
	lx->cur.text = t;
	unsigned *l = realloc(lx->cur.line, cap * sizeof *l);
	if (!l)
		return 0;
	lx->cur.line = l;
	unsigned *c = realloc(lx->cur.col, cap * sizeof *c);
	if (!c)
		return 0;
	lx->cur.col = c;
	lx->cap = cap;
	return 1;
}

static void put(struct sf_lexer *lx, char ch, unsigned line, unsigned col)
{
	struct sf_logline *ll = &lx->cur;
	ll->text[ll->len] = ch;
	ll->line[ll->len] = line;
	ll->col[ll->len] = col;
	ll->len++;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Advance over one source byte, keeping line and column (columns count
 * characters: UTF-8 continuation bytes do not move the column). */
static char take(struct sf_lexer *lx, unsigned *line, unsigned *col)
{
	char ch = lx->src[lx->pos++];
	*line = lx->phys_line;
	*col = lx->col;
	if (ch == '\n') {
		lx->phys_line++;
		lx->col = 1;
	} else if (((unsigned char)ch & 0xc0) != 0x80) {
		lx->col++;
	}
	return ch;
}

const struct sf_logline *sf_lexer_next(struct sf_lexer *lx)
{
	for (;;) {
		if (lx->pos >= lx->len)
			return NULL;
		/* Room for everything that is left plus the end position. */
		if (!grow(lx, lx->len - lx->pos + 2))
			return NULL;
		struct sf_logline *ll = &lx->cur;
		ll->len = 0;
		int in_comment = 0;
		unsigned line = lx->phys_line, col = lx->col;
		while (lx->pos < lx->len) {
			char ch = take(lx, &line, &col);
			if (ch == '\n') {
				/* A backslash that ends the line (before any comment)
				 * joins the next line to this rule. */
				size_t end = ll->len;
				while (end > 0 && blank(ll->text[end - 1]))
					end--;
				if (end > 0 && ll->text[end - 1] == '\\') {
					ll->len = end - 1;
					put(lx, ' ', line, col);
					in_comment = 0;
					continue;
				}
				break;
			}
			/* The CR of a CRLF line end is no part of the line: a
			 * message about the end of a line gets the same column
			 * in a CRLF file as in an LF one. */
			if (ch == '\r' && lx->pos < lx->len && lx->src[lx->pos] == '\n')
				continue;
			if (in_comment)
				continue;
			if (ch == '#') {
				in_comment = 1;
				continue;
			}
			if (ch == ';' && lx->semicolons)
				break;
			put(lx, ch, line, col);
		}
		/* A backslash before the end of the file continues onto nothing. */
		if (lx->pos >= lx->len) {
			size_t end = ll->len;
			while (end > 0 && blank(ll->text[end - 1]))
				end--;
			if (end > 0 && ll->text[end - 1] == '\\')
				ll->len = end - 1;
		}
		/* The end position: just after the last character kept. A
		 * UTF-8 continuation byte already has the column after its
		 * character (take() moved past the lead byte). */
		if (ll->len > 0) {
			unsigned char last = (unsigned char)ll->text[ll->len - 1];
			ll->line[ll->len] = ll->line[ll->len - 1];
			ll->col[ll->len] = ll->col[ll->len - 1] + ((last & 0xc0) != 0x80);
		} else {
			ll->line[0] = line;
			ll->col[0] = col;
		}
		for (size_t i = 0; i < ll->len; i++)
			if (!blank(ll->text[i]))
				return ll;
	}
}

size_t sf_tokenize(const struct sf_logline *ll, size_t from, size_t to, struct sf_tok *toks, size_t max, int *more)
{
	size_t n = 0, i = from;
	*more = 0;
	while (i < to) {
		while (i < to && blank(ll->text[i]))
			i++;
		if (i >= to)
			break;
		size_t start = i;
		while (i < to && !blank(ll->text[i]))
			i++;
		if (n == max) {
			*more = 1;
			break;
		}
		toks[n++] = (struct sf_tok){ ll->text + start, i - start, start };
	}
	return n;
}

size_t sf_utf8_invalid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return i;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return i;
		i += n + 1;
	}
	return (size_t)-1;
}
