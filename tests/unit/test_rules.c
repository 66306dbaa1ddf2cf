/* Rules on hand-built facts (src/diag/rules.c, verdict.c): each scenario is what a real server was
 * measured to do (test-lab §3), reduced to the facts the probes record. Every diagnosis is also
 * rendered to its JSON document, where each finding's evidence pointers must resolve
 * (check_evidence.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/x224.h"
#include "diag/diag.h"
#include "check_evidence.h"

static rd_check_facts F;
static rd_diagnosis D;

/* The negotiate requests of the probe plan: SSL|HYBRID|HYBRID_EX (a current Windows client) first,
 * then SSL|HYBRID, SSL, RDP, legacy, HYBRID, RDSTLS. Rules find a probe by its request, never by
 * its position, so the order here only mirrors the plan. */
static const struct {
  bool legacy;
  uint32_t req;
} nego_set[] = {{false, 11}, {false, 3}, {false, 1}, {false, 0}, {true, 0}, {false, 2}, {false, 4}};

static void base(void) {
  rd_check_facts_free(&F);
  memset(&F, 0, sizeof F);
  assert_int_equal(rd_check_facts_reserve(&F, RD_MAX_PROBES), 0);
  snprintf(F.host, sizeof F.host, "127.0.0.1");
  F.port = 3389;
  F.started_unix = 1800000000;
  F.name.status = RD_NAME_LITERAL;
  F.name.n_addrs = 1;
  snprintf(F.name.addrs[0], RD_ADDR_TEXT, "127.0.0.1");
  F.reach.chosen = 0;
  F.cert_probe = -1;
  for (size_t i = 0; i < 7; i++) {
    rd_probe_facts *p = &F.probes[F.n_probes++];
    p->req.kind = RD_PROBE_NEGO;
    p->req.legacy = nego_set[i].legacy;
    p->req.protocols = nego_set[i].req;
    p->connect = RD_CONN_OK;
    p->connect_us = 100;
    p->tls.alert = -1;
  }
  F.reach.samples = 7;
  F.reach.rtt_min_us = F.reach.rtt_median_us = F.reach.rtt_max_us = 100;
}

static rd_probe_facts *probe_for(bool legacy, uint32_t req) {
  for (size_t i = 0; i < F.n_probes; i++)
    if (F.probes[i].req.legacy == legacy && F.probes[i].req.protocols == req)
      return &F.probes[i];
  fail_msg("no probe");
  return &F.probes[0];
}

static void rsp(bool legacy, uint32_t req, uint32_t selected) {
  rd_probe_facts *p = probe_for(legacy, req);
  p->nego = RD_NEGO_RSP;
  p->selected = selected;
  p->rsp_flags = 1;
  if (selected != 0 && selected != 4)
    p->tls.outcome = RD_TLSO_OK, p->tls.version = 0x0304;
}

static void negfail(bool legacy, uint32_t req, uint32_t code) {
  rd_probe_facts *p = probe_for(legacy, req);
  p->nego = RD_NEGO_FAILURE;
  p->failure_code = code;
}

static void diagnose(void) {
  rd_diagnose(&F, &D);
  assert_evidence_resolves(&F, &D);
}

/* The sentence of a finding, as both renderers print it. */
static const char *detail_of(size_t i) {
  static char buf[512];
  rd_report_finding_detail(&F, &D.items[i], buf, sizeof buf);
  return buf;
}

static bool found(const char *slug) {
  for (size_t i = 0; i < D.n; i++)
    if (strcmp(rd_finding_def_get(D.items[i].id)->slug, slug) == 0)
      return true;
  return false;
}

static const char *root(void) {
  return D.verdict.root >= 0 ? rd_finding_def_get(D.items[D.verdict.root].id)->slug : "";
}

/* xrdp security_layer=negotiate (test-lab §3 row 1): no NLA offered at all. */
static void xrdp_negotiate(void) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_LEGACY;
  rsp(false, 0, 0), rsp(false, 1, 1), rsp(false, 2, 0), rsp(false, 3, 1), rsp(false, 11, 1), rsp(false, 4, 0);
}

static void test_rd_diagnose_xrdp_negotiate(void **state) {
  xrdp_negotiate();
  diagnose();
  assert_true(found("nla-not-enforced"));
  assert_false(found("rdp-legacy-server"));
  assert_false(found("tls-not-allowed"));
  assert_int_equal(rd_diagnosis_exit_code(&D), 1);
  assert_int_equal(D.verdict.ends_at, RD_PH_ANY);
}

static void test_rd_diagnose_key_unreadable_tls_mode(void **state) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_LEGACY;
  for (size_t i = 0; i < 7; i++)
    if (!nego_set[i].legacy)
      negfail(false, nego_set[i].req, 3);
  diagnose();
  assert_true(found("tls-cert-not-on-server"));
  assert_string_equal(root(), "tls-cert-not-on-server");
  assert_int_equal(D.verdict.ends_at, RD_PH_NEGOTIATE);
  assert_int_equal(rd_diagnosis_exit_code(&D), 2);
  assert_false(found("tls-not-allowed"));
}

static void test_rd_diagnose_key_mismatch_plaintext_after_hello(void **state) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_LEGACY;
  negfail(false, 0, 1), negfail(false, 2, 1), negfail(false, 4, 1);
  for (uint32_t req = 1; req <= 11; req += (req == 1 ? 2 : 8)) {
    rd_probe_facts *p = probe_for(false, req);
    p->nego = RD_NEGO_RSP;
    p->selected = 1;
    p->tls.outcome = RD_TLSO_PLAINTEXT;
    memcpy(p->tls.first_bytes, "\x03\x00\x00\x09\x02\xf0\x80\x21\x80", 9);
    p->tls.n_first_bytes = 9;
  }
  diagnose();
  assert_string_equal(root(), "tls-key-unusable");
  assert_int_equal(D.verdict.ends_at, RD_PH_TLS);
  assert_true(found("tls-required"));
  assert_non_null(strstr(detail_of((size_t)D.verdict.root), "03 00 00 09"));
}

static void test_rd_diagnose_shadow_nla(void **state) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_FAILURE, probe_for(true, 0)->failure_code = 5;
  negfail(false, 0, 5), negfail(false, 1, 5), negfail(false, 4, 5);
  rsp(false, 2, 2), rsp(false, 3, 2), rsp(false, 11, 2);
  diagnose();
  assert_true(found("nla-required"));
  assert_false(found("nla-not-enforced"));
  assert_int_equal(rd_diagnosis_exit_code(&D), 0);
}

static void test_rd_diagnose_rdp_only(void **state) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_LEGACY;
  for (size_t i = 0; i < 7; i++)
    if (!nego_set[i].legacy)
      rsp(false, nego_set[i].req, 0);
  diagnose();
  assert_true(found("tls-not-allowed"));
  assert_false(found("nla-not-enforced"));
  assert_false(found("rdp-legacy-server"));
}

static void test_rd_diagnose_legacy_server(void **state) {
  base();
  for (size_t i = 0; i < 7; i++)
    probe_for(nego_set[i].legacy, nego_set[i].req)->nego = RD_NEGO_LEGACY;
  diagnose();
  assert_true(found("rdp-legacy-server"));
}

static void test_rd_diagnose_reach_failures(void **state) {
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].connect = RD_CONN_REFUSED, F.probes[i].nego = RD_NEGO_NOT_TRIED;
  F.reach.chosen = -1;
  diagnose();
  assert_string_equal(root(), "tcp-refused");
  assert_int_equal(D.verdict.ends_at, RD_PH_REACH);

  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].connect = RD_CONN_TIMEOUT, F.probes[i].connect_us = 3000000;
  F.reach.n_side = 2;
  F.reach.side[0] = (rd_side_port){22, RD_CONN_TIMEOUT, 0};
  F.reach.side[1] = (rd_side_port){80, RD_CONN_REFUSED, 0};
  diagnose();
  assert_string_equal(root(), "tcp-filtered");
  F.reach.side[1].outcome = RD_CONN_TIMEOUT;
  diagnose();
  assert_string_equal(root(), "host-down");

  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].connect = RD_CONN_HOST_UNREACH;
  diagnose();
  assert_string_equal(root(), "tcp-unreachable");
}

