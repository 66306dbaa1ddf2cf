/* Security header, Security Exchange PDU and server certificate: golden bytes from MS-RDPBCGR 4.1.4
 * (the proprietary certificate of the Server MCS Connect Response, as IronRDP's testsuite carries
 * it) and 4.1.9/4.1.10 (header shapes), both directions where we encode, and the decoder edge
 * cases: one byte short, giant length, trailing byte, exact fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sec.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* MS-RDPBCGR 4.1.4: serverCertificate of TS_UD_SC_SEC1 (184 bytes). */
static const uint8_t spec_cert[184] = {
    0x01, 0x00, 0x00, 0x00, /* dwVersion: CERT_CHAIN_VERSION_1, permanent */
    0x01, 0x00, 0x00, 0x00, /* dwSigAlgId: SIGNATURE_ALG_RSA */
    0x01, 0x00, 0x00, 0x00, /* dwKeyAlgId: KEY_EXCHANGE_ALG_RSA */
    0x06, 0x00, 0x5c, 0x00, /* BB_RSA_KEY_BLOB, 92 bytes */
    0x52, 0x53, 0x41, 0x31, /* "RSA1" */
    0x48, 0x00, 0x00, 0x00, /* keylen 72 */
    0x00, 0x02, 0x00, 0x00, /* bitlen 512 */
    0x3f, 0x00, 0x00, 0x00, /* datalen 63 */
    0x01, 0x00, 0x01, 0x00, /* pubExp 65537 */
    0xcb, 0x81, 0xfe, 0xba, 0x6d, 0x61, 0xc3, 0x55, 0x05, 0xd5, 0x5f, 0x2e, 0x87, 0xf8, 0x71, 0x94,
    0xd6, 0xf1, 0xa5, 0xcb, 0xf1, 0x5f, 0x0c, 0x3d, 0xf8, 0x70, 0x02, 0x96, 0xc4, 0xfb, 0x9b, 0xc8,
    0x3c, 0x2d, 0x55, 0xae, 0xe8, 0xff, 0x32, 0x75, 0xea, 0x68, 0x79, 0xe5, 0xa2, 0x01, 0xfd, 0x31,
    0xa0, 0xb1, 0x1f, 0x55, 0xa6, 0x1f, 0xc1, 0xf6, 0xd1, 0x83, 0x88, 0x63, 0x26, 0x56, 0x12, 0xbc,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* modulus (64, little-endian) + 8 zero bytes */
    0x08, 0x00, 0x48, 0x00, /* BB_RSA_SIGNATURE_BLOB, 72 bytes */
    0xe9, 0xe1, 0xd6, 0x28, 0x46, 0x8b, 0x4e, 0xf5, 0x0a, 0xdf, 0xfd, 0xee, 0x21, 0x99, 0xac, 0xb4,
    0xe1, 0x8f, 0x5f, 0x81, 0x57, 0x82, 0xef, 0x9d, 0x96, 0x52, 0x63, 0x27, 0x18, 0x29, 0xdb, 0xb3,
    0x4a, 0xfd, 0x9a, 0xda, 0x42, 0xad, 0xb5, 0x69, 0x21, 0x89, 0x0e, 0x1d, 0xc0, 0x4c, 0x1a, 0xa8,
    0xaa, 0x71, 0x3e, 0x0f, 0x54, 0xb9, 0x9a, 0xe4, 0x99, 0x68, 0x3f, 0x6c, 0xd6, 0x76, 0x84, 0x61,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* signature (64) + 8 zero bytes */
};

/* A temporary X.509 chain of two (tiny, not DER) certificates and its padding. */
static const uint8_t chain2[] = {
    0x02, 0x00, 0x00, 0x80, /* dwVersion: CERT_CHAIN_VERSION_2 | temporary */
    0x02, 0x00, 0x00, 0x00, /* NumCertBlobs 2 */
    0x03, 0x00, 0x00, 0x00, 'a', 'b', 'c', /* CA */
    0x02, 0x00, 0x00, 0x00, 'd', 'e',      /* server */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* padding 8 + 4 * 2 */
};

static void expect_bytes(rd_bld *b, const uint8_t *want, size_t n) {
  uint8_t *out;
  size_t len;
  assert_true(rd_bld_finish(b, &out, &len));
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
  free(out);
}

static void test_rd_sec_decode_header_basic(void **state) {
  /* 4.1.10: the Client Info PDU of a connection without encryption: SEC_INFO_PKT. */
  static const uint8_t d[] = {0x40, 0x00, 0x00, 0x00, 0xaa};
  rd_cur c;
  rd_sec_header h;
  rd_bld b;
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_NON_FIPS, &h), 0);
  assert_int_equal(h.flags, RD_SEC_INFO_PKT);
  assert_false(h.has_mac);
  assert_cur_at(&c, d + 4, 1);
  rd_bld_init(&b, 64);
  assert_int_equal(rd_sec_encode_header(&h, RD_SEC_HDR_NON_FIPS, &b), 0);
  expect_bytes(&b, d, 4);
}

