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

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/rdpsec.h"
#include "core/err.h"
#include "core/gcc.h"
#include "core/info.h"
#include "core/license.h"
#include "core/mcs.h"
#include "core/sec.h"
#include "core/share.h"
#include "core/x224.h"
#include "probe/probe.h"
#include "vectors_mcs.h"
#include "../common/selfsigned.h"
#include "../common/tssk.h"

#define STEP 3000000u

static rd_probe_facts facts;
static rd_probe probe;
static rd_us now;
static bool want_logon; /* to_session: the request carries --logon */

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

/* A Connect Response under TLS: 4.1.4's MCS part with our own GCC blocks — SC_CORE (RDP 5-8.1,
 * the echo SSL|HYBRID|HYBRID_EX, earlyCapabilityFlags `early`), SC_SECURITY (method and level 0),
 * SC_NET (I/O channel 1003, no static channels), and SC_MCS_MSGCHANNEL when msg is not 0. */
static size_t connect_response(uint32_t early, uint16_t msg, uint8_t **out) {
  rd_mcs_connect_response cr;
  rd_cur c;
  rd_bld blocks, b;
  uint8_t *bl, gcc[256];
  size_t bl_len, out_len;
  static const uint8_t gcc_head[] = {0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, /* Key object, T.124 OID */
                                     0x00,                                     /* ConnectPDU length (set below) */
                                     0x14, 0x76, 0x0a, 0x01, 0x01, 0x00, 0x01, /* create response, success, 1 set */
                                     0xc0, 0x00, 'M', 'c', 'D', 'n'};          /* h221 key "McDn" */
  rd_bld_init(&blocks, 128);
  rd_bld_add_u16le(&blocks, RD_GCC_SC_CORE);
  rd_bld_add_u16le(&blocks, 16);
  rd_bld_add_u32le(&blocks, RD_GCC_VERSION_RDP5);
  rd_bld_add_u32le(&blocks, 11);
  rd_bld_add_u32le(&blocks, early);
  rd_bld_add_u16le(&blocks, RD_GCC_SC_SECURITY);
  rd_bld_add_u16le(&blocks, 12);
  rd_bld_add_zeros(&blocks, 8);
  rd_bld_add_u16le(&blocks, RD_GCC_SC_NET);
  rd_bld_add_u16le(&blocks, 8);
  rd_bld_add_u16le(&blocks, 1003);
  rd_bld_add_u16le(&blocks, 0);
  if (msg != 0) {
    rd_bld_add_u16le(&blocks, RD_GCC_SC_MCS_MSGCHANNEL);
    rd_bld_add_u16le(&blocks, 6);
    rd_bld_add_u16le(&blocks, msg);
  }
  assert_true(rd_bld_finish(&blocks, &bl, &bl_len));
  assert_true(bl_len < 128);
  memcpy(gcc, gcc_head, sizeof gcc_head);
  gcc[7] = (uint8_t)(sizeof gcc_head - 8 + 1 + bl_len);
  gcc[sizeof gcc_head] = (uint8_t)bl_len; /* PER length of the blocks */
  memcpy(gcc + sizeof gcc_head + 1, bl, bl_len);
  rd_cur_init(&c, spec_4_1_4, sizeof spec_4_1_4);
  assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), 0);
  rd_cur_init(&cr.user_data, gcc, sizeof gcc_head + 1 + bl_len);
  rd_bld_init(&b, 512);
  assert_int_equal(rd_mcs_encode_connect_response(&cr, &b), 0);
  assert_true(rd_bld_finish(&b, out, &out_len));
  free(bl);
  return out_len;
}

/* The Channel Join Requests the probe sends next, in one flight: their channels, in order. */
static size_t pull_joins(uint16_t *channels, size_t max) {
  uint8_t *out;
  size_t n = pull(&out), left = n, k = 0;
  const uint8_t *at = out;
  while (left > 0) {
    size_t need = 0;
    rd_cur c;
    uint16_t initiator;
    assert_int_equal(rd_tpkt_frame_need(at, left, 65535, &need), 0);
    rd_cur_init(&c, at, need);
    assert_int_equal(rd_mcs_decode_channel_join_request(&c, &initiator, &channels[k]), 0);
    assert_int_equal(initiator, 1007);
    assert_true(++k <= max);
    at += need;
    left -= need;
  }
  free(out);
  return k;
}

/* A Channel Join Confirm from the server for user 1007: `requested`, the result, and channelId
 * (the same channel) when the result is a success. */
static void feed_join_confirm(uint16_t requested, uint8_t result) {
  rd_mcs_channel_join_confirm cjc = {.result = result, .initiator = 1007, .requested = requested,
                                     .channel_id_present = result == 0, .channel_id = requested};
  rd_bld b;
  uint8_t *frame;
  size_t len;
  rd_bld_init(&b, 64);
  assert_int_equal(rd_mcs_encode_channel_join_confirm(&cjc, &b), 0);
  assert_true(rd_bld_finish(&b, &frame, &len));
  feed(frame, len);
  free(frame);
}

