#include "log.h"

#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "acting.h"
#include "errnos.h"
#include "fmt.h"
#include "format.h"
#include "proctree.h"
#include "logfd.h"
#include "settings.h"
#include "slow.h"
#include "units.h"

#define LINE_MAX_BYTES 1024

/* The line ends in a newline in the byte the buffer keeps spare. */
static void emit(struct sf_buf *b)
{
	size_t n = sf_buf_used(b);
	b->p[n] = '\n';
	sf_logfd_write(b->p, n + 1);
}

static void start_line(void);
static unsigned start_rules;
static int started;

static void head(struct sf_buf *b, const char *event)
{
	if (sf_config.log_format == SF_LOG_JSON) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sf_buf_str(b, "{\"ts\":\"");
		sf_buf_timestamp(b, ts.tv_sec, ts.tv_nsec / 1000);
		sf_buf_str(b, "\",\"pid\":");
		sf_buf_i64(b, sf_acting_pid());
		sf_buf_str(b, ",\"tid\":");
		sf_buf_i64(b, sf_acting_tid());
		char proc[SF_TREE_MAX];
		sf_proctree_text(proc);
		sf_buf_str(b, ",\"proc\":\"");
		sf_buf_str(b, proc);
		sf_buf_str(b, "\"");
		sf_buf_str(b, ",\"event\":\"");
		sf_buf_str(b, event);
		sf_buf_str(b, "\"");
	} else {
		/* The pid asked each time: a vfork child shares our memory. */
		sf_buf_str(b, "sockfault[");
		sf_buf_i64(b, sf_acting_pid());
		sf_buf_str(b, "]: ");
	}
}

static void begin(struct sf_buf *b, const char *event)
{
	/* Each process says once, before its first event, that it runs under
	 * sockfault and with which seed; processes that never do anything
	 * (every command of a wrapper script) stay silent. A vfork child
	 * shares the parent's memory: it leaves the parent's flag alone. */
	if (!SF_LOAD(&started) && sf_table_is_ours() && !__atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL))
		start_line();
	head(b, event);
}

static void end(struct sf_buf *b)
{
	if (sf_config.log_format == SF_LOG_JSON)
		sf_buf_str(b, "}");
	emit(b);
}

/* Room kept at the end of a JSON line for the closing brace. */
#define JSON_CLOSE 1

/* A JSON field, whole or not at all: a value too long for what is left of
 * the line is shortened at a character, so the line stays valid JSON. */
static void field_str(struct sf_buf *b, const char *key, const char *v, size_t n)
{
	size_t head = strlen(key) + 4; /* ,"key": */
	if (b->len + head + 2 + JSON_CLOSE > b->cap)
		return;
	sf_buf_str(b, ",\"");
	sf_buf_str(b, key);
	sf_buf_str(b, "\":");
	sf_buf_json(b, v, sf_json_fit(v, n, b->cap - JSON_CLOSE - b->len));
}

static void field_num(struct sf_buf *b, const char *key, int64_t v)
{
	if (b->len + strlen(key) + 4 + 20 + JSON_CLOSE > b->cap)
		return;
	sf_buf_str(b, ",\"");
	sf_buf_str(b, key);
	sf_buf_str(b, "\":");
	sf_buf_i64(b, v);
}

static const char *errno_text(int err)
{
	const char *n = sf_errno_name(err);
	return n ? n : "EUNKNOWN";
}

/* The call's peer and local addresses, as text ("-" when unknown). */
static void call_addrs(const struct sf_call *c, char *peer, size_t pcap, char *local, size_t lcap)
{
	struct sf_sockaddr v;
	sf_call_peer(c, peer, pcap);
	strcpy(local, "-");
	if (c->s && (c->s->flags & SF_SOCK_HAS_LOCAL)) {
		sf_sock_addr_view(c->s, 0, &v);
		sf_sockaddr_format(local, lcap, &v);
	}
}

