#include "parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnos.h"
#include "glob.h"
#include "lexer.h"
#include "nameset.h"
#include "parse_internal.h"
#include "suggest.h"
#include "units.h"

static const char *const modifier_words[] = { "sticky", "now", "icmp", "icmp=local", "log=quiet", "once", NULL };

#define MAX_TOKENS 64

struct parser {
	const struct sf_parse_opts *opts;
	struct sf_diags *diags;
	const struct sf_logline *ll;
	unsigned errors;
};

static __attribute__((format(printf, 3, 4))) void report(void *ctx, size_t off, const char *fmt, ...)
{
	struct parser *P = ctx;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (off > P->ll->len)
		off = P->ll->len;
	sf_diag_add(P->diags, P->opts->file, P->ll->line[off], P->ll->col[off], "%s", msg);
	P->errors++;
}

/* "unknown X 'word'", with the closest candidate when there is one. */
static void unknown(struct parser *P, const struct sf_tok *t, size_t len, const char *what, struct sf_suggest *sg,
		    const char *expected)
{
	const char *best = sf_suggest_result(sg);
	if (best)
		report(P, t->off, "unknown %s '%.*s' (did you mean '%s'?)", what, (int)len, t->s, best);
	else
		report(P, t->off, "unknown %s '%.*s' (%s)", what, (int)len, t->s, expected);
}

static int tok_is(const struct sf_tok *t, const char *w)
{
	return strlen(w) == t->len && memcmp(t->s, w, t->len) == 0;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

static char *dup_tok(const char *s, size_t len)
{
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* Split a value at commas into sub-tokens (offsets kept); bracketed IPv6
 * addresses keep their commas-free colons, so a plain split is enough.
 * A list longer than `max` is refused (returns 0), never cut short. */
static size_t split_commas(struct parser *P, const struct sf_tok *v, struct sf_tok *out, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= v->len; i++) {
		if (i == v->len || v->s[i] == ',') {
			if (n == max) {
				report(P, v->off + start, "too many values in one list (at most %zu)", max);
				return 0;
			}
			out[n++] = (struct sf_tok){ v->s + start, i - start, v->off + start };
			start = i + 1;
		}
	}
	return n;
}

static void unit_error(struct parser *P, const struct sf_tok *v, struct sf_unit_result r, const char *what,
		       const char *const *units, const char *example)
{
	size_t off = v->off + r.at;
	switch (r.err) {
	case SF_UNIT_OK:
		break;
	case SF_UNIT_EMPTY:
		report(P, off, "%s is missing (for example %s)", what, example);
		break;
	case SF_UNIT_NOT_NUMBER:
		report(P, off, "%s must start with a number (for example %s)", what, example);
		break;
	case SF_UNIT_BARE:
		report(P, off, "%s needs a unit: %.*s is ambiguous (write %.*sms or %.*ss)", what, (int)v->len, v->s,
		       (int)v->len, v->s, (int)v->len, v->s);
		break;
	case SF_UNIT_BAD_UNIT: {
		struct sf_suggest sg;
		sf_suggest_init(&sg, v->s + r.at, r.unit_len);
		sf_suggest_list(&sg, units);
		const char *best = sf_suggest_result(&sg);
		if (best)
			report(P, off, "unknown unit '%.*s' in %s (did you mean '%s'?)", (int)r.unit_len, v->s + r.at,
			       what, best);
		else
			report(P, off, "unknown unit '%.*s' in %s (for example %s)", (int)r.unit_len, v->s + r.at, what,
			       example);
		break;
	}
	case SF_UNIT_TOO_BIG:
		report(P, off, "%s is too large", what);
		break;
	case SF_UNIT_FRACTION:
		report(P, off, "%s has a fraction finer than its unit can hold", what);
		break;
	}
}

static int parse_uint(const struct sf_tok *v, uint64_t *out)
{
	uint64_t n = 0;
	if (v->len == 0 || v->len > 19)
		return 0;
	for (size_t i = 0; i < v->len; i++) {
		if (v->s[i] < '0' || v->s[i] > '9')
			return 0;
		n = n * 10 + (uint64_t)(v->s[i] - '0');
	}
	*out = n;
	return 1;
}

/* p= without strtod, whose decimal point follows the program's locale. */
static int parse_probability(const struct sf_tok *v, uint64_t *scaled)
{
	size_t i = 0;
	unsigned whole = 0;
	unsigned __int128 frac = 0, div = 1;
	if (v->len == 0 || (v->s[0] != '0' && v->s[0] != '1' && v->s[0] != '.'))
		return 0;
	for (; i < v->len && v->s[i] >= '0' && v->s[i] <= '9'; i++) {
		whole = whole * 10 + (unsigned)(v->s[i] - '0');
		if (whole > 1) /* before it can wrap round to 0 or 1 */
			return 0;
	}
	if (i < v->len) {
		if (v->s[i] != '.' || i + 1 == v->len)
			return 0;
		for (i++; i < v->len; i++) {
			if (v->s[i] < '0' || v->s[i] > '9')
				return 0;
			if (div < (unsigned __int128)1000000000000000000ull) {
				frac = frac * 10 + (unsigned)(v->s[i] - '0');
				div *= 10;
			}
		}
	}
	if (whole > 1 || (whole == 1 && frac != 0))
		return 0;
	*scaled = whole ? SF_P_ONE : (uint64_t)((frac * SF_P_ONE + div / 2) / div);
	return 1;
}

static int set_bits(struct parser *P, const struct sf_tok *v, const char *key, const char *const *words, uint8_t *bits)
{
	struct sf_tok parts[16];
	size_t n = split_commas(P, v, parts, 16);
	if (!n)
		return 0;
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		int found = -1;
		for (int k = 0; words[k]; k++)
			if (tok_is(&parts[i], words[k]))
				found = k;
		if (found < 0) {
			struct sf_suggest sg;
			char what[32];
			sf_suggest_init(&sg, parts[i].s, parts[i].len);
			sf_suggest_list(&sg, words);
			snprintf(what, sizeof what, "%s", key);
			char expected[160] = "one of";
			for (int k = 0; words[k]; k++)
				snprintf(expected + strlen(expected), sizeof expected - strlen(expected), " %s",
					 words[k]);
			const char *best = sf_suggest_result(&sg);
			if (best)
				report(P, parts[i].off, "unknown %s '%.*s' (did you mean '%s'?)", what,
				       (int)parts[i].len, parts[i].s, best);
			else
				report(P, parts[i].off, "unknown %s '%.*s' (%s)", what, (int)parts[i].len, parts[i].s,
				       expected);
			return 0;
		}
		*bits |= (uint8_t)(1u << found);
	}
	return 1;
}

