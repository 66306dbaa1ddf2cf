/* T.124 GCC and the RDP settings data blocks: the Conference Create Request of MS-RDPBCGR 4.1.3
 * encoded byte for byte, the Conference Create Responses of 4.1.4 and of GNOME Remote Desktop
 * decoded field by field, the block walk's rules, and the decoder edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/gcc.h"
#include "core/x224.h"
#include "vectors_mcs.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

static const uint8_t *ccrsp = spec_4_1_4 + SPEC_4_1_4_GCC_AT;
#define CCRSP_LEN (sizeof spec_4_1_4 - SPEC_4_1_4_GCC_AT)

/* 4.1.3's client data, field by field. */
static void spec_client_data(rd_gcc_client_data *cd) {
  static const char dig[] = "69712-783-0357974-42714";
  memset(cd, 0, sizeof *cd);
  cd->version = RD_GCC_VERSION_RDP5;
  cd->desktop_width = 1280;
  cd->desktop_height = 1024;
  cd->color_depth = RD_GCC_COLOR_8BPP;
  cd->sas_sequence = RD_GCC_SAS_DEL;
  cd->keyboard_layout = 0x409;
  cd->client_build = 3790;
  assert_int_equal(rd_gcc_set_client_name(cd, "ELTONS-DEV2", 11), 0);
  cd->keyboard_type = 4;
  cd->keyboard_subtype = 0;
  cd->keyboard_function_keys = 12;
  cd->post_beta2_color_depth = RD_GCC_COLOR_8BPP;
  cd->client_product_id = 1;
  cd->serial_number = 0;
  cd->high_color_depth = 24;
  cd->supported_color_depths = RD_GCC_24BPP_SUPPORT | RD_GCC_16BPP_SUPPORT | RD_GCC_15BPP_SUPPORT;
  cd->early_capability_flags = RD_GCC_CS_SUPPORT_ERRINFO_PDU;
  for (size_t i = 0; i < sizeof dig - 1; i++)
    cd->client_dig_product_id[2 * i] = (uint8_t)dig[i];
  cd->connection_type = 0;
  cd->server_selected_protocol = RD_X224_PROTOCOL_RDP;
  cd->cluster_present = true;
  cd->cluster_flags = RD_GCC_REDIRECTION_SUPPORTED | RD_GCC_REDIRECTION_VERSION4; /* 0x0d */
  cd->redirected_session_id = 0;
  cd->encryption_methods = RD_GCC_ENCRYPTION_METHOD_40BIT | RD_GCC_ENCRYPTION_METHOD_128BIT |
                           RD_GCC_ENCRYPTION_METHOD_56BIT | RD_GCC_ENCRYPTION_METHOD_FIPS;
  cd->ext_encryption_methods = 0;
  cd->channel_count = 3;
  memcpy(cd->channels[0].name, "rdpdr", 6);
  cd->channels[0].options = 0x80800000u;
  memcpy(cd->channels[1].name, "cliprdr", 8);
  cd->channels[1].options = 0xc0a00000u;
  memcpy(cd->channels[2].name, "rdpsnd", 7);
  cd->channels[2].options = 0xc0000000u;
}

static void encode(const rd_gcc_client_data *cd, uint8_t **out, size_t *n) {
  rd_bld b;
  rd_bld_init(&b, 8192);
  assert_int_equal(rd_gcc_encode_ccrq(cd, &b), 0);
  assert_true(rd_bld_finish(&b, out, n));
}

static void test_rd_gcc_encode_ccrq_spec_4_1_3(void **state) {
  rd_gcc_client_data cd;
  uint8_t *out;
  size_t n;
  spec_client_data(&cd);
  encode(&cd, &out, &n);
  assert_int_equal(n, sizeof spec_4_1_3 - SPEC_4_1_3_GCC_AT);
  assert_memory_equal(out, spec_4_1_3 + SPEC_4_1_3_GCC_AT, n);
  free(out);
}

