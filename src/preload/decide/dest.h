/* The destination cache of a datagram socket's plan (state/sock.h
 * struct sf_plan_dgram): its key, and the look the wrappers take at it
 * before anything else. An unconnected UDP socket has no peer for the plan
 * to set rules aside by, so rules about peers are decided per call; a
 * program sends to the same place again and again, and the plan keeps the
 * verdict for the last destination seen (engine.c dest_entries writes it).
 * When no rule about destinations holds for this one and no rule reads
 * what the call would change (sent>, idle>, a rule that can end the
 * connection), the call is one no rule applies to: it goes straight to
 * libc, as on a socket no rule names the call for. When one rule holds
 * there, names the call and only counts it (when=), its gate counts the
 * call and, unless it is due, lets it go as well.
 *
 * What it pays for, measured with callgrind on scripts/bench's UDP sendto
 * loop, extra instructions a call: with 1000 rules for other destinations
 * +311 through the quick lane (a counted reference, the destination copied
 * out of the program's memory, the bytes accounted), +88 here; with one
 * rule that applies and never fires (when=1000000), +356 and +114. */
#ifndef SF_DEST_H
#define SF_DEST_H

#include "sf.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "active.h"
#include "fdtab.h"
#include "gate.h"
#include "names.h"
#include "reclaim.h"
#include "sock.h"

/* The key of a destination: what a rule about the peer can tell apart
 * (family, port, address, IPv6 scope), never the padding a program may
 * leave unset (sin_zero, the flow label). Word 0: a sockaddr_in's first
 * 8 bytes as they are (family, port, address), or a sockaddr_in6's family
 * and port with its scope id where the flow label was; words 1 and 2: the
 * IPv6 address. All zero: no destination, the socket's own peer. 0 for a
 * destination the cache does not keep (another family, too short). */
static inline int sf_dest_key(const struct sockaddr *a, socklen_t len, uint64_t k[SF_DEST_KEY_WORDS])
{
	if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(&k[0], a, sizeof k[0]);
		k[1] = k[2] = 0;
		return 1;
	}
	if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
		unsigned char w[sizeof k[0]];
		memcpy(w, a, 4);
		memcpy(w + 4, &in6->sin6_scope_id, 4);
		memcpy(&k[0], w, sizeof k[0]);
		memcpy(&k[1], (const char *)&in6->sin6_addr, sizeof k[1]);
		memcpy(&k[2], (const char *)&in6->sin6_addr + sizeof k[1], sizeof k[2]);
		return 1;
	}
	return 0;
}

/* An address in a page of the stack that surely is mapped: on x86-64 the
 * stack pointer, where the call pushed its return address (elsewhere the
 * frame's own address, where the frame pointer was just stored). No
 * local whose address is taken: the wrapper can still tail-call. */
static inline __attribute__((always_inline)) uintptr_t sf_dest_stack_here(void)
{
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__("mov %%rsp, %0" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0);
#endif
	return sp;
}

/* The ops with a destination of their own, each with a slot in the
 * cache's `one`: sendto 0, sendmsg 1, other ops -1. */
static inline int sf_dest_one_slot(enum sf_op op)
{
	return op == SF_OP_sendto ? 0 : op == SF_OP_sendmsg ? 1 : -1;
}

static inline enum sf_op sf_dest_one_op(int slot)
{
	return slot == 0 ? SF_OP_sendto : SF_OP_sendmsg;
}

/* 8 bytes of a sockaddr, from offset off. */
static inline uint64_t sf_dest_word(const struct sockaddr *a, size_t off)
{
	uint64_t w;
	memcpy(&w, (const char *)a + off, sizeof w);
	return w;
}

/* The plan's verdict for key k (under the sequence count), for the names
 * known now: 1 when it holds, with the ops it lets through in *pass. What
 * the sequence count guards is read and written with relaxed atomics: a
 * reader that overlaps a writer throws away what it read, but must not
 * race with it. */
