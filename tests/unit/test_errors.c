/* The parser's refusals: every class of error, each with its message and the
 * exact FILE:LINE:COL a user's editor jumps to. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

#define KEYS                                                                            \
	"conditions are peer local proto side state when per p sent received idle age " \
	"uptime host exe limit once"
#define ACTIONS "actions are error reset eof hangup blackhole timeout delay short drop corrupt throttle lossy"
#define NO_COUNTERPART                                                          \
	"has no POSIX counterpart, so no Linux program could see it; pick the " \
	"errno your program should get (see sockfault errno)"

static void unknown_operation(void **state)
{
	assert_refused("conect => error EIO", "t.rules:1:1: unknown operation 'conect' (did you mean 'connect'?)");
	assert_refused("recv,sned => error EIO", "t.rules:1:6: unknown operation 'sned' (did you mean 'send'?)");
	assert_refused("name: TX => reset", "t.rules:1:7: unknown operation 'TX' (did you mean 'tx'?)");
	assert_refused("bogus => error EIO", "t.rules:1:1: unknown operation 'bogus' "
					     "(operations are the socket calls by name, or tx, rx, io, *)");
	assert_refused("connect,,send => error EIO", "t.rules:1:9: an operation is missing between the commas");
	assert_refused("connect, => error EIO", "t.rules:1:9: an operation is missing between the commas");
	assert_refused("peer=1.2.3.4 => reset",
		       "t.rules:1:1: a rule starts with the operations it applies to (connect, send, tx, "
		       "rx, io, *), then the conditions; found 'peer=1.2.3.4'");
	assert_refused("connect send => error EIO",
		       "t.rules:1:9: 'send' is an operation: list several as one word, comma-separated "
		       "(send,recv), before the conditions");
	assert_refused("connect tx => error EIO",
		       "t.rules:1:9: 'tx' is an operation: list several as one word, comma-separated "
		       "(send,recv), before the conditions");
}

static void rule_names_and_shape(void **state)
{
	assert_refused("a/b: tx => reset",
		       "t.rules:1:2: a rule name is letters, digits, '_', '.' and '-', followed by ':'");
	assert_refused("name:", "t.rules:1:6: a rule needs operations, then '=> ACTION' "
				"(for example: connect => error ECONNREFUSED)");
	assert_refused("=> reset", "t.rules:1:1: a rule needs operations, then '=> ACTION' "
				   "(for example: connect => error ECONNREFUSED)");
	assert_refused("  x: => reset", "t.rules:1:6: a rule needs operations, then '=> ACTION' "
					"(for example: connect => error ECONNREFUSED)");
}

static void unknown_condition(void **state)
{
	assert_refused("tx peeer=1.2.3.4 => reset", "t.rules:1:4: unknown condition 'peeer' (did you mean 'peer'?)");
	assert_refused("tx recieved>1 => reset",
		       "t.rules:1:4: unknown condition 'recieved' (did you mean 'received'?)");
	assert_refused("tx bogus=1 => reset", "t.rules:1:4: unknown condition 'bogus' (" KEYS ")");
	assert_refused("tx Peer=1.2.3.4 => reset", "t.rules:1:4: unknown condition 'Peer' (did you mean 'peer'?)");
	assert_refused("connect -> error EIO", "t.rules:1:9: expected a condition KEY=VALUE, found '->'");
	assert_refused("tx peer => reset", "t.rules:1:8: expected '=' after 'peer'");
	assert_refused("tx sent!5 => reset", "t.rules:1:8: expected '=' after 'sent'");
	assert_refused("tx proto>tcp => reset", "t.rules:1:9: proto takes '=', not '>' "
						"(only sent received idle age uptime compare)");
	assert_refused("connect limit<=3 => error EIO", "t.rules:1:14: limit takes '=', not '<=' "
							"(only sent received idle age uptime compare)");
	assert_refused("tx peer= => reset", "t.rules:1:9: peer= needs a value");
	assert_refused("tx sent> => reset", "t.rules:1:9: sent> needs a value");
	assert_refused("tx idle<= => reset", "t.rules:1:10: idle<= needs a value");
}

static void bad_values_of_word_keys(void **state)
{
	assert_refused("tx proto=tpc => reset", "t.rules:1:10: unknown proto 'tpc' (did you mean 'tcp'?)");
	assert_refused("tx proto=sctp => reset", "t.rules:1:10: unknown proto 'sctp' (one of tcp udp unix)");
	assert_refused("tx proto=tcp,ud => reset", "t.rules:1:14: unknown proto 'ud' (did you mean 'udp'?)");
	assert_refused("tx side=clinet => reset", "t.rules:1:9: unknown side 'clinet' (did you mean 'client'?)");
	assert_refused("tx state=open => reset", "t.rules:1:10: unknown state 'open' "
						 "(one of unconnected connecting connected listening shutdown)");
	assert_refused("tx per=thread => reset", "t.rules:1:8: unknown per 'thread' (one of conn process)");
	assert_refused("tx per=conn,process => reset", "t.rules:1:8: per= is conn or process, not both");
	assert_refused("connect exe=a,b => error EIO", "t.rules:1:13: exe= takes one program name or pattern");
	assert_refused("connect host=a,,b => error EIO", "t.rules:1:16: a name or pattern is missing");
	assert_refused("connect host=db[12 => error EIO",
		       "t.rules:1:16: '[' opens a character set that is never closed with ']'");
	assert_refused("connect exe=abc\\ => error EIO",
		       "t.rules:1:16: a '\\' at the end of a pattern escapes nothing");
}

static void unknown_action_and_modifier(void **state)
{
	assert_refused("tx => rest", "t.rules:1:7: unknown action 'rest' (did you mean 'reset'?)");
	assert_refused("rx => EOF", "t.rules:1:7: unknown action 'EOF' (did you mean 'eof'?)");
	assert_refused("tx => explode", "t.rules:1:7: unknown action 'explode' (" ACTIONS ")");
	assert_refused("tx => error EIO stiky", "t.rules:1:17: unknown modifier 'stiky' (did you mean 'sticky'?)");
	assert_refused("tx => reset sticky nw", "t.rules:1:20: unknown modifier 'nw' (did you mean 'now'?)");
	assert_refused("tx => error EIO loudly", "t.rules:1:17: unknown modifier 'loudly' (modifiers are sticky, now, "
						 "icmp, icmp=local, log=quiet, once)");
	assert_refused("tx => error EIO log=loud", "t.rules:1:21: log= takes only 'quiet' (log=quiet)");
	assert_refused("tx => reset 5", "t.rules:1:13: reset takes no argument, found '5'");
	assert_refused("rx => eof now?", "t.rules:1:11: eof takes no argument, found 'now?'");
	assert_refused("tx => hangup x", "t.rules:1:14: hangup takes no argument, found 'x'");
	assert_refused("tx => blackhole 5s", "t.rules:1:17: blackhole takes no argument, found '5s'");
	assert_refused("sendto => drop 5", "t.rules:1:16: drop takes no argument, found '5'");
	assert_refused("tx => delay 1s 2s", "t.rules:1:16: unknown modifier '2s' "
					    "(modifiers are sticky, now, icmp, icmp=local, log=quiet, once)");
}

static void unknown_errno(void **state)
{
	assert_refused("tx => error ECONRESET", "t.rules:1:13: unknown errno 'ECONRESET' (did you mean 'ECONNRESET'?)");
	assert_refused("tx => error econnreset",
		       "t.rules:1:13: unknown errno 'econnreset' (did you mean 'ECONNRESET'?)");
	assert_refused("tx => error WSAECONNRESTE",
		       "t.rules:1:13: unknown errno 'WSAECONNRESTE' (did you mean 'WSAECONNRESET'?)");
	assert_refused("tx => error 99999", "t.rules:1:13: unknown errno '99999' "
					    "(a name such as ECONNRESET or WSAECONNRESET, or a number)");
	assert_refused("tx => error 0", "t.rules:1:13: unknown errno '0' "
					"(a name such as ECONNRESET or WSAECONNRESET, or a number)");
	assert_refused("tx => error 4000", "t.rules:1:13: unknown errno '4000' "
					   "(a name such as ECONNRESET or WSAECONNRESET, or a number)");
	assert_refused("tx => error -1", "t.rules:1:13: unknown errno '-1' "
					 "(a name such as ECONNRESET or WSAECONNRESET, or a number)");
}

static void winsock_without_counterpart(void **state)
{
	assert_refused("connect => error WSAEPROCLIM", "t.rules:1:18: WSAEPROCLIM (10067) " NO_COUNTERPART);
	assert_refused("connect => error 10067", "t.rules:1:18: WSAEPROCLIM (10067) " NO_COUNTERPART);
	assert_refused("connect => error WSASYSNOTREADY", "t.rules:1:18: WSASYSNOTREADY (10091) " NO_COUNTERPART);
	assert_refused("connect => error 11001", "t.rules:1:18: WSAHOST_NOT_FOUND (11001) " NO_COUNTERPART);
	/* The WSA_ codes share their numbers with Win32 errors: no number to show. */
	assert_refused("connect => error WSA_IO_INCOMPLETE", "t.rules:1:18: WSA_IO_INCOMPLETE " NO_COUNTERPART);
}

