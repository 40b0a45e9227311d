/* Windows programs under Wine (sockfault-rules(5), WINDOWS PROGRAMS UNDER
 * WINE). Wine splits a Winsock socket between two processes: wineserver,
 * one process serving every Wine program, makes the socket, its connect and
 * the waits; the program's own process sends and receives. What the library
 * does differently in each is here. */
#ifndef SF_WINE_H
#define SF_WINE_H

#include "sf.h"

#include <stddef.h>

#include "rules.h"

enum sf_wine_role {
	SF_WINE_NONE,	 /* not Wine */
	SF_WINE_PROGRAM, /* a process started by Wine's loader */
	SF_WINE_SERVER,	 /* wineserver */
};

extern SF_HIDDEN enum sf_wine_role sf_wine_role;

/* In wineserver: the Windows program whose start started it ("" if
 * unknown). exe= matches it as well as the server's own name, since the
 * program's connects are made there. */
extern SF_HIDDEN char sf_wine_program[64];

/* Called with the process's short name in name: for Wine's loader, replace
 * it with the Windows program's own name (the basename of the program on
 * the loader's command line, "client.exe"), so that exe= can name it; for
 * wineserver, leave it and learn sf_wine_program from the parent's
 * command line. Sets sf_wine_role. Raw system calls only. */
void sf_wine_identify(char *name, size_t cap);

/* Fit rule r to this process, before it is planned. In Wine's processes a
 * rule never applies to unix sockets (its protos lose unix): they are
 * Wine's own, between wineserver and its programs, and a fault there stops
 * Wine. In wineserver, rules that sleep (delay, throttle) do not apply: its
 * one thread serves every Wine program, and a sleep there would stall them
 * all. A rule that does not apply keeps no operation (it never matches;
 * --stats says so). */
void sf_wine_fit(struct sf_rule *r);

/* The errno to inject for err, so that Wine gives the program the Winsock
 * code the rule meant: an EPIPE (WSAESHUTDOWN) is given as ESHUTDOWN,
 * which Wine reports as WSAESHUTDOWN (EPIPE it reports as WSAECONNRESET). */
int sf_wine_errno(int err);

#endif
