#include "report.h"

#include <string.h>

#include "alloc.h"
#include "format.h"
#include "log.h"
#include "units.h"

/* The call's operation and addresses, as text ("-" when unknown). The
 * buffers are the caller's. */
static void name_call(const struct sf_call *c, struct sf_log_call *lc, char *peer, size_t pcap, char *local,
		      size_t lcap)
{
	struct sf_sockaddr v;
	sf_call_peer(c, peer, pcap);
	strcpy(local, "-");
	if (c->s && (c->s->flags & SF_SOCK_HAS_LOCAL)) {
		sf_sock_addr_view(c->s, 0, &v);
		sf_sockaddr_format(local, lcap, &v);
	}
	/* A fault fired by hand (sockfault ctl fire) is no call's. */
	lc->op = c->op < SF_OP__COUNT ? sf_op_names[c->op] : "-";
	lc->fd = c->fd;
	lc->peer = peer;
	lc->local = local;
	lc->server = sf_call_accepted(c);
}

/* The action as the line writes it: a delay with the delay applied. */
#define ACTION_MAX 96
static void action_text(char action[ACTION_MAX], const struct sf_rule *r, uint64_t delay_ns)
{
	if (r->action == SF_ACT_DELAY) {
		char d[32];
		sf_format_duration(d, sizeof d, delay_ns - delay_ns % 1000);
		strcpy(action, "delay ");
		strcat(action, d);
	} else {
		sf_action_format(action, ACTION_MAX, r);
	}
}

void sf_report_fault(const struct sf_call *c, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
		     uint64_t call)
{
	char action[ACTION_MAX], peer[160], local[160];
	if (r->quiet || sf_logfd_off())
		return;
	action_text(action, r, delay_ns);
	struct sf_log_call lc;
	name_call(c, &lc, peer, sizeof peer, local, sizeof local);
	struct sf_log_firing f = {
		.rule = r->name, .line = r->line, .action = action, .err = err, .conn = conn, .call = call
	};
	sf_log_fault(&lc, &f);
}

struct sf_firing_note {
	struct sf_firing_note *next;
	size_t size;
	struct sf_log_firing f;
	char text[]; /* the rule's name, then the action */
};

void sf_report_fault_later(struct sf_firings *fs, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
			   uint64_t call)
{
	char action[ACTION_MAX];
	if (r->quiet || sf_logfd_off())
		return;
	action_text(action, r, delay_ns);
	size_t nlen = strlen(r->name) + 1, alen = strlen(action) + 1;
	size_t size = sizeof(struct sf_firing_note) + nlen + alen;
	struct sf_firing_note *n = sf_alloc(size);
	if (!n)
		return;
	memcpy(n->text, r->name, nlen);
	memcpy(n->text + nlen, action, alen);
	n->next = NULL;
	n->size = size;
	n->f = (struct sf_log_firing){
		.rule = n->text, .line = r->line, .action = n->text + nlen, .err = err, .conn = conn, .call = call
	};
	*fs->tail = n;
	fs->tail = &n->next;
}

void sf_report_firings(struct sf_firings *fs, const struct sf_call *c)
{
	char peer[160], local[160];
	struct sf_log_call lc;
	name_call(c, &lc, peer, sizeof peer, local, sizeof local);
	for (struct sf_firing_note *n = fs->head, *next; n; n = next) {
		next = n->next;
		sf_log_fault(&lc, &n->f);
		sf_free(n, n->size);
	}
	sf_firings_init(fs);
}

void sf_report_trace(const struct sf_call *c, long ret, int err)
{
	char peer[160], local[160];
	if (sf_logfd_off())
		return;
	struct sf_log_call lc;
	name_call(c, &lc, peer, sizeof peer, local, sizeof local);
	sf_log_trace(&lc, ret, err);
}

void sf_report_stats(const struct sf_active *a)
{
	for (unsigned i = 0; i < a->rs.n; i++) {
		const struct sf_rule *r = &a->rs.rules[i];
		sf_log_stats(r->name, r->line, a->for_exe[i] ? NULL : r->exe, SF_LOAD(&a->stats[i].matched),
			     SF_LOAD(&a->stats[i].fired));
	}
}