static int parse_addrs(struct parser *P, const struct sf_tok *v, struct sf_addrpat **out, unsigned *nout)
{
	struct sf_tok parts[32];
	size_t n = split_commas(P, v, parts, 32);
	if (!n)
		return 0;
	struct sf_addrpat *a = calloc(n * 2, sizeof *a);
	if (!a)
		return 0;
	unsigned k = 0;
	for (size_t i = 0; i < n; i++) {
		struct sf_addr_error e;
		size_t got = sf_addrpat_parse(parts[i].s, parts[i].len, &a[k], &e);
		if (!got) {
			report(P, parts[i].off + e.at, "%s", e.msg);
			for (unsigned j = 0; j < k; j++)
				free(a[j].glob);
			free(a);
			return 0;
		}
		k += (unsigned)got;
	}
	*out = a;
	*nout = k;
	return 1;
}

static int parse_globs(struct parser *P, const struct sf_tok *v, char ***out, unsigned *nout)
{
	struct sf_tok parts[32];
	size_t n = split_commas(P, v, parts, 32);
	if (!n)
		return 0;
	char **g = calloc(n, sizeof *g);
	if (!g)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t at = 0;
		g[i] = dup_tok(parts[i].s, parts[i].len);
		const char *why = g[i] ? sf_glob_check(g[i], &at) : "out of memory";
		if (parts[i].len == 0)
			why = "a name or pattern is missing", at = 0;
		if (why) {
			report(P, parts[i].off + at, "%s", why);
			for (size_t j = 0; j <= i; j++)
				free(g[j]);
			free(g);
			return 0;
		}
	}
	*out = g;
	*nout = (unsigned)n;
	return 1;
}

enum cmp { CMP_EQ, CMP_GT, CMP_GE, CMP_LT, CMP_LE };

/* Narrow a numeric condition's interval by one comparison. */
static void narrow(struct sf_range *r, enum cmp c, uint64_t v, int *empty)
{
	switch (c) {
	case CMP_EQ:
		if (v < r->lo || v > r->hi)
			*empty = 1;
		r->lo = r->hi = v;
		r->lo_strict = r->hi_strict = 0;
		break;
	case CMP_GE:
		if (v > r->lo)
			r->lo = v, r->lo_strict = 0;
		break;
	case CMP_GT:
		if (v == UINT64_MAX)
			*empty = 1;
		else if (v + 1 > r->lo)
			r->lo = v + 1, r->lo_strict = 1;
		break;
	case CMP_LE:
		if (v < r->hi)
			r->hi = v, r->hi_strict = 0;
		break;
	case CMP_LT:
		if (v == 0)
			*empty = 1;
		else if (v - 1 < r->hi)
			r->hi = v - 1, r->hi_strict = 1;
		break;
	}
	if (r->lo > r->hi)
		*empty = 1;
}

