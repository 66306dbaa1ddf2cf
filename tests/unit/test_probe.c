/* The probe state machine, fed bytes and time by hand (src/probe/probe.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/x224.h"
#include "probe/probe.h"

#define STEP 3000000u /* 3 s in µs */

static rd_probe_facts facts;
static rd_probe probe;

/* Bytes received but not yet a whole frame, as the engine holds them. */
static uint8_t stream[8192];
static size_t stream_len;

static void start(bool legacy, uint32_t requested, rd_us now) {
  rd_probe_facts_clear_names(&facts); /* names a previous test left */
  memset(&facts, 0, sizeof facts);
  facts.req.kind = RD_PROBE_NEGO;
  facts.req.legacy = legacy;
  facts.req.protocols = requested;
  rd_probe_init(&probe, &facts, STEP);
  rd_probe_launch(&probe, now);
  stream_len = 0;
}

/* What rd_probe_pull appends now, or 0 bytes. */
static size_t pull(uint8_t *out, size_t cap, rd_us now) {
  rd_bld b;
  uint8_t *bytes;
  size_t len;
  rd_bld_init(&b, 1 << 16);
  assert_int_equal(rd_probe_pull(&probe, &b, now), 0);
  assert_true(rd_bld_finish(&b, &bytes, &len));
  assert_true(len <= cap);
  memcpy(out, bytes, len);
  free(bytes);
  return len;
}

/* Receives n bytes the way the engine does: frames by rd_probe_need, the rest is partial.
 * Returns the last rd_probe_feed result. */
static int receive(const uint8_t *in, size_t n, rd_us now) {
  int r = 0;
  assert_true(stream_len + n <= sizeof stream);
  memcpy(stream + stream_len, in, n);
  stream_len += n;
  size_t off = 0;
  while (off < stream_len) {
    size_t need = rd_probe_need(&probe, stream + off, stream_len - off);
    if (need == 0 || need > stream_len - off)
      break;
    r = rd_probe_feed(&probe, stream + off, need, now);
    off += need;
  }
  memmove(stream, stream + off, stream_len - off);
  stream_len -= off;
  if (stream_len > 0)
    rd_probe_partial(&probe, stream, stream_len, now);
  return r;
}

static void connect_and_send(const uint8_t *expect, size_t n) {
  uint8_t out[256];
  rd_probe_connected(&probe, RD_CONN_OK, NULL, 100, 0, 100);
  size_t len = pull(out, sizeof out, 120);
  assert_int_equal(len, n);
  assert_memory_equal(out, expect, n);
  assert_int_equal(pull(out, sizeof out, 121), 0); /* sent once */
  assert_int_equal(probe.state, RD_PS_X224_WAIT_CONFIRM);
  assert_int_equal(rd_probe_deadline(&probe), 120 + STEP);
}

