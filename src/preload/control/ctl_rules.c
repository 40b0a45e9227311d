/* The control channel's view of the rules: the list in force (with the
 * rules switched off by `disable`), replaced as a whole as a reload does,
 * and the counters of each rule, which outlive the rule set: a rule keeps
 * them across replacements as long as its canonical text (name included)
 * is the same. Only the channel's thread changes the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "clock.h"
#include "ctl.h"
#include "format.h"
#include "parse.h"
#include "proc.h"
#include "reclaim.h"
#include "settings.h"
#include "units.h"

/* Counters of rule sets that were replaced, by rule text. Bounded: past
 * CARRY_SLOTS different rules, the counts of new ones start again at 0. */
#define CARRY_SLOTS 1024
struct carry {
	uint64_t key;
	uint64_t matched, fired;
};
static struct carry carried[CARRY_SLOTS];
static uint64_t carried_fired; /* every rule's, for the process total */
uint64_t sf_ctl_fire_count;    /* faults fired by `fire` (ctl_conns.c) */

static uint64_t text_key(const char *t)
{
	uint64_t h = 1469598103934665603ull;
	for (; *t; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ull;
	return h | 1;
}

static struct carry *carry_of(uint64_t key, int create)
{
	for (unsigned i = 0, k = (unsigned)(key % CARRY_SLOTS); i < CARRY_SLOTS; i++, k = (k + 1) % CARRY_SLOTS) {
		uint64_t have = SF_ACQUIRE(&carried[k].key);
		if (have == key)
			return &carried[k];
		if (have)
			continue;
		if (!create)
			return NULL;
		uint64_t expected = 0;
		if (__atomic_compare_exchange_n(&carried[k].key, &expected, key, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    expected == key)
			return &carried[k];
	}
	return NULL;
}

/* The key of the rule's whole text: two long rules that differ only past
 * a buffer's end are two rules. 0 (no counters carried) if out of memory. */
static uint64_t rule_key(const struct sf_rule *r)
{
	char text[2048];
	size_t n = sf_rule_format(text, sizeof text, r);
	if (n < sizeof text)
		return text_key(text);
	char *big = malloc(n + 1);
	if (!big)
		return 0;
	sf_rule_format(big, n + 1, r);
	uint64_t key = text_key(big);
	free(big);
	return key;
}

/* Runs when no thread can still count into the old set (reclaim.h): its
 * counts are final. */
static void fold_and_free(void *p, size_t size)
{
	(void)size;
	struct sf_active *a = p;
	for (unsigned i = 0; i < a->rs.n; i++) {
		uint64_t m = SF_LOAD(&a->stats[i].matched), f = SF_LOAD(&a->stats[i].fired);
		SF_ADD(&carried_fired, f);
		uint64_t key = rule_key(&a->rs.rules[i]);
		struct carry *c = key ? carry_of(key, 1) : NULL;
		if (c) {
			SF_ADD(&c->matched, m);
			SF_ADD(&c->fired, f);
		}
	}
	sf_active_free(a);
}

struct entry {
	char *text; /* canonical */
	char *name;
	int enabled;
};
static struct entry *list;
static unsigned nlist;
static uint32_t list_gen;
static int list_valid;
static char source[512];

static void list_free(struct entry *l, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(l[i].text);
		free(l[i].name);
	}
	free(l);
}

/* The entries of a parsed set, all enabled; NULL if out of memory. */
static struct entry *entries_of(const struct sf_ruleset *rs)
{
	struct entry *l = calloc(rs->n ? rs->n : 1, sizeof *l);
	for (unsigned i = 0; l && i < rs->n; i++) {
		size_t need = sf_rule_format(NULL, 0, &rs->rules[i]) + 1;
		l[i].text = malloc(need);
		l[i].name = strdup(rs->rules[i].name);
		l[i].enabled = 1;
		if (!l[i].text || !l[i].name) {
			list_free(l, i + 1);
			return NULL;
		}
		sf_rule_format(l[i].text, need, &rs->rules[i]);
	}
	return l;
}

void sf_ctl_child_reset(void)
{
	/* fork may have copied the list in the middle of a replacement: the
	 * child starts a new one (the old memory is left, not freed). */
	list = NULL;
	nlist = 0;
	list_valid = 0;
}

/* Follow the rules in force if someone else replaced them (the reload
 * watcher): the rules switched off here are then forgotten. */
static void sync(void)
{
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	uint32_t gen = a ? a->gen : 0;
	if (!list_valid || gen != list_gen) {
		struct sf_ruleset none = { 0 };
		struct entry *l = entries_of(a ? &a->rs : &none);
		if (l) {
			list_free(list, nlist);
			list = l;
			nlist = a ? a->rs.n : 0;
			list_gen = gen;
			list_valid = 1;
		}
	}
	sf_read_end();
	if (!source[0])
		snprintf(source, sizeof source, "%s",
			 sf_config.rules_path	? sf_config.rules_path
			 : sf_config.rules_text ? "SOCKFAULT_RULES_TEXT"
						: "none");
}

/* Make `rs` the rules in force, described by the list l. */
static int install(struct sf_ruleset *rs, struct entry *l, unsigned n)
{
	struct sf_active *a = sf_active_build(rs, sf_config.exe);
	if (!a)
		return 0;
	struct sf_active *old = sf_active_install(a);
	if (old)
		sf_retire(old, 0, fold_and_free);
	/* Nothing may be reading now: free what can be freed. */
	sf_read_begin();
	sf_read_end();
	list_free(list, nlist);
	list = l;
	nlist = n;
	list_gen = a->gen;
	return 1;
}

/* Install the enabled entries of l (taken over on success). */
static int install_list(struct entry *l, unsigned n, struct sf_ctl_out *o)
{
	size_t len = 1;
	for (unsigned i = 0; i < n; i++)
		len += l[i].enabled ? strlen(l[i].text) + 1 : 0;
	char *text = malloc(len);
	if (!text) {
		sf_ctl_fail(o, "out of memory");
		return 0;
	}
	size_t at = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!l[i].enabled)
			continue;
		size_t k = strlen(l[i].text);
		memcpy(text + at, l[i].text, k);
		text[at + k] = '\n';
		at += k + 1;
	}
	text[at] = 0;
	struct sf_ruleset rs = { 0 };
	struct sf_diags d = { 0 };
	struct sf_parse_opts po = { "rules in force", 0, "line" };
	unsigned errors = sf_parse(text, at, &po, &rs, &d);
	free(text);
	if (errors) {
		sf_ctl_fail(o, "the rules in force do not read back: %s", d.n ? d.v[0].text : "?");
		sf_diags_free(&d);
		sf_ruleset_free(&rs);
		return 0;
	}
	sf_diags_free(&d);
	if (!install(&rs, l, n)) {
		sf_ruleset_free(&rs);
		sf_ctl_fail(o, "out of memory");
		return 0;
	}
	return 1;
}

