/* What the library knows about one socket: a record shared by every
 * descriptor that refers to it (dup), with the short list ("plan") of the
 * rules that can apply to it and their per-connection counters. */
#ifndef SF_SOCK_H
#define SF_SOCK_H

#include "sf.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fdtab.h"
#include "gate.h"
#include "match.h"
#include "rules.h"

/* An address as the record keeps it: 20 bytes; unix paths live apart. */
struct sf_caddr {
	uint8_t family; /* SF_ADDR_* (SF_ADDR_ANY: unknown) */
	uint8_t pad;
	uint16_t port;
	uint8_t ip[16];
};

/* One rule of a socket's plan: 64 bytes, what the quick lane compares
 * (decide/quick.h) without looking at the rule. Its flags: gate.h SF_PE_*. */
struct sf_plan_entry {
	uint32_t rule; /* index in the active rule set */
	sf_opmask ops; /* the rule's operations */
	uint8_t flags; /* SF_PE_* */
	uint8_t num;   /* gate.h sf_gate's num */
	/* Datagram: the rule's peer=/host= do not hold for the socket's
	 * connected peer, but may for a call's own destination (sendto,
	 * sendmsg's msg_name): it applies to such a call only. */
	uint8_t away;
	/* SF_MARK_STUCK (a sticky rule has fired on this socket) and one of
	 * SF_ARM_* (num's lower bound: the timer, or `until`). */
	uint8_t mark;
	uint8_t pad[4];
	union {
		uint64_t draw_key; /* SF_PE_DRAWS: gate.h sf_gate_gap_count */
		/* Not SF_PE_DRAWS, marked SF_ARM_UNTIL: the counter's last
		 * reading at which num's lower bound is surely not reached
		 * (clock.h sf_tsc_until). */
		uint64_t until;
	};
	uint64_t calls; /* counted calls on this connection (when=, p=) */
	uint64_t fired; /* firings on this connection (limit=) */
	/* The first count when= may make due (sf_when_next), or the next
	 * call p= alone fires (gate.h sf_gate_gap_count): the quick lane
	 * counts a call below it with no division and no draw (quick.h). */
	uint64_t next;
	/* num's range, the rule's: lo <= number <= lo + span. */
	uint64_t lo, span;
};
_Static_assert(sizeof(struct sf_plan_entry) == 64, "a plan entry is one cache line");
/* An entry whose num is idle or age with a lower bound: its mark's low
 * bits (fault/deadline.c sf_deadline_arm sets TRY, ON and NEVER;
 * decide/quick.h sf_lane_holds sets UNTIL). */
enum {
	/* The bound may be armed: the lane asks the clock, and arms. */
	SF_ARM_TRY,
	/* The timer is not to be started for it (a single-threaded
	 * program): the lane asks the clock, and marks UNTIL where it can. */
	SF_ARM_NEVER,
	/* Not reached, and the timer comes when it is: the lane answers
	 * "does not hold" with no clock. */
	SF_ARM_ON,
	/* Not reached while the counter is at most `until`: the lane
	 * compares the counter, not the clock. */
	SF_ARM_UNTIL,
	/* NEVER and UNTIL, the marks the lane may set, are odd. */
	SF_ARM_MASK = 3,
	SF_MARK_STUCK = 0x80,
};

/* A sticky rule has fired on this socket: its entry fires whatever its
 * conditions say now. */
static inline int sf_entry_stuck(const struct sf_plan_entry *e)
{
	return (SF_LOAD(&e->mark) & SF_MARK_STUCK) != 0;
}

static inline void sf_entry_stick(struct sf_plan_entry *e)
{
	__atomic_fetch_or(&e->mark, SF_MARK_STUCK, __ATOMIC_RELAXED);
}

