#include "rules.h"

#include <stdlib.h>
#include <string.h>

const char *const sf_proto_names[4] = { "tcp", "udp", "unix", NULL };
const char *const sf_side_names[3] = { "client", "server", NULL };
const char *const sf_per_names[3] = { "conn", "process", NULL };

const char *const sf_state_names[SF_STATE__COUNT + 1] = {
	"unconnected", "connecting", "connected", "listening", "shutdown", NULL,
};

const char *const *const sf_num_names = sf_key_names + SF_KEY_SENT;

static void free_addrs(struct sf_addrpat *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(a[i].glob);
	free(a);
}

void sf_rule_free(struct sf_rule *r)
{
	free(r->name);
	free_addrs(r->peers, r->npeers);
	free_addrs(r->locals, r->nlocals);
	for (unsigned h = 0; h < r->nhosts; h++)
		free(r->hosts[h]);
	free(r->hosts);
	free(r->exe);
	free(r->p_text);
	free(r->loss_text);
	memset(r, 0, sizeof *r);
}

void sf_ruleset_free(struct sf_ruleset *rs)
{
	for (unsigned i = 0; i < rs->n; i++)
		sf_rule_free(&rs->rules[i]);
	free(rs->rules);
	rs->rules = NULL;
	rs->n = rs->cap = 0;
}