static void units(void **state)
{
	assert_refused("tx idle>120 => reset", "t.rules:1:9: idle's duration needs a unit: 120 is "
					       "ambiguous (write 120ms or 120s)");
	assert_refused("tx age>=1m30 => reset", "t.rules:1:11: age's duration needs a unit: 1m30 is "
						"ambiguous (write 1m30ms or 1m30s)");
	assert_refused("tx => delay 200", "t.rules:1:13: delay's duration needs a unit: 200 is "
					  "ambiguous (write 200ms or 200s)");
	assert_refused("connect => timeout 5", "t.rules:1:20: timeout's duration needs a unit: 5 is "
					       "ambiguous (write 5ms or 5s)");
	assert_refused("tx => delay 200ms~50", "t.rules:1:19: delay's jitter needs a unit: 50 is "
					       "ambiguous (write 50ms or 50s)");
	assert_refused("tx uptime<5sx => reset",
		       "t.rules:1:12: unknown unit 'sx' in uptime's duration (did you mean 's'?)");
	assert_refused("tx idle>5mins => reset",
		       "t.rules:1:10: unknown unit 'mins' in idle's duration (for example 120s)");
	assert_refused("tx received>64kib => reset",
		       "t.rules:1:15: unknown unit 'kib' in received's size (did you mean 'KiB'?)");
	assert_refused("tx => delay 2sec", "t.rules:1:14: unknown unit 'sec' in delay's duration "
					   "(for example 200ms)");
	assert_refused("tx idle>abc => reset",
		       "t.rules:1:9: idle's duration must start with a number (for example 120s)");
	assert_refused("tx sent>.5KiB => reset",
		       "t.rules:1:9: sent's size must start with a number (for example 64KiB)");
	assert_refused("tx => delay ~5ms", "t.rules:1:13: delay's duration is missing (for example 200ms)");
	assert_refused("tx => delay 10ms~", "t.rules:1:18: delay's jitter is missing (for example 50ms)");
	assert_refused("tx => delay 10ms~20ms",
		       "t.rules:1:18: the jitter is larger than the delay: a delay cannot be negative");
	assert_refused("tx sent>99999999999TiB => reset", "t.rules:1:9: sent's size is too large");
	assert_refused("tx idle>9999999h => reset", "t.rules:1:9: idle's duration is too large");
	assert_refused("tx sent>1.5B => reset", "t.rules:1:9: sent's size has a fraction finer than its unit can hold");
	assert_refused("tx => short 1.5", "t.rules:1:13: short's size has a fraction finer than its unit can hold");
	assert_refused("tx => short 2x", "t.rules:1:14: unknown unit 'x' in short's size (did you mean 'B'?)");
	assert_refused("tx => throttle 64KB/s",
		       "t.rules:1:18: unknown unit 'KB' in throttle's rate (did you mean 'KiB'?)");
	assert_refused("tx => throttle fast", "t.rules:1:16: throttle's rate must start with a number "
					      "(for example 64KiB/s)");
}

