/* What the integration test programs share: loopback addresses, listening
 * and connecting with bounded waits, and printing what a call returned in a
 * form the scripts can grep ("send = -1 ECONNRESET", "recv = 4").
 *
 * Exit status of every test program: 0 as expected, 1 an unexpected result,
 * 3 the test could not be set up. Never 2: that is the library's own status
 * for bad input, and the scripts must be able to tell the two apart. */
#ifndef TNET_H
#define TNET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define TN_EXIT_UNEXPECTED 1
#define TN_EXIT_SETUP 3

/* How long any single wait may take: generous, the machine may be loaded. */
#define TN_WAIT_MS 5000

struct tn_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

/* Unexpected results so far; the program's exit status is derived from it. */
extern int tn_failures;

void tn_init(void);
int tn_exit_status(void);

/* "ECONNRESET" for ECONNRESET; "E#123" for numbers without a name here. */
const char *tn_errname(int err);
/* The errno named (also "E#123"); -1 if unknown. */
int tn_errnum(const char *name);

/* Setup failed: say why and exit TN_EXIT_SETUP. */
void tn_setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* An unexpected result: say so and count it. */
void tn_unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "127.0.0.1:PORT", "[::1]:PORT", "unix:/path" (a leading '@' is abstract). */
int tn_parse_addr(const char *spec, struct tn_addr *a);
/* The same for an address given on the command line: a bad one means the
 * test cannot be set up. tn_target: argv[i], which must be there. */
struct tn_addr tn_addr_of(const char *spec);
struct tn_addr tn_target(int argc, char **argv, int i);
/* The loopback address of family (AF_INET, AF_INET6) with port. */
void tn_loopback(struct tn_addr *a, int family, int port);
int tn_addr_port(const struct tn_addr *a);
void tn_set_port(struct tn_addr *a, int port);

/* A socket of type bound to a (port 0: any), listening if it is a stream;
 * a is updated with the port the kernel chose. -1 on failure (errno). */
int tn_bind_listen(struct tn_addr *a, int type);
/* socket + blocking connect; -1 on failure, errno set, nothing leaked. */
int tn_connect(const struct tn_addr *a, int type);
/* tn_connect, or the test cannot be set up. */
int tn_must_connect(const struct tn_addr *a, int type);
int tn_local_port(int fd);

/* poll one descriptor; returns revents (0: timed out, -1: poll failed). */
int tn_wait(int fd, short events, int ms);
int tn_set_nonblocking(int fd, int on);
/* Send everything with send(); -1 on error. */
ssize_t tn_send_all(int fd, const void *buf, size_t len);
/* Wait for data (bounded), then one recv(). -1 with ETIMEDOUT if none came. */
ssize_t tn_recv_wait(int fd, void *buf, size_t len, int ms);
/* Read exactly len bytes (bounded); returns how many came. */
size_t tn_recv_exact(int fd, void *buf, size_t len, int ms);

/* Print "what = ret" or "what = -1 ENAME". */
void tn_report(const char *what, long ret, int err);
/* Report, then compare with expect: "ok" (ret >= 0), "any" (no check), an
 * errno name, or NULL (no check). Returns 1 if as expected. */
int tn_check(const char *what, long ret, int err, const char *expect);
/* Make the call, then read errno: a call and errno in one argument list
 * are evaluated in an unspecified order. */
#define TN_REPORT(what, call)                  \
	do {                                   \
		long tn_r_ = (long)(call);     \
		int tn_e_ = errno;             \
		tn_report(what, tn_r_, tn_e_); \
	} while (0)
#define TN_CHECK(what, call, expect)                  \
	do {                                          \
		long tn_r_ = (long)(call);            \
		int tn_e_ = errno;                    \
		tn_check(what, tn_r_, tn_e_, expect); \
	} while (0)
/* The compact form used in sequences: "ok" or the errno name. */
const char *tn_outcome(long ret, int err);

/* Monotonic milliseconds, as a double. */
double tn_now_ms(void);
void tn_sleep_ms(int ms);

/* FNV-1a, to compare byte streams across processes. */
uint32_t tn_fnv(uint32_t h, const void *buf, size_t len);
#define TN_FNV_INIT 2166136261u
/* Deterministic test bytes: byte i of the pattern. */
unsigned char tn_pattern(size_t i);

/* Print up to max bytes, escaped, between double quotes. */
void tn_print_bytes(const void *buf, size_t len, size_t max);

/* n, hidden from the optimiser: a length the compiler cannot see is what
 * makes _FORTIFY_SOURCE call the __*_chk entries. */
size_t tn_opaque(size_t n);

/* Is there an IPv6 loopback to bind to? */
int tn_have_ipv6(void);

/* Wait for a child: its exit status, or 128 + the signal that ended it. */
int tn_wait_child(pid_t pid);

/* A program of subcommands, one function each, "PROG NAME ARGS...": runs
 * the one named by argv[0] with argc, argv from there (getopt restarted)
 * and returns the program's exit status; usage() if no name matches. */
struct tn_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};
int tn_run_cmd(const struct tn_cmd *cmds, size_t n, int argc, char **argv, void (*usage)(void));
#define TN_RUN_CMD(cmds, argc, argv, usage) tn_run_cmd(cmds, sizeof cmds / sizeof cmds[0], argc, argv, usage)

#endif
