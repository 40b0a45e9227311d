/* What the delay relay's files share (relay.h is what the rest of the
 * library sees): a relayed connection's link and its two directions, the
 * table of links, and the relay's lock and descriptors.
 *   relay_table.c   the table: a record's link, a free one, freeing one
 *   relay_dir.c     one direction's bytes: read, paced, given out when due
 *   relay_rules.c   which connections relay, the delays and pace the rules
 *                   give them, and the reloads they follow
 *   relay_thread.c  the relay's thread and its epoll set
 *   relay_adopt.c   a connection taken over, and given back
 *   relay_proc.c    the process's exit, exec, fork and supervisor */
#ifndef SF_RELAY_LINK_H
#define SF_RELAY_LINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pace.h"
#include "sf.h"
#include "sock.h"

/* Bounded: at most LINKS_MAX connections are relayed at once, and no more
 * than the descriptors allow (relay_table.c); the next ones keep the delay
 * inside the call. Each holds at most RING bytes late in each direction
 * (the pair's and the real socket's buffers hold the rest, and a program
 * that sends faster waits as on a slow link). */
#define CHUNK 64
#define CHUNKS 16
#define LINKS_MAX (CHUNK * CHUNKS)
#define RING (64 * 1024)
#define MARKS 64
/* lossy's segment (sockfault-rules(5)): what one TCP segment carries on an
 * Ethernet link. Segments are counted in the stream's bytes, so a seed
 * loses the same ones whatever sizes the reads have. */
#define SEGMENT 1448

enum lstate { L_FREE, L_CONNECTING, L_UP, L_FAILED };

/* One direction: the bytes read from its source, each read's bytes due at
 * the destination at a time of their own. */
struct dir {
	unsigned char *buf;
	size_t head, len;
	struct {
		size_t left; /* bytes of this read not yet written */
		uint64_t due;
	} mark[MARKS];
	unsigned mh, mn;
	uint64_t delay;	     /* for the next bytes read */
	struct sf_pace pace; /* lossy: the noisy link's sender (pace.h) */
	uint64_t rate;	     /* throttle: the bottleneck's bytes a second (0: none) */
	uint64_t free_at;    /* and when it is free again */
	uint64_t taken;	     /* bytes read from the source */
	uint64_t seg;	     /* segments whose losses are drawn */
	uint64_t eof_due;    /* the end of stream travels late too */
	uint8_t src_eof;     /* the source said end of stream */
	uint8_t eof_passed;  /* the destination was told (shutdown) */
	uint8_t blocked;     /* the destination's buffer is full */
	uint8_t broken;	     /* the destination refuses: drop what comes */
};

struct link {
	uint8_t state;
	struct sf_sock *s;
	uint32_t ino;	     /* the program's end (the record's identity) */
	int real;	     /* the real socket */
	int end;	     /* the relay's end of the pair */
	int keep;	     /* the program's end while its connect is under way */
	size_t filler;	     /* bytes that keep the program's end unwritable */
	uint64_t connect_at; /* the program sees the connect end no earlier */
	int err;	     /* the connect's error */
	uint8_t err_taken;
	uint8_t conn_told;  /* a second connect said 0 once */
	uint8_t prog_gone;  /* the program's end is closed */
	uint8_t tx_refused; /* the real socket took no more: told the program */
	uint8_t reg;	    /* watched: 1 the real socket, 2 the end */
	unsigned idx;	    /* its place in the table: its tag in the epoll set */
	struct dir tx, rx;  /* tx: program -> real; rx: real -> program */
};

/* The relay's state, one in the process (defined in relay_table.c). */
struct sf_relay_state {
	/* Over the links' moving parts: the thread holds it while it
	 * serves them, adopting and handing back while they swap. */
	pthread_mutex_t lock;
	/* The links, in blocks of CHUNK made as connections come (in a
	 * connect or an accept that relays, never on the fast path) and kept
	 * while the process lives, so that a thread that looks for its link
	 * without the lock (sf_link_find) never reads freed memory. nlinks:
	 * the links in the blocks made so far. */
	struct link *chunks[CHUNKS];
	unsigned nlinks;
	int epfd, wakefd; /* the thread's epoll set and its wake-up */
	int floor_fd;	  /* the relay's descriptors are numbered above it */
	/* The program closed one of the relay's descriptors: the numbers may
	 * be the program's now, and the relay never touches them again. */
	int lost;
};
extern struct sf_relay_state sf_relay;

static inline struct link *sf_link_at(unsigned i)
{
	return &SF_LOAD(&sf_relay.chunks[i / CHUNK])[i % CHUNK];
}

/* relay_table.c. The link of record s (fd unused), or NULL; without the
 * lock. */
struct link *sf_link_find(const struct sf_sock *s, int fd);
/* Under the lock: a free link, the table grown by a block if none is free
 * and the descriptors allow; NULL if none. */
struct link *sf_link_take(void);
/* The link is s's now (a reference held): sf_link_find finds it. */
void sf_link_bind(struct link *l, struct sf_sock *s);
/* Under the lock: its descriptors closed, its buffers and record let go. */
void sf_link_free(struct link *l);
/* Its buffers freed, and its descriptors closed if close_fds (a forked
 * child's copies of them, unless they may be the program's now). */
void sf_link_let_go(struct link *l, int close_fds);

/* relay_dir.c. Can the direction take more from its source? */
int sf_dir_has_room(const struct dir *d);
/* When its first bytes (or its end of stream) are due; UINT64_MAX: none. */
uint64_t sf_dir_due_first(const struct dir *d);
/* Read what the source has, as room allows, paced from now (rtt: the
 * connection's round trip, for lossy). */
void sf_dir_take_in(struct dir *d, int src, uint64_t now, uint64_t rtt);
/* Write the bytes that are due; after the last, pass the end of stream on. */
void sf_dir_give_out(struct dir *d, int dst, uint64_t now);
/* Send now what the link holds back for the peer, and what the program's
 * end still has (bounded by deadline). */
void sf_link_flush(struct link *l, uint64_t deadline);

/* relay_rules.c. A new link's delays and pace, from the plan of s. */
void sf_link_plan(struct link *l, const struct sf_sock *s);
/* The relay's thread, outside the lock: the links follow a rule set
 * replaced since the last look. */
void sf_links_follow_rules(void);

/* relay_thread.c, under the lock. The thread started if it was not (0: it
 * cannot be). */
int sf_relay_thread_ready(void);
/* Its epoll set watches what the link waits for now; or nothing of it. */
void sf_link_watch(struct link *l);
void sf_link_unwatch(struct link *l);
/* It looks at every link again at once. */
void sf_relay_thread_wake(void);
/* The thread's descriptors made if they were not (0: they cannot be). */
int sf_relay_descriptors(void);
/* A descriptor of ours moved above the floor, close-on-exec; -1 if it
 * cannot go there (a low number is the program's to have). */
int sf_relay_high(int fd);
/* In a forked child: no thread, its descriptors let go (closed unless
 * lost). */
void sf_relay_thread_forget(void);

/* relay_adopt.c. The connect is over: the program's end of the pair
 * becomes writable. */
void sf_link_release_keep(struct link *l);
/* The real socket takes the blocking mode and timeouts the program set on
 * its end (from). */
void sf_relay_same_mode(int from, int to);

#endif
