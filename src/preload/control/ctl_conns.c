/* The connections as the library sees them (`conns`), and faults fired on
 * them on demand (`fire`). Both walk the descriptor table; a record is read
 * only inside a reader section (reclaim.h), the descriptor is checked to be
 * the record's socket still (its inode) before the kernel is asked about
 * it or it is touched, and no record is kept past the section. */
#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "clock.h"
#include "ctl.h"
#include "dead.h"
#include "errnos.h"
#include "fdtab.h"
#include "relay.h"
#include "report.h"
#include "names.h"
#include "reclaim.h"
#include "real.h"
#include "settings.h"
#include "units.h"

extern uint64_t sf_ctl_fire_count;

/* The kernel's names for TCP states, as ss(8) prints them. */
static const char *tcp_state_name(unsigned st)
{
	static const char *const names[] = {
		"?",	     "ESTAB",  "SYN-SENT",   "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
		"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN",     "CLOSING",
	};
	return st < sizeof names / sizeof names[0] ? names[st] : "?";
}

static const char *proto_name(uint8_t proto)
{
	return proto == SF_PROTO_TCP	? "tcp"
	       : proto == SF_PROTO_UDP	? "udp"
	       : proto == SF_PROTO_UNIX ? "unix"
					: "other";
}

static const char *side_name(uint8_t side)
{
	return side == SF_SIDE_CLIENT ? "client" : side == SF_SIDE_SERVER ? "server" : "-";
}

/* An address of the socket: the kernel's when it still has one (a reset
 * socket has no peer any more), else the record's. */
static void addr_text(int fd, const struct sf_sock *s, int peer, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct sf_sockaddr v;
	char path[sizeof ss];
	int r = peer ? sf_real_getpeername(fd, (struct sockaddr *)&ss, &len)
		     : (int)syscall(SYS_getsockname, fd, (struct sockaddr *)&ss, &len);
	if (r == 0 && len > sizeof(sa_family_t))
		sf_sockaddr_view((struct sockaddr *)&ss, len, &v, path, sizeof path);
	else
		sf_sock_addr_view(s, peer, &v);
	if (v.family == SF_ADDR_ANY)
		snprintf(out, cap, "-");
	else
		sf_sockaddr_format(out, cap, &v);
}

