/* A file the library or the CLI reads whole (a rules file, a log to replay),
 * within bounds (sockfault-rules(5), LIMITS): at most `max` bytes, and a pipe
 * or FIFO must deliver all of it and close within SF_READ_MAX_MS; a device is
 * refused before it is read. So a path that is a FIFO without a writer,
 * /dev/zero or a huge file ends in one clear message, never in a hang or an
 * allocation without end.
 * Raw system calls only: the library reads its files with this before the
 * program's main, where its own wrappers must not see the calls. */
#ifndef SF_READFILE_H
#define SF_READFILE_H

#include <stddef.h>

#define SF_RULES_MAX_BYTES ((size_t)16 << 20)	/* a rules file: 100 000 rules and more */
#define SF_REPLAY_MAX_BYTES ((size_t)256 << 20) /* a JSON log to replay */
#define SF_READ_MAX_MS 2000
#define SF_READ_MAX_MS_TEXT "2 s"

enum sf_read_status {
	SF_READ_OK,
	SF_READ_ERRNO,	 /* open or read failed: err holds the errno */
	SF_READ_TOO_BIG, /* more than max bytes */
	SF_READ_DEVICE,	 /* a character or block device */
	SF_READ_SLOW,	 /* a pipe that did not deliver and close in time */
};

struct sf_read {
	char *text; /* malloc'd, NUL-terminated; NULL unless SF_READ_OK */
	size_t len;
	enum sf_read_status status;
	int err;
	size_t max;
};

/* Read `path` ("-" is not special here), at most max bytes, within
 * SF_READ_MAX_MS from now. Returns r->status. */
enum sf_read_status sf_read_path(const char *path, size_t max, struct sf_read *r);

/* The same by a deadline (CLOCK_MONOTONIC milliseconds, from
 * sf_read_deadline()) shared by several files: the library reads all of its
 * rules files within one SF_READ_MAX_MS, however many FIFOs they hold. */
long long sf_read_deadline(void);
enum sf_read_status sf_read_path_by(const char *path, size_t max, long long deadline, struct sf_read *r);

/* Read an open descriptor to its end (stdin for the CLI's "-"); the
 * descriptor is left open and its flags unchanged. */
enum sf_read_status sf_read_fd(int fd, size_t max, struct sf_read *r);

/* "cannot read WHAT: WHY" (what: "the rules file"), with the limit when one
 * was passed, for a message that starts with the file's name. */
const char *sf_read_problem(const struct sf_read *r, const char *what, char *buf, size_t cap);

#endif
