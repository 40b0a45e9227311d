/* A process's place in the tree of a run, for seeded draws: the first
 * process is "1", its first child "1.1", that child's third child "1.1.3",
 * counted in the order each parent made them (sockfault-rules(5), "Process
 * trees"). Pure functions: the identity's text, its environment value and
 * its key for the draws. */
#ifndef SF_TREE_H
#define SF_TREE_H

#include <stdint.h>

/* An identity is at most this long: a deeper one is folded (sf_tree_child). */
#define SF_TREE_ID_MAX 48
/* Room for the environment's value, "ID" or "ID,N", and its NUL. */
#define SF_TREE_MAX 64

/* The identity of the n-th child (n from 1) of `parent`: "parent.n", or,
 * when that would pass SF_TREE_ID_MAX, "#" and the parent's key in 16 hex
 * digits, then ".n": still one identity per place, bounded in length. */
void sf_tree_child(const char *parent, uint32_t n, char out[SF_TREE_MAX]);

/* SOCKFAULT_TREE's value: "ID" for a process that has made no child yet,
 * "ID,N" for one that has made N (a program exec'd in place goes on
 * counting). Returns 1 and fills id and *children when v is one. */
int sf_tree_parse(const char *v, char id[SF_TREE_MAX], uint32_t *children);
void sf_tree_format(const char *id, uint32_t children, char out[SF_TREE_MAX]);

/* What the draws key on: one 64-bit value per identity. */
uint64_t sf_tree_key(const char *id);

#endif
