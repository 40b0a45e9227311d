#include "names.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "real.h"
#include "sock.h"

/* Bounded: a program that resolves without end does not grow us without
 * end; names past the bound are not remembered (and host= does not match
 * them). */
#define MAX_ENTRIES 8192
#define BUCKETS 1024

struct entry {
	struct entry *next;
	uint8_t family;
	uint8_t ip[16];
	char name[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table[BUCKETS];
uint32_t sf_names_gen;
static unsigned count;

static unsigned bucket(uint8_t family, const uint8_t *ip)
{
	unsigned h = family;
	for (int i = 0; i < 16; i++)
		h = h * 31 + ip[i];
	return h % BUCKETS;
}

static void remember(const char *name, const struct sockaddr *sa, socklen_t len)
{
	struct sf_caddr c;
	sf_caddr_from(&c, sa, len);
	if (!name || !*name || (c.family != SF_ADDR_IP4 && c.family != SF_ADDR_IP6))
		return;
	size_t n = strlen(name);
	unsigned b = bucket(c.family, c.ip);
	pthread_mutex_lock(&lock);
	struct entry *e = table[b];
	for (; e; e = e->next)
		if (e->family == c.family && memcmp(e->ip, c.ip, 16) == 0 && strcmp(e->name, name) == 0)
			break;
	if (!e && count < MAX_ENTRIES && (e = sf_alloc(sizeof *e + n + 1))) {
		e->family = c.family;
		memcpy(e->ip, c.ip, 16);
		memcpy(e->name, name, n + 1);
		e->next = table[b];
		/* Published whole: lookups read the table without the lock. */
		__atomic_store_n(&table[b], e, __ATOMIC_RELEASE);
		count++;
		__atomic_add_fetch(&sf_names_gen, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
}

size_t sf_names_of(const struct sf_sockaddr *a, const char **out)
{
	size_t n = 0;
	if (a->family == SF_ADDR_IP4 || a->family == SF_ADDR_IP6) {
		for (struct entry *e = __atomic_load_n(&table[bucket(a->family, a->ip)], __ATOMIC_ACQUIRE);
		     e && n < SF_NAMES_PER_ADDR; e = e->next)
			if (e->family == a->family && memcmp(e->ip, a->ip, 16) == 0)
				out[n++] = e->name;
	}
	out[n] = NULL;
	return n;
}

/* Only while rules are in force (sf_names_want): an untouched program
 * pays nothing. */
static int wanted_now;

void sf_names_want(int on)
{
	SF_STORE(&wanted_now, on);
}

static int wanted(void)
{
	return SF_LOAD(&wanted_now);
}

static void remember_hostent(const char *name, const struct hostent *h)
{
	if (!h || !h->h_addr_list)
		return;
	for (char **p = h->h_addr_list; *p; p++) {
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof ss);
		socklen_t len;
		if (h->h_addrtype == AF_INET && h->h_length == 4) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, *p, 4);
			len = sizeof *in;
		} else if (h->h_addrtype == AF_INET6 && h->h_length == 16) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, *p, 16);
			len = sizeof *in6;
		} else {
			continue;
		}
		remember(name, (struct sockaddr *)&ss, len);
		if (h->h_name && strcmp(h->h_name, name) != 0)
			remember(h->h_name, (struct sockaddr *)&ss, len);
	}
}

SF_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	sf_getaddrinfo_fn f = sf_sym_getaddrinfo();
	if (!f)
		return EAI_SYSTEM;
	int r = f(node, service, hints, res);
	if (r == 0 && node && wanted()) {
		int saved = errno;
		for (const struct addrinfo *ai = *res; ai; ai = ai->ai_next) {
			remember(node, ai->ai_addr, ai->ai_addrlen);
			if (ai->ai_canonname)
				remember(ai->ai_canonname, ai->ai_addr, ai->ai_addrlen);
		}
		errno = saved;
	}
	return r;
}

/* What each gethostbyname variant does with its answer. */
static void answered(const char *name, const struct hostent *h)
{
	if (h && wanted()) {
		int saved = errno;
		remember_hostent(name, h);
		errno = saved;
	}
}

SF_EXPORT struct hostent *gethostbyname(const char *name)
{
	sf_gethostbyname_fn f = sf_sym_gethostbyname();
	struct hostent *h = f ? f(name) : NULL;
	answered(name, h);
	return h;
}

#ifdef HAVE_GETHOSTBYNAME2
SF_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	sf_gethostbyname2_fn f = sf_sym_gethostbyname2();
	struct hostent *h = f ? f(name, af) : NULL;
	answered(name, h);
	return h;
}
#endif

#ifdef HAVE_GETHOSTBYNAME_R
SF_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result,
			      int *h_errnop)
{
	sf_gethostbyname_r_fn f = sf_sym_gethostbyname_r();
	if (!f)
		return ENOSYS;
	int r = f(name, ret, buf, buflen, result, h_errnop);
	if (r == 0 && result)
		answered(name, *result);
	return r;
}
#endif

#ifdef HAVE_GETHOSTBYNAME2_R
SF_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	sf_gethostbyname2_r_fn f = sf_sym_gethostbyname2_r();
	if (!f)
		return ENOSYS;
	int r = f(name, af, ret, buf, buflen, result, h_errnop);
	if (r == 0 && result)
		answered(name, *result);
	return r;
}
#endif

void sf_names_lock(void)
{
	pthread_mutex_lock(&lock);
}

void sf_names_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void sf_names_child_reset(void)
{
	pthread_mutex_init(&lock, NULL);
}
