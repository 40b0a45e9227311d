/* Splitting a rules text into logical lines and tokens, keeping where each byte came from. */
#ifndef SF_LEXER_H
#define SF_LEXER_H

#include <stddef.h>

/* One rule's text: comments removed, `\` continuations joined (with a space),
 * and for every byte the physical line and column (1-based, in characters)
 * it came from. line[len]/col[len] is the position just after the last byte. */
struct sf_logline {
	char *text;
	size_t len;
	unsigned *line;
	unsigned *col;
};

struct sf_lexer {
	const char *src;
	size_t len, pos;
	unsigned phys_line; /* line number at pos */
	unsigned col;	    /* column at pos */
	int semicolons;	    /* `;` also ends a rule (inline rules) */
	struct sf_logline cur;
	size_t cap;
};

void sf_lexer_init(struct sf_lexer *lx, const char *src, size_t len, int semicolons);
/* The next non-blank logical line, or NULL at the end. Valid until the next call. */
const struct sf_logline *sf_lexer_next(struct sf_lexer *lx);
void sf_lexer_free(struct sf_lexer *lx);

struct sf_tok {
	const char *s;
	size_t len;
	size_t off; /* offset in the logical line */
};

/* Split text[from, to) of a logical line at blanks. Returns the number of
 * tokens found (at most `max`; *more is set when there were more). */
size_t sf_tokenize(const struct sf_logline *ll, size_t from, size_t to, struct sf_tok *toks, size_t max, int *more);

/* Offset of the first byte of `text` that is not valid UTF-8, or (size_t)-1. */
size_t sf_utf8_invalid(const char *text, size_t len);

#endif
