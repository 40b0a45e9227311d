/* What replay knows a recorded fault by: the connection's text (an
 * accepted connection without the client's port) and the fault's key. */
#include "helpers.h"

#include <string.h>

#include "replaykey.h"

static void conn_text_of(const char *peer, const char *local, int accepted, const char *want)
{
	char out[128];
	sf_replay_conn_text(peer, local, accepted, out, sizeof out);
	assert_string_equal(out, want);
}

static void a_connection_made_is_its_peer(void **state)
{
	conn_text_of("10.0.0.1:80", "10.0.0.9:40123", 0, "10.0.0.1:80");
	conn_text_of("[::1]:6379", "-", 0, "[::1]:6379");
	conn_text_of("-", "-", 0, "-");
}

static void an_accepted_connection_leaves_the_clients_port_out(void **state)
{
	conn_text_of("10.0.0.1:40123", "10.0.0.9:80", 1, "10.0.0.9:80<10.0.0.1");
	conn_text_of("10.0.0.1:51999", "10.0.0.9:80", 1, "10.0.0.9:80<10.0.0.1");
	conn_text_of("[2001:db8::1]:40123", "[2001:db8::9]:443", 1, "[2001:db8::9]:443<[2001:db8::1]");
	/* No port to leave out: a unix peer (its path may hold a colon), none. */
	conn_text_of("unix:/run/a.sock", "unix:/run/srv.sock", 1, "unix:/run/srv.sock<unix:/run/a.sock");
	conn_text_of("unix:/run/a:80", "unix:/run/srv.sock", 1, "unix:/run/srv.sock<unix:/run/a:80");
	conn_text_of("-", "10.0.0.9:80", 1, "10.0.0.9:80<-");
	conn_text_of("[::1]", "-", 1, "-<[::1]");
}

static void key_depends_on_each_part(void **state)
{
	uint64_t k = sf_replay_key("1.2", "r", "10.0.0.1:80", 1, 3);
	assert_int_equal(k, sf_replay_key("1.2", "r", "10.0.0.1:80", 1, 3));
	assert_int_not_equal(k, sf_replay_key("1.3", "r", "10.0.0.1:80", 1, 3));
	assert_int_not_equal(k, sf_replay_key("1", "r", "10.0.0.1:80", 1, 3));
	assert_int_not_equal(k, sf_replay_key("1.2", "s", "10.0.0.1:80", 1, 3));
	assert_int_not_equal(k, sf_replay_key("1.2", "r", "10.0.0.1:81", 1, 3));
	assert_int_not_equal(k, sf_replay_key("1.2", "r", "10.0.0.1:80", 2, 3));
	assert_int_not_equal(k, sf_replay_key("1.2", "r", "10.0.0.1:80", 1, 4));
	/* The parts do not run into each other. */
	assert_int_not_equal(sf_replay_key("1.2", "r", "x", 1, 1), sf_replay_key("1.", "2r", "x", 1, 1));
	assert_int_not_equal(sf_replay_key("1", "r", "x", 1, 1), sf_replay_key("1", "rx", "", 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_connection_made_is_its_peer),
		cmocka_unit_test(an_accepted_connection_leaves_the_clients_port_out),
		cmocka_unit_test(key_depends_on_each_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
