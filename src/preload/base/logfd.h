/* Where the log's lines go: the library's own descriptor, in a process whose
 * descriptors all belong to the program (sockfault(1), LOG). */
#ifndef SF_LOGFD_H
#define SF_LOGFD_H

#include <stddef.h>

/* SOCKFAULT_LOG, once at start: "stderr" (or NULL), "off" or a file path.
 * Also takes note of the stderr the program started with. Returns 0, or -1
 * with why filled in when the file cannot be opened for appending (the log
 * then goes to stderr). */
int sf_logfd_setup(const char *dest, char *why, size_t cap);
/* SOCKFAULT_LOG=off; SOCKFAULT_LOG=FILE. */
int sf_logfd_off(void);
int sf_logfd_file(void);
/* One line (ending in a newline, at most PIPE_BUF bytes) to the log, whole
 * or not at all: never on a descriptor that is not still the log's, never
 * waiting, never raising a signal, errno intact. */
void sf_logfd_write(const char *line, size_t n);
/* The same to the stderr the program started with, if descriptor 2 is
 * still that (whatever the log's destination). */
void sf_logfd_stderr(const char *line, size_t n);

/* The program is about to close or replace descriptor fd (every descriptor
 * from lo to hi): a log line being written there is finished first, and
 * the log's own descriptor, if it is that number, is forgotten (the number
 * is the program's from now on). Nothing changes in a vfork child, whose
 * descriptors are not the parent's. */
void sf_log_fd_lost(int fd);
void sf_log_fd_range_lost(unsigned lo, unsigned hi);

#endif
