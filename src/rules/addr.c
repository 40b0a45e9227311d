#include "addr.h"
#include "glob.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t failf(struct sf_addr_error *err, size_t at, const char *msg)
{
	err->at = at;
	snprintf(err->msg, sizeof err->msg, "%s", msg);
	return 0;
}

static int parse_u(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (len == 0 || len > 6)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

/* `:PORT`, `:LO-HI` or `:*` at s[0] == ':'. */
static int parse_port(const char *s, size_t len, size_t base, struct sf_addrpat *p, struct sf_addr_error *err)
{
	s++, len--, base++;
	if (len == 1 && s[0] == '*')
		return 1;
	const char *dash = memchr(s, '-', len);
	unsigned long lo, hi;
	size_t lolen = dash ? (size_t)(dash - s) : len;
	if (!parse_u(s, lolen, 65535, &lo))
		return (int)failf(err, base, "a port is a number from 0 to 65535, or a range LO-HI");
	hi = lo;
	if (dash && !parse_u(dash + 1, len - lolen - 1, 65535, &hi))
		return (int)failf(err, base + lolen + 1, "a port range is LO-HI, each 0 to 65535");
	if (hi < lo)
		return (int)failf(err, base, "the port range is backwards (LO must not exceed HI)");
	p->has_port = 1;
	p->port_lo = (uint16_t)lo;
	p->port_hi = (uint16_t)hi;
	return 1;
}

/* `/N` prefix at s[0] == '/'. */
static int parse_prefix(const char *s, size_t len, size_t base, unsigned max, struct sf_addrpat *p,
			struct sf_addr_error *err)
{
	unsigned long n;
	if (!parse_u(s + 1, len - 1, max, &n)) {
		char m[96];
		snprintf(m, sizeof m, "a prefix length here is a number from 0 to %u", max);
		return (int)failf(err, base + 1, m);
	}
	p->prefix = (uint8_t)n;
	return 1;
}

static void mask_host_bits(struct sf_addrpat *p)
{
	for (unsigned bit = p->prefix; bit < 128; bit++)
		p->ip[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

static size_t parse_ip6(const char *s, size_t len, struct sf_addrpat *p, struct sf_addr_error *err)
{
	/* [ADDR]  [ADDR]/N  [ADDR/N]  each with an optional :PORT */
	const char *close = memchr(s, ']', len);
	if (!close)
		return failf(err, 0, "an IPv6 address opened with '[' needs its ']'");
	size_t inner_len = (size_t)(close - s) - 1;
	const char *inner = s + 1;
	const char *slash = memchr(inner, '/', inner_len);
	size_t addr_len = slash ? (size_t)(slash - inner) : inner_len;
	char buf[INET6_ADDRSTRLEN + 1];
	if (addr_len == 0 || addr_len >= sizeof buf)
		return failf(err, 1, "not an IPv6 address");
	memcpy(buf, inner, addr_len);
	buf[addr_len] = '\0';
	if (inet_pton(AF_INET6, buf, p->ip) != 1)
		return failf(err, 1, "not an IPv6 address");
	p->kind = SF_ADDR_IP6;
	p->prefix = 128;
	if (slash && !parse_prefix(slash, inner_len - addr_len, 1 + addr_len, 128, p, err))
		return 0;
	size_t i = (size_t)(close - s) + 1;
	if (i < len && s[i] == '/') {
		if (slash)
			return failf(err, i, "the prefix length is given twice");
		size_t j = i;
		while (j < len && s[j] != ':')
			j++;
		if (!parse_prefix(s + i, j - i, i, 128, p, err))
			return 0;
		i = j;
	}
	if (i < len && s[i] != ':')
		return failf(err, i, "after an IPv6 address comes /PREFIX or :PORT");
	if (i < len && !parse_port(s + i, len - i, i, p, err))
		return 0;
	mask_host_bits(p);
	return 1;
}

static int looks_like_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_')
			return 1;
	return 0;
}

static size_t parse_ip4(const char *s, size_t len, struct sf_addrpat *p, struct sf_addr_error *err)
{
	size_t end = 0;
	while (end < len && s[end] != '/' && s[end] != ':')
		end++;
	char buf[INET_ADDRSTRLEN + 1];
	int ok = end > 0 && end < sizeof buf;
	if (ok) {
		memcpy(buf, s, end);
		buf[end] = '\0';
		ok = inet_pton(AF_INET, buf, p->ip) == 1;
	}
	if (!ok) {
		if (looks_like_name(s, end))
			return failf(err, 0, "peer= and local= take addresses; to match a host name use host=NAME");
		return failf(err, 0, "not an IPv4 address (a.b.c.d), [IPv6], *, localhost or unix:PATH");
	}
	p->kind = SF_ADDR_IP4;
	p->prefix = 32;
	size_t i = end;
	if (i < len && s[i] == '/') {
		size_t j = i;
		while (j < len && s[j] != ':')
			j++;
		if (!parse_prefix(s + i, j - i, i, 32, p, err))
			return 0;
		i = j;
	}
	if (i < len && !parse_port(s + i, len - i, i, p, err))
		return 0;
	for (unsigned bit = p->prefix; bit < 32; bit++)
		p->ip[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return 1;
}

size_t sf_addrpat_parse(const char *s, size_t len, struct sf_addrpat out[2], struct sf_addr_error *err)
{
	struct sf_addrpat *p = &out[0];
	memset(p, 0, sizeof *p);
	p->port_hi = 65535;
	if (len == 0)
		return failf(err, 0, "an address is missing");
	if (len >= 5 && memcmp(s, "unix:", 5) == 0) {
		size_t at;
		p->kind = SF_ADDR_UNIX;
		p->glob = strndup(s + 5, len - 5);
		if (!p->glob)
			return failf(err, 0, "out of memory");
		const char *why = sf_glob_check(p->glob, &at);
		if (why) {
			free(p->glob);
			p->glob = NULL;
			return failf(err, 5 + at, why);
		}
		return 1;
	}
	if (s[0] == '*') {
		p->kind = SF_ADDR_ANY;
		if (len > 1 && s[1] != ':')
			return failf(err, 1, "'*' is any address; a port follows as *:PORT");
		if (len > 1 && !parse_port(s + 1, len - 1, 1, p, err))
			return 0;
		return 1;
	}
	if (len >= 9 && memcmp(s, "localhost", 9) == 0 && (len == 9 || s[9] == ':')) {
		if (len > 9 && !parse_port(s + 9, len - 9, 9, p, err))
			return 0;
		struct sf_addrpat *q = &out[1];
		*q = *p;
		p->kind = SF_ADDR_IP4;
		p->prefix = 8;
		p->ip[0] = 127;
		q->kind = SF_ADDR_IP6;
		q->prefix = 128;
		memset(q->ip, 0, sizeof q->ip);
		q->ip[15] = 1;
		return 2;
	}
	if (s[0] == '[')
		return parse_ip6(s, len, p, err);
	/* Two or more colons without brackets is a bare IPv6 address, whose last
	 * group cannot be told from a port: ask for brackets. */
	size_t colons = 0;
	for (size_t i = 0; i < len; i++)
		colons += s[i] == ':';
	if (colons >= 2)
		return failf(err, 0, "write an IPv6 address in brackets, as [::1] or [2001:db8::]/32:443");
	return parse_ip4(s, len, p, err);
}

static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xffu << (8 - rest));
		return (a[bytes] & m) == (b[bytes] & m);
	}
	return 1;
}