static void test_rd_diagnose_after_connect_failures(void **state) {
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = RD_NEGO_SILENT;
  diagnose();
  assert_string_equal(root(), "rdp-no-answer");
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = i % 2 ? RD_NEGO_CLOSED : RD_NEGO_RESET;
  diagnose();
  assert_string_equal(root(), "rdp-closed-after-request");
  for (size_t i = 0; i < F.n_probes; i++) {
    F.probes[i].nego = RD_NEGO_NOT_RDP;
    F.probes[i].service = RD_SVC_SSH;
    snprintf(F.probes[i].banner, sizeof F.probes[i].banner, "SSH-2.0-OpenSSH_9.2p1");
  }
  diagnose();
  assert_string_equal(root(), "ssh-not-rdp");
  assert_non_null(strstr(detail_of((size_t)D.verdict.root), "SSH-2.0"));
}

static void test_rd_diagnose_dns(void **state) {
  base();
  F.name.status = RD_NAME_NXDOMAIN;
  F.name.n_addrs = 0;
  F.n_probes = 0;
  diagnose();
  assert_string_equal(root(), "dns-nxdomain");
  assert_int_equal(D.verdict.ends_at, RD_PH_NAME);
  F.name.status = RD_NAME_REFUSED;
  diagnose();
  assert_string_equal(root(), "dns-failure");
  F.name.status = RD_NAME_NO_SERVERS;
  diagnose();
  assert_int_equal(rd_diagnosis_exit_code(&D), 3);
}

static void test_rd_diagnose_tls_versions_and_alerts(void **state) {
  xrdp_negotiate();
  for (size_t i = 0; i < F.n_probes; i++)
    if (F.probes[i].tls.outcome == RD_TLSO_OK)
      F.probes[i].tls.version = 0x0301, snprintf(F.probes[i].tls.version_name, 16, "TLSv1");
  diagnose();
  assert_true(found("tls-legacy-versions-only"));

  xrdp_negotiate();
  for (size_t i = 0; i < F.n_probes; i++)
    if (F.probes[i].tls.outcome == RD_TLSO_OK) {
      F.probes[i].tls.outcome = RD_TLSO_ALERT;
      F.probes[i].tls.alert = 80;
    }
  diagnose();
  assert_string_equal(root(), "tls-handshake-failed");
  assert_int_equal(rd_diagnosis_exit_code(&D), 2);
}

/* The same facts on a routed address: loopback loses nothing (the next test). */
static void routed(void) {
  snprintf(F.host, sizeof F.host, "192.0.2.10");
  snprintf(F.name.addrs[0], RD_ADDR_TEXT, "192.0.2.10");
}

static void test_rd_diagnose_network_unstable(void **state) {
  xrdp_negotiate();
  routed();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].connect_attempt_us = 100, F.probes[i].reply_us = 500;
  F.probes[4].connect_attempt_us = 1100000; /* a retransmitted SYN */
  diagnose();
  assert_true(found("network-unstable"));
  /* ... unless that connect needed a replacement SYN: a full listen queue, not the path. */
  F.probes[4].connect_retries = 1;
  diagnose();
  assert_false(found("network-unstable"));
  F.probes[2].reply_us = 400000; /* retransmitted data */
  diagnose();
  assert_true(found("network-unstable"));
  xrdp_negotiate();
  routed();
  F.reach.rtt_max_us = 900; /* LAN jitter is not instability */
  diagnose();
  assert_false(found("network-unstable"));
  /* Some connects timed out while the others got the server's answer: a lossy path. */
  xrdp_negotiate();
  routed();
  F.probes[3].connect = RD_CONN_TIMEOUT;
  F.probes[3].nego = RD_NEGO_NOT_TRIED;
  diagnose();
  assert_true(found("network-unstable"));
  /* The same connect failures with no answer anywhere (`nc -l`: one connection accepted and
   * silent, the rest left in its backlog): the listener is the cause, not the path. */
  for (size_t i = 0; i < F.n_probes; i++)
    if (F.probes[i].connect == RD_CONN_OK)
      F.probes[i].nego = RD_NEGO_SILENT, F.probes[i].tls.outcome = RD_TLSO_NOT_TRIED;
  diagnose();
  assert_false(found("network-unstable"));
  assert_string_equal(root(), "rdp-no-answer");
}

static void test_rd_diagnose_restricted_admin_and_root_order(void **state) {
  xrdp_negotiate();
  probe_for(false, 11)->rsp_flags = 0x09;
  F.have_cert = true;
  F.cert_probe = 0;
  F.cert.not_before = F.started_unix - 86400 * 400;
  F.cert.not_after = F.started_unix - 86400 * 30;
  snprintf(F.cert.key_type, sizeof F.cert.key_type, "RSA");
  F.cert.key_bits = 2048;
  diagnose();
  assert_true(found("restricted-admin-available"));
  /* Two warnings: the expired certificate (a fault) leads, not the NLA configuration. */
  assert_true(found("nla-not-enforced"));
  assert_string_equal(root(), "cert-expired");
}

static rd_probe_facts *with_challenge(void) {
  rd_probe_facts *p = probe_for(false, 11);
  p->nego = RD_NEGO_RSP;
  p->selected = 2;
  p->tls.outcome = RD_TLSO_OK;
  p->tls.version = 0x0304;
  p->credssp.outcome = RD_CSSP_CHALLENGE;
  p->credssp.ts_version = 6;
  assert_int_equal(rd_facts_set_name(&p->credssp.nb_computer, "RDS01"), 0);
  assert_int_equal(rd_facts_set_name(&p->credssp.dns_computer, "rds01.corp.example"), 0);
  p->credssp.timestamp_present = true;
  p->credssp.server_time_unix = F.started_unix + 20;
  return p;
}

static void test_rd_diagnose_credssp_identity(void **state) {
  base();
  rd_probe_facts *p = with_challenge();
  diagnose();
  assert_true(found("host-identity"));
  assert_false(found("clock-skew"));
  assert_false(found("credssp-outdated"));
  p->credssp.server_time_unix = F.started_unix - 3600 * 5;
  p->credssp.ts_version = 3;
  diagnose();
  assert_true(found("clock-skew"));
  assert_string_equal(root(), "credssp-outdated");
  /* A name: the short name, the FQDN or a certificate for it are this host; anything else is not. */
  p->credssp.server_time_unix = F.started_unix;
  p->credssp.ts_version = 6;
  F.name.status = RD_NAME_OK;
  snprintf(F.host, sizeof F.host, "RDS01.corp.example.");
  diagnose();
  assert_false(found("dns-wrong-host"));
  snprintf(F.host, sizeof F.host, "rds01");
  diagnose();
  assert_false(found("dns-wrong-host"));
  snprintf(F.host, sizeof F.host, "fileserver.corp.example");
  diagnose();
  assert_string_equal(root(), "dns-wrong-host");
}

