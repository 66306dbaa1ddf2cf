/* The Name phase (DESIGN.md "Phases of a check", phase 0): every A and AAAA answer for a host,
 * through c-ares on the caller's libuv loop, so that NXDOMAIN, SERVFAIL, REFUSED, a timeout and
 * "no address of that family" stay distinct facts (getaddrinfo folds most of them into EAI_AGAIN
 * and cannot be cancelled).
 *
 * No blocking network calls, no threads, no global state beyond c-ares' one-time library init.
 * A resolver (rd_dns_resolver) belongs to one loop and holds one c-ares channel: the server list
 * and search rules (read from /etc/resolv.conf once, when it is created), one UDP socket per
 * server shared by all of its requests, and one retransmit timer. Any number of requests run on
 * one resolver at once (`scan` of thousands of hosts); a request costs about 2 KB and a timer,
 * no socket and no file read beyond the hosts file. Any number of resolvers may run on any number
 * of loops in one process (one loop per thread; a resolver is used only from its loop's thread).
 *
 * How a host is looked up, in order:
 *  1. An IP literal (dotted-quad IPv4; IPv6, bracketed or not, with an optional %zone) is the
 *     answer itself: RD_DNS_LITERAL, no file or DNS is touched.
 *  2. The hosts file (/etc/hosts, or $CARES_HOSTS as c-ares allows): when it names the host in
 *     any family, it is the whole answer and DNS is not asked (as glibc's "hosts: files dns").
 *     "localhost" is always answered locally (RFC 6761 §6.3), never sent to a DNS server.
 *  3. DNS, A and AAAA asked concurrently. A name containing a dot is asked exactly as typed,
 *     never with the resolv.conf search list appended, so an NXDOMAIN stays an NXDOMAIN; a name
 *     without a dot goes through the search list (c-ares' ares_search, ndots rules).
 *     The first answer a server gives is final: a SERVFAIL or REFUSED is reported as such, not
 *     retried at the next server (c-ares 1.18 would otherwise report both as "connection
 *     refused"); silence moves on to the next server and the next try. */
#ifndef RD_NET_DNS_H
#define RD_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Longest host name accepted, without a trailing dot (RFC 1035 §2.3.4, as text). */
#define RD_DNS_NAME_MAX 253
#define RD_DNS_MAX_ADDRS 16

/* X(NAME, "json-name"): the overall and per-family outcomes of a resolution, listed once. */
#define RD_DNS_STATUSES(X)                                                                       \
  X(OK, "ok")                 /* at least one address */                                      \
  X(LITERAL, "literal")       /* the host was an IP address */                                \
  X(NXDOMAIN, "nxdomain")     /* the name does not exist (rcode 3) */                         \
  X(NODATA, "nodata")         /* the name exists, no address of that family */                \
  X(SERVFAIL, "servfail")     /* rcode 2: the server could not answer */                      \
  X(REFUSED, "refused")       /* rcode 5: the server will not answer for this name or us */   \
  X(TIMEOUT, "timeout")       /* no answer before the deadline */                             \
  X(NO_SERVERS, "no-servers") /* none configured, or none could be sent to (ICMP refused) */  \
  X(ERROR, "error")           /* anything else: malformed answer, FORMERR, NOTIMP, memory */  \
  X(CANCELLED, "cancelled")   /* rd_dns_cancel ran before the answer */                       \
  X(SKIPPED, "skipped")       /* per family only: not asked (family filter, literal) */

#define RD_DNS_STATUS_ENUM(name, text) RD_DNS_##name,
typedef enum rd_dns_status { RD_DNS_STATUSES(RD_DNS_STATUS_ENUM) } rd_dns_status;
#undef RD_DNS_STATUS_ENUM

typedef struct rd_dns_addr {
  int family; /* AF_INET or AF_INET6 */
  struct sockaddr_storage sa; /* port 0; sin6_scope_id set for a literal with a %zone */
  socklen_t salen;
  uint32_t ttl; /* seconds, from the answer; 0 for literals and hosts-file entries */
  char text[46]; /* "192.0.2.1", "2001:db8::1", "fe80::1%eth0" (truncated if a zone is long) */
} rd_dns_addr;