static void conn_line(struct sf_ctl_out *o, int fd, struct sf_sock *s, const struct sf_active *a, uint64_t now)
{
	/* The kernel's view: of the real socket, where the connection is
	 * relayed (relay.h). */
	int kfd = sf_relay_real_fd(s, fd);
	if (kfd < 0)
		kfd = fd;
	char local[300], peer[300];
	addr_text(kfd, s, 0, local, sizeof local);
	addr_text(kfd, s, 1, peer, sizeof peer);
	unsigned dead = SF_LOAD(&s->dead);
	uint64_t t_conn = SF_LOAD(&s->t_connected), t_io = SF_LOAD(&s->t_last_io);
	int64_t sent = (int64_t)SF_LOAD(&s->sent), received = (int64_t)SF_LOAD(&s->received);
	int64_t idle_ms = t_io ? (int64_t)((now - t_io) / SF_NS_PER_MS) : -1;
	const char *kstate = NULL;
	uint8_t proto = SF_LOAD(&s->proto), side = SF_LOAD(&s->side), flags = SF_LOAD(&s->flags);
	if (proto == SF_PROTO_TCP) {
		/* The kernel counts every byte; the library only where a rule reads them. */
		struct tcp_info ti;
		socklen_t l = sizeof ti;
		memset(&ti, 0, sizeof ti);
		if (sf_real_getsockopt(kfd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0) {
			kstate = tcp_state_name(ti.tcpi_state);
			if (l >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
				received = (int64_t)ti.tcpi_bytes_received;
			/* Data bytes sent (bytes_acked would count the SYN). */
			if (l >= offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof ti.tcpi_bytes_sent)
				sent = (int64_t)ti.tcpi_bytes_sent;
			if (t_conn && ti.tcpi_state != 10) {
				uint32_t last = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent
							? ti.tcpi_last_data_recv
							: ti.tcpi_last_data_sent;
				uint64_t age_ms = (now - t_conn) / SF_NS_PER_MS;
				idle_ms = last < age_ms ? last : (int64_t)age_ms;
			}
		}
	}
	sf_ctl_begin(o);
	sf_ctl_num(o, "fd", fd);
	sf_ctl_str(o, "proto", proto_name(proto));
	sf_ctl_str(o, "side", side_name(side));
	sf_ctl_str(o, "state", sf_state_names[SF_LOAD(&s->state) < SF_STATE__COUNT ? SF_LOAD(&s->state) : 0]);
	if (kstate)
		sf_ctl_str(o, "tcp_state", kstate);
	sf_ctl_str(o, "local", local);
	sf_ctl_str(o, "peer", peer);
	if (flags & SF_SOCK_HAS_PEER) {
		struct sf_sockaddr v;
		const char *names[SF_NAMES_PER_ADDR + 1];
		sf_sock_addr_view(s, 1, &v);
		if (sf_names_of(&v, names))
			sf_ctl_str(o, "host", names[0]);
	}
	sf_ctl_num(o, "age_ms", t_conn ? (int64_t)((now - t_conn) / SF_NS_PER_MS) : -1);
	sf_ctl_num(o, "idle_ms", idle_ms);
	sf_ctl_num(o, "sent", sent);
	sf_ctl_num(o, "received", received);
	sf_ctl_str(o, "dead", sf_dead_name(dead));
	if (dead) {
		const char *e = sf_errno_name(SF_LOAD(&s->dead_err));
		if (e)
			sf_ctl_str(o, "dead_errno", e);
	}
	/* The rules that can apply: the socket's plan, if it is for these rules. */
	char rules[600] = "";
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n; i++) {
		size_t used = strlen(rules);
		snprintf(rules + used, sizeof rules - used, "%s%s", used ? "," : "", a->rs.rules[plan->e[i].rule].name);
	}
	sf_ctl_str(o, "rules", rules);
	sf_ctl_end(o);
}

void sf_ctl_conns(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	(void)r;
	unsigned high = SF_LOAD(&sf_fd_high), n = 0;
	uint64_t now = sf_now();
	for (unsigned fd = 0; fd < high; fd++) {
		/* A reference held while the record is read: the program may
		 * close the descriptor meanwhile (sock.h sf_sock_get). */
		sf_read_begin();
		struct sf_sock *s = sf_sock_get((int)fd);
		if (s && sf_sock_still(s, (int)fd)) {
			conn_line(o, (int)fd, s, sf_active_get(), now);
			n++;
		}
		sf_sock_release_held();
		sf_read_end();
	}
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "conns", n);
	sf_ctl_end(o);
}

/* The rule every fault fired by hand is logged under. */
static struct sf_rule ctl_rule = { .name = (char *)"ctl" };

static const enum sf_action fire_actions[] = { SF_ACT_RESET, SF_ACT_HANGUP, SF_ACT_BLACKHOLE, SF_ACT_TIMEOUT,
					       SF_ACT_EOF };

struct target {
	int fd; /* -1: by peer */
	struct sf_addrpat pat[2];
	size_t npat;
};

static int peer_matches(int fd, const struct sf_sock *s, const struct target *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct sf_sockaddr v;
	char path[sizeof ss];
	if (sf_real_getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && len > sizeof(sa_family_t))
		sf_sockaddr_view((struct sockaddr *)&ss, len, &v, path, sizeof path);
	else
		sf_sock_addr_view(s, 1, &v);
	for (size_t i = 0; i < t->npat; i++)
		if (sf_addrpat_match(&t->pat[i], &v))
			return 1;
	return 0;
}

/* Fire on one live connection; 1 if it was one to fire on. */
static int fire_one(int fd, struct sf_sock *s, const struct sf_verdict *v, struct sf_ctl_out *o)
{
	uint8_t st = SF_LOAD(&s->state);
	if (SF_LOAD(&s->dead) || (st != SF_STATE_CONNECTED && st != SF_STATE_CONNECTING))
		return 0;
	/* A call with no data of its own: the action acts on the socket, and
	 * what the program's own next call sees is the dead state's answer. */
	struct sf_call c = { .op = SF_OP_getsockopt, .fd = fd, .s = s, .v = *v };
	long ret;
	int err;
	if (v->action == SF_ACT_RESET && st == SF_STATE_CONNECTED) {
		/* As an RST that comes in: pollers see it, data queued before
		 * it is read first (sf_dead_at_time). */
		sf_dead_at_time(fd, s, v);
	} else {
		if (v->action == SF_ACT_RESET)
			SF_STORE(&s->pending_err, ECONNRESET);
		sf_dead_begin(&c, 0, &ret, &err);
	}
	ctl_rule.action = (enum sf_action)v->action;
	ctl_rule.dur_ns = v->dur_ns;
	c.op = SF_OP__COUNT; /* logged as no call's */
	sf_report_fault(&c, &ctl_rule, 0, 0, s->conn_ordinal, 0);
	SF_ADD(&sf_ctl_fire_count, 1);
	char peer[300];
	addr_text(fd, s, 1, peer, sizeof peer);
	struct sf_ctl_out *ev = &sf_ctl_events;
	sf_ctl_begin(ev);
	sf_ctl_str(ev, "event", "fired");
	sf_ctl_str(ev, "action", sf_action_names[v->action]);
	sf_ctl_num(ev, "fd", fd);
	sf_ctl_str(ev, "peer", peer);
	sf_ctl_end(ev);
	sf_ctl_begin(o);
	sf_ctl_num(o, "fired", fd);
	sf_ctl_str(o, "peer", peer);
	sf_ctl_end(o);
	return 1;
}