static void test_rd_diagnose_auth_verdicts(void **state) {
  static const struct {
    uint32_t status;
    const char *id;
  } cases[] = {
      {0xC000006D, "auth-failed"},          {0xC0000064, "auth-failed"},
      {0xC0000071, "password-expired"},     {0xC0000224, "password-must-change"},
      {0xC0000234, "account-locked"},       {0xC0000072, "account-disabled"},
      {0xC0000193, "account-expired"},      {0xC000006F, "logon-hours"},
      {0xC0000070, "workstation-restricted"}, {0xC000015B, "remote-logon-not-granted"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    base();
    F.auth_requested = true;
    rd_probe_facts *p = with_challenge();
    p->auth.outcome = RD_AUTH_ERROR_CODE;
    p->auth.error_code_present = true;
    p->auth.error_code = cases[i].status;
    diagnose();
    if (strcmp(root(), cases[i].id) != 0)
      fail_msg("0x%08X -> %s, expected %s", cases[i].status, root(), cases[i].id);
    assert_int_equal(rd_diagnosis_exit_code(&D), 2);
  }
  base();
  F.auth_requested = true;
  rd_probe_facts *p = with_challenge();
  p->auth.outcome = RD_AUTH_ACCEPTED;
  p->auth.early_authz_present = true;
  p->auth.early_authz = 5;
  diagnose();
  assert_string_equal(root(), "early-authorization-denied");
  p->auth.early_authz = 0;
  diagnose();
  assert_true(found("auth-ok"));
  for (size_t i = 0; i < D.n; i++)
    if (rd_finding_def_get(D.items[i].id)->severity != RD_SEV_INFO && D.items[i].id != RD_F_NLA_NOT_ENFORCED)
      fail_msg("unexpected %s", rd_finding_def_get(D.items[i].id)->slug);
  p->auth.outcome = RD_AUTH_CLOSED;
  diagnose();
  assert_string_equal(root(), "auth-failed");
  assert_int_equal(D.verdict.ends_at, RD_PH_CREDSSP);
  /* Credentials, but no NLA on offer: say nothing was checked, never auth-ok or auth-failed. */
  xrdp_negotiate();
  F.auth_requested = true;
  diagnose();
  assert_true(found("auth-not-checked"));
  assert_false(found("auth-ok"));
  assert_false(found("auth-failed"));
}


/* ---- docs/verdict.md: one test per row of the decision table ---------------------------------- */

/* A healthy NLA server on a routed address: the client's request selects HYBRID_EX, TLS completes,
 * CredSSP answers with a CHALLENGE. Row H1. */
static void healthy(void) {
  base();
  routed();
  probe_for(true, 0)->nego = RD_NEGO_FAILURE, probe_for(true, 0)->failure_code = 5;
  negfail(false, 0, 5), negfail(false, 1, 5), negfail(false, 4, 5);
  rsp(false, 2, 2), rsp(false, 3, 2);
  with_challenge();
  probe_for(false, 11)->selected = 8;
}

static void expect(int exit_code, const char *id) {
  diagnose();
  if (id != NULL && !found(id))
    fail_msg("expected finding %s (root %s)", id, root());
  if (rd_diagnosis_exit_code(&D) != exit_code)
    fail_msg("exit %d, expected %d (root %s)", rd_diagnosis_exit_code(&D), exit_code, root());
}

static void test_rd_verdict_row_h1_healthy(void **state) {
  healthy();
  expect(0, NULL);
  assert_int_equal(D.verdict.root, -1);
  assert_int_equal(D.verdict.ends_at, RD_PH_ANY);
}

static void test_rd_verdict_rows_name(void **state) {
  base();
  F.name.status = RD_NAME_NXDOMAIN, F.name.n_addrs = 0, F.n_probes = 0;
  expect(2, "dns-nxdomain"); /* N1 */
  F.name.status = RD_NAME_SERVFAIL;
  expect(2, "dns-failure"); /* N2 */
  F.name.status = RD_NAME_NODATA, F.name.status_a = RD_NAME_NODATA, F.name.status_aaaa = RD_NAME_NODATA;
  expect(2, "dns-failure"); /* N2: no address of either family */
  F.name.status_a = RD_NAME_NOT_TRIED; /* N3: -6 asked, the name has no AAAA */
  expect(3, NULL);
  assert_int_equal(D.n, 0);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_FAMILY_FORCED);
  F.name.status = RD_NAME_CANCELLED; /* N4 */
  expect(3, NULL);
}

static void test_rd_verdict_rows_reach(void **state) {
  /* R5: the client's connect refused while the others connect. */
  healthy();
  rd_probe_facts *c = probe_for(false, 11);
  rd_probe_facts_clear_names(c); /* the names are owned: free them before zeroing */
  memset(&c->tls, 0, sizeof c->tls), memset(&c->credssp, 0, sizeof c->credssp);
  c->connect = RD_CONN_REFUSED, c->nego = RD_NEGO_NOT_TRIED;
  expect(2, "tcp-refused");
  assert_int_equal(D.verdict.ends_at, RD_PH_REACH);
  assert_false(found("network-unstable"));
  /* R6: the client's connect timed out while others connected: loss on the path. */
  c->connect = RD_CONN_TIMEOUT;
  expect(1, "network-unstable");
  /* R7: a server that resets every connection on loopback is the server, not the network. */
  base();
  for (size_t i = 0; i < F.n_probes; i++) {
    F.probes[i].nego = RD_NEGO_RESET;
    F.probes[i].connect_attempt_us = i == 3 ? 900000 : 100;
    if (i == 5)
      F.probes[i].connect = RD_CONN_REFUSED, F.probes[i].nego = RD_NEGO_NOT_TRIED;
  }
  expect(2, "rdp-closed-after-request");
  assert_false(found("network-unstable"));
  /* R8: a name with three addresses, one dead: a client may pick it. */
  healthy();
  F.name.status = RD_NAME_OK;
  snprintf(F.host, sizeof F.host, "rds01.corp.example");
  F.name.n_addrs = 3;
  snprintf(F.name.addrs[1], RD_ADDR_TEXT, "192.0.2.11");
  snprintf(F.name.addrs[2], RD_ADDR_TEXT, "2001:db8::5");
  F.reach.addr_outcome[0] = RD_CONN_OK;
  F.reach.addr_outcome[1] = RD_CONN_TIMEOUT;
  F.reach.addr_outcome[2] = RD_CONN_NET_UNREACH;
  expect(1, "some-addresses-dead");
  for (size_t i = 0; i < D.n; i++)
    if (D.items[i].id == RD_F_SOME_ADDRESSES_DEAD) {
      assert_non_null(strstr(detail_of(i), "192.0.2.11 timeout, 2001:db8::5 net-unreachable"));
      assert_non_null(strstr(detail_of(i), "2 of 3 addresses"));
    }
  /* Every connect ours: not checked (R4). */
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].connect = RD_CONN_CUT;
  F.reach.chosen = -1;
  expect(3, NULL);
}

static void all_nego(rd_nego_outcome o) {
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = o;
}

static void test_rd_verdict_rows_negotiate_none_usable(void **state) {
  /* G5: a TPKT that is no Confirm on every connection. */
  base();
  all_nego(RD_NEGO_MALFORMED);
  for (size_t i = 0; i < F.n_probes; i++)
    memcpy(F.probes[i].reply, "\x03\x00\x00\x0b\x06\xf0\x00\x00\x00\x00\x00", 11), F.probes[i].reply_len = 11;
  expect(2, "rdp-malformed-reply");
  assert_string_equal(root(), "rdp-malformed-reply");
  /* G5, echo: our own Connection Request back. */
  for (size_t i = 0; i < F.n_probes; i++)
    memcpy(F.probes[i].reply, "\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x0b\x00\x00\x00", 19),
        F.probes[i].reply_len = 19;
  expect(2, "rdp-malformed-reply");
  assert_non_null(strstr(detail_of((size_t)D.verdict.root), "its own bytes back"));
  /* G6: a selection the request did not offer. */
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = RD_NEGO_RSP, F.probes[i].selected = 16;
  expect(2, "rdp-protocol-violation");
  /* G7: an RDP_NEG_FAILURE code no specification defines. */
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = RD_NEGO_FAILURE, F.probes[i].failure_code = 0x41;
  expect(2, "rdp-unknown-failure-code");
  /* G8: every protocol refused with known codes (was only tls-not-allowed, a warning). */
  base();
  for (size_t i = 0; i < F.n_probes; i++)
    F.probes[i].nego = RD_NEGO_FAILURE, F.probes[i].failure_code = 2;
  expect(2, "rdp-refuses-every-protocol");
  assert_string_equal(root(), "rdp-refuses-every-protocol");
  assert_int_equal(D.verdict.ends_at, RD_PH_NEGOTIATE);
  /* G4 outranks it: SSL_CERT_NOT_ON_SERVER names the cause. */
  probe_for(false, 11)->failure_code = 3;
  expect(2, "tls-cert-not-on-server");
  assert_false(found("rdp-refuses-every-protocol"));
  /* G1-G3 keep their ids. */
  base();
  all_nego(RD_NEGO_SILENT);
  expect(2, "rdp-no-answer");
  all_nego(RD_NEGO_CLOSED);
  expect(2, "rdp-closed-after-request");
}