static const char *cmp_text[] = { "=", ">", ">=", "<", "<=" };

/* Each key's value: one function per line of conditions.def. t is the
 * whole condition, v its value, c the comparison (other than '=' only for
 * the keys that compare). */
#define VALUE_ARGS                                                                                                    \
	struct parser *P, struct sf_rule *r, struct sf_rule_where *w, const struct sf_tok *t, const struct sf_tok *v, \
		enum cmp c

static int value_peer(VALUE_ARGS)
{
	return parse_addrs(P, v, &r->peers, &r->npeers);
}

static int value_local(VALUE_ARGS)
{
	return parse_addrs(P, v, &r->locals, &r->nlocals);
}

static int value_proto(VALUE_ARGS)
{
	return set_bits(P, v, "proto", sf_proto_names, &r->protos);
}

static int value_side(VALUE_ARGS)
{
	return set_bits(P, v, "side", sf_side_names, &r->sides);
}

static int value_state(VALUE_ARGS)
{
	return set_bits(P, v, "state", sf_state_names, &r->states);
}

static int value_when(VALUE_ARGS)
{
	size_t at;
	const char *why = sf_when_parse(v->s, v->len, &r->when, &at);
	if (why) {
		report(P, v->off + at, "%s", why);
		return 0;
	}
	return 1;
}

static int value_per(VALUE_ARGS)
{
	uint8_t bits;
	if (!set_bits(P, v, "per", sf_per_names, &bits))
		return 0;
	if (bits == 3) {
		report(P, v->off, "per= is conn or process, not both");
		return 0;
	}
	r->per = bits == 1u << SF_PER_PROCESS ? SF_PER_PROCESS : SF_PER_CONN;
	return 1;
}

static int value_p(VALUE_ARGS)
{
	if (!parse_probability(v, &r->p_scaled)) {
		report(P, v->off, "p= is a probability from 0 to 1, such as 0.02");
		return 0;
	}
	if (r->p_scaled == 0) {
		report(P, v->off, "p=%.*s can never fire (comment the rule out to disable it)", (int)v->len, v->s);
		return 0;
	}
	r->p_text = dup_tok(v->s, v->len);
	return 1;
}

/* sent received idle age uptime: a size or a duration, narrowing the range. */
static int value_measure(VALUE_ARGS, enum sf_num nk)
{
	uint64_t n;
	struct sf_unit_result ur;
	int is_bytes = sf_cond_value((enum sf_key)(SF_KEY_SENT + nk)) == SF_VAL_BYTES;
	ur = is_bytes ? sf_parse_size(v->s, v->len, &n) : sf_parse_duration(v->s, v->len, &n);
	if (ur.err) {
		char what[32];
		snprintf(what, sizeof what, "%s's %s", sf_num_names[nk], is_bytes ? "size" : "duration");
		unit_error(P, v, ur, what, is_bytes ? sf_size_units : sf_duration_units, is_bytes ? "64KiB" : "120s");
		return 0;
	}
	int empty = 0;
	narrow(&r->num[nk], c, n, &empty);
	if (empty) {
		if (w->num_op[nk][0] != t->off)
			report(P, t->off,
			       "contradictory conditions: %.*s can never hold together with the "
			       "earlier %s condition",
			       (int)t->len, t->s, sf_num_names[nk]);
		else
			report(P, t->off, "%.*s can never hold", (int)t->len, t->s);
		return 0;
	}
	return 1;
}

static int value_sent(VALUE_ARGS)
{
	return value_measure(P, r, w, t, v, c, SF_NUM_SENT);
}

static int value_received(VALUE_ARGS)
{
	return value_measure(P, r, w, t, v, c, SF_NUM_RECEIVED);
}

static int value_idle(VALUE_ARGS)
{
	return value_measure(P, r, w, t, v, c, SF_NUM_IDLE);
}

static int value_age(VALUE_ARGS)
{
	return value_measure(P, r, w, t, v, c, SF_NUM_AGE);
}

static int value_uptime(VALUE_ARGS)
{
	return value_measure(P, r, w, t, v, c, SF_NUM_UPTIME);
}