static void test_rd_sec_decode_header_encrypted(void **state) {
  static const uint8_t d[] = {0x48, 0x00, 0x00, 0x00, /* SEC_INFO_PKT | SEC_ENCRYPT */
                              1, 2, 3, 4, 5, 6, 7, 8};  /* dataSignature */
  static const uint8_t f[] = {0x08, 0x00, 0x00, 0x00, /* SEC_ENCRYPT */
                              0x10, 0x00, 0x01, 0x03, /* length 16, version 1, pad 3 */
                              1, 2, 3, 4, 5, 6, 7, 8};
  rd_cur c;
  rd_sec_header h;
  rd_bld b;
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_NON_FIPS, &h), 0);
  assert_true(h.has_mac);
  assert_int_equal(h.mac[7], 8);
  assert_true(rd_cur_is_empty(&c));
  rd_bld_init(&b, 64);
  assert_int_equal(rd_sec_encode_header(&h, RD_SEC_HDR_NON_FIPS, &b), 0);
  expect_bytes(&b, d, sizeof d);
  /* One byte short: the cursor does not move. */
  rd_cur_init(&c, d, sizeof d - 1);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_NON_FIPS, &h), RD_E_MALFORMED);
  assert_cur_at(&c, d, sizeof d - 1);
  /* FIPS. */
  rd_cur_init(&c, f, sizeof f);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_FIPS, &h), 0);
  assert_int_equal(h.fips_pad_len, 3);
  assert_true(rd_cur_is_empty(&c));
  rd_bld_init(&b, 64);
  assert_int_equal(rd_sec_encode_header(&h, RD_SEC_HDR_FIPS, &b), 0);
  expect_bytes(&b, f, sizeof f);
  uint8_t bad[sizeof f];
  memcpy(bad, f, sizeof f);
  bad[4] = 0xff; /* giant length field */
  rd_cur_init(&c, bad, sizeof bad);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_FIPS, &h), RD_E_MALFORMED);
  assert_cur_at(&c, bad, sizeof bad);
  memcpy(bad, f, sizeof f);
  bad[7] = 8; /* pad length beyond a block */
  rd_cur_init(&c, bad, sizeof bad);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_FIPS, &h), RD_E_MALFORMED);
  /* BASIC never reads a MAC. */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_BASIC, &h), 0);
  assert_false(h.has_mac);
  assert_int_equal(rd_cur_len(&c), 8);
}

static void test_rd_sec_encode_exchange_roundtrip(void **state) {
  uint8_t random[64], want[4 + 4 + 64 + 8];
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_cur c, r;
  uint16_t flags;
  for (size_t i = 0; i < sizeof random; i++)
    random[i] = (uint8_t)(i + 1);
  memset(want, 0, sizeof want);
  want[0] = 0x01;  /* SEC_EXCHANGE_PKT */
  want[4] = 0x48;  /* length 72 */
  memcpy(want + 8, random, 64);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_sec_encode_exchange(0, random, sizeof random, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, sizeof want);
  assert_memory_equal(out, want, n);
  rd_cur_init(&c, out, n);
  assert_int_equal(rd_sec_decode_exchange(&c, &flags, &r), 0);
  assert_int_equal(flags, RD_SEC_EXCHANGE_PKT);
  assert_int_equal(rd_cur_len(&r), 64);
  assert_memory_equal(rd_cur_data(&r), random, 64);
  assert_true(rd_cur_is_empty(&c));
  /* One byte short, trailing byte, giant length. */
  rd_cur_init(&c, out, n - 1);
  assert_int_equal(rd_sec_decode_exchange(&c, &flags, &r), RD_E_MALFORMED);
  assert_cur_at(&c, out, n - 1);
  uint8_t *longer = calloc(1, n + 1);
  memcpy(longer, out, n);
  rd_cur_init(&c, longer, n + 1);
  assert_int_equal(rd_sec_decode_exchange(&c, &flags, &r), RD_E_MALFORMED);
  longer[4] = 0xff;
  longer[7] = 0xff;
  rd_cur_init(&c, longer, n);
  assert_int_equal(rd_sec_decode_exchange(&c, &flags, &r), RD_E_MALFORMED);
  free(longer);
  free(out);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_sec_encode_exchange(0, random, 0, &b), RD_E_INVALID);
  rd_bld_cleanup(&b);
}

