/* host=: which names this process's own look-ups (getaddrinfo,
 * gethostbyname) returned each address for. Nothing is resolved here. */
#ifndef SF_NAMES_H
#define SF_NAMES_H

#include "sf.h"

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SF_NAMES_PER_ADDR 8

/* The names of an address, NULL-terminated in out (room for
 * SF_NAMES_PER_ADDR + 1). Returns how many. */
size_t sf_names_of(const struct sf_sockaddr *a, const char **out);

/* Counts the names learned: a verdict about an address made before the
 * count moved may have missed a host= name. */
extern SF_HIDDEN uint32_t sf_names_gen;

/* Names are learned only while rules are in force (decide/active.c says
 * so whenever it installs a rule set, or none). */
void sf_names_want(int on);

void sf_names_lock(void);
void sf_names_unlock(void);
void sf_names_child_reset(void);

#endif