static void test_rd_verdict_rows_negotiate_client(void **state) {
  /* G9: the others answer, the client's request does not get a usable answer. */
  static const struct {
    rd_nego_outcome o;
    uint32_t value; /* selected or failure code */
    const char *id;
    int exit_code;
  } rows[] = {
      {RD_NEGO_SILENT, 0, "rdp-no-answer", 2},
      {RD_NEGO_RESET, 0, "rdp-closed-after-request", 2},
      {RD_NEGO_DISCONNECT, 0, "rdp-closed-after-request", 2},
      {RD_NEGO_MALFORMED, 0, "rdp-malformed-reply", 2},
      {RD_NEGO_RSP, 4, "rdp-protocol-violation", 2},  /* RDSTLS, not offered */
      {RD_NEGO_RSP, 3, "rdp-protocol-violation", 2},  /* two protocols at once */
      {RD_NEGO_FAILURE, 5, "rdp-protocol-violation", 2}, /* HYBRID required, HYBRID offered */
      {RD_NEGO_FAILURE, 1, "rdp-protocol-violation", 2}, /* TLS required, TLS offered */
      {RD_NEGO_FAILURE, 0x99, "rdp-unknown-failure-code", 2},
      {RD_NEGO_FAILURE, 6, "rdp-client-request-refused", 2},
      {RD_NEGO_FAILURE, 4, "rdp-client-request-refused", 2},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    healthy();
    rd_probe_facts *c = probe_for(false, 11);
    rd_probe_facts_clear_names(c); /* the names are owned: free them before zeroing */
    memset(&c->tls, 0, sizeof c->tls), memset(&c->credssp, 0, sizeof c->credssp);
    c->nego = rows[k].o;
    c->selected = c->failure_code = 0;
    if (rows[k].o == RD_NEGO_RSP)
      c->selected = rows[k].value;
    else if (rows[k].o == RD_NEGO_FAILURE)
      c->failure_code = rows[k].value;
    diagnose();
    if (!found(rows[k].id) || rd_diagnosis_exit_code(&D) != rows[k].exit_code)
      fail_msg("row %zu: expected %s exit %d, root %s exit %d", k, rows[k].id, rows[k].exit_code, root(),
               rd_diagnosis_exit_code(&D));
    assert_int_equal(D.verdict.ends_at, RD_PH_NEGOTIATE);
  }
  /* G10: the client's request cut by our deadline: not checked, never the server's. */
  healthy();
  rd_probe_facts *c = probe_for(false, 11);
  rd_probe_facts_clear_names(c); /* the names are owned: free them before zeroing */
  memset(&c->tls, 0, sizeof c->tls), memset(&c->credssp, 0, sizeof c->credssp);
  c->nego = RD_NEGO_CUT;
  F.deadline_hit = true;
  expect(3, NULL);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_CUT);
  c->nego = RD_NEGO_LOCAL_ERROR, c->local_error = -4;
  expect(3, NULL);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_LOCAL_ERROR);
}

static void test_rd_verdict_rows_tls_credssp(void **state) {
  /* T1: the client's handshake reset while the others complete. */
  healthy();
  rd_probe_facts *c = probe_for(false, 11);
  rd_probe_facts_clear_names(c); /* the names are owned: free them before zeroing */
  memset(&c->credssp, 0, sizeof c->credssp);
  c->tls.outcome = RD_TLSO_RESET;
  expect(2, "tls-key-unusable");
  assert_int_equal(D.verdict.ends_at, RD_PH_TLS);
  c->tls.outcome = RD_TLSO_ERROR;
  expect(2, "tls-handshake-failed");
  c->tls.outcome = RD_TLSO_CUT; /* T3 */
  expect(3, NULL);
  /* C1: the client's NEGOTIATE gets no CHALLENGE. */
  static const rd_credssp_outcome bad[] = {RD_CSSP_ERROR_CODE, RD_CSSP_NO_NTLM, RD_CSSP_CLOSED,
                                           RD_CSSP_RESET, RD_CSSP_SILENT, RD_CSSP_MALFORMED};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    healthy();
    /* Another probe has the identity: the names move to it (each probe's facts own their own). */
    rd_credssp_facts *client = &probe_for(false, 11)->credssp;
    rd_probe_facts_clear_names(probe_for(false, 3));
    probe_for(false, 3)->credssp = *client;
    client->target_name = client->nb_computer = client->nb_domain = NULL;
    client->dns_computer = client->dns_domain = client->dns_tree = NULL;
    client->outcome = bad[k];
    expect(2, "credssp-failed");
    assert_int_equal(D.verdict.ends_at, RD_PH_CREDSSP);
    assert_int_equal(D.verdict.phases[RD_PH_CREDSSP], RD_STATE_FAILED);
  }
  /* C2: the authentication unanswered or garbled. */
  healthy();
  F.auth_requested = true;
  probe_for(false, 11)->auth.outcome = RD_AUTH_SILENT;
  expect(2, "credssp-failed");
  probe_for(false, 11)->auth.outcome = RD_AUTH_MALFORMED;
  expect(2, "credssp-failed");
  /* C3: ours. */
  probe_for(false, 11)->auth.outcome = RD_AUTH_CUT;
  expect(3, "auth-not-checked");
  /* O1: no client request on a connected address. */
  healthy();
  probe_for(false, 11)->req.protocols = 0x13;
  expect(3, NULL);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_NO_CLIENT_PROBE);
}

/* ---- Session (issue #12) ---- */

/* A healthy NLA server, --user accepted (HYBRID_EX, Early User Authorization success), and the
 * client's probe gone on into the session: MCS and GCC answered, the request echoed. */
static rd_probe_facts *session_base(void) {
  healthy();
  rd_probe_facts *c = probe_for(false, 11);
  c->req.session = true;
  F.auth_requested = true;
  c->auth.outcome = RD_AUTH_ACCEPTED;
  c->auth.version = 6;
  c->auth.early_authz_present = true;
  assert_int_equal(rd_facts_set_name(&c->auth.user, "alice"), 0);
  rd_session_facts *s = &c->session;
  s->connect_response = true;
  s->core_present = true;
  s->server_version = 0x00080004;
  s->requested_echo_present = true;
  s->requested_echo = 11;
  s->security_present = true;
  s->io_channel = 1003, s->user_channel = 1007;
  s->took_us = 5000;
  snprintf(s->step, sizeof s->step, "licensing");
  return c;
}

static void session_active(rd_probe_facts *c) {
  c->session.outcome = RD_SESS_ACTIVE;
  c->session.license_seen = c->session.license_valid_client = true;
  c->session.demand_active = true;
  c->session.n_capabilities = 10;
  snprintf(c->session.step, sizeof c->session.step, "caps-wait-demand-active");
}

static size_t index_of(const char *slug) {
  for (size_t i = 0; i < D.n; i++)
    if (strcmp(rd_finding_def_get(D.items[i].id)->slug, slug) == 0)
      return i;
  fail_msg("no finding %s", slug);
  return 0;
}

static void test_rd_diagnose_session_ok(void **state) {
  rd_probe_facts *c = session_base();
  session_active(c);
  expect(0, "session-ok");
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_OK);
  assert_int_equal(D.verdict.ends_at, RD_PH_ANY);
  assert_non_null(strstr(detail_of(index_of("session-ok")), "Demand Active received after licensing"));
  /* The echo differs from the request: something rewrote it. */
  c->session.requested_echo = 3;
  expect(2, "protocol-mismatch");
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_FAILED);
  assert_non_null(strstr(detail_of(index_of("protocol-mismatch")), "asked for SSL|HYBRID|HYBRID_EX"));
  /* Not reached: NLA without --user. Not tested, healthy as before. */
  healthy();
  probe_for(false, 11)->req.session = true;
  expect(0, NULL);
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_NOT_TESTED);
}

/* --logon: what came after activation. A report is logon-ok; silence is said as silence (xrdp),
 * never a success; an end after a proven NLA authentication is session-start-failed, after an
 * auto-logon Client Info (nothing proven) session-closed-during-setup; a logoff errorInfo in the
 * wait is a session that ended as it started; logon error info keeps the session rule's finding. */
