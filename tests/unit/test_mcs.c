/* T.125 MCS: golden frames from MS-RDPBCGR 4.1.3-4.1.11 and 4.2.3 (and a GNOME Remote Desktop
 * reply as transcribed by a public client's tests), each decoded field by field and re-encoded
 * byte for byte, plus each decoder's edge cases: one byte short, giant length, trailing byte,
 * exact fit, with the cursor unmoved on every failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/gcc.h"
#include "core/mcs.h"
#include "vectors_mcs.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* MS-RDPBCGR 4.1.5 Client MCS Erect Domain Request PDU. */
static const uint8_t spec_erect_domain[] = {
    0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, /* TPKT length 12, Data TPDU */
    0x04,                                     /* erectDomainRequest (1), padding */
    0x01, 0x00,                               /* subHeight: length 1, 0 */
    0x01, 0x00,                               /* subInterval: length 1, 0 */
};

/* MS-RDPBCGR 4.1.6 Client MCS Attach User Request PDU. */
static const uint8_t spec_attach_user_request[] = {
    0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, /* TPKT length 8, Data TPDU */
    0x28,                                     /* attachUserRequest (10), padding */
};

/* MS-RDPBCGR 4.1.7 Server MCS Attach User Confirm PDU. */
static const uint8_t spec_attach_user_confirm[] = {
    0x03, 0x00, 0x00, 0x0b, 0x02, 0xf0, 0x80, /* TPKT length 11, Data TPDU */
    0x2e,                                     /* attachUserConfirm (11), initiator present */
    0x00,                                     /* result rt-successful, padding */
    0x00, 0x06,                               /* initiator 1007 (6 + 1001) */
};

/* MS-RDPBCGR 4.1.8.2.1 Client Join Request PDU for Channel 1003 (I/O Channel). */
static const uint8_t spec_channel_join_request[] = {
    0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, /* TPKT length 12, Data TPDU */
    0x38,                                     /* channelJoinRequest (14), padding */
    0x00, 0x06,                               /* initiator 1007 */
    0x03, 0xeb,                               /* channelId 1003 */
};

/* MS-RDPBCGR 4.1.8 Server Join Confirm PDU for the user channel 1007. */
static const uint8_t spec_channel_join_confirm[] = {
    0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, /* TPKT length 15, Data TPDU */
    0x3e,                                     /* channelJoinConfirm (15), channelId present */
    0x00,                                     /* result rt-successful, padding */
    0x00, 0x06,                               /* initiator 1007 */
    0x03, 0xef,                               /* requested 1007 */
    0x03, 0xef,                               /* channelId 1007 */
};

/* MS-RDPBCGR 4.2.3 MCS Disconnect Provider Ultimatum PDU. */
static const uint8_t spec_dpu[] = {
    0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, /* TPKT length 9, Data TPDU */
    0x21, 0x80,                               /* disconnectProviderUltimatum (8), rn-user-requested */
};

/* MS-RDPBCGR 4.1.9 Client Security Exchange PDU: Send Data Request around 80 bytes. */
static const uint8_t spec_send_data_request[] = {
    0x03, 0x00, 0x00, 0x5e, 0x02, 0xf0, 0x80, /* TPKT length 94, Data TPDU */
    0x64,                                     /* sendDataRequest (25), padding */
    0x00, 0x06,                               /* initiator 1007 */
    0x03, 0xeb,                               /* channelId 1003 */
    0x70,                                     /* priority high, begin | end, padding */
    0x50,                                     /* userData length 80 */
    0x01, 0x02, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, /* SEC_EXCHANGE_PKT | SEC_LICENSE_ENCRYPT_SC, 72 */
    0x91, 0xac, 0x0c, 0x8f, 0x64, 0x8c, 0x39, 0xf4, 0xe7, 0xff, 0x0a, 0x3b, 0x79, 0x11, 0x5c, 0x13,
    0x51, 0x2a, 0xcb, 0x72, 0x8f, 0x9d, 0xb7, 0x42, 0x2e, 0xf7, 0x08, 0x4c, 0x8e, 0xae, 0x55, 0x99,
    0x62, 0xd2, 0x81, 0x81, 0xe4, 0x66, 0xc8, 0x05, 0xea, 0xd4, 0x73, 0x06, 0x3f, 0xc8, 0x5f, 0xaf,
    0x2a, 0xfd, 0xfc, 0xf1, 0x64, 0xb3, 0x3f, 0x0a, 0x15, 0x1d, 0xdb, 0x2c, 0x10, 0x9d, 0x30, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* encrypted client random, padding */
};

