/* Licensing messages: golden bytes from MS-RDPBCGR 4.1.12 (License Error, valid client) and
 * IronRDP's server_license tests (a Server License Request without certificate, a Platform
 * Challenge, a Client Platform Challenge Response and a Client New License Request), both directions
 * where we encode, the license.def table, and the decoder edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/license.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* 4.1.12 after the security header (80 00 00 00): the valid-client License Error. */
static const uint8_t spec_valid_client[16] = {
    0xff, 0x03, 0x10, 0x00, /* ERROR_ALERT, version 3, wMsgSize 16 */
    0x07, 0x00, 0x00, 0x00, /* STATUS_VALID_CLIENT */
    0x02, 0x00, 0x00, 0x00, /* ST_NO_TRANSITION */
    0x04, 0x00, 0x00, 0x00, /* BB_ERROR_BLOB, 0 bytes */
};

/* IronRDP: Server License Request without a certificate (wMsgSize counts the security header). */
static const uint8_t request_no_cert[134] = {
    0x01, 0x03, 0x8a, 0x00, /* LICENSE_REQUEST, version 3, wMsgSize 138 */
    0x84, 0xef, 0xae, 0x20, 0xb1, 0xd5, 0x9e, 0x36, 0x49, 0x1a, 0xe8, 0x2e, 0x0a, 0x99, 0x89, 0xac,
    0x49, 0xa6, 0x47, 0x4f, 0x33, 0x9b, 0x5a, 0xb9, 0x95, 0x03, 0xa6, 0xc6, 0xc2, 0x3c, 0x3f, 0x61,
    0x00, 0x00, 0x06, 0x00, /* dwVersion 0x60000 */
    0x2c, 0x00, 0x00, 0x00, /* cbCompanyName 44: "Microsoft Corporation" */
    0x4d, 0x00, 0x69, 0x00, 0x63, 0x00, 0x72, 0x00, 0x6f, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x66, 0x00,
    0x74, 0x00, 0x20, 0x00, 0x43, 0x00, 0x6f, 0x00, 0x72, 0x00, 0x70, 0x00, 0x6f, 0x00, 0x72, 0x00,
    0x61, 0x00, 0x74, 0x00, 0x69, 0x00, 0x6f, 0x00, 0x6e, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, /* cbProductId 8: "A02" */
    0x41, 0x00, 0x30, 0x00, 0x32, 0x00, 0x00, 0x00,
    0x0d, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, /* KEY_EXCHG_ALG blob: RSA */
    0x03, 0x00, 0x00, 0x00,                         /* certificate blob, empty */
    0x01, 0x00, 0x00, 0x00,                         /* ScopeCount 1 */
    0x0e, 0x00, 0x0e, 0x00, 'm', 'i', 'c', 'r', 'o', 's', 'o', 'f', 't', '.', 'c', 'o', 'm', 0x00,
};

/* IronRDP: Platform Challenge. */
static const uint8_t platform_challenge[38] = {
    0x02, 0x03, 0x26, 0x00, /* PLATFORM_CHALLENGE, version 3, wMsgSize 38 */
    0x00, 0x00, 0x00, 0x00, /* ConnectFlags */
    0x00, 0x00, 0x0a, 0x00, /* blob type 0 (as servers send it), 10 bytes */
    0x46, 0x37, 0x85, 0x54, 0x8e, 0xc5, 0x91, 0x34, 0x97, 0x5d,
    0x38, 0x23, 0x62, 0x5d, 0x10, 0x8b, 0x93, 0xc3, 0xf1, 0xe4, 0x67, 0x1f, 0x4a, 0xb6, 0x00, 0x0a,
};

/* IronRDP: Client Platform Challenge Response. */
static const uint8_t challenge_response[66] = {
    0x15, 0x03, 0x42, 0x00, /* PLATFORM_CHALLENGE_RESPONSE, version 3, wMsgSize 66 */
    0x09, 0x00, 0x12, 0x00, /* BB_ENCRYPTED_DATA_BLOB, 18 bytes */
    0xfa, 0xb4, 0xe8, 0x24, 0xcf, 0x56, 0xb2, 0x4e, 0x80, 0x02, 0xbd, 0xb6, 0x61, 0xfc, 0xdf, 0xe9,
    0x6c, 0x44,
    0x09, 0x00, 0x14, 0x00, /* BB_ENCRYPTED_DATA_BLOB, 20 bytes: the HWID */
    0xf8, 0xb5, 0xe8, 0x25, 0x3d, 0x0f, 0x3f, 0x70, 0x1d, 0xda, 0x60, 0x19, 0x16, 0xfe, 0x73, 0x1a,
    0x45, 0x7e, 0x02, 0x71,
    0x38, 0x23, 0x62, 0x5d, 0x10, 0x8b, 0x93, 0xc3, 0xf1, 0xe4, 0x67, 0x1f, 0x4a, 0xb6, 0x00, 0x0a,
};