/* Set e's SF_ARM_* to arm, keeping whether it is stuck. */
static inline void sf_entry_arm(struct sf_plan_entry *e, uint8_t arm)
{
	uint8_t m = SF_LOAD(&e->mark);
	while (!__atomic_compare_exchange_n(&e->mark, &m, (uint8_t)((m & ~SF_ARM_MASK) | arm), 0, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

/* Datagram sockets only, after the entries: which of the per-destination
 * entries hold for the last destination seen (a program sends to the same
 * place again and again), under a sequence count (odd while written), and
 * the entries that are not per-destination, in order (with the cache a
 * call visits these and the cached ones, not all n). What it pays,
 * measured with callgrind on scripts/bench's UDP sendto loop: with 1000
 * rules for other destinations +55 instructions a call with the cache
 * (the wrapper's look at the record's copy of it, decide/dest.h), +124 247
 * without; with one rule that applies and does not fire, +106 and +1 482. */
#define SF_DEST_KEY_WORDS 3 /* decide/dest.h sf_dest_key */
#define SF_DEST_IDX_MAX 16
struct sf_plan_dgram {
	uint32_t dest_seq;
	uint16_t dest_n; /* entries in dest_idx; SF_DEST_MANY: too many to keep */
	uint8_t dest_valid;
	uint8_t pad;
	uint32_t names_gen; /* sf_names_gen when the verdict was made */
	sf_opmask pass;	    /* the ops a call to dest takes straight to libc (decide/dest.h) */
	sf_opmask tracked;  /* the ops whose bookkeeping a rule of the plan reads */
	/* The one entry holding for dest that names sendto, sendmsg, whose gate
	 * the wrapper's look may run (engine.c dest_entries, decide/dest.h
	 * sf_dest_gate); SF_DEST_NONE, or SF_DEST_SEVERAL: the lanes decide. */
	uint16_t one[2];
	uint64_t dest[SF_DEST_KEY_WORDS]; /* the key (decide/dest.h sf_dest_key) */
	uint16_t dest_idx[SF_DEST_IDX_MAX];
	/* The ops a call without a destination of its own (send, a sendmsg
	 * with no msg_name) takes straight to libc: no entry but the away
	 * ones names them, and no rule reads their bookkeeping. Set with the
	 * plan, never written after it. */
	sf_opmask peer_pass;
	uint16_t nfixed;
	uint16_t fixed[];
};

/* The ops of the quick lane, each with a slot in sf_plan.quick: slot+1,
 * 0 for the ops that have none (a byte a slot, not one for every op: a
 * socket with a rule stays within 256 bytes). */
#define SF_QUICK_SLOTS 10
/* Static, so that a wrapper's constant op finds its slot at compile time. */
static const uint8_t sf_quick_slot[SF_OP__COUNT] = {
	[SF_OP_send] = 1, [SF_OP_sendto] = 2,	[SF_OP_sendmsg] = 3, [SF_OP_write] = 4, [SF_OP_writev] = 5,
	[SF_OP_recv] = 6, [SF_OP_recvfrom] = 7, [SF_OP_recvmsg] = 8, [SF_OP_read] = 9,	[SF_OP_readv] = 10,
};

struct sf_rule_stats;
struct sf_plan {
	uint32_t n;
	uint32_t gen; /* the rule set its indices refer to */
	/* The draws' inputs the entries' draw keys were made with that may
	 * change under the plan: a call whose own differ (a forked child, a
	 * new attempt's ordinal) draws in full. (A new peer always replans,
	 * or sends every call the full path.) The ordinal, and the process's
	 * key with the ordinal in its low bits (sf_plan_draws_for): the quick
	 * lane checks both in one compare. */
	uint32_t draw_ord;
	/* For each quick-lane op: its one entry, or 0xff when no entry names it. */
	uint8_t quick[SF_QUICK_SLOTS];
	uint8_t dgram; /* a datagram socket's: sf_plan_dg follows the entries */
	uint64_t draw_id;
	/* The rule set's statistics (decide/active.h), indexed as the rules:
	 * the quick lane counts into them with no look at the rule set. */
	struct sf_rule_stats *stats;
	struct sf_plan_entry e[];
};
_Static_assert(sizeof(struct sf_plan) == 40, "a one-rule plan is 104 bytes");

/* The draws of a process (its key in the run's tree) on a connection (its
 * ordinal) as one word. Two processes' keys are 64-bit hashes, so that
 * two pairs of them give one word only by a chance of 2^-64. */
static inline uint64_t sf_plan_draws_for(uint64_t proc_key, uint32_t ordinal)
{
	return proc_key ^ ordinal;
}

/* The process key the plan's draws were made with. */
static inline uint64_t sf_plan_draw_proc(const struct sf_plan *p)
{
	return p->draw_id ^ p->draw_ord;
}

/* The bytes a plan of n entries takes: its entries, and a datagram
 * socket's destination cache after them. */
static inline size_t sf_plan_size(uint32_t n, int dgram)
{
	size_t size = sizeof(struct sf_plan) + n * sizeof(struct sf_plan_entry);
	if (dgram)
		size += sizeof(struct sf_plan_dgram) + n * sizeof(uint16_t);
	return size;
}

/* The bytes plan p was made in (sf_plan_count gave its n). */
static inline size_t sf_plan_bytes(const struct sf_plan *p)
{
	return sf_plan_size(p->n, p->dgram);
}

/* A datagram socket's plan: its destination cache, after its n entries
 * (sf_plan_count made it for exactly those); NULL for a stream's. */
static inline struct sf_plan_dgram *sf_plan_dg(const struct sf_plan *p)
{
	return p->dgram ? (struct sf_plan_dgram *)(uintptr_t)&p->e[p->n] : NULL;
}
#define SF_DEST_MANY 0xffff
#define SF_DEST_NONE 0xffff
#define SF_DEST_SEVERAL 0xfffe

enum {
	SF_SOCK_HAS_PEER = 1 << 0,
	SF_SOCK_HAS_LOCAL = 1 << 1,
	SF_SOCK_STREAM = 1 << 2,  /* SOCK_STREAM or SOCK_SEQPACKET */
	SF_SOCK_LEARNED = 1 << 3, /* found in use, not seen created */
	SF_SOCK_SHUT_RD = 1 << 4,
	SF_SOCK_SHUT_WR = 1 << 5,
	SF_SOCK_ERR_TOLD = 1 << 6,   /* SO_ERROR has reported the dead connection's error */
	SF_SOCK_FIN_HIDDEN = 1 << 7, /* silenced while the peer's FIN was already queued */
};

/* The kernel's keepalive timer of a connection, as the library keeps it
 * in the kernel's place: its state and the program's options
 * (fault/katimer.h). */
struct sf_katimer {
	uint64_t last_rx;		   /* the last segment received (monotonic ns) */
	uint64_t next;			   /* the timer's next firing */
	uint32_t idle_ms, intvl_ms, ut_ms; /* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_USER_TIMEOUT */
	uint8_t sent;			   /* probes sent before next */
	uint8_t cnt;			   /* TCP_KEEPCNT */
	uint8_t on;			   /* SO_KEEPALIVE as the program set it */
};

/* What few sockets need, in a block of its own made on first need
 * (sf_sock_rare) and freed with the record: a record stays small where it
 * is not used (100 000 sockets, scripts/bench). Only a holder of a
 * reference to the record reads it. */
struct sf_sock_rare {
	char *paths; /* unix: "PEER\0LOCAL\0", only when either is named */
	uint16_t peer_path_len, local_path_len;
	uint16_t icmp_err;	/* a router's ICMP on its way to a connect in progress (icmp.h) */
	uint16_t timer_token;	/* matches the timeout scheduled for this socket */
	uint16_t trigger_token; /* matches the time trigger armed for this socket */
	uint64_t link_free[2];	/* throttle: when each direction (0 tx, 1 rx) is free again, ns */
	/* A reset at a time: the data that had arrived before it, read first
	 * (a block of stash_cap bytes from sf_alloc; NULL: none). */
	char *stash;
	uint32_t stash_cap, stash_len, stash_off;
	/* A silenced connection's keepalive, which the library keeps in the
	 * kernel's place (fault/keepalive.h), under the timer's lock. */
	struct sf_katimer ka;
	uint16_t ka_token; /* matches the keepalive's end scheduled for this socket */
	uint8_t ka_held;   /* the kernel's keepalive is off, the library's on */
	uint8_t ka_ending; /* the kernel's socket is being ended (dead.c) */
	/* The timer's pending deadline of each kind (fault/timer.c), under
	 * its lock. */
	struct sf_timer_entry *timer_entry[3];
};

/* The record's own copy of its plan's verdict for the last destination
 * (struct sf_plan_dgram), which the wrappers' look reads with no plan and
 * no reader section (decide/dest.h sf_dest_look); decide/dest.h writes it
 * and owns its fields. Under its own sequence count: seq is even but while
 * the copy is written, and every replan and the record's end add 2 to it
 * (sf_sock_dest_forget), so that the copy holds only while made == seq. A
 * record has one once a plan of it has ops only rules about destinations
 * name (sf_sock_dest_need), and keeps it for good, as the pool keeps the
 * record: the memory a reader with no reference finds is a copy still;
 * the others share sf_dest_none, which never holds and is never written. */
struct sf_dest_copy {
	uint32_t seq;
	uint32_t made;
	uint32_t names_gen; /* the plan's verdict's */
	uint32_t scope;	    /* IPv6: the destination's sin6_scope_id */
	uint8_t pass;	    /* decide/dest.h SF_DEST_COPY_* */
	uint8_t pad;
	uint16_t one[2];	    /* the plan's one[] */
	const struct sf_plan *plan; /* the plan the copy is of */
	/* The destination's first 8 bytes as they are (IPv6: its flow label
	 * too), and IPv6's address. */
	uint64_t key[SF_DEST_KEY_WORDS];
};
extern SF_HIDDEN struct sf_dest_copy sf_dest_none;

/* The first 64 bytes are what the quick lane reads and writes on every
 * data call (decide/quick.h, calls/lane.h), together: one cache line where
 * the record starts on one. The fields up to dest_ops may be read by a
 * thread that holds no reference (the fast path, sf_quick_enter):
 * sf_sock_new stores them atomically when a record is reused, and zeroes
 * the rest. */
struct sf_sock {
	uint32_t refs;	      /* descriptors pointing here, timer entries, calls using it */
	uint32_t gen;	      /* rules generation the plan and opmask belong to */
	sf_opmask opmask;     /* operations that need the slow path on this socket */
	sf_opmask quick_ops;  /* operations that at most one rule names, a rule that only counts */
	sf_opmask dest_ops;   /* datagram: operations only rules about the destination name */
	uint8_t state;	      /* enum sf_state */
	uint8_t flags;	      /* SF_SOCK_* */
	uint8_t dead;	      /* enum sf_dead: what a fault did to the connection */
	uint8_t track_idle;   /* a rule reads idle=: note when data moves */
	uint64_t t_connected; /* monotonic ns; 0 before a connection */
	uint64_t t_last_io;
	uint64_t sent, received;
	struct sf_plan *plan;
	/* The rest: the socket's identity and what the slow paths keep. */
	uint8_t family;	       /* AF_INET, AF_INET6, AF_UNIX, ... */
	uint8_t proto;	       /* SF_PROTO_* bit, 0 for other kinds */
	uint8_t side;	       /* SF_SIDE_* bit, 0 if neither */
	uint8_t closing;       /* the program is closing one of its descriptors */
	uint16_t pending_err;  /* an injected connect error: SO_ERROR gives it once */
	uint16_t dead_err;     /* the errno a dead connection answers with */
	uint32_t conn_ordinal; /* nth connection to this peer in this process */
	uint32_t ino;	       /* the socket's inode (low bits): is the descriptor still it? */
	uint64_t peer_hash;
	struct sf_caddr peer, local;
	struct sf_sock_rare *rare; /* NULL until needed */
	/* Last, apart from the fields sf_sock_new zeroes, and read, as those
	 * up to dest_ops, by a thread that holds no reference (decide/dest.h):
	 * never NULL once the record was made (sf_dest_none). */
	struct sf_dest_copy *dest;
};
/* A record of 144 bytes and a one-rule plan of 104 (the plan's 40 and an
 * entry's 64) stay within 256 with the descriptor table's 8 (scripts/bench's
 * memory target). */
_Static_assert(sizeof(struct sf_sock) <= 144, "a socket record stays within 144 bytes");
_Static_assert(offsetof(struct sf_sock, family) == 64, "what the quick lane touches fills the first 64 bytes");

/* s's rare block, made if it has none yet; NULL when there is no memory. */
struct sf_sock_rare *sf_sock_rare(struct sf_sock *s);
/* s's rare block if it has one (NULL: nothing rare ever happened to it). */
static inline struct sf_sock_rare *sf_sock_rare_if(const struct sf_sock *s)
{
	return __atomic_load_n(&s->rare, __ATOMIC_ACQUIRE);
}

void sf_sock_ref(struct sf_sock *s);
void sf_sock_unref(struct sf_sock *s);

/* The record every descriptor that is not a socket points at (a pipe, a
 * file, a netlink socket): its op mask sends only the dup calls, which may
 * land on stale entries, and close, which must forget the entry, to the
 * slow path, so "not a socket" needs no test of its own on the fast path. */
#define SF_NOTSOCK_OPS                                                                               \
	(SF_OPBIT(SF_OP_dup) | SF_OPBIT(SF_OP_dup2) | SF_OPBIT(SF_OP_dup3) | SF_OPBIT(SF_OP_fcntl) | \
	 SF_OPBIT(SF_OP_close))
_Static_assert(!(SF_NOTSOCK_OPS & SF_OPS_IO), "no data call finds \"not a socket\" asking for it");
extern SF_HIDDEN struct sf_sock sf_notsock;
#define SF_FD_NOTSOCK ((uintptr_t)&sf_notsock)
static inline int sf_fd_is_sock(uintptr_t v)
{
	return v && v != SF_FD_NOTSOCK;
}

/* The SF_PROTO_* of a socket of this family and type; 0 for kinds the
 * library leaves alone (netlink, raw, packet). */
uint8_t sf_sock_kind(int family, int type);
/* Create a record for a socket the library saw being made (NULL for other
 * kinds), held by the calling thread (sf_sock_hold) until its call leaves. */
struct sf_sock *sf_sock_new(int family, int type);

/* Learn an existing descriptor: a record (held, as from sf_sock_new), or 0
 * (unknown, e.g. EBADF), or SF_FD_NOTSOCK. */
uintptr_t sf_sock_learn(int fd);
/* Note which socket fd is (its inode), so that a record left behind by a
 * close the library did not see (libc's own) is never taken for a pipe or a
 * file that got the number. */
void sf_sock_identify(struct sf_sock *s, int fd);
/* Is fd still the socket of s? */
int sf_sock_still(const struct sf_sock *s, int fd);
/* Point fd at s (s may be 0 or SF_FD_NOTSOCK), releasing what fd pointed at. */
void sf_sock_install(int fd, uintptr_t v);

/* Addresses from the kernel's form. */
void sf_sock_set_peer(struct sf_sock *s, const struct sockaddr *a, socklen_t len);
void sf_sock_set_local(struct sf_sock *s, const struct sockaddr *a, socklen_t len);
void sf_caddr_from(struct sf_caddr *c, const struct sockaddr *a, socklen_t len);
/* The matcher's view of a kept address (unix paths included). */
void sf_sock_addr_view(const struct sf_sock *s, int peer, struct sf_sockaddr *out);
/* For a call's own address; unix paths are copied into pathbuf, which
 * SF_UNIX_PATH_ROOM bytes always hold: sun_path's 108 bytes and the NUL
 * that ends the copy, rounded up to a multiple of 8. */
#define SF_UNIX_PATH_ROOM 112
_Static_assert(SF_UNIX_PATH_ROOM > sizeof(((struct sockaddr_un *)0)->sun_path), "a unix path and its NUL fit");
void sf_sockaddr_view(const struct sockaddr *a, socklen_t len, struct sf_sockaddr *out, char *pathbuf, size_t pathcap);

/* The socket has a peer now (connect succeeded or is under way, or accept):
 * give it its place among the connections to that peer. */
void sf_sock_connected(struct sf_sock *s, uint8_t side, uint8_t state);

/* The record's plan and opmask are for the current rules (fast-path check). */
static inline int sf_sock_current(const struct sf_sock *s, uint32_t gen)
{
	return SF_LOAD(&s->gen) == gen;
}
/* The matcher's view of the socket, without a call (op and numbers unset). */
void sf_sock_subject(const struct sf_sock *s, struct sf_subject *subj);

/* The record's destination copy no longer holds: its plan was replaced or
 * unpublished (a replan, the record's end). After the plan's store, so
 * that a writer of the copy that read the old plan finds the count moved
 * (decide/dest.h sf_dest_keep). */
static inline void sf_sock_dest_forget(struct sf_sock *s)
{
	struct sf_dest_copy *d = SF_LOAD(&s->dest);
	if (d != &sf_dest_none)
		__atomic_fetch_add(&d->seq, 2, __ATOMIC_RELEASE);
}

/* Give the record a destination copy of its own, if it has none yet. */
void sf_sock_dest_need(struct sf_sock *s);

/* Rebuild the plan and opmask for the current rules and what is fixed now. */
void sf_sock_replan(struct sf_sock *s);

/* Every call on the socket comes to the slow path from now on, the quick
 * lanes included: it is dead, or holds an error every call must see. */
void sf_sock_all_slow(struct sf_sock *s);

/* The record fd points at, with a reference held by this thread until its
 * call leaves the library (sf_sock_release_held); NULL when fd has no socket
 * record. Every use of a record outside the fast path's opmask test goes
 * through a held reference: another thread's close may drop the table's.
 * The reference is valid only if the record still had one (a free record in
 * the pool has none) and fd still points at it afterwards. */
static inline int sf_sock_try_ref(struct sf_sock *s)
{
	uint32_t r = __atomic_load_n(&s->refs, __ATOMIC_RELAXED);
	while (r)
		if (__atomic_compare_exchange_n(&s->refs, &r, r + 1, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

static inline void sf_sock_hold(struct sf_sock *s)
{
	/* Past the slots the reference is kept for ever: a record that is
	 * never freed costs a few bytes, one freed under a call a crash. */
	if (sf_self.nheld < SF_HELD_MAX)
		sf_self.held[sf_self.nheld++] = s;
}

struct sf_sock *sf_sock_get_slow(int fd);
static inline struct sf_sock *sf_sock_get(int fd)
{
	uintptr_t v = sf_fd_get(fd);
	struct sf_sock *s = (struct sf_sock *)v;
	if (SF_LIKELY(sf_fd_is_sock(v) && sf_sock_try_ref(s))) {
		if (SF_LIKELY(sf_fd_get(fd) == v)) {
			sf_sock_hold(s);
			return s;
		}
		sf_sock_unref(s);
	}
	return sf_fd_is_sock(v) ? sf_sock_get_slow(fd) : NULL;
}

void sf_sock_free(struct sf_sock *s);
static inline void sf_sock_release_held(void)
{
	for (int n = sf_self.nheld; n > 0;) {
		struct sf_sock *s = sf_self.held[--n];
		if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
			sf_sock_free(s);
	}
	sf_self.nheld = 0;
}

#endif
