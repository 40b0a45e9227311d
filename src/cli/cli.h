/* The sockfault command's subcommands. Each returns the process exit status:
 * 0 success, 1 the input was bad (check found errors), 2 a usage error. */
#ifndef SF_CLI_H
#define SF_CLI_H

#define SF_EXIT_OK 0
#define SF_EXIT_BAD 1
#define SF_EXIT_USAGE 2

int sf_cmd_check(int argc, char **argv);
int sf_cmd_errno(int argc, char **argv);
int sf_cmd_run(int argc, char **argv);
int sf_cmd_report(int argc, char **argv);
int sf_cmd_ps(int argc, char **argv);
int sf_cmd_ctl(int argc, char **argv);

/* "sockfault: " + message + newline on stderr. */
void sf_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