/* A rate needs its "/s": say so where it is missing, not "unknown unit ''". */
static void rate_without_per_second(void **state)
{
	assert_refused("tx => throttle 64KiB",
		       "t.rules:1:21: throttle's rate is bytes per second: end it with /s (for example 64KiB/s)");
	assert_refused("tx => throttle 100",
		       "t.rules:1:19: throttle's rate is bytes per second: end it with /s (for example 64KiB/s)");
	assert_refused("tx => throttle 1MiB/sec",
		       "t.rules:1:20: throttle's rate is bytes per second: end it with /s (for example 64KiB/s)");
	assert_refused("tx => throttle 1MiB/",
		       "t.rules:1:20: throttle's rate is bytes per second: end it with /s (for example 64KiB/s)");
}

static void action_arguments(void **state)
{
	assert_refused("tx => error",
		       "t.rules:1:12: error needs an errno, such as error ECONNRESET or error WSAENOTCONN");
	assert_refused("tx => delay", "t.rules:1:12: delay needs a duration, such as delay 200ms or delay 200ms~50ms");
	assert_refused("tx => short", "t.rules:1:12: short needs the number of bytes to move, such as short 1");
	assert_refused("tx => throttle", "t.rules:1:15: throttle needs a rate, such as throttle 64KiB/s");
	assert_refused("tx => short 0", "t.rules:1:13: short 0 would move nothing: N is 1 or more");
	assert_refused("tx => corrupt 0", "t.rules:1:15: corrupt takes the number of bits to flip, 1 or more");
	assert_refused("tx => corrupt 3x", "t.rules:1:15: corrupt takes the number of bits to flip, 1 or more");
	assert_refused("tx => throttle 0/s", "t.rules:1:16: a rate of 0 would stop the socket: use blackhole for that");
	assert_refused("connect =>", "t.rules:1:11: an action is missing after '=>' (error E, reset, eof, hangup, "
				     "blackhole, timeout, delay D, short N, drop, corrupt, throttle RATE, lossy P)");
	assert_refused("connect peer=1.2.3.4", "t.rules:1:21: expected '=> ACTION' after the conditions");
	assert_refused("connect", "t.rules:1:8: expected '=> ACTION' after the conditions");
}

