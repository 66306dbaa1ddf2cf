/* The check reports (src/report/check_text.c, check_json.c, check_detail.c) from hand-built facts:
 * golden text and JSON for the servers users meet, every evidence pointer resolving in its own
 * document, every kb sentence filled, the one-line JSON equal to the pretty one.
 *
 * The facts are built here, so the header's date and durations are fixed and the output is byte
 * for byte. RD_UPDATE_GOLDEN=1 rewrites tests/golden/check_* (review the diff before committing):
 *     RD_UPDATE_GOLDEN=1 build/release/tests/test_report_check */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/x224.h"
#include "diag/diag.h"
#include "diag/query.h"
#include "kb/codearg.h"
#include "kb/explain.h"
#include "report/report.h"
#include "check_evidence.h"

static rd_check_facts F;
static rd_diagnosis D;

#define STARTED 1800000000 /* 2027-01-15 08:00:00 UTC */

/* The probe plan: a current Windows client's request first, then the others, then TLS pins. */
static const struct {
  rd_probe_kind kind;
  bool legacy;
  uint32_t req;
  int pin;
} plan[] = {
    {RD_PROBE_NEGO, false, 11, 0},         {RD_PROBE_NEGO, false, 3, 0},          {RD_PROBE_NEGO, false, 1, 0},
    {RD_PROBE_NEGO, false, 0, 0},          {RD_PROBE_NEGO, true, 0, 0},           {RD_PROBE_NEGO, false, 2, 0},
    {RD_PROBE_NEGO, false, 4, 0},          {RD_PROBE_TLS_VERSION, false, 3, 0x0303}, {RD_PROBE_TLS_VERSION, false, 3, 0x0304},
    {RD_PROBE_TLS_VERSION, false, 3, 0x0302}, {RD_PROBE_TLS_VERSION, false, 3, 0x0301},
};
#define N_PLAN (sizeof plan / sizeof plan[0])

/* A check of host:port on one address, every probe of the plan connected in a few hundred µs. */
static void base(const char *host, uint16_t port, bool literal) {
  rd_check_facts_free(&F);
  memset(&F, 0, sizeof F);
  assert_int_equal(rd_check_facts_reserve(&F, RD_MAX_PROBES), 0);
  snprintf(F.host, sizeof F.host, "%s", host);
  F.port = port;
  F.started_unix = STARTED;
  F.name.status = literal ? RD_NAME_LITERAL : RD_NAME_OK;
  F.name.status_a = literal ? RD_NAME_NOT_TRIED : RD_NAME_OK;
  F.name.status_aaaa = literal ? RD_NAME_NOT_TRIED : RD_NAME_NODATA;
  F.name.n_addrs = 1;
  snprintf(F.name.addrs[0], RD_ADDR_TEXT, "%s", literal ? host : "192.0.2.10");
  F.name.families[0] = 4;
  F.name.took_us = literal ? 0 : 2100;
  F.reach.chosen = 0;
  F.reach.addr_outcome[0] = RD_CONN_OK;
  F.reach.addr_connect_us[0] = 200;
  F.reach.samples = N_PLAN;
  F.reach.rtt_min_us = 150, F.reach.rtt_median_us = 200, F.reach.rtt_max_us = 410;
  F.cert_probe = -1;
  for (size_t i = 0; i < N_PLAN; i++) {
    rd_probe_facts *p = &F.probes[F.n_probes++];
    p->req = (rd_probe_request){plan[i].kind, plan[i].legacy, plan[i].req, plan[i].pin, 0, i == 0, false};
    p->connect = RD_CONN_OK;
    p->connect_us = p->connect_attempt_us = 150 + 20 * i;
    p->reply_us = 1200 + 100 * i;
    p->tls.alert = -1;
    p->total_us = p->connect_us + p->reply_us;
  }
  F.total_us = 41000;
}

static rd_probe_facts *probe(size_t i) { return &F.probes[i]; }

static bool found_slug(const char *slug) {
  for (size_t i = 0; i < D.n; i++)
    if (strcmp(rd_finding_def_get(D.items[i].id)->slug, slug) == 0)
      return true;
  return false;
}

