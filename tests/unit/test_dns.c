/* The Name phase resolver (src/net/dns.c): literals, the hosts file, hostile names, deadlines and
 * cancellation. No server process is started: real answers from dnsmasq are an integration test
 * (tests/integration/test_dns_resolve_dnsmasq.sh drives dns_resolve_dnsmasq.c). A few cases still
 * use loopback sockets of this process: a bound socket nobody reads (a silent server) and a
 * scripted responder for the answers dnsmasq will not give (SERVFAIL, NOTIMP) and for many
 * names at once on one resolver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "net/dns.h"

#define LOOP_LIMIT_MS 10000u /* no test loop may run longer than this */

/* ---- harness ------------------------------------------------------------------------------ */

typedef struct rec {
  int calls;
  rd_dns_result res;
  rd_dns_req *req;       /* for the cancel-inside-callback case */
  bool cancel_in_cb;
} rec;

static void record(void *arg, const rd_dns_result *res) {
  rec *r = arg;
  r->calls++;
  r->res = *res;
  if (r->cancel_in_cb)
    rd_dns_cancel(r->req); /* must be a no-op: the request is being delivered */
}

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000u;
}

/* What a case sets: the resolver's options (servers, tries, its timeout) and the request's
 * (timeout, family). */
typedef struct case_opts {
  const char *servers;
  unsigned timeout_ms, tries;
  int family;
} case_opts;

static rd_dns_resolver *new_resolver(uv_loop_t *loop, const case_opts *o) {
  rd_dns_resolver_opts ro = {0};
  if (o != NULL) {
    ro.servers = o->servers;
    ro.timeout_ms = o->timeout_ms;
    ro.tries = o->tries;
  }
  rd_dns_resolver *rs = rd_dns_resolver_new(loop, &ro);
  assert_non_null(rs);
  return rs;
}

static rd_dns_opts req_opts(const case_opts *o) {
  rd_dns_opts q = {0};
  if (o != NULL) {
    q.timeout_ms = o->timeout_ms;
    q.family = o->family;
  }
  return q;
}

/* Runs the loop until nothing is left, within LOOP_LIMIT_MS. */
static void run_all(uv_loop_t *loop) {
  uint64_t t0 = now_ms();
  while (uv_run(loop, UV_RUN_ONCE) != 0)
    assert_true(now_ms() - t0 < LOOP_LIMIT_MS);
}

/* Runs the loop dry (the resolver alone does not keep it alive), frees the resolver, runs the
 * loop again for its handles to close, and asserts every handle was closed. */
static void drain(uv_loop_t *loop, rd_dns_resolver *rs) {
  run_all(loop);
  rd_dns_resolver_free(rs);
  run_all(loop);
  assert_int_equal(uv_loop_close(loop), 0);
}

static void resolve(const char *host, const case_opts *o, rec *r) {
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, o);
  memset(r, 0, sizeof *r);
  rd_dns_opts q = req_opts(o);
  assert_int_equal(rd_dns_resolve(rs, host, &q, record, r, &r->req), 0);
  assert_non_null(r->req);
  assert_int_equal(r->calls, 0); /* never called back from inside rd_dns_resolve */
  drain(&loop, rs);
  assert_int_equal(r->calls, 1);
}

static bool has_addr(const rd_dns_result *res, const char *text) {
  for (size_t i = 0; i < res->n_addrs; i++)
    if (strcmp(res->addrs[i].text, text) == 0)
      return true;
  return false;
}

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
  socklen_t len = sizeof sin;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  close(fd);
  return ntohs(sin.sin_port);
}

/* A bound UDP socket nobody reads: a DNS server that never answers. */
static int silent_server(int *port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
  socklen_t len = sizeof sin;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  *port = ntohs(sin.sin_port);
  return fd;
}

/* ---- names and literals ------------------------------------------------------------------- */

static void test_rd_dns_status_name_table(void **state) {
  assert_string_equal(rd_dns_status_name(RD_DNS_OK), "ok");
  assert_string_equal(rd_dns_status_name(RD_DNS_NXDOMAIN), "nxdomain");
  assert_string_equal(rd_dns_status_name(RD_DNS_NODATA), "nodata");
  assert_string_equal(rd_dns_status_name(RD_DNS_NO_SERVERS), "no-servers");
  assert_string_equal(rd_dns_status_name(RD_DNS_CANCELLED), "cancelled");
  assert_string_equal(rd_dns_status_name(RD_DNS_SKIPPED), "skipped");
  assert_string_equal(rd_dns_status_name((rd_dns_status)99), "unknown");
}