/* MS-RDPBCGR 4.1.9: the Security Exchange PDU data a Windows client sends (after the MCS header). */
static const uint8_t spec_4_1_9[80] = {
    0x01, 0x02, 0x00, 0x00, /* SEC_EXCHANGE_PKT | SEC_LICENSE_ENCRYPT_SC, flagsHi 0 */
    0x48, 0x00, 0x00, 0x00, /* length 72 */
    0x91, 0xac, 0x0c, 0x8f, 0x64, 0x8c, 0x39, 0xf4, 0xe7, 0xff, 0x0a, 0x3b, 0x79, 0x11, 0x5c, 0x13,
    0x51, 0x2a, 0xcb, 0x72, 0x8f, 0x9d, 0xb7, 0x42, 0x2e, 0xf7, 0x08, 0x4c, 0x8e, 0xae, 0x55, 0x99,
    0x62, 0xd2, 0x81, 0x81, 0xe4, 0x66, 0xc8, 0x05, 0xea, 0xd4, 0x73, 0x06, 0x3f, 0xc8, 0x5f, 0xaf,
    0x2a, 0xfd, 0xfc, 0xf1, 0x64, 0xb3, 0x3f, 0x0a, 0x15, 0x1d, 0xdb, 0x2c, 0x10, 0x9d, 0x30, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* the encrypted client random, then 8 zero bytes */
};

/* What the probe sends is 4.1.9 byte for byte, given 4.1.9's encrypted random. */
static void test_rd_sec_encode_exchange_spec_4_1_9(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_cur c, r;
  uint16_t flags;
  rd_bld_init(&b, 256);
  assert_int_equal(rd_sec_encode_exchange(RD_SEC_LICENSE_ENCRYPT_SC, spec_4_1_9 + 8, 64, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, sizeof spec_4_1_9);
  assert_memory_equal(out, spec_4_1_9, n);
  free(out);
  rd_cur_init(&c, spec_4_1_9, sizeof spec_4_1_9);
  assert_int_equal(rd_sec_decode_exchange(&c, &flags, &r), 0);
  assert_int_equal(flags, RD_SEC_EXCHANGE_PKT | RD_SEC_LICENSE_ENCRYPT_SC);
  assert_int_equal(rd_cur_len(&r), 64);
}

/* MS-RDPBCGR 4.1.10: the encrypted Client Info's non-FIPS header (SEC_INFO_PKT | SEC_ENCRYPT and
 * the MAC), and 4.1.11's encrypted licensing header (SEC_LICENSE_PKT | SEC_ENCRYPT |
 * SEC_LICENSE_ENCRYPT_CS), each followed by the first ciphertext bytes. */
static void test_rd_sec_decode_header_spec_4_1_10_4_1_11(void **state) {
  static const uint8_t info[] = {0x48, 0x00, 0x00, 0x00, 0x45, 0xca, 0x46, 0xfa, 0x5e, 0xa7, 0xbe, 0xbc, 0x74, 0x21};
  static const uint8_t lic[] = {0x88, 0x02, 0x02, 0x03, 0x8d, 0x43, 0x9a, 0xab, 0xd5, 0x2a, 0x31, 0x39, 0x62, 0x4d};
  static const uint8_t info_mac[8] = {0x45, 0xca, 0x46, 0xfa, 0x5e, 0xa7, 0xbe, 0xbc};
  rd_cur c;
  rd_sec_header h;
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_cur_init(&c, info, sizeof info);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_NON_FIPS, &h), 0);
  assert_int_equal(h.flags, RD_SEC_INFO_PKT | RD_SEC_ENCRYPT);
  assert_true(h.has_mac);
  assert_memory_equal(h.mac, info_mac, 8);
  assert_cur_at(&c, info + 12, 2);
  rd_bld_init(&b, 64);
  assert_int_equal(rd_sec_encode_header(&h, RD_SEC_HDR_NON_FIPS, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 12);
  assert_memory_equal(out, info, 12);
  free(out);
  rd_cur_init(&c, lic, sizeof lic);
  assert_int_equal(rd_sec_decode_header(&c, RD_SEC_HDR_NON_FIPS, &h), 0);
  assert_int_equal(h.flags, RD_SEC_LICENSE_PKT | RD_SEC_ENCRYPT | RD_SEC_LICENSE_ENCRYPT_CS);
  assert_int_equal(h.flags_hi, 0x0302);
  assert_true(h.has_mac);
  assert_cur_at(&c, lic + 12, 2);
}