static int value_host(VALUE_ARGS)
{
	return parse_globs(P, v, &r->hosts, &r->nhosts);
}

static int value_exe(VALUE_ARGS)
{
	char **g;
	unsigned n;
	if (!parse_globs(P, v, &g, &n))
		return 0;
	if (n != 1) {
		for (unsigned j = 0; j < n; j++)
			free(g[j]);
		free(g);
		report(P, v->off, "exe= takes one program name or pattern");
		return 0;
	}
	r->exe = g[0];
	free(g);
	return 1;
}

static int value_limit(VALUE_ARGS)
{
	if (!parse_uint(v, &r->limit)) {
		report(P, v->off, "limit= is a whole number of firings, such as limit=3");
		return 0;
	}
	if (r->limit == 0) {
		report(P, v->off, "limit=0 can never fire (comment the rule out to disable it)");
		return 0;
	}
	return 1;
}

static int (*const value_of[SF_KEY__COUNT])(VALUE_ARGS) = {
#define SF_COND(NAME, name, value, needs, plan, tracks) [SF_KEY_##NAME] = value_##name,
#include "conditions.def"
#undef SF_COND
};

static int parse_condition(struct parser *P, struct sf_rule *r, struct sf_rule_where *w, const struct sf_tok *t)
{
	size_t klen = 0;
	while (klen < t->len && ((t->s[klen] >= 'a' && t->s[klen] <= 'z') || (t->s[klen] >= 'A' && t->s[klen] <= 'Z') ||
				 t->s[klen] == '_'))
		klen++;
	struct sf_tok key = { t->s, klen, t->off };

	if (tok_is(t, "once")) {
		if (w->key[SF_KEY_LIMIT] != SF_NOWHERE) {
			report(P, t->off, "'once' repeats the limit already given (once is limit=1)");
			return 0;
		}
		w->key[SF_KEY_LIMIT] = t->off;
		r->has |= SF_HAS_LIMIT;
		r->limit = 1;
		return 1;
	}
	int k = -1;
	for (int i = 0; i < SF_KEY__COUNT; i++)
		if (tok_is(&key, sf_key_names[i]))
			k = i;
	if (k < 0) {
		struct sf_suggest sg;
		sf_suggest_init(&sg, t->s, klen ? klen : t->len);
		sf_suggest_list(&sg, sf_key_names);
		if (!klen) {
			report(P, t->off, "expected a condition KEY=VALUE, found '%.*s'", (int)t->len, t->s);
			return 0;
		}
		if (sf_ops_lookup(t->s, t->len)) {
			report(P, t->off,
			       "'%.*s' is an operation: list several as one word, comma-separated "
			       "(send,recv), before the conditions",
			       (int)t->len, t->s);
			return 0;
		}
		for (int i = 0; i < SF_ACT__COUNT; i++)
			if (tok_is(t, sf_action_names[i])) {
				report(P, t->off, "expected '=>' before the action '%s'", sf_action_names[i]);
				return 0;
			}
		char expected[256] = "conditions are ";
		sf_cond_word_list(expected + strlen(expected), sizeof expected - strlen(expected));
		unknown(P, &key, klen, "condition", &sg, expected);
		return 0;
	}
	/* The comparison operator. */
	size_t i = klen;
	enum cmp c;
	if (i < t->len && t->s[i] == '=')
		c = CMP_EQ, i += 1;
	else if (i + 1 < t->len && t->s[i] == '>' && t->s[i + 1] == '=')
		c = CMP_GE, i += 2;
	else if (i < t->len && t->s[i] == '>')
		c = CMP_GT, i += 1;
	else if (i + 1 < t->len && t->s[i] == '<' && t->s[i + 1] == '=')
		c = CMP_LE, i += 2;
	else if (i < t->len && t->s[i] == '<')
		c = CMP_LT, i += 1;
	else {
		report(P, t->off + i, "expected '=' after '%s'", sf_key_names[k]);
		return 0;
	}
	int numeric = sf_cond_compares((enum sf_key)k);
	if (!numeric && c != CMP_EQ) {
		char compare[128];
		sf_cond_compare_list(compare, sizeof compare);
		report(P, t->off + klen, "%s takes '=', not '%s' (only %s compare)", sf_key_names[k], cmp_text[c],
		       compare);
		return 0;
	}
	struct sf_tok v = { t->s + i, t->len - i, t->off + i };
	if (v.len == 0) {
		report(P, v.off, "%s%s needs a value", sf_key_names[k], cmp_text[c]);
		return 0;
	}
	if (!numeric && w->key[k] != SF_NOWHERE) {
		report(P, t->off, "%s is given twice (first at column %u)%s", sf_key_names[k], P->ll->col[w->key[k]],
		       sf_cond_is_list((enum sf_key)k) ? "; list several values comma-separated in one condition" : "");
		return 0;
	}
	if (numeric) {
		int nk = k - SF_KEY_SENT;
		if (w->num_op[nk][0] == SF_NOWHERE)
			w->num_op[nk][0] = t->off;
		else if (w->num_op[nk][1] == SF_NOWHERE)
			w->num_op[nk][1] = t->off;
	}
	w->key[k] = t->off;
	r->has |= 1u << k;
	return value_of[k](P, r, w, t, &v, c);
}