/* A rule's counters: the set in force's, and what earlier sets counted. */
static void counts(const struct sf_active *a, int idx, const char *text, uint64_t *m, uint64_t *f)
{
	*m = *f = 0;
	if (a && idx >= 0 && (unsigned)idx < a->rs.n) {
		*m = SF_LOAD(&a->stats[idx].matched);
		*f = SF_LOAD(&a->stats[idx].fired);
	}
	struct carry *c = carry_of(text_key(text), 0);
	if (c) {
		*m += SF_LOAD(&c->matched);
		*f += SF_LOAD(&c->fired);
	}
}

uint64_t sf_ctl_total_fired(void)
{
	uint64_t total = SF_LOAD(&carried_fired) + SF_LOAD(&sf_ctl_fire_count);
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	for (unsigned i = 0; a && i < a->rs.n; i++)
		total += SF_LOAD(&a->stats[i].fired);
	sf_read_end();
	return total;
}

/* Each rule of the list with its counters, one line each. */
static void rule_lines(struct sf_ctl_out *o, int with_text)
{
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	int idx = 0;
	for (unsigned i = 0; i < nlist; i++) {
		const struct entry *e = &list[i];
		uint64_t m, f;
		int in_set = e->enabled && a && a->gen == list_gen;
		counts(a, in_set ? idx : -1, e->text, &m, &f);
		sf_ctl_begin(o);
		sf_ctl_str(o, "rule", e->name);
		if (with_text)
			sf_ctl_str(o, "text", e->text);
		sf_ctl_bool(o, "enabled", e->enabled);
		if (in_set)
			sf_ctl_bool(o, "for_this_program", a->for_exe[idx]);
		sf_ctl_num(o, "matched", (int64_t)m);
		sf_ctl_num(o, "fired", (int64_t)f);
		sf_ctl_end(o);
		if (e->enabled)
			idx++;
	}
	sf_read_end();
}

