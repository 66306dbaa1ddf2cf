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
  return NULL;
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
  assert_string_equal(root(), "not-rdp-service");
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

static void test_rd_diagnose_network_unstable(void **state) {
  xrdp_negotiate();
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
  F.reach.rtt_max_us = 900; /* loopback jitter is not instability */
  diagnose();
  assert_false(found("network-unstable"));
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
  snprintf(p->credssp.nb_computer, RD_NAME_LEN, "RDS01");
  snprintf(p->credssp.dns_computer, RD_NAME_LEN, "rds01.corp.example");
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
