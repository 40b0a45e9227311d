# Sourced by the oracle scripts, after tests/lib/lib.sh (its transcripts):
# a real network of three namespaces, private to the
# test, on which a fault is made for real, and the way to play the same
# program (treal, the peer rpeer) once against the real fault and once
# against sockfault's imitation of it.
#
#   client 10.231.1.1 ---- 10.231.1.254 router 10.231.2.254 ---- 10.231.2.1 server
#          fd00:231:1::1                                          fd00:231:2::1
#
# The program runs in the client namespace, its peer in the server one; the
# router forwards between them and is where a firewall (iptables with
# conntrack) or a slow link (tc tbf) is put. The client has no route beyond
# 10.231.2.0/24 (a missing route), its kernel gives up early (SYN retries
# 1, tcp_retries2 3: about 3 s) so that the kernel's own timers fire within
# a test. Every namespace, and every process left in one, is gone at the
# end of the script, whatever happens (the EXIT trap).
#
#   rig_up                       the three namespaces (skips, 77, if not root
#                                or no network namespaces)
#   need_iptables [ip6tables]    skips unless the router can have a firewall
#   in_router CMD...             CMD in the router's namespace
#   need CMD                     skip if CMD is not installed
#   real NAME STEP...            treal against the real network (no preload):
#                                its transcript in $tmp/out and $tmp/NAME.real
#   fake NAME RULES STEP...      treal under the preload with RULES, on the
#                                same network without the fault: $tmp/out
#                                and $tmp/NAME.fake
#   gate=X (a step)              the program waits there; in a real run the
#                                script's function gate_X runs first (it
#                                makes the fault), in a fake one nothing
#   AT=ADDR:PORT                 for one real/fake: where treal connects
#                                (default the server, on the peer's port)
#   agree NAME WHAT <<EOF        both transcripts are these lines (patterns,
#                                as lib.sh's transcript)
#   differs NAME WHAT <<EOF      the real one is these lines; sockfault's is
#                                not yet (a difference of the table in
#                                tests/oracle/README): it is shown in the log,
#                                and said if it now agrees
#   link_up MS [LOSS%]           a second path, client 10.231.5.1 <-> server
#                                10.231.5.2, through olink: MS of latency
#                                each way (and LOSS per cent lost); its pid
#                                is or_link_pid (SIGUSR1: reset), what it
#                                says is in $tmp/olink.out
#   link_down                    the link gone (another may be made)
#   PEER_AT=ADDR                 the server's address the peer binds to
#                                (default 10.231.2.1; 10.231.5.2: the link;
#                                [fd00:231:2::1]: IPv6)

# shellcheck disable=SC2154 # tmp, R and rc are lib.sh's
# shellcheck disable=SC2034 # the addresses are for the scripts
OR_CLIENT=10.231.1.1
OR_SERVER=10.231.2.1
OR_NOWHERE=10.231.9.1
OR_CLIENT6=fd00:231:1::1
OR_SERVER6=fd00:231:2::1
OR_LINK_CLIENT=10.231.5.1
OR_LINK_SERVER=10.231.5.2
AT=
PEER_AT=$OR_SERVER

[ "$(id -u)" -eq 0 ] || skip "the oracle builds network namespaces: it needs root"
command -v ip >/dev/null 2>&1 || skip "no ip (iproute2)"

need() {
	command -v "$1" >/dev/null 2>&1 || skip "no $1 (install ${2:-$1})"
}

# Unique per script run: tests run side by side.
OR_NS="sfo$$"
OR_C="${OR_NS}c"
OR_R="${OR_NS}r"
OR_S="${OR_NS}s"
or_made=

or_link_pid=

rig_down() {
	link_down
	for _ns in $or_made; do
		# Whatever is left of the test's own programs in its namespaces.
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null || :
		done
		ip netns del "$_ns" 2>/dev/null || :
	done
	or_made=
}
trap 'rig_down; cleanup' EXIT

# rig CMD...: a step of building the rig; if the kernel or the container
# cannot do it (no veth, no IPv6, ...), the test is skipped, saying why.
rig() {
	"$@" 2>"$tmp/rig.err" || skip "the rig cannot be built here ($*): $(head -n 1 "$tmp/rig.err")"
}