static void test_rd_diagnose_logon(void **state) {
  rd_probe_facts *c = session_base();
  session_active(c);
  c->req.logon = true;
  c->auth.outcome = RD_AUTH_NOT_TRIED; /* TLS: no CredSSP authentication on this connection */
  rd_logon_facts *l = &c->session.logon;
  l->confirm_active_sent = true;
  l->credentials = RD_LOGON_CREDS_CLIENT_INFO;
  snprintf(l->user, sizeof l->user, "alice");
  snprintf(l->domain, sizeof l->domain, "LAB");
  l->fin_synchronize = l->fin_cooperate = l->fin_granted = l->fin_font_map = true;
  l->wait_us = 2500000;
  l->outcome = RD_LOGON_REPORTED;
  l->save_session_info = true, l->info_type = 1, l->session_id_present = true, l->session_id = 3;
  expect(0, "logon-ok");
  assert_non_null(strstr(detail_of(index_of("logon-ok")),
                         "the server reported the logon of LAB\\alice (Save Session Info INFOTYPE_LOGON_LONG, "
                         "session id 3) 2500 ms after activation; the credentials went in the auto-logon Client Info"));
  assert_false(found("auth-not-checked")); /* the auto-logon Client Info carried them */
  /* xrdp: activation, graphics, nothing said. */
  l->outcome = RD_LOGON_NOT_REPORTED, l->save_session_info = false, l->n_updates = 12;
  expect(0, "logon-not-reported");
  assert_false(found("logon-ok"));
  assert_non_null(strstr(detail_of(index_of("logon-not-reported")), "(12 graphics updates)"));
  /* The server ended it without a word: after an auto-logon Client Info nothing was proven. */
  l->outcome = RD_LOGON_ENDED, l->end_how = RD_SESS_CLOSED;
  snprintf(c->session.step, sizeof c->session.step, "logon-wait");
  expect(2, "session-closed-during-setup");
  assert_non_null(strstr(detail_of(index_of("session-closed-during-setup")), "after activation, while the user logged on (closed)"));
  /* The same after NLA accepted the account: the session could not start. */
  l->credentials = RD_LOGON_CREDS_CREDSSP;
  c->auth.outcome = RD_AUTH_ACCEPTED;
  assert_int_equal(rd_facts_set_name(&c->auth.user, "alice"), 0);
  expect(2, "session-start-failed");
  assert_false(found("session-closed-during-setup"));
  /* A logoff errorInfo in the wait: ended as it started; another errorInfo keeps its finding. */
  c->session.error_info[0] = 0xC, c->session.n_error_info = 1;
  snprintf(c->session.error_info_step[0], RD_STEP_LEN, "logon-wait");
  expect(2, "session-start-failed");
  assert_non_null(strstr(detail_of(index_of("session-start-failed")), "ERRINFO_LOGOFF_BY_USER (0xC)"));
  c->session.error_info[0] = 0x7;
  expect(2, "server-denied-connection");
  assert_false(found("session-start-failed"));
  /* Logon error info: the session rule names it once. */
  c->session.n_error_info = 0;
  l->outcome = RD_LOGON_ERROR;
  c->session.logon_error_present = true, c->session.logon_error_type = 0, c->session.logon_error_data = 0;
  expect(2, "logon-failed");
  /* Finalization unanswered: a client waits on a black screen. */
  c->session.logon_error_present = false;
  l->outcome = RD_LOGON_SILENT, l->fin_font_map = false;
  expect(2, "session-closed-during-setup");
  /* Ours: nothing said. */
  l->outcome = RD_LOGON_CUT;
  expect(0, "session-ok");
  assert_false(found("logon-ok") || found("logon-not-reported") || found("session-start-failed"));
}

static void test_rd_diagnose_session_error_info(void **state) {
  static const struct {
    uint32_t code;
    const char *id, *client, *name;
  } rows[] = {
      {0x7, "server-denied-connection", "0x904, extended 0x7", "ERRINFO_SERVER_DENIED_CONNECTION"},
      {0x9, "insufficient-privileges", "0x904, extended 0x9", "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES"},
      {0xA, "fresh-credentials-required", "0x904, extended 0xA", "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED"},
      {0x101, "license-no-server", "0x904, extended 0x101", "ERRINFO_LICENSE_NO_LICENSE_SERVER"},
      {0x102, "license-no-cal", "0x904, extended 0x102", "ERRINFO_LICENSE_NO_LICENSE"},
      {0x104, "license-other", "0x904, extended 0x104", "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE"},
      {0x10A, "license-other", "0x904, extended 0x10A", "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS"},
      {0x5, "session-replaced", "0x904, extended 0x5", "ERRINFO_DISCONNECTED_BY_OTHERCONNECTION"},
      {0x6, "server-out-of-memory", "0x904, extended 0x6", "ERRINFO_OUT_OF_MEMORY"},
      {0x19, "server-shutting-down", "0x904, extended 0x19", "ERRINFO_SERVER_SHUTDOWN"},
      {0x1A, "server-shutting-down", "0x904, extended 0x1A", "ERRINFO_SERVER_REBOOT"},
      {0x3, "server-error-info", "0x904, extended 0x3", "ERRINFO_IDLE_TIMEOUT"},
      {0x10, "server-error-info", "0x904, extended code unknown", "ERRINFO_SERVER_DWM_CRASH"},
      {0x112F, "server-error-info", "0x904, extended code unknown", "ERRINFO_GRAPHICSSUBSYSTEMFAILED"},
      {0xBEEF, "server-error-info", "0x904, extended code unknown", "no specification names"},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    rd_probe_facts *c = session_base();
    c->session.outcome = RD_SESS_ERROR_INFO;
    c->session.error_info[0] = rows[k].code;
    snprintf(c->session.error_info_step[0], RD_STEP_LEN, "licensing");
    c->session.n_error_info = 1;
    c->session.dpu_present = true, c->session.dpu_reason = 3; /* the close that followed: no finding of its own */
    diagnose();
    if (!found(rows[k].id) || rd_diagnosis_exit_code(&D) != 2 || strcmp(root(), rows[k].id) != 0)
      fail_msg("row %zu (0x%X): expected root %s exit 2, got %s exit %d", k, rows[k].code, rows[k].id, root(),
               rd_diagnosis_exit_code(&D));
    assert_false(found("session-closed-during-setup"));
    assert_int_equal(D.verdict.ends_at, RD_PH_SESSION);
    assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_FAILED);
    char code[64];
    assert_string_equal(rd_finding_client_code(&D.items[D.verdict.root], code, sizeof code), rows[k].client);
    const char *detail = detail_of((size_t)D.verdict.root);
    if (strstr(detail, rows[k].name) == NULL || strstr(detail, "after Client Info, during licensing") == NULL)
      fail_msg("row %zu: detail \"%s\"", k, detail);
    char hexcode[16];
    snprintf(hexcode, sizeof hexcode, "(0x%X)", rows[k].code);
    assert_non_null(strstr(detail, hexcode));
  }
  /* The verdict's client codes come from the errorInfo: 0x904 / 0x7. */
  rd_probe_facts *c = session_base();
  c->session.outcome = RD_SESS_ERROR_INFO;
  c->session.error_info[0] = 0x7;
  c->session.n_error_info = 1;
  diagnose();
  assert_string_equal(D.verdict.client_code, "0x904");
  assert_string_equal(D.verdict.client_ext, "0x7");
  assert_true(D.verdict.client_inferred);
  /* server-error-info takes the kb's first cause for its errorInfo. */
  c->session.error_info[0] = 0x112F;
  diagnose();
  assert_string_equal(rd_finding_cause(&D.items[D.verdict.root])->slug, "session-graphics-or-memory");
  assert_string_equal(D.verdict.client_ext, "");
  /* A later 0 clears the errorInfo: the session ended without a reason standing. */
  c->session.error_info[0] = 0x7, c->session.error_info[1] = 0, c->session.n_error_info = 2;
  expect(2, "session-closed-during-setup");
  assert_false(found("server-denied-connection"));
  /* Demand Active reached: an errorInfo cleared before it is no finding. */
  session_active(c);
  expect(0, "session-ok");
}