static void test_rd_dns_resolve_literal_v4(void **state) {
  rec r;
  resolve("192.0.2.7", NULL, &r);
  assert_int_equal(r.res.status, RD_DNS_LITERAL);
  assert_int_equal(r.res.status_a, RD_DNS_LITERAL);
  assert_int_equal(r.res.status_aaaa, RD_DNS_SKIPPED);
  assert_int_equal(r.res.n_addrs, 1);
  assert_int_equal(r.res.addrs[0].family, AF_INET);
  assert_string_equal(r.res.addrs[0].text, "192.0.2.7");
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&r.res.addrs[0].sa;
  assert_int_equal(sin->sin_family, AF_INET);
  assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc0000207);
  assert_int_equal(r.res.addrs[0].salen, sizeof(struct sockaddr_in));
  assert_false(r.res.from_hosts_file);
}

static void test_rd_dns_resolve_literal_v6(void **state) {
  static const char *const forms[] = {"2001:db8::1", "[2001:db8::1]", "2001:DB8:0:0:0:0:0:1"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    rec r;
    resolve(forms[i], NULL, &r);
    assert_int_equal(r.res.status, RD_DNS_LITERAL);
    assert_int_equal(r.res.status_a, RD_DNS_SKIPPED);
    assert_int_equal(r.res.status_aaaa, RD_DNS_LITERAL);
    assert_int_equal(r.res.n_addrs, 1);
    assert_int_equal(r.res.addrs[0].family, AF_INET6);
    assert_string_equal(r.res.addrs[0].text, "2001:db8::1");
    assert_int_equal(r.res.addrs[0].salen, sizeof(struct sockaddr_in6));
  }
}

static void test_rd_dns_resolve_literal_v6_zone(void **state) {
  rec r;
  resolve("fe80::1%1", NULL, &r);
  assert_int_equal(r.res.status, RD_DNS_LITERAL);
  assert_int_equal(((const struct sockaddr_in6 *)&r.res.addrs[0].sa)->sin6_scope_id, 1);
  assert_string_equal(r.res.addrs[0].text, "fe80::1%1");
  resolve("[fe80::1%lo]", NULL, &r);
  assert_int_equal(r.res.status, RD_DNS_LITERAL);
  assert_true(((const struct sockaddr_in6 *)&r.res.addrs[0].sa)->sin6_scope_id > 0);
  assert_string_equal(r.res.addrs[0].text, "fe80::1%lo");
}

static void test_rd_dns_resolve_literal_wrong_family(void **state) {
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, NULL);
  rd_dns_opts o = {0};
  rd_dns_req *req = NULL;
  rec r = {0};
  o.family = AF_INET;
  assert_int_equal(rd_dns_resolve(rs, "::1", &o, record, &r, &req), RD_E_INVALID);
  o.family = AF_INET6;
  assert_int_equal(rd_dns_resolve(rs, "127.0.0.1", &o, record, &r, &req), RD_E_INVALID);
  o.family = 12345;
  assert_int_equal(rd_dns_resolve(rs, "127.0.0.1", &o, record, &r, &req), RD_E_INVALID);
  assert_int_equal(rd_dns_resolve(NULL, "127.0.0.1", NULL, record, &r, &req), RD_E_INVALID);
  assert_null(req);
  drain(&loop, rs);
  assert_int_equal(r.calls, 0);
}

static void test_rd_dns_check_host_invalid(void **state) {
  char long_name[300], long_label[80];
  memset(long_name, 'a', sizeof long_name);
  for (size_t i = 63; i < 254; i += 64)
    long_name[i] = '.';
  long_name[254] = '\0'; /* 254 characters */
  memset(long_label, 'b', 64);
  strcpy(long_label + 64, ".example");
  static const char *const bad[] = {
      "",          "a..b",        ".a",         "-lead.example", "trail-.example",
      "sp ace.example", "tab\t.example", "semi;colon", "slash/x",  "bücher.de",
      "10.0.0.256", "10.1",       "1234",       "host:3389",    "[::1",
      "[192.0.2.1]", "fe80::1%",  "fe80::1%no-such-if0", "name%eth0", "..",
      "a.b..",     "\x01ctl.example", "*.example",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *why = NULL;
    assert_int_equal(rd_dns_check_host(bad[i], &why), RD_E_INVALID);
    assert_non_null(why);
    assert_true(strlen(why) > 5);
  }
  const char *why = NULL;
  assert_int_equal(rd_dns_check_host(NULL, &why), RD_E_INVALID);
  assert_int_equal(rd_dns_check_host(long_name, &why), RD_E_INVALID);
  assert_string_equal(why, "host name longer than 253 characters");
  assert_int_equal(rd_dns_check_host(long_label, &why), RD_E_INVALID);
  assert_string_equal(why, "label longer than 63 characters in host name");
  assert_int_equal(rd_dns_check_host("10.0.0.256", &why), RD_E_INVALID);
  assert_string_equal(why, "looks like an IPv4 address but is not a valid one");

  /* And rd_dns_resolve refuses them synchronously, without a callback. */
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, NULL);
  rec r = {0};
  rd_dns_req *req = NULL;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(rd_dns_resolve(rs, bad[i], NULL, record, &r, &req), RD_E_INVALID);
  assert_int_equal(rd_dns_resolve(rs, long_name, NULL, record, &r, &req), RD_E_INVALID);
  assert_int_equal(rd_dns_resolve(rs, NULL, NULL, record, &r, &req), RD_E_INVALID);
  assert_int_equal(rd_dns_resolve(rs, "ok.example", NULL, NULL, &r, &req), RD_E_INVALID);
  drain(&loop, rs);
  assert_int_equal(r.calls, 0);
}

