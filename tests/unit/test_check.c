#define _GNU_SOURCE /* memmem */
/* The sans-I/O check (src/probe/check.c) under a fake driver: the plan, the move to the address
 * that connects, side ports, one authentication attempt across probes, the whole-check deadline,
 * a drip server and a local failure, all with hand-fed events and time. No sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../common/selfsigned.h"
#include "vectors_mcs.h"

#include "core/x224.h"
#include "probe/check.h"
#include "vectors_mcs.h"

#define MS 1000u
#define STEP (3000 * MS)
#define CLIENT_LIKE (RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID | RD_X224_PROTOCOL_HYBRID_EX)

typedef struct fake_conn {
  bool connect, closed, tls;
  int addr;
  uint16_t port;
  bool probe;
  unsigned sends, tls_sends;
  uint8_t last[4096];
  size_t last_len;
} fake_conn;

typedef struct fake {
  rd_check *chk;
  rd_check_facts facts;
  rd_us now;
  unsigned resolves, cancels, connects, closes;
  fake_conn c[RD_CHECK_MAX_CONNS];
} fake;

static fake F;

/* Carries out every action due, as the engine would, recording them. */
static void drain(void) {
  rd_action a;
  for (int guard = 0; guard < 1000 && rd_check_next_action(F.chk, &a, F.now); guard++) {
    fake_conn *c = a.conn >= 0 && a.conn < RD_CHECK_MAX_CONNS ? &F.c[a.conn] : NULL;
    switch (a.kind) {
    case RD_ACT_RESOLVE:
      F.resolves++;
      break;
    case RD_ACT_CANCEL_RESOLVE:
      F.cancels++;
      break;
    case RD_ACT_CONNECT:
      F.connects++;
      c->connect = true;
      c->addr = a.addr_index;
      c->port = a.port;
      c->probe = a.probe;
      rd_check_launched(F.chk, a.conn, F.now);
      break;
    case RD_ACT_START_TLS:
      c->tls = true;
      break;
    case RD_ACT_SEND:
      c->sends++;
      c->tls_sends += a.transport == RD_TRANSPORT_TLS;
      c->last_len = a.len < sizeof c->last ? a.len : sizeof c->last;
      memcpy(c->last, a.data, c->last_len);
      break;
    case RD_ACT_CLOSE:
      F.closes++;
      c->closed = true;
      break;
    }
  }
}

static void start(const rd_check_config *cfg) {
  rd_check_facts_free(&F.facts);
  memset(&F, 0, sizeof F);
  F.now = 1000 * MS;
  F.chk = rd_check_new(cfg, &F.facts, F.now);
  assert_non_null(F.chk);
  drain();
  assert_int_equal(F.resolves, 1);
}

static void finish(void) {
  rd_check_free(F.chk);
  F.chk = NULL;
  rd_check_facts_free(&F.facts);
}

static void resolve(size_t n_addrs, rd_name_status status) {
  rd_name_facts n;
  memset(&n, 0, sizeof n);
  n.status = status;
  for (size_t i = 0; i < n_addrs; i++) {
    snprintf(n.addrs[i], RD_ADDR_TEXT, "192.0.2.%zu", i + 1);
    n.families[i] = 4;
  }
  n.n_addrs = n_addrs;
  rd_check_resolved(F.chk, &n, F.now);
  drain();
}

static void connected(int conn, rd_conn_outcome o) {
  rd_check_connected(F.chk, conn, o, NULL, 100, 0, F.now);
  drain();
}

/* The server's bytes on conn, framed the way the engine frames them. */
static void receive(int conn, const uint8_t *in, size_t n) {
  size_t off = 0;
  while (off < n) {
    size_t need = rd_check_need(F.chk, conn, in + off, n - off);
    if (need == 0 || need > n - off) {
      rd_check_partial(F.chk, conn, in + off, n - off, F.now);
      break;
    }
    rd_check_frame(F.chk, conn, in + off, need, F.now);
    off += need;
  }
  drain();
}

static const rd_probe_facts *probe_of(int conn) { return &F.facts.probes[conn]; }

static int conn_requesting(uint32_t protocols, int addr) {
  for (size_t i = 0; i < F.facts.n_probes; i++)
    if (F.facts.probes[i].req.kind == RD_PROBE_NEGO && !F.facts.probes[i].req.legacy &&
        F.facts.probes[i].req.protocols == protocols && F.facts.probes[i].req.addr_index == addr)
      return (int)i;
  return -1;
}