/* MS-RDPBCGR 4.1.11 Server License Error PDU - Valid Client: Send Data Indication, 28 bytes. */
static const uint8_t spec_send_data_indication[] = {
    0x03, 0x00, 0x00, 0x2a, 0x02, 0xf0, 0x80, /* TPKT length 42, Data TPDU */
    0x68,                                     /* sendDataIndication (26), padding */
    0x00, 0x01,                               /* initiator 1002 */
    0x03, 0xeb,                               /* channelId 1003 */
    0x70,                                     /* priority high, begin | end, padding */
    0x1c,                                     /* userData length 28 */
    0x88, 0x02, 0x02, 0x03, 0x8d, 0x43, 0x9a, 0xab, 0xd5, 0x2a, 0x31, 0x39, 0x62, 0x4d,
    0xc1, 0xec, 0x0d, 0x99, 0x88, 0xe6, 0xda, 0xab, 0x2c, 0x02, 0x72, 0x4d, 0x49, 0x90,
};

/* GNOME Remote Desktop's Connect Response (TLS, two static channels and a message channel), as a
 * public RDP client's test suite transcribes it. */
static const uint8_t gnome_connect_response[] = {
    0x03, 0x00, 0x00, 0x72, 0x02, 0xf0, 0x80, /* TPKT length 114, Data TPDU */
    0x7f, 0x66, 0x68,                         /* Connect-Response, length 104 */
    0x0a, 0x01, 0x00,                         /* result rt-successful */
    0x02, 0x01, 0x00,                         /* calledConnectId 0 */
    0x30, 0x1a, 0x02, 0x01, 0x22, 0x02, 0x01, 0x03, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02,
    0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x03, 0x00, 0xff, 0xf8, 0x02, 0x01, 0x02, /* params */
    0x04, 0x44,                               /* userData, 68 bytes */
    0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, /* Key object: T.124 OID */
    0x2a, 0x14, 0x76, 0x0a, 0x01, 0x01, 0x00, /* length 42, CCrsp, nodeID 0x79f3, tag 1, success */
    0x01, 0xc0, 0x00, 0x4d, 0x63, 0x44, 0x6e, /* one set, h221 key "McDn" */
    0x2e,                                     /* blocks length 46 */
    0x01, 0x0c, 0x10, 0x00,                   /* SC_CORE, length 16 */
    0x05, 0x00, 0x08, 0x00,                   /* version 0x00080005 (RDP 10.0) */
    0x03, 0x00, 0x00, 0x00,                   /* clientRequestedProtocols SSL | HYBRID */
    0x00, 0x00, 0x00, 0x00,                   /* earlyCapabilityFlags 0 */
    0x03, 0x0c, 0x0c, 0x00,                   /* SC_NET, length 12 */
    0xeb, 0x03, 0x02, 0x00,                   /* MCSChannelId 1003, channelCount 2 */
    0xec, 0x03, 0xed, 0x03,                   /* 1004, 1005 (even count: no pad) */
    0x02, 0x0c, 0x0c, 0x00,                   /* SC_SECURITY, length 12 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* method NONE, level NONE */
    0x04, 0x0c, 0x06, 0x00, 0xee, 0x03,       /* SC_MCS_MSGCHANNEL 1006 */
};

/* The answer of 3.3.5.3.3.1 to a bad GCC request: the result alone. */
static const uint8_t failure_connect_response[] = {
    0x03, 0x00, 0x00, 0x0d, 0x02, 0xf0, 0x80, /* TPKT length 13, Data TPDU */
    0x7f, 0x66, 0x03,                         /* Connect-Response, length 3 */
    0x0a, 0x01, 0x0e,                         /* result rt-unspecified-failure */
};