static void address_errors(void **state)
{
	assert_refused("tx peer=::1 => reset", "t.rules:1:9: write an IPv6 address in brackets, "
					       "as [::1] or [2001:db8::]/32:443");
	assert_refused("tx peer=2001:db8::1:443 => reset", "t.rules:1:9: write an IPv6 address in "
							   "brackets, as [::1] or [2001:db8::]/32:443");
	assert_refused("tx peer=db.example.com => reset",
		       "t.rules:1:9: peer= and local= take addresses; to match a host name use host=NAME");
	assert_refused("tx local=myhost:80 => reset",
		       "t.rules:1:10: peer= and local= take addresses; to match a host name use host=NAME");
	assert_refused("tx peer=localhostx => reset",
		       "t.rules:1:9: peer= and local= take addresses; to match a host name use host=NAME");
	assert_refused("tx peer=1.2.3 => reset", "t.rules:1:9: not an IPv4 address (a.b.c.d), [IPv6], *, "
						 "localhost or unix:PATH");
	assert_refused("tx peer=1.2.3.256 => reset", "t.rules:1:9: not an IPv4 address (a.b.c.d), "
						     "[IPv6], *, localhost or unix:PATH");
	assert_refused("tx peer=10.0.0.0/33 => reset", "t.rules:1:18: a prefix length here is a number from 0 to 32");
	assert_refused("tx peer=10.0.0.0/ => reset", "t.rules:1:18: a prefix length here is a number from 0 to 32");
	assert_refused("tx peer=[::1]/129 => reset", "t.rules:1:15: a prefix length here is a number from 0 to 128");
	assert_refused("tx peer=[::1/200] => reset", "t.rules:1:14: a prefix length here is a number from 0 to 128");
	assert_refused("tx peer=[::/64]/64 => reset", "t.rules:1:16: the prefix length is given twice");
	assert_refused("tx peer=10.0.0.1:70000 => reset",
		       "t.rules:1:18: a port is a number from 0 to 65535, or a range LO-HI");
	assert_refused("tx peer=10.0.0.1: => reset",
		       "t.rules:1:18: a port is a number from 0 to 65535, or a range LO-HI");
	assert_refused("tx peer=*:http => reset", "t.rules:1:11: a port is a number from 0 to 65535, or a range LO-HI");
	assert_refused("tx peer=*:90-80 => reset", "t.rules:1:11: the port range is backwards (LO must not exceed HI)");
	assert_refused("tx peer=*:80- => reset", "t.rules:1:14: a port range is LO-HI, each 0 to 65535");
	assert_refused("tx peer=localhost:x => reset",
		       "t.rules:1:19: a port is a number from 0 to 65535, or a range LO-HI");
	assert_refused("tx peer=[::1 => reset", "t.rules:1:9: an IPv6 address opened with '[' needs its ']'");
	assert_refused("tx peer=[::1]x => reset", "t.rules:1:14: after an IPv6 address comes /PREFIX or :PORT");
	assert_refused("tx peer=[zz::1] => reset", "t.rules:1:10: not an IPv6 address");
	assert_refused("tx peer=[] => reset", "t.rules:1:10: not an IPv6 address");
	assert_refused("tx peer=[fe80::1%eth0] => reset", "t.rules:1:10: not an IPv6 address");
	assert_refused("tx peer=*x => reset", "t.rules:1:10: '*' is any address; a port follows as *:PORT");
	assert_refused("tx peer=unix:[ab => reset",
		       "t.rules:1:14: '[' opens a character set that is never closed with ']'");
	/* Each address of a list is checked where it stands. */
	assert_refused("tx peer=10.0.0.1,bogus => reset",
		       "t.rules:1:18: peer= and local= take addresses; to match a host name use host=NAME");
	assert_refused("tx peer=10.0.0.1, => reset", "t.rules:1:18: an address is missing");
}

/* A list longer than the parser keeps must be refused, never cut short. */
static void long_lists_are_not_cut(void **state)
{
	char text[1024];
	size_t len = (size_t)snprintf(text, sizeof text, "tx peer=");
	for (int i = 1; i <= 40; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "10.0.0.%d,", i);
	snprintf(text + len, sizeof text - len, "10.0.0.41 => reset");
	/* The 33rd address: 9 of 9 characters and 23 of 10 after column 9. */
	assert_refused(text, "t.rules:1:320: too many values in one list (at most 32)");

	/* The same for the words after '=>': the 64th (the 63rd sticky) is at 13 + 62 * 7. */
	len = (size_t)snprintf(text, sizeof text, "tx => reset");
	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, " sticky");
	assert_refused(text, "t.rules:1:447: too many words after '=>' (at most 64)");

	/* Exactly as many as fit is fine. */
	len = (size_t)snprintf(text, sizeof text, "tx peer=");
	for (int i = 1; i <= 32; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s10.0.0.%d", i > 1 ? "," : "", i);
	snprintf(text + len, sizeof text - len, " => reset");
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, text);
	assert_int_equal(r->npeers, 32);
	assert_int_equal(r->peers[31].ip[3], 32);
	parsed_free(&p);
}

static void too_many_conditions(void **state)
{
	char text[1024];
	size_t len = (size_t)snprintf(text, sizeof text, "tx");
	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, " sent>1");
	snprintf(text + len, sizeof text - len, " => reset");
	/* The 64th word of the left side, at column 3 + 62 * 7 + 1. */
	assert_refused(text, "t.rules:1:438: too many conditions in one rule (at most 62)");
}

static void when_errors(void **state)
{
	assert_refused("connect when=0 => error EIO",
		       "t.rules:1:14: calls are counted from 1: the first matching call is when=1");
	assert_refused("connect when=5..2 => error EIO",
		       "t.rules:1:17: the range ends before it starts (LAST is smaller than FIRST)");
	assert_refused("connect when=2+0 => error EIO",
		       "t.rules:1:16: a step of 0 would never move on: STEP is 1 or more");
	assert_refused("connect when=abc => error EIO", "t.rules:1:14: when= is FIRST, FIRST..LAST, "
							"FIRST+, FIRST+STEP or FIRST..LAST+STEP");
	assert_refused("connect when=3x => error EIO", "t.rules:1:15: when= is FIRST, FIRST..LAST, "
						       "FIRST+, FIRST+STEP or FIRST..LAST+STEP");
	assert_refused("connect when=1.. => error EIO", "t.rules:1:17: when= is FIRST, FIRST..LAST, "
							"FIRST+, FIRST+STEP or FIRST..LAST+STEP");
	assert_refused("connect when=2+x => error EIO", "t.rules:1:16: when= is FIRST, FIRST..LAST, "
							"FIRST+, FIRST+STEP or FIRST..LAST+STEP");
	assert_refused("connect when=99999999999999999999 => error EIO",
		       "t.rules:1:14: when= is FIRST, "
		       "FIRST..LAST, FIRST+, FIRST+STEP or FIRST..LAST+STEP");
}