static void test_rd_dns_check_host_valid(void **state) {
  char max_name[260];
  memset(max_name, 'a', sizeof max_name);
  for (size_t i = 63; i < 253; i += 64)
    max_name[i] = '.';
  max_name[253] = '\0'; /* exactly 253 */
  static const char *const good[] = {
      "rdp-ok.lab.test", "RDP01",        "host_name.corp.example", "xn--bcher-kva.de",
      "a.b.c.",          "192.0.2.1",    "::1",                    "[::1]",
      "1.example",       "9host.test",   "localhost",              "ab-cd.example",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rd_dns_check_host(good[i], NULL), 0);
  assert_int_equal(rd_dns_check_host(max_name, NULL), 0);
  max_name[253] = '.';
  max_name[254] = '\0'; /* 253 plus the root dot */
  assert_int_equal(rd_dns_check_host(max_name, NULL), 0);
}

/* ---- the hosts file ----------------------------------------------------------------------- */

static void test_rd_dns_resolve_localhost(void **state) {
  case_opts o = {0};
  int port;
  int fd = silent_server(&port); /* were DNS asked, the answer would be a timeout */
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  o.servers = servers;
  o.timeout_ms = 2000;
  rec r;
  resolve("localhost", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_true(r.res.from_hosts_file);
  assert_true(has_addr(&r.res, "127.0.0.1") || has_addr(&r.res, "::1"));
  assert_true(r.res.duration_ms < 1000);
  /* RFC 6761: names under localhost never leave the machine either. */
  resolve("rdp.localhost", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_true(has_addr(&r.res, "127.0.0.1"));
  assert_true(has_addr(&r.res, "::1"));
  close(fd);
}

static char hosts_path[] = "/tmp/rd_dns_hosts_XXXXXX";

/* Runs even when the test fails, so no later test reads this file as its hosts file. */
static int hosts_teardown(void **state) {
  unsetenv("CARES_HOSTS");
  unlink(hosts_path);
  return 0;
}

static void test_rd_dns_resolve_hosts_file(void **state) {
  char *path = hosts_path;
  int hfd = mkstemp(path);
  assert_true(hfd >= 0);
  static const char hosts[] = "# test hosts\n"
                              "192.0.2.10  rdp-hosts.lab.test alias-hosts\n"
                              "2001:db8::10 rdp-hosts.lab.test\n"
                              "192.0.2.11  v4only-hosts.lab.test\n";
  assert_int_equal(write(hfd, hosts, sizeof hosts - 1), (ssize_t)(sizeof hosts - 1));
  close(hfd);
  assert_int_equal(setenv("CARES_HOSTS", path, 1), 0);

  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  case_opts o = {0};
  o.servers = servers;
  o.timeout_ms = 2000;
  rec r;
  resolve("RDP-HOSTS.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_true(r.res.from_hosts_file);
  assert_int_equal(r.res.status_a, RD_DNS_OK);
  assert_int_equal(r.res.status_aaaa, RD_DNS_OK);
  assert_int_equal(r.res.n_addrs, 2);
  assert_true(has_addr(&r.res, "192.0.2.10"));
  assert_true(has_addr(&r.res, "2001:db8::10"));
  assert_true(r.res.duration_ms < 1000); /* DNS (a silent server) was not asked */

  resolve("alias-hosts", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_true(has_addr(&r.res, "192.0.2.10"));

  /* The file names it in one family: the other is "no such record", DNS is not asked. */
  resolve("v4only-hosts.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_a, RD_DNS_OK);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NODATA);
  assert_int_equal(r.res.n_addrs, 1);

  o.family = AF_INET6;
  resolve("v4only-hosts.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NODATA);
  assert_true(r.res.from_hosts_file);
  assert_int_equal(r.res.status_a, RD_DNS_SKIPPED);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NODATA);
  assert_int_equal(r.res.n_addrs, 0);
  assert_true(r.res.duration_ms < 1000);

  /* A file without "localhost": the RFC 6761 answer, and (c-ares 1.18.1) no leak. */
  o.family = AF_UNSPEC;
  resolve("localhost", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_true(has_addr(&r.res, "127.0.0.1"));
  assert_true(has_addr(&r.res, "::1"));
  assert_true(r.res.duration_ms < 1000);

  close(fd);
}

/* ---- servers that answer badly or not at all ---------------------------------------------- */

static void test_rd_dns_resolve_timeout_deadline(void **state) {
  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  static const unsigned tries[] = {1, 2, 5};
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    case_opts o = {0};
    o.servers = servers;
    o.timeout_ms = 400;
    o.tries = tries[i]; /* 5 tries of c-ares' doubling would take 50+100+…+800 ms */
    uint64_t t0 = now_ms();
    rec r;
    resolve("silent.lab.test", &o, &r);
    uint64_t took = now_ms() - t0;
    assert_int_equal(r.res.status, RD_DNS_TIMEOUT);
    assert_int_equal(r.res.status_a, RD_DNS_TIMEOUT);
    assert_int_equal(r.res.status_aaaa, RD_DNS_TIMEOUT);
    assert_int_equal(r.res.n_addrs, 0);
    assert_true(took >= 350);
    assert_true(took < 1200); /* the deadline, with generous slack */
    assert_true(r.res.duration_ms >= 350 && r.res.duration_ms < 1200);
    assert_non_null(strstr(r.res.detail, "no answer from 127.0.0.1:"));
  }
  close(fd);
}

static void test_rd_dns_resolve_no_servers(void **state) {
  case_opts o = {0};
  o.servers = "";
  o.timeout_ms = 1000;
  rec r;
  resolve("rdp-ok.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NO_SERVERS);
  assert_int_equal(r.res.status_a, RD_DNS_NO_SERVERS);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NO_SERVERS);
  assert_string_equal(r.res.detail, "no DNS server configured");
}

static void test_rd_dns_resolve_nothing_listening(void **state) {
  /* ICMP port unreachable comes back at once on loopback: no server took the query. */
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", free_port());
  case_opts o = {0};
  o.servers = servers;
  o.timeout_ms = 2000;
  rec r;
  resolve("rdp-ok.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NO_SERVERS);
  assert_true(r.res.duration_ms < 1500);
  assert_non_null(strstr(r.res.detail, "no DNS server reachable at 127.0.0.1:"));
}

static void test_rd_dns_resolve_bad_server_list(void **state) {
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver_opts o = {0};
  o.servers = "not-an-address";
  assert_null(rd_dns_resolver_new(&loop, &o)); /* nothing to free, no handle left */
  assert_null(rd_dns_resolver_new(NULL, NULL));
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* A scripted server on the test's loop: echoes the question with a chosen rcode, no answers.
 * The first label can script one name instead: "ok-N" answers A 192.0.2.N (and AAAA with no
 * record), "nx-N" NXDOMAIN, "sf-N" SERVFAIL, "drop-N" nothing at all. */
typedef struct responder {
  uv_udp_t udp;
  int rcode;
  int queries;
  char buf[512];
} responder;

static void responder_alloc(uv_handle_t *h, size_t want, uv_buf_t *b) {
  responder *rs = h->data;
  *b = uv_buf_init(rs->buf, sizeof rs->buf);
}

static void responder_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                           unsigned flags) {
  responder *rs = u->data;
  if (n < 12 || from == NULL)
    return;
  size_t end = 12; /* header, then QNAME labels up to the root, then QTYPE and QCLASS */
  while (end < (size_t)n && b->base[end] != 0)
    end += 1 + (uint8_t)b->base[end];
  end += 5;
  if (end > (size_t)n)
    return;
  unsigned char *p = (unsigned char *)b->base;
  const char *label = b->base + 13; /* the first label, after its length byte */
  size_t label_len = (uint8_t)b->base[12];
  bool qtype_a = p[end - 4] == 0 && p[end - 3] == 1;
  int rcode = rs->rcode;
  unsigned answer_octet = 0; /* 0: no answer record */
  rs->queries++;
  if (label_len > 3 && memcmp(label, "ok-", 3) == 0) {
    rcode = 0;
    if (qtype_a)
      answer_octet = (unsigned)strtoul(label + 3, NULL, 10) % 250 + 1;
  } else if (label_len > 3 && memcmp(label, "nx-", 3) == 0) {
    rcode = 3;
  } else if (label_len > 3 && memcmp(label, "sf-", 3) == 0) {
    rcode = 2;
  } else if (label_len > 5 && memcmp(label, "drop-", 5) == 0) {
    return;
  }
  p[2] = (unsigned char)(0x80 | (p[2] & 0x79)); /* QR, keep opcode and RD */
  p[3] = (unsigned char)(0x80 | rcode);          /* RA, rcode */
  memset(p + 6, 0, 6);                           /* ANCOUNT, NSCOUNT, ARCOUNT = 0 */
  if (answer_octet != 0) {
    static const unsigned char rr[] = {
        0xc0, 0x0c,             /* NAME: a pointer to the question's */
        0x00, 0x01, 0x00, 0x01, /* TYPE A, CLASS IN */
        0x00, 0x00, 0x00, 0x3c, /* TTL 60 */
        0x00, 0x04, 192, 0, 2,  /* RDLENGTH 4, 192.0.2. … */
    };
    memcpy(p + end, rr, sizeof rr);
    p[end + sizeof rr] = (unsigned char)answer_octet;
    end += sizeof rr + 1;
    p[7] = 1; /* ANCOUNT = 1 */
  }
  uv_buf_t out = uv_buf_init(b->base, (unsigned)end);
  uv_udp_try_send(u, &out, 1, from);
}

/* Starts a responder on 127.0.0.1 and writes its address to servers. */
static void responder_start(uv_loop_t *loop, responder *rs, char *servers, size_t size) {
  assert_int_equal(uv_udp_init(loop, &rs->udp), 0);
  rs->udp.data = rs;
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(uv_udp_bind(&rs->udp, (const struct sockaddr *)&sin, 0), 0);
  int len = sizeof sin;
  assert_int_equal(uv_udp_getsockname(&rs->udp, (struct sockaddr *)&sin, &len), 0);
  assert_int_equal(uv_udp_recv_start(&rs->udp, responder_alloc, responder_recv), 0);
  snprintf(servers, size, "127.0.0.1:%d", ntohs(sin.sin_port));
}

static void resolve_with_responder(int rcode, rec *r, int *queries) {
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  responder rs = {.rcode = rcode};
  char servers[32];
  responder_start(&loop, &rs, servers, sizeof servers);
  case_opts o = {0};
  o.servers = servers;
  o.timeout_ms = 2000;
  rd_dns_resolver *res = new_resolver(&loop, &o);
  memset(r, 0, sizeof *r);
  assert_int_equal(rd_dns_resolve(res, "scripted.lab.test", NULL, record, r, &r->req), 0);
  uint64_t t0 = now_ms();
  while (r->calls == 0) {
    uv_run(&loop, UV_RUN_ONCE);
    assert_true(now_ms() - t0 < LOOP_LIMIT_MS);
  }
  uv_close((uv_handle_t *)&rs.udp, NULL);
  drain(&loop, res);
  assert_int_equal(r->calls, 1);
  *queries = rs.queries;
}

static void test_rd_dns_resolve_servfail(void **state) {
  rec r;
  int queries;
  resolve_with_responder(2, &r, &queries);
  assert_int_equal(r.res.status, RD_DNS_SERVFAIL);
  assert_int_equal(r.res.status_a, RD_DNS_SERVFAIL);
  assert_int_equal(r.res.status_aaaa, RD_DNS_SERVFAIL);
  assert_int_equal(queries, 2); /* one per family: an rcode is an answer, not retried */
  assert_non_null(strstr(r.res.detail, "SERVFAIL from 127.0.0.1:"));
  assert_true(r.res.duration_ms < 1000);
}

static void test_rd_dns_resolve_notimp(void **state) {
  rec r;
  int queries;
  resolve_with_responder(4, &r, &queries);
  assert_int_equal(r.res.status, RD_DNS_ERROR);
  assert_int_equal(r.res.status_a, RD_DNS_ERROR);
  assert_true(strlen(r.res.detail) > 0);
}

/* ---- cancel ------------------------------------------------------------------------------- */

static void cancel_later(uv_timer_t *t) {
  rec *r = t->data;
  rd_dns_cancel(r->req);
  assert_int_equal(r->calls, 0); /* not from inside rd_dns_cancel */
  rd_dns_cancel(r->req);         /* twice before delivery: still one callback */
  uv_close((uv_handle_t *)t, NULL);
}

static void test_rd_dns_cancel_in_flight(void **state) {
  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  case_opts o = {0};
  o.servers = servers;
  o.timeout_ms = 3000;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  rec r = {0};
  assert_int_equal(rd_dns_resolve(rs, "slow.lab.test", NULL, record, &r, &r.req), 0);
  uv_timer_t t;
  uv_timer_init(&loop, &t);
  t.data = &r;
  uv_timer_start(&t, cancel_later, 50, 0);
  uint64_t t0 = now_ms();
  drain(&loop, rs);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.res.status, RD_DNS_CANCELLED);
  assert_int_equal(r.res.status_a, RD_DNS_CANCELLED);
  assert_int_equal(r.res.status_aaaa, RD_DNS_CANCELLED);
  assert_int_equal(r.res.n_addrs, 0);
  assert_true(now_ms() - t0 < 1000); /* well before the 3 s deadline */
  close(fd);
}

static void test_rd_dns_cancel_before_loop_runs(void **state) {
  static const char *const hosts[] = {"192.0.2.1", "localhost", "never.lab.test"};
  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  case_opts o = {0};
  o.servers = servers;
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    rd_dns_resolver *rs = new_resolver(&loop, &o);
    rec r = {0};
    assert_int_equal(rd_dns_resolve(rs, hosts[i], NULL, record, &r, &r.req), 0);
    rd_dns_cancel(r.req);
    assert_int_equal(r.calls, 0);
    drain(&loop, rs);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.res.status, RD_DNS_CANCELLED);
    assert_int_equal(r.res.n_addrs, 0);
  }
  rd_dns_cancel(NULL);
  close(fd);
}

static void test_rd_dns_cancel_inside_callback(void **state) {
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, NULL);
  rec r = {0};
  r.cancel_in_cb = true;
  assert_int_equal(rd_dns_resolve(rs, "192.0.2.1", NULL, record, &r, &r.req), 0);
  drain(&loop, rs);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.res.status, RD_DNS_LITERAL);
}

/* ---- many requests on one resolver -------------------------------------------------------- */

static int count_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 4096; fd++)
    if (fcntl(fd, F_GETFD) != -1)
      n++;
  return n;
}