static void test_rd_gcc_encode_ccrq_zero_channels_no_cluster(void **state) {
  rd_gcc_client_data cd;
  uint8_t *out;
  size_t n;
  spec_client_data(&cd);
  cd.channel_count = 0;
  cd.cluster_present = false;
  encode(&cd, &out, &n);
  /* 7 (key) + 2 (length) + 12 (head, "Duca") + 2 (length) + 216 + 12 + 8 */
  assert_int_equal(n, 7 + 2 + 12 + 2 + 216 + 12 + 8);
  assert_int_equal(out[7], 0x80);
  assert_int_equal(out[8], 12 + 2 + 236); /* ConnectGCCPDU length */
  assert_int_equal(out[21], 0x80);
  assert_int_equal(out[22], 236); /* blocks length */
  static const uint8_t net[] = {0x03, 0xc0, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  assert_memory_equal(out + n - 8, net, 8);
  static const uint8_t sec[] = {0x02, 0xc0, 0x0c, 0x00};
  assert_memory_equal(out + 23 + 216, sec, 4); /* CS_SECURITY right after CS_CORE */
  free(out);
}

static void test_rd_gcc_encode_ccrq_invalid(void **state) {
  rd_gcc_client_data cd;
  rd_bld b;
  spec_client_data(&cd);
  rd_bld_init(&b, 8192);
  cd.channel_count = RD_GCC_MAX_CHANNELS + 1;
  assert_int_equal(rd_gcc_encode_ccrq(&cd, &b), RD_E_INVALID);
  cd.channel_count = 1;
  memcpy(cd.channels[0].name, "12345678", 8);
  assert_int_equal(rd_gcc_encode_ccrq(&cd, &b), RD_E_INVALID);
  assert_int_equal(rd_bld_len(&b), 0);
  rd_bld_cleanup(&b);
  /* 31 channels is the maximum and fits. */
  spec_client_data(&cd);
  cd.channel_count = RD_GCC_MAX_CHANNELS;
  uint8_t *out;
  size_t n;
  encode(&cd, &out, &n);
  assert_int_equal(n, 7 + 2 + 12 + 2 + 216 + 12 + 12 + 8 + 12 * 31);
  free(out);
  /* A builder too small. */
  rd_bld_init(&b, 100);
  assert_int_equal(rd_gcc_encode_ccrq(&cd, &b), RD_E_NOMEM);
  rd_bld_cleanup(&b);
}

static void test_rd_gcc_set_client_name(void **state) {
  rd_gcc_client_data cd;
  memset(&cd, 0xaa, sizeof cd);
  assert_int_equal(rd_gcc_set_client_name(&cd, "ABCDEFGHIJKLMNO", 15), 0); /* 15: the most */
  assert_int_equal(cd.client_name[28], 'O');
  assert_int_equal(cd.client_name[30], 0);
  assert_int_equal(cd.client_name[31], 0);
  assert_int_equal(rd_gcc_set_client_name(&cd, "ABCDEFGHIJKLMNOP", 16), RD_E_INVALID);
  assert_int_equal(cd.client_name[28], 'O'); /* unchanged */
  assert_int_equal(rd_gcc_set_client_name(&cd, "\xc3", 1), RD_E_MALFORMED);
  assert_int_equal(rd_gcc_set_client_name(&cd, "h\xc3\xa9", 3), 0);
  assert_int_equal(cd.client_name[2], 0xe9);
  assert_int_equal(cd.client_name[4], 0);
}

static void test_rd_gcc_client_data_init(void **state) {
  rd_gcc_client_data cd;
  uint8_t *out;
  size_t n;
  rd_gcc_client_data_init(&cd, RD_X224_PROTOCOL_HYBRID);
  assert_true(cd.version >= RD_GCC_VERSION_RDP5);
  assert_true(cd.early_capability_flags & RD_GCC_CS_SUPPORT_ERRINFO_PDU);
  assert_false(cd.early_capability_flags & RD_GCC_CS_SUPPORT_HEARTBEAT_PDU);
  assert_int_equal(cd.server_selected_protocol, RD_X224_PROTOCOL_HYBRID);
  assert_int_equal(cd.encryption_methods, 0);
  assert_int_equal(cd.channel_count, 0);
  assert_int_equal(cd.client_name[0], 'r');
  encode(&cd, &out, &n);
  free(out);
  rd_gcc_client_data_init(&cd, RD_X224_PROTOCOL_RDP);
  assert_int_equal(cd.encryption_methods, 0x1b);
}

static void test_rd_gcc_decode_ccrsp_spec_4_1_4(void **state) {
  rd_cur c;
  rd_gcc_server_data sd;
  rd_cur_init(&c, ccrsp, CCRSP_LEN);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(sd.connect_pdu_len, 42);
  assert_int_equal(sd.node_id, 0x79f3);
  assert_int_equal(sd.tag, 1);
  assert_int_equal(sd.result, 0);
  assert_true(sd.user_data_present);
  assert_int_equal(sd.block_count, 3);
  assert_true(sd.core_present);
  assert_int_equal(sd.core.version, 0x00080004);
  assert_true(sd.core.client_requested_protocols_present);
  assert_int_equal(sd.core.client_requested_protocols, RD_X224_PROTOCOL_RDP);
  assert_false(sd.core.early_capability_flags_present);
  assert_true(sd.net_present);
  assert_int_equal(sd.net.io_channel_id, 1003);
  assert_int_equal(sd.net.channel_count, 3);
  assert_int_equal(sd.net.channel_ids[0], 1004);
  assert_int_equal(sd.net.channel_ids[1], 1005);
  assert_int_equal(sd.net.channel_ids[2], 1006);
  assert_true(sd.net.padding_present);
  assert_true(sd.security_present);
  assert_int_equal(sd.security.encryption_method, RD_GCC_ENCRYPTION_METHOD_128BIT);
  assert_int_equal(sd.security.encryption_level, RD_GCC_ENCRYPTION_LEVEL_CLIENT_COMPATIBLE);
  assert_true(sd.security.random_present);
  assert_int_equal(sd.security.server_random_len, 32);
  assert_int_equal(sd.security.server_cert_len, 184);
  static const uint8_t random_head[] = {0x10, 0x11, 0x77, 0x20, 0x30, 0x61, 0x0a, 0x12};
  assert_memory_equal(sd.security.server_random, random_head, sizeof random_head);
  assert_int_equal(sd.security.server_random[31], 0xd2);
  assert_int_equal(rd_cur_len(&sd.security.server_cert), 184);
  /* dwVersion CERT_CHAIN_VERSION_1, then dwSigAlgId 1 (reference §5.2) */
  static const uint8_t cert_head[] = {0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  assert_memory_equal(rd_cur_data(&sd.security.server_cert), cert_head, sizeof cert_head);
  assert_ptr_equal(rd_cur_data(&sd.security.server_cert) + 184, spec_4_1_4 + sizeof spec_4_1_4);
  assert_false(sd.msgchannel_present);
  assert_false(sd.multitransport_present);
  assert_int_equal(sd.unknown_count, 0);
}

/* The GNOME Remote Desktop response's ConnectData (test_mcs.c has the whole frame). */
static const uint8_t gnome_ccrsp[] = {
    0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, /* Key object: T.124 OID */
    0x2a,                                     /* ConnectGCCPDU length 42 (ignored) */
    0x14, 0x76, 0x0a, 0x01, 0x01, 0x00,       /* CCrsp with userData, nodeID 0x79f3, tag 1, success */
    0x01, 0xc0, 0x00, 0x4d, 0x63, 0x44, 0x6e, /* one set, h221 key "McDn" */
    0x2e,                                     /* blocks length 46 */
    0x01, 0x0c, 0x10, 0x00, 0x05, 0x00, 0x08, 0x00, /* SC_CORE 16, version 0x00080005 */
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* SSL | HYBRID, earlyCapabilityFlags 0 */
    0x03, 0x0c, 0x0c, 0x00, 0xeb, 0x03, 0x02, 0x00, /* SC_NET 12, I/O 1003, two channels */
    0xec, 0x03, 0xed, 0x03,                   /* 1004, 1005 */
    0x02, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* SC_SECURITY none */
    0x04, 0x0c, 0x06, 0x00, 0xee, 0x03,       /* SC_MCS_MSGCHANNEL 1006 */
};

static void test_rd_gcc_decode_ccrsp_gnome(void **state) {
  rd_cur c;
  rd_gcc_server_data sd;
  rd_cur_init(&c, gnome_ccrsp, sizeof gnome_ccrsp);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), 0);
  assert_int_equal(sd.block_count, 4);
  assert_int_equal(sd.core.version, 0x00080005);
  assert_int_equal(sd.core.client_requested_protocols,
                   RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID);
  assert_true(sd.core.early_capability_flags_present);
  assert_int_equal(sd.core.early_capability_flags, 0);
  assert_int_equal(sd.net.channel_count, 2);
  assert_int_equal(sd.net.channel_ids[1], 1005);
  assert_false(sd.net.padding_present);
  assert_int_equal(sd.security.encryption_method, 0);
  assert_int_equal(sd.security.encryption_level, 0);
  assert_false(sd.security.random_present);
  assert_true(sd.msgchannel_present);
  assert_int_equal(sd.msgchannel_id, 1006);
}