static void test_rd_sec_decode_server_cert_spec_4_1_4(void **state) {
  rd_cur c, leaf;
  rd_sec_server_cert cert;
  rd_cur_init(&c, spec_cert, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(cert.version, RD_SEC_CERT_CHAIN_VERSION_1);
  assert_false(cert.temporary);
  assert_int_equal(cert.sig_alg_id, 1);
  assert_int_equal(cert.key_alg_id, 1);
  assert_int_equal(cert.key.keylen, 72);
  assert_int_equal(cert.key.bitlen, 512);
  assert_int_equal(cert.key.datalen, 63);
  assert_int_equal(cert.key.pub_exp, 65537);
  assert_int_equal(cert.key.modulus_len, 64);
  assert_ptr_equal(cert.key.modulus, spec_cert + 36);
  assert_ptr_equal(rd_cur_data(&cert.signed_part), spec_cert);
  assert_int_equal(rd_cur_len(&cert.signed_part), 108);
  assert_int_equal(rd_cur_len(&cert.signature), 72);
  assert_false(rd_sec_server_cert_leaf(&cert, &leaf));
}

static void test_rd_sec_decode_server_cert_edges(void **state) {
  uint8_t buf[sizeof spec_cert + 1];
  rd_cur c;
  rd_sec_server_cert cert;
  /* One byte short. */
  rd_cur_init(&c, spec_cert, sizeof spec_cert - 1);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  assert_cur_at(&c, spec_cert, sizeof spec_cert - 1);
  /* Trailing byte. */
  memcpy(buf, spec_cert, sizeof spec_cert);
  buf[sizeof spec_cert] = 0;
  rd_cur_init(&c, buf, sizeof buf);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  assert_cur_at(&c, buf, sizeof buf);
  /* Giant key blob length. */
  memcpy(buf, spec_cert, sizeof spec_cert);
  buf[14] = 0xff;
  buf[15] = 0xff;
  rd_cur_init(&c, buf, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  /* keylen that disagrees with bitlen. */
  memcpy(buf, spec_cert, sizeof spec_cert);
  buf[20] = 0x49;
  rd_cur_init(&c, buf, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  /* Not RSA1. */
  memcpy(buf, spec_cert, sizeof spec_cert);
  buf[19] = '2';
  rd_cur_init(&c, buf, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  /* The temporary bit. */
  memcpy(buf, spec_cert, sizeof spec_cert);
  buf[3] = 0x80;
  rd_cur_init(&c, buf, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), 0);
  assert_true(cert.temporary);
  assert_int_equal(cert.version, 1);
  /* Unknown version. */
  buf[0] = 3;
  rd_cur_init(&c, buf, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
}

static void test_rd_sec_decode_server_cert_chain(void **state) {
  uint8_t buf[sizeof chain2];
  rd_cur c, leaf;
  rd_sec_server_cert cert;
  rd_cur_init(&c, chain2, sizeof chain2);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(cert.version, 2);
  assert_true(cert.temporary);
  assert_int_equal(cert.chain_len, 2);
  assert_int_equal(cert.padding_len, 16);
  assert_true(rd_sec_server_cert_leaf(&cert, &leaf));
  assert_int_equal(rd_cur_len(&leaf), 2);
  assert_memory_equal(rd_cur_data(&leaf), "de", 2);
  /* Exact fit without padding still decodes. */
  rd_cur_init(&c, chain2, sizeof chain2 - 16);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), 0);
  assert_int_equal(cert.padding_len, 0);
  /* One byte short of the last certificate. */
  rd_cur_init(&c, chain2, 20);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  assert_cur_at(&c, chain2, 20);
  /* Giant count, zero count, giant certificate length. */
  memcpy(buf, chain2, sizeof buf);
  memset(buf + 4, 0xff, 4);
  rd_cur_init(&c, buf, sizeof buf);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_TOO_BIG);
  assert_cur_at(&c, buf, sizeof buf);
  memset(buf + 4, 0, 4);
  rd_cur_init(&c, buf, sizeof buf);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
  memcpy(buf, chain2, sizeof buf);
  memset(buf + 8, 0xff, 4);
  rd_cur_init(&c, buf, sizeof buf);
  assert_int_equal(rd_sec_decode_server_cert(&c, &cert), RD_E_MALFORMED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_sec_decode_header_basic),
      cmocka_unit_test(test_rd_sec_decode_header_encrypted),
      cmocka_unit_test(test_rd_sec_encode_exchange_roundtrip),
      cmocka_unit_test(test_rd_sec_encode_exchange_spec_4_1_9),
      cmocka_unit_test(test_rd_sec_decode_header_spec_4_1_10_4_1_11),
      cmocka_unit_test(test_rd_sec_decode_server_cert_spec_4_1_4),
      cmocka_unit_test(test_rd_sec_decode_server_cert_edges),
      cmocka_unit_test(test_rd_sec_decode_server_cert_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