# ns_sysctl NS KEY VALUE: a sysctl of one namespace, through /proc (no
# sysctl command needed).
ns_sysctl() {
	rig ip netns exec "$1" sh -c "echo $3 >/proc/sys/$(echo "$2" | tr . /)"
}

rig_up() {
	if ! ip netns add "$OR_C" 2>"$tmp/netns.err"; then
		skip "no network namespaces here: $(cat "$tmp/netns.err")"
	fi
	or_made=$OR_C
	rig ip netns add "$OR_R"
	or_made="$or_made $OR_R"
	rig ip netns add "$OR_S"
	or_made="$or_made $OR_S"
	# The veth pairs are made inside the namespaces: no name in the
	# machine's own namespace, none shared with a test running beside.
	rig ip -n "$OR_C" link add c0 type veth peer name rc netns "$OR_R"
	rig ip -n "$OR_S" link add s0 type veth peer name rs netns "$OR_R"
	for _x in "$OR_C lo" "$OR_C c0" "$OR_R lo" "$OR_R rc" "$OR_R rs" "$OR_S lo" "$OR_S s0"; do
		# shellcheck disable=SC2086 # namespace and device
		set -- $_x
		rig ip -n "$1" link set "$2" up
	done
	rig ip -n "$OR_C" addr add "$OR_CLIENT/24" dev c0
	rig ip -n "$OR_R" addr add 10.231.1.254/24 dev rc
	rig ip -n "$OR_R" addr add 10.231.2.254/24 dev rs
	rig ip -n "$OR_S" addr add "$OR_SERVER/24" dev s0
	rig ip -n "$OR_C" addr add "$OR_CLIENT6/64" dev c0 nodad
	rig ip -n "$OR_R" addr add fd00:231:1::fe/64 dev rc nodad
	rig ip -n "$OR_R" addr add fd00:231:2::fe/64 dev rs nodad
	rig ip -n "$OR_S" addr add "$OR_SERVER6/64" dev s0 nodad
	rig ip -n "$OR_C" route add 10.231.2.0/24 via 10.231.1.254
	rig ip -n "$OR_C" -6 route add fd00:231:2::/64 via fd00:231:1::fe
	rig ip -n "$OR_S" route add default via 10.231.2.254
	rig ip -n "$OR_S" -6 route add default via fd00:231:2::fe
	ns_sysctl "$OR_R" net.ipv4.ip_forward 1
	ns_sysctl "$OR_R" net.ipv6.conf.all.forwarding 1
	ns_sysctl "$OR_C" net.ipv4.tcp_syn_retries 1
	ns_sysctl "$OR_C" net.ipv4.tcp_retries2 3
	# The first packets wait for neighbour discovery: done now, not
	# inside a timed step.
	_i=0
	until ip netns exec "$OR_C" env RPEER_NETNS="/run/netns/$OR_S" RPEER_ADDR="$OR_SERVER:0" \
		"$R/treal" -A "$OR_SERVER:0" -W 3 p:listen connect close >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ "$_i" -lt 20 ] || hard_error "the rig's client never reached its server"
		sleep 0.1
	done
}

# need_iptables [ip6tables]: the command is there and works in the router
# (a kernel without nf_tables, a container without the modules: skip).
need_iptables() {
	_ipt=${1:-iptables}
	need "$_ipt" iptables
	rig in_router "$_ipt" -S FORWARD
}

in_router() {
	ip netns exec "$OR_R" "$@"
}