static void probability_and_limit_errors(void **state)
{
	static const char *const bad_p[] = {
		"1.5", "2",	"-0.5",	      "abc",	    "0.",	   "50%",	  "1.01",
		"10",  "0.5.5", "4294967296", "4294967297", "12884901889", "12884901888", "18446744073709551617",
	};
	for (size_t i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
		char text[80];
		snprintf(text, sizeof text, "connect p=%s => error EIO", bad_p[i]);
		assert_refused(text, "t.rules:1:11: p= is a probability from 0 to 1, such as 0.02");
	}
	assert_refused("connect p=0 => error EIO",
		       "t.rules:1:11: p=0 can never fire (comment the rule out to disable it)");
	assert_refused("connect p=0.000 => error EIO",
		       "t.rules:1:11: p=0.000 can never fire (comment the rule out to disable it)");
	/* Too small to be told from 0 in 53 bits. */
	assert_refused("connect p=0.00000000000000001 => error EIO",
		       "t.rules:1:11: p=0.00000000000000001 can never fire (comment the rule out to disable it)");
	assert_refused("connect limit=0 => error EIO",
		       "t.rules:1:15: limit=0 can never fire (comment the rule out to disable it)");
	assert_refused("connect limit=abc => error EIO",
		       "t.rules:1:15: limit= is a whole number of firings, such as limit=3");
	assert_refused("connect limit=-1 => error EIO",
		       "t.rules:1:15: limit= is a whole number of firings, such as limit=3");
	assert_refused("connect => error EIO limit=0",
		       "t.rules:1:28: limit=0 can never fire (comment the rule out to disable it)");
	assert_refused("connect limit=3 once => error EIO",
		       "t.rules:1:17: 'once' repeats the limit already given (once is limit=1)");
	assert_refused("connect once => error EIO once",
		       "t.rules:1:27: 'once' repeats the limit already given (once is limit=1)");
}

static void duplicate_keys(void **state)
{
	assert_refused("tx peer=1.2.3.4 peer=5.6.7.8 => reset",
		       "t.rules:1:17: peer is given twice "
		       "(first at column 4); list several values comma-separated in one condition");
	assert_refused("tx proto=tcp proto=udp => reset",
		       "t.rules:1:14: proto is given twice "
		       "(first at column 4); list several values comma-separated in one condition");
	/* Keys of one value get no advice to list several. */
	assert_refused("connect when=1 when=2 => error EIO", "t.rules:1:16: when is given twice "
							     "(first at column 9)");
	assert_refused("connect exe=a exe=b => error EIO", "t.rules:1:15: exe is given twice "
							   "(first at column 9)");
	/* An action word among the conditions: the arrow is missing. */
	assert_refused("connect reset", "t.rules:1:9: expected '=>' before the action 'reset'");
	/* limit= without its value, after the action. */
	assert_refused("tx => reset limit=", "t.rules:1:19: limit= needs a value");
}

static void contradictory_ranges(void **state)
{
	assert_refused("tx sent>10 sent<5 => reset", "t.rules:1:12: contradictory conditions: sent<5 can "
						     "never hold together with the earlier sent condition");
	assert_refused("tx idle=5s idle=6s => reset", "t.rules:1:12: contradictory conditions: idle=6s can "
						      "never hold together with the earlier idle condition");
	assert_refused("tx age>=10s age<10s => reset", "t.rules:1:13: contradictory conditions: age<10s can "
						       "never hold together with the earlier age condition");
	assert_refused("tx sent<5 sent<3 sent>4 => reset", "t.rules:1:18: contradictory conditions: sent>4 "
							   "can never hold together with the earlier sent condition");
	assert_refused("tx sent<0 => reset", "t.rules:1:4: sent<0 can never hold");
	assert_refused("tx uptime<0s => reset", "t.rules:1:4: uptime<0s can never hold");
}

static void invalid_utf8(void **state)
{
	assert_refused("connect exe=\xff => error EIO", "t.rules:1:13: this is not UTF-8 text (byte 0xff)");
	/* Overlong, surrogate, past U+10FFFF, cut short. */
	assert_refused("connect exe=\xc0\xaf => error EIO", "t.rules:1:13: this is not UTF-8 text (byte 0xc0)");
	assert_refused("connect exe=\xed\xa0\x80 => error EIO", "t.rules:1:13: this is not UTF-8 text (byte 0xed)");
	assert_refused("connect exe=\xf4\x90\x80\x80 => error EIO", "t.rules:1:13: this is not UTF-8 text (byte 0xf4)");
	assert_refused("connect exe=caf\xc3", "t.rules:1:16: this is not UTF-8 text (byte 0xc3)");
	assert_refused("connect exe=\xc3\xa9\x80 => error EIO", "t.rules:1:14: this is not UTF-8 text (byte 0x80)");
	/* Comments are removed before the check. */
	assert_canon("connect => error EIO # \xff", "line-1: connect => error EIO");
}