/* A client-like probe through negotiation (SSL) and TLS, ready to send MCS Connect Initial. */
static void to_session(void) {
  uint8_t *out;
  rd_probe_facts_clear_names(&facts); /* names a previous test left */
  memset(&facts, 0, sizeof facts);
  facts.req.kind = RD_PROBE_NEGO;
  facts.req.protocols = 11;
  facts.req.session = true;
  facts.req.logon = want_logon;
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
  uint16_t ch[4];
  assert_int_equal(pull_joins(ch, 4), 2); /* both joins in one flight: user, then I/O */
  assert_int_equal(ch[0], 1007);
  assert_int_equal(ch[1], 1003);
  feed(join_1007, sizeof join_1007);
  assert_int_equal(pull(&out), 0); /* nothing before the last confirm */
  free(out);
  feed(join_1003, sizeof join_1003);
  pull_expect(0x64); /* Send Data Request: the Client Info PDU */
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
  assert_false(facts.session.joins_skipped);
  assert_int_equal(facts.session.joins_sent, 2);
  assert_int_equal(facts.session.joins_confirmed, 2);
}

/* A self-signed RSA certificate as DER (the licensing certificate an activated license server
 * issues is an X.509 chain of RSA keys). *der is OPENSSL_malloc'd. */
static int rsa_cert_der(unsigned char **der) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  int len = rd_test_selfsigned_key(key, "lic", 7, der);
  EVP_PKEY_free(key);
  return len;
}

