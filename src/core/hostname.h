/* Host-name and IP-literal syntax, checked once for the command line (cli/target.c), the resolver
 * (net/dns.c) and certificate name matching (core/cert.c). Pure text: no resolver, no socket
 * header, no locale (ASCII ranges, not <ctype.h>). */
#ifndef RD_CORE_HOSTNAME_H
#define RD_CORE_HOSTNAME_H

#include <stddef.h>
#include <stdint.h>

/* Longest host name, without a trailing dot (RFC 1035 §2.3.4, as text). */
#define RD_HOSTNAME_MAX 253

/* Checks that host[0..len) is a DNS host name: at most 253 characters after one optional trailing
 * dot, labels of 1-63 letters, digits, '-' and '_' (Windows and SRV-style names carry '_'), no
 * label starting or ending with '-' (RFC 1123 §2.1), the last label not all digits (a mistyped IPv4
 * address). An IP literal is not a name: callers try rd_hostname_parse_ip first. Returns 0, or
 * RD_E_INVALID with *why (if why is non-NULL) set to a static one-line reason. */
int rd_hostname_check(const char *host, size_t len, const char **why);

/* Reads s[0..len) as an IPv4 dotted quad (4 decimal parts, no leading zeros) or an IPv6 address
 * (RFC 4291 §2.2: hex groups, one "::", an IPv4 tail), as inet_pton does; no brackets, no zone.
 * Returns 4 or 16, the address's bytes in out (network order), or 0 when it is neither. */
size_t rd_hostname_parse_ip(const char *s, size_t len, uint8_t out[16]);

#endif