static char many_hosts_path[] = "/tmp/rd_dns_many_hosts_XXXXXX";

static int many_hosts_teardown(void **state) {
  unsetenv("CARES_HOSTS");
  unlink(many_hosts_path);
  return 0;
}

/* Runs the loop until every one of n records has its callback, within LOOP_LIMIT_MS. */
static void run_until_called(uv_loop_t *loop, const rec *r, size_t n) {
  uint64_t t0 = now_ms();
  for (size_t i = 0; i < n; i++) {
    while (r[i].calls == 0) {
      uv_run(loop, UV_RUN_ONCE);
      assert_true(now_ms() - t0 < LOOP_LIMIT_MS);
    }
  }
}

/* 200 lookups at once on one resolver: hosts-file names, literals, localhost and scripted DNS
 * answers (each answer must reach its own request), on one socket, each asked exactly once. */
static void test_rd_dns_resolver_many_concurrent(void **state) {
  enum { N = 200 };
  int hfd = mkstemp(many_hosts_path);
  assert_true(hfd >= 0);
  static const char hosts[] = "192.0.2.200   many-hosts.lab.test\n"
                              "2001:db8::200 many-hosts.lab.test\n";
  assert_int_equal(write(hfd, hosts, sizeof hosts - 1), (ssize_t)(sizeof hosts - 1));
  close(hfd);
  assert_int_equal(setenv("CARES_HOSTS", many_hosts_path, 1), 0);

  int fds_at_start = count_fds();
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  responder srv = {.rcode = 5};
  char servers[32];
  responder_start(&loop, &srv, servers, sizeof servers);
  case_opts o = {.servers = servers, .timeout_ms = 3000};
  int fds_before = count_fds();
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  static rec r[N];
  memset(r, 0, sizeof r);
  char host[64];
  int dns_requests = 0;
  for (int i = 0; i < N; i++) {
    static const char *const kinds[] = {"many-hosts.lab.test", "192.0.2.", "localhost",
                                        "ok-",                 "nx-",      "sf-"};
    int k = i % 6;
    if (k == 0 || k == 2)
      snprintf(host, sizeof host, "%s", kinds[k]);
    else if (k == 1)
      snprintf(host, sizeof host, "%s%d", kinds[k], i);
    else
      snprintf(host, sizeof host, "%s%d.lab.test", kinds[k], i);
    dns_requests += i % 6 >= 3;
    assert_int_equal(rd_dns_resolve(rs, host, NULL, record, &r[i], &r[i].req), 0);
  }
  for (int i = 0; i < N; i++)
    assert_int_equal(r[i].calls, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  /* Every DNS question of all the requests leaves through one UDP socket. */
  assert_true(count_fds() <= fds_before + 1);
  run_until_called(&loop, r, N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(r[i].calls, 1);
    const rd_dns_result *res = &r[i].res;
    char want[32];
    switch (i % 6) {
    case 0:
      assert_int_equal(res->status, RD_DNS_OK);
      assert_true(res->from_hosts_file);
      assert_int_equal(res->n_addrs, 2);
      assert_true(has_addr(res, "192.0.2.200") && has_addr(res, "2001:db8::200"));
      break;
    case 1:
      assert_int_equal(res->status, RD_DNS_LITERAL);
      snprintf(want, sizeof want, "192.0.2.%d", i);
      assert_string_equal(res->addrs[0].text, want);
      break;
    case 2:
      assert_int_equal(res->status, RD_DNS_OK);
      assert_true(res->from_hosts_file);
      break;
    case 3:
      assert_int_equal(res->status, RD_DNS_OK);
      assert_int_equal(res->status_aaaa, RD_DNS_NODATA);
      assert_int_equal(res->n_addrs, 1);
      snprintf(want, sizeof want, "192.0.2.%d", i % 250 + 1);
      assert_string_equal(res->addrs[0].text, want); /* its own answer, not a neighbour's */
      assert_int_equal(res->addrs[0].ttl, 60);
      break;
    case 4:
      assert_int_equal(res->status, RD_DNS_NXDOMAIN);
      break;
    default:
      assert_int_equal(res->status, RD_DNS_SERVFAIL); /* first answer final, for every request */
      assert_int_equal(res->status_a, RD_DNS_SERVFAIL);
      break;
    }
  }
  assert_int_equal(srv.queries, 2 * dns_requests); /* A and AAAA once each: no retry */
  uv_close((uv_handle_t *)&srv.udp, NULL);
  drain(&loop, rs);
  assert_int_equal(count_fds(), fds_at_start);
}

static void cancel_one(uv_timer_t *t) {
  rec *r = t->data;
  rd_dns_cancel(r->req);
  uv_close((uv_handle_t *)t, NULL);
}

/* Cancelling one request (its answer already on the way, or none coming) among many leaves the
 * others alone: answers still reach their requests, deadlines still hold. */
static void test_rd_dns_cancel_among_many(void **state) {
  enum { N_OK = 100, N_DROP = 20, N = N_OK + N_DROP, CANCEL_NOW = 7, CANCEL_LATER = N_OK + 3 };
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  responder srv = {.rcode = 5};
  char servers[32];
  responder_start(&loop, &srv, servers, sizeof servers);
  case_opts o = {.servers = servers, .timeout_ms = 400};
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  static rec r[N];
  memset(r, 0, sizeof r);
  char host[64];
  for (int i = 0; i < N; i++) {
    snprintf(host, sizeof host, i < N_OK ? "ok-%d.lab.test" : "drop-%d.lab.test", i);
    assert_int_equal(rd_dns_resolve(rs, host, NULL, record, &r[i], &r[i].req), 0);
    if (i == CANCEL_NOW)
      rd_dns_cancel(r[i].req); /* its questions are sent: the answers must be dropped */
  }
  uv_timer_t t;
  uv_timer_init(&loop, &t);
  t.data = &r[CANCEL_LATER];
  uv_timer_start(&t, cancel_one, 50, 0);
  run_until_called(&loop, r, N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(r[i].calls, 1);
    const rd_dns_result *res = &r[i].res;
    if (i == CANCEL_NOW || i == CANCEL_LATER) {
      assert_int_equal(res->status, RD_DNS_CANCELLED);
      assert_int_equal(res->status_a, RD_DNS_CANCELLED);
      assert_int_equal(res->n_addrs, 0);
      assert_true(res->duration_ms < 300);
    } else if (i < N_OK) {
      char want[32];
      snprintf(want, sizeof want, "192.0.2.%d", i % 250 + 1);
      assert_int_equal(res->status, RD_DNS_OK);
      assert_string_equal(res->addrs[0].text, want);
    } else {
      assert_int_equal(res->status, RD_DNS_TIMEOUT);
      assert_true(res->duration_ms >= 390 && res->duration_ms < 1500);
    }
  }
  uv_close((uv_handle_t *)&srv.udp, NULL);
  drain(&loop, rs);
}

/* One channel, one retransmit schedule (the resolver's 300 ms), and requests that each end at
 * their own deadline: sooner than c-ares would, or later (asked again when c-ares gives up). */
static void test_rd_dns_resolve_timeouts_differ(void **state) {
  static const unsigned timeouts[] = {100, 250, 700, 1300};
  enum { PER = 5, N = 4 * PER };
  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  case_opts o = {.servers = servers, .timeout_ms = 300, .tries = 2};
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  rec r[N];
  memset(r, 0, sizeof r);
  for (int i = 0; i < N; i++) {
    rd_dns_opts q = {.timeout_ms = timeouts[i % 4]};
    char host[32];
    snprintf(host, sizeof host, "silent-%d.lab.test", i);
    assert_int_equal(rd_dns_resolve(rs, host, &q, record, &r[i], &r[i].req), 0);
  }
  uint64_t t0 = now_ms();
  run_all(&loop); /* returns when the last request is done, not when c-ares gives up */
  uint64_t took = now_ms() - t0;
  assert_true(took >= 1290 && took < 2000);
  for (int i = 0; i < N; i++) {
    unsigned want = timeouts[i % 4];
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].res.status, RD_DNS_TIMEOUT);
    assert_int_equal(r[i].res.status_a, RD_DNS_TIMEOUT);
    assert_int_equal(r[i].res.status_aaaa, RD_DNS_TIMEOUT);
    assert_true(r[i].res.duration_ms + 10 >= want);
    assert_true(r[i].res.duration_ms < want + 300);
    char text[64];
    snprintf(text, sizeof text, "within %u ms", want);
    assert_non_null(strstr(r[i].res.detail, text));
  }
  drain(&loop, rs);
  close(fd);
}