/* A Connection Confirm selecting `selected`. */
static void confirm(int conn, uint32_t selected) {
  uint8_t cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0,
                  0x02, 0x00, 0x08, 0x00, (uint8_t)selected, 0, 0, 0};
  receive(conn, cc, sizeof cc);
}

static uint8_t *cert_der;
static int cert_len;

static void make_certificate(void) {
  if (cert_der == NULL)
    cert_len = rd_test_selfsigned("lab", 7, &cert_der);
  assert_true(cert_len > 0);
}

static void tls_ok(int conn, int pin) {
  make_certificate();
  rd_tls_event ev = {.end = RD_TLS_END_OK, .alert = -1, .version = pin ? pin : 0x0304,
                     .version_name = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384",
                     .cert_der = cert_der, .cert_len = (size_t)cert_len};
  rd_check_tls_done(F.chk, conn, &ev, F.now);
  drain();
}

/* sspi-rs NTLM_2_PHASE_TS_REQUEST (as in test_ntlm.c): TSRequest v6 with host VGPC's CHALLENGE. */
static const uint8_t challenge_ts[] = {
    0x30, 0x81, 0xb8, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x81, 0x8c, 0x30, 0x81, 0x89, 0x30, 0x81, 0x86,
    0xa0, 0x81, 0x83, 0x04, 0x81, 0x80, 0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x08, 0x00, 0x08, 0x00, 0x38, 0x00, 0x00, 0x00, 0xb7, 0x82, 0x88, 0xe2, 0xc8, 0x6f, 0x7d, 0x24,
    0xd5, 0xb0, 0x65, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x00, 0x40,
    0x00, 0x00, 0x00, 0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00,
    0x43, 0x00, 0x02, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, 0x01, 0x00, 0x08,
    0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, 0x04, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x03, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, 0x07,
    0x00, 0x08, 0x00, 0x80, 0x26, 0x00, 0xe1, 0x4a, 0xcf, 0xd4, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa5, 0x22,
    0x04, 0x20, 0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f, 0xcb, 0x94, 0x83,
    0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54, 0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};

/* ---- tests -------------------------------------------------------------------------------- */

static void test_rd_check_plan_on_one_address(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389};
  start(&cfg);
  assert_int_equal(F.connects, 0); /* nothing before the name */
  resolve(1, RD_NAME_LITERAL);
  assert_int_equal(F.facts.n_probes, 11);
  assert_int_equal(F.connects, 11);
  /* The request a Windows client sends goes first; every probe on the one address, port 3389. */
  assert_int_equal(probe_of(0)->req.protocols, CLIENT_LIKE);
  for (int i = 0; i < 11; i++) {
    assert_true(F.c[i].probe);
    assert_int_equal(F.c[i].addr, 0);
    assert_int_equal(F.c[i].port, 3389);
  }
  assert_int_equal(probe_of(4)->req.legacy, true);
  assert_int_equal(probe_of(7)->req.kind, RD_PROBE_TLS_VERSION);
  /* A connect, then the Connection Request goes out in clear. */
  connected(0, RD_CONN_OK);
  assert_int_equal(F.c[0].sends, 1);
  assert_int_equal(F.c[0].tls_sends, 0);
  assert_int_equal(F.c[0].last[0], 0x03);
  assert_false(rd_check_done(F.chk));
  finish();
}

static void test_rd_check_quick_is_one_connection(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .quick = true, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  assert_int_equal(F.facts.n_probes, 1);
  assert_int_equal(probe_of(0)->req.protocols, CLIENT_LIKE);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.facts.reach.n_side, 0); /* no side ports in a quick check */
  assert_true(rd_check_done(F.chk));
  finish();
}

static void test_rd_check_moves_plan_to_address_that_connects(void **state) {
  rd_check_config cfg = {.host = "rdp.example.test", .port = 3389};
  start(&cfg);
  resolve(2, RD_NAME_OK);
  /* A connect-only probe to the second address, the set on the first. */
  assert_int_equal(F.facts.n_probes, 12);
  assert_int_equal(probe_of(0)->req.kind, RD_PROBE_CONNECT);
  assert_int_equal(F.c[0].addr, 1);
  connected(0, RD_CONN_OK);
  for (int i = 1; i < 12; i++)
    connected(i, RD_CONN_REFUSED);
  assert_int_equal(F.facts.reach.chosen, 1);
  assert_int_equal(F.facts.n_probes, 23); /* the set again, on the address that connected */
  assert_int_equal(F.connects, 23);
  for (int i = 12; i < 23; i++)
    assert_int_equal(F.c[i].addr, 1);
  assert_int_equal(F.facts.reach.addr_outcome[0], RD_CONN_REFUSED);
  assert_int_equal(F.facts.reach.addr_outcome[1], RD_CONN_OK);
  assert_int_equal(F.facts.reach.n_side, 0); /* refused is an answer: no side ports */
  finish();
}

