/* The Name phase's resolver: c-ares on a libuv loop (see dns.h for the lookup order).
 *
 * One resolver = one c-ares channel + one uv_timer_t for c-ares' retransmits + one uv_poll_t per
 * socket c-ares opens (one UDP socket per server, shared by every request; TCP for a truncated
 * answer). One request = one uv_timer_t, which does two jobs: the request's own deadline, and
 * deferring the callback to the loop (a zero timeout). No callback runs from inside a c-ares call.
 *
 * c-ares 1.18 has no way to cancel one query of a channel (ares_cancel ends them all) and its
 * timeouts are the channel's. So a request that ends first (its deadline, a cancel) detaches its
 * queries and leaves them to c-ares, which calls back exactly once per query anyway (an answer,
 * its own timeout, or ares_destroy); the callback argument is a small ticket that outlives the
 * request and is freed by that call. The resolver's handles are unreferenced: only requests
 * (their timers) keep the loop alive, never a query nobody waits for. */
#include <sys/select.h> /* ares.h uses fd_set without including its header */

#include "net/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hostname.h"

#ifdef _WIN32
/* A Winsock SOCKET is a handle (its low 32 bits are significant), not a C runtime descriptor. */
#define close_socket(fd) closesocket((SOCKET)(fd))
typedef long suseconds_t; /* Winsock's struct timeval has long fields */
#else
#define close_socket(fd) close(fd)
#endif

#define DEFAULT_TIMEOUT_MS 3000u
#define DEFAULT_TRIES 2u
#define MAX_TRIES 5u
#define MIN_TRY_MS 50u
#define DNS_CLASS_IN 1 /* RFC 1035 §3.2.4 */
#define DNS_TYPE_A 1   /* RFC 1035 §3.2.2 */
#define DNS_TYPE_AAAA 28 /* RFC 3596 §2.1 */

enum { FAM_A, FAM_AAAA, N_FAM };

typedef struct sock_watch {
  uv_poll_t poll;
  ares_socket_t fd;
  bool closing;
  rd_dns_resolver *rs;
  struct sock_watch *next;
} sock_watch;

/* The argument of one c-ares query; req is NULL once the request stopped waiting for it. */
typedef struct ticket {
  rd_dns_req *req;
  int fam;
} ticket;

/* An answer as received; the rd_dns_addr (with its text) is built once, for the result. */
typedef struct raw_addr {
  uint8_t ip[16]; /* 4 bytes used for A */
  uint32_t ttl;
} raw_addr;

typedef struct fam_query {
  bool asked, pending;
  rd_dns_status status;
  int ares_status; /* for the detail text of RD_DNS_ERROR */
  ticket *query; /* the c-ares query in flight, NULL when none */
  raw_addr addrs[RD_DNS_MAX_ADDRS];
  size_t n;
  bool truncated;
} fam_query;

struct rd_dns_resolver {
  uv_loop_t *loop;
  ares_channel channel; /* NULL once rd_dns_resolver_free ran */
  uv_timer_t timer;     /* c-ares' retransmit timeouts */
  sock_watch *watches;
  unsigned open_handles; /* the timer and the watches not yet closed */
  unsigned reqs;         /* requests not yet freed; the resolver outlives them all */
  rd_dns_req *inflight;  /* requests whose callback has not run, doubly linked */
  unsigned timeout_ms;   /* for requests that give none */
  bool no_servers, io_failed, freeing;
  char where[64]; /* the server list, for the detail text */
};

struct rd_dns_req {
  rd_dns_resolver *rs;
  rd_dns_req *prev, *next; /* in rs->inflight until delivered */
  uv_timer_t timer;
  rd_dns_cb cb;
  void *arg;
  uint64_t t0_ns;
  uint64_t deadline; /* in mono_ms() milliseconds */
  unsigned timeout_ms;
  fam_query fam[N_FAM];
  bool literal, from_hosts, io_failed, cancelled, delivered;
  rd_dns_addr lit;
  /* The owner of the addresses when not the name typed; the A answer's wins (canonical_fam). */
  int canonical_fam;
  char canonical[RD_DNS_NAME_MAX + 1];
  char host[RD_DNS_NAME_MAX + 2];
};

/* snprintf for short texts where cutting a long server list or name is the intended outcome. */
__attribute__((format(printf, 3, 4))) static void put_text(char *dst, size_t size,
                                                           const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, size, fmt, ap);
  va_end(ap);
}

/* ---- the names table ---------------------------------------------------------------------- */

const char *rd_dns_status_name(rd_dns_status s) {
#define RD_DNS_STATUS_TEXT(name, text) text,
  static const char *const names[] = {RD_DNS_STATUSES(RD_DNS_STATUS_TEXT)};
#undef RD_DNS_STATUS_TEXT
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* ---- what the host is --------------------------------------------------------------------- */

static void addr_text(rd_dns_addr *a, const char *zone) {
  const void *raw = a->family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)&a->sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(a->family, raw, buf, sizeof buf) == NULL)
    buf[0] = '\0';
  snprintf(a->text, sizeof a->text, "%s%s%s", buf, zone != NULL ? "%" : "",
           zone != NULL ? zone : "");
}

