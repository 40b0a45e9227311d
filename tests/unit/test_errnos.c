/* The errno table and its Winsock aliases (sockfault-rules(5), error E). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errnos.h"
#include "suggest.h"

static enum sf_errno_status parse(const char *s, int *value, const struct sf_wsa_entry **wsa)
{
	*value = -12345;
	return sf_errno_parse(s, strlen(s), value, wsa);
}

static int index_of_name(const char *name)
{
	for (size_t i = 0; i < sf_errno_count; i++)
		if (strcmp(sf_errno_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* name -> number -> name gives the same name, or the first name of an alias. */
static void posix_names_round_trip(void **state)
{
	assert_true(sf_errno_count > 120);
	for (size_t i = 0; i < sf_errno_count; i++) {
		const struct sf_errno_entry *e = &sf_errno_table[i];
		int v;
		const struct sf_wsa_entry *wsa = (const void *)1;
		assert_int_equal(parse(e->name, &v, &wsa), SF_ERRNO_OK);
		assert_int_equal(v, e->value);
		assert_null(wsa);
		const char *back = sf_errno_name(v);
		assert_non_null(back);
		/* The first entry with this value, which is this one or an earlier one. */
		int first = index_of_name(back);
		assert_true(first >= 0 && (size_t)first <= i);
		assert_int_equal(sf_errno_table[first].value, e->value);
		for (int k = 0; k < first; k++)
			assert_int_not_equal(sf_errno_table[k].value, e->value);
		/* The number parses to the same value. */
		char num[16];
		snprintf(num, sizeof num, "%d", e->value);
		assert_int_equal(parse(num, &v, NULL), SF_ERRNO_OK);
		assert_int_equal(v, e->value);
		/* Names are unique and look like errno names. */
		assert_int_equal(index_of_name(e->name), (int)i);
		assert_int_equal(e->name[0], 'E');
		assert_true(e->value > 0 && e->value < 10000);
	}
}

