/* What the environment asked for (sockfault(1), ENVIRONMENT), read once at start. */
#ifndef SF_SETTINGS_H
#define SF_SETTINGS_H

#include "sf.h"

#include <stdint.h>

#include "log.h"

struct sf_settings {
	int inert; /* secure execution, or nothing to do: pass everything */
	uint64_t seed;
	enum sf_log_format log_format;
	int trace;
	int reload;
	int control;	   /* SOCKFAULT_CONTROL: the control channel (control.h) */
	int warn_on_error; /* SOCKFAULT_ON_ERROR=warn */
	int stats;
	int delay_in_call; /* SOCKFAULT_DELAY=call: delay sleeps in the call */
	char *rules_path;
	char *rules_text;
	char *replay_path; /* SOCKFAULT_REPLAY: the run to replay */
	char exe[64];	   /* the program's short name, for exe= */
	uint64_t t_start;  /* monotonic ns at start, for uptime */
};

extern SF_HIDDEN struct sf_settings sf_config;

/* Parse SOCKFAULT_RULES (one or more files, colon-separated) and
 * SOCKFAULT_RULES_TEXT into rs; each problem goes to report(). Returns the
 * number of problems. */
struct sf_ruleset;
unsigned sf_rules_load(struct sf_ruleset *rs, void (*report)(void *ctx, const char *msg), void *ctx);

/* Read the environment and the rules into rs (inert: nothing read).
 * Returns the number of problems, each reported already (sf_log_message). */
unsigned sf_settings_init(struct sf_ruleset *rs);

#endif