static void addr_set(rd_dns_addr *a, int family, const void *raw, uint32_t ttl) {
  memset(a, 0, sizeof *a);
  a->family = family;
  a->ttl = ttl;
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, raw, sizeof sin->sin_addr);
    a->salen = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, raw, sizeof sin6->sin6_addr);
    a->salen = sizeof *sin6;
  }
  addr_text(a, NULL);
}

/* An IPv6 literal, brackets already removed, with an optional %zone (interface name or index). */
static int parse_v6(const char *s, size_t len, rd_dns_addr *a, const char **why) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (len >= sizeof buf) {
    *why = "not a valid IPv6 address";
    return RD_E_INVALID;
  }
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *zone = strchr(buf, '%');
  if (zone != NULL)
    *zone++ = '\0';
  struct in6_addr in6;
  if (inet_pton(AF_INET6, buf, &in6) != 1) {
    *why = "not a valid IPv6 address";
    return RD_E_INVALID;
  }
  uint32_t scope = 0;
  if (zone != NULL) {
    size_t digits = strspn(zone, "0123456789");
    if (zone[0] == '\0') {
      *why = "empty IPv6 zone after '%'";
      return RD_E_INVALID;
    }
    if (zone[digits] == '\0' && digits <= 9)
      scope = (uint32_t)strtoul(zone, NULL, 10);
    else
      scope = if_nametoindex(zone); /* a kernel table lookup, no I/O */
    if (scope == 0) {
      *why = "unknown interface in the IPv6 zone";
      return RD_E_INVALID;
    }
  }
  addr_set(a, AF_INET6, &in6, 0);
  ((struct sockaddr_in6 *)&a->sa)->sin6_scope_id = scope;
  addr_text(a, zone);
  return 0;
}

/* Returns 1 and fills *a for an IP literal, 0 for a name worth asking, or RD_E_INVALID. */
static int classify(const char *host, rd_dns_addr *a, const char **why) {
  static const char *unused;
  if (why == NULL)
    why = &unused;
  if (host == NULL || host[0] == '\0') {
    *why = "empty host name";
    return RD_E_INVALID;
  }
  /* strnlen bounds the scan of a hostile, possibly huge, string. */
  size_t len = strnlen(host, RD_DNS_NAME_MAX + 2);
  if (host[0] == '[') {
    if (len < 2 || host[len - 1] != ']') {
      *why = "unbalanced '[' around an IPv6 address";
      return RD_E_INVALID;
    }
    int r = parse_v6(host + 1, len - 2, a, why);
    return r == 0 ? 1 : r;
  }
  if (strchr(host, ':') != NULL && len <= RD_DNS_NAME_MAX) {
    int r = parse_v6(host, len, a, why);
    return r == 0 ? 1 : r;
  }
  struct in_addr in4;
  if (len <= RD_DNS_NAME_MAX && inet_pton(AF_INET, host, &in4) == 1) {
    addr_set(a, AF_INET, &in4, 0);
    return 1;
  }
  return rd_hostname_check(host, len, why);
}

int rd_dns_check_host(const char *host, const char **why) {
  rd_dns_addr a;
  int r = classify(host, &a, why);
  return r < 0 ? r : 0;
}

/* ---- ordering (RFC 6724 §6, rules 1 and 6) ------------------------------------------------ */

/* The default policy table's precedence (RFC 6724 §2.1); IPv4 is ::ffff:0:0/96. */
static int precedence(const rd_dns_addr *a) {
  if (a->family == AF_INET)
    return 35;
  const uint8_t *b = ((const struct sockaddr_in6 *)&a->sa)->sin6_addr.s6_addr;
  static const uint8_t loopback[16] = {[15] = 1};
  static const uint8_t zero12[12] = {0};
  if (memcmp(b, loopback, 16) == 0)
    return 50;
  if (b[0] == 0x20 && b[1] == 0x02)
    return 30; /* 2002::/16 6to4 */
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
    return 5; /* 2001::/32 Teredo */
  if ((b[0] & 0xfe) == 0xfc)
    return 3; /* fc00::/7 ULA */
  if (memcmp(b, zero12, 12) == 0)
    return 1; /* ::/96 IPv4-compatible, deprecated */
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
    return 1; /* fec0::/10 site-local, deprecated */
  if (b[0] == 0x3f && b[1] == 0xfe)
    return 1; /* 3ffe::/16 6bone */
  return 40;
}

/* Rule 1: a destination the kernel has no route or source address for goes last. Connecting a
 * UDP socket asks the routing table and sends nothing. */
static bool usable(const rd_dns_addr *a) {
  int fd = socket(a->family, SOCK_DGRAM, 0);
  if (fd < 0)
    return true; /* cannot tell: keep the answer's order */
  struct sockaddr_storage ss = a->sa;
  if (a->family == AF_INET)
    ((struct sockaddr_in *)&ss)->sin_port = htons(9);
  else
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(9);
  bool ok = connect(fd, (const struct sockaddr *)&ss, a->salen) == 0;
  close_socket(fd);
  return ok;
}

