/* Address patterns of `peer=` and `local=`, and the addresses they match. */
#ifndef SF_ADDR_H
#define SF_ADDR_H

#include <stddef.h>
#include <stdint.h>

enum sf_addr_kind {
	SF_ADDR_ANY, /* `*`: any address (with a port: any internet address) */
	SF_ADDR_IP4,
	SF_ADDR_IP6,
	SF_ADDR_UNIX, /* `unix:GLOB` */
};

struct sf_addrpat {
	uint8_t kind;
	uint8_t prefix; /* CIDR prefix length in bits */
	uint8_t has_port;
	uint16_t port_lo, port_hi;
	uint8_t ip[16]; /* IPv4 in the first 4 bytes */
	char *glob;	/* SF_ADDR_UNIX; owned */
};

/* A concrete socket address, as the matcher sees it. IPv4-mapped IPv6
 * addresses are given as IPv4, so `peer=127.0.0.1` matches a dual-stack socket. */
struct sf_sockaddr {
	uint8_t family; /* SF_ADDR_IP4, SF_ADDR_IP6, SF_ADDR_UNIX; SF_ADDR_ANY = unknown */
	uint16_t port;
	uint8_t ip[16];
	const char *path; /* unix: the path ("" unnamed; abstract names start with '@') */
	size_t path_len;
};

struct sf_addr_error {
	size_t at; /* offset in the text */
	char msg[160];
};

/* Parse one address pattern. `localhost` gives two patterns (127.0.0.0/8 and
 * [::1]); `out` has room for two. Returns the number written, 0 on error. */
size_t sf_addrpat_parse(const char *s, size_t len, struct sf_addrpat out[2], struct sf_addr_error *err);

int sf_addrpat_match(const struct sf_addrpat *pat, const struct sf_sockaddr *a);

/* Canonical text of a pattern or an address. Returns the length written. */
size_t sf_addrpat_format(char *buf, size_t cap, const struct sf_addrpat *pat);
size_t sf_sockaddr_format(char *buf, size_t cap, const struct sf_sockaddr *a);

#endif
