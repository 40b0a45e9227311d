/* Where the library's own descriptors live: high, so that a program counting
 * on small numbers (the lowest free one, select's FD_SETSIZE) never meets
 * ours. */
#ifndef SF_FDFLOOR_H
#define SF_FDFLOOR_H

/* The lowest number for descriptors of ours: eighths/8 of the soft
 * RLIMIT_NOFILE, counted as at most 1024 (select's limit), so that the
 * numbers stay below what the program may open and below FD_SETSIZE. Each
 * owner takes its own fraction, so that their numbers rarely meet. */
int sf_fd_floor(int eighths);

#endif
