/* The Name phase's resolver: c-ares on a libuv loop (see dns.h for the lookup order).
 *
 * One request = one c-ares channel + one uv_timer_t + one uv_poll_t per socket c-ares opens.
 * The timer does three jobs: c-ares' retransmit timeouts, the request's overall deadline, and
 * deferring the callback to the loop (a zero timeout). Every call into c-ares returns before the
 * request finishes, because destroying a channel from inside its own callback is undefined. */
#include <sys/select.h> /* ares.h uses fd_set without including its header */

#include "net/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/err.h"

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
  rd_dns_req *req;
  struct sock_watch *next;
} sock_watch;

typedef struct fam_query {
  rd_dns_req *req;
  bool asked, pending;
  rd_dns_status status;
  int ares_status; /* for the detail text of RD_DNS_ERROR */
  rd_dns_addr addrs[RD_DNS_MAX_ADDRS];
  size_t n;
  bool truncated;
  char canonical[RD_DNS_NAME_MAX + 1];
} fam_query;

struct rd_dns_req {
  uv_loop_t *loop;
  ares_channel channel; /* NULL for literals, and once the request has finished */
  uv_timer_t timer;
  sock_watch *watches;
  unsigned open_handles; /* the timer and the watches not yet closed; req is freed at 0 */
  rd_dns_cb cb;
  void *arg;
  uint64_t t0_ns;
  uint64_t deadline; /* in uv_now() milliseconds */
  unsigned timeout_ms;
  fam_query fam[N_FAM];
  bool literal, from_hosts, no_servers, io_failed, cancelled, delivered;
  char host[RD_DNS_NAME_MAX + 2];
  char where[64]; /* the server list, for the detail text */
  rd_dns_result res;
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

static bool is_label_char(unsigned char c) {
  /* Underscore is not LDH (RFC 1123) but real Windows and SRV-style names carry it. */
  return isalnum(c) || c == '-' || c == '_';
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
  size_t name_len = len;
  if (name_len > 1 && host[name_len - 1] == '.')
    name_len--; /* one trailing dot: the name is absolute */
  if (name_len > RD_DNS_NAME_MAX) {
    *why = "host name longer than 253 characters";
    return RD_E_INVALID;
  }
  size_t label_start = 0;
  bool all_digits = true;
  for (size_t i = 0; i <= name_len; i++) {
    unsigned char c = i < name_len ? (unsigned char)host[i] : '.';
    if (c == '.') {
      size_t label_len = i - label_start;
      if (label_len == 0) {
        *why = "empty label in host name";
        return RD_E_INVALID;
      }
      if (label_len > 63) {
        *why = "label longer than 63 characters in host name";
        return RD_E_INVALID;
      }
      if (host[label_start] == '-' || host[i - 1] == '-') {
        *why = "label starts or ends with '-' in host name";
        return RD_E_INVALID;
      }
      if (i < name_len) {
        label_start = i + 1;
        all_digits = true;
      }
      continue;
    }
    if (!is_label_char(c)) {
      *why = c == '%' ? "a zone ('%') is only valid after an IPv6 address"
                      : "invalid character in host name (letters, digits, '-', '_', '.')";
      return RD_E_INVALID;
    }
    if (!isdigit(c))
      all_digits = false;
  }
  if (all_digits) {
    /* "10.0.0.256" or "10.1": getaddrinfo would guess, we say it is not an address. */
    *why = "looks like an IPv4 address but is not a valid one";
    return RD_E_INVALID;
  }
  return 0;
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

/* Merges both families' answers into res->addrs, deduplicated, then sorts stably. */
static void merge_and_sort(rd_dns_req *req) {
  rd_dns_result *res = &req->res;
  int key[RD_DNS_MAX_ADDRS];
  res->n_addrs = 0;
  for (int f = 0; f < N_FAM; f++) {
    fam_query *fq = &req->fam[f];
    res->truncated |= fq->truncated;
    for (size_t i = 0; i < fq->n; i++) {
      bool dup = false;
      for (size_t j = 0; j < res->n_addrs && !dup; j++)
        dup = same_addr(&res->addrs[j], &fq->addrs[i]);
      if (dup)
        continue;
      if (res->n_addrs == RD_DNS_MAX_ADDRS) {
        res->truncated = true;
        break;
      }
      res->addrs[res->n_addrs++] = fq->addrs[i];
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

static void build_result(rd_dns_req *req) {
  rd_dns_result *res = &req->res;
  res->status_a = req->fam[FAM_A].status;
  res->status_aaaa = req->fam[FAM_AAAA].status;
  res->from_hosts_file = req->from_hosts;
  res->duration_ms = (uv_hrtime() - req->t0_ns) / 1000000u;
  const char *canon = req->fam[FAM_A].canonical[0] != '\0' ? req->fam[FAM_A].canonical
                                                          : req->fam[FAM_AAAA].canonical;
  put_text(res->canonical, sizeof res->canonical, "%s", canon);

  if (req->cancelled) {
    res->status = RD_DNS_CANCELLED;
    res->n_addrs = 0;
    put_text(res->detail, sizeof res->detail, "cancelled after %llu ms",
             (unsigned long long)res->duration_ms);
    return;
  }
  if (req->literal) {
    res->status = RD_DNS_LITERAL;
    put_text(res->detail, sizeof res->detail, "IP address, no lookup");
    return;
  }
  merge_and_sort(req);
  if (req->io_failed) {
    res->status = RD_DNS_ERROR;
    res->n_addrs = 0;
    put_text(res->detail, sizeof res->detail, "could not watch a DNS socket on the loop");
    return;
  }
  const char *where = req->from_hosts ? "the hosts file" : req->where;
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
    if (req->no_servers)
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

/* ---- handles and teardown ----------------------------------------------------------------- */

static void release(rd_dns_req *req) {
  if (--req->open_handles == 0)
    free(req);
}

static void on_watch_closed(uv_handle_t *h) {
  sock_watch *w = h->data;
  rd_dns_req *req = w->req;
  for (sock_watch **p = &req->watches; *p != NULL; p = &(*p)->next) {
    if (*p == w) {
      *p = w->next;
      break;
    }
  }
  free(w);
  release(req);
}

static void on_timer_closed(uv_handle_t *h) {
  release(h->data);
}

static void close_watch(sock_watch *w) {
  if (w->closing)
    return;
  w->closing = true;
  /* uv_close stops the poll (epoll_ctl DEL) now, before c-ares closes the descriptor. */
  uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

/* Builds the result, releases c-ares and the handles, then calls back exactly once. Never
 * called from inside a c-ares call. */
static void finish(rd_dns_req *req, rd_dns_status unanswered) {
  if (req->delivered)
    return;
  req->delivered = true;
  for (int f = 0; f < N_FAM; f++) {
    if (req->fam[f].pending) {
      req->fam[f].pending = false; /* ares_destroy's ARES_EDESTRUCTION callbacks are ignored */
      req->fam[f].status = unanswered;
    }
  }
  build_result(req);
  ares_channel ch = req->channel;
  req->channel = NULL;
  if (ch != NULL)
    ares_destroy(ch); /* its sockets close through sock_state_cb(fd, 0, 0) */
  for (sock_watch *w = req->watches; w != NULL; w = w->next)
    close_watch(w);
  uv_timer_stop(&req->timer);
  uv_close((uv_handle_t *)&req->timer, on_timer_closed);
  /* The handles close on a later loop turn, so req and res outlive the callback. */
  req->cb(req->arg, &req->res);
}

static bool all_answered(const rd_dns_req *req) {
  return !req->fam[FAM_A].pending && !req->fam[FAM_AAAA].pending;
}

static void on_timer(uv_timer_t *t);

/* Sets the timer to the sooner of c-ares' next retransmit and the deadline, or to "now" when
 * there is nothing left to wait for. */
static void arm(rd_dns_req *req) {
  uint64_t wait = 0;
  if (!req->cancelled && !req->io_failed && !all_answered(req)) {
    uint64_t now = uv_now(req->loop);
    uint64_t left = req->deadline > now ? req->deadline - now : 0;
    struct timeval max = {.tv_sec = (time_t)(left / 1000u),
                          .tv_usec = (suseconds_t)(left % 1000u) * 1000};
    struct timeval buf;
    struct timeval *tv = ares_timeout(req->channel, &max, &buf);
    /* Round up: waking a millisecond early would spin through an idle ares_process_fd. */
    wait = (uint64_t)tv->tv_sec * 1000u + ((uint64_t)tv->tv_usec + 999u) / 1000u;
    if (wait > left)
      wait = left;
  }
  uv_timer_start(&req->timer, on_timer, wait, 0);
}

/* After each entry into c-ares: finish, or wait again. */
static void settle(rd_dns_req *req) {
  if (req->cancelled)
    finish(req, RD_DNS_CANCELLED);
  else if (req->io_failed || all_answered(req))
    finish(req, RD_DNS_ERROR);
  else if (uv_now(req->loop) >= req->deadline)
    finish(req, RD_DNS_TIMEOUT);
  else
    arm(req);
}

static void on_timer(uv_timer_t *t) {
  rd_dns_req *req = t->data;
  if (req->delivered)
    return;
  if (!req->cancelled && !req->io_failed && !all_answered(req) &&
      uv_now(req->loop) < req->deadline)
    ares_process_fd(req->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* retransmits */
  settle(req);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_watch *w = h->data;
  rd_dns_req *req = w->req;
  if (req->delivered || req->cancelled || w->closing)
    return;
  /* On a poll error let c-ares read and write: the failing call tells it what happened. */
  ares_socket_t rfd = (status < 0 || (events & UV_READABLE)) ? w->fd : ARES_SOCKET_BAD;
  ares_socket_t wfd = (status < 0 || (events & UV_WRITABLE)) ? w->fd : ARES_SOCKET_BAD;
  ares_process_fd(req->channel, rfd, wfd);
  settle(req);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  rd_dns_req *req = data;
  sock_watch *w = req->watches;
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
      req->io_failed = true;
      return;
    }
    if (uv_poll_init_socket(req->loop, &w->poll, fd) != 0) {
      free(w);
      req->io_failed = true;
      return;
    }
    w->fd = fd;
    w->req = req;
    w->poll.data = w;
    w->next = req->watches;
    req->watches = w;
    req->open_handles++;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (uv_poll_start(&w->poll, events, on_poll) != 0)
    req->io_failed = true;
}

/* ---- answers ------------------------------------------------------------------------------ */

static void strip_dot(char *s) {
  size_t n = strlen(s);
  if (n > 1 && s[n - 1] == '.')
    s[n - 1] = '\0';
}

static void parse_answer(fam_query *fq, int family, const unsigned char *abuf, int alen) {
  struct hostent *he = NULL;
  int n = RD_DNS_MAX_ADDRS;
  int st;
  if (family == AF_INET) {
    struct ares_addrttl ttls[RD_DNS_MAX_ADDRS];
    st = ares_parse_a_reply(abuf, alen, &he, ttls, &n);
    for (int i = 0; st == ARES_SUCCESS && i < n; i++)
      addr_set(&fq->addrs[fq->n++], AF_INET, &ttls[i].ipaddr, (uint32_t)ttls[i].ttl);
  } else {
    struct ares_addr6ttl ttls[RD_DNS_MAX_ADDRS];
    st = ares_parse_aaaa_reply(abuf, alen, &he, ttls, &n);
    for (int i = 0; st == ARES_SUCCESS && i < n; i++)
      addr_set(&fq->addrs[fq->n++], AF_INET6, &ttls[i].ip6addr, (uint32_t)ttls[i].ttl);
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
    snprintf(asked, sizeof asked, "%s", fq->req->host);
    strip_dot(asked);
    if (he->h_name != NULL && strcasecmp(he->h_name, asked) != 0) {
      snprintf(fq->canonical, sizeof fq->canonical, "%s", he->h_name);
      strip_dot(fq->canonical);
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

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  fam_query *fq = arg;
  if (!fq->pending)
    return; /* the request already finished (deadline, cancel, or ares_destroy) */
  fq->pending = false;
  fq->ares_status = status;
  if (status == ARES_SUCCESS && abuf != NULL)
    parse_answer(fq, fq == &fq->req->fam[FAM_A] ? AF_INET : AF_INET6, abuf, alen);
  else
    fq->status = status_of_ares(status);
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
    const void *raw = f == FAM_A ? (const void *)&((struct sockaddr_in *)n->ai_addr)->sin_addr
                                 : (const void *)&((struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
    addr_set(&fq->addrs[fq->n++], n->ai_family, raw, 0);
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
static int describe_servers(rd_dns_req *req) {
  struct ares_addr_port_node *list = NULL;
  if (ares_get_servers_ports(req->channel, &list) != ARES_SUCCESS)
    return RD_E_NOMEM;
  size_t n = 0;
  for (struct ares_addr_port_node *p = list; p != NULL; p = p->next)
    n++;
  if (n == 0) {
    req->no_servers = true;
    put_text(req->where, sizeof req->where, "no server");
  } else {
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(list->family, &list->addr, ip, sizeof ip);
    int port = list->udp_port != 0 ? list->udp_port : 53;
    bool v6 = list->family == AF_INET6;
    char more[24] = "";
    if (n > 1)
      put_text(more, sizeof more, " (+%zu more)", n - 1);
    put_text(req->where, sizeof req->where, "%s%s%s:%d%s", v6 ? "[" : "", ip, v6 ? "]" : "",
             port, more);
  }
  ares_free_data(list);
  return 0;
}

static int open_channel(rd_dns_req *req, const rd_dns_opts *o) {
  unsigned tries = o->tries != 0 ? o->tries : DEFAULT_TRIES;
  if (tries > MAX_TRIES)
    tries = MAX_TRIES;
  /* c-ares doubles the per-try timeout on each round through the servers, so tries of t, 2t,
   * 4t… fit in the deadline when t = timeout / (2^tries - 1). With several servers, each gets
   * t on the first round and the deadline cuts the last rounds short. */
  unsigned try_ms = req->timeout_ms / ((1u << tries) - 1u);
  if (try_ms < MIN_TRY_MS)
    try_ms = MIN_TRY_MS;
  struct ares_options ao;
  memset(&ao, 0, sizeof ao);
  char lookups[] = "f";
  /* NOCHECKRESP: without it c-ares 1.18 retries a SERVFAIL or REFUSED answer and reports
   * ARES_ECONNREFUSED, which is what an unreachable server gives (ares_process.c). */
  ao.flags = ARES_FLAG_NOCHECKRESP;
  ao.timeout = (int)try_ms;
  ao.tries = (int)tries;
  ao.sock_state_cb = sock_state_cb;
  ao.sock_state_cb_data = req;
  ao.lookups = lookups; /* only ares_getaddrinfo reads it: hosts file only, never DNS */
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
             ARES_OPT_LOOKUPS;
  int st = ares_init_options(&req->channel, &ao, mask);
  if (st != ARES_SUCCESS) {
    req->channel = NULL;
    return st == ARES_ENOMEM ? RD_E_NOMEM : RD_E_IO;
  }
  if (o->servers != NULL) {
    /* c-ares 1.18 takes an empty CSV as "keep resolv.conf's"; we mean "none". */
    if (o->servers[0] == '\0')
      st = ares_set_servers_ports(req->channel, NULL);
    else
      st = ares_set_servers_ports_csv(req->channel, o->servers);
    if (st != ARES_SUCCESS)
      return st == ARES_ENOMEM ? RD_E_NOMEM : RD_E_INVALID;
  }
  return describe_servers(req);
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
  static const uint8_t v4[4] = {127, 0, 0, 1};
  static const uint8_t v6[16] = {[15] = 1};
  fam_query *a = &req->fam[FAM_A], *aaaa = &req->fam[FAM_AAAA];
  if (a->asked && a->n == 0)
    addr_set(&a->addrs[a->n++], AF_INET, v4, 0);
  if (aaaa->asked && aaaa->n == 0)
    addr_set(&aaaa->addrs[aaaa->n++], AF_INET6, v6, 0);
  req->from_hosts = true;
}

static void start_dns(rd_dns_req *req) {
  /* A dotted name is asked as typed: the search list would turn its NXDOMAIN into whatever
   * name.search-domain gives. A single label needs the search list to mean anything. */
  bool dotted = strchr(req->host, '.') != NULL;
  static const int types[N_FAM] = {DNS_TYPE_A, DNS_TYPE_AAAA};
  for (int f = 0; f < N_FAM; f++) {
    fam_query *fq = &req->fam[f];
    if (!fq->asked)
      continue;
    fq->pending = true;
    if (dotted)
      ares_query(req->channel, req->host, DNS_CLASS_IN, types[f], query_cb, fq);
    else
      ares_search(req->channel, req->host, DNS_CLASS_IN, types[f], query_cb, fq);
  }
}

int rd_dns_resolve(uv_loop_t *loop, const char *host, const rd_dns_opts *opts, rd_dns_cb cb,
                   void *arg, rd_dns_req **out) {
  static const rd_dns_opts defaults = {0};
  const rd_dns_opts *o = opts != NULL ? opts : &defaults;
  if (loop == NULL || cb == NULL || out == NULL)
    return RD_E_INVALID;
  *out = NULL;
  if (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6)
    return RD_E_INVALID;
  rd_dns_req *req = calloc(1, sizeof *req);
  if (req == NULL)
    return RD_E_NOMEM;
  rd_dns_addr lit;
  int kind = classify(host, &lit, NULL);
  if (kind < 0 || (kind == 1 && o->family != AF_UNSPEC && o->family != lit.family)) {
    free(req);
    return RD_E_INVALID; /* an IPv6 literal with -4 asked is a usage error, not a lookup */
  }
  req->loop = loop;
  req->cb = cb;
  req->arg = arg;
  req->t0_ns = uv_hrtime();
  req->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
  snprintf(req->host, sizeof req->host, "%s", host);
  for (int f = 0; f < N_FAM; f++) {
    req->fam[f].req = req;
    req->fam[f].status = RD_DNS_SKIPPED;
  }
  req->fam[FAM_A].asked = o->family != AF_INET6;
  req->fam[FAM_AAAA].asked = o->family != AF_INET;

  if (kind == 1) {
    req->literal = true;
    int f = lit.family == AF_INET ? FAM_A : FAM_AAAA;
    req->fam[f].addrs[0] = lit;
    req->fam[f].n = 1;
    req->fam[f].status = RD_DNS_LITERAL;
    req->fam[FAM_A].asked = req->fam[FAM_AAAA].asked = false;
    req->res.n_addrs = 1;
    req->res.addrs[0] = lit;
  } else {
    uv_once(&library_once, library_init);
    if (library_status != ARES_SUCCESS) {
      free(req);
      return RD_E_IO;
    }
    int r = open_channel(req, o);
    if (r != 0) {
      if (req->channel != NULL)
        ares_destroy(req->channel);
      free(req);
      return r;
    }
  }
  /* From here on nothing fails synchronously: errors reach the callback. */
  uv_timer_init(loop, &req->timer);
  req->timer.data = req;
  req->open_handles = 1;
  req->deadline = uv_now(loop) + req->timeout_ms;

  if (!req->literal) {
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* both, even when one is asked: see hosts_cb */
    hints.ai_flags = ARES_AI_NOSORT | ARES_AI_ENVHOSTS;
    /* c-ares 1.18.1 leaks the name when exactly "localhost" is missing from the file (it
     * strdups it twice on the way to its RFC 6761 fallback). The file match ignores case and
     * the fallback does not, so "LOCALHOST" reads the same entries; ours is answer_localhost. */
    const char *file_name = strcmp(req->host, "localhost") == 0 ? "LOCALHOST" : req->host;
    ares_getaddrinfo(req->channel, file_name, NULL, &hints, hosts_cb, req);
    if (!req->from_hosts && is_localhost(req->host))
      answer_localhost(req);
    for (int f = 0; f < N_FAM; f++) {
      if (!req->fam[f].asked)
        continue;
      if (req->from_hosts)
        req->fam[f].status = req->fam[f].n > 0 ? RD_DNS_OK : RD_DNS_NODATA;
      else if (req->no_servers)
        req->fam[f].status = RD_DNS_NO_SERVERS; /* ares_send would also leak here (1.18) */
    }
    if (!req->from_hosts && !req->no_servers)
      start_dns(req);
  }
  arm(req);
  *out = req;
  return 0;
}

void rd_dns_cancel(rd_dns_req *req) {
  if (req == NULL || req->delivered || req->cancelled)
    return;
  req->cancelled = true;
  /* Deliver from the loop, so a caller cancelling in its own teardown is not re-entered. */
  uv_timer_start(&req->timer, on_timer, 0, 0);
}