static void aliases_print_as_their_first_name(void **state)
{
	int v;
	assert_int_equal(parse("EWOULDBLOCK", &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, EAGAIN);
	assert_string_equal(sf_errno_name(EWOULDBLOCK), "EAGAIN");
	assert_int_equal(parse("EDEADLOCK", &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, EDEADLK);
	assert_string_equal(sf_errno_name(EDEADLOCK), "EDEADLK");
	assert_int_equal(parse("ENOTSUP", &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, ENOTSUP);
	assert_string_equal(sf_errno_name(ENOTSUP), "EOPNOTSUPP");
}

static void spot_checks(void **state)
{
	static const struct {
		const char *name;
		int value;
	} cases[] = {
		{ "EPERM", EPERM },
		{ "ECONNRESET", ECONNRESET },
		{ "ENOTCONN", ENOTCONN },
		{ "EISCONN", EISCONN },
		{ "EALREADY", EALREADY },
		{ "ETIMEDOUT", ETIMEDOUT },
		{ "ECONNREFUSED", ECONNREFUSED },
		{ "EPIPE", EPIPE },
		{ "EHOSTUNREACH", EHOSTUNREACH },
		{ "ENETUNREACH", ENETUNREACH },
		{ "EINPROGRESS", EINPROGRESS },
		{ "EMFILE", EMFILE },
		{ "EADDRINUSE", EADDRINUSE },
		{ "ECONNABORTED", ECONNABORTED },
		{ "ENETRESET", ENETRESET },
		{ "EHWPOISON", EHWPOISON },
		{ "EINTR", EINTR },
		{ "ENOBUFS", ENOBUFS },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int v;
		assert_int_equal(parse(cases[i].name, &v, NULL), SF_ERRNO_OK);
		assert_int_equal(v, cases[i].value);
		assert_string_equal(sf_errno_name(cases[i].value), cases[i].name);
	}
	int v;
	assert_int_equal(parse("104", &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, ECONNRESET);
	assert_int_equal(parse("0104", &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, ECONNRESET);
}

static void unknown_names_and_numbers(void **state)
{
	static const char *const bad[] = {
		"",	  "0",	   "-1",    "+104",    " 104", "104 ", "econnreset", "ECONNRESET ",    "E",
		"EFOO",	  "10000", "99999", "1000000", "0x68", "4095", "WSAE",	     "WSAECONNRESET2", "wsaeconnreset",
		"10054x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int v;
		const struct sf_wsa_entry *wsa = (const void *)1;
		enum sf_errno_status st = parse(bad[i], &v, &wsa);
		if (st != SF_ERRNO_UNKNOWN)
			print_message("# accepted: '%s'\n", bad[i]);
		assert_int_equal(st, SF_ERRNO_UNKNOWN);
		assert_int_equal(v, -12345);
		assert_null(wsa);
	}
	assert_null(sf_errno_name(0));
	assert_null(sf_errno_name(-1));
	assert_null(sf_errno_name(10054));
}

/* sockfault-rules(5)'s list, by name and by number. */
static void winsock_spec_list(void **state)
{
	static const struct {
		const char *name;
		int code, value;
	} cases[] = {
		{ "WSAENOTCONN", 10057, ENOTCONN },
		{ "WSAEISCONN", 10056, EISCONN },
		{ "WSAEALREADY", 10037, EALREADY },
		{ "WSAETIMEDOUT", 10060, ETIMEDOUT },
		{ "WSAECONNRESET", 10054, ECONNRESET },
		{ "WSAECONNABORTED", 10053, ECONNABORTED },
		{ "WSAECONNREFUSED", 10061, ECONNREFUSED },
		{ "WSAENETRESET", 10052, ENETRESET },
		{ "WSAESHUTDOWN", 10058, EPIPE },
		{ "WSAEWOULDBLOCK", 10035, EAGAIN },
		{ "WSAEHOSTUNREACH", 10065, EHOSTUNREACH },
		{ "WSAEINTR", 10004, EINTR },
		{ "WSAEINPROGRESS", 10036, EINPROGRESS },
		{ "WSAEMSGSIZE", 10040, EMSGSIZE },
		{ "WSAENETUNREACH", 10051, ENETUNREACH },
		{ "WSAEADDRINUSE", 10048, EADDRINUSE },
		{ "WSAEADDRNOTAVAIL", 10049, EADDRNOTAVAIL },
		{ "WSAENOBUFS", 10055, ENOBUFS },
		{ "WSAEACCES", 10013, EACCES },
		{ "WSAENOTSOCK", 10038, ENOTSOCK },
		{ "WSAEAFNOSUPPORT", 10047, EAFNOSUPPORT },
		{ "WSAENETDOWN", 10050, ENETDOWN },
		{ "WSAEHOSTDOWN", 10064, EHOSTDOWN },
		{ "WSAEMFILE", 10024, EMFILE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int v;
		const struct sf_wsa_entry *wsa = NULL;
		char num[16];
		assert_int_equal(parse(cases[i].name, &v, &wsa), SF_ERRNO_OK);
		assert_int_equal(v, cases[i].value);
		assert_non_null(wsa);
		assert_string_equal(wsa->name, cases[i].name);
		assert_int_equal(wsa->code, cases[i].code);
		snprintf(num, sizeof num, "%d", cases[i].code);
		wsa = NULL;
		assert_int_equal(parse(num, &v, &wsa), SF_ERRNO_OK);
		assert_int_equal(v, cases[i].value);
		assert_non_null(wsa);
		assert_string_equal(wsa->name, cases[i].name);
	}
}

/* Every entry of the table does what it says, by name and by number. */
static void winsock_table_entries(void **state)
{
	assert_true(sf_wsa_count > 60);
	int prev_code = 0;
	for (size_t i = 0; i < sf_wsa_count; i++) {
		const struct sf_wsa_entry *e = &sf_wsa_table[i];
		const struct sf_wsa_entry *wsa = NULL;
		int v;
		assert_int_equal(strncmp(e->name, "WSA", 3), 0);
		enum sf_errno_status st = parse(e->name, &v, &wsa);
		assert_ptr_equal(wsa, e);
		if (e->posix) {
			assert_int_equal(st, SF_ERRNO_OK);
			assert_int_equal(v, e->posix);
			/* The counterpart is an errno of the table, so it prints by name. */
			assert_non_null(sf_errno_name(e->posix));
		} else {
			assert_int_equal(st, SF_ERRNO_NO_COUNTERPART);
			assert_int_equal(v, -12345);
		}
		if (e->code) {
			char num[16];
			/* Codes are unique and in order. */
			assert_true(e->code > prev_code);
			assert_true(e->code >= 10000 && e->code < 12000);
			prev_code = e->code;
			snprintf(num, sizeof num, "%d", e->code);
			wsa = NULL;
			assert_int_equal(parse(num, &v, &wsa), st);
			assert_ptr_equal(wsa, e);
			if (e->posix)
				assert_int_equal(v, e->posix);
		}
		/* Names are unique. */
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(sf_wsa_table[k].name, e->name);
	}
}

static void winsock_without_counterpart(void **state)
{
	static const struct {
		const char *text;
		const char *name;
		int code;
	} cases[] = {
		{ "WSAEPROCLIM", "WSAEPROCLIM", 10067 },
		{ "10067", "WSAEPROCLIM", 10067 },
		{ "WSASYSNOTREADY", "WSASYSNOTREADY", 10091 },
		{ "10091", "WSASYSNOTREADY", 10091 },
		{ "WSANOTINITIALISED", "WSANOTINITIALISED", 10093 },
		{ "WSAHOST_NOT_FOUND", "WSAHOST_NOT_FOUND", 11001 },
		{ "11004", "WSANO_DATA", 11004 },
		{ "WSA_IO_INCOMPLETE", "WSA_IO_INCOMPLETE", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int v;
		const struct sf_wsa_entry *wsa = NULL;
		assert_int_equal(parse(cases[i].text, &v, &wsa), SF_ERRNO_NO_COUNTERPART);
		assert_int_equal(v, -12345);
		assert_non_null(wsa);
		assert_string_equal(wsa->name, cases[i].name);
		assert_int_equal(wsa->code, cases[i].code);
		assert_int_equal(wsa->posix, 0);
	}
	/* The wsa out-parameter is optional. */
	int v;
	assert_int_equal(sf_errno_parse("10067", 5, &v, NULL), SF_ERRNO_NO_COUNTERPART);
	assert_int_equal(sf_errno_parse("10054", 5, &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, ECONNRESET);
}

/* Only `len` bytes are read: the text need not be terminated. */
static void parse_reads_only_len(void **state)
{
	int v;
	assert_int_equal(sf_errno_parse("EIOXYZ", 3, &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, EIO);
	assert_int_equal(sf_errno_parse("1049", 3, &v, NULL), SF_ERRNO_OK);
	assert_int_equal(v, ECONNRESET);
	assert_int_equal(sf_errno_parse("WSAECONNRESET", 12, &v, NULL), SF_ERRNO_UNKNOWN);
}

static int count_wsa_for(int value, const char **names, int max)
{
	int n = 0;
	const struct sf_wsa_entry *w = NULL;
	/* Bounded: never more than the table holds. */
	for (size_t guard = 0; guard <= sf_wsa_count; guard++) {
		w = sf_wsa_next_for(value, w);
		if (!w)
			return n;
		assert_int_equal(w->posix, value);
		if (n < max)
			names[n] = w->name;
		n++;
	}
	fail_msg("sf_wsa_next_for did not end");
	return -1;
}

static void wsa_next_for_iterates(void **state)
{
	const char *names[8];
	assert_int_equal(count_wsa_for(ECONNRESET, names, 8), 1);
	assert_string_equal(names[0], "WSAECONNRESET");
	assert_int_equal(count_wsa_for(EPIPE, names, 8), 1);
	assert_string_equal(names[0], "WSAESHUTDOWN");
	assert_int_equal(count_wsa_for(EBADF, names, 8), 2);
	assert_string_equal(names[0], "WSA_INVALID_HANDLE");
	assert_string_equal(names[1], "WSAEBADF");
	assert_int_equal(count_wsa_for(ECANCELED, names, 8), 3);
	assert_string_equal(names[0], "WSA_OPERATION_ABORTED");
	assert_string_equal(names[1], "WSAECANCELLED");
	assert_string_equal(names[2], "WSA_E_CANCELLED");
	assert_int_equal(count_wsa_for(EINPROGRESS, names, 8), 2);
	assert_int_equal(count_wsa_for(EAGAIN, names, 8), 1);
	assert_string_equal(names[0], "WSAEWOULDBLOCK");
	/* No Winsock code means these; 0 is "no counterpart", never a match. */
	assert_int_equal(count_wsa_for(ECHILD, names, 8), 0);
	assert_int_equal(count_wsa_for(0, names, 8), 0);
	assert_int_equal(count_wsa_for(-1, names, 8), 0);

	/* Every mapped entry is reached exactly once over all values. */
	size_t total = 0, mapped = 0;
	for (size_t i = 0; i < sf_errno_count; i++)
		if (sf_errno_name(sf_errno_table[i].value) == sf_errno_table[i].name)
			total += (size_t)count_wsa_for(sf_errno_table[i].value, names, 0);
	for (size_t i = 0; i < sf_wsa_count; i++)
		mapped += sf_wsa_table[i].posix != 0;
	assert_int_equal(total, mapped);
}

static void suggestions_cover_both_tables(void **state)
{
	struct sf_suggest sg;
	sf_suggest_init(&sg, "ECONNRESTE", 10);
	sf_errno_suggest(&sg);
	assert_string_equal(sf_suggest_result(&sg), "ECONNRESET");
	sf_suggest_init(&sg, "WSAETIMEDOUTT", 13);
	sf_errno_suggest(&sg);
	assert_string_equal(sf_suggest_result(&sg), "WSAETIMEDOUT");
	sf_suggest_init(&sg, "etimedout", 9);
	sf_errno_suggest(&sg);
	assert_string_equal(sf_suggest_result(&sg), "ETIMEDOUT");
	sf_suggest_init(&sg, "XYZZYQQQQ", 9);
	sf_errno_suggest(&sg);
	assert_null(sf_suggest_result(&sg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(posix_names_round_trip),
		cmocka_unit_test(aliases_print_as_their_first_name),
		cmocka_unit_test(spot_checks),
		cmocka_unit_test(unknown_names_and_numbers),
		cmocka_unit_test(winsock_spec_list),
		cmocka_unit_test(winsock_table_entries),
		cmocka_unit_test(winsock_without_counterpart),
		cmocka_unit_test(parse_reads_only_len),
		cmocka_unit_test(wsa_next_for_iterates),
		cmocka_unit_test(suggestions_cover_both_tables),
	};
	return cmocka_run_group_tests_name("errnos", tests, NULL, NULL);
}