static int parse_ops(struct parser *P, struct sf_rule *r, struct sf_rule_where *w, const struct sf_tok *t)
{
	struct sf_tok parts[SF_OP__COUNT + 8];
	w->ops = t->off;
	if (memchr(t->s, '=', t->len) || memchr(t->s, '>', t->len) || memchr(t->s, '<', t->len)) {
		report(P, t->off,
		       "a rule starts with the operations it applies to (connect, send, tx, rx, io, "
		       "*), then the conditions; found '%.*s'",
		       (int)t->len, t->s);
		return 0;
	}
	size_t n = split_commas(P, t, parts, sizeof parts / sizeof parts[0]);
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		sf_opmask m = sf_ops_lookup(parts[i].s, parts[i].len);
		if (!m) {
			struct sf_suggest sg;
			sf_suggest_init(&sg, parts[i].s, parts[i].len);
			sf_suggest_list(&sg, sf_op_words);
			if (parts[i].len == 0)
				report(P, parts[i].off, "an operation is missing between the commas");
			else
				unknown(P, &parts[i], parts[i].len, "operation", &sg,
					"operations are the socket calls by name, or tx, rx, io, *");
			return 0;
		}
		if (__builtin_popcount(m) == 1 && !(parts[i].len == 1 && parts[i].s[0] == '*'))
			w->named_ops |= m;
		r->ops |= m;
	}
	return 1;
}

static int parse_errno(struct parser *P, struct sf_rule *r, const struct sf_tok *t)
{
	const struct sf_wsa_entry *wsa;
	enum sf_errno_status st = sf_errno_parse(t->s, t->len, &r->err, &wsa);
	if (st == SF_ERRNO_OK)
		return 1;
	if (st == SF_ERRNO_NO_COUNTERPART) {
		if (wsa->code)
			report(P, t->off,
			       "%s (%d) has no POSIX counterpart, so no Linux program could see "
			       "it; pick the errno your program should get (see sockfault errno)",
			       wsa->name, wsa->code);
		else
			report(P, t->off,
			       "%s has no POSIX counterpart, so no Linux program could see it; "
			       "pick the errno your program should get (see sockfault errno)",
			       wsa->name);
		return 0;
	}
	struct sf_suggest sg;
	sf_suggest_init(&sg, t->s, t->len);
	sf_errno_suggest(&sg);
	unknown(P, t, t->len, "errno", &sg, "a name such as ECONNRESET or WSAECONNRESET, or a number");
	return 0;
}

