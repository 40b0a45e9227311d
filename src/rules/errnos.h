/* The errno table: POSIX names of this platform and the Winsock codes that map to them. */
#ifndef SF_ERRNOS_H
#define SF_ERRNOS_H

#include <stddef.h>

struct sf_errno_entry {
	const char *name;
	int value;
};

struct sf_wsa_entry {
	const char *name;
	int code;  /* the Winsock number (10054); 0 for WSA_* codes that share POSIX numbers */
	int posix; /* the errno it maps to, 0 if it has no POSIX counterpart */
};

extern const struct sf_errno_entry sf_errno_table[];
extern const size_t sf_errno_count;
extern const struct sf_wsa_entry sf_wsa_table[];
extern const size_t sf_wsa_count;

/* The first name of an errno value (EAGAIN rather than EWOULDBLOCK), or NULL. */
const char *sf_errno_name(int value);

enum sf_errno_status {
	SF_ERRNO_OK,
	SF_ERRNO_UNKNOWN,	 /* not a name or number of either table */
	SF_ERRNO_NO_COUNTERPART, /* a real Winsock code with no POSIX meaning; *wsa says which */
};

/* Parse `ECONNRESET`, `104`, `WSAECONNRESET` or `10054` into an errno value. */
enum sf_errno_status sf_errno_parse(const char *s, size_t len, int *value, const struct sf_wsa_entry **wsa);

/* The Winsock codes that map to `value`, one after another: pass the previous
 * result (NULL to start); NULL when there are no more. */
const struct sf_wsa_entry *sf_wsa_next_for(int value, const struct sf_wsa_entry *prev);

struct sf_suggest;
/* Offer every accepted name (POSIX and Winsock) to a suggestion. */
void sf_errno_suggest(struct sf_suggest *sg);

#endif
