/* delay on TCP: latency that delays the data, not the calls
 * (sockfault-rules(5), delay). A socket a delay rule can touch becomes, from
 * its connect (or accept) on, one end of a local stream pair; one library
 * thread carries the bytes between the pair's other end and the real socket,
 * each direction late by its delay, and paced by throttle and lossy
 * (pace.h). Buffers and readiness the program sees
 * are the kernel's own; the calls that speak of the connection itself
 * (getpeername, getsockname, getsockopt, setsockopt, SO_ERROR, a second
 * connect) are answered for the real socket. */
#ifndef SF_RELAY_H
#define SF_RELAY_H

#include "sf.h"

#include <stdint.h>
#include <sys/socket.h>

#include "engine.h"
#include "sock.h"

/* How many connections are relayed now (0: every question below is no). */
extern SF_HIDDEN unsigned sf_relay_count;

/* Would a delay (throttle, lossy) rule of the rule set touch this TCP
 * socket's connection: to target, for a connect; for an accepted socket
 * (target NULL), the peer in its record? */
int sf_relay_wanted(const struct sf_sock *s, const struct sf_sockaddr *target);

/* Take the socket fd over for the relay. connect_at: its real connect is
 * under way, and the program's descriptor stays unwritable until it has
 * completed and connect_at (monotonic ns) has come; 0: it is connected.
 * fresh: the program has never seen fd (accept), so no epoll set of its
 * can hold it. Returns 1 if fd is relayed now (the record follows fd's new
 * identity); 0 leaves it as it was. */
int sf_relay_adopt(int fd, struct sf_sock *s, uint64_t connect_at, int fresh);

/* The real socket behind the program's descriptor fd (record s), or -1;
 * while nothing is relayed, without a call. */
int sf_relay_find_real(const struct sf_sock *s, int fd);
static inline int sf_relay_real_fd(const struct sf_sock *s, int fd)
{
	return SF_LOAD(&sf_relay_count) ? sf_relay_find_real(s, fd) : -1;
}

/* The state of a relayed connect, as connect (take 0) and SO_ERROR (take 1,
 * which takes the error once) tell it: *err EALREADY or 0 (under way), 0
 * once then EISCONN (done), or the error it ended with; take 2 only looks.
 * Returns 0 if fd is
 * not relayed, else one of these. */
enum { SF_RELAY_CONNECTING = 1, SF_RELAY_UP, SF_RELAY_FAILED };
int sf_relay_connect_state(const struct sf_sock *s, int fd, int take, int *err);

/* The socket's plan is rebuilt (its connect has named the peer, the rules
 * changed): the delays its rules give each direction, until a send decides
 * its own. */
void sf_relay_replanned(const struct sf_sock *s, int fd);

/* A fault other than silence is about to end the connection of fd (record
 * s): if it is relayed, the program's numbers become the real socket again,
 * for the fault to act on the kernel's socket (what was held back for the
 * peer goes out, what was on its way to the program is kept for its
 * receives). */
void sf_relay_hand_back(struct sf_sock *s, int fd);

/* The program is closing a silenced relayed connection, its real socket
 * in repair mode: the link ends now, and the real socket closes without a
 * word (what the program still sends, and its end of stream, do not go
 * out). */
void sf_relay_quiet(const struct sf_sock *s, int fd);

/* The delay a send just decided (ns): the bytes it queues leave that late. */
void sf_relay_tx_delay(const struct sf_sock *s, int fd, uint64_t ns);

/* The program closed [lo, hi] (closefrom, close_range) or one descriptor:
 * the relay's own numbers there are no longer its own. */
void sf_relay_fd_range_lost(unsigned lo, unsigned hi);

/* At start, if the rules can relay: the relay's own descriptors, made while
 * the program is likely to have one thread. */
void sf_relay_prepare(void);

/* An exec is about to run: each relayed connection the new program would
 * inherit becomes the real socket again under the program's numbers, with
 * what was held back for the peer sent first (the relay does not outlive
 * the exec). */
void sf_relay_before_exec(void);

/* Never relay in this process (the seccomp supervisor: a delay then waits
 * inside the call it makes for the program). */
void sf_relay_disable(void);

void sf_relay_lock(void);
void sf_relay_unlock(void);
/* In a forked child: no relay thread; the parent's relay goes on carrying
 * the shared connections, and the child lets go of the relay's descriptors. */
void sf_relay_child_reset(void);

#endif