# or_play KIND NAME [VAR=VALUE...] PROGRAM...: the program in the client
# namespace, in the background; at each step gate=X it prints "gate X" and
# waits: for a real run the function gate_X (the script's: it makes or
# ends the fault) runs first, then the gate opens. A fake run's gates open
# at once: its fault is the rule's.
or_play() {
	_kind=$1
	_name=$2
	shift 2
	AT=
	echo "+ $_kind $_name: $*"
	rm -f "$tmp"/u.gate.*
	: >"$tmp/out"
	case $PEER_AT in
	"$OR_LINK_SERVER") _target=$OR_LINK_CLIENT ;;
	"[$OR_LINK_SERVER6]") _target=[$OR_LINK_CLIENT6] ;;
	\[*) _target=[$OR_CLIENT6] ;;
	*) _target=$OR_CLIENT ;;
	esac
	# shellcheck disable=SC2086 # tmo is words
	$tmo ip netns exec "$OR_C" env RPEER_NETNS="/run/netns/$OR_S" RPEER_ADDR="$PEER_AT:0" \
		RPEER_TARGET="$_target:0" "$@" >"$tmp/out" 2>"$tmp/err" &
	_pid=$!
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 3000 ]; do
		for _g in $(sed -n 's/^gate //p' "$tmp/out"); do
			[ ! -e "$tmp/u.gate.$_g" ] || continue
			if [ "$_kind" = real ]; then
				"gate_$_g"
			fi
			: >"$tmp/u.gate.$_g"
		done
		_i=$((_i + 1))
		sleep 0.02
	done
	set +e
	wait "$_pid"
	rc=$?
	set -e
	show_output
	cp "$tmp/out" "$tmp/$_name.$_kind"
	if grep -q '^\(child \)\?WATCHDOG' "$tmp/out"; then
		fail "$_kind $_name: a step hung: $(grep WATCHDOG "$tmp/out")"
	fi
	case $rc in
	0) ;;
	3) hard_error "treal could not set up: $(grep SETUP "$tmp/out" "$tmp/err")" ;;
	*) fail "$_kind $_name: treal exited with $rc" ;;
	esac
}

real() {
	_n=$1
	shift
	or_play real "$_n" "$R/treal" -S "$tmp/u" -A "${AT:-$PEER_AT:0}" "$@"
}

fake() {
	_n=$1
	_rules=$2
	shift 2
	or_play fake "$_n" LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES_TEXT="$_rules" \
		"$R/treal" -S "$tmp/u" -A "${AT:-$PEER_AT:0}" "$@"
}

link_down() {
	if [ -n "$or_link_pid" ]; then
		kill "$or_link_pid" 2>/dev/null || :
		wait "$or_link_pid" 2>/dev/null || :
	fi
	or_link_pid=
}

link_up() {
	_olink=$SF_BUILDDIR/tests/oracle/olink
	[ -x "$_olink" ] || hard_error "olink is not built: $_olink"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	rm -f "$tmp/olink.out"
	"$_olink" -d "$1" -l "${2:-0}" "/run/netns/$OR_C" tl "/run/netns/$OR_S" tl >"$tmp/olink.out" 2>&1 &
	or_link_pid=$!
	_i=0
	until grep -q '^ready' "$tmp/olink.out" 2>/dev/null; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ] || ! kill -0 "$or_link_pid" 2>/dev/null; then
			skip "no tun link: $(cat "$tmp/olink.out")"
		fi
		sleep 0.05
	done
	ip -n "$OR_C" addr add "$OR_LINK_CLIENT" peer "$OR_LINK_SERVER" dev tl
	ip -n "$OR_S" addr add "$OR_LINK_SERVER" peer "$OR_LINK_CLIENT" dev tl
	ip -n "$OR_C" link set tl up
	ip -n "$OR_S" link set tl up
}

# or_check FILE WHAT: lib.sh's transcript on FILE, the patterns on stdin
# (saved in $tmp/expect by the caller).
or_check() {
	cp "$1" "$tmp/out"
	transcript "$2" <"$tmp/expect.$$"
}

agree() {
	cat >"$tmp/expect.$$"
	or_check "$tmp/$1.real" "real network: $2"
	or_check "$tmp/$1.fake" "sockfault agrees: $2"
}

differs() {
	cat >"$tmp/expect.$$"
	or_check "$tmp/$1.real" "real network: $2"
	_before=$failures
	cp "$tmp/$1.fake" "$tmp/out"
	transcript "sockfault: $2" <"$tmp/expect.$$" >"$tmp/differs.log"
	failures=$_before
	if grep -q '^ok: ' "$tmp/differs.log"; then
		echo "NOTE: sockfault now agrees ($2): move $1 to the agreeing cases of tests/oracle/README"
	else
		echo "known difference ($2), see tests/oracle/README: $(sed 's/^FAIL: //' "$tmp/differs.log")"
		sed 's/^/  sockfault| /' "$tmp/$1.fake"
	fi
}