static void put16(uint8_t *at, size_t v) { at[0] = (uint8_t)v, at[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *at, uint32_t v) { put16(at, v & 0xffff), put16(at + 2, v >> 16); }

/* A License Request whose certificate is an X.509 chain ([MS-RDPELE] 2.2.2.1, [MS-RDPBCGR]
 * 2.2.1.4.3.1: dwVersion 0x80000002, one certificate): the probe takes the RSA key of the chain's
 * last certificate and answers with a New License Request, the premaster secret encrypted under
 * it (the modulus' 256 bytes, then 8 zero bytes). */
static void test_rd_probe_session_license_x509_chain(void **state) {
  unsigned char *der = NULL;
  int der_len = rsa_cert_der(&der);
  assert_true(der_len > 0);
  to_licensing();
  static uint8_t req[4096];
  size_t n = 0;
  put32(req + n, 0x00000080), n += 4; /* basic security header: SEC_LICENSE_PKT */
  size_t preamble = n;
  n += 4;
  for (int i = 0; i < 32; i++)
    req[n++] = (uint8_t)(0x40 + i); /* ServerRandom */
  put32(req + n, 0x00060000), n += 4; /* ProductInfo: dwVersion, "A" as company, "B" as product */
  put32(req + n, 4), n += 4, req[n++] = 'A', req[n++] = 0, req[n++] = 0, req[n++] = 0;
  put32(req + n, 4), n += 4, req[n++] = 'B', req[n++] = 0, req[n++] = 0, req[n++] = 0;
  put16(req + n, 0x000d), put16(req + n + 2, 4), put32(req + n + 4, 1), n += 8; /* KeyExchangeList: RSA */
  size_t chain_len = 4 + 4 + 4 + (size_t)der_len + 16;
  put16(req + n, 0x0003), put16(req + n + 2, chain_len), n += 4; /* ServerCertificate */
  put32(req + n, 0x80000002), n += 4;                            /* X.509 chain, temporary */
  put32(req + n, 1), n += 4;                                     /* NumCertBlobs */
  put32(req + n, (uint32_t)der_len), n += 4;
  memcpy(req + n, der, (size_t)der_len), n += (size_t)der_len;
  memset(req + n, 0, 16), n += 16; /* padding */
  put32(req + n, 1), n += 4;       /* ScopeCount */
  put16(req + n, 0x000e), put16(req + n + 2, 14), n += 4;
  memcpy(req + n, "microsoft.com", 14), n += 14;
  req[preamble] = 0x01, req[preamble + 1] = 0x03; /* LICENSE_REQUEST, version 3 */
  put16(req + preamble + 2, n - preamble);
  OPENSSL_free(der);
  feed_data(req, n);
  assert_int_equal(facts.session.license_msg, RD_LIC_LICENSE_REQUEST);
  assert_int_equal(probe.state, RD_PS_LICENSE_SEND_RESPONSE);
  uint8_t *out;
  size_t len = pull(&out);
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
  /* NEW_LICENSE_REQUEST (0x13) after the security header; its encrypted premaster blob
   * (BB_RANDOM_BLOB 0x0002) holds 256 + 8 bytes. */
  static const uint8_t blob_head[] = {0x02, 0x00, 0x08, 0x01};
  assert_non_null(memmem(out, len, (const uint8_t[]){0x13}, 1));
  assert_non_null(memmem(out, len, blob_head, sizeof blob_head));
  free(out);
  assert_int_not_equal(facts.session.outcome, RD_SESS_NOT_SUPPORTED);
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

/* Our core data announces RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN (2.2.1.3.2) with the error info. */
static void test_rd_probe_session_announces_skip_join(void **state) {
  uint8_t *out;
  to_session();
  size_t n = pull(&out);
  free(out);
  assert_true(n > 0);
  assert_int_equal(facts.session.early_caps_sent & RD_GCC_CS_SUPPORT_SKIP_CHANNELJOIN,
                   RD_GCC_CS_SUPPORT_SKIP_CHANNELJOIN);
  assert_true(facts.session.early_caps_sent & RD_GCC_CS_SUPPORT_ERRINFO_PDU);
}

/* The server answers RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED (2.2.1.4.2, Windows 8.1 / 2012 R2 and
 * later): no Channel Join Request at all; the Client Info follows the Attach User Confirm. */
static void test_rd_probe_session_skip_join(void **state) {
  uint8_t *out, *cr;
  to_session();
  free((pull(&out), out));
  size_t n = connect_response(RD_GCC_SC_SKIP_CHANNELJOIN_SUPPORTED | RD_GCC_SC_DYNAMIC_DST_SUPPORTED, 0, &cr);
  feed(cr, n);
  free(cr);
  assert_true(facts.session.joins_skipped);
  free((pull(&out), out)); /* Erect Domain, Attach User Request */
  feed(attach_confirm, sizeof attach_confirm);
  assert_int_equal(probe.state, RD_PS_INFO_SEND_CLIENT_INFO);
  pull_expect(0x64); /* the Client Info PDU, no join */
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
  assert_int_equal(facts.session.joins_sent, 0);
  feed_data(license_valid, sizeof license_valid);
  feed_data(demand_active, sizeof demand_active);
  assert_int_equal(facts.session.outcome, RD_SESS_ACTIVE);
  n = pull(&out);
  assert_int_equal(n, sizeof dpu);
  free(out);
  assert_true(rd_probe_done(&probe));
}

/* Without the server's flag (its earlyCapabilityFlags absent or without 0x8): every join in one
 * flight — user, I/O and the message channel — and the confirms taken in any order. */
static void test_rd_probe_session_joins_any_order(void **state) {
  uint8_t *out, *cr;
  uint16_t ch[4];
  to_session();
  free((pull(&out), out));
  size_t n = connect_response(RD_GCC_SC_DYNAMIC_DST_SUPPORTED, 1004, &cr);
  feed(cr, n);
  free(cr);
  assert_false(facts.session.joins_skipped);
  assert_int_equal(facts.session.msg_channel, 1004);
  free((pull(&out), out));
  feed(attach_confirm, sizeof attach_confirm);
  assert_int_equal(pull_joins(ch, 4), 3);
  assert_int_equal(ch[0], 1007);
  assert_int_equal(ch[1], 1003);
  assert_int_equal(ch[2], 1004);
  assert_int_equal(probe.state, RD_PS_MCS_WAIT_CHANNEL_JOIN);
  feed_join_confirm(1004, 0);
  feed_join_confirm(1003, 0);
  assert_int_equal(probe.state, RD_PS_MCS_WAIT_CHANNEL_JOIN);
  assert_int_equal(pull(&out), 0);
  free(out);
  feed_join_confirm(1007, 0);
  assert_int_equal(facts.session.joins_confirmed, 3);
  pull_expect(0x64);
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
}

/* A message channel that repeats the I/O channel is joined once. */
static void test_rd_probe_session_joins_each_channel_once(void **state) {
  uint8_t *out, *cr;
  uint16_t ch[4];
  to_session();
  free((pull(&out), out));
  size_t n = connect_response(0, 1003, &cr);
  feed(cr, n);
  free(cr);
  free((pull(&out), out));
  feed(attach_confirm, sizeof attach_confirm);
  assert_int_equal(pull_joins(ch, 4), 2);
  feed_join_confirm(1003, 0);
  feed_join_confirm(1007, 0);
  pull_expect(0x64);
  assert_int_equal(facts.session.joins_sent, 2);
}

/* A refused join ends the phase as refused, with the channel and the T.125 result recorded. */
static void test_rd_probe_session_join_refused(void **state) {
  uint8_t *out;
  uint16_t ch[4];
  to_session();
  free((pull(&out), out));
  feed(spec_4_1_4, sizeof spec_4_1_4); /* no earlyCapabilityFlags: joins */
  assert_false(facts.session.joins_skipped);
  free((pull(&out), out));
  feed(attach_confirm, sizeof attach_confirm);
  assert_int_equal(pull_joins(ch, 4), 2);
  feed_join_confirm(1007, 0);
  feed_join_confirm(1003, 3); /* rt-no-such-channel */
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_REFUSED);
  assert_string_equal(facts.session.step, "mcs-wait-channel-join-confirm");
  assert_true(facts.session.join_refused);
  assert_int_equal(facts.session.join_refused_channel, 1003);
  assert_int_equal(facts.session.join_result, 3);
  assert_int_equal(facts.session.joins_confirmed, 1);
}

/* A confirm for a channel we did not ask for, or a second one for the same channel: malformed. */
static void test_rd_probe_session_join_unexpected(void **state) {
  uint8_t *out;
  uint16_t ch[4];
  for (int k = 0; k < 2; k++) {
    to_session();
    free((pull(&out), out));
    feed(spec_4_1_4, sizeof spec_4_1_4);
    free((pull(&out), out));
    feed(attach_confirm, sizeof attach_confirm);
    assert_int_equal(pull_joins(ch, 4), 2);
    if (k == 0) {
      feed_join_confirm(1005, 0);
    } else {
      feed_join_confirm(1003, 0);
      feed_join_confirm(1003, 0);
    }
    assert_true(rd_probe_done(&probe));
    assert_int_equal(facts.session.outcome, RD_SESS_MALFORMED);
    rd_probe_cleanup(&probe);
  }
}

/* ---- Standard RDP Security, against a server made of auth/rdpsec's primitives ----
 * The server's key is the Terminal Services signing key of [MS-RDPBCGR] 5.3.3.1.1, whose private
 * exponent the specification publishes: the test server can then sign its own certificate and
 * decrypt the client random the probe sends. Its Connect Response is 4.1.4's (128-bit, client
 * compatible, the server random 10 11 77 20 …) with that key in the certificate. */

static const uint8_t cc_rdp[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
                                 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00}; /* PROTOCOL_RDP */

static rd_rdpsec_lib *lib;
static rd_rdpsec_session *server;

/* 4.1.4's Connect Response with the certificate (its last 184 bytes) carrying the TS key, signed
 * with it (5.3.3.1.2); bad_signature flips one signature byte. */
static void rdpsec_connect_response(uint8_t *cr, bool bad_signature) {
  uint8_t *cert = cr + sizeof spec_4_1_4 - 184, hash[16], plain[64];
  unsigned int hl = 0;
  memcpy(cr, spec_4_1_4, sizeof spec_4_1_4);
  memcpy(cert + 32, tssk_public, 4);   /* pubExp */
  memcpy(cert + 36, tssk_modulus, 64); /* modulus, then its 8 zero bytes */
  assert_int_equal(EVP_Digest(cert, 108, hash, &hl, EVP_md5(), NULL), 1);
  memcpy(plain, hash, 16);
  plain[16] = 0x00;
  memset(plain + 17, 0xff, 45);
  plain[62] = 0x01;
  plain[63] = 0x00;
  assert_int_equal(rd_rdpsec_rsa_raw(lib, plain, 64, tssk_modulus, 64, tssk_private, 64, cert + 112, 64), 0);
  if (bad_signature)
    cert[112 + 5] ^= 0x20;
}

/* One TPKT frame off the front of *p (what the probe sent), as an MCS Send Data Request's data. */
static rd_cur next_send_data(const uint8_t **p, size_t *left) {
  size_t need = 0;
  rd_cur c;
  rd_mcs_send_data sd;
  assert_int_equal(rd_tpkt_frame_need(*p, *left, 65535, &need), 0);
  rd_cur_init(&c, *p, need);
  assert_int_equal(rd_mcs_decode_send_data_request(&c, &sd), 0);
  *p += need;
  *left -= need;
  return sd.user_data;
}

/* A client probe requesting PROTOCOL_RDP through the joins: it holds the Security Exchange and the
 * Client Info. */
static void to_rdpsec_info(const uint8_t *connect_response, size_t n) {
  uint8_t *out;
  const char *why;
  memset(&facts, 0, sizeof facts);
  facts.req.kind = RD_PROBE_NEGO;
  facts.req.protocols = 0;
  facts.req.session = true;
  now = 1000;
  rd_probe_init(&probe, &facts, STEP);
  rd_probe_launch(&probe, now);
  rd_probe_connected(&probe, RD_CONN_OK, NULL, 100, 0, now += 100);
  free((pull(&out), out));
  feed(cc_rdp, sizeof cc_rdp);
  assert_int_equal(probe.state, RD_PS_MCS_SEND_CONNECT_INITIAL);
  free((pull(&out), out));
  feed(connect_response, n);
  if (rd_probe_done(&probe))
    return;
  free((pull(&out), out));
  feed(attach_confirm, sizeof attach_confirm);
  uint16_t ch[4];
  assert_int_equal(pull_joins(ch, 4), 2);
  feed(join_1003, sizeof join_1003); /* in the other order */
  feed(join_1007, sizeof join_1007);
  if (lib == NULL)
    assert_non_null(lib = rd_rdpsec_lib_new(&why));
}

/* The server's side of the exchange: the client random decrypted with the private key, its keys,
 * and the Client Info decrypted and verified. */
static void server_reads_exchange_and_info(void) {
  uint8_t *out, random[64], info[1024];
  size_t n = pull(&out), left = n, len = 0;
  const uint8_t *at = out;
  rd_cur ex = next_send_data(&at, &left), enc, ci;
  uint16_t flags;
  rd_sec_header h;
  assert_int_equal(rd_sec_decode_exchange(&ex, &flags, &enc), 0);
  assert_int_equal(flags, RD_SEC_EXCHANGE_PKT | RD_SEC_LICENSE_ENCRYPT_SC);
  assert_int_equal(rd_cur_len(&enc), 64);
  assert_int_equal(rd_rdpsec_rsa_raw(lib, rd_cur_data(&enc), 64, tssk_modulus, 64, tssk_private, 64, random, 64), 0);
  for (size_t i = 32; i < 64; i++)
    assert_int_equal(random[i], 0); /* a 32-byte number */
  rd_rdpsec_session_free(server);
  static const uint8_t server_random[32] = {0x10, 0x11, 0x77, 0x20, 0x30, 0x61, 0x0a, 0x12, 0xe4, 0x34, 0xa1,
                                            0x1e, 0xf2, 0xc3, 0x9f, 0x31, 0x7d, 0xa4, 0x5f, 0x01, 0x89, 0x34,
                                            0x96, 0xe0, 0xff, 0x11, 0x08, 0x69, 0x7f, 0x1a, 0xc3, 0xd2};
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_128BIT, false, random, server_random, &server), 0);
  ci = next_send_data(&at, &left);
  assert_int_equal(left, 0); /* the two in one flight, nothing else */
  assert_int_equal(rd_sec_decode_header(&ci, RD_SEC_HDR_NON_FIPS, &h), 0);
  assert_int_equal(h.flags, RD_SEC_INFO_PKT | RD_SEC_ENCRYPT);
  assert_int_equal(rd_rdpsec_decrypt(server, rd_cur_data(&ci), rd_cur_len(&ci), 0, false, h.mac, info, &len), 0);
  rd_info_packet parsed;
  rd_cur ic;
  rd_cur_init(&ic, info, len);
  assert_int_equal(rd_info_decode(&ic, &parsed), 0);
  assert_int_equal(parsed.flags, RD_INFO_FLAGS_PROBE);
  free(out);
  assert_int_equal(probe.state, RD_PS_LICENSE_WAIT);
}