/* The request exactly as the test lab sends it (test-lab §3). */
static const uint8_t cr_ssl_hybrid[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0,
                                        0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
static const uint8_t cr_legacy[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0, 0, 0, 0, 0};
/* xrdp's R1: RSP flags 0x01, SSL selected. */
static const uint8_t cc_r1[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
                                0x02, 0x01, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00};
/* FAILURE 5 HYBRID_REQUIRED_BY_SERVER, FreeRDP style (src-ref 0). */
static const uint8_t cc_f5[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x03, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00};
static const uint8_t cc_legacy[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00};

static void test_rd_probe_pull_request_bytes(void **state) {
  start(false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  start(true, 0, 0);
  connect_and_send(cr_legacy, sizeof cr_legacy);
}

static void test_rd_probe_feed_rsp_one_byte_at_a_time(void **state) {
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  rd_tls_request tls = {-1, false};
  for (size_t i = 0; i < sizeof cc_r1; i++) {
    assert_false(rd_probe_wants_tls(&probe, &tls));
    assert_int_equal(receive(&cc_r1[i], 1, 200 + i), 0);
  }
  assert_int_equal(facts.nego, RD_NEGO_RSP);
  assert_int_equal(facts.selected, RD_X224_PROTOCOL_SSL);
  assert_int_equal(facts.rsp_flags, 0x01);
  assert_true(rd_probe_wants_tls(&probe, &tls));
  assert_int_equal(tls.version, 0);
  assert_true(tls.facts_only); /* SSL selected: nothing speaks inside the session */
  assert_false(rd_probe_wants_tls(&probe, &tls)); /* asked once */
  assert_memory_equal(facts.reply, cc_r1, sizeof cc_r1);
  rd_tls_event t = {.end = RD_TLS_END_OK, .alert = -1, .version = 0x0303, .version_name = "TLSv1.2"};
  rd_probe_tls_done(&probe, &t, 900);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.tls.outcome, RD_TLSO_OK);
}

static void test_rd_probe_feed_failure_and_legacy(void **state) {
  start(false, 1, 0);
  connect_and_send((const uint8_t[]){0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x08, 0x00,
                                     0x01, 0x00, 0x00, 0x00}, 19);
  assert_int_equal(receive( cc_f5, sizeof cc_f5, 300), 0);
  assert_int_equal(facts.nego, RD_NEGO_FAILURE);
  assert_int_equal(facts.failure_code, 5);
  assert_true(rd_probe_done(&probe));

  start(true, 0, 0);
  connect_and_send(cr_legacy, sizeof cr_legacy);
  assert_int_equal(receive( cc_legacy, sizeof cc_legacy, 300), 0);
  assert_int_equal(facts.nego, RD_NEGO_LEGACY);
  assert_true(rd_probe_done(&probe));
}

static void test_rd_probe_feed_other_services(void **state) {
  static const char http[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  assert_int_not_equal(receive( (const uint8_t *)http, strlen(http), 300), 0);
  assert_int_equal(facts.nego, RD_NEGO_NOT_RDP);
  assert_int_equal(facts.service, RD_SVC_HTTP);
  assert_string_equal(facts.banner, "HTTP/1.1 400 Bad Request");

  static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( (const uint8_t *)ssh, strlen(ssh), 300);
  assert_int_equal(facts.service, RD_SVC_SSH);

  static const uint8_t tls_alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( tls_alert, sizeof tls_alert, 300);
  assert_int_equal(facts.service, RD_SVC_TLS);
}

static void test_rd_probe_feed_hostile_lengths(void **state) {
  static const uint8_t huge[] = {0x03, 0x00, 0xff, 0xff, 0x00};
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  assert_int_not_equal(receive( huge, sizeof huge, 300), 0);
  assert_int_equal(facts.nego, RD_NEGO_MALFORMED); /* not awaited: recorded at once */
  assert_true(rd_probe_done(&probe));

  static const uint8_t short_tpkt[] = {0x03, 0x00, 0x00, 0x02};
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( short_tpkt, sizeof short_tpkt, 300);
  assert_int_equal(facts.nego, RD_NEGO_MALFORMED);

  /* A TPKT-framed reply that is no Confirm: Data TPDU with an MCS Disconnect Provider Ultimatum. */
  static const uint8_t dpu[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80};
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( dpu, sizeof dpu, 300);
  assert_int_equal(facts.nego, RD_NEGO_MALFORMED);

  /* Garbage beyond the buffer is bounded. */
  static uint8_t junk[4096];
  memset(junk, 0x03, sizeof junk);
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( junk, sizeof junk, 300);
  assert_true(rd_probe_done(&probe));
}

/* An X.224 Disconnect Request is read before the dispatch, whatever the state expects. */
static void test_rd_probe_feed_disconnect_request(void **state) {
  static const uint8_t dr[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00};
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  assert_int_equal(receive(dr, sizeof dr, 400), 0);
  assert_int_equal(facts.nego, RD_NEGO_DISCONNECT);
  assert_int_equal(facts.bytes_received, sizeof dr);
  assert_int_equal(facts.reply_us, 400 - 120);
  assert_true(rd_probe_done(&probe));
}

static void test_rd_probe_eof_and_reset(void **state) {
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  rd_probe_eof(&probe, false, 5000);
  assert_int_equal(facts.nego, RD_NEGO_CLOSED);
  assert_int_equal(facts.reply_us, 5000 - 120);
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( cc_r1, 5, 200); /* part of a reply, then a reset */
  rd_probe_eof(&probe, true, 300);
  assert_int_equal(facts.nego, RD_NEGO_RESET);
  assert_int_equal(facts.bytes_received, 5);
}

/* A server that drips one byte a second cannot move the deadline. */
static void test_rd_probe_expire_drip_cannot_stretch(void **state) {
  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  rd_us deadline = rd_probe_deadline(&probe);
  for (size_t i = 0; i < 3 && 120 + (i + 1) * 1000000 < deadline; i++) {
    receive( &cc_r1[i], 1, 120 + (i + 1) * 1000000);
    assert_int_equal(rd_probe_deadline(&probe), deadline);
  }
  rd_probe_expire(&probe, deadline);
  assert_int_equal(facts.nego, RD_NEGO_SILENT);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(rd_probe_deadline(&probe), RD_US_NONE);
}

static void test_rd_probe_expire_connect_and_tls(void **state) {
  start(false, 3, 0);
  rd_probe_expire(&probe, STEP);
  assert_int_equal(facts.connect, RD_CONN_TIMEOUT);
  assert_int_equal(facts.nego, RD_NEGO_NOT_TRIED);

  start(false, 3, 0);
  connect_and_send(cr_ssl_hybrid, sizeof cr_ssl_hybrid);
  receive( cc_r1, sizeof cc_r1, 200);
  rd_probe_expire(&probe, 200 + STEP);
  assert_int_equal(facts.tls.outcome, RD_TLSO_STALL);
}

static void test_rd_probe_connected_failure(void **state) {
  start(false, 3, 0);
  rd_probe_connected(&probe, RD_CONN_REFUSED, "ECONNREFUSED", 50, 0, 50);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.connect, RD_CONN_REFUSED);
  assert_string_equal(facts.connect_error, "ECONNREFUSED");
  assert_int_equal(facts.connect_us, 50);
  uint8_t out[64];
  assert_int_equal(pull(out, sizeof out, 60), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_probe_pull_request_bytes),
      cmocka_unit_test(test_rd_probe_feed_rsp_one_byte_at_a_time),
      cmocka_unit_test(test_rd_probe_feed_failure_and_legacy),
      cmocka_unit_test(test_rd_probe_feed_other_services),
      cmocka_unit_test(test_rd_probe_feed_hostile_lengths),
      cmocka_unit_test(test_rd_probe_feed_disconnect_request),
      cmocka_unit_test(test_rd_probe_eof_and_reset),
      cmocka_unit_test(test_rd_probe_expire_drip_cannot_stretch),
      cmocka_unit_test(test_rd_probe_expire_connect_and_tls),
      cmocka_unit_test(test_rd_probe_connected_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
