/* Windows programs under Wine: the program's name from the loader's command
 * line, the errno given to Wine, the rules wineserver leaves out. wine.c is
 * included, to reach its static helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../src/preload/state/wine.c"

/* program_of over a command line given as words. */
static const char *program(const char *const *words, char *name, size_t cap)
{
	char buf[512];
	size_t n = 0;
	for (int i = 0; words[i]; i++) {
		size_t len = strlen(words[i]) + 1;
		assert_true(n + len <= sizeof buf);
		memcpy(buf + n, words[i], len);
		n += len;
	}
	snprintf(name, cap, "unchanged");
	return program_of(buf, n, name, cap) ? name : NULL;
}

static void name_from_command_line(void **state)
{
	(void)state;
	char name[64];
	/* As Debian's wine script starts it; with the preloader; a Windows path. */
	const char *const loader[] = { "/usr/lib/wine/wine64", "./client.exe", "4711", "connect", NULL };
	assert_string_equal(program(loader, name, sizeof name), "client.exe");
	const char *const pre[] = { "/usr/lib/wine/wine64-preloader", "/usr/lib/wine/wine64", "/tmp/x/app.exe", NULL };
	assert_string_equal(program(pre, name, sizeof name), "app.exe");
	const char *const win[] = { "/usr/lib/wine/wine64", "C:\\windows\\system32\\services.exe", NULL };
	assert_string_equal(program(win, name, sizeof name), "services.exe");
	/* Once Wine has rewritten it, the program comes first. */
	const char *const rewritten[] = { "C:\\apps\\Client.EXE", "4711", NULL };
	assert_string_equal(program(rewritten, name, sizeof name), "Client.EXE");
	/* A parent that is not Wine names no program; nor does a bare loader. */
	const char *const shell[] = { "/bin/sh", "-c", "wineserver -p", NULL };
	assert_null(program(shell, name, sizeof name));
	const char *const bare[] = { "/usr/lib/wine/wine64", NULL };
	assert_null(program(bare, name, sizeof name));
	assert_string_equal(name, "unchanged");
	/* A long name is cut to the buffer, never past it. */
	char small[8];
	assert_string_equal(program(loader, small, sizeof small), "client.");
}

static void errno_given_to_wine(void **state)
{
	(void)state;
	sf_wine_role = SF_WINE_NONE;
	assert_int_equal(sf_wine_errno(EPIPE), EPIPE);
	sf_wine_role = SF_WINE_PROGRAM;
	assert_int_equal(sf_wine_errno(EPIPE), ESHUTDOWN);
	assert_int_equal(sf_wine_errno(ECONNRESET), ECONNRESET);
	assert_int_equal(sf_wine_errno(ENOTCONN), ENOTCONN);
	sf_wine_role = SF_WINE_SERVER;
	assert_int_equal(sf_wine_errno(EPIPE), ESHUTDOWN);
	sf_wine_role = SF_WINE_NONE;
}

static void no_sleep_in_wineserver(void **state)
{
	(void)state;
	struct sf_rule r;
	memset(&r, 0, sizeof r);
	r.protos = SF_PROTO_TCP;
	enum sf_action sleeping[] = { SF_ACT_DELAY, SF_ACT_THROTTLE, SF_ACT_LOSSY };
	enum sf_action other[] = { SF_ACT_ERROR, SF_ACT_RESET, SF_ACT_TIMEOUT, SF_ACT_BLACKHOLE, SF_ACT_SHORT };
	for (enum sf_wine_role role = SF_WINE_NONE; role <= SF_WINE_SERVER; role++) {
		sf_wine_role = role;
		for (size_t i = 0; i < sizeof sleeping / sizeof sleeping[0]; i++) {
			r.action = sleeping[i];
			r.ops = SF_OPBIT(SF_OP_connect);
			sf_wine_fit(&r);
			assert_int_equal(r.ops != 0, role != SF_WINE_SERVER);
		}
		for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
			r.action = other[i];
			r.ops = SF_OPBIT(SF_OP_connect);
			sf_wine_fit(&r);
			assert_int_equal(r.ops, SF_OPBIT(SF_OP_connect));
		}
	}
	sf_wine_role = SF_WINE_NONE;
}

static void no_unix_socket_in_wine(void **state)
{
	(void)state;
	struct sf_rule r;
	memset(&r, 0, sizeof r);
	r.action = SF_ACT_ERROR;
	sf_wine_role = SF_WINE_NONE;
	r.protos = SF_PROTO_UNIX;
	r.ops = SF_OPS_TX;
	sf_wine_fit(&r);
	assert_int_equal(r.protos, SF_PROTO_UNIX);
	assert_int_equal(r.ops, SF_OPS_TX);
	for (enum sf_wine_role role = SF_WINE_PROGRAM; role <= SF_WINE_SERVER; role++) {
		sf_wine_role = role;
		r.protos = SF_PROTO_ALL;
		r.ops = SF_OPS_TX;
		sf_wine_fit(&r);
		assert_int_equal(r.protos, SF_PROTO_TCP | SF_PROTO_UDP);
		assert_int_equal(r.ops, SF_OPS_TX);
		r.protos = SF_PROTO_UNIX;
		sf_wine_fit(&r);
		assert_int_equal(r.ops, 0);
	}
	sf_wine_role = SF_WINE_NONE;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_from_command_line),
		cmocka_unit_test(errno_given_to_wine),
		cmocka_unit_test(no_sleep_in_wineserver),
		cmocka_unit_test(no_unix_socket_in_wine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