/* STYLE §9 edges for the Conference Create Response decoder. */
static void test_rd_gcc_decode_ccrsp_edges(void **state) {
  uint8_t buf[512];
  rd_cur c;
  rd_gcc_server_data sd;
  /* exact fit */
  rd_cur_init(&c, ccrsp, CCRSP_LEN);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), 0);
  assert_true(rd_cur_is_empty(&c));
  /* one byte short: the blocks' length overruns */
  rd_cur_init(&c, ccrsp, CCRSP_LEN - 1);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), RD_E_MALFORMED);
  assert_cur_at(&c, ccrsp, CCRSP_LEN - 1);
  /* trailing byte after the user data set */
  memcpy(buf, ccrsp, CCRSP_LEN);
  buf[CCRSP_LEN] = 0;
  rd_cur_init(&c, buf, CCRSP_LEN + 1);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), RD_E_MALFORMED);
  assert_cur_at(&c, buf, CCRSP_LEN + 1);
  /* giant blocks length (bf ff: 16383) */
  memcpy(buf, ccrsp, CCRSP_LEN);
  buf[21] = 0xbf;
  buf[22] = 0xff;
  rd_cur_init(&c, buf, CCRSP_LEN);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), RD_E_MALFORMED);
  assert_cur_at(&c, buf, CCRSP_LEN);
}