static void confirm(size_t i, uint32_t selected) {
  rd_probe_facts *p = probe(i);
  static const uint8_t cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 0x02, 0x01, 0x08, 0x00};
  p->nego = RD_NEGO_RSP;
  p->selected = selected;
  p->rsp_flags = 0x01;
  memcpy(p->reply, cc, sizeof cc);
  p->reply[15] = (uint8_t)selected, p->reply_len = 19;
  p->bytes_received = 19;
}

static void refuse(size_t i, uint32_t code) {
  rd_probe_facts *p = probe(i);
  static const uint8_t cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 0x03, 0x00, 0x08, 0x00};
  p->nego = RD_NEGO_FAILURE;
  p->failure_code = code;
  memcpy(p->reply, cc, sizeof cc);
  p->reply[15] = (uint8_t)code, p->reply_len = 19;
  p->bytes_received = 19;
}

static void handshake(size_t i, int version, const char *name, const char *cipher) {
  rd_tls_facts *t = &probe(i)->tls;
  t->outcome = RD_TLSO_OK;
  t->version = version;
  snprintf(t->version_name, sizeof t->version_name, "%s", name);
  snprintf(t->cipher, sizeof t->cipher, "%s", cipher);
  t->bytes_after_hello = 1503;
  t->took_us = 3900;
  probe(i)->total_us += t->took_us;
}

static void alert(size_t i, int code, const char *name) {
  rd_tls_facts *t = &probe(i)->tls;
  t->outcome = RD_TLSO_ALERT;
  t->alert = code;
  snprintf(t->alert_name, sizeof t->alert_name, "%s", name);
  snprintf(t->reason, sizeof t->reason, "tlsv1 alert %s", name);
  t->bytes_after_hello = 7;
  t->took_us = 900;
}

static void challenge(size_t i) {
  rd_credssp_facts *k = &probe(i)->credssp;
  k->outcome = RD_CSSP_CHALLENGE;
  k->ts_version = 6;
  assert_int_equal(rd_facts_set_name(&k->target_name, "CORP"), 0);
  assert_int_equal(rd_facts_set_name(&k->nb_computer, "RDS01"), 0);
  assert_int_equal(rd_facts_set_name(&k->nb_domain, "CORP"), 0);
  assert_int_equal(rd_facts_set_name(&k->dns_computer, "rds01.corp.example"), 0);
  assert_int_equal(rd_facts_set_name(&k->dns_domain, "corp.example"), 0);
  assert_int_equal(rd_facts_set_name(&k->dns_tree, "corp.example"), 0);
  k->os_version_present = true;
  k->os_major = 10, k->os_minor = 0, k->os_build = 17763;
  k->timestamp_present = true;
  k->server_time_unix = STARTED + 2;
  k->took_us = 2500;
  probe(i)->total_us += k->took_us;
}

/* The session phase on the client's probe: MCS and GCC answered as xrdp and Windows do (RDP 5-8.1
 * version, the request echoed, no Standard RDP Security), licensing "valid client". */
static void session_setup(size_t i) {
  rd_session_facts *s = &probe(i)->session;
  s->connect_response = true;
  s->core_present = true;
  s->server_version = 0x00080004;
  s->requested_echo_present = true;
  s->requested_echo = probe(i)->req.protocols;
  s->security_present = true;
  s->io_channel = 1003, s->user_channel = 1007, s->msg_channel = 0, s->n_channels = 3;
  s->early_caps_sent = 0x082d; /* ours, with RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN: no skip answered */
  s->joins_sent = s->joins_confirmed = 2;
  snprintf(s->step, sizeof s->step, "licensing");
}

static void session_active(size_t i) {
  rd_session_facts *s = &probe(i)->session;
  session_setup(i);
  s->outcome = RD_SESS_ACTIVE;
  s->license_seen = s->license_valid_client = true;
  s->license_msg = 0xff;
  s->demand_active = true;
  s->share_id = 0x103ea;
  s->n_capabilities = 10;
  snprintf(s->step, sizeof s->step, "caps-wait-demand-active");
  s->took_us = 6100;
  probe(i)->total_us += s->took_us;
}