static int parse_action(struct parser *P, struct sf_rule *r, struct sf_rule_where *w, const struct sf_tok *toks,
			size_t n)
{
	if (n == 0) {
		char syntax[256];
		sf_action_syntax_list(syntax, sizeof syntax);
		report(P, P->ll->len, "an action is missing after '=>' (%s)", syntax);
		return 0;
	}
	int a = -1;
	for (int i = 0; i < SF_ACT__COUNT; i++)
		if (tok_is(&toks[0], sf_action_names[i]))
			a = i;
	if (a < 0) {
		struct sf_suggest sg;
		sf_suggest_init(&sg, toks[0].s, toks[0].len);
		sf_suggest_list(&sg, sf_action_names);
		char expected[256] = "actions are ";
		sf_action_word_list(expected + strlen(expected), sizeof expected - strlen(expected));
		unknown(P, &toks[0], toks[0].len, "action", &sg, expected);
		return 0;
	}
	r->action = (enum sf_action)a;
	w->action = toks[0].off;
	size_t i = 1;
	const struct sf_tok *arg = i < n ? &toks[i] : NULL;
	int arg_is_number = arg && arg->len && arg->s[0] >= '0' && arg->s[0] <= '9';
	struct sf_unit_result ur;
	const char *an = sf_action_names[a];

	switch (sf_action_arg(r->action)) {
	case SF_ARG_ERRNO:
		if (!arg) {
			report(P, P->ll->len, "%s needs an errno, such as %s ECONNRESET or %s WSAENOTCONN", an, an, an);
			return 0;
		}
		if (!parse_errno(P, r, arg))
			return 0;
		i++;
		break;
	case SF_ARG_DURATION: {
		char what[48];
		r->dur_ns = 30 * SF_NS_PER_S;
		if (arg_is_number) {
			ur = sf_parse_duration(arg->s, arg->len, &r->dur_ns);
			if (ur.err) {
				snprintf(what, sizeof what, "%s's duration", an);
				unit_error(P, arg, ur, what, sf_duration_units, "5s");
				return 0;
			}
			i++;
		}
		break;
	}
	case SF_ARG_DELAY: {
		char what[48];
		if (!arg) {
			report(P, P->ll->len, "%s needs a duration, such as %s 200ms or %s 200ms~50ms", an, an, an);
			return 0;
		}
		const char *tilde = memchr(arg->s, '~', arg->len);
		size_t dlen = tilde ? (size_t)(tilde - arg->s) : arg->len;
		struct sf_tok d = { arg->s, dlen, arg->off };
		ur = sf_parse_duration(d.s, d.len, &r->dur_ns);
		if (ur.err) {
			snprintf(what, sizeof what, "%s's duration", an);
			unit_error(P, &d, ur, what, sf_duration_units, "200ms");
			return 0;
		}
		if (tilde) {
			struct sf_tok j = { tilde + 1, arg->len - dlen - 1, arg->off + dlen + 1 };
			ur = sf_parse_duration(j.s, j.len, &r->jitter_ns);
			if (ur.err) {
				snprintf(what, sizeof what, "%s's jitter", an);
				unit_error(P, &j, ur, what, sf_duration_units, "50ms");
				return 0;
			}
			if (r->jitter_ns > r->dur_ns) {
				report(P, j.off, "the jitter is larger than the delay: a delay cannot be negative");
				return 0;
			}
		}
		i++;
		break;
	}
	case SF_ARG_SIZE: {
		char what[48], example[48];
		if (!arg) {
			report(P, P->ll->len, "%s needs the number of bytes to move, such as %s 1", an, an);
			return 0;
		}
		ur = sf_parse_size(arg->s, arg->len, &r->count);
		if (ur.err) {
			snprintf(what, sizeof what, "%s's size", an);
			snprintf(example, sizeof example, "%s 100", an);
			unit_error(P, arg, ur, what, sf_size_units, example);
			return 0;
		}
		if (r->count == 0) {
			report(P, arg->off, "%s 0 would move nothing: N is 1 or more", an);
			return 0;
		}
		i++;
		break;
	}
	case SF_ARG_BITS:
		r->count = 1;
		if (arg_is_number) {
			if (!parse_uint(arg, &r->count) || r->count == 0) {
				report(P, arg->off, "%s takes the number of bits to flip, 1 or more", an);
				return 0;
			}
			i++;
		}
		break;
	case SF_ARG_CHANCE:
		if (!arg) {
			report(P, P->ll->len, "%s needs the chance of losing a packet, such as %s 0.1", an, an);
			return 0;
		}
		if (!parse_probability(arg, &r->loss) || r->loss == 0 || r->loss >= SF_P_ONE) {
			report(P, arg->off,
			       "%s's chance is a probability above 0 and below 1, such as 0.1 "
			       "(a link that loses everything is blackhole)",
			       an);
			return 0;
		}
		r->loss_text = dup_tok(arg->s, arg->len);
		i++;
		break;
	case SF_ARG_RATE: {
		char what[48];
		if (!arg) {
			report(P, P->ll->len, "%s needs a rate, such as %s 64KiB/s", an, an);
			return 0;
		}
		ur = sf_parse_rate(arg->s, arg->len, &r->rate);
		/* "64KiB" or "100": the unit is right, the "/s" is missing. */
		if (ur.err == SF_UNIT_BAD_UNIT && (ur.unit_len == 0 || arg->s[ur.at] == '/')) {
			report(P, arg->off + ur.at,
			       "%s's rate is bytes per second: end it with /s "
			       "(for example 64KiB/s)",
			       an);
			return 0;
		}
		if (ur.err) {
			snprintf(what, sizeof what, "%s's rate", an);
			unit_error(P, arg, ur, what, sf_size_units, "64KiB/s");
			return 0;
		}
		if (r->rate == 0) {
			report(P, arg->off, "a rate of 0 would stop the socket: use blackhole for that");
			return 0;
		}
		i++;
		break;
	}
	case SF_ARG_NONE:
		break;
	}
	for (; i < n; i++) {
		const struct sf_tok *m = &toks[i];
		if (tok_is(m, "sticky")) {
			r->sticky = 1;
			w->sticky = m->off;
		} else if (tok_is(m, "now")) {
			r->now = 1;
			w->now = m->off;
		} else if (tok_is(m, "icmp") || tok_is(m, "icmp=local")) {
			r->icmp = m->len == 4 ? SF_ICMP_ROUTER : SF_ICMP_LOCAL;
			w->icmp = m->off;
		} else if (m->len >= 5 && memcmp(m->s, "icmp=", 5) == 0) {
			report(P, m->off + 5,
			       "icmp= takes only 'local' (icmp=local: the host's own firewall answered the SYN; "
			       "icmp: a router on the way)");
			return 0;
		} else if (tok_is(m, "log=quiet")) {
			r->quiet = 1;
		} else if (tok_is(m, "once") || (m->len >= 6 && memcmp(m->s, "limit=", 6) == 0)) {
			if (!parse_condition(P, r, w, m))
				return 0;
		} else if (m->len >= 4 && memcmp(m->s, "log=", 4) == 0) {
			report(P, m->off + 4, "log= takes only 'quiet' (log=quiet)");
			return 0;
		} else {
			struct sf_suggest sg;
			sf_suggest_init(&sg, m->s, m->len);
			sf_suggest_list(&sg, modifier_words);
			if (i == 1 && sf_action_arg(r->action) == SF_ARG_NONE)
				report(P, m->off, "%s takes no argument, found '%.*s'", an, (int)m->len, m->s);
			else
				unknown(P, m, m->len, "modifier", &sg,
					"modifiers are sticky, now, icmp, icmp=local, log=quiet, once");
			return 0;
		}
	}
	return 1;
}

