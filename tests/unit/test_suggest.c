/* "Did you mean": the edit distance and when it is close enough to suggest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "suggest.h"

static unsigned dist(const char *a, const char *b)
{
	return sf_edit_distance(a, strlen(a), b, strlen(b));
}

static const char *best(const char *word, const char *const *words)
{
	struct sf_suggest sg;
	sf_suggest_init(&sg, word, strlen(word));
	sf_suggest_list(&sg, words);
	return sf_suggest_result(&sg);
}

static void edit_distance(void **state)
{
	assert_int_equal(dist("", ""), 0);
	assert_int_equal(dist("abc", ""), 3);
	assert_int_equal(dist("", "abc"), 3);
	assert_int_equal(dist("abc", "abc"), 0);
	assert_int_equal(dist("abc", "abd"), 1);   /* substitution */
	assert_int_equal(dist("abc", "abcd"), 1);  /* insertion */
	assert_int_equal(dist("abcd", "abc"), 1);  /* deletion */
	assert_int_equal(dist("abdc", "abcd"), 1); /* transposition */
	assert_int_equal(dist("conect", "connect"), 1);
	assert_int_equal(dist("kitten", "sitting"), 3);
	assert_int_equal(dist("ECONNRSEET", "ECONNRESET"), 1);
	/* Optimal string alignment: "ca" to "abc" is 3, not 2 as in full Damerau. */
	assert_int_equal(dist("ca", "abc"), 3);
	/* Case-insensitive. */
	assert_int_equal(dist("econnreset", "ECONNRESET"), 0);
	assert_int_equal(dist("Tx", "tX"), 0);
	/* Symmetric. */
	assert_int_equal(dist("sendmsg", "recvmsg"), dist("recvmsg", "sendmsg"));
	/* Too long to compare: never close. */
	char longw[80];
	memset(longw, 'a', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	assert_int_equal(dist(longw, "a"), (unsigned)-1);
	assert_int_equal(sf_edit_distance(longw, 64, longw, 64), 0);
	assert_int_equal(sf_edit_distance(longw, 65, longw, 65), (unsigned)-1);
	/* Only len bytes are read. */
	assert_int_equal(sf_edit_distance("abcXYZ", 3, "abc", 3), 0);
}

/* Allowed edits: a third of the word's length, at least 1, at most 3. */
static void threshold(void **state)
{
	static const char *const one[] = { "abcdefghijklmnop", NULL };
	/* 1 to 5 letters: one edit. */
	static const char *const io[] = { "io", NULL };
	assert_null(best("ab", io));
	assert_string_equal(best("iox", io), "io");
	assert_string_equal(best("i", io), "io");
	static const char *const tcp[] = { "tcp", NULL };
	assert_string_equal(best("tpc", tcp), "tcp");
	assert_null(best("udp", tcp));
	/* 6 to 8 letters: two edits. */
	static const char *const connect[] = { "connect", NULL };
	assert_null(best("cnnct", connect));			  /* 5 letters: 1 allowed, 2 needed */
	assert_string_equal(best("conxxct", connect), "connect"); /* 7 letters, 2 edits */
	assert_null(best("coxxxct", connect));			  /* 3 edits */
	assert_null(best("cnnct", one));
	/* 9 to 11: three; 12 and more: still three. */
	static const char *const reset[] = { "ECONNRESET", NULL };
	assert_string_equal(best("EXXXNRESET", reset), "ECONNRESET");
	assert_null(best("EXXXXRESET", reset));
	assert_string_equal(best("abcdefghiXXXmnop", one), "abcdefghijklmnop");
	assert_null(best("abcdefghXXXXmnop", one));
	/* Nothing at all to offer. */
	static const char *const none[] = { NULL };
	assert_null(best("anything", none));
}

static void closest_wins_ties_go_first(void **state)
{
	static const char *const words[] = { "send", "sendto", "sendmsg", "recv", NULL };
	assert_string_equal(best("sendtp", words), "sendto");
	assert_string_equal(best("sendt", words), "send"); /* one from both: the first */
	assert_string_equal(best("sendmsh", words), "sendmsg");
	assert_string_equal(best("recb", words), "recv");
	/* "sen" is one edit from send only. */
	assert_string_equal(best("sen", words), "send");
	/* Equal distance: the first candidate offered. */
	static const char *const ab[] = { "ab", "ac", NULL };
	assert_string_equal(best("aa", ab), "ab");
	static const char *const ba[] = { "ac", "ab", NULL };
	assert_string_equal(best("aa", ba), "ac");
	/* Case-insensitive suggestions give the candidate's own spelling. */
	static const char *const upper[] = { "ECONNRESET", NULL };
	assert_string_equal(best("econnreset", upper), "ECONNRESET");
}

static void try_one_by_one(void **state)
{
	struct sf_suggest sg;
	sf_suggest_init(&sg, "timout", 6);
	assert_null(sf_suggest_result(&sg));
	sf_suggest_try(&sg, "throttle");
	sf_suggest_try(&sg, "timeout");
	sf_suggest_try(&sg, "delay");
	assert_string_equal(sf_suggest_result(&sg), "timeout");
	assert_int_equal(sg.best_dist, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit_distance),
		cmocka_unit_test(threshold),
		cmocka_unit_test(closest_wins_ties_go_first),
		cmocka_unit_test(try_one_by_one),
	};
	return cmocka_run_group_tests_name("suggest", tests, NULL, NULL);
}