/* A NUL inside a value once cut it short silently (found by the fuzzer:
 * tests/fuzz/regress/nul-byte-in-*). */
static void control_characters(void **state)
{
	assert_refused_lit("connect exe=a\0b => error EIO",
			   "t.rules:1:14: a control character (byte 0x00) cannot be part of a rule");
	assert_refused_lit("connect host=x,\0 => error EIO",
			   "t.rules:1:16: a control character (byte 0x00) cannot be part of a rule");
	assert_refused("connect exe=a\x1b[1m => error EIO",
		       "t.rules:1:14: a control character (byte 0x1b) cannot be part of a rule");
	assert_refused("connect => error EIO\x7f", "t.rules:1:21: a control character (byte 0x7f) cannot be "
						   "part of a rule");
	/* Blanks are not refused: tabs, form feeds, a CR of a CRLF line end. */
	assert_canon("connect\texe=a\f=>\verror EIO\r\n", "line-1: connect exe=a => error EIO");
}

static void never_fires(void **state)
{
	assert_refused("connect => short 1",
		       "t.rules:1:12: this rule can never fire on connect: short applies to data calls (tx, rx)");
	assert_refused("connect => drop",
		       "t.rules:1:12: this rule can never fire on connect: drop applies to data calls (tx, rx); "
		       "for a connect that never completes, use blackhole or timeout");
	assert_refused("connect => reset",
		       "t.rules:1:12: this rule can never fire on connect: reset applies to data calls (tx, rx); "
		       "for a connect the server refuses, use error ECONNREFUSED");
	assert_refused("connect,send => hangup",
		       "t.rules:1:17: this rule can never fire on connect: hangup applies to data calls (tx, rx); "
		       "for a connect the server refuses, use error ECONNREFUSED");
	assert_refused("tx => eof", "t.rules:1:7: this rule can never fire on tx: eof applies to receiving calls (rx); "
				    "hangup also makes sends fail");
	assert_refused("recv,send => eof",
		       "t.rules:1:14: this rule can never fire on send: eof applies to receiving calls (rx); "
		       "hangup also makes sends fail");
	assert_refused("close => throttle 1KiB/s",
		       "t.rules:1:10: this rule can never fire on close: throttle applies to data calls (tx, rx)");
	assert_refused("accept => timeout", "t.rules:1:11: this rule can never fire on accept: timeout "
					    "applies to connect and data calls (tx, rx)");
	assert_refused("tx proto=udp => reset", "t.rules:1:17: reset needs a stream socket, and proto=udp has none");
	assert_refused("rx proto=udp => eof", "t.rules:1:17: eof needs a stream socket, and proto=udp has none");
	assert_refused("rx proto=udp => timeout", "t.rules:1:17: timeout needs a stream socket, and "
						  "proto=udp has none (silence on UDP is blackhole)");
	assert_refused("tx proto=udp => short 1", "t.rules:1:17: short needs a stream socket, and proto=udp has none");
	assert_refused("sendto proto=tcp => drop", "t.rules:1:21: drop loses datagrams, and proto=tcp has "
						   "none (TCP silence is blackhole or timeout)");
	assert_refused("connect proto=udp side=server => error EIO",
		       "t.rules:1:19: contradictory conditions: "
		       "UDP sockets are never accepted, so side=server never holds with proto=udp");
	assert_refused("listen proto=udp state=listening => error EIO",
		       "t.rules:1:18: contradictory conditions: UDP sockets never listen");
	assert_refused("close side=client state=listening => error EIO",
		       "t.rules:1:7: contradictory conditions: a listening socket is neither the client nor "
		       "the server side of a connection");
	assert_refused("socket peer=10.0.0.1 => error EMFILE",
		       "t.rules:1:8: this rule can never fire on socket: it has no peer");
	assert_refused("listen host=db => error EIO",
		       "t.rules:1:8: this rule can never fire on listen: it has no peer");
	assert_refused("socket local=*:80 => error EMFILE",
		       "t.rules:1:8: this rule can never fire on socket: a socket being created has no address");
	assert_refused("socketpair state=connected => error EMFILE",
		       "t.rules:1:12: this rule can never fire "
		       "on socketpair: a socket being created has no state yet");
	assert_refused("accept side=server => error EMFILE",
		       "t.rules:1:8: this rule can never fire on "
		       "accept: it is not called on a connection (side= is the connection's)");
	assert_refused("bind sent>0 => error EADDRINUSE",
		       "t.rules:1:6: this rule can never fire on bind: it is not called on a connection");
	assert_refused("accept4 idle>1s => error EMFILE",
		       "t.rules:1:9: this rule can never fire on accept4: it is not called on a connection");
	assert_refused("connect proto=unix peer=10.0.0.1 => error ECONNREFUSED",
		       "t.rules:1:20: contradictory "
		       "conditions: no address of peer= can belong to a socket of proto=unix");
	assert_refused("connect proto=tcp peer=unix:/run/x => error ECONNREFUSED",
		       "t.rules:1:19: "
		       "contradictory conditions: no address of peer= can belong to a socket of proto=tcp");
	assert_refused("connect proto=unix peer=*:80 => error ECONNREFUSED",
		       "t.rules:1:20: contradictory "
		       "conditions: no address of peer= can belong to a socket of proto=unix");
	assert_refused("accept proto=udp local=unix:/x => error EMFILE",
		       "t.rules:1:18: contradictory "
		       "conditions: no address of local= can belong to a socket of proto=udp");
	assert_refused("tx => error EPIPE now",
		       "t.rules:1:19: 'now' only changes how an error on connect is delivered (error E now)");
	assert_refused("connect => delay 1s now",
		       "t.rules:1:21: 'now' only changes how an error on connect is delivered (error E now)");
	assert_refused("tx => reset now",
		       "t.rules:1:13: 'now' only changes how an error on connect is delivered (error E now)");
	assert_refused("tx => error ECONNREFUSED icmp",
		       "t.rules:1:26: 'icmp' says a router's ICMP answered the "
		       "connect: error ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now");
	assert_refused("connect => error ETIMEDOUT icmp",
		       "t.rules:1:28: 'icmp' says a router's ICMP answered the "
		       "connect: error ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now");
	assert_refused("connect => error EHOSTUNREACH icmp now",
		       "t.rules:1:31: 'icmp' says a router's ICMP answered "
		       "the connect: error ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now");
	assert_refused("tx => error ECONNREFUSED icmp=local",
		       "t.rules:1:26: 'icmp=local' says the host's own firewall answered the connect with ICMP: "
		       "error ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now");
	assert_refused("connect => error EHOSTUNREACH icmp=local now",
		       "t.rules:1:31: 'icmp=local' says the host's own firewall answered the connect with ICMP: "
		       "error ECONNREFUSED, EHOSTUNREACH or ENETUNREACH, on connect, without now");
	assert_refused("connect => error EHOSTUNREACH icmp=near",
		       "t.rules:1:36: icmp= takes only 'local' (icmp=local: the host's own firewall answered "
		       "the SYN; icmp: a router on the way)");
	assert_refused("connect => error EHOSTUNREACH icmp_local",
		       "t.rules:1:31: unknown modifier 'icmp_local' (did you mean 'icmp=local'?)");
	assert_refused("tx state=listening => error EPIPE",
		       "t.rules:1:4: this rule can never fire on tx: it is never called on a socket that is listening");
	assert_refused("accept state=connected,shutdown => error EMFILE",
		       "t.rules:1:8: this rule can never "
		       "fire on accept: it is never called on a socket that is connected,shutdown");
	assert_refused("bind state=connecting => error EINVAL",
		       "t.rules:1:6: this rule can never fire "
		       "on bind: it is never called on a socket that is connecting");

	/* What does fit is kept: a mixed list of addresses, a group that narrows. */
	assert_canon("connect proto=unix peer=10.0.0.1,unix:/x => error ECONNREFUSED",
		     "line-1: connect peer=10.0.0.1,unix:/x proto=unix => error ECONNREFUSED");
	assert_canon("* peer=* proto=unix => error EIO",
		     "line-1: io,connect,accept,accept4,shutdown,close,dup,dup2,dup3,fcntl,getsockopt,getpeername "
		     "peer=* proto=unix => error EIO");
	assert_canon("* state=listening => error EIO",
		     "line-1: accept,accept4,listen,shutdown,close,dup,dup2,dup3,fcntl,getsockopt,getpeername "
		     "state=listening => error EIO");
	assert_canon("connect => error ECONNREFUSED now", "line-1: connect => error ECONNREFUSED now");
	assert_canon("sendto proto=udp => drop", "line-1: sendto proto=udp => drop");
	assert_canon("tx proto=udp => blackhole", "line-1: tx proto=udp => blackhole");
}