ms_of() {
	grep -E "^$2" "$tmp/$1" | head -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n 1
}

# The connect probes: blocking (CONNECT_B) and nonblocking (CONNECT_N), each
# followed by what the dead socket answers (the nonblocking one's: a second
# connect too, as an event loop's completion check), and whether the
# server accepted.
CONNECT_B='p:listen connect took so_error peername sendns send sigpipes p:accept,300'
CONNECT_N='p:listen connect-nb pollout=4000 took so_error so_error peername pollin=0 sendns send recvnb reconnect sigpipes
p:accept,300'

# connect_failed ERRNO SO_ERROR: CONNECT_B's transcript when connect fails
# with ERRNO and SO_ERROR then reads SO_ERROR: a dead socket, its sends EPIPE
# with SIGPIPE, no connection at the server.
connect_failed() {
	cat <<EOF
peer listen = port *
connect = -1 $1
took = *
SO_ERROR = $2
getpeername = -1 ENOTCONN
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
peer accept = none
EOF
}

# connect_probed CONNECT POLLOUT SO_ERROR POLLIN SEND RECVNB AGAIN SIGPIPES:
# CONNECT_N's transcript, by what each call says: the connect's error, the
# first poll, the first SO_ERROR (the second is empty), the receive's poll,
# the errno of both sends, the receive, a second connect's errno, the
# SIGPIPEs; the server never accepts.
connect_probed() {
	cat <<EOF
peer listen = port *
connect = -1 $1
pollout = $2
took = *
SO_ERROR = $3
SO_ERROR = 0
getpeername = -1 ENOTCONN
pollin = $4
sendns = -1 $5
send = -1 $5
recvnb = $6
connect = -1 $7
sigpipes = $8
peer accept = none
EOF
}

# connect_failed_later SO_ERROR: CONNECT_N's transcript when the connect in
# progress fails with SO_ERROR: POLLERR (with OUT and HUP), the error read
# once, then the dead socket of connect_failed (a receive sees the end, a
# second connect ECONNABORTED: the kernel's answer once the error is read).
connect_failed_later() {
	connect_probed EINPROGRESS OUT,ERR,HUP "$1" IN,HUP,RDHUP EPIPE 0 ECONNABORTED 1
}

# An event loop's completion check (hiredis): a nonblocking connect asked
# for its outcome by a second connect, not SO_ERROR, then a connect again.
CONNECT_C='p:listen connect-nb pollout=4000 reconnect so_error pollin=0 reconnect pollout=4000 so_error p:accept,300'

# connect_checked ERRNO: CONNECT_C's transcript when every attempt fails
# with ERRNO: the second connect tells it (and takes it: SO_ERROR 0), the
# socket is unconnected again (poll: HUP; IPv4 keeps the ICMP's ERR), the
# third connect is a new attempt, which fails the same way.
connect_checked() {
	cat <<EOF
peer listen = port *
connect = -1 EINPROGRESS
pollout = OUT,ERR,HUP
connect = -1 $1
SO_ERROR = 0
pollin = *HUP
connect = -1 EINPROGRESS
pollout = OUT,ERR,HUP
SO_ERROR = $1
peer accept = none
EOF
}

# A round trip away (the link of link_up): the nonblocking probe, timed when
# connect returns and when poll answers (since, twice).
CONNECT_NR='p:listen mark connect-nb since pollout=4000 since so_error so_error peername pollin=0 sendns send recvnb
reconnect sigpipes p:accept,300'

# connect_failed_rtt SO_ERROR POLLIN: CONNECT_NR's transcript when the
# connect in progress fails with SO_ERROR: connect_failed_later's, the
# receive's poll saying POLLIN (IPv4 keeps POLLERR after the error is read,
# IPv6 does not: the callers say which).
connect_failed_rtt() {
	connect_probed EINPROGRESS OUT,ERR,HUP "$1" "$2" EPIPE 0 ECONNABORTED 1 |
		sed -e 's/^took = \*$/since = */' -e 's/^connect = -1 EINPROGRESS$/&\nsince = */'
}