int sf_addrpat_match(const struct sf_addrpat *pat, const struct sf_sockaddr *a)
{
	switch (pat->kind) {
	case SF_ADDR_ANY:
		if (!pat->has_port)
			return 1;
		break;
	case SF_ADDR_UNIX: {
		if (a->family != SF_ADDR_UNIX)
			return 0;
		return sf_glob_match(pat->glob, a->path ? a->path : "", a->path ? a->path_len : 0);
	}
	case SF_ADDR_IP4:
	case SF_ADDR_IP6:
		if (a->family != pat->kind || !prefix_equal(pat->ip, a->ip, pat->prefix))
			return 0;
		break;
	}
	if (a->family != SF_ADDR_IP4 && a->family != SF_ADDR_IP6)
		return 0;
	return !pat->has_port || (a->port >= pat->port_lo && a->port <= pat->port_hi);
}

static size_t port_suffix(char *buf, size_t cap, const struct sf_addrpat *p)
{
	if (!p->has_port)
		return (size_t)snprintf(buf, cap, "%s", "");
	if (p->port_lo == p->port_hi)
		return (size_t)snprintf(buf, cap, ":%u", p->port_lo);
	return (size_t)snprintf(buf, cap, ":%u-%u", p->port_lo, p->port_hi);
}

size_t sf_addrpat_format(char *buf, size_t cap, const struct sf_addrpat *p)
{
	char ip[INET6_ADDRSTRLEN], port[16];
	port_suffix(port, sizeof port, p);
	switch (p->kind) {
	case SF_ADDR_ANY:
		return (size_t)snprintf(buf, cap, "*%s", port);
	case SF_ADDR_UNIX:
		return (size_t)snprintf(buf, cap, "unix:%s", p->glob);
	case SF_ADDR_IP4:
		inet_ntop(AF_INET, p->ip, ip, sizeof ip);
		if (p->prefix == 32)
			return (size_t)snprintf(buf, cap, "%s%s", ip, port);
		return (size_t)snprintf(buf, cap, "%s/%u%s", ip, p->prefix, port);
	default:
		inet_ntop(AF_INET6, p->ip, ip, sizeof ip);
		if (p->prefix == 128)
			return (size_t)snprintf(buf, cap, "[%s]%s", ip, port);
		return (size_t)snprintf(buf, cap, "[%s]/%u%s", ip, p->prefix, port);
	}
}

size_t sf_sockaddr_format(char *buf, size_t cap, const struct sf_sockaddr *a)
{
	char ip[INET6_ADDRSTRLEN];
	switch (a->family) {
	case SF_ADDR_IP4:
		inet_ntop(AF_INET, a->ip, ip, sizeof ip);
		return (size_t)snprintf(buf, cap, "%s:%u", ip, a->port);
	case SF_ADDR_IP6:
		inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
		return (size_t)snprintf(buf, cap, "[%s]:%u", ip, a->port);
	case SF_ADDR_UNIX:
		if (!a->path || !a->path_len)
			return (size_t)snprintf(buf, cap, "unix:");
		return (size_t)snprintf(buf, cap, "unix:%.*s", (int)a->path_len, a->path);
	default:
		return (size_t)snprintf(buf, cap, "-");
	}
}
