/* The identify probe (src/probe/probe_identify.c) with hand-fed bytes: a greeting (SSH, VNC,
 * SMTP-like), TLS then RDG_OUT_DATA answered by a gateway's 401, an HTTPS site, HTTP in clear, a
 * TLS record in answer to HTTP, silence, a close. No sockets, no clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"

#define MS 1000u
#define STEP (3000 * MS)

static rd_probe P;
static rd_probe_facts F;
static rd_us now;

static void start(bool plain) {
  memset(&F, 0, sizeof F);
  F.req.kind = RD_PROBE_IDENTIFY;
  rd_probe_init(&P, &F, STEP);
  P.host = "gw.example.test";
  P.port = 443;
  P.plain_http = plain;
  now = 1000 * MS;
  rd_probe_launch(&P, now);
  rd_probe_connected(&P, RD_CONN_OK, NULL, 100, 0, now);
}

/* Frames `in` the way the engine does, feeding each whole frame, the rest as partial. */
static void receive(const char *in, size_t n) {
  const uint8_t *b = (const uint8_t *)in;
  size_t off = 0;
  while (off < n && !rd_probe_done(&P)) {
    size_t need = rd_probe_need(&P, b + off, n - off);
    if (need == 0 || need > n - off) {
      rd_probe_partial(&P, b + off, n - off, now);
      return;
    }
    rd_probe_feed(&P, b + off, need, now);
    off += need;
  }
}