static uint64_t hash_name(const char *s)
{
	/* FNV-1a: stable across builds, so a seed reproduces on another machine. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void rule_init(struct sf_rule *r, struct sf_rule_where *w)
{
	memset(r, 0, sizeof *r);
	r->protos = SF_PROTO_ALL;
	r->sides = SF_SIDE_ALL;
	r->states = SF_STATE_ALL;
	r->when = SF_WHEN_ALWAYS;
	r->p_scaled = SF_P_ONE;
	for (int k = 0; k < SF_NUM__COUNT; k++)
		r->num[k] = (struct sf_range){ 0, UINT64_MAX, 0, 0 };
	memset(w, 0, sizeof *w);
	w->ops = w->action = w->now = w->icmp = w->sticky = SF_NOWHERE;
	for (int k = 0; k < SF_KEY__COUNT; k++)
		w->key[k] = SF_NOWHERE;
	for (int k = 0; k < SF_NUM__COUNT; k++)
		w->num_op[k][0] = w->num_op[k][1] = SF_NOWHERE;
}

/* Returns 1 when the rule is good (and filled in). */
static int parse_line(struct parser *P, struct sf_rule *r, struct sf_rule_where *w, unsigned line)
{
	const struct sf_logline *ll = P->ll;
	size_t bad = sf_utf8_invalid(ll->text, ll->len);
	if (bad != (size_t)-1) {
		report(P, bad, "this is not UTF-8 text (byte 0x%02x)", (unsigned char)ll->text[bad]);
		return 0;
	}
	/* A NUL would cut a value short where C strings carry it (exe=, a
	 * path) and the rule would silently mean something else; no other
	 * control character has a meaning in a rule either. */
	for (size_t i = 0; i < ll->len; i++) {
		unsigned char c = (unsigned char)ll->text[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f) {
			report(P, i, "a control character (byte 0x%02x) cannot be part of a rule", c);
			return 0;
		}
	}
	const char *arrow = NULL;
	for (size_t i = 0; i + 1 < ll->len; i++)
		if (ll->text[i] == '=' && ll->text[i + 1] == '>') {
			arrow = ll->text + i;
			break;
		}
	size_t lhs_end = arrow ? (size_t)(arrow - ll->text) : ll->len;
	struct sf_tok toks[MAX_TOKENS];
	int more;
	size_t n = sf_tokenize(ll, 0, lhs_end, toks, MAX_TOKENS, &more);
	if (more) {
		report(P, toks[MAX_TOKENS - 1].off, "too many conditions in one rule (at most %d)", MAX_TOKENS - 2);
		return 0;
	}
	size_t t = 0;
	/* NAME: */
	if (n > 0) {
		const char *colon = memchr(toks[0].s, ':', toks[0].len);
		if (colon && colon > toks[0].s) {
			size_t nlen = (size_t)(colon - toks[0].s);
			for (size_t i = 0; i < nlen; i++)
				if (!name_char(toks[0].s[i])) {
					report(P, toks[0].off + i,
					       "a rule name is letters, digits, '_', '.' and '-', "
					       "followed by ':'");
					return 0;
				}
			r->name = dup_tok(toks[0].s, nlen);
			if (colon + 1 < toks[0].s + toks[0].len) {
				toks[0].off += nlen + 1;
				toks[0].s += nlen + 1;
				toks[0].len -= nlen + 1;
			} else {
				t = 1;
			}
		}
	}
	if (!r->name) {
		char buf[48];
		snprintf(buf, sizeof buf, "%s-%u", P->opts->default_name ? P->opts->default_name : "line", line);
		r->name = dup_tok(buf, strlen(buf));
	}
	if (t >= n) {
		report(P, lhs_end,
		       "a rule needs operations, then '=> ACTION' (for example: connect => error ECONNREFUSED)");
		return 0;
	}
	if (!parse_ops(P, r, w, &toks[t]))
		return 0;
	for (t++; t < n; t++)
		if (!parse_condition(P, r, w, &toks[t]))
			return 0;
	if (!arrow) {
		report(P, ll->len, "expected '=> ACTION' after the conditions");
		return 0;
	}
	n = sf_tokenize(ll, lhs_end + 2, ll->len, toks, MAX_TOKENS, &more);
	if (more) {
		report(P, toks[MAX_TOKENS - 1].off, "too many words after '=>' (at most %d)", MAX_TOKENS);
		return 0;
	}
	if (!parse_action(P, r, w, toks, n))
		return 0;
	return sf_check_rule(r, w, report, P) == 0;
}

unsigned sf_parse(const char *text, size_t len, const struct sf_parse_opts *opts, struct sf_ruleset *rs,
		  struct sf_diags *diags)
{
	struct parser P = { opts, diags, NULL, 0 };
	struct sf_lexer lx;
	unsigned nth = 0;
	/* The rules of earlier files are in rs already: their names are taken too. */
	struct sf_nameset names = { 0 };
	for (unsigned i = 0; i < rs->n; i++)
		if (!sf_nameset_add(&names, rs, i)) {
			sf_diag_add(diags, opts->file, 0, 0, "out of memory");
			sf_nameset_free(&names);
			return P.errors + 1;
		}
	sf_lexer_init(&lx, text, len, opts->semicolons);
	for (const struct sf_logline *ll; (ll = sf_lexer_next(&lx));) {
		struct sf_rule r;
		struct sf_rule_where w;
		unsigned first_line = ll->line[0];
		P.ll = ll;
		nth++;
		rule_init(&r, &w);
		r.line = first_line;
		/* Inline rules may share a line: number them in order instead. */
		if (!parse_line(&P, &r, &w, opts->semicolons ? nth : first_line)) {
			sf_rule_free(&r);
			continue;
		}
		r.name_hash = hash_name(r.name);
		const struct sf_rule *other = sf_nameset_find(&names, rs, r.name, r.name_hash);
		if (other) {
			/* Point at the name, not at the indentation before it. */
			size_t at = 0;
			while (at < ll->len && (ll->text[at] == ' ' || ll->text[at] == '\t'))
				at++;
			report(&P, at, "the rule name '%s' is already used by the rule on line %u%s", r.name,
			       other->line,
			       strncmp(r.name, "line-", 5) == 0 ? " (a rule without a name is named line-N after its "
								  "line: give one of them another name)"
								: "");
			sf_rule_free(&r);
			continue;
		}
		if (rs->n == rs->cap) {
			unsigned cap = rs->cap ? rs->cap * 2 : 16;
			struct sf_rule *v = realloc(rs->rules, cap * sizeof *v);
			if (!v) {
				report(&P, 0, "out of memory");
				sf_rule_free(&r);
				break;
			}
			rs->rules = v;
			rs->cap = cap;
		}
		r.index = rs->n;
		rs->rules[rs->n++] = r;
		if (!sf_nameset_add(&names, rs, r.index)) {
			report(&P, 0, "out of memory");
			break;
		}
	}
	sf_nameset_free(&names);
	sf_lexer_free(&lx);
	return P.errors;
}
