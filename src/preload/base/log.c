#include "log.h"

#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "acting.h"
#include "errnos.h"
#include "fmt.h"
#include "logfd.h"
#include "proc.h"

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

/* sf_log_setup's: set once at start, before any line. */
static struct {
	enum sf_log_format format;
	uint64_t seed;
	const char *exe;
	const char *rules_path;
	void (*proc_text)(char out[SF_TREE_MAX]);
} conf = { SF_LOG_TEXT, 0, "", NULL, NULL };

void sf_log_setup(enum sf_log_format format)
{
	conf.format = format;
}

void sf_log_describe(uint64_t seed, const char *exe, const char *rules_path)
{
	conf.seed = seed;
	conf.exe = exe;
	conf.rules_path = rules_path;
}

void sf_log_proc_source(void (*text)(char out[SF_TREE_MAX]))
{
	conf.proc_text = text;
}

static void head(struct sf_buf *b, const char *event)
{
	if (conf.format == SF_LOG_JSON) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sf_buf_str(b, "{\"ts\":\"");
		sf_buf_timestamp(b, ts.tv_sec, ts.tv_nsec / 1000);
		sf_buf_str(b, "\",\"pid\":");
		sf_buf_i64(b, sf_acting_pid());
		sf_buf_str(b, ",\"tid\":");
		sf_buf_i64(b, sf_acting_tid());
		char proc[SF_TREE_MAX] = "";
		if (conf.proc_text)
			conf.proc_text(proc);
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
	if (!SF_LOAD(&started) && sf_proc_owns_state() && !__atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL))
		start_line();
	head(b, event);
}

static void end(struct sf_buf *b)
{
	if (conf.format == SF_LOG_JSON)
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

void sf_log_fault(const struct sf_log_call *c, const struct sf_log_firing *f)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (sf_logfd_off())
		return;
	begin(&b, "fault");
	if (conf.format == SF_LOG_JSON) {
		field_str(&b, "rule", f->rule, strlen(f->rule));
		field_num(&b, "line", f->line);
		field_str(&b, "op", c->op, strlen(c->op));
		field_num(&b, "fd", c->fd);
		field_str(&b, "peer", c->peer, strlen(c->peer));
		field_str(&b, "local", c->local, strlen(c->local));
		field_str(&b, "action", f->action, strlen(f->action));
		if (f->err) {
			field_str(&b, "errno", errno_text(f->err), strlen(errno_text(f->err)));
			field_num(&b, "ret", -1);
		}
		field_num(&b, "conn", (int64_t)f->conn);
		field_num(&b, "call", (int64_t)f->call);
		if (c->server)
			field_str(&b, "side", "server", 6);
	} else {
		sf_buf_str(&b, f->rule);
		sf_buf_str(&b, " fired on ");
		sf_buf_str(&b, c->op);
		sf_buf_str(&b, " fd=");
		sf_buf_i64(&b, c->fd);
		sf_buf_str(&b, " peer=");
		sf_buf_text(&b, c->peer, strlen(c->peer));
		sf_buf_str(&b, ": ");
		sf_buf_str(&b, f->action);
		if (f->err) {
			sf_buf_str(&b, " (");
			sf_buf_str(&b, errno_text(f->err));
			sf_buf_str(&b, ")");
		}
	}
	end(&b);
}

void sf_log_trace(const struct sf_log_call *c, long ret, int err)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (sf_logfd_off())
		return;
	begin(&b, "trace");
	if (conf.format == SF_LOG_JSON) {
		field_str(&b, "op", c->op, strlen(c->op));
		field_num(&b, "fd", c->fd);
		field_str(&b, "peer", c->peer, strlen(c->peer));
		field_str(&b, "local", c->local, strlen(c->local));
		field_num(&b, "ret", ret);
		if (ret < 0)
			field_str(&b, "errno", errno_text(err), strlen(errno_text(err)));
	} else {
		sf_buf_str(&b, "trace ");
		sf_buf_str(&b, c->op);
		sf_buf_str(&b, " fd=");
		sf_buf_i64(&b, c->fd);
		sf_buf_str(&b, " peer=");
		sf_buf_text(&b, c->peer, strlen(c->peer));
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
	sf_buf_u64(&sb, conf.seed);
	begin(&b, "start");
	if (conf.format == SF_LOG_JSON) {
		field_str(&b, "seed", seed, sf_buf_used(&sb));
		field_num(&b, "rules", nrules);
		field_str(&b, "exe", conf.exe, strlen(conf.exe));
		if (conf.rules_path)
			field_str(&b, "file", conf.rules_path, strlen(conf.rules_path));
	} else {
		sf_buf_str(&b, "started in ");
		sf_buf_text(&b, conf.exe, strlen(conf.exe));
		sf_buf_str(&b, ": ");
		sf_buf_u64(&b, nrules);
		sf_buf_str(&b, nrules == 1 ? " rule" : " rules");
		if (conf.rules_path) {
			sf_buf_str(&b, " from ");
			sf_buf_text(&b, conf.rules_path, strlen(conf.rules_path));
		}
		sf_buf_str(&b, ", seed ");
		sf_buf_mem(&b, seed, sf_buf_used(&sb));
	}
	end(&b);
}

void sf_log_stats(const char *rule, unsigned line, const char *exe, uint64_t matched, uint64_t fired)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	begin(&b, "stats");
	if (conf.format == SF_LOG_JSON) {
		field_str(&b, "rule", rule, strlen(rule));
		field_num(&b, "line", line);
		field_num(&b, "matched", (int64_t)matched);
		field_num(&b, "fired", (int64_t)fired);
		if (exe)
			field_str(&b, "note", "exe= does not match this program", 32);
	} else {
		sf_buf_str(&b, "stats ");
		sf_buf_str(&b, rule);
		sf_buf_str(&b, " (line ");
		sf_buf_u64(&b, line);
		sf_buf_str(&b, "): ");
		if (exe) {
			sf_buf_str(&b, "not for this program (exe=");
			sf_buf_text(&b, exe, strlen(exe));
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

void sf_log_reload(unsigned nrules)
{
	char buf[LINE_MAX_BYTES + 1];
	struct sf_buf b = { buf, LINE_MAX_BYTES, 0 };
	if (sf_logfd_off())
		return;
	begin(&b, "reload");
	if (conf.format == SF_LOG_JSON) {
		field_num(&b, "rules", nrules);
		field_str(&b, "file", conf.rules_path, strlen(conf.rules_path));
	} else {
		sf_buf_str(&b, "reloaded ");
		sf_buf_u64(&b, nrules);
		sf_buf_str(&b, nrules == 1 ? " rule from " : " rules from ");
		sf_buf_text(&b, conf.rules_path, strlen(conf.rules_path));
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
	if (conf.format == SF_LOG_JSON)
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