/* The room a check holds for its connections (and a scan budgets in descriptors) covers the most
 * it opens: on eight addresses a connect to each other one, the set on the first, the set again
 * after the move, and the follow-up when nothing spoke RDP: 7 + 11 + 11 + 1 = 30. Were the room
 * short, a probe would be missing here. */
static void test_rd_check_max_conns_holds_every_connection(void **state) {
  rd_check_config cfg = {.host = "rdp.example.test", .port = 3389, .step_us = STEP};
  assert_int_equal(rd_check_max_conns(&cfg, 0), 0);
  assert_int_equal(rd_check_max_conns(&cfg, 1), 16); /* the set, the follow-up, 4 side ports */
  assert_int_equal(rd_check_max_conns(&cfg, 8), 30);
  assert_int_equal(rd_check_max_conns(&cfg, 9), 30);
  rd_check_config quick = cfg, no_side = cfg;
  quick.quick = true;
  no_side.no_side_ports = true;
  assert_int_equal(rd_check_max_conns(&quick, 1), 1);
  assert_int_equal(rd_check_max_conns(&quick, 8), 9);
  assert_int_equal(rd_check_max_conns(&no_side, 1), 12);

  start(&cfg);
  resolve(8, RD_NAME_OK);
  assert_int_equal(F.facts.n_probes, 18);
  connected(0, RD_CONN_OK); /* the second address connects */
  for (int i = 1; i < 7; i++)
    connected(i, RD_CONN_REFUSED);
  for (int i = 7; i < 18; i++)
    connected(i, RD_CONN_REFUSED);
  assert_int_equal(F.facts.n_probes, 29); /* moved */
  for (int i = 18; i < 29; i++) {
    connected(i, RD_CONN_OK);
    rd_check_eof(F.chk, i, false, F.now); /* closed without a word: not RDP */
    drain();
  }
  assert_int_equal(F.facts.n_probes, 30);
  assert_int_equal(probe_of(29)->req.kind, RD_PROBE_IDENTIFY);
  assert_int_equal(F.connects, 30);
  assert_true(F.connects <= rd_check_max_conns(&cfg, 8));
  finish();

  /* One silent address: the set, then the side ports, within 16. */
  start(&cfg);
  resolve(1, RD_NAME_OK);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.facts.reach.n_side, 4);
  assert_int_equal(F.connects, 15);
  assert_true(F.connects <= rd_check_max_conns(&cfg, 1));
  finish();
}

static void test_rd_check_side_ports_when_silent(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  assert_int_equal(rd_check_deadline(F.chk), F.now + STEP);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(probe_of(0)->connect, RD_CONN_TIMEOUT);
  assert_int_equal(F.facts.reach.n_side, 4);
  int side = 0;
  for (int i = 11; i < 15; i++) {
    assert_true(F.c[i].connect);
    assert_false(F.c[i].probe);
    side++;
  }
  assert_int_equal(side, 4);
  assert_int_equal(F.c[11].port, 22);
  connected(11, RD_CONN_REFUSED); /* the host is up: port 22 answered */
  assert_int_equal(F.facts.reach.side[0].outcome, RD_CONN_REFUSED);
  assert_true(F.c[11].closed);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.facts.reach.side[1].outcome, RD_CONN_TIMEOUT);
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.closes, 15);
  finish();
}

/* Two probes reach a CHALLENGE; only the one that stands for the client authenticates. */
static void test_rd_check_one_authentication_attempt(void **state) {
  const char *why = NULL;
  rd_crypto *crypto = rd_crypto_new(&why);
  assert_non_null(crypto);
  rd_auth_input in;
  assert_int_equal(rd_auth_input_init(&in, "alice", "LAB", "Passw0rd!", "rdp.lab", 1700000000000, crypto), 0);
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .auth = &in};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  int client = conn_requesting(CLIENT_LIKE, 0);
  int other = conn_requesting(RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0);
  for (int conn = 0; conn < 11; conn++)
    connected(conn, RD_CONN_OK);
  confirm(other, RD_X224_PROTOCOL_HYBRID);
  confirm(client, RD_X224_PROTOCOL_HYBRID);
  assert_true(F.c[other].tls);
  tls_ok(other, 0);
  tls_ok(client, 0);
  assert_int_equal(F.c[client].tls_sends, 1); /* the NTLM NEGOTIATE, inside TLS */
  assert_int_equal(F.c[other].tls_sends, 1);
  /* The other probe's CHALLENGE comes first: it waits, the client's has the right of way. */
  receive(other, challenge_ts, sizeof challenge_ts);
  assert_int_equal(F.c[other].tls_sends, 1);
  assert_false(probe_of(other)->auth.outcome != RD_AUTH_NOT_TRIED);
  receive(client, challenge_ts, sizeof challenge_ts);
  assert_int_equal(F.c[client].tls_sends, 2); /* AUTHENTICATE */
  assert_int_equal(F.c[other].tls_sends, 1);  /* never */
  assert_true(F.c[other].closed);
  assert_string_equal(probe_of(client)->auth.user, "alice");
  assert_string_equal(probe_of(other)->credssp.nb_computer, "VGPC");
  assert_null(probe_of(other)->auth.user);
  finish();
  rd_crypto_free(crypto);
}

