/* What the robustness tests share beyond tests/lib/tnet.h. */
#ifndef HUTIL_H
#define HUTIL_H

#include "../lib/tnet.h"

/* A socket of type bound to ip:0 (listening if a stream); a gets the port. */
int hu_bind_on(const char *ip, int type, struct tn_addr *a);
/* A connected TCP pair through a listener on ip: c the client, s the server
 * end. 0 or -1. */
int hu_tcp_pair(const char *ip, int *c, int *s);
/* Print "LABEL YYYY-MM-DDTHH:MM:SS.uuuuuuZ", the form of the JSON log's ts. */
void hu_print_ts(const char *label);
/* The descriptor of this process that is open on path (the highest if
 * several), or -1. */
int hu_fd_of(const char *path);

#endif