/* payload from the server: a security header (flags, SEC_ENCRYPT with encrypt), then payload. */
static void feed_server(uint16_t flags, bool encrypt, const uint8_t *payload, size_t n, bool tamper) {
  uint8_t buf[512];
  rd_sec_header h = {.flags = flags};
  rd_bld b;
  uint8_t *pdu;
  size_t len;
  uint8_t pad = 0;
  memcpy(buf, payload, n);
  if (encrypt) {
    h.flags |= RD_SEC_ENCRYPT;
    assert_int_equal(rd_rdpsec_encrypt(server, payload, n, false, buf, sizeof buf, h.mac, &pad), 0);
  }
  if (tamper)
    buf[0] ^= 0x01;
  rd_bld_init(&b, 1024);
  assert_int_equal(rd_sec_encode_header(&h, RD_SEC_HDR_NON_FIPS, &b), 0);
  assert_true(rd_bld_add_bytes(&b, buf, n));
  assert_true(rd_bld_finish(&b, &pdu, &len));
  feed_data(pdu, len);
  free(pdu);
}

static void test_rd_probe_session_rdpsec_reaches_demand_active(void **state) {
  uint8_t cr[sizeof spec_4_1_4], *out;
  if (lib == NULL) {
    const char *why;
    assert_non_null(lib = rd_rdpsec_lib_new(&why));
  }
  rdpsec_connect_response(cr, false);
  to_rdpsec_info(cr, sizeof cr);
  const rd_rdpsec_facts *r = &facts.session.rdpsec;
  assert_true(r->used);
  assert_int_equal(r->cert, RD_RDPSEC_CERT_VERIFIED);
  assert_int_equal(r->cert_version, 1);
  assert_int_equal(r->key_bits, 512);
  assert_int_equal(r->key_exponent, 0xc0887b5b);
  server_reads_exchange_and_info();
  assert_true(r->exchange_sent);
  assert_int_equal(r->sent_encrypted, 1);
  /* Licensing encrypted (we announced SEC_LICENSE_ENCRYPT_SC), then an encrypted Demand Active. */
  feed_server(RD_SEC_LICENSE_PKT, true, license_valid + 4, sizeof license_valid - 4, false);
  assert_true(facts.session.license_valid_client);
  assert_true(r->license_encrypted);
  assert_int_equal(probe.state, RD_PS_CAPS_WAIT_DEMAND_ACTIVE);
  feed_server(0, true, set_error_info_7, sizeof set_error_info_7, false); /* then cleared by 0 */
  static const uint8_t set_error_info_0[] = {0x16, 0x00, 0x17, 0x00, 0xea, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00,
                                             0x01, 0x08, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  feed_server(0, true, set_error_info_0, sizeof set_error_info_0, false);
  assert_int_equal(facts.session.n_error_info, 2);
  assert_int_equal(facts.session.error_info[0], 7);
  feed_server(0, true, demand_active, sizeof demand_active, false);
  assert_true(facts.session.demand_active);
  assert_int_equal(facts.session.outcome, RD_SESS_ACTIVE);
  assert_int_equal(r->received_encrypted, 4);
  assert_int_equal(r->received_clear, 0);
  assert_false(r->mac_failed);
  size_t n = pull(&out);
  assert_int_equal(n, sizeof dpu); /* the clean disconnect is MCS, outside the security layer */
  free(out);
  assert_true(rd_probe_done(&probe));
  assert_null(probe.rdpsec); /* the keys went with the connection */
}

/* The server's errorInfo, encrypted, is read and named; a MAC that does not verify ends it. */
static void test_rd_probe_session_rdpsec_error_info_and_mac(void **state) {
  uint8_t cr[sizeof spec_4_1_4];
  rdpsec_connect_response(cr, false);
  to_rdpsec_info(cr, sizeof cr);
  server_reads_exchange_and_info();
  feed_server(0, true, set_error_info_7, sizeof set_error_info_7, false);
  assert_int_equal(facts.session.n_error_info, 1);
  assert_int_equal(facts.session.error_info[0], 7);
  feed(dpu, sizeof dpu);
  assert_int_equal(facts.session.outcome, RD_SESS_ERROR_INFO);
  rd_probe_cleanup(&probe);
  /* Licensing in clear, then a Demand Active whose ciphertext was altered on the way. */
  to_rdpsec_info(cr, sizeof cr);
  server_reads_exchange_and_info();
  feed_server(RD_SEC_LICENSE_PKT, false, license_valid + 4, sizeof license_valid - 4, false);
  assert_true(facts.session.license_valid_client);
  assert_false(facts.session.rdpsec.license_encrypted);
  assert_int_equal(facts.session.rdpsec.received_clear, 1);
  feed_server(0, true, demand_active, sizeof demand_active, true);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_MALFORMED);
  assert_true(facts.session.rdpsec.mac_failed);
  assert_string_equal(facts.session.rdpsec.mac_failed_step, "caps-wait-demand-active");
  assert_false(facts.session.demand_active);
}