/* --logon without NLA: the client-like probe (SSL selected) goes through MCS to the end of the
 * joins and asks for the check's one attempt there; its Client Info then carries the account
 * (auto-logon). The probe that reached a CHALLENGE meanwhile waited, and is released without it. */
static void test_rd_check_logon_grants_the_client_info(void **state) {
  const char *why = NULL;
  rd_crypto *crypto = rd_crypto_new(&why);
  rd_auth_input in;
  assert_int_equal(rd_auth_input_init(&in, "carol", "LAB", "Passw0rd!", "rdp.lab", 1700000000000, crypto), 0);
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .auth = &in, .logon = true};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  int client = conn_requesting(CLIENT_LIKE, 0);
  int other = conn_requesting(RD_X224_PROTOCOL_HYBRID, 0);
  assert_true(probe_of(client)->req.logon);
  assert_false(probe_of(other)->req.logon);
  connected(client, RD_CONN_OK);
  connected(other, RD_CONN_OK);
  confirm(other, RD_X224_PROTOCOL_HYBRID);
  tls_ok(other, 0);
  receive(other, challenge_ts, sizeof challenge_ts);
  assert_int_equal(F.c[other].tls_sends, 1); /* waits for the client's probe */
  confirm(client, RD_X224_PROTOCOL_SSL);
  tls_ok(client, 0);
  receive(client, spec_4_1_4, sizeof spec_4_1_4);
  static const uint8_t attach[] = {0x03, 0x00, 0x00, 0x0b, 0x02, 0xf0, 0x80, 0x2e, 0x00, 0x00, 0x06};
  static const uint8_t join_1007[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x3e, 0x00,
                                      0x00, 0x06, 0x03, 0xef, 0x03, 0xef};
  static const uint8_t join_1003[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x3e, 0x00,
                                      0x00, 0x06, 0x03, 0xeb, 0x03, 0xeb};
  receive(client, attach, sizeof attach);
  receive(client, join_1007, sizeof join_1007);
  receive(client, join_1003, sizeof join_1003);
  /* The last send is the Client Info; the account's UTF-16 name is in it. */
  static const uint8_t carol16[] = {'c', 0, 'a', 0, 'r', 0, 'o', 0, 'l', 0};
  assert_non_null(memmem(F.c[client].last, F.c[client].last_len, carol16, sizeof carol16));
  assert_int_equal(probe_of(client)->session.logon.credentials, RD_LOGON_CREDS_CLIENT_INFO);
  assert_int_equal(F.c[other].tls_sends, 1); /* released: never an AUTHENTICATE */
  assert_true(F.c[other].closed);
  assert_null(probe_of(other)->auth.user);
  finish();
  rd_crypto_free(crypto);
}

/* When the client-like probe never reaches CredSSP, the first other probe that does authenticates. */
static void test_rd_check_auth_falls_back_to_another_probe(void **state) {
  const char *why = NULL;
  rd_crypto *crypto = rd_crypto_new(&why);
  rd_auth_input in;
  assert_int_equal(rd_auth_input_init(&in, "bob", "", "pw", "rdp.lab", 1700000000000, crypto), 0);
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .auth = &in};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  int client = conn_requesting(CLIENT_LIKE, 0);
  int other = conn_requesting(RD_X224_PROTOCOL_HYBRID, 0);
  connected(client, RD_CONN_OK);
  connected(other, RD_CONN_OK);
  confirm(other, RD_X224_PROTOCOL_HYBRID);
  tls_ok(other, 0);
  receive(other, challenge_ts, sizeof challenge_ts);
  assert_int_equal(F.c[other].tls_sends, 1); /* waits while the client-like probe may still get there */
  rd_check_eof(F.chk, client, true, F.now);  /* it ends without CredSSP */
  drain();
  assert_int_equal(F.c[other].tls_sends, 2);
  assert_string_equal(probe_of(other)->auth.user, "bob");
  finish();
  rd_crypto_free(crypto);
}