/* Freeing a resolver with requests in flight cancels them, from the loop, and leaks nothing. */
static void test_rd_dns_resolver_free_in_flight(void **state) {
  enum { N = 10 };
  int port;
  int fd = silent_server(&port);
  char servers[32];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  case_opts o = {.servers = servers, .timeout_ms = 3000};
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  rec r[N];
  memset(r, 0, sizeof r);
  for (int i = 0; i < N; i++)
    assert_int_equal(rd_dns_resolve(rs, i % 2 ? "pending.lab.test" : "192.0.2.1", NULL, record,
                                    &r[i], &r[i].req),
                     0);
  uv_run(&loop, UV_RUN_NOWAIT);
  rd_dns_resolver_free(rs);
  rd_dns_resolver_free(NULL);
  uint64_t t0 = now_ms();
  run_all(&loop);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_true(now_ms() - t0 < 1000);
  for (int i = 0; i < N; i++) {
    assert_int_equal(r[i].calls, 1);
    /* The literals were delivered by the first loop turn; the lookups are cancelled. */
    assert_int_equal(r[i].res.status, i % 2 ? RD_DNS_CANCELLED : RD_DNS_LITERAL);
  }
  close(fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_dns_status_name_table),
      cmocka_unit_test(test_rd_dns_resolve_literal_v4),
      cmocka_unit_test(test_rd_dns_resolve_literal_v6),
      cmocka_unit_test(test_rd_dns_resolve_literal_v6_zone),
      cmocka_unit_test(test_rd_dns_resolve_literal_wrong_family),
      cmocka_unit_test(test_rd_dns_check_host_invalid),
      cmocka_unit_test(test_rd_dns_check_host_valid),
      cmocka_unit_test(test_rd_dns_resolve_localhost),
      cmocka_unit_test_teardown(test_rd_dns_resolve_hosts_file, hosts_teardown),
      cmocka_unit_test(test_rd_dns_resolve_timeout_deadline),
      cmocka_unit_test(test_rd_dns_resolve_no_servers),
      cmocka_unit_test(test_rd_dns_resolve_nothing_listening),
      cmocka_unit_test(test_rd_dns_resolve_bad_server_list),
      cmocka_unit_test(test_rd_dns_resolve_servfail),
      cmocka_unit_test(test_rd_dns_resolve_notimp),
      cmocka_unit_test(test_rd_dns_cancel_in_flight),
      cmocka_unit_test(test_rd_dns_cancel_before_loop_runs),
      cmocka_unit_test(test_rd_dns_cancel_inside_callback),
      cmocka_unit_test_teardown(test_rd_dns_resolver_many_concurrent, many_hosts_teardown),
      cmocka_unit_test(test_rd_dns_cancel_among_many),
      cmocka_unit_test(test_rd_dns_resolve_timeouts_differ),
      cmocka_unit_test(test_rd_dns_resolver_free_in_flight),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
