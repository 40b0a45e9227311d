/* Address patterns of peer= and local=: parsing, matching, printing. */
#include "helpers.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* One or two parsed patterns, freed by pats_free. */
struct pats {
	struct sf_addrpat p[2];
	size_t n;
};

static void pats_free(struct pats *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->p[i].glob);
	ps->n = 0;
}

static void pat(struct pats *ps, const char *text)
{
	struct sf_addr_error e;
	memset(ps, 0, sizeof *ps);
	ps->n = sf_addrpat_parse(text, strlen(text), ps->p, &e);
	if (!ps->n)
		print_message("# '%s' refused at %zu: %s\n", text, e.at, e.msg);
	assert_true(ps->n >= 1);
}

static struct sf_sockaddr ip6(const char *s, uint16_t port)
{
	struct sf_sockaddr a = { 0 };
	a.family = SF_ADDR_IP6;
	a.port = port;
	assert_int_equal(inet_pton(AF_INET6, s, a.ip), 1);
	return a;
}

static struct sf_sockaddr unix_path(const char *path, size_t len)
{
	struct sf_sockaddr a = { 0 };
	a.family = SF_ADDR_UNIX;
	a.path = path;
	a.path_len = len;
	return a;
}

/* Does the pattern text (one or two patterns) match the address? */
static int matches(const char *text, struct sf_sockaddr a)
{
	struct pats ps;
	int hit = 0;
	pat(&ps, text);
	for (size_t i = 0; i < ps.n; i++)
		hit |= sf_addrpat_match(&ps.p[i], &a);
	pats_free(&ps);
	return hit;
}

static void parse_fields(void **state)
{
	struct pats ps;
	pat(&ps, "10.1.2.3");
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].kind, SF_ADDR_IP4);
	assert_int_equal(ps.p[0].prefix, 32);
	assert_int_equal(ps.p[0].has_port, 0);
	assert_memory_equal(ps.p[0].ip, "\x0a\x01\x02\x03", 4);
	pats_free(&ps);

	pat(&ps, "10.1.2.3/12:80-90");
	assert_int_equal(ps.p[0].prefix, 12);
	assert_memory_equal(ps.p[0].ip, "\x0a\x00\x00\x00", 4);
	assert_int_equal(ps.p[0].has_port, 1);
	assert_int_equal(ps.p[0].port_lo, 80);
	assert_int_equal(ps.p[0].port_hi, 90);
	pats_free(&ps);

	pat(&ps, "[2001:db8:ffff::1]/33:443");
	assert_int_equal(ps.p[0].kind, SF_ADDR_IP6);
	assert_int_equal(ps.p[0].prefix, 33);
	/* Host bits cleared: bit 32 is the top bit of byte 4. */
	assert_memory_equal(ps.p[0].ip, "\x20\x01\x0d\xb8\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(ps.p[0].port_lo, 443);
	pats_free(&ps);

	pat(&ps, "*");
	assert_int_equal(ps.p[0].kind, SF_ADDR_ANY);
	assert_int_equal(ps.p[0].has_port, 0);
	pats_free(&ps);

	pat(&ps, "localhost:6379");
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.p[0].kind, SF_ADDR_IP4);
	assert_int_equal(ps.p[0].prefix, 8);
	assert_int_equal(ps.p[0].port_lo, 6379);
	assert_int_equal(ps.p[1].kind, SF_ADDR_IP6);
	assert_int_equal(ps.p[1].prefix, 128);
	assert_int_equal(ps.p[1].port_lo, 6379);
	assert_int_equal(ps.p[1].has_port, 1);
	pats_free(&ps);

	pat(&ps, "unix:/run/*.sock");
	assert_int_equal(ps.p[0].kind, SF_ADDR_UNIX);
	assert_string_equal(ps.p[0].glob, "/run/*.sock");
	pats_free(&ps);
}

static void refused(const char *text, size_t at, const char *msg)
{
	struct sf_addrpat p[2];
	struct sf_addr_error e;
	memset(&e, 0, sizeof e);
	size_t n = sf_addrpat_parse(text, strlen(text), p, &e);
	if (n)
		print_message("# '%s' accepted\n", text);
	assert_int_equal(n, 0);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.at, at);
}