static void test_rd_check_whole_deadline_is_ours(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .timeout_us = 500 * MS, .step_us = STEP};
  start(&cfg);
  assert_int_equal(rd_check_deadline(F.chk), F.now + 500 * MS); /* the step is capped by the whole */
  resolve(1, RD_NAME_LITERAL);
  connected(0, RD_CONN_OK);
  F.now += 500 * MS;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_true(F.facts.deadline_hit);
  assert_int_equal(probe_of(0)->nego, RD_NEGO_CUT);
  assert_int_equal(probe_of(1)->connect, RD_CONN_CUT);
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.facts.reach.samples, 1); /* cut connects are no RTT samples */
  finish();
}

static void test_rd_check_cut_while_resolving(void **state) {
  rd_check_config cfg = {.host = "slow.example.test", .port = 3389, .timeout_us = 200 * MS};
  start(&cfg);
  F.now += 200 * MS;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.cancels, 1);
  assert_false(rd_check_done(F.chk)); /* the lookup still answers */
  resolve(0, RD_NAME_CANCELLED);
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.facts.name.status, RD_NAME_CANCELLED);
  assert_int_equal(F.connects, 0);
  finish();
}

/* A server that drips a byte a second cannot stretch the step deadline. */
static void test_rd_check_drip_server(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  connected(0, RD_CONN_OK);
  rd_us deadline = F.now + STEP;
  static const uint8_t tpkt[] = {0x03, 0x00, 0x00, 0x13};
  for (size_t i = 1; i <= sizeof tpkt; i++) {
    F.now += 700 * MS;
    receive(0, tpkt, i); /* the engine hands over everything buffered so far */
    assert_true(rd_check_deadline(F.chk) <= deadline);
  }
  F.now = deadline;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(probe_of(0)->nego, RD_NEGO_SILENT);
  assert_int_equal(probe_of(0)->bytes_received, 4);
  assert_true(F.c[0].closed);
  finish();
}

static void test_rd_check_local_error_is_ours(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  connected(0, RD_CONN_OK);
  rd_check_local_error(F.chk, 0, -12, F.now);
  drain();
  assert_int_equal(probe_of(0)->nego, RD_NEGO_LOCAL_ERROR);
  assert_int_not_equal(probe_of(0)->local_error, 0);
  assert_true(F.c[0].closed);
  finish();
}

/* The certificate that speaks for the server is the one an unpinned handshake saw. */
static void test_rd_check_certificate_choice(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  int pinned = 7, unpinned = conn_requesting(RD_X224_PROTOCOL_SSL, 0);
  connected(pinned, RD_CONN_OK);
  connected(unpinned, RD_CONN_OK);
  confirm(pinned, RD_X224_PROTOCOL_SSL);
  confirm(unpinned, RD_X224_PROTOCOL_SSL);
  tls_ok(pinned, 0x0303);
  assert_true(F.facts.have_cert);
  assert_int_equal(F.facts.cert_probe, pinned);
  tls_ok(unpinned, 0);
  assert_int_equal(F.facts.cert_probe, unpinned);
  assert_string_equal(F.facts.cert.common_name, "lab");
  assert_true(F.c[unpinned].closed); /* SSL selected: the TLS facts end it */
  finish();
}

/* Every request met silence: once all have ended, exactly one follow-up (11 + 1), no Connection
 * Request on it, a short greeting wait, then HTTP in clear (a line protocol waits for a line). */
static void test_rd_check_identify_after_silence(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  assert_int_equal(F.connects, 11);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.facts.n_probes, 12);
  assert_int_equal(F.connects, 12);
  assert_int_equal(probe_of(11)->req.kind, RD_PROBE_IDENTIFY);
  assert_int_equal(F.c[11].port, 3389);
  assert_int_equal(F.facts.reach.n_side, 0);
  connected(11, RD_CONN_OK);
  assert_int_equal(F.c[11].sends, 0); /* listens first */
  F.now += 500 * MS;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_false(F.c[11].tls);
  assert_int_equal(F.c[11].sends, 1);
  assert_int_equal(memcmp(F.c[11].last, "GET / HTTP/1.0\r\n", 16), 0);
  static const char ok[] = "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n";
  receive(11, (const uint8_t *)ok, sizeof ok - 1);
  assert_int_equal(probe_of(11)->service, RD_SVC_HTTP);
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.connects, 12); /* never a second follow-up */
  finish();
}

