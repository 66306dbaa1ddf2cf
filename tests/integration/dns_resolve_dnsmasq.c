/* Real answers from dnsmasq for the Name phase resolver (src/net/dns.c), driven by
 * tests/integration/test_dns_resolve_dnsmasq.sh, which starts dnsmasq on 127.0.0.1 with the
 * records below (test-lab.md §5, §9) and passes its address: dns_resolve_dnsmasq 127.0.0.1:PORT.
 * These cases were in tests/unit/test_dns.c; a unit test starts no server.
 *
 * The records the script must give dnsmasq (--local-ttl=60; no upstream, so anything else is
 * REFUSED, and dnsmasq forwards the family an --address does not cover):
 *   rdp-ok.lab.test A 127.0.0.2          nxdomain.lab.test NXDOMAIN (and below it)
 *   v6only.lab.test AAAA ::1, --local    dual.lab.test A 127.0.0.6, AAAA ::1
 *   target.lab.test A 127.0.0.3          alias.lab.test CNAME target.lab.test
 *   txtonly.lab.test TXT only, --local   many.lab.test 40 A records 127.0.1.1-40, --local */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dns.h"

static char dnsmasq_servers[32]; /* "127.0.0.1:PORT", from argv[1] */

/* What a case sets: the resolver's options (servers, its timeout) and the request's (timeout,
 * family). */
typedef struct case_opts {
  const char *servers;
  unsigned timeout_ms;
  int family;
} case_opts;

static case_opts lab_opts(void) {
  case_opts o = {0};
  o.servers = dnsmasq_servers;
  o.timeout_ms = 3000;
  return o;
}

static rd_dns_resolver *new_resolver(uv_loop_t *loop, const case_opts *o) {
  rd_dns_resolver_opts ro = {0};
  ro.servers = o->servers;
  ro.timeout_ms = o->timeout_ms;
  rd_dns_resolver *rs = rd_dns_resolver_new(loop, &ro);
  assert_non_null(rs);
  return rs;
}

static rd_dns_opts req_opts(const case_opts *o) {
  rd_dns_opts q = {0};
  q.timeout_ms = o->timeout_ms;
  q.family = o->family;
  return q;
}

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

/* Runs the loop until nothing is left, within LOOP_LIMIT_MS. */
static void run_all(uv_loop_t *loop) {
  uint64_t t0 = now_ms();
  while (uv_run(loop, UV_RUN_ONCE) != 0)
    assert_true(now_ms() - t0 < LOOP_LIMIT_MS);
}

/* Runs the loop dry, frees the resolver, lets its handles close, asserts none is left. */
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