static char *pull_text(void) {
  rd_bld b;
  uint8_t *out = NULL;
  size_t len = 0;
  rd_bld_init(&b, 1u << 16);
  assert_true(rd_probe_wants_send(&P));
  assert_int_equal(rd_probe_pull(&P, &b, now), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  char *s = calloc(1, len + 1);
  memcpy(s, out, len);
  free(out);
  return s;
}

static void greeting_wait_passes(void) {
  assert_int_equal(P.state, RD_PS_IDENT_WAIT_GREETING);
  assert_int_equal(rd_probe_deadline(&P), now + 500 * MS); /* its own short step */
  now += 500 * MS;
  rd_probe_expire(&P, now);
}

static void tls_ok(void) {
  rd_tls_request req;
  assert_true(rd_probe_wants_tls(&P, &req));
  assert_int_equal(req.version, 0);
  assert_false(req.facts_only); /* HTTP goes inside */
  rd_tls_event ev = {.end = RD_TLS_END_OK, .alert = -1, .version = 0x0303, .version_name = "TLSv1.2", .cipher = "X"};
  rd_probe_tls_done(&P, &ev, now);
}

static void test_rd_probe_identify_ssh_greeting(void **state) {
  start(false);
  assert_false(rd_probe_wants_send(&P)); /* no Connection Request: it listens first */
  static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian\r\n";
  assert_int_equal(rd_probe_need(&P, (const uint8_t *)ssh, 10), 0); /* a line not yet ended */
  receive(ssh, sizeof ssh - 1);
  assert_true(rd_probe_done(&P));
  assert_int_equal(F.ident.outcome, RD_IDENT_GREETING);
  assert_int_equal(F.service, RD_SVC_SSH);
  assert_string_equal(F.banner, "SSH-2.0-OpenSSH_9.2p1 Debian");
  assert_int_equal(F.tls.outcome, RD_TLSO_NOT_TRIED);
}

static void test_rd_probe_identify_vnc_and_smtp_greetings(void **state) {
  start(false);
  receive("RFB 003.008\n", 12);
  assert_int_equal(F.service, RD_SVC_VNC);
  assert_string_equal(F.banner, "RFB 003.008");
  start(false);
  receive("220 mail.example.test ESMTP\r\n", 29);
  assert_int_equal(F.service, RD_SVC_SMTP_LIKE);
  start(false);
  receive("* OK IMAP4rev1 ready\r\n", 22);
  assert_int_equal(F.service, RD_SVC_SMTP_LIKE);
}

/* A greeting cut short by a close still names the service; control bytes never reach the facts. */
static void test_rd_probe_identify_partial_greeting_then_close(void **state) {
  start(false);
  receive("SSH-2.0-evil\x1b[2J", 16);
  assert_false(rd_probe_done(&P));
  rd_probe_eof(&P, false, now);
  assert_int_equal(F.ident.outcome, RD_IDENT_GREETING);
  assert_int_equal(F.service, RD_SVC_SSH);
  assert_string_equal(F.banner, "SSH-2.0-evil.[2J");
}

static const char gateway_401[] = "HTTP/1.1 401 Unauthorized\r\n"
                                  "Content-Length: 0\r\n"
                                  "Server: Microsoft-HTTPAPI/2.0\r\n"
                                  "WWW-Authenticate: Negotiate\r\n"
                                  "WWW-Authenticate: NTLM\r\n"
                                  "WWW-Authenticate: Basic realm=\"gw\"\r\n"
                                  "\r\n";

static void test_rd_probe_identify_gateway_answers_rdg_out_data(void **state) {
  start(false);
  greeting_wait_passes();
  assert_int_equal(P.state, RD_PS_IDENT_TLS);
  tls_ok();
  assert_int_equal(rd_probe_transport(&P), RD_TRANSPORT_TLS);
  char *req = pull_text();
  /* [MS-TSGU] 2.2.3.1.2, 2.2.3.2.1, 4.2.1 */
  assert_non_null(strstr(req, "RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\n"));
  assert_non_null(strstr(req, "\r\nHost: gw.example.test:443\r\n"));
  assert_non_null(strstr(req, "\r\nRDG-Connection-Id: {"));
  assert_non_null(strstr(req, "\r\nCache-Control: no-cache\r\n"));
  assert_non_null(strstr(req, "\r\n\r\nGET / HTTP/1.1\r\n")); /* pipelined behind it */
  assert_non_null(strstr(req, "\r\n\r\n"));
  free(req);
  assert_int_equal(P.state, RD_PS_IDENT_WAIT_HTTP);
  receive(gateway_401, 30); /* half a head: wait */
  assert_false(rd_probe_done(&P));
  receive(gateway_401, sizeof gateway_401 - 1);
  assert_true(rd_probe_done(&P));
  assert_int_equal(F.ident.outcome, RD_IDENT_ANSWER);
  assert_true(F.ident.tls);
  assert_int_equal(F.service, RD_SVC_HTTPS);
  assert_int_equal(F.ident.http_status, 401);
  assert_string_equal(F.banner, "HTTP/1.1 401 Unauthorized");
  assert_string_equal(F.ident.server, "Microsoft-HTTPAPI/2.0");
  assert_string_equal(F.ident.authenticate, "Negotiate, NTLM, Basic");
  assert_string_equal(F.ident.request, "RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1");
}

static void test_rd_probe_identify_https_site(void **state) {
  start(false);
  greeting_wait_passes();
  tls_ok();
  free(pull_text());
  static const char page[] = "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<html>";
  receive(page, sizeof page - 1);
  assert_int_equal(F.service, RD_SVC_HTTPS);
  assert_int_equal(F.ident.http_status, 200);
  assert_string_equal(F.ident.server, "");
  assert_string_equal(F.ident.authenticate, "");
}

/* TLS completes, then nothing answers the request: a TLS service that is not HTTP. */
static void test_rd_probe_identify_tls_only(void **state) {
  start(false);
  greeting_wait_passes();
  tls_ok();
  free(pull_text());
  now += STEP;
  rd_probe_expire(&P, now);
  assert_true(rd_probe_done(&P));
  assert_int_equal(F.ident.outcome, RD_IDENT_TLS_ONLY);
  assert_int_equal(F.tls.outcome, RD_TLSO_OK);
}

/* A plaintext server answers our ClientHello in clear: its bytes name it. */
static void test_rd_probe_identify_tls_answered_in_clear(void **state) {
  start(false);
  greeting_wait_passes();
  rd_tls_request req;
  assert_true(rd_probe_wants_tls(&P, &req));
  static const char bad[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
  rd_probe_tls_bytes(&P, (const uint8_t *)bad, sizeof bad - 1);
  rd_probe_tls_done(&P, &(rd_tls_event){.end = RD_TLS_END_FAILED, .alert = -1}, now);
  assert_true(rd_probe_done(&P));
  assert_int_equal(F.tls.outcome, RD_TLSO_PLAINTEXT);
  assert_int_equal(F.ident.outcome, RD_IDENT_TLS_FAILED);
  assert_int_equal(F.service, RD_SVC_HTTP);
  assert_string_equal(F.ident.server, "nginx");
}

static void test_rd_probe_identify_plain_http(void **state) {
  start(true);
  greeting_wait_passes();
  assert_int_equal(P.state, RD_PS_IDENT_SEND_HTTP);
  char *req = pull_text();
  assert_int_equal(strncmp(req, "GET / HTTP/1.0\r\n", 16), 0);
  free(req);
  assert_int_equal(rd_probe_transport(&P), RD_TRANSPORT_PLAIN);
  static const char ok[] = "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n\r\n";
  receive(ok, sizeof ok - 1);
  assert_int_equal(F.service, RD_SVC_HTTP);
  assert_int_equal(F.ident.http_status, 200);
  assert_string_equal(F.ident.server, "SimpleHTTP/0.6 Python/3.11");
  assert_false(F.ident.tls);
}

/* HTTP in clear meets a TLS alert: a TLS service; the bytes are handed over at once. */
static void test_rd_probe_identify_plain_meets_tls(void **state) {
  start(true);
  greeting_wait_passes();
  free(pull_text());
  static const uint8_t alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
  assert_int_equal(rd_probe_need(&P, alert, 3), 3);
  rd_probe_feed(&P, alert, sizeof alert, now);
  assert_int_equal(F.service, RD_SVC_TLS);
  assert_int_equal(F.ident.outcome, RD_IDENT_ANSWER);
  assert_int_equal(F.ident.http_status, -1);
}

/* A hostile head that never ends is handed over at the cap, not waited for. */
static void test_rd_probe_identify_head_cap(void **state) {
  start(true);
  greeting_wait_passes();
  free(pull_text());
  size_t n = 5000;
  char *big = malloc(n);
  memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
  memset(big + 17, 'a', n - 17);
  assert_int_equal(rd_probe_need(&P, (const uint8_t *)big, 4095), 0);
  assert_int_equal(rd_probe_need(&P, (const uint8_t *)big, n), n);
  receive(big, n);
  assert_true(rd_probe_done(&P));
  assert_int_equal(F.ident.bytes_received, n);
  free(big);
}

static void test_rd_probe_identify_closed_and_cut(void **state) {
  start(false);
  rd_probe_eof(&P, true, now);
  assert_int_equal(F.ident.outcome, RD_IDENT_RESET);
  start(false);
  rd_probe_cut(&P, now);
  assert_int_equal(F.ident.outcome, RD_IDENT_CUT);
  start(true);
  greeting_wait_passes();
  free(pull_text());
  now += STEP;
  rd_probe_expire(&P, now);
  assert_int_equal(F.ident.outcome, RD_IDENT_SILENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_probe_identify_ssh_greeting),
      cmocka_unit_test(test_rd_probe_identify_vnc_and_smtp_greetings),
      cmocka_unit_test(test_rd_probe_identify_partial_greeting_then_close),
      cmocka_unit_test(test_rd_probe_identify_gateway_answers_rdg_out_data),
      cmocka_unit_test(test_rd_probe_identify_https_site),
      cmocka_unit_test(test_rd_probe_identify_tls_only),
      cmocka_unit_test(test_rd_probe_identify_tls_answered_in_clear),
      cmocka_unit_test(test_rd_probe_identify_plain_http),
      cmocka_unit_test(test_rd_probe_identify_plain_meets_tls),
      cmocka_unit_test(test_rd_probe_identify_head_cap),
      cmocka_unit_test(test_rd_probe_identify_closed_and_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