/* A TLS alert in answer to the Connection Request: the follow-up starts TLS and asks RDG_OUT_DATA
 * inside it; its certificate speaks for the server. */
static void test_rd_check_identify_tls_first(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 443, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46};
  for (int i = 0; i < 11; i++) {
    connected(i, RD_CONN_OK);
    receive(i, alert, sizeof alert);
    if (i < 10)
      assert_int_equal(F.facts.n_probes, 11); /* not before every probe has ended */
  }
  assert_int_equal(F.facts.n_probes, 12);
  connected(11, RD_CONN_OK);
  F.now += 500 * MS;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_true(F.c[11].tls);
  assert_int_equal(F.c[11].sends, 0);
  tls_ok(11, 0);
  assert_int_equal(F.c[11].tls_sends, 1);
  assert_int_equal(memcmp(F.c[11].last, "RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\n", 46), 0);
  assert_true(F.facts.have_cert);
  assert_int_equal(F.facts.cert_probe, 11);
  static const char gw[] = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\n\r\n";
  receive(11, (const uint8_t *)gw, sizeof gw - 1);
  assert_int_equal(probe_of(11)->service, RD_SVC_HTTPS);
  assert_string_equal(probe_of(11)->ident.authenticate, "Negotiate");
  assert_true(rd_check_done(F.chk));
  finish();
}

/* Any RDP answer (here one Confirm among silence) means no follow-up; nor when nothing connected. */
static void test_rd_check_no_identify_when_rdp_answered(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  confirm(3, RD_X224_PROTOCOL_RDP);
  F.now += STEP;
  rd_check_expire(F.chk, F.now);
  drain();
  assert_int_equal(F.facts.n_probes, 11);
  assert_true(rd_check_done(F.chk));
  finish();
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_REFUSED);
  assert_int_equal(F.facts.n_probes, 11);
  assert_true(rd_check_done(F.chk));
  finish();
}

/* ---- Standard RDP Security enumeration ---- */

static const uint8_t cc_legacy[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0x00};

/* The encryptionMethods of the CS_SECURITY block in the last Connect Initial sent on conn. */
static uint32_t offered_on(int conn) {
  const fake_conn *c = &F.c[conn];
  static const uint8_t hdr[] = {0x02, 0xc0, 0x0c, 0x00}; /* CS_SECURITY, length 12 */
  for (size_t i = 0; i + 8 <= c->last_len; i++)
    if (memcmp(c->last + i, hdr, sizeof hdr) == 0)
      return (uint32_t)c->last[i + 4] | (uint32_t)c->last[i + 5] << 8 | (uint32_t)c->last[i + 6] << 16 |
             (uint32_t)c->last[i + 7] << 24;
  fail_msg("no CS_SECURITY in what conn %d sent last", conn);
  return 0;
}

/* The spec's Connect Response (4.1.4) with the server's encryption method and level replaced. */
static void connect_response(int conn, uint8_t method, uint8_t level) {
  uint8_t pdu[sizeof spec_4_1_4];
  static const uint8_t sec[] = {0x02, 0x0c, 0xec, 0x00}; /* SC_SECURITY, length 236 */
  memcpy(pdu, spec_4_1_4, sizeof pdu);
  size_t at = 0;
  while (at + 12 <= sizeof pdu && memcmp(pdu + at, sec, sizeof sec) != 0)
    at++;
  assert_true(at + 12 <= sizeof pdu);
  pdu[at + 4] = method;
  pdu[at + 8] = level;
  receive(conn, pdu, sizeof pdu);
}

static const rd_rdpsec_method *method_fact(uint32_t method) {
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    if (rd_rdpsec_methods[m] == method)
      return &F.facts.rdp_security.methods[m];
  fail();
  return NULL;
}

static void expect_method(uint32_t method, rd_rdpsec_status status, rd_rdpsec_basis basis, int probe) {
  const rd_rdpsec_method *x = method_fact(method);
  assert_int_equal(x->status, status);
  assert_int_equal(x->basis, basis);
  assert_int_equal(x->probe, probe);
}

/* Ends every connection still open as a server close would. */
static void close_all(void) {
  for (size_t i = 0; i < F.facts.n_probes; i++)
    if (!F.c[i].closed) {
      rd_check_eof(F.chk, (int)i, false, F.now);
      drain();
    }
}

