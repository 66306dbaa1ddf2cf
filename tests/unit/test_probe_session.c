#define _GNU_SOURCE /* memmem */
/* The probe's session phase (src/probe/probe_session.c, probe_license.c) fed the spec's own PDUs:
 * the 4.1.4 Connect Response, the 4.1.7 Attach User Confirm, Join Confirms, a valid-client licence
 * alert (4.1.12), the 4.1.13 Demand Active; and the server's reasons: Set Error Info 7, a close, a
 * licence error, a refused MCS result. No sockets: the probe is driven as the engine drives it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/mcs.h"
#include "core/x224.h"
#include "probe/probe.h"
#include "vectors_mcs.h"

#define STEP 3000000u

static rd_probe_facts facts;
static rd_probe probe;
static rd_us now;

/* What the probe sends next, as one buffer (empty when nothing is due). */
static size_t pull(uint8_t **out) {
  rd_bld b;
  size_t len = 0;
  rd_bld_init(&b, 1 << 20);
  assert_int_equal(rd_probe_pull(&probe, &b, now), 0);
  assert_true(rd_bld_finish(&b, out, &len));
  return len;
}

static void pull_expect(uint8_t first_mcs_byte) {
  uint8_t *out;
  size_t n = pull(&out);
  assert_true(n > 8);
  assert_int_equal(out[0], 0x03);
  assert_int_equal(out[7], first_mcs_byte);
  free(out);
}

/* One whole frame, framed by rd_probe_need as the engine frames it. */
static void feed(const uint8_t *frame, size_t n) {
  now += 1000;
  assert_int_equal(rd_probe_need(&probe, frame, n), n);
  rd_probe_feed(&probe, frame, n, now);
}

/* A Send Data Indication from the server on channel 1003 carrying payload. */
static void feed_data(const uint8_t *payload, size_t n) {
  rd_bld b;
  uint8_t *frame;
  size_t len;
  rd_mcs_send_data sd = {.initiator = 1002, .channel_id = 1003, .priority = RD_MCS_PRIORITY_HIGH,
                         .segmentation = RD_MCS_SEG_BEGIN | RD_MCS_SEG_END};
  rd_cur_init(&sd.user_data, payload, n);
  rd_bld_init(&b, 1 << 16);
  assert_int_equal(rd_mcs_encode_send_data_indication(&sd, &b), 0);
  assert_true(rd_bld_finish(&b, &frame, &len));
  feed(frame, len);
  free(frame);
}

static const uint8_t cc_ssl[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
                                 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00}; /* SSL selected */
/* 4.1.7 Attach User Confirm: user 1007. */
static const uint8_t attach_confirm[] = {0x03, 0x00, 0x00, 0x0b, 0x02, 0xf0, 0x80, 0x2e, 0x00, 0x00, 0x06};
/* Join Confirms for 1007 and 1003. */
static const uint8_t join_1007[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x3e, 0x00,
                                    0x00, 0x06, 0x03, 0xef, 0x03, 0xef};
static const uint8_t join_1003[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x3e, 0x00,
                                    0x00, 0x06, 0x03, 0xeb, 0x03, 0xeb};
/* A basic security header with SEC_LICENSE_PKT, then 4.1.12's STATUS_VALID_CLIENT alert. */
static const uint8_t license_valid[] = {0x80, 0x00, 0x00, 0x00, 0xff, 0x03, 0x10, 0x00, 0x07, 0x00,
                                        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00};
/* ERR_NO_LICENSE_SERVER (6) with ST_TOTAL_ABORT (1). */
static const uint8_t license_error[] = {0x80, 0x00, 0x00, 0x00, 0xff, 0x03, 0x10, 0x00, 0x06, 0x00,
                                        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00};
/* 2.2.5.1 Set Error Info: ERRINFO_SERVER_DENIED_CONNECTION. */
static const uint8_t set_error_info_7[] = {0x16, 0x00, 0x17, 0x00, 0xea, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00,
                                           0x01, 0x08, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00};
/* A Demand Active with one capability set (general), as 2.2.1.13.1 lays it out. */
static const uint8_t demand_active[] = {
    0x1e, 0x00, 0x11, 0x00, 0xea, 0x03, /* totalLength 30, DEMANDACTIVE, pduSource 1002 */
    0xea, 0x03, 0x01, 0x00,             /* shareId 0x103ea */
    0x04, 0x00,                         /* lengthSourceDescriptor 4 */
    0x08, 0x00,                         /* lengthCombinedCapabilities: count, pad, one set */
    'R', 'D', 'P', 0x00,                /* sourceDescriptor */
    0x01, 0x00, 0x00, 0x00,             /* numberCapabilities 1, pad */
    0x01, 0x00, 0x04, 0x00,             /* CAPSTYPE_GENERAL, length 4 (no body) */
    0x00, 0x00, 0x00, 0x00,             /* sessionId */
};
static const uint8_t dpu[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80};

