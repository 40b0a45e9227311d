#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_diag_add(struct sf_diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 8;
		struct sf_diag *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	size_t len = strlen(file) + strlen(msg) + 32;
	char *text = malloc(len);
	if (!text)
		return;
	if (col)
		snprintf(text, len, "%s:%u:%u: %s", file, line, col, msg);
	else if (!line) /* about the whole file */
		snprintf(text, len, "%s: %s", file, msg);
	else
		snprintf(text, len, "%s:%u: %s", file, line, msg);
	d->v[d->n++] = (struct sf_diag){ line, col, text };
}

void sf_diags_free(struct sf_diags *d)
{
	for (unsigned i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
