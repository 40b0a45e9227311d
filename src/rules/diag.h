/* Messages about a rules file, each as FILE:LINE:COL: what is wrong. */
#ifndef SF_DIAG_H
#define SF_DIAG_H

#include <stdarg.h>

struct sf_diag {
	unsigned line, col;
	char *text; /* "FILE:LINE:COL: message" */
};

struct sf_diags {
	struct sf_diag *v;
	unsigned n, cap;
};

void sf_diag_add(struct sf_diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void sf_diags_free(struct sf_diags *d);

#endif