static void expect_bytes(rd_bld *b, const uint8_t *want, size_t n) {
  uint8_t *out;
  size_t len;
  assert_true(rd_bld_finish(b, &out, &len));
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
  free(out);
}

static void test_rd_license_decode_valid_client_spec_4_1_12(void **state) {
  rd_cur c;
  rd_license_msg m;
  rd_cur_init(&c, spec_valid_client, sizeof spec_valid_client);
  assert_int_equal(rd_license_decode(&c, &m), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(m.msg_type, RD_LIC_ERROR_ALERT);
  assert_false(m.size_mismatch);
  assert_true(rd_license_is_valid_client(&m));
  assert_int_equal(m.error_info.type, RD_LIC_BB_ERROR_BLOB);
  assert_string_equal(rd_license_error_name(m.error_code), "STATUS_VALID_CLIENT");
  assert_string_equal(rd_license_transition_name(m.state_transition), "ST_NO_TRANSITION");
  assert_non_null(rd_license_error_text(RD_LIC_ERR_NO_LICENSE_SERVER));
  assert_null(rd_license_error_name(5));
  /* One byte short, trailing byte. */
  rd_cur_init(&c, spec_valid_client, sizeof spec_valid_client - 1);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_MALFORMED);
  assert_cur_at(&c, spec_valid_client, sizeof spec_valid_client - 1);
  uint8_t longer[sizeof spec_valid_client + 1] = {0};
  memcpy(longer, spec_valid_client, sizeof spec_valid_client);
  rd_cur_init(&c, longer, sizeof longer);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_MALFORMED);
  assert_cur_at(&c, longer, sizeof longer);
}

static void test_rd_license_decode_request_ironrdp(void **state) {
  uint8_t d[sizeof request_no_cert];
  rd_cur c;
  rd_license_msg m;
  rd_cur_init(&c, request_no_cert, sizeof request_no_cert);
  assert_int_equal(rd_license_decode(&c, &m), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(m.msg_type, RD_LIC_LICENSE_REQUEST);
  assert_true(m.size_mismatch);
  assert_ptr_equal(m.server_random, request_no_cert + 4);
  assert_int_equal(m.product_version, 0x60000);
  assert_int_equal(rd_cur_len(&m.company_name), 44);
  assert_int_equal(rd_cur_len(&m.product_id), 8);
  assert_int_equal(rd_cur_len(&m.key_exchange.data), 4);
  assert_int_equal(rd_cur_len(&m.certificate.data), 0);
  assert_int_equal(m.scope_count, 1);
  assert_int_equal(rd_cur_len(&m.scopes[0]), 14);
  assert_memory_equal(rd_cur_data(&m.scopes[0]), "microsoft.com", 14);
  /* Giant company name length, giant scope count, one byte short. */
  memcpy(d, request_no_cert, sizeof d);
  memset(d + 40, 0xff, 4);
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_MALFORMED);
  assert_cur_at(&c, d, sizeof d);
  memcpy(d, request_no_cert, sizeof d);
  memset(d + 112, 0xff, 4);
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_TOO_BIG);
  rd_cur_init(&c, request_no_cert, sizeof request_no_cert - 1);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_MALFORMED);
}

static void test_rd_license_decode_platform_challenge_ironrdp(void **state) {
  rd_cur c;
  rd_license_msg m;
  rd_cur_init(&c, platform_challenge, sizeof platform_challenge);
  assert_int_equal(rd_license_decode(&c, &m), 0);
  assert_int_equal(m.msg_type, RD_LIC_PLATFORM_CHALLENGE);
  assert_false(m.size_mismatch);
  assert_int_equal(rd_cur_len(&m.encrypted_challenge.data), 10);
  assert_ptr_equal(m.mac, platform_challenge + 22);
  assert_false(rd_license_is_valid_client(&m));
  rd_cur_init(&c, platform_challenge, sizeof platform_challenge - 1);
  assert_int_equal(rd_license_decode(&c, &m), RD_E_MALFORMED);
  assert_cur_at(&c, platform_challenge, sizeof platform_challenge - 1);
}