void sf_log_fault(const struct sf_call *c, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
                  uint64_t call)
{
	char buf[LINE_MAX_BYTES + 1], action[96], peer[160], local[160];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (r->quiet || sf_logfd_off())
		return;
	if (r->action == SF_ACT_DELAY) {
		char d[32];
		sf_format_duration(d, sizeof d, delay_ns - delay_ns % 1000);
		strcpy(action, "delay ");
		strcat(action, d);
	} else {
		sf_action_format(action, sizeof action, r);
	}
	call_addrs(c, peer, sizeof peer, local, sizeof local);
	/* A fault fired by hand (sockfault ctl fire) is no call's. */
	const char *op = c->op < SF_OP__COUNT ? sf_op_names[c->op] : "-";
	begin(&b, "fault");
	if (sf_config.log_format == SF_LOG_JSON) {
		field_str(&b, "rule", r->name, strlen(r->name));
		field_num(&b, "line", r->line);
		field_str(&b, "op", op, strlen(op));
		field_num(&b, "fd", c->fd);
		field_str(&b, "peer", peer, strlen(peer));
		field_str(&b, "local", local, strlen(local));
		field_str(&b, "action", action, strlen(action));
		if (err) {
			field_str(&b, "errno", errno_text(err), strlen(errno_text(err)));
			field_num(&b, "ret", -1);
		}
		field_num(&b, "conn", (int64_t)conn);
		field_num(&b, "call", (int64_t)call);
		if (sf_call_accepted(c))
			field_str(&b, "side", "server", 6);
	} else {
		sf_buf_str(&b, r->name);
		sf_buf_str(&b, " fired on ");
		sf_buf_str(&b, op);
		sf_buf_str(&b, " fd=");
		sf_buf_i64(&b, c->fd);
		sf_buf_str(&b, " peer=");
		sf_buf_text(&b, peer, strlen(peer));
		sf_buf_str(&b, ": ");
		sf_buf_str(&b, action);
		if (err) {
			sf_buf_str(&b, " (");
			sf_buf_str(&b, errno_text(err));
			sf_buf_str(&b, ")");
		}
	}
	end(&b);
}

void sf_log_trace(const struct sf_call *c, long ret, int err)
{
	char buf[LINE_MAX_BYTES + 1], peer[160], local[160];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (sf_logfd_off())
		return;
	call_addrs(c, peer, sizeof peer, local, sizeof local);
	begin(&b, "trace");
	if (sf_config.log_format == SF_LOG_JSON) {
		field_str(&b, "op", sf_op_names[c->op], strlen(sf_op_names[c->op]));
		field_num(&b, "fd", c->fd);
		field_str(&b, "peer", peer, strlen(peer));
		field_str(&b, "local", local, strlen(local));
		field_num(&b, "ret", ret);
		if (ret < 0)
			field_str(&b, "errno", errno_text(err), strlen(errno_text(err)));
	} else {
		sf_buf_str(&b, "trace ");
		sf_buf_str(&b, sf_op_names[c->op]);
		sf_buf_str(&b, " fd=");
		sf_buf_i64(&b, c->fd);
		sf_buf_str(&b, " peer=");
		sf_buf_text(&b, peer, strlen(peer));
		sf_buf_str(&b, " = ");
		sf_buf_i64(&b, ret);
		if (ret < 0) {
			sf_buf_str(&b, " ");
			sf_buf_str(&b, errno_text(err));
		}
	}
	end(&b);
}

void sf_log_start(unsigned nrules)
{
	start_rules = nrules;
	SF_STORE(&started, 0);
}