static void test_rd_diagnose_session_ended(void **state) {
  static const struct {
    rd_session_outcome o;
    const char *step, *words;
  } rows[] = {
      {RD_SESS_DISCONNECTED, "licensing", "Disconnect Provider Ultimatum (reason 3) after Client Info, during licensing"},
      {RD_SESS_CLOSED, "mcs-wait-connect-response", "closed the connection after the MCS Connect Initial"},
      {RD_SESS_RESET, "mcs-wait-channel-join-confirm", "reset the connection during the channel joins"},
      {RD_SESS_SILENT, "caps-wait-demand-active", "stopped answering after licensing"},
      {RD_SESS_MALFORMED, "mcs-wait-attach-user-confirm", "not the PDU expected after Erect Domain and Attach User"},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    rd_probe_facts *c = session_base();
    c->session.outcome = rows[k].o;
    snprintf(c->session.step, sizeof c->session.step, "%s", rows[k].step);
    if (rows[k].o == RD_SESS_DISCONNECTED)
      c->session.dpu_present = true, c->session.dpu_reason = 3;
    expect(2, "session-closed-during-setup");
    assert_string_equal(root(), "session-closed-during-setup");
    assert_int_equal(D.verdict.ends_at, RD_PH_SESSION);
    if (strstr(detail_of((size_t)D.verdict.root), rows[k].words) == NULL)
      fail_msg("row %zu: \"%s\"", k, detail_of((size_t)D.verdict.root));
  }
  /* Licensing error alerts without an errorInfo. */
  static const struct {
    uint32_t code;
    const char *id;
  } lic[] = {{0x6, "license-no-server"}, {0x2, "license-no-cal"}, {0x3, "license-other"}, {0x8, "license-other"}};
  for (size_t k = 0; k < sizeof lic / sizeof lic[0]; k++) {
    rd_probe_facts *c = session_base();
    c->session.outcome = RD_SESS_LICENSE_ERROR;
    c->session.license_seen = c->session.license_error_present = true;
    c->session.license_error = lic[k].code;
    c->session.license_state = 1;
    expect(2, lic[k].id);
    assert_string_equal(root(), lic[k].id);
  }
  /* MCS refused; Standard RDP Security with a level and no method. */
  rd_probe_facts *c = session_base();
  c->session.outcome = RD_SESS_REFUSED;
  c->session.mcs_result = 14;
  snprintf(c->session.step, sizeof c->session.step, "mcs-wait-connect-response");
  expect(2, "encryption-mismatch");
  assert_non_null(strstr(detail_of((size_t)D.verdict.root), "MCS result 14"));
  c = session_base();
  c->selected = 0;
  rd_probe_facts_clear_names(c); /* the names are owned: free them before zeroing */
  memset(&c->tls, 0, sizeof c->tls), memset(&c->credssp, 0, sizeof c->credssp), memset(&c->auth, 0, sizeof c->auth);
  c->session.encryption_level = 2, c->session.encryption_method = 0;
  session_active(c);
  expect(2, "encryption-mismatch");
  /* Logon error info. */
  c = session_base();
  session_active(c);
  c->session.logon_info_present = c->session.logon_error_present = true;
  c->session.logon_error_type = 0; /* LOGON_FAILED_BAD_PASSWORD */
  c->session.logon_error_data = 0xC000006D;
  expect(2, "logon-failed");
  assert_non_null(strstr(detail_of(index_of("logon-failed")), "LOGON_FAILED_BAD_PASSWORD"));
  c->session.logon_error_type = 0xFFFFFFFD, c->session.logon_error_data = 0; /* SESSION_TERMINATE */
  expect(2, "session-start-failed");
  assert_false(found("logon-failed"));
  c->session.logon_error_type = 0xFFFFFFFE, c->session.logon_error_data = 2; /* CONTINUE, session 2 */
  expect(0, "session-ok");
  assert_false(found("logon-failed"));
}

/* Standard RDP Security: a certificate a client cannot use and a MAC that does not verify are
 * their own findings (critical), with the facts they rest on; not also "closed during setup". */
static void test_rd_diagnose_session_rdpsec(void **state) {
  rd_probe_facts *c = session_base();
  c->selected = 0;
  c->session.encryption_method = 0x2, c->session.encryption_level = 2;
  c->session.rdpsec.used = true;
  c->session.rdpsec.cert = RD_RDPSEC_CERT_VERIFIED;
  c->session.rdpsec.cert_version = 1;
  c->session.rdpsec.exchange_sent = true;
  session_active(c);
  expect(0, "session-ok");
  assert_false(found("rdp-security-cert-invalid"));
  /* A signature that does not verify: a client refuses; the rest of the session is still seen. */
  c->session.rdpsec.cert = RD_RDPSEC_CERT_BAD_SIGNATURE;
  expect(2, "rdp-security-cert-invalid");
  assert_true(found("session-ok"));
  assert_non_null(strstr(detail_of(index_of("rdp-security-cert-invalid")), "bad-signature"));
  /* A certificate that cannot be parsed ends the session phase at the Connect Response. */
  c->session.rdpsec.cert = RD_RDPSEC_CERT_MALFORMED;
  c->session.rdpsec.exchange_sent = false;
  c->session.outcome = RD_SESS_MALFORMED;
  c->session.demand_active = false;
  snprintf(c->session.step, sizeof c->session.step, "mcs-wait-connect-response");
  expect(2, "rdp-security-cert-invalid");
  assert_false(found("session-closed-during-setup"));
  assert_string_equal(root(), "rdp-security-cert-invalid");
  /* A MAC that does not verify. */
  c->session.rdpsec.cert = RD_RDPSEC_CERT_X509;
  c->session.rdpsec.exchange_sent = true;
  c->session.rdpsec.mac_failed = true;
  snprintf(c->session.rdpsec.mac_failed_step, sizeof c->session.rdpsec.mac_failed_step, "caps-wait-demand-active");
  snprintf(c->session.step, sizeof c->session.step, "caps-wait-demand-active");
  expect(2, "rdp-security-mac-invalid");
  assert_false(found("session-closed-during-setup"));
  assert_false(found("rdp-security-cert-invalid"));
  assert_non_null(strstr(detail_of(index_of("rdp-security-mac-invalid")), "after licensing"));
}

/* Our side: a step not taken yet leaves the phase not checked without changing the exit code; a
 * local error or the deadline leaves the check without a verdict (exit 3). */
static void test_rd_verdict_rows_session_ours(void **state) {
  rd_probe_facts *c = session_base();
  c->session.outcome = RD_SESS_NOT_SUPPORTED;
  expect(0, NULL);
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_NOT_CHECKED);
  assert_true(D.verdict.checked);
  c->session.outcome = RD_SESS_CUT;
  F.deadline_hit = true;
  expect(3, NULL);
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_NOT_CHECKED);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_CUT);
  c->session.outcome = RD_SESS_LOCAL_ERROR, c->local_error = -4;
  expect(3, NULL);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_LOCAL_ERROR);
  for (size_t i = 0; i < D.n; i++)
    assert_int_not_equal(rd_finding_def_get(D.items[i].id)->phase, RD_PH_SESSION);
}

/* Issue #13 item 3: the host named in the 299th SAN, 16 kept: no mismatch is claimed without the
 * DER; with it, the whole list answers. */
static size_t der_len(uint8_t *p, size_t n) {
  if (n < 0x80)
    return p[0] = (uint8_t)n, 1;
  return p[0] = 0x82, p[1] = (uint8_t)(n >> 8), p[2] = (uint8_t)n, 3;
}

/* A minimal certificate DER: tbsCertificate with version, five placeholder fields, and an
 * extensions block whose subjectAltName lists n DNS names "hN.example.test". */