static bool same_addr(const rd_dns_addr *x, const rd_dns_addr *y) {
  if (x->family != y->family)
    return false;
  if (x->family == AF_INET)
    return memcmp(&((const struct sockaddr_in *)&x->sa)->sin_addr,
                  &((const struct sockaddr_in *)&y->sa)->sin_addr, sizeof(struct in_addr)) == 0;
  return memcmp(&((const struct sockaddr_in6 *)&x->sa)->sin6_addr,
                &((const struct sockaddr_in6 *)&y->sa)->sin6_addr,
                sizeof(struct in6_addr)) == 0;
}


static void addr_of_raw(rd_dns_addr *a, int f, const raw_addr *r) {
  addr_set(a, f == FAM_A ? AF_INET : AF_INET6, r->ip, r->ttl);
}

/* Merges both families' answers into res->addrs, deduplicated, then sorts stably. */
static void merge_and_sort(const rd_dns_req *req, rd_dns_result *res) {
  int key[RD_DNS_MAX_ADDRS];
  res->n_addrs = 0;
  for (int f = 0; f < N_FAM; f++) {
    const fam_query *fq = &req->fam[f];
    res->truncated |= fq->truncated;
    for (size_t i = 0; i < fq->n; i++) {
      rd_dns_addr a;
      addr_of_raw(&a, f, &fq->addrs[i]);
      bool dup = false;
      for (size_t j = 0; j < res->n_addrs && !dup; j++)
        dup = same_addr(&res->addrs[j], &a);
      if (dup)
        continue;
      if (res->n_addrs == RD_DNS_MAX_ADDRS) {
        res->truncated = true;
        break;
      }
      res->addrs[res->n_addrs++] = a;
    }
  }
  if (res->n_addrs < 2)
    return;
  for (size_t i = 0; i < res->n_addrs; i++)
    key[i] = (usable(&res->addrs[i]) ? 100 : 0) + precedence(&res->addrs[i]);
  for (size_t i = 1; i < res->n_addrs; i++) { /* insertion sort: stable, at most 16 */
    rd_dns_addr a = res->addrs[i];
    int k = key[i];
    size_t j = i;
    for (; j > 0 && key[j - 1] < k; j--) {
      res->addrs[j] = res->addrs[j - 1];
      key[j] = key[j - 1];
    }
    res->addrs[j] = a;
    key[j] = k;
  }
}

/* ---- the result --------------------------------------------------------------------------- */

static rd_dns_status status_of_ares(int st) {
  switch (st) {
  case ARES_SUCCESS:
    return RD_DNS_OK;
  case ARES_ENODATA: /* NOERROR with no answer of the type (qcallback in ares_query.c) */
    return RD_DNS_NODATA;
  case ARES_ENOTFOUND: /* rcode NXDOMAIN, or a .onion name (RFC 7686) */
    return RD_DNS_NXDOMAIN;
  case ARES_ESERVFAIL:
    return RD_DNS_SERVFAIL;
  case ARES_EREFUSED:
    return RD_DNS_REFUSED;
  case ARES_ETIMEOUT:
    return RD_DNS_TIMEOUT;
  case ARES_ECONNREFUSED: /* no server took the query: ICMP refused, or a socket could not open */
    return RD_DNS_NO_SERVERS;
  case ARES_ECANCELLED:
  case ARES_EDESTRUCTION:
    return RD_DNS_CANCELLED;
  default: /* EFORMERR, ENOTIMP, EBADRESP, ENOMEM, … */
    return RD_DNS_ERROR;
  }
}

/* Why there is no address, when neither family has one: a missing name outranks everything,
 * a server's answer outranks silence, a clean "no such record" comes last. */
static rd_dns_status combine(const rd_dns_req *req) {
  static const rd_dns_status order[] = {RD_DNS_CANCELLED, RD_DNS_NXDOMAIN,   RD_DNS_REFUSED,
                                        RD_DNS_SERVFAIL,  RD_DNS_NO_SERVERS, RD_DNS_TIMEOUT,
                                        RD_DNS_ERROR,     RD_DNS_NODATA};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    for (int f = 0; f < N_FAM; f++)
      if (req->fam[f].asked && req->fam[f].status == order[i])
        return order[i];
  return RD_DNS_ERROR;
}