/* xrdp in rdp mode at crypt_level=low: every request gets RDP. The client's probe and the RDP-only
 * one (which stands for the client when TLS is refused) go on into the session offering every
 * method; the first four other probes to get their Confirm offer 40, 56, 128-bit and FIPS alone,
 * the rest close as before. xrdp selects 40-bit whatever is offered. */
static void test_rd_check_enumerates_on_rdp_confirms(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  for (int i = 0; i < 11; i++)
    confirm(i, RD_X224_PROTOCOL_RDP);
  int rdp = conn_requesting(RD_X224_PROTOCOL_RDP, 0);
  assert_int_equal(rdp, 3);
  assert_int_equal(offered_on(0), 0x1b); /* the client: 40, 56, 128-bit and FIPS */
  assert_int_equal(offered_on(rdp), 0x1b);
  static const int carriers[] = {1, 2, 4, 5};
  static const uint32_t order[] = {0x01, 0x08, 0x02, 0x10};
  for (int k = 0; k < 4; k++) {
    int i = carriers[k];
    assert_true(probe_of(i)->session.enumeration);
    assert_int_equal(offered_on(i), order[k]);
    assert_int_equal(probe_of(i)->session.offered_methods, order[k]);
    assert_false(F.c[i].closed);
  }
  for (int i = 6; i < 11; i++) {
    assert_false(probe_of(i)->session.enumeration);
    assert_int_equal(probe_of(i)->session.outcome, RD_SESS_NOT_TRIED);
    assert_true(F.c[i].closed); /* its negotiation answer was all it came for */
  }
  for (int i = 0; i <= 5; i++)
    connect_response(i, 0x01, 1);
  for (int k = 0; k < 4; k++) {
    int i = carriers[k];
    assert_int_equal(probe_of(i)->session.outcome, RD_SESS_ENUMERATED);
    assert_int_equal(F.c[i].last[7], 0x21); /* our Disconnect Provider Ultimatum, then the close */
    assert_true(F.c[i].closed);
  }
  close_all();
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.facts.n_probes, 11); /* nothing opened for it */
  const rd_rdpsec_enum_facts *r = &F.facts.rdp_security;
  assert_true(r->tested);
  assert_true(r->level_present);
  assert_int_equal(r->level, 1);
  assert_int_equal(r->connections, 6);
  assert_int_equal(r->extra_connections, 0);
  expect_method(0x01, RD_RDPSEC_ACCEPTED, RD_RDPSEC_BASIS_PROBED, 0); /* the client's answer proves it first */
  expect_method(0x08, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_PROBED, 2);
  expect_method(0x02, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_PROBED, 4);
  expect_method(0x10, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_PROBED, 5);
  assert_true(method_fact(0x08)->answered_present);
  assert_int_equal(method_fact(0x08)->answered_method, 0x01);
  finish();
}

/* A server with TLS that gives RDP only to the RDP-only and legacy requests, at level High: the
 * RDP-only request goes on into the session offering every method, the legacy one offers 40-bit
 * alone, then the level settles the rest (inferred); no connection is added. */
static void test_rd_check_enumeration_level_high_infers(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  int rdp = conn_requesting(RD_X224_PROTOCOL_RDP, 0);
  int legacy = -1;
  for (size_t i = 0; i < F.facts.n_probes; i++)
    if (F.facts.probes[i].req.legacy)
      legacy = (int)i;
  for (int i = 0; i < 11; i++)
    if (i == legacy)
      receive(i, cc_legacy, sizeof cc_legacy);
    else
      confirm(i, i == rdp ? RD_X224_PROTOCOL_RDP : RD_X224_PROTOCOL_SSL);
  assert_int_equal(offered_on(rdp), 0x1b);
  assert_int_equal(offered_on(legacy), 0x01);
  connect_response(rdp, 0x02, 3); /* High: the server's own 128-bit */
  receive(legacy, (const uint8_t[]){0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80}, 9); /* a DPU */
  close_all();
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.facts.n_probes, 11);
  const rd_rdpsec_enum_facts *r = &F.facts.rdp_security;
  assert_int_equal(r->level, 3);
  assert_int_equal(r->connections, 2);
  expect_method(0x01, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_PROBED, legacy); /* the server ended it */
  assert_false(method_fact(0x01)->answered_present);
  expect_method(0x02, RD_RDPSEC_ACCEPTED, RD_RDPSEC_BASIS_PROBED, rdp); /* selected from every method */
  expect_method(0x08, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_INFERRED, -1);
  expect_method(0x10, RD_RDPSEC_REFUSED, RD_RDPSEC_BASIS_INFERRED, -1);
  finish();
}

