/* The CLI's side of the control channel (sockfault(1), PROTOCOL): where the
 * channels of this user are, and one request and its answer. */
#ifndef SF_CTLCLIENT_H
#define SF_CTLCLIENT_H

#include <stddef.h>

#include "jsonl.h"

/* The directory of this user's channels (as the library makes it). */
void sf_ctl_dir(char *out, size_t cap);

/* The pids with a socket in the directory, ascending (malloc'd; *n set). */
int *sf_ctl_pids(size_t *n);

/* Connect to pid's channel. Returns the descriptor, or -1 with a message
 * in why; a socket left by a dead process is removed on the way (*stale). */
int sf_ctl_connect(int pid, char *why, size_t cap, int *stale);

/* One answer line, split into fields (keys and values point into line). */
struct sf_ctl_line {
	char *line;
	size_t len;
	struct sf_json_field f[32];
	int n;
};

/* Send one request line (without its newline); each line of the answer is
 * given to fn until the last one ("ok"), which is left in *last. Returns 0
 * if the channel broke (message in why). */
int sf_ctl_request(int fd, const char *req, void (*fn)(void *ctx, struct sf_ctl_line *l), void *ctx,
		   struct sf_ctl_line *last, char *why, size_t cap);
void sf_ctl_line_free(struct sf_ctl_line *l);
/* After `watch`: every line to fn until the channel closes (returns 0,
 * why says so). */
int sf_ctl_stream(int fd, void (*fn)(void *ctx, struct sf_ctl_line *l), void *ctx, char *why, size_t cap);

/* A field as text (unescaped into buf) or "" if absent. */
const char *sf_ctl_field(const struct sf_ctl_line *l, const char *key, char *buf, size_t cap);
int sf_ctl_field_true(const struct sf_ctl_line *l, const char *key);

/* Appends a JSON string (quoted, escaped) to a growing buffer. */
struct sf_ctl_req_buf {
	char *p;
	size_t len, cap;
};
void sf_ctl_req_raw(struct sf_ctl_req_buf *b, const char *s);
void sf_ctl_req_str(struct sf_ctl_req_buf *b, const char *key, const char *v, size_t n);

#endif
