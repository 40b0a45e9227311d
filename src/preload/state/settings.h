/* What the environment asked for (sockfault(1), ENVIRONMENT), read once at start. */
#ifndef SF_SETTINGS_H
#define SF_SETTINGS_H

#include <stdint.h>

enum sf_log_format { SF_LOG_TEXT, SF_LOG_JSON };

struct sf_settings {
	int inert;              /* secure execution, or nothing to do: pass everything */
	uint64_t seed;
	enum sf_log_format log_format;
	int trace;
	int reload;
	int control;            /* SOCKFAULT_CONTROL: the control channel (control.h) */
	int warn_on_error;      /* SOCKFAULT_ON_ERROR=warn */
	int stats;
	int delay_in_call;      /* SOCKFAULT_DELAY=call: delay sleeps in the call */
	char *rules_path;
	char *rules_text;
	char exe[64];           /* the program's short name, for exe= */
	uint64_t t_start;       /* monotonic ns at start, for uptime */
	int pid;
};

extern struct sf_settings sf_config;

/* Parse SOCKFAULT_RULES (one or more files, colon-separated) and
 * SOCKFAULT_RULES_TEXT into rs; each problem goes to report(). Returns the
 * number of problems. */
struct sf_ruleset;
unsigned sf_rules_load(struct sf_ruleset *rs, void (*report)(void *ctx, const char *msg), void *ctx);

/* Read the environment and the rules; on bad input print the messages and
 * exit(2), or with SOCKFAULT_ON_ERROR=warn run with no faults. */
void sf_settings_init(void);

#endif