static size_t build_cert(uint8_t *out, size_t n_names, const char *last) {
  static uint8_t names[16384], tbs[20000];
  size_t nl = 0, tl = 0;
  for (size_t i = 0; i < n_names; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s", i + 1 == n_names && last ? last : "");
    if (name[0] == '\0')
      snprintf(name, sizeof name, "h%zu.example.test", i);
    names[nl++] = 0x82;
    nl += der_len(names + nl, strlen(name));
    memcpy(names + nl, name, strlen(name)), nl += strlen(name);
  }
  static const uint8_t head[] = {0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00,
                                 0x30, 0x00, 0x30, 0x00, 0x30, 0x00};
  memcpy(tbs, head, sizeof head), tl = sizeof head;
  /* [3] { SEQ { SEQ { OID 2.5.29.17, OCTET STRING { SEQ { names } } } } } */
  uint8_t inner[20000];
  size_t il = 0;
  inner[il++] = 0x30, il += der_len(inner + il, nl), memcpy(inner + il, names, nl), il += nl;
  uint8_t ext[20000];
  size_t el = 0;
  static const uint8_t oid[] = {0x06, 0x03, 0x55, 0x1d, 0x11};
  uint8_t octet[8];
  size_t ol = 0;
  octet[ol++] = 0x04, ol += der_len(octet + ol, il);
  ext[el++] = 0x30, el += der_len(ext + el, sizeof oid + ol + il);
  memcpy(ext + el, oid, sizeof oid), el += sizeof oid;
  memcpy(ext + el, octet, ol), el += ol, memcpy(ext + el, inner, il), el += il;
  uint8_t exts_head[8];
  size_t hl = 0;
  exts_head[hl++] = 0x30, hl += der_len(exts_head + hl, el);
  tbs[tl++] = 0xa3, tl += der_len(tbs + tl, hl + el);
  memcpy(tbs + tl, exts_head, hl), tl += hl, memcpy(tbs + tl, ext, el), tl += el;
  size_t o = 0;
  uint8_t tbs_head[8];
  size_t th = 0;
  tbs_head[th++] = 0x30, th += der_len(tbs_head + th, tl);
  out[o++] = 0x30, o += der_len(out + o, th + tl);
  memcpy(out + o, tbs_head, th), o += th, memcpy(out + o, tbs, tl), o += tl;
  return o;
}

static void test_rd_diagnose_cert_name_in_299th_san(void **state) {
  static uint8_t der[40000];
  healthy();
  F.name.status = RD_NAME_OK;
  snprintf(F.host, sizeof F.host, "rds01.corp.example");
  F.have_cert = true;
  F.cert_probe = 0;
  F.cert.not_before = F.started_unix - 86400;
  F.cert.not_after = F.started_unix + 86400 * 300;
  snprintf(F.cert.key_type, sizeof F.cert.key_type, "RSA");
  F.cert.key_bits = 2048;
  F.cert.has_dns_san = true;
  for (size_t i = 0; i < RD_CERT_SAN_MAX; i++)
    snprintf(F.cert.san[i], RD_CERT_SAN_LEN, "DNS:h%zu.example.test", i);
  F.cert.san_count = RD_CERT_SAN_MAX;
  F.cert.san_total = 299;
  /* Cut, no DER: the rules cannot prove a mismatch and claim none. */
  expect(0, NULL);
  assert_false(found("cert-name-mismatch"));
  /* The DER names the host in its 299th SAN. */
  F.cert_der = der;
  F.cert_der_len = build_cert(der, 299, "rds01.corp.example");
  expect(0, NULL);
  assert_false(found("cert-name-mismatch"));
  /* ... and when it does not, the mismatch is proven. */
  F.cert_der_len = build_cert(der, 299, NULL);
  expect(1, "cert-name-mismatch");
  /* A wildcard as the 299th. */
  F.cert_der_len = build_cert(der, 299, "*.corp.example");
  expect(0, NULL);
  /* Nothing cut: the kept SANs answer. */
  F.cert_der = NULL, F.cert_der_len = 0;
  F.cert.san_total = RD_CERT_SAN_MAX;
  expect(1, "cert-name-mismatch");
}

/* docs/causes.md and src/diag/seed_causes.def: every cause of the web guides is reachable from a
 * finding, or says plainly that only the server (or the client) can show it. */
#define CHECK 0
#define SERVER 1
#define CLIENT 2
static const struct {
  const char *slug, *what, *cause, *ids;
  int who;
} seeds[] = {
#define RD_SEED(slug, what, cause, ids, who) {slug, what, cause, ids, who},
#include "diag/seed_causes.def"
#undef RD_SEED
};

static bool finding_exists(const char *slug, size_t len) {
  for (int i = 0; i < RD_F_COUNT; i++) {
    const char *s = rd_finding_def_get((rd_finding_id)i)->slug;
    if (strlen(s) == len && strncmp(s, slug, len) == 0)
      return true;
  }
  return false;
}

static void test_seed_causes_reachable(void **state) {
  char path[512];
  snprintf(path, sizeof path, "%s/docs/causes.md", RD_TEST_SRCDIR);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char doc[1 << 17];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  doc[n] = '\0';
  fclose(f);
  assert_true(sizeof seeds / sizeof seeds[0] >= 15);
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
    char key[80];
    snprintf(key, sizeof key, "| `%s` |", seeds[k].slug);
    const char *row = strstr(doc, key);
    if (row == NULL)
      fail_msg("docs/causes.md has no row for %s", seeds[k].slug);
    size_t row_len = strcspn(row + 1, "\n") + 1;
    if (seeds[k].who == CHECK && seeds[k].ids[0] == '\0')
      fail_msg("%s: observable by check, but no finding id", seeds[k].slug);
    if (seeds[k].who != CHECK) {
      if (seeds[k].ids[0] != '\0')
        fail_msg("%s: server or client only, yet finding ids", seeds[k].slug);
      const char *says = seeds[k].who == SERVER ? "**server only**" : "**client only**";
      const char *at = strstr(row, says);
      if (at == NULL || at > row + row_len)
        fail_msg("%s: the row does not say %s", seeds[k].slug, says);
    }
    for (const char *p = seeds[k].ids; *p;) {
      size_t len = strcspn(p, " ");
      if (!finding_exists(p, len))
        fail_msg("%s: no finding %.*s", seeds[k].slug, (int)len, p);
      char id[64];
      snprintf(id, sizeof id, "`%.*s`", (int)len, p);
      const char *at = strstr(row, id);
      if (at == NULL || at > row + row_len)
        fail_msg("%s: the row does not name %s", seeds[k].slug, id);
      p += len;
      while (*p == ' ')
        p++;
    }
    /* Every row gives an exact command to confirm it. */
    static const char *const commands[] = {"Get-", "cmdkey", "Test-NetConnection", "icacls", "qwinsta", "Resolve-DnsName"};
    bool command = false;
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
      const char *at = strstr(row, commands[c]);
      command |= at != NULL && at < row + row_len;
    }
    if (!command)
      fail_msg("%s: no command to confirm it", seeds[k].slug);
  }
}

/* ---- Standard RDP Security (facts.rdp_security, issue #12) ---- */

/* The summary as the check writes it: the level from probe `at`, and each method's status with
 * the connection that settled it (-1: inferred from the level or not tested). */
static void rdpsec(int at, uint32_t level, const rd_rdpsec_status st[4], const int by[4], uint32_t answered) {
  rd_rdpsec_enum_facts *r = &F.rdp_security;
  memset(r, 0, sizeof *r);
  r->tested = true;
  r->level_present = true;
  r->level = level;
  r->level_probe = at;
  r->connections = 4;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
    r->methods[m].status = st[m];
    r->methods[m].probe = by[m];
    r->methods[m].basis = st[m] == RD_RDPSEC_NOT_TESTED ? RD_RDPSEC_BASIS_NONE
                          : by[m] >= 0                  ? RD_RDPSEC_BASIS_PROBED
                                                        : RD_RDPSEC_BASIS_INFERRED;
    r->methods[m].answered_present = by[m] >= 0;
    r->methods[m].answered_method = by[m] >= 0 ? answered : 0;
  }
}

static size_t index_of_id(const char *slug) {
  for (size_t i = 0; i < D.n; i++)
    if (strcmp(rd_finding_def_get(D.items[i].id)->slug, slug) == 0)
      return i;
  fail_msg("no %s", slug);
  return 0;
}

#define A RD_RDPSEC_ACCEPTED
#define R RD_RDPSEC_REFUSED
#define N RD_RDPSEC_NOT_TESTED

/* xrdp negotiate, crypt_level=low or medium: a client that requests RDP gets 40-bit RC4 (56, 128
 * and FIPS offered alone are answered with 40-bit): rdp-security-weak, a warning of the negotiate
 * phase, whatever the client's own TLS session does. */
