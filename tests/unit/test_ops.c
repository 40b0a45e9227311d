/* Operation names, groups and their canonical printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "ops.h"

static sf_opmask look(const char *s)
{
	return sf_ops_lookup(s, strlen(s));
}

static const char *fmt(sf_opmask m)
{
	static char buf[300];
	size_t n = sf_ops_format(buf, sizeof buf, m);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void names(void **state)
{
	/* sockfault-rules(5)'s calls, each its own operation. */
	static const char *const spec[] = {
		"socket",   "socketpair", "connect",  "accept", "accept4",    "bind",	     "listen",
		"shutdown", "close",	  "dup",      "dup2",	"dup3",	      "fcntl",	     "send",
		"sendto",   "sendmsg",	  "sendmmsg", "recv",	"recvfrom",   "recvmsg",     "recvmmsg",
		"read",	    "write",	  "readv",    "writev", "getsockopt", "getpeername",
	};
	assert_int_equal(sizeof spec / sizeof spec[0], SF_OP__COUNT);
	sf_opmask seen = 0;
	for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
		sf_opmask m = look(spec[i]);
		assert_int_equal(__builtin_popcount(m), 1);
		assert_int_equal(m & seen, 0);
		seen |= m;
		assert_string_equal(sf_op_names[__builtin_ctz(m)], spec[i]);
		assert_string_equal(fmt(m), spec[i]);
	}
	assert_int_equal(seen, SF_OPS_ALL);
	assert_int_equal(look("sendfile"), 0);
	assert_int_equal(look("Send"), 0);
	assert_int_equal(look(""), 0);
	assert_int_equal(look("tx,rx"), 0);
	/* Only len bytes are read. */
	assert_int_equal(sf_ops_lookup("sendmsg", 4), SF_OPBIT(SF_OP_send));
	assert_int_equal(sf_ops_lookup("txt", 2), SF_OPS_TX);
}

static void groups(void **state)
{
	sf_opmask tx =
		look("send") | look("sendto") | look("sendmsg") | look("sendmmsg") | look("write") | look("writev");
	sf_opmask rx =
		look("recv") | look("recvfrom") | look("recvmsg") | look("recvmmsg") | look("read") | look("readv");
	assert_int_equal(look("tx"), tx);
	assert_int_equal(look("rx"), rx);
	assert_int_equal(look("io"), tx | rx);
	assert_int_equal(look("*"), SF_OPS_ALL);
	assert_int_equal(SF_OPS_TX, tx);
	assert_int_equal(SF_OPS_RX, rx);
	assert_int_equal(sf_ops_of_class(SF_CLASS_CONNECT), SF_OPBIT(SF_OP_connect));
	assert_int_equal(sf_ops_of_class(SF_CLASS_ACCEPT), look("accept") | look("accept4"));
	assert_int_equal(sf_ops_of_class(SF_CLASS_QUERY), look("getsockopt") | look("getpeername"));
	/* Every word offered as a suggestion is one the lookup knows. */
	size_t n = 0;
	for (; sf_op_words[n]; n++)
		assert_int_not_equal(look(sf_op_words[n]), 0);
	assert_int_equal(n, SF_OP__COUNT + 4);
}

static void format(void **state)
{
	assert_string_equal(fmt(SF_OPS_ALL), "*");
	assert_string_equal(fmt(SF_OPS_TX | SF_OPS_RX), "io");
	assert_string_equal(fmt(SF_OPS_TX), "tx");
	assert_string_equal(fmt(SF_OPS_RX), "rx");
	assert_string_equal(fmt(SF_OPS_RX | SF_OPBIT(SF_OP_connect)), "rx,connect");
	assert_string_equal(fmt(SF_OPS_TX | SF_OPBIT(SF_OP_recv)), "tx,recv");
	/* A group with one member missing is its members. */
	assert_string_equal(fmt(SF_OPS_TX & ~SF_OPBIT(SF_OP_write)), "send,sendto,sendmsg,sendmmsg,writev");
	/* All but one: not "*". */
	assert_string_equal(fmt(SF_OPS_ALL & ~SF_OPBIT(SF_OP_socket)),
			    "io,socketpair,connect,accept,accept4,bind,listen,shutdown,close,dup,dup2,dup3,"
			    "fcntl,getsockopt,getpeername");
	assert_string_equal(fmt(0), "");
	/* Cut like snprintf, with the full length returned. */
	char small[6];
	assert_int_equal(sf_ops_format(small, sizeof small, SF_OPBIT(SF_OP_send) | SF_OPBIT(SF_OP_recv)), 9);
	assert_string_equal(small, "send,");
	assert_int_equal(sf_ops_format(small, 3, SF_OPS_ALL), 1);
	assert_string_equal(small, "*");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(groups),
		cmocka_unit_test(format),
	};
	return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