static void start_line(void)
{
	unsigned nrules = start_rules;
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	char seed[24];
	struct sf_buf sb = { seed, sizeof seed, 0 };
	if (sf_logfd_off())
		return;
	sf_buf_u64(&sb, sf_config.seed);
	begin(&b, "start");
	if (sf_config.log_format == SF_LOG_JSON) {
		field_str(&b, "seed", seed, sf_buf_used(&sb));
		field_num(&b, "rules", nrules);
		field_str(&b, "exe", sf_config.exe, strlen(sf_config.exe));
		if (sf_config.rules_path)
			field_str(&b, "file", sf_config.rules_path, strlen(sf_config.rules_path));
	} else {
		sf_buf_str(&b, "started in ");
		sf_buf_text(&b, sf_config.exe, strlen(sf_config.exe));
		sf_buf_str(&b, ": ");
		sf_buf_u64(&b, nrules);
		sf_buf_str(&b, nrules == 1 ? " rule" : " rules");
		if (sf_config.rules_path) {
			sf_buf_str(&b, " from ");
			sf_buf_text(&b, sf_config.rules_path, strlen(sf_config.rules_path));
		}
		sf_buf_str(&b, ", seed ");
		sf_buf_mem(&b, seed, sf_buf_used(&sb));
	}
	end(&b);
}

void sf_log_stats(const struct sf_active *a)
{
	for (unsigned i = 0; i < a->rs.n; i++) {
		const struct sf_rule *r = &a->rs.rules[i];
		uint64_t matched = SF_LOAD(&a->stats[i].matched), fired = SF_LOAD(&a->stats[i].fired);
		char buf[LINE_MAX_BYTES + 1];
		struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
		begin(&b, "stats");
		if (sf_config.log_format == SF_LOG_JSON) {
			field_str(&b, "rule", r->name, strlen(r->name));
			field_num(&b, "line", r->line);
			field_num(&b, "matched", (int64_t)matched);
			field_num(&b, "fired", (int64_t)fired);
			if (!a->for_exe[i])
				field_str(&b, "note", "exe= does not match this program", 32);
		} else {
			sf_buf_str(&b, "stats ");
			sf_buf_str(&b, r->name);
			sf_buf_str(&b, " (line ");
			sf_buf_u64(&b, r->line);
			sf_buf_str(&b, "): ");
			if (!a->for_exe[i]) {
				sf_buf_str(&b, "not for this program (exe=");
				sf_buf_text(&b, r->exe, strlen(r->exe));
				sf_buf_str(&b, ")");
			} else if (!matched) {
				sf_buf_str(&b, "never matched: check its operations and conditions (peer=, port, proto=)");
			} else {
				sf_buf_str(&b, "matched ");
				sf_buf_u64(&b, matched);
				sf_buf_str(&b, ", fired ");
				sf_buf_u64(&b, fired);
			}
		}
		end(&b);
	}
}

void sf_log_reload(unsigned nrules)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (sf_logfd_off())
		return;
	begin(&b, "reload");
	if (sf_config.log_format == SF_LOG_JSON) {
		field_num(&b, "rules", nrules);
		field_str(&b, "file", sf_config.rules_path, strlen(sf_config.rules_path));
	} else {
		sf_buf_str(&b, "reloaded ");
		sf_buf_u64(&b, nrules);
		sf_buf_str(&b, nrules == 1 ? " rule from " : " rules from ");
		sf_buf_text(&b, sf_config.rules_path, strlen(sf_config.rules_path));
	}
	end(&b);
}

/* A message of the library itself: "sockfault[PID]: TEXT", or a JSON
 * "problem" event. Not a reason for a start line: it may come before the
 * rules are known. */
static void problem_line(const char *text)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	head(&b, "problem");
	if (sf_config.log_format == SF_LOG_JSON)
		field_str(&b, "text", text, strlen(text));
	else
		sf_buf_text(&b, text, strlen(text));
	end(&b);
}

void sf_log_message(const char *text)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	sf_buf_str(&b, "sockfault: ");
	sf_buf_str(&b, text);
	size_t n = sf_buf_used(&b);
	buf[n] = '\n';
	sf_logfd_stderr(buf, n + 1);
	if (sf_logfd_file())
		problem_line(text);
}

void sf_log_problem(const char *text)
{
	if (!sf_logfd_off())
		problem_line(text);
}