static void test_rd_license_encode_platform_challenge_response_ironrdp(void **state) {
  rd_bld b;
  rd_cur c;
  rd_license_msg m;
  rd_bld_init(&b, 256);
  assert_int_equal(rd_license_encode_platform_challenge_response(0x03, challenge_response + 8, 18,
                                                                 challenge_response + 30, 20,
                                                                 challenge_response + 50, &b), 0);
  expect_bytes(&b, challenge_response, sizeof challenge_response);
  /* Decoded as an unknown-to-the-client type: preamble only. */
  rd_cur_init(&c, challenge_response, sizeof challenge_response);
  assert_int_equal(rd_license_decode(&c, &m), 0);
  assert_int_equal(m.msg_type, RD_LIC_PLATFORM_CHALLENGE_RESPONSE);
  assert_int_equal(rd_cur_len(&m.body), 62);
}

static void test_rd_license_add_challenge_response_data_ironrdp(void **state) {
  static const uint8_t want[18] = {0x00, 0x01, 0x00, 0x01, 0x03, 0x00, 0x0a, 0x00, /* v, WIN32 */
                                   0x54, 0x00, 0x45, 0x00, 0x53, 0x00, 0x54, 0x00, 0x00, 0x00};
  rd_bld b;
  rd_bld_init(&b, 64);
  assert_int_equal(rd_license_add_challenge_response_data(RD_LIC_WIN32_PLATFORM_CHALLENGE_TYPE,
                                                          want + 8, 10, &b), 0);
  expect_bytes(&b, want, sizeof want);
}

static void test_rd_license_encode_new_license_request_ironrdp(void **state) {
  static const uint8_t client_random[32] = {
      0x4b, 0x5b, 0x7b, 0x43, 0x63, 0x8a, 0x08, 0xfe, 0xd1, 0x7a, 0xba, 0xf5, 0x91, 0x85, 0x77, 0xfe,
      0x39, 0x36, 0xf6, 0xd7, 0x78, 0xec, 0x6a, 0xcc, 0x89, 0x4a, 0x90, 0x41, 0x2c, 0xac, 0x5a, 0x49};
  uint8_t premaster[72] = {0xb0, 0x95, 0xf7, 0xcb}; /* the rest as IronRDP's, zeros at the end */
  uint8_t want[4 + 8 + 32 + 4 + 72 + 4 + 12 + 4 + 20];
  size_t o = 0;
  rd_bld b;
  want[o++] = 0x13;
  want[o++] = 0x03;
  want[o++] = sizeof want;
  want[o++] = 0;
  memcpy(want + o, "\x01\x00\x00\x00\x00\x00\x01\x04", 8); /* RSA, PlatformId */
  o += 8;
  memcpy(want + o, client_random, 32);
  o += 32;
  memcpy(want + o, "\x02\x00\x48\x00", 4); /* BB_RANDOM_BLOB, 72 */
  o += 4;
  memcpy(want + o, premaster, 72);
  o += 72;
  memcpy(want + o, "\x0f\x00\x0c\x00sample-user", 16); /* user blob + its NUL below */
  o += 15;
  want[o++] = 0;
  memcpy(want + o, "\x10\x00\x14\x00sample-machine-name", 23);
  o += 23;
  want[o++] = 0;
  assert_int_equal(o, sizeof want);
  rd_bld_init(&b, 512);
  assert_int_equal(rd_license_encode_new_license_request(0x03, client_random, premaster, 72,
                                                         "sample-user", "sample-machine-name", &b),
                   0);
  expect_bytes(&b, want, sizeof want);
  rd_bld_init(&b, 512);
  assert_int_equal(rd_license_encode_new_license_request(0x03, client_random, premaster, 0, "u",
                                                         "m", &b), RD_E_INVALID);
  rd_bld_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_license_decode_valid_client_spec_4_1_12),
      cmocka_unit_test(test_rd_license_decode_request_ironrdp),
      cmocka_unit_test(test_rd_license_decode_platform_challenge_ironrdp),
      cmocka_unit_test(test_rd_license_encode_platform_challenge_response_ironrdp),
      cmocka_unit_test(test_rd_license_add_challenge_response_data_ironrdp),
      cmocka_unit_test(test_rd_license_encode_new_license_request_ironrdp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