typedef struct rd_dns_result {
  rd_dns_status status; /* overall: OK/LITERAL when any address, else why not */
  rd_dns_status status_a, status_aaaa; /* per family, so "no IPv6 address" is told apart */
  /* Every answer, deduplicated, in the order to try: RFC 6724 rule 1 (a destination without a
   * route goes last) then rule 6 (the default policy table's precedence), otherwise as
   * answered. Empty when status is CANCELLED. */
  rd_dns_addr addrs[RD_DNS_MAX_ADDRS];
  size_t n_addrs;
  bool truncated; /* more than RD_DNS_MAX_ADDRS answers; the rest were dropped */
  bool from_hosts_file; /* answered by the hosts file (or the RFC 6761 localhost rule) */
  uint64_t duration_ms; /* from rd_dns_resolve to the callback */
  /* The owner of the addresses when it is not the name as typed: the end of a CNAME chain, or
   * the name the search list completed ("rdp01" -> "rdp01.corp.example"); else "". */
  char canonical[RD_DNS_NAME_MAX + 1];
  char detail[96]; /* short text for people: "NXDOMAIN from 10.77.0.1" */
} rd_dns_result;

typedef struct rd_dns_resolver rd_dns_resolver;
typedef struct rd_dns_req rd_dns_req;
/* Runs exactly once per successful rd_dns_resolve, always from the loop (never from inside
 * rd_dns_resolve or rd_dns_cancel). `res` and the request are valid only during the call. */
typedef void (*rd_dns_cb)(void *arg, const rd_dns_result *res);

typedef struct rd_dns_resolver_opts {
  unsigned timeout_ms; /* a request's whole resolution when it gives none; 0 = 3000. Also sets
                        * the retransmit schedule: `tries` sends per server fit in it */
  unsigned tries; /* sends per server, 0 = 2, at most 5 */
  const char *servers; /* NULL = resolv.conf; else c-ares CSV ("127.0.0.1:5353,[::1]:53"),
                        * "" = none (RD_DNS_NO_SERVERS, for tests) */
} rd_dns_resolver_opts;

typedef struct rd_dns_opts {
  unsigned timeout_ms; /* the whole resolution, however many servers and tries; 0 = the
                        * resolver's. Longer than the resolver's: the name is asked again when
                        * c-ares gives up early; shorter: the deadline cuts the retransmits */
  int family; /* AF_UNSPEC (0, both), AF_INET or AF_INET6 */
} rd_dns_opts;

/* Checks that `host` can be looked up: an IP literal, or a name of at most 253 characters made
 * of labels of 1-63 letters, digits, '-' and '_' (no label starts or ends with '-'), with an
 * optional trailing dot, whose last label is not all digits (a mistyped IPv4 address).
 * Returns 0, or RD_E_INVALID with *why (if non-NULL) set to a static one-line reason. */
int rd_dns_check_host(const char *host, const char **why);

/* A resolver on `loop`: reads /etc/resolv.conf (unless `opts->servers` is given) and opens no
 * socket yet. `opts` may be NULL (defaults) and is copied. Returns NULL when c-ares cannot be set
 * up, memory runs out, or `opts->servers` is not a server list. Its handles never keep the loop
 * alive by themselves: an idle resolver does not stop uv_run from returning. */
rd_dns_resolver *rd_dns_resolver_new(uv_loop_t *loop, const rd_dns_resolver_opts *opts);

/* Releases the channel (closing its sockets) and starts closing the resolver's handles. Call it
 * once every request's callback has run; a request still in flight is cancelled (its callback
 * runs from the loop, after this call, with RD_DNS_CANCELLED). The memory goes when the handles
 * have closed: run the loop (uv_run until it returns 0) before uv_loop_close. NULL is ignored. */
void rd_dns_resolver_free(rd_dns_resolver *rs);

/* Starts resolving `host` on the resolver's loop; `cb(arg, result)` runs once from the loop.
 * `opts` may be NULL (defaults) and is copied. On success *out is the request, valid until cb
 * starts. Returns 0; RD_E_INVALID (bad host or family, NULL resolver, or one being freed: cb
 * never runs); RD_E_NOMEM. A socket that cannot be watched on the loop fails every request of
 * the resolver then in flight, and later ones, with RD_DNS_ERROR: make a new resolver. */
int rd_dns_resolve(rd_dns_resolver *rs, const char *host, const rd_dns_opts *opts, rd_dns_cb cb,
                   void *arg, rd_dns_req **out);

/* Stops a request whose callback has not run yet: the callback then runs exactly once, from the
 * loop shortly after (not from inside this call), with status RD_DNS_CANCELLED, no addresses,
 * and the per-family status of what had already been answered. The other requests of the
 * resolver go on undisturbed (its queries are left to c-ares and their answers ignored). A
 * second cancel, or a cancel from inside the callback, does nothing. After the callback has
 * returned the request is gone: do not pass it here. NULL is ignored. */
void rd_dns_cancel(rd_dns_req *req);

/* "nxdomain", "servfail", … for JSON and logs; "unknown" outside the enum. */
const char *rd_dns_status_name(rd_dns_status s);

#endif
