#include "errnos.h"
#include "suggest.h"

#include <errno.h>
#include <string.h>

const struct sf_errno_entry sf_errno_table[] = {
#define SF_ERRNO(n) { #n, n },
#include "errnos.def"
#undef SF_ERRNO
};
const size_t sf_errno_count = sizeof sf_errno_table / sizeof sf_errno_table[0];

/* The Windows Sockets error list. Each code either names the errno a Linux
 * program would see for the same condition, or 0 where no errno means the
 * same thing (Winsock start-up, provider, name-service and QoS codes): those
 * are refused in a rule, because any errno we picked would be a guess. */
#ifndef EUSERS
#define EUSERS 0
#endif
#ifndef EDQUOT
#define EDQUOT 0
#endif
#ifndef EREMOTE
#define EREMOTE 0
#endif
#ifndef ECANCELED
#define ECANCELED 0
#endif
#ifndef EHOSTDOWN
#define EHOSTDOWN 0
#endif
#ifndef ETOOMANYREFS
#define ETOOMANYREFS 0
#endif
#ifndef ESOCKTNOSUPPORT
#define ESOCKTNOSUPPORT 0
#endif
#ifndef EPFNOSUPPORT
#define EPFNOSUPPORT 0
#endif

/* A table read by its columns: kept aligned by hand. */
/* clang-format off */
const struct sf_wsa_entry sf_wsa_table[] = {
	{ "WSA_INVALID_HANDLE",        0, EBADF },
	{ "WSA_NOT_ENOUGH_MEMORY",     0, ENOMEM },
	{ "WSA_INVALID_PARAMETER",     0, EINVAL },
	{ "WSA_OPERATION_ABORTED",     0, ECANCELED },
	{ "WSA_IO_INCOMPLETE",         0, 0 },
	{ "WSA_IO_PENDING",            0, EINPROGRESS },
	{ "WSAEINTR",              10004, EINTR },
	{ "WSAEBADF",              10009, EBADF },
	{ "WSAEACCES",             10013, EACCES },
	{ "WSAEFAULT",             10014, EFAULT },
	{ "WSAEINVAL",             10022, EINVAL },
	{ "WSAEMFILE",             10024, EMFILE },
	{ "WSAEWOULDBLOCK",        10035, EAGAIN },
	{ "WSAEINPROGRESS",        10036, EINPROGRESS },
	{ "WSAEALREADY",           10037, EALREADY },
	{ "WSAENOTSOCK",           10038, ENOTSOCK },
	{ "WSAEDESTADDRREQ",       10039, EDESTADDRREQ },
	{ "WSAEMSGSIZE",           10040, EMSGSIZE },
	{ "WSAEPROTOTYPE",         10041, EPROTOTYPE },
	{ "WSAENOPROTOOPT",        10042, ENOPROTOOPT },
	{ "WSAEPROTONOSUPPORT",    10043, EPROTONOSUPPORT },
	{ "WSAESOCKTNOSUPPORT",    10044, ESOCKTNOSUPPORT },
	{ "WSAEOPNOTSUPP",         10045, EOPNOTSUPP },
	{ "WSAEPFNOSUPPORT",       10046, EPFNOSUPPORT },
	{ "WSAEAFNOSUPPORT",       10047, EAFNOSUPPORT },
	{ "WSAEADDRINUSE",         10048, EADDRINUSE },
	{ "WSAEADDRNOTAVAIL",      10049, EADDRNOTAVAIL },
	{ "WSAENETDOWN",           10050, ENETDOWN },
	{ "WSAENETUNREACH",        10051, ENETUNREACH },
	{ "WSAENETRESET",          10052, ENETRESET },
	{ "WSAECONNABORTED",       10053, ECONNABORTED },
	{ "WSAECONNRESET",         10054, ECONNRESET },
	{ "WSAENOBUFS",            10055, ENOBUFS },
	{ "WSAEISCONN",            10056, EISCONN },
	{ "WSAENOTCONN",           10057, ENOTCONN },
	/* Winsock reports a send after shutdown(SD_SEND) as WSAESHUTDOWN;
	 * Linux reports the same call as EPIPE. */
	{ "WSAESHUTDOWN",          10058, EPIPE },
	{ "WSAETOOMANYREFS",       10059, ETOOMANYREFS },
	{ "WSAETIMEDOUT",          10060, ETIMEDOUT },
	{ "WSAECONNREFUSED",       10061, ECONNREFUSED },
	{ "WSAELOOP",              10062, ELOOP },
	{ "WSAENAMETOOLONG",       10063, ENAMETOOLONG },
	{ "WSAEHOSTDOWN",          10064, EHOSTDOWN },
	{ "WSAEHOSTUNREACH",       10065, EHOSTUNREACH },
	{ "WSAENOTEMPTY",          10066, ENOTEMPTY },
	{ "WSAEPROCLIM",           10067, 0 },
	{ "WSAEUSERS",             10068, EUSERS },
	{ "WSAEDQUOT",             10069, EDQUOT },
	{ "WSAESTALE",             10070, ESTALE },
	{ "WSAEREMOTE",            10071, EREMOTE },
	{ "WSASYSNOTREADY",        10091, 0 },
	{ "WSAVERNOTSUPPORTED",    10092, 0 },
	{ "WSANOTINITIALISED",     10093, 0 },
	{ "WSAEDISCON",            10101, 0 },
	{ "WSAENOMORE",            10102, 0 },
	{ "WSAECANCELLED",         10103, ECANCELED },
	{ "WSAEINVALIDPROCTABLE",  10104, 0 },
	{ "WSAEINVALIDPROVIDER",   10105, 0 },
	{ "WSAEPROVIDERFAILEDINIT", 10106, 0 },
	{ "WSASYSCALLFAILURE",     10107, 0 },
	{ "WSASERVICE_NOT_FOUND",  10108, 0 },
	{ "WSATYPE_NOT_FOUND",     10109, 0 },
	{ "WSA_E_NO_MORE",         10110, 0 },
	{ "WSA_E_CANCELLED",       10111, ECANCELED },
	{ "WSAEREFUSED",           10112, 0 },
	{ "WSAHOST_NOT_FOUND",     11001, 0 },
	{ "WSATRY_AGAIN",          11002, 0 },
	{ "WSANO_RECOVERY",        11003, 0 },
	{ "WSANO_DATA",            11004, 0 },
	{ "WSA_QOS_RECEIVERS",     11005, 0 },
	{ "WSA_QOS_SENDERS",       11006, 0 },
	{ "WSA_QOS_NO_SENDERS",    11007, 0 },
	{ "WSA_QOS_NO_RECEIVERS",  11008, 0 },
	{ "WSA_QOS_REQUEST_CONFIRMED", 11009, 0 },
	{ "WSA_QOS_ADMISSION_FAILURE", 11010, 0 },
	{ "WSA_QOS_POLICY_FAILURE", 11011, 0 },
	{ "WSA_QOS_BAD_STYLE",     11012, 0 },
	{ "WSA_QOS_BAD_OBJECT",    11013, 0 },
	{ "WSA_QOS_TRAFFIC_CTRL_ERROR", 11014, 0 },
	{ "WSA_QOS_GENERIC_ERROR", 11015, 0 },
	{ "WSA_QOS_ESERVICETYPE",  11016, 0 },
	{ "WSA_QOS_EFLOWSPEC",     11017, 0 },
	{ "WSA_QOS_EPROVSPECBUF",  11018, 0 },
	{ "WSA_QOS_EFILTERSTYLE",  11019, 0 },
	{ "WSA_QOS_EFILTERTYPE",   11020, 0 },
	{ "WSA_QOS_EFILTERCOUNT",  11021, 0 },
	{ "WSA_QOS_EOBJLENGTH",    11022, 0 },
	{ "WSA_QOS_EFLOWCOUNT",    11023, 0 },
	{ "WSA_QOS_EUNKOWNPSOBJ",  11024, 0 },
	{ "WSA_QOS_EPOLICYOBJ",    11025, 0 },
	{ "WSA_QOS_EFLOWDESC",     11026, 0 },
	{ "WSA_QOS_EPSFLOWSPEC",   11027, 0 },
	{ "WSA_QOS_EPSFILTERSPEC", 11028, 0 },
	{ "WSA_QOS_ESDMODEOBJ",    11029, 0 },
	{ "WSA_QOS_ESHAPERATEOBJ", 11030, 0 },
	{ "WSA_QOS_RESERVED_PETYPE", 11031, 0 },
};
/* clang-format on */
const size_t sf_wsa_count = sizeof sf_wsa_table / sizeof sf_wsa_table[0];

