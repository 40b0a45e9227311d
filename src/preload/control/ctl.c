/* The control protocol: one JSON object a line each way (sockfault(1),
 * PROTOCOL). A request names its command in "cmd"; the answer is zero or
 * more data lines, then one line with "ok". */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

static void grow(struct sf_ctl_out *o, size_t more)
{
	if (o->oom || o->len + more + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 1024;
	while (cap < o->len + more + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p) {
		o->oom = 1;
		return;
	}
	o->p = p;
	o->cap = cap;
}

static void put(struct sf_ctl_out *o, const char *s, size_t n)
{
	grow(o, n);
	if (o->oom)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void key(struct sf_ctl_out *o, const char *k)
{
	if (o->len && o->p[o->len - 1] != '{')
		put(o, ",", 1);
	put(o, "\"", 1);
	put(o, k, strlen(k));
	put(o, "\":", 2);
}

void sf_ctl_begin(struct sf_ctl_out *o)
{
	put(o, "{", 1);
}

void sf_ctl_strn(struct sf_ctl_out *o, const char *k, const char *v, size_t n)
{
	key(o, k);
	/* Escaped, a byte takes at most six. */
	size_t room = n * 6 + 3;
	grow(o, room);
	if (o->oom)
		return;
	struct sf_buf b = { o->p + o->len, room, 0 };
	sf_buf_json(&b, v, n);
	o->len += sf_buf_used(&b);
}

void sf_ctl_str(struct sf_ctl_out *o, const char *k, const char *v)
{
	sf_ctl_strn(o, k, v, strlen(v));
}

void sf_ctl_num(struct sf_ctl_out *o, const char *k, int64_t v)
{
	char n[24];
	key(o, k);
	put(o, n, (size_t)snprintf(n, sizeof n, "%lld", (long long)v));
}

void sf_ctl_bool(struct sf_ctl_out *o, const char *k, int v)
{
	key(o, k);
	put(o, v ? "true" : "false", v ? 4 : 5);
}

void sf_ctl_end(struct sf_ctl_out *o)
{
	put(o, "}\n", 2);
}

void sf_ctl_fail(struct sf_ctl_out *o, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 0);
	sf_ctl_str(o, "error", msg);
	sf_ctl_end(o);
}

void sf_ctl_stage_free(struct sf_ctl_stage *st)
{
	free(st->text);
	memset(st, 0, sizeof *st);
}

char *sf_ctl_arg(const struct sf_ctl_req *r, const char *k)
{
	const struct sf_json_field *f = sf_json_get(r->f, r->n, k);
	if (!f || !f->is_string)
		return NULL;
	char *out = malloc(f->vlen + 1);
	if (out)
		sf_json_unescape(f->val, f->vlen, out, f->vlen + 1);
	return out;
}

int sf_ctl_int(const struct sf_ctl_req *r, const char *k, int64_t *out)
{
	const struct sf_json_field *f = sf_json_get(r->f, r->n, k);
	return f && !f->is_string && sf_json_int(f, out);
}

struct command {
	const char *name;
	void (*run)(struct sf_ctl_req *r, struct sf_ctl_out *o);
};

static const struct command commands[] = {
	{ "hello", sf_ctl_hello },   { "rules", sf_ctl_rules },	    { "load", sf_ctl_load },
	{ "enable", sf_ctl_enable }, { "disable", sf_ctl_disable }, { "stats", sf_ctl_stats },
	{ "conns", sf_ctl_conns },   { "fire", sf_ctl_fire },
};

void sf_ctl_handle(const char *line, size_t len, struct sf_ctl_stage *stage, struct sf_ctl_out *o,
		   struct sf_ctl_watch **watch)
{
	struct sf_ctl_req r = { .stage = stage };
	long bad = sf_json_object(line, len, r.f, (int)(sizeof r.f / sizeof r.f[0]), &r.n);
	if (bad >= 0) {
		sf_ctl_fail(o, "not a JSON object (byte %ld): one object a line, flat", bad + 1);
		return;
	}
	char *cmd = sf_ctl_arg(&r, "cmd");
	if (!cmd) {
		sf_ctl_fail(o, "no \"cmd\" in the request");
		return;
	}
	if (strcmp(cmd, "watch") == 0) {
		free(cmd);
		sf_ctl_begin(o);
		sf_ctl_bool(o, "ok", 1);
		sf_ctl_bool(o, "watching", 1);
		sf_ctl_end(o);
		if (!*watch)
			*watch = sf_ctl_watch_new(o);
		return;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(cmd, commands[i].name) == 0) {
			free(cmd);
			commands[i].run(&r, o);
			return;
		}
	}
	sf_ctl_fail(o, "unknown command '%.100s' (hello, rules, load, enable, disable, stats, conns, fire, watch)",
		    cmd);
	free(cmd);
}