static void duplicate_rule_names(void **state)
{
	struct parsed p;
	parse_str(&p, "a: connect => error EIO\n\na: tx => reset\nb: tx => reset\n");
	assert_int_equal(p.errors, 1);
	assert_int_equal(p.diags.n, 1);
	assert_string_equal(p.diags.v[0].text, "t.rules:3:1: the rule name 'a' is already used by the rule on line 1");
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(p.rs.rules[0].name, "a");
	assert_string_equal(p.rs.rules[1].name, "b");
	assert_int_equal(p.rs.rules[1].index, 1);
	parsed_free(&p);

	/* A written name can take a default one. */
	parse_str(&p, "line-2: tx => reset\nconnect => error EIO\n");
	assert_int_equal(p.errors, 1);
	assert_string_equal(p.diags.v[0].text,
			    "t.rules:2:1: the rule name 'line-2' is already used by the rule on line 1 (a rule "
			    "without a name is named line-N after its line: give one of them another name)");
	parsed_free(&p);

	/* The message points at the name, not at the indentation before it. */
	parse_str(&p, "a: connect => error EIO\n    a: tx => reset\n");
	assert_int_equal(p.errors, 1);
	assert_string_equal(p.diags.v[0].text, "t.rules:2:5: the rule name 'a' is already used by the rule on line 1");
	parsed_free(&p);
}