static void test_rd_gcc_decode_ccrsp_malformed(void **state) {
  static const struct {
    size_t at;
    uint8_t value;
  } edits[] = {
      {0, 0x01},  /* Key CHOICE h221NonStandard */
      {3, 0x15},  /* another OID */
      {8, 0x18},  /* ConnectGCCPDU CHOICE 2 */
      {13, 0x80}, /* result: extension bit */
      {13, 0x50}, /* result 5, not in the enumeration */
      {13, 0x01}, /* result padding */
      {14, 0x02}, /* two user data sets */
      {15, 0x80}, /* Key CHOICE object */
      {17, 'X'},  /* key "XcDn" */
      {25, 0x0b}, /* SC_CORE length 11: half a clientRequestedProtocols */
      {37, 0x04}, /* SC_NET length 4: no MCSChannelId */
      {0x3f, 0x1f}, /* serverRandomLen 31 */
      {0x43, 0xb9}, /* serverCertLen 185: overruns the block */
  };
  uint8_t buf[512];
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    rd_cur c;
    rd_gcc_server_data sd;
    memcpy(buf, ccrsp, CCRSP_LEN);
    buf[edits[i].at] = edits[i].value;
    rd_cur_init(&c, buf, CCRSP_LEN);
    assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), RD_E_MALFORMED);
    assert_cur_at(&c, buf, CCRSP_LEN);
  }
}

static void test_rd_gcc_decode_ccrsp_without_user_data(void **state) {
  /* conferenceCreateResponse without userData, result userRejected (1). */
  static const uint8_t rejected[] = {0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01,
                                     0x06, 0x10, 0x76, 0x0a, 0x01, 0x01, 0x10};
  rd_cur c;
  rd_gcc_server_data sd;
  rd_cur_init(&c, rejected, sizeof rejected);
  assert_int_equal(rd_gcc_decode_ccrsp(&c, &sd), 0);
  assert_int_equal(sd.result, 1);
  assert_false(sd.user_data_present);
  assert_int_equal(sd.block_count, 0);
  assert_false(sd.core_present);
}

static void test_rd_gcc_get_block(void **state) {
  static const uint8_t blocks[] = {0x08, 0x0c, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0xff};
  rd_cur c, body;
  uint16_t type;
  rd_cur_init(&c, blocks, sizeof blocks);
  assert_true(rd_gcc_get_block(&c, &type, &body));
  assert_int_equal(type, RD_GCC_SC_MULTITRANSPORT);
  assert_cur_at(&body, blocks + 4, 4);
  assert_cur_at(&c, blocks + 8, 1);
  /* too short for a header; a length below 4; a length past the end */
  static const uint8_t len3[] = {0x01, 0x0c, 0x03, 0x00};
  static const uint8_t over[] = {0x01, 0x0c, 0x09, 0x00, 0, 0, 0, 0};
  rd_cur_init(&c, blocks, 3);
  assert_false(rd_gcc_get_block(&c, &type, &body));
  assert_cur_at(&c, blocks, 3);
  rd_cur_init(&c, len3, sizeof len3);
  assert_false(rd_gcc_get_block(&c, &type, &body));
  assert_cur_at(&c, len3, sizeof len3);
  rd_cur_init(&c, over, sizeof over);
  assert_false(rd_gcc_get_block(&c, &type, &body));
  assert_cur_at(&c, over, sizeof over);
}