/* Fills *res (zeroed by the caller) from what the request gathered. */
static void build_result(const rd_dns_req *req, rd_dns_result *res) {
  const rd_dns_resolver *rs = req->rs;
  res->status_a = req->fam[FAM_A].status;
  res->status_aaaa = req->fam[FAM_AAAA].status;
  res->from_hosts_file = req->from_hosts;
  res->duration_ms = (uv_hrtime() - req->t0_ns) / 1000000u;
  put_text(res->canonical, sizeof res->canonical, "%s", req->canonical);

  if (req->cancelled) {
    res->status = RD_DNS_CANCELLED;
    res->n_addrs = 0;
    put_text(res->detail, sizeof res->detail, "cancelled after %llu ms",
             (unsigned long long)res->duration_ms);
    return;
  }
  if (req->literal) {
    res->status = RD_DNS_LITERAL;
    res->n_addrs = 1;
    res->addrs[0] = req->lit;
    put_text(res->detail, sizeof res->detail, "IP address, no lookup");
    return;
  }
  merge_and_sort(req, res);
  if (req->io_failed) {
    res->status = RD_DNS_ERROR;
    res->n_addrs = 0;
    put_text(res->detail, sizeof res->detail, "could not watch a DNS socket on the loop");
    return;
  }
  const char *where = req->from_hosts ? "the hosts file" : rs->where;
  if (res->n_addrs > 0) {
    res->status = RD_DNS_OK;
    bool a_missing = req->fam[FAM_A].asked && req->fam[FAM_A].status != RD_DNS_OK;
    bool aaaa_missing = req->fam[FAM_AAAA].asked && req->fam[FAM_AAAA].status != RD_DNS_OK;
    put_text(res->detail, sizeof res->detail, "%zu address%s from %s%s%s", res->n_addrs,
             res->n_addrs == 1 ? "" : "es", where,
             a_missing ? ", A: " : aaaa_missing ? ", AAAA: " : "",
             a_missing      ? rd_dns_status_name(res->status_a)
             : aaaa_missing ? rd_dns_status_name(res->status_aaaa)
                            : "");
    return;
  }
  res->status = combine(req);
  switch (res->status) {
  case RD_DNS_NXDOMAIN:
    put_text(res->detail, sizeof res->detail, "NXDOMAIN from %s", where);
    break;
  case RD_DNS_NODATA:
    put_text(res->detail, sizeof res->detail, "the name exists but has no %s record at %s",
             !req->fam[FAM_AAAA].asked ? "A" : !req->fam[FAM_A].asked ? "AAAA" : "A or AAAA",
             where);
    break;
  case RD_DNS_SERVFAIL:
    put_text(res->detail, sizeof res->detail, "SERVFAIL from %s", where);
    break;
  case RD_DNS_REFUSED:
    put_text(res->detail, sizeof res->detail, "REFUSED by %s", where);
    break;
  case RD_DNS_TIMEOUT:
    put_text(res->detail, sizeof res->detail, "no answer from %s within %u ms", where,
             req->timeout_ms);
    break;
  case RD_DNS_NO_SERVERS:
    if (rs->no_servers)
      put_text(res->detail, sizeof res->detail, "no DNS server configured");
    else
      put_text(res->detail, sizeof res->detail, "no DNS server reachable at %s", where);
    break;
  default: {
    int st = req->fam[FAM_A].status == RD_DNS_ERROR ? req->fam[FAM_A].ares_status
                                                     : req->fam[FAM_AAAA].ares_status;
    put_text(res->detail, sizeof res->detail, "%s (%s)", ares_strerror(st), where);
    break;
  }
  }
}

/* Now, on the clock uv_now() follows, but read afresh: a loop turn that starts thousands of
 * requests must not give the last ones a deadline that began before they did. */
static uint64_t mono_ms(void) {
  return uv_hrtime() / 1000000u;
}

/* Milliseconds until `deadline` on the loop's timer clock, which lags the real one: a timer set
 * this way never fires before the deadline. */
static uint64_t until(const rd_dns_resolver *rs, uint64_t deadline) {
  uint64_t loop_now = uv_now(rs->loop);
  return deadline > loop_now ? deadline - loop_now : 0;
}

/* ---- the resolver's handles --------------------------------------------------------------- */

static void resolver_release(rd_dns_resolver *rs) {
  if (rs->freeing && rs->open_handles == 0 && rs->reqs == 0)
    free(rs);
}

static void on_watch_closed(uv_handle_t *h) {
  sock_watch *w = h->data;
  rd_dns_resolver *rs = w->rs;
  for (sock_watch **p = &rs->watches; *p != NULL; p = &(*p)->next) {
    if (*p == w) {
      *p = w->next;
      break;
    }
  }
  free(w);
  rs->open_handles--;
  resolver_release(rs);
}

static void on_resolver_timer_closed(uv_handle_t *h) {
  rd_dns_resolver *rs = h->data;
  rs->open_handles--;
  resolver_release(rs);
}