void sf_ctl_hello(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	(void)r;
	sync();
	char seed[24];
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)sf_config.seed);
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "protocol", 1);
	sf_ctl_num(o, "pid", sf_proc_pid);
	sf_ctl_str(o, "exe", sf_config.exe);
	sf_ctl_str(o, "source", source);
	sf_ctl_str(o, "seed", seed);
	sf_ctl_num(o, "uptime_ms", (int64_t)((sf_now() - sf_config.t_start) / SF_NS_PER_MS));
	sf_ctl_num(o, "rules", nlist);
	sf_ctl_num(o, "fired", (int64_t)sf_ctl_total_fired());
	sf_ctl_end(o);
}

void sf_ctl_rules(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	(void)r;
	sync();
	rule_lines(o, 1);
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "rules", nlist);
	sf_ctl_str(o, "source", source);
	sf_ctl_end(o);
}

void sf_ctl_stats(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	(void)r;
	sync();
	rule_lines(o, 0);
	uint64_t m = 0, f = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	for (unsigned i = 0; a && i < a->rs.n; i++) {
		m += SF_LOAD(&a->stats[i].matched);
		f += SF_LOAD(&a->stats[i].fired);
	}
	sf_read_end();
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "pid", sf_proc_pid);
	sf_ctl_num(o, "uptime_ms", (int64_t)((sf_now() - sf_config.t_start) / SF_NS_PER_MS));
	sf_ctl_num(o, "rules", nlist);
	sf_ctl_num(o, "matched_now", (int64_t)m);
	sf_ctl_num(o, "fired_now", (int64_t)f);
	sf_ctl_num(o, "fired", (int64_t)sf_ctl_total_fired());
	sf_ctl_num(o, "fired_by_ctl", (int64_t)SF_LOAD(&sf_ctl_fire_count));
	sf_ctl_end(o);
}

static void switch_rule(struct sf_ctl_req *r, struct sf_ctl_out *o, int on)
{
	sync();
	char *name = sf_ctl_arg(r, "name");
	if (!name) {
		sf_ctl_fail(o, "%s: which rule? (\"name\")", on ? "enable" : "disable");
		return;
	}
	unsigned i = 0;
	while (i < nlist && strcmp(list[i].name, name) != 0)
		i++;
	if (i == nlist) {
		sf_ctl_fail(o, "no rule named '%.200s' (sockfault ctl PID rules lists them)", name);
		free(name);
		return;
	}
	free(name);
	if (list[i].enabled != on) {
		struct entry *l = calloc(nlist ? nlist : 1, sizeof *l);
		for (unsigned k = 0; l && k < nlist; k++) {
			l[k].text = strdup(list[k].text);
			l[k].name = strdup(list[k].name);
			l[k].enabled = k == i ? on : list[k].enabled;
			if (!l[k].text || !l[k].name) {
				list_free(l, k + 1);
				l = NULL;
			}
		}
		if (!l) {
			sf_ctl_fail(o, "out of memory");
			return;
		}
		if (!install_list(l, nlist, o)) {
			list_free(l, nlist);
			return;
		}
	}
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_str(o, "rule", list[i].name);
	sf_ctl_bool(o, "enabled", on);
	sf_ctl_end(o);
}