static void test_rd_diagnose_rdp_security_weak(void **state) {
  static const struct {
    uint32_t level;
    const char *words;
  } rows[] = {{1, "level Low (1) (only client-to-server traffic is encrypted); methods accepted: 40-bit"},
              {2, "level Client Compatible (2) (the strongest method the client offers); methods accepted: 40-bit"}};
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    xrdp_negotiate();
    rdpsec(3, rows[k].level, (const rd_rdpsec_status[]){A, R, R, R}, (const int[]){3, 4, 5, 6}, 0x01);
    expect(1, "rdp-security-weak");
    assert_false(found("encryption-mismatch"));
    const rd_finding *fd = &D.items[index_of_id("rdp-security-weak")];
    assert_int_equal(rd_finding_def_get(fd->id)->severity, RD_SEV_WARNING);
    assert_int_equal(rd_finding_def_get(fd->id)->phase, RD_PH_NEGOTIATE);
    assert_string_equal(fd->evidence[0], "/facts/rdp_security/level");
    assert_string_equal(fd->evidence[1], "/facts/rdp_security/methods/0/status");
    if (strstr(detail_of(index_of_id("rdp-security-weak")), rows[k].words) == NULL)
      fail_msg("row %zu: \"%s\"", k, detail_of(index_of_id("rdp-security-weak")));
  }
  /* Level None: no encryption at all, though no method is accepted. */
  xrdp_negotiate();
  rdpsec(3, 0, (const rd_rdpsec_status[]){R, R, R, R}, (const int[]){-1, -1, -1, -1}, 0);
  expect(1, "rdp-security-weak");
  assert_non_null(strstr(detail_of(index_of_id("rdp-security-weak")), "no encryption at all"));
  assert_false(found("encryption-mismatch"));
  /* 56-bit accepted at High (a server that does not follow 5.3.2): weak by the method. */
  xrdp_negotiate();
  rdpsec(3, 3, (const rd_rdpsec_status[]){R, A, A, R}, (const int[]){3, 4, 5, 6}, 0x02);
  expect(1, "rdp-security-weak");
}

/* High (128-bit, the rest inferred) and FIPS under a TLS-capable server: nothing to say. */
static void test_rd_diagnose_rdp_security_strong(void **state) {
  xrdp_negotiate();
  rdpsec(3, 3, (const rd_rdpsec_status[]){R, R, A, R}, (const int[]){3, 4, -1, -1}, 0x02);
  expect(1, "nla-not-enforced");
  assert_false(found("rdp-security-weak"));
  assert_false(found("encryption-mismatch"));
  xrdp_negotiate();
  rdpsec(3, 4, (const rd_rdpsec_status[]){R, R, R, A}, (const int[]){3, -1, -1, -1}, 0x10);
  expect(1, "nla-not-enforced");
  assert_false(found("rdp-security-weak"));
  assert_false(found("encryption-mismatch")); /* the client's request gets TLS: FIPS is no obstacle */
  xrdp_negotiate();
  F.rdp_security.tested = false; /* tls-only servers: nothing enumerated */
  expect(1, "nla-not-enforced");
  assert_false(found("rdp-security-weak"));
}

/* xrdp rdp mode at crypt_level=fips: the client's own request gets Standard RDP Security and the
 * server requires FIPS: a client that does not offer it cannot connect. */
static void test_rd_diagnose_encryption_mismatch_fips(void **state) {
  base();
  probe_for(true, 0)->nego = RD_NEGO_LEGACY;
  rsp(false, 0, 0), rsp(false, 1, 0), rsp(false, 2, 0), rsp(false, 3, 0), rsp(false, 11, 0), rsp(false, 4, 0);
  rdpsec(1, 4, (const rd_rdpsec_status[]){R, R, R, A}, (const int[]){1, 2, 3, 0}, 0x10);
  expect(2, "encryption-mismatch");
  assert_false(found("rdp-security-weak"));
  const char *d = detail_of(index_of_id("encryption-mismatch"));
  if (strstr(d, "requires FIPS 140-1 (level FIPS (4)): 40-bit (answered FIPS), 56-bit (answered FIPS), 128-bit "
                "(answered FIPS); a client that does not offer FIPS cannot connect") == NULL)
    fail_msg("%s", d);
  /* The client's own request (every method offered, as Windows clients do) got FIPS selected: a
   * Windows client gets through, whatever ends its session later. No mismatch. */
  int cl = D.verdict.client_probe;
  assert_true(cl >= 0);
  F.probes[cl].session.connect_response = F.probes[cl].session.security_present = true;
  F.probes[cl].session.encryption_method = 0x10, F.probes[cl].session.encryption_level = 4;
  diagnose();
  assert_false(found("encryption-mismatch"));
  F.probes[cl].session.connect_response = false;
  /* Every method refused, at a level that encrypts: no method is shared. */
  rdpsec(1, 2, (const rd_rdpsec_status[]){R, R, R, R}, (const int[]){1, 2, 3, 0}, 0x00);
  F.rdp_security.methods[3].answered_present = false;
  expect(2, "encryption-mismatch");
  d = detail_of(index_of_id("encryption-mismatch"));
  if (strstr(d, "refused every encryption method offered alone: 40-bit (answered none)") == NULL ||
      strstr(d, "FIPS (the server ended the connection)") == NULL)
    fail_msg("%s", d);
}

/* The client's Connect Response selects a method its Connect Initial did not offer. */
static void test_rd_diagnose_encryption_not_offered(void **state) {
  rd_probe_facts *c = session_base();
  c->selected = 0;
  rd_probe_facts_clear_names(c); /* owned names, before their pointers go */
  memset(&c->tls, 0, sizeof c->tls), memset(&c->credssp, 0, sizeof c->credssp), memset(&c->auth, 0, sizeof c->auth);
  c->session.offered_methods = 0x0b;
  c->session.encryption_method = 0x10, c->session.encryption_level = 4;
  session_active(c);
  rdpsec((int)(c - F.probes), 4, (const rd_rdpsec_status[]){N, N, N, N}, (const int[]){-1, -1, -1, -1}, 0);
  expect(2, "encryption-mismatch");
  const char *d = detail_of(index_of_id("encryption-mismatch"));
  if (strstr(d, "offered 40-bit|56-bit|128-bit; the server selected FIPS at level FIPS (4)") == NULL)
    fail_msg("%s", d);
}

#undef A
#undef R
#undef N

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_diagnose_xrdp_negotiate),
      cmocka_unit_test(test_rd_diagnose_key_unreadable_tls_mode),
      cmocka_unit_test(test_rd_diagnose_key_mismatch_plaintext_after_hello),
      cmocka_unit_test(test_rd_diagnose_shadow_nla),
      cmocka_unit_test(test_rd_diagnose_rdp_only),
      cmocka_unit_test(test_rd_diagnose_legacy_server),
      cmocka_unit_test(test_rd_diagnose_reach_failures),
      cmocka_unit_test(test_rd_diagnose_after_connect_failures),
      cmocka_unit_test(test_rd_diagnose_dns),
      cmocka_unit_test(test_rd_diagnose_tls_versions_and_alerts),
      cmocka_unit_test(test_rd_diagnose_network_unstable),
      cmocka_unit_test(test_rd_diagnose_restricted_admin_and_root_order),
      cmocka_unit_test(test_rd_diagnose_credssp_identity),
      cmocka_unit_test(test_rd_diagnose_auth_verdicts),
      cmocka_unit_test(test_rd_verdict_row_h1_healthy),
      cmocka_unit_test(test_rd_verdict_rows_name),
      cmocka_unit_test(test_rd_verdict_rows_reach),
      cmocka_unit_test(test_rd_verdict_rows_negotiate_none_usable),
      cmocka_unit_test(test_rd_verdict_rows_negotiate_client),
      cmocka_unit_test(test_rd_verdict_rows_tls_credssp),
      cmocka_unit_test(test_rd_diagnose_cert_name_in_299th_san),
      cmocka_unit_test(test_rd_diagnose_session_ok),
      cmocka_unit_test(test_rd_diagnose_logon),
      cmocka_unit_test(test_rd_diagnose_session_error_info),
      cmocka_unit_test(test_rd_diagnose_session_ended),
      cmocka_unit_test(test_rd_diagnose_session_rdpsec),
      cmocka_unit_test(test_rd_verdict_rows_session_ours),
      cmocka_unit_test(test_seed_causes_reachable),
      cmocka_unit_test(test_rd_diagnose_rdp_security_weak),
      cmocka_unit_test(test_rd_diagnose_rdp_security_strong),
      cmocka_unit_test(test_rd_diagnose_encryption_mismatch_fips),
      cmocka_unit_test(test_rd_diagnose_encryption_not_offered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