/* A client-like probe through negotiation (SSL) and TLS, ready to send MCS Connect Initial. */
static void to_session(void) {
  uint8_t *out;
  memset(&facts, 0, sizeof facts);
  facts.req.kind = RD_PROBE_NEGO;
  facts.req.protocols = 11;
  facts.req.session = true;
  now = 1000;
  rd_probe_init(&probe, &facts, STEP);
  rd_probe_launch(&probe, now);
  rd_probe_connected(&probe, RD_CONN_OK, NULL, 100, 0, now += 100);
  free((pull(&out), out));
  feed(cc_ssl, sizeof cc_ssl);
  rd_tls_request tls;
  assert_true(rd_probe_wants_tls(&probe, &tls));
  assert_false(tls.facts_only); /* the session speaks inside TLS */
  rd_tls_event ev = {.end = RD_TLS_END_OK, .alert = -1, .version = 0x0303, .version_name = "TLSv1.2"};
  rd_probe_tls_done(&probe, &ev, now += 1000);
  assert_int_equal(probe.state, RD_PS_MCS_SEND_CONNECT_INITIAL);
  assert_int_equal(rd_probe_transport(&probe), RD_TRANSPORT_TLS);
}

/* Connect Initial .. Client Info, with the spec's server answers. */
static void to_licensing(void) {
  uint8_t *out;
  to_session();
  size_t n = pull(&out);
  /* TPKT, Data TPDU, Connect-Initial (7f 65), the GCC request with "Duca" and our early flags. */
  assert_int_equal(out[7], 0x7f);
  assert_int_equal(out[8], 0x65);
  assert_non_null(memmem(out, n, "Duca", 4));
  free(out);
  feed(spec_4_1_4, sizeof spec_4_1_4);
  assert_true(facts.session.connect_response);
  assert_int_equal(facts.session.io_channel, 1003);
  n = pull(&out); /* Erect Domain then Attach User Request, two frames */
  assert_int_equal(n, 12 + 8);
  free(out);
  feed(attach_confirm, sizeof attach_confirm);
  assert_int_equal(facts.session.user_channel, 1007);
  pull_expect(0x38);
  feed(join_1007, sizeof join_1007);
  pull_expect(0x38);
  feed(join_1003, sizeof join_1003);
  pull_expect(0x64); /* Send Data Request: the Client Info PDU */
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
}

static void test_rd_probe_session_reaches_demand_active(void **state) {
  uint8_t *out;
  to_licensing();
  feed_data(license_valid, sizeof license_valid);
  assert_true(facts.session.license_valid_client);
  assert_int_equal(probe.state, RD_PS_CAPS_WAIT_DEMAND_ACTIVE);
  feed_data(demand_active, sizeof demand_active);
  assert_true(facts.session.demand_active);
  assert_int_equal(facts.session.share_id, 0x103ea);
  assert_int_equal(facts.session.outcome, RD_SESS_ACTIVE);
  /* The probe leaves no session behind: a Disconnect Provider Ultimatum, then done. */
  size_t n = pull(&out);
  assert_int_equal(n, sizeof dpu);
  assert_memory_equal(out, dpu, n);
  free(out);
  assert_true(rd_probe_done(&probe));
  assert_string_equal(facts.session.step, "caps-wait-demand-active");
}

/* The exact "0x904 / extended 0x7": the server says why after Client Info, then ends it. */
static void test_rd_probe_session_server_says_why(void **state) {
  to_licensing();
  feed_data(set_error_info_7, sizeof set_error_info_7);
  assert_int_equal(facts.session.n_error_info, 1);
  assert_int_equal(facts.session.error_info[0], 7);
  assert_string_equal(facts.session.error_info_step[0], "licensing");
  assert_false(rd_probe_done(&probe));
  feed(dpu, sizeof dpu);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_ERROR_INFO);
  assert_true(facts.session.dpu_present);
  assert_int_equal(facts.session.dpu_reason, 3);
}

static void test_rd_probe_session_close_without_reason(void **state) {
  to_licensing();
  rd_probe_eof(&probe, false, now += 1000);
  assert_int_equal(facts.session.outcome, RD_SESS_CLOSED);
  assert_string_equal(facts.session.step, "licensing");
  /* The same after a Set Error Info: the reason stands, not the close. */
  to_licensing();
  feed_data(set_error_info_7, sizeof set_error_info_7);
  rd_probe_eof(&probe, true, now += 1000);
  assert_int_equal(facts.session.outcome, RD_SESS_ERROR_INFO);
}

static void test_rd_probe_session_license_error(void **state) {
  to_licensing();
  feed_data(license_error, sizeof license_error);
  assert_true(facts.session.license_error_present);
  assert_int_equal(facts.session.license_error, 6);
  assert_int_equal(facts.session.license_state, 1);
  rd_probe_eof(&probe, false, now += 1000);
  assert_int_equal(facts.session.outcome, RD_SESS_LICENSE_ERROR);
}