static void test_rd_gcc_decode_server_blocks_walk(void **state) {
  /* An unknown type between known ones, SC_MULTITRANSPORT, an SC_CORE with a field from a later
   * version, an empty unknown block. */
  static const uint8_t blocks[] = {
      0x01, 0x0c, 0x14, 0x00, 0x0c, 0x00, 0x08, 0x00, /* SC_CORE 20, RDP 10.7 */
      0x0b, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, /* protocols 11, flags 0x0f */
      0xaa, 0xbb, 0xcc, 0xdd,                         /* a later field, skipped */
      0x99, 0x0c, 0x06, 0x00, 0x01, 0x02,             /* unknown 0x0c99 */
      0x08, 0x0c, 0x08, 0x00, 0x01, 0x05, 0x00, 0x00, /* SC_MULTITRANSPORT 0x501 */
      0x98, 0x0c, 0x04, 0x00,                         /* unknown 0x0c98, empty */
  };
  rd_cur c;
  rd_gcc_server_data sd;
  rd_cur_init(&c, blocks, sizeof blocks);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(sd.block_count, 4);
  assert_int_equal(sd.core.version, 0x0008000c);
  assert_int_equal(sd.core.client_requested_protocols, 11);
  assert_int_equal(sd.core.early_capability_flags, 0x0f);
  assert_true(sd.multitransport_present);
  assert_int_equal(sd.multitransport_flags, 0x501);
  assert_int_equal(sd.unknown_count, 2);
  assert_int_equal(sd.unknown_types[0], 0x0c99);
  assert_int_equal(sd.unknown_types[1], 0x0c98);
  assert_false(sd.net_present);
  assert_int_equal(sd.node_id, 0);

  /* SC_CORE twice */
  static const uint8_t twice[] = {0x01, 0x0c, 0x08, 0x00, 0x04, 0x00, 0x08, 0x00,
                                  0x01, 0x0c, 0x08, 0x00, 0x04, 0x00, 0x08, 0x00};
  rd_cur_init(&c, twice, sizeof twice);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), RD_E_MALFORMED);
  assert_cur_at(&c, twice, sizeof twice);
  /* SC_NET announcing 32 channels */
  static const uint8_t many[] = {0x03, 0x0c, 0x08, 0x00, 0xeb, 0x03, 0x20, 0x00};
  rd_cur_init(&c, many, sizeof many);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), RD_E_MALFORMED);
  /* SC_NET with an odd count and no pad: recorded, not refused */
  static const uint8_t nopad[] = {0x03, 0x0c, 0x0a, 0x00, 0xeb, 0x03, 0x01, 0x00, 0xec, 0x03};
  rd_cur_init(&c, nopad, sizeof nopad);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), 0);
  assert_int_equal(sd.net.channel_ids[0], 1004);
  assert_false(sd.net.padding_present);
  /* a truncated SC_MCS_MSGCHANNEL */
  static const uint8_t msg1[] = {0x04, 0x0c, 0x05, 0x00, 0xee};
  rd_cur_init(&c, msg1, sizeof msg1);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), RD_E_MALFORMED);
  /* nine unknown blocks: eight recorded, nine counted */
  uint8_t nine[36];
  for (int i = 0; i < 9; i++) {
    nine[4 * i] = (uint8_t)(0x10 + i);
    nine[4 * i + 1] = 0x0c;
    nine[4 * i + 2] = 4;
    nine[4 * i + 3] = 0;
  }
  rd_cur_init(&c, nine, sizeof nine);
  assert_int_equal(rd_gcc_decode_server_blocks(&c, &sd), 0);
  assert_int_equal(sd.unknown_count, 9);
  assert_int_equal(sd.unknown_types[7], 0x0c17);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_gcc_encode_ccrq_spec_4_1_3),
      cmocka_unit_test(test_rd_gcc_encode_ccrq_zero_channels_no_cluster),
      cmocka_unit_test(test_rd_gcc_encode_ccrq_invalid),
      cmocka_unit_test(test_rd_gcc_set_client_name),
      cmocka_unit_test(test_rd_gcc_client_data_init),
      cmocka_unit_test(test_rd_gcc_decode_ccrsp_spec_4_1_4),
      cmocka_unit_test(test_rd_gcc_decode_ccrsp_gnome),
      cmocka_unit_test(test_rd_gcc_decode_ccrsp_edges),
      cmocka_unit_test(test_rd_gcc_decode_ccrsp_malformed),
      cmocka_unit_test(test_rd_gcc_decode_ccrsp_without_user_data),
      cmocka_unit_test(test_rd_gcc_get_block),
      cmocka_unit_test(test_rd_gcc_decode_server_blocks_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