static inline __attribute__((always_inline)) int sf_dest_cached(const struct sf_plan_dgram *dg,
								const uint64_t k[SF_DEST_KEY_WORDS], sf_opmask *pass)
{
	if (!SF_LOAD(&dg->dest_valid) || SF_LOAD(&dg->names_gen) != SF_LOAD(&sf_names_gen))
		return 0;
	if (((SF_LOAD(&dg->dest[0]) ^ k[0]) | (SF_LOAD(&dg->dest[1]) ^ k[1]) | (SF_LOAD(&dg->dest[2]) ^ k[2])) != 0)
		return 0;
	*pass = SF_LOAD(&dg->pass);
	return 1;
}

/* The plan's verdict for the destination names rules for the call, and `one`
 * (read with it under the sequence count) is the one entry holding there
 * that names the call, when the gate may settle the call (engine.c
 * dest_entries: the entry is gated, reads nothing of the socket's own, a
 * count, not sent> or a state, and no rule reads the bookkeeping): 1 when
 * it does (counted, not due), 0 otherwise, and nothing counted. Under the
 * caller's reader section. */
static inline __attribute__((always_inline)) int sf_dest_gate(const struct sf_plan *plan, uint16_t one)
{
	if (one >= plan->n)
		return 0;
	/* Only the entries' counters change, atomically. */
	struct sf_plan_entry *e = (struct sf_plan_entry *)&plan->e[one];
	struct sf_active *a = sf_active_get();
	if (!a || plan->gen != a->gen)
		return 0;
	/* quick.h sf_gate_pass for an entry with nothing dynamic and a call
	 * with its own destination, whose draws are not the plan's (gate.h
	 * sf_gate_due with no draw key: due when when= hits, p= or not): no
	 * snapshot of the socket, no clock, no call that would cost the look
	 * a frame. Only a count below the next one when= may make due is
	 * settled here (the entry's `next`: no division, no draw); from it
	 * on, the lanes decide. */
	if (SF_LOAD(&e->stuck))
		return 0;
	uint64_t n = SF_LOAD(&e->calls);
	if (n + 1 >= SF_LOAD(&e->next) ||
	    !__atomic_compare_exchange_n(&e->calls, &n, n + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	SF_ADD(&a->stats[e->rule].matched, 1);
	return 1;
}

/* The destination of the call (sendmsg: msg's), where it surely is
 * readable, and the first word of its key (sf_dest_key) in *k0: the page
 * of the stack the wrapper runs on, which is where a program's own local
 * sockaddr and msghdr live (anywhere else, the quick lane copies them:
 * base/usermem.h). NULL: not there, or not a destination the cache keeps.
 * An IPv6 address's other two words are compared in place; an IPv4 key
 * has none: its first word, with the family in it, matches only a key
 * whose others are 0. */
static inline __attribute__((always_inline)) const struct sockaddr *sf_dest_read(enum sf_op op,
										 const struct sockaddr *dest,
										 socklen_t destlen,
										 const struct msghdr *msg, uint64_t *k0)
{
	uintptr_t h = sf_dest_stack_here();
	if (op == SF_OP_sendmsg) {
		uintptr_t m = (uintptr_t)msg;
		if (((m ^ h) | ((m + sizeof *msg - 1) ^ h)) >> 12)
			return NULL;
		dest = (const struct sockaddr *)msg->msg_name;
		destlen = msg->msg_namelen;
	}
	uintptr_t a = (uintptr_t)dest;
	if (destlen < (socklen_t)sizeof(struct sockaddr_in) || destlen > (socklen_t)sizeof(struct sockaddr_in6) ||
	    ((a ^ h) | ((a + destlen - 1) ^ h)) >> 12)
		return NULL;
	if (dest->sa_family == AF_INET) {
		memcpy(k0, dest, sizeof *k0);
	} else if (dest->sa_family == AF_INET6 && destlen == (socklen_t)sizeof(struct sockaddr_in6)) {
		unsigned char w[sizeof *k0];
		memcpy(w, dest, 4);
		memcpy(w + 4, &((const struct sockaddr_in6 *)dest)->sin6_scope_id, 4);
		memcpy(k0, w, sizeof *k0);
	} else {
		return NULL;
	}
	return dest;
}

/* The plan's verdict is for this destination and the names known now;
 * *seq: its sequence count, even. Under a reader section. */
static inline __attribute__((always_inline)) int sf_dest_verdict(const struct sf_plan_dgram *dg,
								 const struct sockaddr *dest, uint64_t k0,
								 uint32_t *seq)
{
	*seq = __atomic_load_n(&dg->dest_seq, __ATOMIC_ACQUIRE);
	return !(*seq & 1) && SF_LOAD(&dg->dest[0]) == k0 && SF_LOAD(&dg->names_gen) == SF_LOAD(&sf_names_gen) &&
	       (dest->sa_family != AF_INET6 ||
		(SF_LOAD(&dg->dest[1]) == sf_dest_word(dest, 8) && SF_LOAD(&dg->dest[2]) == sf_dest_word(dest, 16)));
}

/* The look the wrappers take (wrappers.c sf_look_NAME): 1, the call to
 * dest on fd (sendmsg: msg's) goes straight to libc: no rule names the
 * call on this socket, or the plan's verdict for this destination says
 * that no rule holds there and none reads what the call changes, or that
 * one does and its gate settles the call (counted, not due); 0, the
 * wrapper's other lanes decide. Inline in the wrappers' out-of-line part,
 * with no call of its own, so that the wrapper keeps its arguments where
 * they came and tail-calls.
 *
 * No reference is taken: the record and its fields up to dest_ops are
 * type-stable (state/sock.c), and a plan stays readable within a reader
 * section until it is retired (unpublished first, by a replan or the
 * record's end). When the reader section's end finds something to free,
 * a call not counted here takes the quick lane, whose own section's end
 * frees it (one counted leaves it to a later section). */
static inline __attribute__((always_inline)) int sf_dest_pass(enum sf_op op, int fd, const struct sockaddr *dest,
							      socklen_t destlen, const struct msghdr *msg, uint32_t gen)
{
	uintptr_t v = sf_fd_get(fd);
	const struct sf_sock *s = (const struct sf_sock *)v;
	/* First what the wrappers' first look asks (slow.h sf_pass_v): gen is
	 * sf_pass_gen there (no record is current while reloading is on),
	 * sf_gen once the files have been looked at. */
	if (!v || !sf_sock_current(s, gen))
		return 0;
	/* The ops only rules about destinations name are among those of
	 * opmask; not a socket (sf_notsock) names neither. */
	if (!(SF_LOAD(&s->dest_ops) & SF_OPBIT(op)))
		return !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
	uint64_t k0;
	dest = sf_dest_read(op, dest, destlen, msg, &k0);
	if (!dest)
		return 0;
	int ok = 0, counted = 0;
	__atomic_fetch_add(&sf_readers, 1, __ATOMIC_SEQ_CST);
	const struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	const struct sf_plan_dgram *dg = plan ? plan->dg : NULL;
	uint32_t seq;
	/* pass is 0 until a verdict is kept. */
	if (dg && sf_dest_verdict(dg, dest, k0, &seq)) {
		sf_opmask pass = SF_LOAD(&dg->pass);
		int slot = sf_dest_one_slot(op);
		uint16_t one = slot >= 0 ? SF_LOAD(&dg->one[slot]) : SF_DEST_SEVERAL;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&dg->dest_seq, __ATOMIC_RELAXED) == seq) {
			ok = (pass & SF_OPBIT(op)) != 0;
			if (!ok)
				ok = counted = sf_dest_gate(plan, one);
		}
	}
	if (__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST) == 0 && SF_LOAD(&sf_retired) && !counted)
		ok = 0;
	return ok;
}

#endif