const char *sf_errno_name(int value)
{
	for (size_t i = 0; i < sf_errno_count; i++)
		if (sf_errno_table[i].value == value)
			return sf_errno_table[i].name;
	return NULL;
}

static int same(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

static enum sf_errno_status from_wsa(const struct sf_wsa_entry *w, int *value, const struct sf_wsa_entry **wsa)
{
	if (wsa)
		*wsa = w;
	if (!w->posix)
		return SF_ERRNO_NO_COUNTERPART;
	*value = w->posix;
	return SF_ERRNO_OK;
}

static int parse_number(const char *s, size_t len, long *out)
{
	if (len == 0 || len > 6)
		return 0;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

enum sf_errno_status sf_errno_parse(const char *s, size_t len, int *value, const struct sf_wsa_entry **wsa)
{
	long n;
	if (wsa)
		*wsa = NULL;
	if (parse_number(s, len, &n)) {
		if (n >= 10000) {
			for (size_t i = 0; i < sf_wsa_count; i++)
				if (sf_wsa_table[i].code == n)
					return from_wsa(&sf_wsa_table[i], value, wsa);
			return SF_ERRNO_UNKNOWN;
		}
		if (n > 0 && sf_errno_name((int)n)) {
			*value = (int)n;
			return SF_ERRNO_OK;
		}
		return SF_ERRNO_UNKNOWN;
	}
	for (size_t i = 0; i < sf_errno_count; i++)
		if (same(s, len, sf_errno_table[i].name)) {
			*value = sf_errno_table[i].value;
			return SF_ERRNO_OK;
		}
	for (size_t i = 0; i < sf_wsa_count; i++)
		if (same(s, len, sf_wsa_table[i].name))
			return from_wsa(&sf_wsa_table[i], value, wsa);
	return SF_ERRNO_UNKNOWN;
}

const struct sf_wsa_entry *sf_wsa_next_for(int value, const struct sf_wsa_entry *prev)
{
	size_t i = prev ? (size_t)(prev - sf_wsa_table) + 1 : 0;
	for (; i < sf_wsa_count; i++)
		if (sf_wsa_table[i].posix == value && value != 0)
			return &sf_wsa_table[i];
	return NULL;
}

void sf_errno_suggest(struct sf_suggest *sg)
{
	for (size_t i = 0; i < sf_errno_count; i++)
		sf_suggest_try(sg, sf_errno_table[i].name);
	/* Only what a rule can use: a Winsock code with no counterpart would be
	 * refused right after being suggested. */
	for (size_t i = 0; i < sf_wsa_count; i++)
		if (sf_wsa_table[i].posix)
			sf_suggest_try(sg, sf_wsa_table[i].name);
}