static void test_rd_dns_resolve_dnsmasq_ok(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("rdp-ok.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_a, RD_DNS_OK);
  /* dnsmasq forwards the AAAA question for an --address=/…/IPv4 name; no upstream: REFUSED. */
  assert_int_equal(r.res.status_aaaa, RD_DNS_REFUSED);
  assert_int_equal(r.res.n_addrs, 1);
  assert_string_equal(r.res.addrs[0].text, "127.0.0.2");
  assert_int_equal(r.res.addrs[0].family, AF_INET);
  assert_false(r.res.from_hosts_file);
  assert_string_equal(r.res.canonical, "");
  char want[64];
  snprintf(want, sizeof want, "1 address from %s", dnsmasq_servers);
  assert_non_null(strstr(r.res.detail, want));

  /* The same name absolute, and asked for one family only. */
  o.family = AF_INET;
  resolve("rdp-ok.lab.test.", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_aaaa, RD_DNS_SKIPPED);
  assert_string_equal(r.res.addrs[0].text, "127.0.0.2");
}

static void test_rd_dns_resolve_dnsmasq_nxdomain(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("nxdomain.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NXDOMAIN);
  assert_int_equal(r.res.status_a, RD_DNS_NXDOMAIN);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NXDOMAIN);
  assert_int_equal(r.res.n_addrs, 0);
  char want[64];
  snprintf(want, sizeof want, "NXDOMAIN from %s", dnsmasq_servers);
  assert_string_equal(r.res.detail, want);
  resolve("deeper.nxdomain.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NXDOMAIN);
}

static void test_rd_dns_resolve_dnsmasq_refused(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("other.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_REFUSED);
  assert_int_equal(r.res.status_a, RD_DNS_REFUSED);
  assert_int_equal(r.res.status_aaaa, RD_DNS_REFUSED);
  assert_true(r.res.duration_ms < 1000); /* an answer, not a timeout */
  char want[64];
  snprintf(want, sizeof want, "REFUSED by %s", dnsmasq_servers);
  assert_string_equal(r.res.detail, want);
}

static void test_rd_dns_resolve_dnsmasq_v6only(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("v6only.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_a, RD_DNS_NODATA);
  assert_int_equal(r.res.status_aaaa, RD_DNS_OK);
  assert_int_equal(r.res.n_addrs, 1);
  assert_string_equal(r.res.addrs[0].text, "::1");
  assert_int_equal(r.res.addrs[0].family, AF_INET6);
  assert_non_null(strstr(r.res.detail, "A: nodata"));

  /* Asked for IPv4 only, the same name is "exists, no address of that family". */
  o.family = AF_INET;
  resolve("v6only.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NODATA);
  assert_int_equal(r.res.status_a, RD_DNS_NODATA);
  assert_int_equal(r.res.status_aaaa, RD_DNS_SKIPPED);
  assert_int_equal(r.res.n_addrs, 0);
}

static void test_rd_dns_resolve_dnsmasq_nodata(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("txtonly.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_NODATA);
  assert_int_equal(r.res.status_a, RD_DNS_NODATA);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NODATA);
  assert_non_null(strstr(r.res.detail, "no A or AAAA record"));
}

static void test_rd_dns_resolve_dnsmasq_dual_and_cname(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("dual.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_a, RD_DNS_OK);
  assert_int_equal(r.res.status_aaaa, RD_DNS_OK);
  assert_int_equal(r.res.n_addrs, 2);
  assert_true(has_addr(&r.res, "127.0.0.6"));
  assert_true(has_addr(&r.res, "::1"));
  assert_int_equal(r.res.addrs[0].ttl, 60); /* --local-ttl */
  /* RFC 6724 rule 6: ::1 (precedence 50) before IPv4 (35), when loopback IPv6 is routable. */
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6, .sin6_port = htons(9),
                             .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (fd >= 0 && connect(fd, (struct sockaddr *)&lo6, sizeof lo6) == 0)
    assert_string_equal(r.res.addrs[0].text, "::1");
  if (fd >= 0)
    close(fd);

  resolve("alias.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_string_equal(r.res.addrs[0].text, "127.0.0.3");
  assert_string_equal(r.res.canonical, "target.lab.test");
}

static void test_rd_dns_resolve_dnsmasq_truncated_over_tcp(void **state) {
  case_opts o = lab_opts();
  rec r;
  resolve("many.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_OK);
  assert_int_equal(r.res.status_a, RD_DNS_OK);
  assert_int_equal(r.res.status_aaaa, RD_DNS_NODATA);
  assert_int_equal(r.res.n_addrs, RD_DNS_MAX_ADDRS);
  assert_true(r.res.truncated);
  for (size_t i = 0; i < r.res.n_addrs; i++)
    assert_int_equal(strncmp(r.res.addrs[i].text, "127.0.1.", 8), 0);
}

/* Many requests at once on one loop's resolver, and on a second loop's, share nothing. */
static void test_rd_dns_resolve_dnsmasq_concurrent(void **state) {
  static const struct {
    const char *host;
    rd_dns_status want;
  } cases[] = {
      {"rdp-ok.lab.test", RD_DNS_OK},     {"nxdomain.lab.test", RD_DNS_NXDOMAIN},
      {"other.lab.test", RD_DNS_REFUSED}, {"v6only.lab.test", RD_DNS_OK},
      {"dual.lab.test", RD_DNS_OK},       {"txtonly.lab.test", RD_DNS_NODATA},
      {"192.0.2.1", RD_DNS_LITERAL},      {"alias.lab.test", RD_DNS_OK},
  };
  enum { N = sizeof cases / sizeof cases[0] };
  case_opts o = lab_opts();
  rd_dns_opts q = req_opts(&o);
  uv_loop_t loops[2];
  rd_dns_resolver *rs[2];
  rec r[2][N];
  memset(r, 0, sizeof r);
  for (int l = 0; l < 2; l++) {
    assert_int_equal(uv_loop_init(&loops[l]), 0);
    rs[l] = new_resolver(&loops[l], &o);
    for (int i = 0; i < N; i++)
      assert_int_equal(
          rd_dns_resolve(rs[l], cases[i].host, &q, record, &r[l][i], &r[l][i].req), 0);
  }
  uint64_t t0 = now_ms();
  int alive;
  do { /* interleave both loops */
    alive = uv_run(&loops[0], UV_RUN_NOWAIT) + uv_run(&loops[1], UV_RUN_NOWAIT);
    assert_true(now_ms() - t0 < LOOP_LIMIT_MS);
  } while (alive != 0);
  for (int l = 0; l < 2; l++) {
    drain(&loops[l], rs[l]);
    for (int i = 0; i < N; i++) {
      assert_int_equal(r[l][i].calls, 1);
      assert_int_equal(r[l][i].res.status, cases[i].want);
    }
  }
}

/* 200 requests at once on one resolver, every outcome dnsmasq gives, interleaved: each gets its
 * own answer, over one channel's sockets, and none is left open after. */
static void test_rd_dns_resolve_dnsmasq_many_one_resolver(void **state) {
  static const struct {
    const char *host;
    rd_dns_status want, want_a, want_aaaa;
  } cases[] = {
      {"rdp-ok.lab.test", RD_DNS_OK, RD_DNS_OK, RD_DNS_REFUSED},
      {"nxdomain.lab.test", RD_DNS_NXDOMAIN, RD_DNS_NXDOMAIN, RD_DNS_NXDOMAIN},
      {"other.lab.test", RD_DNS_REFUSED, RD_DNS_REFUSED, RD_DNS_REFUSED},
      {"v6only.lab.test", RD_DNS_OK, RD_DNS_NODATA, RD_DNS_OK},
      {"dual.lab.test", RD_DNS_OK, RD_DNS_OK, RD_DNS_OK},
      {"txtonly.lab.test", RD_DNS_NODATA, RD_DNS_NODATA, RD_DNS_NODATA},
      {"192.0.2.1", RD_DNS_LITERAL, RD_DNS_LITERAL, RD_DNS_SKIPPED},
      {"alias.lab.test", RD_DNS_OK, RD_DNS_OK, RD_DNS_NODATA},
  };
  enum { K = sizeof cases / sizeof cases[0], N = 200 };
  case_opts o = lab_opts();
  rd_dns_opts q = req_opts(&o);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rd_dns_resolver *rs = new_resolver(&loop, &o);
  static rec r[N];
  memset(r, 0, sizeof r);
  for (int i = 0; i < N; i++)
    assert_int_equal(rd_dns_resolve(rs, cases[i % K].host, &q, record, &r[i], &r[i].req), 0);
  drain(&loop, rs);
  for (int i = 0; i < N; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].res.status, cases[i % K].want);
    assert_int_equal(r[i].res.status_a, cases[i % K].want_a);
    assert_int_equal(r[i].res.status_aaaa, cases[i % K].want_aaaa);
    assert_true(r[i].res.duration_ms < 2000); /* answers, not timeouts */
  }
  assert_string_equal(r[7].res.canonical, "target.lab.test");
  assert_string_equal(r[0].res.addrs[0].text, "127.0.0.2");
}

static int count_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) != -1)
      n++;
  return n;
}

/* Every socket c-ares opened is closed with the request: answered, timed out or cancelled. */
static void test_rd_dns_resolve_closes_sockets(void **state) {
  int port;
  int fd = silent_server(&port);
  char silent[32];
  snprintf(silent, sizeof silent, "127.0.0.1:%d", port);
  int before = count_fds();
  case_opts o = lab_opts();
  rec r;
  resolve("many.lab.test", &o, &r); /* UDP, then TCP */
  assert_int_equal(r.res.status, RD_DNS_OK);
  o.servers = silent;
  o.timeout_ms = 200;
  resolve("silent.lab.test", &o, &r);
  assert_int_equal(r.res.status, RD_DNS_TIMEOUT);
  assert_int_equal(count_fds(), before);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 2 || snprintf(dnsmasq_servers, sizeof dnsmasq_servers, "%s", argv[1]) >=
                       (int)sizeof dnsmasq_servers) {
    fprintf(stderr, "usage: %s 127.0.0.1:PORT (a dnsmasq started as this file's header says)\n",
            argv[0]);
    return 64;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_ok),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_nxdomain),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_refused),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_v6only),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_nodata),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_dual_and_cname),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_truncated_over_tcp),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_concurrent),
      cmocka_unit_test(test_rd_dns_resolve_dnsmasq_many_one_resolver),
      cmocka_unit_test(test_rd_dns_resolve_closes_sockets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