static void expect_built(rd_bld *b, int r, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t n;
  assert_int_equal(r, 0);
  assert_true(rd_bld_finish(b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

/* STYLE §9's four edge cases for a decoder of whole frames, by a wrapper that decodes c. */
typedef int (*frame_decoder)(rd_cur *c);

static void check_edges(frame_decoder dec, const uint8_t *frame, size_t n) {
  uint8_t buf[1024];
  rd_cur c;
  assert_true(n + 1 <= sizeof buf);
  /* exact fit, and the next frame's byte stays in the cursor */
  rd_cur_init(&c, frame, n);
  assert_int_equal(dec(&c), 0);
  assert_true(rd_cur_is_empty(&c));
  memcpy(buf, frame, n);
  buf[n] = 0x03;
  rd_cur_init(&c, buf, n + 1);
  assert_int_equal(dec(&c), 0);
  assert_cur_at(&c, buf + n, 1);
  /* one byte short */
  rd_cur_init(&c, frame, n - 1);
  assert_int_equal(dec(&c), RD_E_MALFORMED);
  assert_cur_at(&c, frame, n - 1);
  /* trailing byte inside the frame */
  memcpy(buf, frame, n);
  buf[n] = 0x00;
  buf[2] = (uint8_t)((n + 1) >> 8);
  buf[3] = (uint8_t)(n + 1);
  rd_cur_init(&c, buf, n + 1);
  assert_int_equal(dec(&c), RD_E_MALFORMED);
  assert_cur_at(&c, buf, n + 1);
  /* giant TPKT length */
  memcpy(buf, frame, n);
  buf[2] = 0xff;
  buf[3] = 0xff;
  rd_cur_init(&c, buf, n);
  assert_int_equal(dec(&c), RD_E_MALFORMED);
  assert_cur_at(&c, buf, n);
}

static int dec_connect_response(rd_cur *c) {
  rd_mcs_connect_response cr;
  return rd_mcs_decode_connect_response(c, &cr);
}
static int dec_erect_domain(rd_cur *c) {
  uint32_t h, i;
  return rd_mcs_decode_erect_domain(c, &h, &i);
}
static int dec_attach_user_request(rd_cur *c) { return rd_mcs_decode_attach_user_request(c); }
static int dec_attach_user_confirm(rd_cur *c) {
  rd_mcs_attach_user_confirm auc;
  return rd_mcs_decode_attach_user_confirm(c, &auc);
}
static int dec_channel_join_request(rd_cur *c) {
  uint16_t i, ch;
  return rd_mcs_decode_channel_join_request(c, &i, &ch);
}
static int dec_channel_join_confirm(rd_cur *c) {
  rd_mcs_channel_join_confirm cjc;
  return rd_mcs_decode_channel_join_confirm(c, &cjc);
}
static int dec_dpu(rd_cur *c) {
  uint8_t reason;
  return rd_mcs_decode_disconnect_provider_ultimatum(c, &reason);
}
static int dec_sdrq(rd_cur *c) {
  rd_mcs_send_data sd;
  return rd_mcs_decode_send_data_request(c, &sd);
}
static int dec_sdin(rd_cur *c) {
  rd_mcs_send_data sd;
  return rd_mcs_decode_send_data_indication(c, &sd);
}

static void expect_type(const uint8_t *frame, size_t n, uint8_t want) {
  rd_cur c;
  uint8_t type = 0xff;
  rd_cur_init(&c, frame, n);
  assert_int_equal(rd_mcs_peek_type(&c, &type), 0);
  assert_int_equal(type, want);
  assert_cur_at(&c, frame, n);
}

static void test_rd_mcs_peek_type_vectors(void **state) {
  expect_type(spec_4_1_3, sizeof spec_4_1_3, RD_MCS_CONNECT_INITIAL);
  expect_type(spec_4_1_4, sizeof spec_4_1_4, RD_MCS_CONNECT_RESPONSE);
  expect_type(spec_erect_domain, sizeof spec_erect_domain, RD_MCS_ERECT_DOMAIN_REQUEST);
  expect_type(spec_attach_user_request, sizeof spec_attach_user_request,
              RD_MCS_ATTACH_USER_REQUEST);
  expect_type(spec_attach_user_confirm, sizeof spec_attach_user_confirm,
              RD_MCS_ATTACH_USER_CONFIRM);
  expect_type(spec_channel_join_request, sizeof spec_channel_join_request,
              RD_MCS_CHANNEL_JOIN_REQUEST);
  expect_type(spec_channel_join_confirm, sizeof spec_channel_join_confirm,
              RD_MCS_CHANNEL_JOIN_CONFIRM);
  expect_type(spec_dpu, sizeof spec_dpu, RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM);
  expect_type(spec_send_data_request, sizeof spec_send_data_request, RD_MCS_SEND_DATA_REQUEST);
  expect_type(spec_send_data_indication, sizeof spec_send_data_indication,
              RD_MCS_SEND_DATA_INDICATION);
}

static void test_rd_mcs_peek_type_malformed(void **state) {
  static const uint8_t empty[] = {0x03, 0x00, 0x00, 0x07, 0x02, 0xf0, 0x80};
  static const uint8_t choice63[] = {0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0xfc};
  static const uint8_t app_lone[] = {0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0x7f};
  static const uint8_t app_other[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x7f, 0x64};
  static const uint8_t cc[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0};
  const uint8_t *bad[] = {empty, choice63, app_lone, app_other, cc};
  size_t lens[] = {sizeof empty, sizeof choice63, sizeof app_lone, sizeof app_other, sizeof cc};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur c;
    uint8_t type;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_int_equal(rd_mcs_peek_type(&c, &type), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

static void test_rd_mcs_encode_connect_initial_spec_4_1_3(void **state) {
  /* The GCC part comes from rd_gcc_encode_ccrq with 4.1.3's client data (test_gcc.c checks each
   * field); here the MCS wrapping around it. */
  rd_gcc_client_data cd;
  memset(&cd, 0, sizeof cd);
  cd.version = RD_GCC_VERSION_RDP5;
  cd.desktop_width = 1280;
  cd.desktop_height = 1024;
  cd.color_depth = RD_GCC_COLOR_8BPP;
  cd.sas_sequence = RD_GCC_SAS_DEL;
  cd.keyboard_layout = 0x409;
  cd.client_build = 3790;
  assert_int_equal(rd_gcc_set_client_name(&cd, "ELTONS-DEV2", 11), 0);
  cd.keyboard_type = 4;
  cd.keyboard_function_keys = 12;
  cd.post_beta2_color_depth = RD_GCC_COLOR_8BPP;
  cd.client_product_id = 1;
  cd.high_color_depth = 24;
  cd.supported_color_depths = 7;
  cd.early_capability_flags = RD_GCC_CS_SUPPORT_ERRINFO_PDU;
  static const char dig[] = "69712-783-0357974-42714";
  for (size_t i = 0; i < sizeof dig - 1; i++)
    cd.client_dig_product_id[2 * i] = (uint8_t)dig[i];
  cd.cluster_present = true;
  cd.cluster_flags = 0x0d;
  cd.encryption_methods = 0x1b;
  cd.channel_count = 3;
  memcpy(cd.channels[0].name, "rdpdr", 6);
  cd.channels[0].options = 0x80800000u;
  memcpy(cd.channels[1].name, "cliprdr", 8);
  cd.channels[1].options = 0xc0a00000u;
  memcpy(cd.channels[2].name, "rdpsnd", 7);
  cd.channels[2].options = 0xc0000000u;

  rd_bld g, b;
  uint8_t *gcc;
  size_t gcc_len;
  rd_bld_init(&g, 4096);
  assert_int_equal(rd_gcc_encode_ccrq(&cd, &g), 0);
  assert_true(rd_bld_finish(&g, &gcc, &gcc_len));
  assert_int_equal(gcc_len, sizeof spec_4_1_3 - SPEC_4_1_3_GCC_AT);

  rd_mcs_connect_initial ci;
  rd_mcs_connect_initial_init(&ci, gcc, gcc_len);
  rd_bld_init(&b, 4096);
  expect_built(&b, rd_mcs_encode_connect_initial(&ci, &b), spec_4_1_3, sizeof spec_4_1_3);
  free(gcc);
}

static void test_rd_mcs_encode_connect_initial_invalid(void **state) {
  rd_mcs_connect_initial ci;
  rd_bld b;
  rd_mcs_connect_initial_init(&ci, NULL, 5);
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_mcs_encode_connect_initial(&ci, &b), RD_E_INVALID);
  assert_int_equal(rd_bld_len(&b), 0);
  /* A builder too small for the frame. */
  rd_mcs_connect_initial_init(&ci, NULL, 0);
  assert_int_equal(rd_mcs_encode_connect_initial(&ci, &b), 0);
  rd_bld_cleanup(&b);
  rd_bld_init(&b, 20);
  assert_int_equal(rd_mcs_encode_connect_initial(&ci, &b), RD_E_NOMEM);
  rd_bld_cleanup(&b);
}

static void expect_params(const rd_mcs_domain_params *p, uint32_t users) {
  assert_int_equal(p->max_channel_ids, 34);
  assert_int_equal(p->max_user_ids, users);
  assert_int_equal(p->max_token_ids, 0);
  assert_int_equal(p->num_priorities, 1);
  assert_int_equal(p->min_throughput, 0);
  assert_int_equal(p->max_height, 1);
  assert_int_equal(p->max_mcs_pdu_size, 65528);
  assert_int_equal(p->protocol_version, 2);
}

static void test_rd_mcs_decode_connect_response_spec_4_1_4(void **state) {
  rd_cur c;
  rd_mcs_connect_response cr;
  rd_bld b;
  rd_cur_init(&c, spec_4_1_4, sizeof spec_4_1_4);
  assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(cr.result, RD_MCS_RESULT_SUCCESSFUL);
  assert_true(cr.connect_id_present);
  assert_int_equal(cr.called_connect_id, 0);
  assert_true(cr.params_present);
  expect_params(&cr.params, 3);
  assert_true(cr.user_data_present);
  assert_ptr_equal(rd_cur_data(&cr.user_data), spec_4_1_4 + SPEC_4_1_4_GCC_AT);
  assert_int_equal(rd_cur_len(&cr.user_data), sizeof spec_4_1_4 - SPEC_4_1_4_GCC_AT);
  /* Windows writes DER INTEGERs (02 03 00 ff f8), as the encoder does. */
  rd_bld_init(&b, 4096);
  expect_built(&b, rd_mcs_encode_connect_response(&cr, &b), spec_4_1_4, sizeof spec_4_1_4);
  check_edges(dec_connect_response, spec_4_1_4, sizeof spec_4_1_4);
}

static void test_rd_mcs_decode_connect_response_gnome(void **state) {
  rd_cur c;
  rd_mcs_connect_response cr;
  rd_bld b;
  rd_cur_init(&c, gnome_connect_response, sizeof gnome_connect_response);
  assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), 0);
  assert_int_equal(cr.result, 0);
  expect_params(&cr.params, 3);
  assert_int_equal(rd_cur_len(&cr.user_data), 68);
  rd_bld_init(&b, 4096);
  expect_built(&b, rd_mcs_encode_connect_response(&cr, &b), gnome_connect_response,
               sizeof gnome_connect_response);
  check_edges(dec_connect_response, gnome_connect_response, sizeof gnome_connect_response);
}

static void test_rd_mcs_decode_connect_response_result_only(void **state) {
  rd_cur c;
  rd_mcs_connect_response cr;
  rd_bld b;
  rd_cur_init(&c, failure_connect_response, sizeof failure_connect_response);
  assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), 0);
  assert_int_equal(cr.result, RD_MCS_RESULT_UNSPECIFIED_FAILURE);
  assert_string_equal(rd_mcs_result_name(cr.result), "rt-unspecified-failure");
  assert_false(cr.connect_id_present);
  assert_false(cr.params_present);
  assert_false(cr.user_data_present);
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_connect_response(&cr, &b), failure_connect_response,
               sizeof failure_connect_response);
  check_edges(dec_connect_response, failure_connect_response, sizeof failure_connect_response);
}