void sf_ctl_enable(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	switch_rule(r, o, 1);
}

void sf_ctl_disable(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	switch_rule(r, o, 0);
}

/* Rules staged by one client, at most: memory stays bounded. */
#define STAGE_MAX (16u << 20)

/* Append one piece ("TEXT\0NAME\0") to the staged load. */
static int stage_add(struct sf_ctl_stage *st, const char *text, const char *name)
{
	size_t a = strlen(text) + 1, b = strlen(name) + 1;
	if (st->len + a + b > STAGE_MAX)
		return 0;
	char *p = realloc(st->text, st->len + a + b);
	if (!p)
		return 0;
	memcpy(p + st->len, text, a);
	memcpy(p + st->len + a, name, b);
	st->text = p;
	st->len += a + b;
	st->n++;
	return 1;
}

static void base_name(const char *path, char *out, size_t cap)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 6 && strcmp(b + n - 6, ".rules") == 0)
		n -= 6;
	snprintf(out, cap, "%.*s:line", (int)n, b);
}

static void load_staged(struct sf_ctl_stage *st, struct sf_ctl_out *o)
{
	struct sf_ruleset rs = { 0 };
	struct sf_diags d = { 0 };
	unsigned errors = 0;
	char names[sizeof source - 16] = "";
	for (size_t at = 0; at < st->len;) {
		const char *text = st->text + at;
		const char *name = text + strlen(text) + 1;
		at = (size_t)(name - st->text) + strlen(name) + 1;
		char dflt[300];
		base_name(name, dflt, sizeof dflt);
		/* Rules given on the command line (-e) are named as in SOCKFAULT_RULES_TEXT. */
		int inline_rules = strcmp(name, "-e") == 0;
		struct sf_parse_opts po = { name, inline_rules, inline_rules ? "text" : st->n > 1 ? dflt : "line" };
		errors += sf_parse(text, strlen(text), &po, &rs, &d);
		size_t used = strlen(names);
		snprintf(names + used, sizeof names - used, "%s%s", used ? " " : "", name);
	}
	for (unsigned i = 0; i < d.n; i++) {
		sf_ctl_begin(o);
		sf_ctl_str(o, "diag", d.v[i].text);
		sf_ctl_end(o);
	}
	sf_diags_free(&d);
	if (errors) {
		sf_ruleset_free(&rs);
		sf_ctl_fail(o, "the new rules have %u problem%s; the rules in force stay", errors,
			    errors == 1 ? "" : "s");
		return;
	}
	struct entry *l = entries_of(&rs);
	unsigned n = rs.n;
	if (!l || !install(&rs, l, n)) {
		if (l)
			list_free(l, n);
		sf_ruleset_free(&rs);
		sf_ctl_fail(o, "out of memory; the rules in force stay");
		return;
	}
	snprintf(source, sizeof source, "ctl load %s", names);
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "rules", n);
	sf_ctl_end(o);
}

void sf_ctl_load(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	sync();
	char *text = sf_ctl_arg(r, "text");
	char *name = sf_ctl_arg(r, "file");
	const struct sf_json_field *more = sf_json_get(r->f, r->n, "more");
	int staging = more && !more->is_string && more->vlen == 4 && memcmp(more->val, "true", 4) == 0;
	if (!text) {
		sf_ctl_stage_free(r->stage);
		sf_ctl_fail(o, "load: no rules (\"text\")");
	} else if (!stage_add(r->stage, text, name ? name : "-e")) {
		sf_ctl_stage_free(r->stage);
		sf_ctl_fail(o, "load: more than 16 MiB of rules, or out of memory");
	} else if (staging) {
		sf_ctl_begin(o);
		sf_ctl_bool(o, "ok", 1);
		sf_ctl_num(o, "staged", r->stage->n);
		sf_ctl_end(o);
	} else {
		load_staged(r->stage, o);
		sf_ctl_stage_free(r->stage);
	}
	free(text);
	free(name);
}