/* The same server at Client Compatible: the RDP-only request's session gets 40-bit selected; 56,
 * 128-bit and FIPS are left, and the budget of a dozen leaves room for one more connection: it
 * requests RDP and offers the next method, 56-bit. */
static void test_rd_check_enumeration_adds_within_budget(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  int rdp = conn_requesting(RD_X224_PROTOCOL_RDP, 0);
  for (int i = 0; i < 11; i++)
    confirm(i, i == rdp ? RD_X224_PROTOCOL_RDP : RD_X224_PROTOCOL_SSL);
  assert_int_equal(offered_on(rdp), 0x1b); /* into the session, every method offered */
  assert_int_equal(F.facts.n_probes, 11); /* not before its Connect Response gives the level */
  connect_response(rdp, 0x01, 2);
  assert_int_equal(F.facts.n_probes, 12); /* 40-bit selected; 56, 128-bit and FIPS left, room for one */
  const rd_probe_facts *x = probe_of(11);
  assert_int_equal(x->req.kind, RD_PROBE_RDP_SECURITY);
  assert_int_equal(x->req.protocols, RD_X224_PROTOCOL_RDP);
  assert_false(x->req.legacy);
  assert_true(F.c[11].connect);
  connected(11, RD_CONN_OK);
  confirm(11, RD_X224_PROTOCOL_RDP);
  assert_int_equal(offered_on(11), 0x08);
  connect_response(11, 0x08, 2);
  close_all();
  assert_true(rd_check_done(F.chk));
  assert_int_equal(F.facts.n_probes, 12); /* the budget: a dozen */
  const rd_rdpsec_enum_facts *r = &F.facts.rdp_security;
  assert_int_equal(r->connections, 2);
  assert_int_equal(r->extra_connections, 1);
  expect_method(0x01, RD_RDPSEC_ACCEPTED, RD_RDPSEC_BASIS_PROBED, rdp);
  expect_method(0x08, RD_RDPSEC_ACCEPTED, RD_RDPSEC_BASIS_PROBED, 11);
  expect_method(0x02, RD_RDPSEC_NOT_TESTED, RD_RDPSEC_BASIS_NONE, -1); /* Client Compatible: no inference */
  expect_method(0x10, RD_RDPSEC_NOT_TESTED, RD_RDPSEC_BASIS_NONE, -1);
  finish();
}

/* --no-session and --quick: no Connect Initial on any connection but the client's. */
static void test_rd_check_no_enumeration_without_session(void **state) {
  rd_check_config cfg = {.host = "192.0.2.1", .port = 3389, .step_us = STEP, .no_session = true};
  start(&cfg);
  resolve(1, RD_NAME_LITERAL);
  for (int i = 0; i < 11; i++)
    connected(i, RD_CONN_OK);
  for (int i = 0; i < 11; i++)
    confirm(i, RD_X224_PROTOCOL_RDP);
  for (int i = 0; i < 11; i++)
    assert_true(F.c[i].closed);
  assert_true(rd_check_done(F.chk));
  assert_false(F.facts.rdp_security.tested);
  assert_int_equal(F.facts.n_probes, 11);
  finish();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_check_plan_on_one_address),
      cmocka_unit_test(test_rd_check_quick_is_one_connection),
      cmocka_unit_test(test_rd_check_moves_plan_to_address_that_connects),
      cmocka_unit_test(test_rd_check_side_ports_when_silent),
      cmocka_unit_test(test_rd_check_max_conns_holds_every_connection),
      cmocka_unit_test(test_rd_check_one_authentication_attempt),
      cmocka_unit_test(test_rd_check_auth_falls_back_to_another_probe),
      cmocka_unit_test(test_rd_check_logon_grants_the_client_info),
      cmocka_unit_test(test_rd_check_whole_deadline_is_ours),
      cmocka_unit_test(test_rd_check_cut_while_resolving),
      cmocka_unit_test(test_rd_check_drip_server),
      cmocka_unit_test(test_rd_check_local_error_is_ours),
      cmocka_unit_test(test_rd_check_certificate_choice),
      cmocka_unit_test(test_rd_check_identify_after_silence),
      cmocka_unit_test(test_rd_check_identify_tls_first),
      cmocka_unit_test(test_rd_check_no_identify_when_rdp_answered),
      cmocka_unit_test(test_rd_check_enumerates_on_rdp_confirms),
      cmocka_unit_test(test_rd_check_enumeration_level_high_infers),
      cmocka_unit_test(test_rd_check_enumeration_adds_within_budget),
      cmocka_unit_test(test_rd_check_no_enumeration_without_session),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  OPENSSL_free(cert_der);
  return r;
}