/* A Connect Response whose result is not rt-successful: the server refused the MCS connection. */
static void test_rd_probe_session_mcs_refused(void **state) {
  uint8_t *out;
  static const uint8_t refused[] = {0x03, 0x00, 0x00, 0x0d, 0x02, 0xf0, 0x80, /* TPKT, Data TPDU */
                                    0x7f, 0x66, 0x03, 0x0a, 0x01, 0x0e};      /* result 14 */
  to_session();
  free((pull(&out), out));
  feed(refused, sizeof refused);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_REFUSED);
  assert_int_equal(facts.session.mcs_result, 14);
}

/* Silence during the session: the step deadline ends it as silent, a drip cannot stretch it. */
static void test_rd_probe_session_silent(void **state) {
  to_licensing();
  rd_us deadline = rd_probe_deadline(&probe);
  rd_probe_partial(&probe, (const uint8_t[]){0x03, 0x00}, 2, now + 10);
  assert_int_equal(rd_probe_deadline(&probe), deadline);
  rd_probe_expire(&probe, deadline);
  assert_int_equal(facts.session.outcome, RD_SESS_SILENT);
}

/* Bytes that are not a TPKT nor fast-path framing, or not the PDU a step expects: malformed. */
static void test_rd_probe_session_malformed(void **state) {
  uint8_t *out;
  to_session();
  free((pull(&out), out));
  static const uint8_t junk[] = {0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0x7f};
  feed(junk, sizeof junk);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_MALFORMED);
}

/* An enumeration connection (the check set enum_offer): RDP selected (or a legacy Confirm), one
 * Connect Initial offering only the chosen method, the Connect Response read, a clean Disconnect
 * Provider Ultimatum, done: no Erect Domain, no security exchange. */
static void enumerate(bool legacy, uint32_t offer) {
  static const uint8_t cc_rdp[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
                                   0x02, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00}; /* RDP selected */
  static const uint8_t cc_legacy[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00};
  uint8_t *out;
  memset(&facts, 0, sizeof facts);
  facts.req.kind = RD_PROBE_NEGO;
  facts.req.legacy = legacy;
  now = 1000;
  rd_probe_init(&probe, &facts, STEP);
  probe.enum_offer = offer;
  rd_probe_launch(&probe, now);
  rd_probe_connected(&probe, RD_CONN_OK, NULL, 100, 0, now += 100);
  free((pull(&out), out));
  if (legacy)
    feed(cc_legacy, sizeof cc_legacy);
  else
    feed(cc_rdp, sizeof cc_rdp);
}

static void test_rd_probe_session_enumeration(void **state) {
  for (int legacy = 0; legacy <= 1; legacy++) {
    enumerate(legacy, 0x08);
    assert_int_equal(probe.state, RD_PS_MCS_SEND_CONNECT_INITIAL);
    assert_true(facts.session.enumeration);
    uint8_t *out;
    size_t n = pull(&out);
    /* CS_SECURITY, length 12: encryptionMethods 56-bit alone, extEncryptionMethods 0. */
    static const uint8_t sec[] = {0x02, 0xc0, 0x0c, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_non_null(memmem(out, n, sec, sizeof sec));
    free(out);
    assert_int_equal(facts.session.offered_methods, 0x08);
    feed(spec_4_1_4, sizeof spec_4_1_4); /* the spec's server selects 128-bit, Client Compatible */
    assert_int_equal(facts.session.outcome, RD_SESS_ENUMERATED);
    assert_int_equal(facts.session.encryption_method, 0x02);
    assert_int_equal(facts.session.encryption_level, 2);
    assert_int_equal(probe.state, RD_PS_SESSION_SEND_DISCONNECT);
    pull_expect(0x21); /* Disconnect Provider Ultimatum */
    assert_true(rd_probe_done(&probe));
    assert_int_equal(facts.session.outcome, RD_SESS_ENUMERATED);
    assert_string_equal(facts.session.step, "mcs-wait-connect-response");
    rd_probe_cleanup(&probe);
  }
}

/* Without an offer from the check, a Confirm selecting RDP ends the probe as before. */
static void test_rd_probe_session_no_enumeration_without_offer(void **state) {
  enumerate(false, 0);
  assert_true(rd_probe_done(&probe));
  assert_false(facts.session.enumeration);
  assert_int_equal(facts.session.outcome, RD_SESS_NOT_TRIED);
}

/* The server ends an enumeration connection after the offer (a DPU): the session outcome says so,
 * which the check reads as the method refused. */
static void test_rd_probe_session_enumeration_refused(void **state) {
  uint8_t *out;
  enumerate(false, 0x01);
  free((pull(&out), out));
  feed(dpu, sizeof dpu);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_DISCONNECTED);
  assert_false(facts.session.connect_response);
}

static int teardown(void **state) {
  rd_probe_cleanup(&probe);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_rd_probe_session_reaches_demand_active, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_server_says_why, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_close_without_reason, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_license_error, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_mcs_refused, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_silent, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_malformed, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_enumeration, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_no_enumeration_without_offer, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_enumeration_refused, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