static void close_watch(sock_watch *w) {
  if (w->closing)
    return;
  w->closing = true;
  /* uv_close stops the poll (epoll_ctl DEL) now, before c-ares closes the descriptor. */
  uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

static void on_resolver_timer(uv_timer_t *t);

/* Sets the retransmit timer to c-ares' next timeout, or stops it when no query is left. Called
 * after every entry into c-ares. */
static void arm_resolver(rd_dns_resolver *rs) {
  if (rs->channel == NULL)
    return;
  struct timeval buf;
  struct timeval *tv = ares_timeout(rs->channel, NULL, &buf);
  if (tv == NULL) {
    uv_timer_stop(&rs->timer);
    return;
  }
  /* Round up: waking a millisecond early would spin through an idle ares_process_fd. */
  uint64_t wait = (uint64_t)tv->tv_sec * 1000u + ((uint64_t)tv->tv_usec + 999u) / 1000u;
  uv_timer_start(&rs->timer, on_resolver_timer, wait, 0);
}

static void on_resolver_timer(uv_timer_t *t) {
  rd_dns_resolver *rs = t->data;
  if (rs->channel == NULL)
    return;
  ares_process_fd(rs->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* retransmits, give-ups */
  arm_resolver(rs);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_watch *w = h->data;
  rd_dns_resolver *rs = w->rs;
  if (w->closing || rs->channel == NULL)
    return;
  /* On a poll error let c-ares read and write: the failing call tells it what happened. */
  ares_socket_t rfd = (status < 0 || (events & UV_READABLE)) ? w->fd : ARES_SOCKET_BAD;
  ares_socket_t wfd = (status < 0 || (events & UV_WRITABLE)) ? w->fd : ARES_SOCKET_BAD;
  ares_process_fd(rs->channel, rfd, wfd);
  arm_resolver(rs);
}

static void on_req_timer(uv_timer_t *t);

/* A socket nobody watches would leave its queries to time out with answers unread: every request
 * waiting on DNS ends now, with RD_DNS_ERROR (from the loop, through its timer). */
static void fail_all(rd_dns_resolver *rs) {
  rs->io_failed = true;
  for (rd_dns_req *req = rs->inflight; req != NULL; req = req->next) {
    if (req->fam[FAM_A].pending || req->fam[FAM_AAAA].pending) {
      req->io_failed = true;
      uv_timer_start(&req->timer, on_req_timer, 0, 0);
    }
  }
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  rd_dns_resolver *rs = data;
  sock_watch *w = rs->watches;
  while (w != NULL && (w->fd != fd || w->closing))
    w = w->next;
  if (!readable && !writable) {
    if (w != NULL)
      close_watch(w);
    return;
  }
  if (w == NULL) {
    w = calloc(1, sizeof *w);
    if (w == NULL) {
      fail_all(rs);
      return;
    }
    if (uv_poll_init_socket(rs->loop, &w->poll, fd) != 0) {
      free(w);
      fail_all(rs);
      return;
    }
    uv_unref((uv_handle_t *)&w->poll); /* requests hold the loop, not sockets */
    w->fd = fd;
    w->rs = rs;
    w->poll.data = w;
    w->next = rs->watches;
    rs->watches = w;
    rs->open_handles++;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (uv_poll_start(&w->poll, events, on_poll) != 0)
    fail_all(rs);
}

/* ---- a request's life --------------------------------------------------------------------- */

static void on_req_closed(uv_handle_t *h) {
  rd_dns_req *req = h->data;
  rd_dns_resolver *rs = req->rs;
  free(req);
  rs->reqs--;
  resolver_release(rs);
}

/* Leaves the request's queries to c-ares: their answers, when they come, are dropped. */
static void detach_queries(rd_dns_req *req) {
  for (int f = 0; f < N_FAM; f++) {
    if (req->fam[f].query != NULL) {
      req->fam[f].query->req = NULL;
      req->fam[f].query = NULL;
    }
  }
}

/* Builds the result, calls back exactly once, and closes the request's timer; the request is
 * freed when it has closed. Called only from the request's timer, never from inside c-ares. */
static void finish(rd_dns_req *req, rd_dns_status unanswered) {
  if (req->delivered)
    return;
  req->delivered = true;
  if (req->prev != NULL)
    req->prev->next = req->next;
  else
    req->rs->inflight = req->next;
  if (req->next != NULL)
    req->next->prev = req->prev;
  detach_queries(req);
  for (int f = 0; f < N_FAM; f++) {
    if (req->fam[f].pending) {
      req->fam[f].pending = false;
      req->fam[f].status = unanswered;
    }
  }
  rd_dns_result res;
  memset(&res, 0, sizeof res);
  build_result(req, &res);
  uv_timer_stop(&req->timer);
  uv_close((uv_handle_t *)&req->timer, on_req_closed);
  /* The timer closes on a later loop turn, so req outlives the callback (a cancel from inside
   * it finds req->delivered). */
  req->cb(req->arg, &res);
}

static bool all_answered(const rd_dns_req *req) {
  return !req->fam[FAM_A].pending && !req->fam[FAM_AAAA].pending;
}

/* The deadline, or a zero timeout when there is something to deliver. */
static void on_req_timer(uv_timer_t *t) {
  rd_dns_req *req = t->data;
  if (req->delivered)
    return;
  if (req->cancelled)
    finish(req, RD_DNS_CANCELLED);
  else if (req->io_failed || all_answered(req))
    finish(req, RD_DNS_ERROR);
  else if (mono_ms() >= req->deadline)
    finish(req, RD_DNS_TIMEOUT);
  else
    uv_timer_start(&req->timer, on_req_timer, until(req->rs, req->deadline), 0);
}

/* ---- answers ------------------------------------------------------------------------------ */

static void strip_dot(char *s) {
  size_t n = strlen(s);
  if (n > 1 && s[n - 1] == '.')
    s[n - 1] = '\0';
}

static void parse_answer(rd_dns_req *req, int f, const unsigned char *abuf, int alen) {
  fam_query *fq = &req->fam[f];
  struct hostent *he = NULL;
  int n = RD_DNS_MAX_ADDRS;
  int st;
  if (f == FAM_A) {
    struct ares_addrttl ttls[RD_DNS_MAX_ADDRS];
    st = ares_parse_a_reply(abuf, alen, &he, ttls, &n);
    for (int i = 0; st == ARES_SUCCESS && i < n; i++) {
      raw_addr *r = &fq->addrs[fq->n++];
      memcpy(r->ip, &ttls[i].ipaddr, sizeof ttls[i].ipaddr);
      r->ttl = (uint32_t)ttls[i].ttl;
    }
  } else {
    struct ares_addr6ttl ttls[RD_DNS_MAX_ADDRS];
    st = ares_parse_aaaa_reply(abuf, alen, &he, ttls, &n);
    for (int i = 0; st == ARES_SUCCESS && i < n; i++) {
      raw_addr *r = &fq->addrs[fq->n++];
      memcpy(r->ip, &ttls[i].ip6addr, sizeof ttls[i].ip6addr);
      r->ttl = (uint32_t)ttls[i].ttl;
    }
  }
  if (st == ARES_SUCCESS && he != NULL) {
    /* ares_parse_*_reply fills at most n addresses; the hostent counts them all. */
    size_t total = 0;
    while (he->h_addr_list != NULL && he->h_addr_list[total] != NULL)
      total++;
    fq->truncated = total > fq->n;
    /* h_name is the owner of the addresses: the end of a CNAME chain, or the name found
     * through the search list. Recorded only when it is not the name we typed. */
    char asked[RD_DNS_NAME_MAX + 2];
    snprintf(asked, sizeof asked, "%s", req->host);
    strip_dot(asked);
    if (he->h_name != NULL && strcasecmp(he->h_name, asked) != 0 &&
        (req->canonical[0] == '\0' || f == FAM_A)) {
      snprintf(req->canonical, sizeof req->canonical, "%s", he->h_name);
      strip_dot(req->canonical);
    }
  }
  if (he != NULL)
    ares_free_hostent(he);
  fq->ares_status = st;
  if (st == ARES_SUCCESS && fq->n > 0)
    fq->status = RD_DNS_OK;
  else if (st == ARES_SUCCESS || st == ARES_ENODATA)
    fq->status = RD_DNS_NODATA; /* e.g. a CNAME with no address of this family at its end */
  else
    fq->status = RD_DNS_ERROR; /* a reply c-ares cannot parse */
}

static void ask(rd_dns_req *req, int f);

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  ticket *t = arg;
  rd_dns_req *req = t->req;
  int f = t->fam;
  free(t);
  if (req == NULL)
    return; /* the request ended first (deadline, cancel) or the resolver is being freed */
  fam_query *fq = &req->fam[f];
  fq->query = NULL;
  if (status == ARES_ETIMEOUT) {
    /* c-ares' tries follow the resolver's timeout; this request may have a longer one. Asking
     * again is one more round of tries; too close to the deadline, the deadline answers. */
    if (req->deadline > mono_ms() + MIN_TRY_MS)
      ask(req, f);
    return;
  }
  fq->pending = false;
  fq->ares_status = status;
  if (status == ARES_SUCCESS && abuf != NULL)
    parse_answer(req, f, abuf, alen);
  else
    fq->status = status_of_ares(status);
  if (all_answered(req))
    uv_timer_start(&req->timer, on_req_timer, 0, 0); /* deliver from the loop, not from here */
}

/* c-ares' getaddrinfo on a channel whose only lookup is "f" reads the hosts file and calls back
 * before it returns (ares_getaddrinfo.c next_lookup). */
static void hosts_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
  rd_dns_req *req = arg;
  if (status != ARES_SUCCESS || ai == NULL) {
    if (ai != NULL)
      ares_freeaddrinfo(ai);
    return;
  }
  for (struct ares_addrinfo_node *n = ai->nodes; n != NULL; n = n->ai_next) {
    int f = n->ai_family == AF_INET ? FAM_A : n->ai_family == AF_INET6 ? FAM_AAAA : -1;
    if (f < 0)
      continue;
    /* Named in any family, the file answers for both: one not asked for is still not DNS's. */
    req->from_hosts = true;
    fam_query *fq = &req->fam[f];
    if (!fq->asked)
      continue;
    if (fq->n == RD_DNS_MAX_ADDRS) {
      fq->truncated = true;
      continue;
    }
    raw_addr *r = &fq->addrs[fq->n++];
    memset(r, 0, sizeof *r);
    if (f == FAM_A)
      memcpy(r->ip, &((struct sockaddr_in *)n->ai_addr)->sin_addr, 4);
    else
      memcpy(r->ip, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
  }
  ares_freeaddrinfo(ai);
}

/* ---- setup -------------------------------------------------------------------------------- */

static uv_once_t library_once = UV_ONCE_INIT;
static int library_status = ARES_ENOTINITIALIZED;

static void library_init(void) {
  /* Process-wide and not thread-safe in c-ares itself, hence once; never cleaned up. */
  library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* "127.0.0.1:5353" or "10.0.0.1:53 (+1 more)" for the detail text; sets no_servers on none. */
static int describe_servers(rd_dns_resolver *rs) {
  struct ares_addr_port_node *list = NULL;
  if (ares_get_servers_ports(rs->channel, &list) != ARES_SUCCESS)
    return RD_E_NOMEM;
  size_t n = 0;
  for (struct ares_addr_port_node *p = list; p != NULL; p = p->next)
    n++;
  if (n == 0) {
    rs->no_servers = true;
    put_text(rs->where, sizeof rs->where, "no server");
  } else {
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(list->family, &list->addr, ip, sizeof ip);
    int port = list->udp_port != 0 ? list->udp_port : 53;
    bool v6 = list->family == AF_INET6;
    char more[24] = "";
    if (n > 1)
      put_text(more, sizeof more, " (+%zu more)", n - 1);
    put_text(rs->where, sizeof rs->where, "%s%s%s:%d%s", v6 ? "[" : "", ip, v6 ? "]" : "",
             port, more);
  }
  ares_free_data(list);
  return 0;
}

static int open_channel(rd_dns_resolver *rs, const rd_dns_resolver_opts *o) {
  unsigned tries = o->tries != 0 ? o->tries : DEFAULT_TRIES;
  if (tries > MAX_TRIES)
    tries = MAX_TRIES;
  /* c-ares doubles the per-try timeout on each round through the servers, so tries of t, 2t,
   * 4t… fit in the resolver's timeout when t = timeout / (2^tries - 1). With several servers,
   * each gets t on the first round and a request's deadline cuts the last rounds short. */
  unsigned try_ms = rs->timeout_ms / ((1u << tries) - 1u);
  if (try_ms < MIN_TRY_MS)
    try_ms = MIN_TRY_MS;
  struct ares_options ao;
  memset(&ao, 0, sizeof ao);
  char lookups[] = "f";
  /* NOCHECKRESP: without it c-ares 1.18 retries a SERVFAIL or REFUSED answer and reports
   * ARES_ECONNREFUSED, which is what an unreachable server gives (ares_process.c). A channel
   * flag, so it holds for every request of the resolver. */
  ao.flags = ARES_FLAG_NOCHECKRESP;
  ao.timeout = (int)try_ms;
  ao.tries = (int)tries;
  ao.sock_state_cb = sock_state_cb;
  ao.sock_state_cb_data = rs;
  ao.lookups = lookups; /* only ares_getaddrinfo reads it: hosts file only, never DNS */
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
             ARES_OPT_LOOKUPS;
  int st = ares_init_options(&rs->channel, &ao, mask);
  if (st != ARES_SUCCESS) {
    rs->channel = NULL;
    return st == ARES_ENOMEM ? RD_E_NOMEM : RD_E_IO;
  }
  if (o->servers != NULL) {
    /* c-ares 1.18 takes an empty CSV as "keep resolv.conf's"; we mean "none". */
    if (o->servers[0] == '\0')
      st = ares_set_servers_ports(rs->channel, NULL);
    else
      st = ares_set_servers_ports_csv(rs->channel, o->servers);
    if (st != ARES_SUCCESS)
      return st == ARES_ENOMEM ? RD_E_NOMEM : RD_E_INVALID;
  }
  return describe_servers(rs);
}

rd_dns_resolver *rd_dns_resolver_new(uv_loop_t *loop, const rd_dns_resolver_opts *opts) {
  static const rd_dns_resolver_opts defaults = {0};
  const rd_dns_resolver_opts *o = opts != NULL ? opts : &defaults;
  if (loop == NULL)
    return NULL;
  uv_once(&library_once, library_init);
  if (library_status != ARES_SUCCESS)
    return NULL;
  rd_dns_resolver *rs = calloc(1, sizeof *rs);
  if (rs == NULL)
    return NULL;
  rs->loop = loop;
  rs->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
  if (open_channel(rs, o) != 0) {
    if (rs->channel != NULL)
      ares_destroy(rs->channel); /* no socket is open yet: sock_state_cb is not called */
    free(rs);
    return NULL;
  }
  uv_timer_init(loop, &rs->timer);
  uv_unref((uv_handle_t *)&rs->timer); /* requests hold the loop, not c-ares' schedule */
  rs->timer.data = rs;
  rs->open_handles = 1;
  return rs;
}

void rd_dns_resolver_free(rd_dns_resolver *rs) {
  if (rs == NULL || rs->freeing)
    return;
  rs->freeing = true;
  for (rd_dns_req *req = rs->inflight; req != NULL; req = req->next)
    rd_dns_cancel(req); /* detaches its queries; delivered from its timer */
  ares_channel ch = rs->channel;
  rs->channel = NULL;
  /* Every query left is detached: ares_destroy's ARES_EDESTRUCTION calls only free tickets, and
   * its sockets close through sock_state_cb(fd, 0, 0). */
  ares_destroy(ch);
  for (sock_watch *w = rs->watches; w != NULL; w = w->next)
    close_watch(w);
  uv_timer_stop(&rs->timer);
  uv_close((uv_handle_t *)&rs->timer, on_resolver_timer_closed);
}

static bool is_localhost(const char *host) {
  size_t n = strlen(host);
  if (n > 0 && host[n - 1] == '.')
    n--;
  static const char lh[] = "localhost";
  size_t l = sizeof lh - 1;
  /* RFC 6761 §6.3: "localhost" and every name under it. */
  return n >= l && strncasecmp(host + n - l, lh, l) == 0 && (n == l || host[n - l - 1] == '.');
}

static void answer_localhost(rd_dns_req *req) {
  fam_query *a = &req->fam[FAM_A], *aaaa = &req->fam[FAM_AAAA];
  if (a->asked && a->n == 0) {
    static const uint8_t v4[4] = {127, 0, 0, 1};
    memset(&a->addrs[0], 0, sizeof a->addrs[0]);
    memcpy(a->addrs[a->n++].ip, v4, sizeof v4);
  }
  if (aaaa->asked && aaaa->n == 0) {
    static const uint8_t v6[16] = {[15] = 1};
    memset(&aaaa->addrs[0], 0, sizeof aaaa->addrs[0]);
    memcpy(aaaa->addrs[aaaa->n++].ip, v6, sizeof v6);
  }
  req->from_hosts = true;
}

/* Sends one family's question. A dotted name is asked as typed: the search list would turn its
 * NXDOMAIN into whatever name.search-domain gives. A single label needs the search list to mean
 * anything. c-ares may call query_cb before this returns (no server could take it). */
static void ask(rd_dns_req *req, int f) {
  static const int types[N_FAM] = {DNS_TYPE_A, DNS_TYPE_AAAA};
  fam_query *fq = &req->fam[f];
  ticket *t = malloc(sizeof *t);
  if (t == NULL) {
    fq->pending = false;
    fq->status = RD_DNS_ERROR;
    fq->ares_status = ARES_ENOMEM;
    return;
  }
  t->req = req;
  t->fam = f;
  fq->query = t;
  if (strchr(req->host, '.') != NULL)
    ares_query(req->rs->channel, req->host, DNS_CLASS_IN, types[f], query_cb, t);
  else
    ares_search(req->rs->channel, req->host, DNS_CLASS_IN, types[f], query_cb, t);
}

int rd_dns_resolve(rd_dns_resolver *rs, const char *host, const rd_dns_opts *opts, rd_dns_cb cb,
                   void *arg, rd_dns_req **out) {
  static const rd_dns_opts defaults = {0};
  const rd_dns_opts *o = opts != NULL ? opts : &defaults;
  if (rs == NULL || rs->freeing || cb == NULL || out == NULL)
    return RD_E_INVALID;
  *out = NULL;
  if (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6)
    return RD_E_INVALID;
  rd_dns_addr lit;
  int kind = classify(host, &lit, NULL);
  if (kind < 0 || (kind == 1 && o->family != AF_UNSPEC && o->family != lit.family))
    return RD_E_INVALID; /* an IPv6 literal with -4 asked is a usage error, not a lookup */
  rd_dns_req *req = calloc(1, sizeof *req);
  if (req == NULL)
    return RD_E_NOMEM;
  req->rs = rs;
  req->cb = cb;
  req->arg = arg;
  req->t0_ns = uv_hrtime();
  req->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : rs->timeout_ms;
  snprintf(req->host, sizeof req->host, "%s", host);
  for (int f = 0; f < N_FAM; f++)
    req->fam[f].status = RD_DNS_SKIPPED;
  req->fam[FAM_A].asked = o->family != AF_INET6;
  req->fam[FAM_AAAA].asked = o->family != AF_INET;
  /* From here on nothing fails synchronously: errors reach the callback. */
  uv_timer_init(rs->loop, &req->timer);
  req->timer.data = req;
  rs->reqs++;
  req->next = rs->inflight;
  if (rs->inflight != NULL)
    rs->inflight->prev = req;
  rs->inflight = req;
  req->deadline = mono_ms() + req->timeout_ms;

  if (kind == 1) {
    req->literal = true;
    req->lit = lit;
    req->fam[lit.family == AF_INET ? FAM_A : FAM_AAAA].status = RD_DNS_LITERAL;
    req->fam[FAM_A].asked = req->fam[FAM_AAAA].asked = false;
  } else {
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* both, even when one is asked: see hosts_cb */
    hints.ai_flags = ARES_AI_NOSORT | ARES_AI_ENVHOSTS;
    /* c-ares 1.18.1 leaks the name when exactly "localhost" is missing from the file (it
     * strdups it twice on the way to its RFC 6761 fallback). The file match ignores case and
     * the fallback does not, so "LOCALHOST" reads the same entries; ours is answer_localhost. */
    const char *file_name = strcmp(req->host, "localhost") == 0 ? "LOCALHOST" : req->host;
    ares_getaddrinfo(rs->channel, file_name, NULL, &hints, hosts_cb, req);
    if (!req->from_hosts && is_localhost(req->host))
      answer_localhost(req);
    for (int f = 0; f < N_FAM; f++) {
      if (!req->fam[f].asked)
        continue;
      if (req->from_hosts)
        req->fam[f].status = req->fam[f].n > 0 ? RD_DNS_OK : RD_DNS_NODATA;
      else if (rs->no_servers)
        req->fam[f].status = RD_DNS_NO_SERVERS; /* ares_send would also leak here (1.18) */
      else
        req->fam[f].pending = true;
    }
    if (rs->io_failed && !all_answered(req))
      req->io_failed = true;
    else
      for (int f = 0; f < N_FAM; f++)
        if (req->fam[f].pending)
          ask(req, f);
    arm_resolver(rs);
  }
  bool now = req->io_failed || all_answered(req);
  uv_timer_start(&req->timer, on_req_timer, now ? 0 : until(rs, req->deadline), 0);
  *out = req;
  return 0;
}

void rd_dns_cancel(rd_dns_req *req) {
  if (req == NULL || req->delivered || req->cancelled)
    return;
  req->cancelled = true;
  detach_queries(req); /* answers from now on are not this request's */
  /* Deliver from the loop, so a caller cancelling in its own teardown is not re-entered. */
  uv_timer_start(&req->timer, on_req_timer, 0, 0);
}
