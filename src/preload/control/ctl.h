/* What the control channel's commands share: the request as read, and the
 * answer as it is built (JSON lines, one object each, flat). */
#ifndef SF_CTL_H
#define SF_CTL_H

#include "sf.h"

#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"

struct sf_ctl_out {
	char *p;
	size_t len, cap;
	int oom;
};

/* One line of the answer: begin, fields, end (which adds the newline). */
void sf_ctl_begin(struct sf_ctl_out *o);
void sf_ctl_str(struct sf_ctl_out *o, const char *key, const char *v);
void sf_ctl_strn(struct sf_ctl_out *o, const char *key, const char *v, size_t n);
void sf_ctl_num(struct sf_ctl_out *o, const char *key, int64_t v);
void sf_ctl_bool(struct sf_ctl_out *o, const char *key, int v);
void sf_ctl_end(struct sf_ctl_out *o);
/* The last line of a failed command: {"ok":false,"error":MSG}. */
void sf_ctl_fail(struct sf_ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rules staged by `load` requests with "more":true, until the last one. */
struct sf_ctl_stage {
	char *text; /* the pieces, each followed by its name: "TEXT\0NAME\0"... */
	size_t len;
	unsigned n;
};
void sf_ctl_stage_free(struct sf_ctl_stage *st);

struct sf_ctl_req {
	struct sf_json_field f[16];
	int n;
	struct sf_ctl_stage *stage;
};

/* A string field unescaped (malloc'd, NULL if absent or not a string). */
char *sf_ctl_arg(const struct sf_ctl_req *r, const char *key);
/* A number field; 0 if absent. */
int sf_ctl_int(const struct sf_ctl_req *r, const char *key, int64_t *out);

/* Events the channel's thread itself makes (`fire`), for every watching
 * client: sent out after the request that made them. */
extern SF_HIDDEN struct sf_ctl_out sf_ctl_events;

/* `watch`: the client's view so far (ctl_watch.c). */
struct sf_ctl_watch;
struct sf_ctl_watch *sf_ctl_watch_new(struct sf_ctl_out *o);
void sf_ctl_watch_tick(struct sf_ctl_watch *w, struct sf_ctl_out *o);
void sf_ctl_watch_free(struct sf_ctl_watch *w);

/* One request line in, its answer out. A `watch` request makes *watch
 * (the client gets events from then on). */
void sf_ctl_handle(const char *line, size_t len, struct sf_ctl_stage *stage, struct sf_ctl_out *o,
		   struct sf_ctl_watch **watch);

/* The commands. */
void sf_ctl_hello(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_rules(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_load(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_enable(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_disable(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_stats(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_conns(struct sf_ctl_req *r, struct sf_ctl_out *o);
void sf_ctl_fire(struct sf_ctl_req *r, struct sf_ctl_out *o);

/* fork: the child's channel starts with no state of the parent's. */
void sf_ctl_child_reset(void);

/* Faults fired by every rule set this process has had, and by `fire`. */
uint64_t sf_ctl_total_fired(void);

#endif