/* Every bad rule gets one message; the good ones are all kept, in order. */
static void several_errors_in_one_file(void **state)
{
	struct parsed p;
	parse_str(&p, "good-1: connect => error ECONNREFUSED\n"
		      "conect => error EIO\n"
		      "tx peeer=1 bogus=2 => rest\n" /* one message: the first problem */
		      "# comment\n"
		      "good-2: tx => delay 1s\n"
		      "tx idle>5 \\\n  => reset\n"
		      "connect => short 1\n"
		      "good-3: rx => eof\n"
		      "rx => error WSAEPROCLIM\n");
	assert_int_equal(p.errors, 5);
	assert_int_equal(p.diags.n, 5);
	assert_string_equal(p.diags.v[0].text, "t.rules:2:1: unknown operation 'conect' (did you mean 'connect'?)");
	assert_string_equal(p.diags.v[1].text, "t.rules:3:4: unknown condition 'peeer' (did you mean 'peer'?)");
	assert_string_equal(p.diags.v[2].text, "t.rules:6:9: idle's duration needs a unit: 5 is ambiguous "
					       "(write 5ms or 5s)");
	assert_string_equal(p.diags.v[3].text, "t.rules:8:12: this rule can never fire on connect: short "
					       "applies to data calls (tx, rx)");
	assert_string_equal(p.diags.v[4].text, "t.rules:10:13: WSAEPROCLIM (10067) " NO_COUNTERPART);
	/* The numbers of the message are those of its text. */
	assert_int_equal(p.diags.v[2].line, 6);
	assert_int_equal(p.diags.v[2].col, 9);
	assert_int_equal(p.rs.n, 3);
	assert_string_equal(p.rs.rules[0].name, "good-1");
	assert_string_equal(p.rs.rules[1].name, "good-2");
	assert_string_equal(p.rs.rules[2].name, "good-3");
	assert_int_equal(p.rs.rules[2].index, 2);
	assert_int_equal(p.rs.rules[2].line, 9);
	parsed_free(&p);

	/* Inline rules: the same, numbered text-N. */
	const char *text = "tx => reset; tx => rset; rx => eof";
	parse_mem(&p, text, strlen(text), 1);
	assert_int_equal(p.errors, 1);
	assert_string_equal(p.diags.v[0].text, "t.rules:1:20: unknown action 'rset' (did you mean 'reset'?)");
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(p.rs.rules[1].name, "text-3");
	parsed_free(&p);
}

/* A parse appends to a rule set that already has rules, and sees their names. */
static void parse_appends(void **state)
{
	struct parsed p;
	struct sf_parse_opts o = { "second", 1, "text" };
	parse_str(&p, "a: connect => error EIO\n");
	assert_int_equal(p.rs.n, 1);
	unsigned errors = sf_parse("tx => reset;a: rx => eof", 24, &o, &p.rs, &p.diags);
	assert_int_equal(errors, 1);
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(p.rs.rules[1].name, "text-1");
	assert_int_equal(p.rs.rules[1].index, 1);
	assert_string_equal(p.diags.v[0].text, "second:1:13: the rule name 'a' is already used by the rule on line 1");
	parsed_free(&p);
}

/* A message without a column (a file that cannot be read) has FILE:LINE: only. */
static void diag_text(void **state)
{
	struct sf_diags d = { 0 };
	sf_diag_add(&d, "f.rules", 3, 0, "cannot read: %s", "why");
	sf_diag_add(&d, "f.rules", 4, 7, "bad %d", 5);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].text, "f.rules:3: cannot read: why");
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[0].col, 0);
	assert_string_equal(d.v[1].text, "f.rules:4:7: bad 5");
	/* Many messages: the list grows. */
	for (int i = 0; i < 40; i++)
		sf_diag_add(&d, "f", (unsigned)i, 1, "m%d", i);
	assert_int_equal(d.n, 42);
	assert_string_equal(d.v[41].text, "f:39:1: m39");
	sf_diags_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_operation),
		cmocka_unit_test(rule_names_and_shape),
		cmocka_unit_test(unknown_condition),
		cmocka_unit_test(bad_values_of_word_keys),
		cmocka_unit_test(unknown_action_and_modifier),
		cmocka_unit_test(unknown_errno),
		cmocka_unit_test(winsock_without_counterpart),
		cmocka_unit_test(units),
		cmocka_unit_test(rate_without_per_second),
		cmocka_unit_test(action_arguments),
		cmocka_unit_test(address_errors),
		cmocka_unit_test(long_lists_are_not_cut),
		cmocka_unit_test(too_many_conditions),
		cmocka_unit_test(when_errors),
		cmocka_unit_test(probability_and_limit_errors),
		cmocka_unit_test(duplicate_keys),
		cmocka_unit_test(contradictory_ranges),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(control_characters),
		cmocka_unit_test(never_fires),
		cmocka_unit_test(duplicate_rule_names),
		cmocka_unit_test(several_errors_in_one_file),
		cmocka_unit_test(parse_appends),
		cmocka_unit_test(diag_text),
	};
	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