static void parse_errors(void **state)
{
	refused("", 0, "an address is missing");
	refused("::1", 0, "write an IPv6 address in brackets, as [::1] or [2001:db8::]/32:443");
	refused("fe80::1:80", 0, "write an IPv6 address in brackets, as [::1] or [2001:db8::]/32:443");
	refused("example.com", 0, "peer= and local= take addresses; to match a host name use host=NAME");
	refused("1.2.3", 0, "not an IPv4 address (a.b.c.d), [IPv6], *, localhost or unix:PATH");
	refused("1.2.3.4/33", 8, "a prefix length here is a number from 0 to 32");
	refused("1.2.3.4/-1", 8, "a prefix length here is a number from 0 to 32");
	refused("1.2.3.4:65536", 8, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("1.2.3.4:9999999", 8, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("1.2.3.4:5-4", 8, "the port range is backwards (LO must not exceed HI)");
	refused("1.2.3.4:5-x", 10, "a port range is LO-HI, each 0 to 65535");
	refused("1.2.3.4:-5", 8, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("[::1", 0, "an IPv6 address opened with '[' needs its ']'");
	refused("[::1]/129", 6, "a prefix length here is a number from 0 to 128");
	refused("[::1/64]/64", 8, "the prefix length is given twice");
	refused("[::1]:", 6, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("[::1]80", 5, "after an IPv6 address comes /PREFIX or :PORT");
	refused("[1.2.3.4]", 1, "not an IPv6 address");
	refused("*80", 1, "'*' is any address; a port follows as *:PORT");
	refused("*:", 2, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("localhost:", 10, "a port is a number from 0 to 65535, or a range LO-HI");
	refused("unix:a[b", 6, "'[' opens a character set that is never closed with ']'");
	refused("unix:ab\\", 7, "a '\\' at the end of a pattern escapes nothing");
}

static void match_ipv4_and_cidr(void **state)
{
	assert_true(matches("10.1.2.3", ip4("10.1.2.3", 1)));
	assert_false(matches("10.1.2.3", ip4("10.1.2.4", 1)));
	/* CIDR boundaries: the first and last address inside, the neighbours outside. */
	assert_true(matches("10.0.0.0/8", ip4("10.0.0.0", 1)));
	assert_true(matches("10.0.0.0/8", ip4("10.255.255.255", 1)));
	assert_false(matches("10.0.0.0/8", ip4("9.255.255.255", 1)));
	assert_false(matches("10.0.0.0/8", ip4("11.0.0.0", 1)));
	assert_true(matches("192.168.1.64/26", ip4("192.168.1.127", 1)));
	assert_false(matches("192.168.1.64/26", ip4("192.168.1.128", 1)));
	assert_false(matches("192.168.1.64/26", ip4("192.168.1.63", 1)));
	assert_true(matches("172.16.0.0/12", ip4("172.31.255.255", 1)));
	assert_false(matches("172.16.0.0/12", ip4("172.32.0.0", 1)));
	assert_true(matches("0.0.0.0/0", ip4("255.1.2.3", 9)));
	assert_true(matches("1.2.3.4/31", ip4("1.2.3.5", 9)));
	assert_false(matches("1.2.3.4/31", ip4("1.2.3.6", 9)));
	/* An IPv4 pattern never matches IPv6 (mapped addresses arrive as IPv4). */
	assert_false(matches("0.0.0.0/0", ip6("::ffff:10.0.0.1", 1)));
	assert_false(matches("10.0.0.1", unix_path("/x", 2)));
}

static void match_ipv6(void **state)
{
	assert_true(matches("[::1]", ip6("::1", 80)));
	assert_false(matches("[::1]", ip6("::2", 80)));
	assert_true(matches("[2001:db8::]/32", ip6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1)));
	assert_false(matches("[2001:db8::]/32", ip6("2001:db9::", 1)));
	assert_true(matches("[2001:db8::]/33", ip6("2001:db8:7fff::1", 1)));
	assert_false(matches("[2001:db8::]/33", ip6("2001:db8:8000::", 1)));
	assert_true(matches("[::]/0", ip6("fe80::1", 1)));
	assert_true(matches("[fe80::]/10", ip6("febf::1", 1)));
	assert_false(matches("[fe80::]/10", ip6("fec0::1", 1)));
	assert_false(matches("[::]/0", ip4("1.2.3.4", 1)));
	/* The matcher takes mapped addresses as the caller gives them. */
	assert_true(matches("[::ffff:10.0.0.1]", ip6("::ffff:10.0.0.1", 1)));
}

static void match_ports(void **state)
{
	assert_true(matches("10.0.0.1:80", ip4("10.0.0.1", 80)));
	assert_false(matches("10.0.0.1:80", ip4("10.0.0.1", 81)));
	assert_true(matches("10.0.0.1:80-90", ip4("10.0.0.1", 80)));
	assert_true(matches("10.0.0.1:80-90", ip4("10.0.0.1", 90)));
	assert_false(matches("10.0.0.1:80-90", ip4("10.0.0.1", 79)));
	assert_false(matches("10.0.0.1:80-90", ip4("10.0.0.1", 91)));
	assert_true(matches("10.0.0.1:*", ip4("10.0.0.1", 12345)));
	assert_true(matches("10.0.0.0/8:0-65535", ip4("10.9.9.9", 65535)));
	assert_true(matches("[::1]:8080", ip6("::1", 8080)));
	assert_false(matches("[::1]:8080", ip6("::1", 8081)));
	assert_true(matches("localhost:6379", ip4("127.0.0.1", 6379)));
	assert_true(matches("localhost:6379", ip4("127.255.0.1", 6379)));
	assert_true(matches("localhost:6379", ip6("::1", 6379)));
	assert_false(matches("localhost:6379", ip4("127.0.0.1", 6380)));
	assert_false(matches("localhost", ip4("128.0.0.1", 1)));
	assert_false(matches("localhost", ip6("::2", 1)));
}

/* `*` alone is any address of any family; `*:PORT` is an internet address. */
static void match_any(void **state)
{
	struct sf_sockaddr unknown = { 0 };
	unknown.family = SF_ADDR_ANY;
	assert_true(matches("*", ip4("1.2.3.4", 1)));
	assert_true(matches("*", ip6("::1", 1)));
	assert_true(matches("*", unix_path("/x", 2)));
	assert_true(matches("*", unknown));
	assert_true(matches("*:5432", ip4("1.2.3.4", 5432)));
	assert_true(matches("*:5432", ip6("::1", 5432)));
	assert_false(matches("*:5432", ip4("1.2.3.4", 5433)));
	assert_false(matches("*:5432", unix_path("/x", 2)));
	assert_false(matches("*:5432", unknown));
	assert_true(matches("*:1-1024", ip6("::1", 1024)));
	assert_false(matches("*:1-1024", ip6("::1", 0)));
}

static void match_unix(void **state)
{
	assert_true(matches("unix:/run/*.sock", unix_path("/run/app.sock", 13)));
	assert_false(matches("unix:/run/*.sock", unix_path("/run/app.socket", 15)));
	/* Only path_len bytes count. */
	assert_true(matches("unix:/run/a", unix_path("/run/abc", 6)));
	/* '*' crosses slashes. */
	assert_true(matches("unix:/run/*", unix_path("/run/a/b/c", 10)));
	/* Abstract names start with '@'. */
	assert_true(matches("unix:@abstract*", unix_path("@abstract-1", 11)));
	assert_false(matches("unix:@abstract*", unix_path("/abstract-1", 11)));
	/* Unnamed sockets have the empty path. */
	assert_true(matches("unix:", unix_path("", 0)));
	assert_true(matches("unix:", unix_path(NULL, 0)));
	assert_false(matches("unix:", unix_path("/x", 2)));
	assert_true(matches("unix:*", unix_path("", 0)));
	assert_false(matches("unix:?*", unix_path("", 0)));
	/* Never an internet address, nor an unknown one. */
	struct sf_sockaddr unknown = { 0 };
	assert_false(matches("unix:*", ip4("1.2.3.4", 1)));
	assert_false(matches("unix:*", unknown));
}

static void format_patterns(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "10.1.2.3", "10.1.2.3" },
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "10.1.2.3/32", "10.1.2.3" },
		{ "10.0.0.1:80", "10.0.0.1:80" },
		{ "10.0.0.1:80-80", "10.0.0.1:80" },
		{ "10.0.0.1:1-2", "10.0.0.1:1-2" },
		{ "[::1]", "[::1]" },
		{ "[::1]/128", "[::1]" },
		{ "[2001:DB8::5]/32:1-2", "[2001:db8::]/32:1-2" },
		{ "*", "*" },
		{ "*:*", "*" },
		{ "*:53", "*:53" },
		{ "unix:/a*", "unix:/a*" },
		{ "unix:", "unix:" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pats ps;
		char buf[80];
		pat(&ps, cases[i].in);
		assert_int_equal(ps.n, 1);
		size_t n = sf_addrpat_format(buf, sizeof buf, &ps.p[0]);
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		pats_free(&ps);
	}
}

static void format_addresses(void **state)
{
	char buf[80];
	struct sf_sockaddr a = ip4("10.0.0.1", 80);
	sf_sockaddr_format(buf, sizeof buf, &a);
	assert_string_equal(buf, "10.0.0.1:80");
	a = ip6("2001:db8::1", 443);
	sf_sockaddr_format(buf, sizeof buf, &a);
	assert_string_equal(buf, "[2001:db8::1]:443");
	a = unix_path("/run/x.sock", 11);
	sf_sockaddr_format(buf, sizeof buf, &a);
	assert_string_equal(buf, "unix:/run/x.sock");
	a = unix_path("/run/x.sockGARBAGE", 11);
	sf_sockaddr_format(buf, sizeof buf, &a);
	assert_string_equal(buf, "unix:/run/x.sock");
	a = unix_path("", 0);
	sf_sockaddr_format(buf, sizeof buf, &a);
	assert_string_equal(buf, "unix:");
	struct sf_sockaddr unknown = { 0 };
	assert_int_equal(sf_sockaddr_format(buf, sizeof buf, &unknown), 1);
	assert_string_equal(buf, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_fields),	       cmocka_unit_test(parse_errors),
		cmocka_unit_test(match_ipv4_and_cidr), cmocka_unit_test(match_ipv6),
		cmocka_unit_test(match_ports),	       cmocka_unit_test(match_any),
		cmocka_unit_test(match_unix),	       cmocka_unit_test(format_patterns),
		cmocka_unit_test(format_addresses),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