static void certificate(const char *cn, int64_t not_before, int64_t not_after) {
  rd_cert_facts *x = &F.cert;
  F.have_cert = true;
  F.cert_probe = 0;
  snprintf(x->subject, sizeof x->subject, "CN=%s", cn);
  snprintf(x->issuer, sizeof x->issuer, "CN=%s", cn);
  snprintf(x->common_name, sizeof x->common_name, "%s", cn);
  x->not_before = not_before;
  x->not_after = not_after;
  x->self_issued = x->self_signed = true;
  snprintf(x->key_type, sizeof x->key_type, "RSA");
  x->key_bits = 2048;
  snprintf(x->sig_alg, sizeof x->sig_alg, "sha256WithRSAEncryption");
  for (int i = 0; i < RD_CERT_SHA256_LEN; i++)
    x->sha256[i] = (uint8_t)(0x10 + 7 * i);
  snprintf(x->serial, sizeof x->serial, "1f2e3d4c");
  x->version = 3;
}

/* Windows Server 2019 with NLA required (the default): every request without HYBRID refused with
 * HYBRID_REQUIRED_BY_SERVER, TLS 1.0-1.2, a self-signed certificate naming the computer. */
static void windows_nla(void) {
  base("rds01.corp.example", 3389, false);
  confirm(0, 8), confirm(1, 2), confirm(5, 2);
  refuse(2, 5), refuse(3, 5), refuse(4, 5), refuse(6, 5);
  for (size_t i = 7; i < N_PLAN; i++)
    confirm(i, 2);
  handshake(0, 0x0303, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
  handshake(1, 0x0303, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
  handshake(5, 0x0303, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
  handshake(7, 0x0303, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
  alert(8, 70, "protocol_version");
  handshake(9, 0x0302, "TLSv1.1", "ECDHE-RSA-AES256-SHA");
  handshake(10, 0x0301, "TLSv1", "ECDHE-RSA-AES256-SHA");
  challenge(0), challenge(1), challenge(5);
  certificate("rds01.corp.example", STARTED - 86400 * 100, STARTED + 86400 * 265);
  snprintf(F.cert.san[0], RD_CERT_SAN_LEN, "DNS:rds01.corp.example");
  F.cert.san_count = F.cert.san_total = 1;
  F.cert.has_dns_san = true;
}

static void scenario_healthy_nla(void) { windows_nla(); }

/* Windows with NLA, and `--user CORP\alice` with a wrong password: STATUS_LOGON_FAILURE. */
static void scenario_nla_auth_failed(void) {
  windows_nla();
  F.auth_requested = true;
  rd_auth_facts *a = &probe(0)->auth;
  a->outcome = RD_AUTH_ERROR_CODE;
  assert_int_equal(rd_facts_set_name(&a->user, "alice"), 0);
  assert_int_equal(rd_facts_set_name(&a->domain, "CORP"), 0);
  a->version = 6;
  a->error_code_present = true;
  a->error_code = 0xC000006D;
  a->took_us = 5200;
}

/* xrdp with security_layer=tls and an expired self-signed certificate, reached by IP. */
static void scenario_expired_tls_only(void) {
  base("127.0.0.1", 3389, true);
  confirm(0, 1), confirm(1, 1), confirm(2, 1);
  refuse(3, 1), refuse(5, 1), refuse(6, 1);
  probe(4)->nego = RD_NEGO_LEGACY;
  probe(4)->reply_len = probe(4)->bytes_received = 11;
  memcpy(probe(4)->reply, "\x03\x00\x00\x0b\x06\xd0\x00\x00\x12\x34\x00", 11);
  for (size_t i = 7; i < N_PLAN; i++)
    confirm(i, 1);
  for (size_t i = 0; i < 3; i++)
    handshake(i, 0x0304, "TLSv1.3", "TLS_AES_256_GCM_SHA384");
  handshake(7, 0x0303, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
  handshake(8, 0x0304, "TLSv1.3", "TLS_AES_256_GCM_SHA384");
  alert(9, 70, "protocol_version"), alert(10, 70, "protocol_version");
  certificate("rdp-lab.local", STARTED - 86400 * 400, STARTED - 86400 * 30);
  session_active(0);
}

/* Windows with NLA and `--user CORP\alice` accepted, then the session: after the Client Info the
 * server sends Set Error Info 7 (ERRINFO_SERVER_DENIED_CONNECTION) and closes, the case users see
 * as "0x904, extended 0x7" (reference §2.2). */
static void scenario_server_denied_0x7(void) {
  windows_nla();
  F.auth_requested = true;
  rd_auth_facts *a = &probe(0)->auth;
  a->outcome = RD_AUTH_ACCEPTED;
  assert_int_equal(rd_facts_set_name(&a->user, "alice"), 0);
  assert_int_equal(rd_facts_set_name(&a->domain, "CORP"), 0);
  a->version = 6;
  a->early_authz_present = true;
  a->early_authz = 0;
  a->took_us = 5200;
  probe(0)->total_us += a->took_us;
  session_setup(0);
  rd_session_facts *s = &probe(0)->session;
  s->outcome = RD_SESS_ERROR_INFO;
  s->error_info[0] = 0x7;
  snprintf(s->error_info_step[0], RD_STEP_LEN, "licensing");
  s->error_info_us[0] = 4300;
  s->n_error_info = 1;
  s->took_us = 4400;
  probe(0)->total_us += s->took_us;
}

/* Nothing listens: every connect is refused. */
static void scenario_refused(void) {
  base("127.0.0.1", 3390, true);
  F.reach.chosen = -1;
  F.reach.addr_outcome[0] = RD_CONN_REFUSED;
  F.reach.samples = 0;
  F.reach.rtt_min_us = F.reach.rtt_median_us = F.reach.rtt_max_us = 0;
  for (size_t i = 0; i < F.n_probes; i++) {
    rd_probe_facts *p = probe(i);
    p->connect = RD_CONN_REFUSED;
    snprintf(p->connect_error, sizeof p->connect_error, "ECONNREFUSED");
    p->reply_us = 0;
    p->total_us = p->connect_us;
  }
}

/* A web server on the port: an HTTP error page instead of a Connection Confirm. */
static void scenario_not_rdp_http(void) {
  base("127.0.0.1", 8080, true);
  static const char http[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n";
  for (size_t i = 0; i < F.n_probes; i++) {
    rd_probe_facts *p = probe(i);
    p->nego = RD_NEGO_NOT_RDP;
    p->service = RD_SVC_HTTP;
    snprintf(p->banner, sizeof p->banner, "HTTP/1.1 400 Bad Request");
    memcpy(p->reply, http, sizeof http - 1);
    p->reply_len = p->bytes_received = sizeof http - 1;
  }
}

static char *render(bool json) {
  static char buf[1 << 16];
  FILE *f = tmpfile();
  assert_non_null(f);
  rd_text_opts opts = {.width = 80};
  assert_int_equal(json ? rd_report_check_json(f, &F, &D) : rd_report_check_text(f, &F, &D, &opts), 0);
  rewind(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void check_golden(const char *name, const char *actual) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/golden/%s", RD_TEST_SRCDIR, name);
  if (getenv("RD_UPDATE_GOLDEN") != NULL) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(actual, f);
    fclose(f);
    return;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    fail_msg("missing golden file %s (run with RD_UPDATE_GOLDEN=1)", path);
  static char expected[1 << 16];
  size_t n = fread(expected, 1, sizeof expected - 1, f);
  expected[n] = '\0';
  fclose(f);
  if (strcmp(expected, actual) != 0)
    fail_msg("output differs from %s (RD_UPDATE_GOLDEN=1 to accept)", path);
}

static const struct {
  const char *name;
  void (*build)(void);
  int exit_code;
  const char *root;
} scenarios[] = {
    {"healthy_nla", scenario_healthy_nla, 0, NULL},
    {"expired_tls_only", scenario_expired_tls_only, 1, "cert-expired"},
    {"nla_auth_failed", scenario_nla_auth_failed, 2, "auth-failed"},
    {"server_denied_0x7", scenario_server_denied_0x7, 2, "server-denied-connection"},
    {"refused", scenario_refused, 2, "tcp-refused"},
    {"not_rdp_http", scenario_not_rdp_http, 2, "http-not-rdp"},
};

static void test_rd_report_check_golden(void **state) {
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
    scenarios[i].build();
    rd_diagnose(&F, &D);
    assert_int_equal(rd_diagnosis_exit_code(&D), scenarios[i].exit_code);
    assert_string_equal(D.verdict.root >= 0 ? rd_finding_def_get(D.items[D.verdict.root].id)->slug : "",
                        scenarios[i].root ? scenarios[i].root : "");
    char name[64];
    snprintf(name, sizeof name, "check_%s.txt", scenarios[i].name);
    check_golden(name, render(false));
    snprintf(name, sizeof name, "check_%s.json", scenarios[i].name);
    check_golden(name, render(true));
  }
}

static void test_rd_report_check_document_evidence_resolves(void **state) {
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
    scenarios[i].build();
    rd_diagnose(&F, &D);
    assert_true(D.n > 0);
    assert_evidence_resolves(&F, &D);
  }
  /* A pointer to nothing is caught. */
  json_t *doc = rd_report_check_document(&F, &D);
  assert_non_null(json_pointer_get(doc, "/facts/probes/0/negotiation/outcome"));
  assert_null(json_pointer_get(doc, "/facts/probes/0/tls/outcome")); /* tls is null: no handshake */
  assert_null(json_pointer_get(doc, "/facts/probes/11/connect"));
  assert_null(json_pointer_get(doc, "/facts/certificate/not_after"));
  json_decref(doc);
}

static void test_rd_report_check_verdict_phases(void **state) {
  scenario_nla_auth_failed();
  rd_diagnose(&F, &D);
  json_t *doc = rd_report_check_document(&F, &D);
  const json_t *v = json_object_get(doc, "verdict");
  assert_string_equal(json_string_value(json_pointer_get(v, "/phases/negotiate")), "ok");
  assert_string_equal(json_string_value(json_pointer_get(v, "/phases/credssp")), "failed");
  assert_string_equal(json_string_value(json_pointer_get(v, "/phases/session")), "not-tested");
  assert_int_equal(json_integer_value(json_object_get(v, "client_probe")), 0);
  assert_int_equal(json_integer_value(json_object_get(v, "identity_probe")), 0);
  assert_string_equal(json_string_value(json_object_get(v, "ends_at")), "credssp");
  json_decref(doc);

  /* The session phase: Demand Active is ok; errorInfo 7 fails it and ends the connection there,
   * predicting "0x904, extended 0x7" in the verdict. */
  scenario_expired_tls_only();
  rd_diagnose(&F, &D);
  assert_int_equal(D.verdict.phases[RD_PH_SESSION], RD_STATE_OK);
  assert_true(found_slug("session-ok"));
  scenario_server_denied_0x7();
  rd_diagnose(&F, &D);
  doc = rd_report_check_document(&F, &D);
  v = json_object_get(doc, "verdict");
  assert_string_equal(json_string_value(json_pointer_get(v, "/phases/session")), "failed");
  assert_string_equal(json_string_value(json_object_get(v, "ends_at")), "session");
  assert_string_equal(json_string_value(json_object_get(v, "client_error_code")), "0x904");
  assert_string_equal(json_string_value(json_object_get(v, "client_error_extended")), "0x7");
  assert_string_equal(json_string_value(json_pointer_get(doc, "/facts/probes/0/session/error_info/0/name")),
                      "ERRINFO_SERVER_DENIED_CONNECTION");
  json_decref(doc);

  scenario_refused();
  rd_diagnose(&F, &D);
  assert_int_equal(D.verdict.phases[RD_PH_REACH], RD_STATE_FAILED);
  assert_int_equal(D.verdict.phases[RD_PH_NEGOTIATE], RD_STATE_SKIPPED);
  assert_int_equal(D.verdict.identity_probe, -1);
}

/* Our side failing is never the server's fault: the deadline cutting every request leaves the
 * check without a verdict (exit 3), whatever the requests lack. */
static void test_rd_diagnose_ours_is_not_checked(void **state) {
  scenario_healthy_nla();
  for (size_t i = 0; i < F.n_probes; i++) {
    rd_probe_facts *p = probe(i);
    memset(&p->tls, 0, sizeof p->tls);
    rd_probe_facts_clear_names(p); /* the names are owned: free them before zeroing */
    memset(&p->credssp, 0, sizeof p->credssp);
    p->nego = RD_NEGO_CUT;
  }
  F.have_cert = false;
  F.deadline_hit = true;
  rd_diagnose(&F, &D);
  assert_evidence_resolves(&F, &D);
  for (size_t i = 0; i < D.n; i++)
    assert_int_not_equal(rd_finding_def_get(D.items[i].id)->severity, RD_SEV_CRITICAL);
  assert_int_equal(D.verdict.phases[RD_PH_NEGOTIATE], RD_STATE_NOT_CHECKED);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_CUT);
  assert_int_equal(rd_diagnosis_exit_code(&D), 3);

  scenario_refused();
  for (size_t i = 0; i < F.n_probes; i++)
    probe(i)->connect = RD_CONN_LOCAL_ERROR, probe(i)->local_error = -4;
  rd_diagnose(&F, &D);
  assert_int_equal(D.n, 0);
  assert_int_equal(D.verdict.phases[RD_PH_REACH], RD_STATE_NOT_CHECKED);
  assert_int_equal(D.verdict.unchecked, RD_UNCHECKED_LOCAL_ERROR);
  assert_int_equal(rd_diagnosis_exit_code(&D), 3);

  /* The client's TLS handshake cut, the others complete: TLS is not checked for the client. */
  scenario_expired_tls_only();
  F.cert.not_after = STARTED + 86400 * 300;
  probe(0)->tls.outcome = RD_TLSO_CUT;
  rd_diagnose(&F, &D);
  assert_false(found_slug("tls-handshake-failed"));
  assert_int_equal(rd_diagnosis_exit_code(&D), 3);
}

/* The exporter and the Nagios line name the server's errorInfo; the session phase has its time. */
static void test_rd_report_session_prom_nagios(void **state) {
  scenario_server_denied_0x7();
  rd_diagnose(&F, &D);
  static char buf[1 << 15];
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(rd_report_prom(f, &F, &D), 0);
  rd_nagios_opts nopts = {.cert_warn_days = -1, .cert_crit_days = -1};
  assert_int_equal(rd_report_nagios(f, &F, &D, &nopts), 0);
  rewind(f);
  buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
  fclose(f);
  assert_non_null(strstr(buf, "rdp_error_info{code=\"0x7\",name=\"ERRINFO_SERVER_DENIED_CONNECTION\"} 1\n"));
  assert_non_null(strstr(buf, "rdp_phase_duration_seconds{phase=\"session\"} 0.0044\n"));
  assert_non_null(strstr(buf, "rdp_phase_state{phase=\"session\",state=\"failed\"} 1\n"));
  assert_non_null(strstr(buf, "RDP CRITICAL - The server denied the connection (ERRINFO_SERVER_DENIED_CONNECTION) "
                              "(server-denied-connection; ERRINFO_SERVER_DENIED_CONNECTION 0x7) on "));
  assert_non_null(strstr(buf, " time_session=0.004400s;;;0"));
}

/* The text with each wrapped line joined to the one before (a newline and its indent: a space). */
static const char *flat_text(void) {
  static char out[1 << 16];
  const char *in = render(false);
  size_t k = 0;
  for (size_t i = 0; in[i] != '\0' && k < sizeof out - 1; i++) {
    if (in[i] == '\n' && in[i + 1] == ' ') {
      while (in[i + 1] == ' ')
        i++;
      out[k++] = ' ';
    } else {
      out[k++] = in[i];
    }
  }
  out[k] = '\0';
  return out;
}

/* The session details in text: the channel joins (skipped, or a refused one named on the
 * timeline), and one PDU sent encrypted said in the singular. */
static void test_rd_report_session_text_joins(void **state) {
  scenario_server_denied_0x7();
  int sp = rd_query_session_probe(&F);
  assert_true(sp >= 0);
  rd_session_facts *s = &F.probes[sp].session;
  s->rdpsec.used = s->rdpsec.exchange_sent = true;
  s->rdpsec.cert = RD_RDPSEC_CERT_VERIFIED;
  s->rdpsec.cert_version = 1;
  s->rdpsec.key_bits = 512;
  s->rdpsec.sent_encrypted = 1;
  s->rdpsec.received_encrypted = 1;
  rd_diagnose(&F, &D);
  const char *text = flat_text();
  assert_non_null(strstr(text, "1 PDU sent encrypted; from the server 1 decrypted (0 with a salted MAC)"));
  assert_non_null(strstr(text, "joins     2 of 2 Channel Join Requests confirmed (sent in one flight)"));
  s->joins_sent = s->joins_confirmed = 0;
  s->joins_skipped = true;
  rd_diagnose(&F, &D);
  assert_non_null(strstr(flat_text(), "joins     skipped: both sides support skipping the channel joins"));
  s->joins_skipped = false;
  s->joins_sent = 2, s->joins_confirmed = 1;
  s->join_refused = true, s->join_refused_channel = 1003, s->join_result = 3;
  s->n_error_info = 0;
  s->outcome = RD_SESS_REFUSED;
  snprintf(s->step, sizeof s->step, "mcs-wait-channel-join-confirm");
  rd_diagnose(&F, &D);
  text = flat_text();
  assert_non_null(strstr(text, "refused during the channel joins (channel 1003: MCS result 3)"));
  assert_non_null(strstr(text, "1 of 2 Channel Join Requests confirmed (sent in one flight); one refused"));
}

/* Every kb sentence fills every placeholder from a fact set that has them all. */
static void test_rd_report_finding_detail_fills_every_template(void **state) {
  scenario_nla_auth_failed();
  F.reach.n_side = 1;
  F.reach.side[0] = (rd_side_port){22, RD_CONN_OK, 300};
  snprintf(F.name.detail, sizeof F.name.detail, "rcode 3");
  rd_finding fd = {.id = RD_F_HOST_IDENTITY, .probe = 0};
  static const char *const names[] = {"refused", "tried", "unreachable", "timeouts", "side", "failed", "slow_ms",
                                      "silent", "closed", "connected", "requests", "days", "skew_s",
                                      "retransmits", "connections", "dead", "addresses", "asked"};
  char buf[512];
  for (rd_ftext t = 0; t < RD_FT_COUNT; t++) {
    fd.text = t;
    fd.n_params = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
      if (strstr(rd_kb_finding_template(t), names[k]) == NULL)
        continue;
      assert_true(fd.n_params < RD_MAX_PARAMS);
      fd.params[fd.n_params++] = (rd_finding_param){names[k], 0};
    }
    rd_report_finding_detail(&F, &fd, buf, sizeof buf);
    if (buf[0] == '\0' || strchr(buf, '{') != NULL)
      fail_msg("form %d: \"%s\"", (int)t, buf);
  }
  fd.text = RD_FT_CLOCK_SKEW;
  fd.params[0] = (rd_finding_param){"skew_s", -5 * 3600 - 20};
  fd.n_params = 1;
  rd_report_finding_detail(&F, &fd, buf, sizeof buf);
  assert_non_null(strstr(buf, "5 hours behind this machine's"));
}

/* The same document, pretty for people or on one line for JSON lines. */
static void test_rd_report_json_print_styles(void **state) {
  scenario_expired_tls_only();
  rd_diagnose(&F, &D);
  json_t *doc = rd_report_check_document(&F, &D);
  char *pretty = NULL, *line = NULL;
  size_t np = 0, nl = 0;
  FILE *f = open_memstream(&pretty, &np);
  assert_int_equal(rd_report_json_print(f, doc, RD_JSON_PRETTY), 0);
  fclose(f);
  f = open_memstream(&line, &nl);
  assert_int_equal(rd_report_json_print(f, doc, RD_JSON_LINE), 0);
  fclose(f);
  assert_ptr_equal(strchr(line, '\n'), line + nl - 1);
  json_t *a = json_loads(pretty, 0, NULL), *b = json_loads(line, 0, NULL);
  assert_true(json_equal(a, b));
  assert_true(json_equal(a, doc));
  assert_string_equal(pretty, render(true));
  json_decref(a), json_decref(b), json_decref(doc);
  free(pretty), free(line);
  assert_int_equal(rd_report_json_print(stdout, NULL, RD_JSON_LINE), RD_E_NOMEM);
}

/* --html: self-contained, every server string escaped, the ids and the failing phase marked. */
static void test_rd_report_check_html(void **state) {
  scenario_expired_tls_only();
  snprintf(F.cert.common_name, sizeof F.cert.common_name, "<script>alert(1)</script>\x1b[31m");
  snprintf(F.cert.subject, sizeof F.cert.subject, "CN=<img src=x onerror=alert(1)>");
  rd_diagnose(&F, &D);
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  assert_int_equal(rd_report_check_html(f, &F, &D), 0);
  fclose(f);
  assert_null(strstr(buf, "<img"));
  assert_null(strstr(buf, "<script>alert"));
  assert_null(strchr(buf, 0x1b));
  assert_null(strstr(buf, "http://"));
  assert_null(strstr(buf, "https://"));
  assert_non_null(strstr(buf, "data-finding=\"cert-expired\""));
  assert_non_null(strstr(buf, "data-root-cause=\"cert-expired\""));
  free(buf);
  scenario_refused();
  rd_diagnose(&F, &D);
  f = open_memstream(&buf, &n);
  assert_int_equal(rd_report_check_html(f, &F, &D), 0);
  fclose(f);
  assert_non_null(strstr(buf, "data-phase=\"reach\" data-state=\"failed\" data-ends=\"true\""));
  free(buf);
}

/* --codes: the same code predicted, one of its causes, or elsewhere. */
static void test_rd_diag_codes(void **state) {
  rd_code_arg args[2];
  rd_code_role roles[2] = {RD_ROLE_ERROR_CODE, RD_ROLE_EXTENDED};
  rd_explanation ex;
  assert_int_equal(rd_codearg_parse("0x904", &args[0]), 0);
  assert_int_equal(rd_codearg_parse("0x7", &args[1]), 0);
  rd_explain(args, roles, 2, &ex);
  /* SSL_CERT_NOT_ON_SERVER predicts 0x904 / 0x7. */
  base("127.0.0.1", 3389, true);
  for (size_t i = 0; i < 7; i++)
    if (!plan[i].legacy)
      refuse(i, 3);
  probe(4)->nego = RD_NEGO_LEGACY;
  rd_diagnose(&F, &D);
  rd_diag_codes(&D, &ex);
  assert_int_equal(D.codes.result, RD_CODES_SAME_CODE);
  assert_string_equal(D.verdict.client_code, "0x904");
  assert_string_equal(D.verdict.client_ext, "0x7");
  json_t *doc = rd_report_check_document(&F, &D);
  assert_string_equal(json_string_value(json_pointer_get(doc, "/verdict/codes/match")), "same-code");
  assert_true(json_is_true(json_pointer_get(doc, "/verdict/codes/matches")));
  json_decref(doc);
  /* Healthy: the code came from elsewhere. */
  scenario_healthy_nla();
  rd_diagnose(&F, &D);
  rd_diag_codes(&D, &ex);
  assert_int_equal(D.codes.result, RD_CODES_HEALTHY);
  /* An authentication failure is not what 0x904 / 0x7 says. */
  scenario_nla_auth_failed();
  rd_diagnose(&F, &D);
  rd_diag_codes(&D, &ex);
  assert_int_equal(D.codes.result, RD_CODES_OTHER);
  assert_int_equal(D.verdict.n_informational > 0, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_report_check_golden),
      cmocka_unit_test(test_rd_report_session_prom_nagios),
      cmocka_unit_test(test_rd_report_session_text_joins),
      cmocka_unit_test(test_rd_report_check_document_evidence_resolves),
      cmocka_unit_test(test_rd_report_check_verdict_phases),
      cmocka_unit_test(test_rd_diagnose_ours_is_not_checked),
      cmocka_unit_test(test_rd_report_finding_detail_fills_every_template),
      cmocka_unit_test(test_rd_report_json_print_styles),
      cmocka_unit_test(test_rd_report_check_html),
      cmocka_unit_test(test_rd_diag_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