static void test_rd_mcs_decode_connect_response_malformed(void **state) {
  uint8_t buf[sizeof spec_4_1_4];
  static const size_t flips[] = {
      8,    /* 7f 66 -> 7f 67 */
      12,   /* ENUMERATED tag */
      23,   /* a domain parameter's INTEGER tag */
      0x2e, /* userData tag */
  };
  for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
    rd_cur c;
    rd_mcs_connect_response cr;
    memcpy(buf, spec_4_1_4, sizeof buf);
    buf[flips[i]] ^= 0x01;
    rd_cur_init(&c, buf, sizeof buf);
    assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), RD_E_MALFORMED);
    assert_cur_at(&c, buf, sizeof buf);
  }
  /* Giant inner lengths: the userData's, then the Connect-Response's. */
  {
    rd_cur c;
    rd_mcs_connect_response cr;
    memcpy(buf, spec_4_1_4, sizeof buf);
    buf[0x30] = 0xff;
    buf[0x31] = 0xff;
    rd_cur_init(&c, buf, sizeof buf);
    assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), RD_E_MALFORMED);
    assert_cur_at(&c, buf, sizeof buf);
  }
  static const uint8_t giant_app[] = {0x03, 0x00, 0x00, 0x10, 0x02, 0xf0, 0x80, 0x7f,
                                      0x66, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01};
  /* An INTEGER of 5 octets whose first is not 00, and an empty one. */
  static const uint8_t wide_int[] = {0x03, 0x00, 0x00, 0x14, 0x02, 0xf0, 0x80, 0x7f, 0x66, 0x0a,
                                     0x0a, 0x01, 0x00, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t empty_int[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x7f,
                                      0x66, 0x05, 0x0a, 0x01, 0x00, 0x02, 0x00};
  const uint8_t *bad[] = {giant_app, wide_int, empty_int};
  size_t lens[] = {sizeof giant_app, sizeof wide_int, sizeof empty_int};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur c;
    rd_mcs_connect_response cr;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_int_equal(rd_mcs_decode_connect_response(&c, &cr), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

static void test_rd_mcs_encode_erect_domain_spec_4_1_5(void **state) {
  rd_bld b;
  rd_cur c;
  uint32_t h = 1, i = 1;
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_erect_domain(0, 0, &b), spec_erect_domain,
               sizeof spec_erect_domain);
  rd_cur_init(&c, spec_erect_domain, sizeof spec_erect_domain);
  assert_int_equal(rd_mcs_decode_erect_domain(&c, &h, &i), 0);
  assert_int_equal(h, 0);
  assert_int_equal(i, 0);
  check_edges(dec_erect_domain, spec_erect_domain, sizeof spec_erect_domain);
  /* Larger values take more octets and decode back. */
  static const uint8_t wide[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x04,
                                 0x02, 0x01, 0x00, 0x03, 0x01, 0x00, 0x00};
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_erect_domain(256, 65536, &b), wide, sizeof wide);
  rd_cur_init(&c, wide, sizeof wide);
  assert_int_equal(rd_mcs_decode_erect_domain(&c, &h, &i), 0);
  assert_int_equal(h, 256);
  assert_int_equal(i, 65536);
}