static int parse_fire(struct sf_ctl_req *r, struct sf_verdict *v, struct target *t, struct sf_ctl_out *o)
{
	char *action = sf_ctl_arg(r, "action");
	memset(v, 0, sizeof *v);
	v->decided = 1;
	v->action = SF_ACT__COUNT;
	for (size_t i = 0; action && i < sizeof fire_actions / sizeof fire_actions[0]; i++)
		if (strcmp(action, sf_action_names[fire_actions[i]]) == 0)
			v->action = (uint8_t)fire_actions[i];
	if (v->action == SF_ACT__COUNT) {
		sf_ctl_fail(o, "fire: unknown action '%.60s' (reset, hangup, blackhole, timeout D, eof)",
			    action ? action : "");
		free(action);
		return 0;
	}
	free(action);
	if (v->action == SF_ACT_TIMEOUT) {
		char *d = sf_ctl_arg(r, "duration");
		if (!d || sf_parse_duration(d, strlen(d), &v->dur_ns).err != SF_UNIT_OK) {
			sf_ctl_fail(o, "fire timeout: '%.60s' is not a duration (timeout 2s)", d ? d : "");
			free(d);
			return 0;
		}
		free(d);
	}
	int64_t fd;
	char *peer = sf_ctl_arg(r, "peer");
	t->fd = -1;
	t->npat = 0;
	if (sf_ctl_int(r, "fd", &fd) && fd >= 0 && fd < (int64_t)SF_FD_MAX) {
		t->fd = (int)fd;
	} else if (peer) {
		struct sf_addr_error e;
		t->npat = sf_addrpat_parse(peer, strlen(peer), t->pat, &e);
		if (!t->npat) {
			sf_ctl_fail(o, "fire: peer=%.200s: %s", peer, e.msg);
			free(peer);
			return 0;
		}
	} else {
		sf_ctl_fail(o, "fire: on which connection? (fd=N or peer=ADDR)");
		free(peer);
		return 0;
	}
	free(peer);
	return 1;
}

void sf_ctl_fire(struct sf_ctl_req *r, struct sf_ctl_out *o)
{
	struct sf_verdict v;
	struct target t;
	if (!parse_fire(r, &v, &t, o))
		return;
	unsigned fired = 0;
	/* Descriptors that share a socket (dup) fire it once: the first. */
	unsigned lo = t.fd >= 0 ? (unsigned)t.fd : 0, hi = t.fd >= 0 ? (unsigned)t.fd + 1 : SF_LOAD(&sf_fd_high);
	for (unsigned fd = lo; fd < hi; fd++) {
		sf_read_begin();
		struct sf_sock *s = sf_sock_get((int)fd);
		if (s && sf_sock_still(s, (int)fd) && (t.fd >= 0 || peer_matches((int)fd, s, &t)) &&
		    fire_one((int)fd, s, &v, o))
			fired++;
		sf_sock_release_held();
		sf_read_end();
	}
	for (size_t i = 0; i < t.npat; i++)
		free(t.pat[i].glob);
	if (!fired) {
		/* Not a bad request: nothing to reach ("none"). */
		sf_ctl_begin(o);
		sf_ctl_bool(o, "ok", 0);
		sf_ctl_bool(o, "none", 1);
		sf_ctl_str(o, "error", "fire: no live connection matches");
		sf_ctl_end(o);
		return;
	}
	sf_ctl_begin(o);
	sf_ctl_bool(o, "ok", 1);
	sf_ctl_num(o, "fired", fired);
	sf_ctl_end(o);
}