/* A certificate whose signature does not verify is recorded (a client refuses it; rdpdoctor goes
 * on to see the rest); one that cannot be parsed ends the session phase there. */
static void test_rd_probe_session_rdpsec_bad_certificates(void **state) {
  uint8_t cr[sizeof spec_4_1_4];
  rdpsec_connect_response(cr, true);
  to_rdpsec_info(cr, sizeof cr);
  assert_int_equal(facts.session.rdpsec.cert, RD_RDPSEC_CERT_BAD_SIGNATURE);
  server_reads_exchange_and_info();
  rd_probe_cleanup(&probe);
  rdpsec_connect_response(cr, false);
  cr[sizeof cr - 184 + 16] = 'X'; /* "RSA1" no more */
  to_rdpsec_info(cr, sizeof cr);
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_MALFORMED);
  assert_int_equal(facts.session.rdpsec.cert, RD_RDPSEC_CERT_MALFORMED);
  assert_string_equal(facts.session.step, "mcs-wait-connect-response");
}

/* An enumeration connection (the check set enum_offer): RDP selected (or a legacy Confirm), one
 * Connect Initial offering only the chosen method, the Connect Response read, a clean Disconnect
 * Provider Ultimatum, done: no Erect Domain, no security exchange. */
static void enumerate(bool legacy, uint32_t offer) {
  static const uint8_t cc_rdp_flags[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
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
    feed(cc_rdp_flags, sizeof cc_rdp_flags);
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
  want_logon = false;
  return 0;
}

static int group_teardown(void **state) {
  rd_rdpsec_session_free(server);
  rd_rdpsec_lib_free(lib);
  return 0;
}

/* ---- --logon ------------------------------------------------------------------------------- */

static const rd_auth_input logon_in = {.user = "alice", .domain = "LAB", .password = "S3cret-pw!"};
static rd_credssp_auth logon_auth = {.in = &logon_in};

/* A Share Data PDU from the server (pduSource 1002, share 0x103ea) of type2 with payload. */
static void feed_share(uint8_t type2, const uint8_t *payload, size_t n) {
  rd_bld b;
  uint8_t *pdu;
  size_t len;
  rd_bld_init(&b, 1 << 16);
  assert_int_equal(rd_share_encode_data(0x103ea, 1002, RD_SHARE_STREAM_MED, type2, payload, n, &b), 0);
  assert_true(rd_bld_finish(&b, &pdu, &len));
  feed_data(pdu, len);
  free(pdu);
}

/* A --logon probe under TLS through the joins (both in one flight): it waits for the check's
 * decision on the credentials. */
static void to_logon_grant(void) {
  uint8_t *out;
  want_logon = true;
  to_session();
  free((pull(&out), out));
  feed(spec_4_1_4, sizeof spec_4_1_4);
  free((pull(&out), out));
  feed(attach_confirm, sizeof attach_confirm);
  uint16_t ch[4];
  assert_int_equal(pull_joins(ch, 4), 2);
  feed(join_1007, sizeof join_1007);
  feed(join_1003, sizeof join_1003);
}

/* TLS: at the end of the joins the probe waits for the check's credentials (wants_auth, nothing to
 * send); granted, it sends the auto-logon Client Info (INFO_AUTOLOGON, user, domain, password in
 * UTF-16LE), then licensing and Demand Active lead to Confirm Active with the finalization. */
static void to_logon_active(void) {
  uint8_t *out;
  to_logon_grant();
  assert_int_equal(probe.state, RD_PS_INFO_WAIT_GRANT);
  assert_true(rd_probe_wants_auth(&probe));
  assert_false(rd_probe_wants_send(&probe));
  rd_probe_grant_auth(&probe, &logon_auth, now);
  assert_true(rd_probe_wants_send(&probe));
  size_t n = pull(&out);
  static const uint8_t pw16[] = {'S', 0, '3', 0, 'c', 0, 'r', 0, 'e', 0, 't', 0, '-', 0};
  static const uint8_t user16[] = {'a', 0, 'l', 0, 'i', 0, 'c', 0, 'e', 0};
  assert_non_null(memmem(out, n, pw16, sizeof pw16));
  assert_non_null(memmem(out, n, user16, sizeof user16));
  /* After the TPKT, X.224, MCS Send Data Request (8 bytes with a 2-byte PER length) and the basic
   * security header (4): TS_INFO_PACKET's codePage (4), then flags with INFO_AUTOLOGON. */
  uint32_t flags = out[4 + 3 + 8 + 4 + 4] | (uint32_t)out[4 + 3 + 8 + 4 + 5] << 8;
  assert_true(flags & 0x00000008u /* INFO_AUTOLOGON */);
  free(out);
  assert_int_equal(facts.session.logon.credentials, RD_LOGON_CREDS_CLIENT_INFO);
  assert_string_equal(facts.session.logon.user, "alice");
  feed_data(license_valid, sizeof license_valid);
  feed_data(demand_active, sizeof demand_active);
  assert_int_equal(probe.state, RD_PS_CAPS_SEND_CONFIRM_ACTIVE);
  n = pull(&out);
  /* Five Send Data Requests: Confirm Active ("MSTSC"), Synchronize, two Controls, Font List. */
  size_t frames = 0;
  for (size_t at = 0; at + 4 <= n; frames++)
    at += (size_t)out[at + 2] << 8 | out[at + 3];
  assert_int_equal(frames, 5);
  assert_non_null(memmem(out, n, "MSTSC", 6));
  free(out);
  assert_true(facts.session.logon.confirm_active_sent);
  assert_int_equal(probe.state, RD_PS_FINAL_WAIT);
  /* The server's finalization (4.1.19-4.1.22): Synchronize, Cooperate, Granted Control, Font Map. */
  static const uint8_t sync[] = {0x01, 0x00, 0xef, 0x03};
  static const uint8_t coop[] = {0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t granted[] = {0x02, 0x00, 0xef, 0x03, 0xea, 0x03, 0x00, 0x00};
  static const uint8_t font_map[] = {0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00};
  feed_share(RD_SHARE_PDUTYPE2_SYNCHRONIZE, sync, sizeof sync);
  feed_share(RD_SHARE_PDUTYPE2_CONTROL, coop, sizeof coop);
  feed_share(RD_SHARE_PDUTYPE2_CONTROL, granted, sizeof granted);
  assert_int_equal(probe.state, RD_PS_FINAL_WAIT);
  feed_share(RD_SHARE_PDUTYPE2_FONTMAP, font_map, sizeof font_map);
  const rd_logon_facts *l = &facts.session.logon;
  assert_true(l->fin_synchronize && l->fin_cooperate && l->fin_granted && l->fin_font_map);
  assert_int_equal(probe.state, RD_PS_LOGON_WAIT);
  /* A fast-path update: the server draws. */
  static const uint8_t fastpath[] = {0x00, 0x05, 0x00, 0x00, 0x00};
  feed(fastpath, sizeof fastpath);
  assert_int_equal(l->n_updates, 1);
  assert_int_equal(facts.session.n_unknown, 0);
}

/* A logon report (LOGON_LONG), the Shutdown Request, Shutdown Request Denied (a user is logged on),
 * then our ultimatum. */
static void test_rd_probe_logon_reported_then_shutdown_denied(void **state) {
  uint8_t *out;
  to_logon_active();
  uint8_t ssi[4 + 18 + 558 + 2 + 2] = {0};
  ssi[0] = 1, ssi[4] = 1, ssi[6] = 18, ssi[10] = 5, ssi[14] = 2, ssi[18] = 2; /* session 5 */
  feed_share(RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO, ssi, sizeof ssi);
  const rd_logon_facts *l = &facts.session.logon;
  assert_int_equal(l->outcome, RD_LOGON_REPORTED);
  assert_int_equal(l->info_type, 1);
  assert_int_equal(l->session_id, 5);
  assert_int_equal(probe.state, RD_PS_SESSION_SEND_SHUTDOWN);
  size_t n = pull(&out);
  assert_int_equal(out[n - 4], RD_SHARE_PDUTYPE2_SHUTDOWN_REQUEST); /* a Share Data Header, no body */
  free(out);
  assert_true(l->shutdown_sent);
  assert_int_equal(probe.state, RD_PS_SESSION_WAIT_SHUTDOWN);
  feed_share(RD_SHARE_PDUTYPE2_SHUTDOWN_DENIED, NULL, 0);
  assert_int_equal(l->ended_by, RD_LOGON_END_SHUTDOWN_DENIED);
  pull_expect(0x21); /* Disconnect Provider Ultimatum */
  assert_true(rd_probe_done(&probe));
  assert_int_equal(facts.session.outcome, RD_SESS_ACTIVE);
}

/* Logon error info ends the wait; the server then lets the shutdown go (it closes). */
static void test_rd_probe_logon_error_then_close(void **state) {
  uint8_t *out;
  to_logon_active();
  uint8_t ext[4 + 2 + 4 + 4 + 8] = {3, 0, 0, 0, 18, 0, 2, 0, 0, 0, 8, 0, 0, 0};
  feed_share(RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO, ext, sizeof ext); /* LOGON_FAILED_BAD_PASSWORD, 0 */
  assert_int_equal(facts.session.logon.outcome, RD_LOGON_ERROR);
  assert_true(facts.session.logon_error_present);
  free((pull(&out), out));
  rd_probe_eof(&probe, false, now += 1000);
  assert_int_equal(facts.session.logon.ended_by, RD_LOGON_END_SHUTDOWN_ENDED);
  assert_true(rd_probe_done(&probe));
}

/* xrdp: nothing said before the wait ends (the check's deadline less a margin), no answer to the
 * Shutdown Request within a second, then our ultimatum. */
static void test_rd_probe_logon_not_reported(void **state) {
  uint8_t *out;
  to_logon_active();
  rd_us wait_began = now;
  rd_probe_expire(&probe, rd_probe_deadline(&probe) - 1); /* no logon_until set: one step */
  assert_int_equal(probe.state, RD_PS_LOGON_WAIT);
  now = rd_probe_deadline(&probe);
  rd_probe_expire(&probe, now);
  assert_int_equal(facts.session.logon.outcome, RD_LOGON_NOT_REPORTED);
  assert_true(facts.session.logon.wait_us >= now - wait_began);
  free((pull(&out), out));
  assert_int_equal(rd_probe_deadline(&probe), now + 1000000);
  now = rd_probe_deadline(&probe);
  rd_probe_expire(&probe, now);
  assert_int_equal(facts.session.logon.ended_by, RD_LOGON_END_SHUTDOWN_SILENT);
  pull_expect(0x21);
  assert_true(rd_probe_done(&probe));
}

/* The check refused the credentials (its one attempt went elsewhere): an empty Client Info, and
 * the probe stops at Demand Active as without --logon. */
static void test_rd_probe_logon_refused_grant(void **state) {
  uint8_t *out;
  to_logon_grant();
  rd_probe_grant_auth(&probe, NULL, now);
  size_t n = pull(&out);
  static const uint8_t user16[] = {'a', 0, 'l', 0, 'i', 0};
  assert_null(memmem(out, n, user16, sizeof user16));
  free(out);
  feed_data(license_valid, sizeof license_valid);
  feed_data(demand_active, sizeof demand_active);
  assert_int_equal(probe.state, RD_PS_SESSION_SEND_DISCONNECT);
  assert_int_equal(facts.session.logon.credentials, RD_LOGON_CREDS_NONE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_rd_probe_session_reaches_demand_active, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_license_x509_chain, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_server_says_why, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_close_without_reason, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_license_error, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_mcs_refused, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_silent, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_malformed, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_announces_skip_join, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_skip_join, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_joins_any_order, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_joins_each_channel_once, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_join_refused, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_join_unexpected, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_rdpsec_reaches_demand_active, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_rdpsec_error_info_and_mac, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_rdpsec_bad_certificates, teardown),
      cmocka_unit_test_teardown(test_rd_probe_logon_reported_then_shutdown_denied, teardown),
      cmocka_unit_test_teardown(test_rd_probe_logon_error_then_close, teardown),
      cmocka_unit_test_teardown(test_rd_probe_logon_not_reported, teardown),
      cmocka_unit_test_teardown(test_rd_probe_logon_refused_grant, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_enumeration, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_no_enumeration_without_offer, teardown),
      cmocka_unit_test_teardown(test_rd_probe_session_enumeration_refused, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, group_teardown);
}