static void test_rd_mcs_encode_attach_user_request_spec_4_1_6(void **state) {
  rd_bld b;
  rd_cur c;
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_attach_user_request(&b), spec_attach_user_request,
               sizeof spec_attach_user_request);
  rd_cur_init(&c, spec_attach_user_request, sizeof spec_attach_user_request);
  assert_int_equal(rd_mcs_decode_attach_user_request(&c), 0);
  check_edges(dec_attach_user_request, spec_attach_user_request,
              sizeof spec_attach_user_request);
}

static void test_rd_mcs_decode_attach_user_confirm_spec_4_1_7(void **state) {
  rd_cur c;
  rd_bld b;
  rd_mcs_attach_user_confirm auc;
  rd_cur_init(&c, spec_attach_user_confirm, sizeof spec_attach_user_confirm);
  assert_int_equal(rd_mcs_decode_attach_user_confirm(&c, &auc), 0);
  assert_int_equal(auc.result, RD_MCS_RESULT_SUCCESSFUL);
  assert_true(auc.initiator_present);
  assert_int_equal(auc.initiator, 1007);
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_attach_user_confirm(&auc, &b), spec_attach_user_confirm,
               sizeof spec_attach_user_confirm);
  check_edges(dec_attach_user_confirm, spec_attach_user_confirm,
              sizeof spec_attach_user_confirm);
}