# real_settled NAME STEP...: real, for a nonblocking connect that an ICMP
# fails: the kernel wakes the connect's poller as the ICMP's error is set,
# and a poller on another CPU can look before the socket is closed
# (pollout = ERR alone, then a send fails with the error again: seen in 1
# of about 6 runs here). Played up to 3 times for the settled socket; each
# early look is said in the log.
real_settled() {
	_rn=$1
	shift
	for _try in 1 2 3; do
		real "$_rn" "$@"
		! grep -q '^pollout = ERR$' "$tmp/$_rn.real" || {
			echo "NOTE: real $_rn, run $_try: the poller looked before the kernel closed the socket"
			continue
		}
		break
	done
}

# in_server CMD...: CMD in the server's namespace (its firewall on the
# link's far end).
in_server() {
	ip netns exec "$OR_S" "$@"
}

# link6_up: IPv6 on the link too, client fd00:231:5::1, server
# fd00:231:5::2 (after link_up).
OR_LINK_CLIENT6=fd00:231:5::1
OR_LINK_SERVER6=fd00:231:5::2
link6_up() {
	rig ip -n "$OR_C" addr add "$OR_LINK_CLIENT6" peer "$OR_LINK_SERVER6" dev tl nodad
	rig ip -n "$OR_S" addr add "$OR_LINK_SERVER6" peer "$OR_LINK_CLIENT6" dev tl nodad
}

# connect_soft_error SO_ERROR: CONNECT_N's transcript when an ICMP error
# answers the SYN: the kernel takes it as a soft error, sets SO_ERROR at
# once and keeps the socket in SYN-SENT (poll: ERR alone, calls EAGAIN, a
# second connect EALREADY).
connect_soft_error() {
	connect_probed EINPROGRESS ERR "$1" ERR EAGAIN '-1 EAGAIN' EALREADY 0
}

# icmp_rtt_agree ERRNO WHAT: the cases lb (CONNECT_B) and ln (CONNECT_NR),
# played across the latency link for real and by sockfault, agree on a
# connect failing with ERRNO a round trip after its SYN (WHAT answered it),
# at the round trip's time; the nonblocking connect returned at once.
icmp_rtt_agree() {
	agree lb "$2 a round trip away: a blocking connect fails after it, SO_ERROR taken" <<EOF
$(connect_failed "$1" 0)
EOF
	agree ln "$2 a round trip away, nonblocking: EINPROGRESS, POLLOUT|ERR|HUP, SO_ERROR once, a dead socket" <<EOF
$(connect_failed_rtt "$1" 'IN,*HUP,RDHUP')
EOF
	expect_in "$tmp/ln.real" '^pollin = IN,ERR,HUP,RDHUP$' "real: IPv4 keeps POLLERR after the error is read"
	expect_in "$tmp/ln.fake" '^pollin = IN,HUP,RDHUP$' "sockfault: POLLERR gone once the error is read (a known difference)"
	for k in real fake; do
		expect_between "$k: blocking, $1 after the round trip (ms)" 35 300 "$(rtt_ms lb.$k)"
		expect_between "$k: nonblocking, connect returned at once (ms)" 0 30 "$(returned_ms ln.$k)"
		expect_between "$k: nonblocking, $1 after the round trip (ms)" 35 300 "$(rtt_ms ln.$k)"
	done
	echo "measured: blocking real $(rtt_ms lb.real), sockfault $(rtt_ms lb.fake) ms;" \
		"nonblocking real $(rtt_ms ln.real), sockfault $(rtt_ms ln.fake) ms"
}

# rtt_ms CASE: the blocking connect's time, or when the nonblocking one's
# poll answered; returned_ms CASE: when its connect returned.
rtt_ms() { sed -n 's/^\(took\|since\) = //p' "$tmp/$1" | tail -n 1; }
returned_ms() { sed -n 's/^since = //p' "$tmp/$1" | head -n 1; }

# median: the median of the numbers on stdin (words; an odd count of them,
# the runs of a measure).
median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}

# fw_clear: the router forwards everything again, at full speed.
fw_clear() {
	in_router iptables -F FORWARD
	in_router iptables -F INPUT
	! command -v ip6tables >/dev/null 2>&1 || in_router ip6tables -F FORWARD
	in_router tc qdisc del dev rs root 2>/dev/null || :
	in_router tc qdisc del dev rc root 2>/dev/null || :
}
