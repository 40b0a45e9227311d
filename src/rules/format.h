/* A rule printed in its canonical form, as `sockfault check` shows it. */
#ifndef SF_FORMAT_H
#define SF_FORMAT_H

#include <stddef.h>

#include "rules.h"

/* Writes `NAME: OPS CONDITIONS => ACTION ARGS MODIFIERS`; returns the length
 * it needed (truncated to cap like snprintf). */
size_t sf_rule_format(char *buf, size_t cap, const struct sf_rule *r);

/* The action with its arguments: `error ECONNRESET`, `delay 200ms~50ms`. */
size_t sf_action_format(char *buf, size_t cap, const struct sf_rule *r);

#endif