static void test_rd_mcs_decode_attach_user_confirm_failure(void **state) {
  /* rt-too-many-users (13 = 1101): the result's top bit ends the first octet. */
  static const uint8_t too_many[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x2d, 0xa0};
  static const uint8_t padding[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x2d, 0xa1};
  rd_cur c;
  rd_bld b;
  rd_mcs_attach_user_confirm auc;
  rd_cur_init(&c, too_many, sizeof too_many);
  assert_int_equal(rd_mcs_decode_attach_user_confirm(&c, &auc), 0);
  assert_int_equal(auc.result, RD_MCS_RESULT_TOO_MANY_USERS);
  assert_false(auc.initiator_present);
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_attach_user_confirm(&auc, &b), too_many, sizeof too_many);
  rd_cur_init(&c, padding, sizeof padding);
  assert_int_equal(rd_mcs_decode_attach_user_confirm(&c, &auc), RD_E_MALFORMED);
  assert_cur_at(&c, padding, sizeof padding);
  rd_bld_init(&b, 64);
  auc.result = 16;
  assert_int_equal(rd_mcs_encode_attach_user_confirm(&auc, &b), RD_E_INVALID);
  rd_bld_cleanup(&b);
}

static void test_rd_mcs_encode_channel_join_request_spec_4_1_8(void **state) {
  rd_bld b;
  rd_cur c;
  uint16_t user, chan;
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_channel_join_request(1007, 1003, &b), spec_channel_join_request,
               sizeof spec_channel_join_request);
  rd_cur_init(&c, spec_channel_join_request, sizeof spec_channel_join_request);
  assert_int_equal(rd_mcs_decode_channel_join_request(&c, &user, &chan), 0);
  assert_int_equal(user, 1007);
  assert_int_equal(chan, 1003);
  check_edges(dec_channel_join_request, spec_channel_join_request,
              sizeof spec_channel_join_request);
  rd_bld_init(&b, 64);
  assert_int_equal(rd_mcs_encode_channel_join_request(1000, 1003, &b), RD_E_INVALID);
  assert_int_equal(rd_bld_len(&b), 0);
  rd_bld_cleanup(&b);
}

static void test_rd_mcs_decode_channel_join_confirm_spec_4_1_8(void **state) {
  rd_cur c;
  rd_bld b;
  rd_mcs_channel_join_confirm cjc;
  rd_cur_init(&c, spec_channel_join_confirm, sizeof spec_channel_join_confirm);
  assert_int_equal(rd_mcs_decode_channel_join_confirm(&c, &cjc), 0);
  assert_int_equal(cjc.result, RD_MCS_RESULT_SUCCESSFUL);
  assert_int_equal(cjc.initiator, 1007);
  assert_int_equal(cjc.requested, 1007);
  assert_true(cjc.channel_id_present);
  assert_int_equal(cjc.channel_id, 1007);
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_channel_join_confirm(&cjc, &b), spec_channel_join_confirm,
               sizeof spec_channel_join_confirm);
  check_edges(dec_channel_join_confirm, spec_channel_join_confirm,
              sizeof spec_channel_join_confirm);
}

static void test_rd_mcs_decode_channel_join_confirm_refused(void **state) {
  /* rt-no-such-channel (3) for 1004, no channelId. */
  static const uint8_t refused[] = {0x03, 0x00, 0x00, 0x0d, 0x02, 0xf0, 0x80,
                                    0x3c, 0x60, 0x00, 0x06, 0x03, 0xec};
  rd_cur c;
  rd_bld b;
  rd_mcs_channel_join_confirm cjc;
  rd_cur_init(&c, refused, sizeof refused);
  assert_int_equal(rd_mcs_decode_channel_join_confirm(&c, &cjc), 0);
  assert_int_equal(cjc.result, RD_MCS_RESULT_NO_SUCH_CHANNEL);
  assert_int_equal(cjc.requested, 1004);
  assert_false(cjc.channel_id_present);
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_channel_join_confirm(&cjc, &b), refused, sizeof refused);
}

static void test_rd_mcs_decode_disconnect_provider_ultimatum_spec_4_2_3(void **state) {
  rd_cur c;
  rd_bld b;
  uint8_t reason = 0;
  rd_cur_init(&c, spec_dpu, sizeof spec_dpu);
  assert_int_equal(rd_mcs_decode_disconnect_provider_ultimatum(&c, &reason), 0);
  assert_int_equal(reason, RD_MCS_REASON_USER_REQUESTED);
  assert_string_equal(rd_mcs_reason_name(reason), "rn-user-requested");
  rd_bld_init(&b, 64);
  expect_built(&b, rd_mcs_encode_disconnect_provider_ultimatum(reason, &b), spec_dpu,
               sizeof spec_dpu);
  check_edges(dec_dpu, spec_dpu, sizeof spec_dpu);
  /* rn-domain-disconnected: 20 00; reason 5 does not exist. */
  static const uint8_t domain_disc[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x20, 0x00};
  static const uint8_t reason5[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x22, 0x80};
  rd_cur_init(&c, domain_disc, sizeof domain_disc);
  assert_int_equal(rd_mcs_decode_disconnect_provider_ultimatum(&c, &reason), 0);
  assert_int_equal(reason, RD_MCS_REASON_DOMAIN_DISCONNECTED);
  rd_cur_init(&c, reason5, sizeof reason5);
  assert_int_equal(rd_mcs_decode_disconnect_provider_ultimatum(&c, &reason), RD_E_MALFORMED);
  assert_cur_at(&c, reason5, sizeof reason5);
  assert_null(rd_mcs_reason_name(5));
}

static void test_rd_mcs_encode_send_data_request_spec_4_1_9(void **state) {
  rd_cur c;
  rd_bld b;
  rd_mcs_send_data sd;
  rd_cur_init(&c, spec_send_data_request, sizeof spec_send_data_request);
  assert_int_equal(rd_mcs_decode_send_data_request(&c, &sd), 0);
  assert_int_equal(sd.initiator, 1007);
  assert_int_equal(sd.channel_id, 1003);
  assert_int_equal(sd.priority, RD_MCS_PRIORITY_HIGH);
  assert_int_equal(sd.segmentation, RD_MCS_SEG_BEGIN | RD_MCS_SEG_END);
  assert_ptr_equal(rd_cur_data(&sd.user_data), spec_send_data_request + 14);
  assert_int_equal(rd_cur_len(&sd.user_data), 80);
  rd_bld_init(&b, 256);
  expect_built(&b, rd_mcs_encode_send_data_request(&sd, &b), spec_send_data_request,
               sizeof spec_send_data_request);
  check_edges(dec_sdrq, spec_send_data_request, sizeof spec_send_data_request);
  /* A request is not an indication. */
  rd_cur_init(&c, spec_send_data_request, sizeof spec_send_data_request);
  assert_int_equal(rd_mcs_decode_send_data_indication(&c, &sd), RD_E_MALFORMED);
}

static void test_rd_mcs_decode_send_data_indication_spec_4_1_11(void **state) {
  rd_cur c;
  rd_bld b;
  rd_mcs_send_data sd;
  rd_cur_init(&c, spec_send_data_indication, sizeof spec_send_data_indication);
  assert_int_equal(rd_mcs_decode_send_data_indication(&c, &sd), 0);
  assert_int_equal(sd.initiator, 1002);
  assert_int_equal(sd.channel_id, 1003);
  assert_int_equal(sd.priority, RD_MCS_PRIORITY_HIGH);
  assert_int_equal(sd.segmentation, 3);
  assert_int_equal(rd_cur_len(&sd.user_data), 28);
  assert_int_equal(rd_cur_data(&sd.user_data)[0], 0x88);
  rd_bld_init(&b, 256);
  expect_built(&b, rd_mcs_encode_send_data_indication(&sd, &b), spec_send_data_indication,
               sizeof spec_send_data_indication);
  check_edges(dec_sdin, spec_send_data_indication, sizeof spec_send_data_indication);
}

static void test_rd_mcs_send_data_long_and_invalid(void **state) {
  /* 200 bytes take the two-octet length 80 c8; 16384 cannot be sent unfragmented. */
  static uint8_t data[16384];
  rd_mcs_send_data sd = {.initiator = 1007, .channel_id = 1003, .priority = 1,
                         .segmentation = 3};
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_cur c;
  rd_mcs_send_data back;
  rd_cur_init(&sd.user_data, data, 200);
  rd_bld_init(&b, 65535);
  assert_int_equal(rd_mcs_encode_send_data_request(&sd, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 7 + 6 + 2 + 200);
  assert_int_equal(out[13], 0x80);
  assert_int_equal(out[14], 0xc8);
  rd_cur_init(&c, out, n);
  assert_int_equal(rd_mcs_decode_send_data_request(&c, &back), 0);
  assert_int_equal(rd_cur_len(&back.user_data), 200);
  free(out);

  rd_bld_init(&b, 65535);
  rd_cur_init(&sd.user_data, data, sizeof data);
  assert_int_equal(rd_mcs_encode_send_data_request(&sd, &b), RD_E_INVALID);
  rd_cur_init(&sd.user_data, data, 1);
  sd.priority = 4;
  assert_int_equal(rd_mcs_encode_send_data_request(&sd, &b), RD_E_INVALID);
  sd.priority = 0;
  sd.initiator = 1000;
  assert_int_equal(rd_mcs_encode_send_data_indication(&sd, &b), RD_E_INVALID);
  assert_int_equal(rd_bld_len(&b), 0);
  rd_bld_cleanup(&b);

  /* Giant and fragmented user data lengths. */
  static const uint8_t giant[] = {0x03, 0x00, 0x00, 0x10, 0x02, 0xf0, 0x80, 0x68,
                                  0x00, 0x01, 0x03, 0xeb, 0x70, 0xbf, 0xff, 0x00};
  static const uint8_t fragmented[] = {0x03, 0x00, 0x00, 0x10, 0x02, 0xf0, 0x80, 0x68,
                                       0x00, 0x01, 0x03, 0xeb, 0x70, 0xc1, 0x00, 0x00};
  static const uint8_t padding[] = {0x03, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x80, 0x68,
                                    0x00, 0x01, 0x03, 0xeb, 0x71, 0x01, 0x00};
  const uint8_t *bad[] = {giant, fragmented, padding};
  for (size_t i = 0; i < 3; i++) {
    size_t len = bad[i][3];
    rd_cur_init(&c, bad[i], len);
    assert_int_equal(rd_mcs_decode_send_data_indication(&c, &back), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], len);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_mcs_peek_type_vectors),
      cmocka_unit_test(test_rd_mcs_peek_type_malformed),
      cmocka_unit_test(test_rd_mcs_encode_connect_initial_spec_4_1_3),
      cmocka_unit_test(test_rd_mcs_encode_connect_initial_invalid),
      cmocka_unit_test(test_rd_mcs_decode_connect_response_spec_4_1_4),
      cmocka_unit_test(test_rd_mcs_decode_connect_response_gnome),
      cmocka_unit_test(test_rd_mcs_decode_connect_response_result_only),
      cmocka_unit_test(test_rd_mcs_decode_connect_response_malformed),
      cmocka_unit_test(test_rd_mcs_encode_erect_domain_spec_4_1_5),
      cmocka_unit_test(test_rd_mcs_encode_attach_user_request_spec_4_1_6),
      cmocka_unit_test(test_rd_mcs_decode_attach_user_confirm_spec_4_1_7),
      cmocka_unit_test(test_rd_mcs_decode_attach_user_confirm_failure),
      cmocka_unit_test(test_rd_mcs_encode_channel_join_request_spec_4_1_8),
      cmocka_unit_test(test_rd_mcs_decode_channel_join_confirm_spec_4_1_8),
      cmocka_unit_test(test_rd_mcs_decode_channel_join_confirm_refused),
      cmocka_unit_test(test_rd_mcs_decode_disconnect_provider_ultimatum_spec_4_2_3),
      cmocka_unit_test(test_rd_mcs_encode_send_data_request_spec_4_1_9),
      cmocka_unit_test(test_rd_mcs_decode_send_data_indication_spec_4_1_11),
      cmocka_unit_test(test_rd_mcs_send_data_long_and_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
