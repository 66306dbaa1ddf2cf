/* Standard RDP Security and licensing cryptography. Vectors: the proprietary certificate of
 * MS-RDPBCGR 4.1.4 (signed with the Terminal Services key of 5.3.3.1.1, whose private exponent the
 * spec publishes too), and the licensing values of IronRDP's server_license tests (a client random,
 * server random and premaster secret with the master secret, session key blob and licensing key a
 * Windows server agreed on; a MAC salt key with a challenge and its MAC; an encrypted platform
 * challenge with its keys and MAC). The session keys have no public vector: they are checked for
 * the properties the spec fixes (reductions, parity, both sides agreeing, the key update after 4096
 * packets) and their SaltedHash is the licensing one, which the vectors pin. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define RD_RDPSEC_INTERNAL
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/rdpsec.h"
#include "core/err.h"
#include "../common/selfsigned.h"
#include "../common/tssk.h"

static const uint8_t spec_cert[184] = {
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x5c, 0x00,
    0x52, 0x53, 0x41, 0x31, 0x48, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0xcb, 0x81, 0xfe, 0xba, 0x6d, 0x61, 0xc3, 0x55, 0x05, 0xd5, 0x5f, 0x2e,
    0x87, 0xf8, 0x71, 0x94, 0xd6, 0xf1, 0xa5, 0xcb, 0xf1, 0x5f, 0x0c, 0x3d, 0xf8, 0x70, 0x02, 0x96,
    0xc4, 0xfb, 0x9b, 0xc8, 0x3c, 0x2d, 0x55, 0xae, 0xe8, 0xff, 0x32, 0x75, 0xea, 0x68, 0x79, 0xe5,
    0xa2, 0x01, 0xfd, 0x31, 0xa0, 0xb1, 0x1f, 0x55, 0xa6, 0x1f, 0xc1, 0xf6, 0xd1, 0x83, 0x88, 0x63,
    0x26, 0x56, 0x12, 0xbc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x48, 0x00,
    0xe9, 0xe1, 0xd6, 0x28, 0x46, 0x8b, 0x4e, 0xf5, 0x0a, 0xdf, 0xfd, 0xee, 0x21, 0x99, 0xac, 0xb4,
    0xe1, 0x8f, 0x5f, 0x81, 0x57, 0x82, 0xef, 0x9d, 0x96, 0x52, 0x63, 0x27, 0x18, 0x29, 0xdb, 0xb3,
    0x4a, 0xfd, 0x9a, 0xda, 0x42, 0xad, 0xb5, 0x69, 0x21, 0x89, 0x0e, 0x1d, 0xc0, 0x4c, 0x1a, 0xa8,
    0xaa, 0x71, 0x3e, 0x0f, 0x54, 0xb9, 0x9a, 0xe4, 0x99, 0x68, 0x3f, 0x6c, 0xd6, 0x76, 0x84, 0x61,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};


/* IronRDP client_new_license_request tests. */
static const uint8_t lic_client_random[32] = {
    0x4b, 0x5b, 0x7b, 0x43, 0x63, 0x8a, 0x08, 0xfe, 0xd1, 0x7a, 0xba, 0xf5, 0x91, 0x85, 0x77, 0xfe,
    0x39, 0x36, 0xf6, 0xd7, 0x78, 0xec, 0x6a, 0xcc, 0x89, 0x4a, 0x90, 0x41, 0x2c, 0xac, 0x5a, 0x49,
};
static const uint8_t lic_server_random[32] = {
    0x5c, 0x81, 0xf0, 0x11, 0xeb, 0xcf, 0xd1, 0x0e, 0xb4, 0x1f, 0xb3, 0xba, 0x93, 0xa2, 0xd7, 0x39,
    0x09, 0xaa, 0x99, 0xe9, 0x10, 0xd4, 0xd7, 0x95, 0xdd, 0xad, 0x91, 0x69, 0x05, 0x26, 0x6b, 0x6a,
};
static const uint8_t lic_premaster[48] = {
    0x14, 0x28, 0xda, 0xfb, 0xb9, 0xea, 0x38, 0xab, 0x5e, 0xa2, 0xf9, 0x04, 0xf7, 0x89, 0x9c, 0x98,
    0x3d, 0x50, 0x45, 0x77, 0xbf, 0x17, 0x81, 0x1c, 0x37, 0x87, 0xc2, 0x48, 0x13, 0xe8, 0xc9, 0x20,
    0x4d, 0xdf, 0xf3, 0x27, 0xbd, 0xb6, 0x98, 0x7e, 0x64, 0xda, 0xfe, 0x1d, 0x31, 0x2f, 0x62, 0xca,
};
/* First128Bits of that session key blob, and the licensing key. */
static const uint8_t lic_mac_salt[16] = {0xf7, 0x03, 0x75, 0xb9, 0x5f, 0xda, 0xd0, 0xbe,
                                         0xb4, 0x2a, 0xf5, 0xc1, 0x3d, 0x98, 0x85, 0x7a};
static const uint8_t lic_key[16] = {0xfa, 0x44, 0xe8, 0x78, 0xd8, 0x2b, 0x3f, 0x1d,
                                    0x4d, 0x00, 0xa0, 0xa6, 0x55, 0xce, 0x8a, 0xb7};

static rd_rdpsec_lib *lib;

static int setup(void **state) {
  const char *why;
  lib = rd_rdpsec_lib_new(&why);
  return lib == NULL ? -1 : 0;
}

static int teardown(void **state) {
  rd_rdpsec_lib_free(lib);
  return 0;
}

static void decode_spec_cert(rd_sec_server_cert *cert, const uint8_t *d) {
  rd_cur c;
  rd_cur_init(&c, d, sizeof spec_cert);
  assert_int_equal(rd_sec_decode_server_cert(&c, cert), 0);
}

static void test_rd_rdpsec_verify_proprietary_spec_4_1_4(void **state) {
  rd_sec_server_cert cert;
  uint8_t buf[sizeof spec_cert];
  decode_spec_cert(&cert, spec_cert);
  assert_int_equal(rd_rdpsec_verify_proprietary(lib, &cert), 0);
  /* A changed modulus byte breaks the MD5 the signature carries. */
  memcpy(buf, spec_cert, sizeof buf);
  buf[40] ^= 1;
  decode_spec_cert(&cert, buf);
  assert_int_equal(rd_rdpsec_verify_proprietary(lib, &cert), RD_E_MALFORMED);
  /* So does a signature byte, and non-zero signature padding. */
  memcpy(buf, spec_cert, sizeof buf);
  buf[120] ^= 0x80;
  decode_spec_cert(&cert, buf);
  assert_int_equal(rd_rdpsec_verify_proprietary(lib, &cert), RD_E_MALFORMED);
  memcpy(buf, spec_cert, sizeof buf);
  buf[183] = 1;
  decode_spec_cert(&cert, buf);
  assert_int_equal(rd_rdpsec_verify_proprietary(lib, &cert), RD_E_MALFORMED);
}

static void test_rd_rdpsec_rsa_raw_tssk_roundtrip(void **state) {
  uint8_t in[32], enc[64], dec[64];
  for (size_t i = 0; i < sizeof in; i++)
    in[i] = (uint8_t)(0xa0 + i);
  assert_int_equal(rd_rdpsec_rsa_raw(lib, in, sizeof in, tssk_modulus, 64, tssk_public, 4, enc,
                                     sizeof enc), 0);
  assert_memory_not_equal(enc, in, sizeof in);
  assert_int_equal(rd_rdpsec_rsa_raw(lib, enc, sizeof enc, tssk_modulus, 64, tssk_private, 64, dec,
                                     sizeof dec), 0);
  assert_memory_equal(dec, in, sizeof in);
  for (size_t i = sizeof in; i < sizeof dec; i++)
    assert_int_equal(dec[i], 0);
  /* Input not below the modulus, short output. */
  uint8_t big[64];
  memset(big, 0xff, sizeof big);
  assert_int_equal(rd_rdpsec_rsa_raw(lib, big, 64, tssk_modulus, 64, tssk_public, 4, enc,
                                     sizeof enc), RD_E_INVALID);
  assert_int_equal(rd_rdpsec_rsa_raw(lib, in, 32, tssk_modulus, 64, tssk_public, 4, enc, 63),
                   RD_E_INVALID);
}

static void test_rd_rdpsec_encrypt_random_spec_key(void **state) {
  rd_sec_server_cert cert;
  uint8_t random[32], out[64];
  size_t n = 0;
  memset(random, 0x11, sizeof random);
  decode_spec_cert(&cert, spec_cert);
  assert_int_equal(rd_rdpsec_encrypt_random(lib, &cert.key, random, sizeof random, out, sizeof out,
                                            &n), 0);
  assert_int_equal(n, 64);
  /* Deterministic: raw RSA has no padding. */
  uint8_t again[64];
  assert_int_equal(rd_rdpsec_encrypt_random(lib, &cert.key, random, sizeof random, again,
                                            sizeof again, &n), 0);
  assert_memory_equal(out, again, 64);
}

static void test_rd_rdpsec_license_keys_ironrdp(void **state) {
  uint8_t salt[16], key[16];
  assert_int_equal(rd_rdpsec_license_keys(lib, lic_client_random, lic_server_random, lic_premaster,
                                          salt, key), 0);
  assert_memory_equal(salt, lic_mac_salt, 16);
  assert_memory_equal(key, lic_key, 16);
}

static void test_rd_rdpsec_license_mac_ironrdp(void **state) {
  static const uint8_t salt[16] = {0x68, 0x1f, 0x7b, 0x26, 0x7e, 0x76, 0x0a, 0x24,
                                   0x2d, 0x98, 0x07, 0xd6, 0x6b, 0x56, 0xc5, 0x01};
  static const uint8_t challenge[10] = {0x54, 0, 0x45, 0, 0x53, 0, 0x54, 0, 0, 0}; /* "TEST" */
  static const uint8_t want[16] = {0x58, 0xaf, 0x1f, 0x30, 0xd6, 0x4e, 0xe8, 0x06,
                                   0xfc, 0xf9, 0xe6, 0x68, 0x21, 0x64, 0x25, 0x3d};
  uint8_t mac[16];
  assert_int_equal(rd_rdpsec_license_mac(lib, salt, challenge, sizeof challenge, mac), 0);
  assert_memory_equal(mac, want, 16);
}

static void test_rd_rdpsec_license_rc4_platform_challenge(void **state) {
  static const uint8_t salt[16] = {0x01, 0x5b, 0x9e, 0x5f, 0x06, 0x97, 0x71, 0x58,
                                   0xc3, 0xb8, 0x8b, 0x8c, 0x6e, 0x77, 0x21, 0x37};
  static const uint8_t key[16] = {0xe1, 0x78, 0xe4, 0xa0, 0x2a, 0xc5, 0xca, 0xb8,
                                  0xa2, 0xd1, 0x53, 0xb8, 0x07, 0x23, 0xf3, 0xd2};
  static const uint8_t enc[10] = {0x26, 0x38, 0x88, 0x77, 0xcb, 0xe8, 0xbf, 0xce, 0x2c, 0x51};
  static const uint8_t want_mac[16] = {0x51, 0x4a, 0x27, 0x2c, 0x74, 0x18, 0xec, 0x88,
                                       0x95, 0xdd, 0xac, 0x10, 0x3e, 0x3f, 0x0a, 0x72};
  static const uint8_t test_utf16[10] = {0x54, 0, 0x45, 0, 0x53, 0, 0x54, 0, 0, 0};
  uint8_t plain[10], mac[16], back[10];
  assert_int_equal(rd_rdpsec_license_rc4(lib, key, enc, sizeof enc, plain), 0);
  assert_memory_equal(plain, test_utf16, sizeof plain);
  assert_int_equal(rd_rdpsec_license_mac(lib, salt, plain, sizeof plain, mac), 0);
  assert_memory_equal(mac, want_mac, 16);
  assert_int_equal(rd_rdpsec_license_rc4(lib, key, plain, sizeof plain, back), 0);
  assert_memory_equal(back, enc, sizeof enc);
}

static void randoms(uint8_t cr[32], uint8_t sr[32]) {
  for (int i = 0; i < 32; i++) {
    cr[i] = (uint8_t)(0xff - i);
    sr[i] = (uint8_t)(0x10 + 3 * i);
  }
}

static void check_pair(uint32_t method, bool salted) {
  uint8_t cr[32], sr[32], msg[100], wire[112], back[112], mac[8];
  rd_rdpsec_session *client, *server;
  uint8_t pad;
  size_t n;
  randoms(cr, sr);
  assert_int_equal(rd_rdpsec_session_new(lib, method, true, cr, sr, &client), 0);
  assert_int_equal(rd_rdpsec_session_new(lib, method, false, cr, sr, &server), 0);
  for (int pkt = 0; pkt < 5000; pkt++) {
    size_t len = 1 + (size_t)pkt % sizeof msg;
    for (size_t i = 0; i < len; i++)
      msg[i] = (uint8_t)(pkt + i);
    assert_int_equal(rd_rdpsec_encrypt(client, msg, len, salted, wire, sizeof wire, mac, &pad), 0);
    assert_int_equal(pad, rd_rdpsec_pad_len(client, len));
    assert_int_equal(rd_rdpsec_decrypt(server, wire, len + pad, pad, salted, mac, back, &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(back, msg, len);
    /* And the other way. */
    assert_int_equal(rd_rdpsec_encrypt(server, msg, len, salted, wire, sizeof wire, mac, &pad), 0);
    assert_int_equal(rd_rdpsec_decrypt(client, wire, len + pad, pad, salted, mac, back, &n), 0);
    assert_memory_equal(back, msg, len);
  }
  /* A wrong MAC spends the receiving side. */
  assert_int_equal(rd_rdpsec_encrypt(client, msg, 10, salted, wire, sizeof wire, mac, &pad), 0);
  mac[0] ^= 1;
  assert_int_equal(rd_rdpsec_decrypt(server, wire, 10 + pad, pad, salted, mac, back, &n),
                   RD_E_MALFORMED);
  assert_int_equal(rd_rdpsec_decrypt(server, wire, 10 + pad, pad, salted, mac, back, &n),
                   RD_E_STATE);
  rd_rdpsec_session_free(client);
  rd_rdpsec_session_free(server);
}

static void test_rd_rdpsec_session_pairs(void **state) {
  check_pair(RD_RDPSEC_METHOD_40BIT, false);
  check_pair(RD_RDPSEC_METHOD_56BIT, true);
  check_pair(RD_RDPSEC_METHOD_128BIT, false);
  check_pair(RD_RDPSEC_METHOD_128BIT, true);
  check_pair(RD_RDPSEC_METHOD_FIPS, false);
}

static void test_rd_rdpsec_session_keys_shape(void **state) {
  uint8_t cr[32], sr[32], mk[16], enc[24], dec[24], mk2[16], enc2[24], dec2[24], mac[8], buf[8];
  rd_rdpsec_session *c, *s;
  size_t len;
  uint8_t pad;
  randoms(cr, sr);
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_40BIT, true, cr, sr, &c), 0);
  rd_rdpsec_session_keys(c, mk, enc, dec, &len);
  assert_int_equal(len, 8);
  static const uint8_t salt40[3] = {0xd1, 0x26, 0x9e};
  assert_memory_equal(mk, salt40, 3);
  assert_memory_equal(enc, salt40, 3);
  assert_memory_equal(dec, salt40, 3);
  rd_rdpsec_session_free(c);
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_56BIT, true, cr, sr, &c), 0);
  rd_rdpsec_session_keys(c, mk, enc, dec, &len);
  assert_int_equal(mk[0], 0xd1);
  assert_int_equal(enc[0], 0xd1);
  assert_int_equal(dec[0], 0xd1);
  rd_rdpsec_session_free(c);
  /* 128-bit: the client's encryption key is the server's decryption key; one MAC key. */
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_128BIT, true, cr, sr, &c), 0);
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_128BIT, false, cr, sr, &s), 0);
  rd_rdpsec_session_keys(c, mk, enc, dec, &len);
  rd_rdpsec_session_keys(s, mk2, enc2, dec2, &len);
  assert_int_equal(len, 16);
  assert_memory_equal(mk, mk2, 16);
  assert_memory_equal(enc, dec2, 16);
  assert_memory_equal(dec, enc2, 16);
  assert_memory_not_equal(enc, dec, 16);
  /* The key changes once 4096 packets used it, and not before. */
  memset(buf, 0, sizeof buf);
  for (int i = 0; i < RD_RDPSEC_UPDATE_INTERVAL; i++)
    assert_int_equal(rd_rdpsec_encrypt(c, buf, sizeof buf, false, buf, sizeof buf, mac, &pad), 0);
  rd_rdpsec_session_keys(c, mk2, enc2, dec2, &len);
  assert_memory_equal(enc2, enc, 16);
  assert_int_equal(rd_rdpsec_encrypt(c, buf, sizeof buf, false, buf, sizeof buf, mac, &pad), 0);
  rd_rdpsec_session_keys(c, mk2, enc2, dec2, &len);
  assert_memory_not_equal(enc2, enc, 16);
  assert_memory_equal(dec2, dec, 16);
  rd_rdpsec_session_free(c);
  rd_rdpsec_session_free(s);
  /* FIPS: 24 key bytes, each of odd parity. */
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_FIPS, true, cr, sr, &c), 0);
  rd_rdpsec_session_keys(c, mk, enc, dec, &len);
  assert_int_equal(len, 24);
  for (int i = 0; i < 24; i++) {
    assert_int_equal(__builtin_popcount(enc[i]) % 2, 1);
    assert_int_equal(__builtin_popcount(dec[i]) % 2, 1);
  }
  rd_rdpsec_session_free(c);
  assert_int_equal(rd_rdpsec_session_new(lib, 0x04, true, cr, sr, &c), RD_E_INVALID);
}

static void test_rd_rdpsec_sign_verify(void **state) {
  uint8_t cr[32], sr[32], mac[8], mac2[8];
  rd_rdpsec_session *c, *s;
  randoms(cr, sr);
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_128BIT, true, cr, sr, &c), 0);
  assert_int_equal(rd_rdpsec_session_new(lib, RD_RDPSEC_METHOD_128BIT, false, cr, sr, &s), 0);
  assert_int_equal(rd_rdpsec_sign(c, (const uint8_t *)"hello", 5, true, mac), 0);
  assert_int_equal(rd_rdpsec_verify(s, (const uint8_t *)"hello", 5, true, mac), 0);
  assert_int_equal(rd_rdpsec_verify(s, (const uint8_t *)"hellO", 5, true, mac), RD_E_MALFORMED);
  /* Salted and unsalted MACs differ; the unsalted one does not depend on the count. */
  assert_int_equal(rd_rdpsec_sign(c, (const uint8_t *)"hello", 5, false, mac2), 0);
  assert_memory_not_equal(mac, mac2, 8);
  rd_rdpsec_session_free(c);
  rd_rdpsec_session_free(s);
}

/* A self-signed certificate over an RSA key of the given bits, as DER (OPENSSL_malloc'd); *n_out
 * the key's modulus, big-endian. */
static int rsa_cert(int bits, unsigned char **der, BIGNUM **n_out) {
  EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);
  assert_non_null(key);
  int len = rd_test_selfsigned_key(key, "ts", 7, der);
  assert_true(len > 0);
  assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, n_out), 1);
  EVP_PKEY_free(key);
  return len;
}

/* 5.3.3.2: the server key of an X.509 chain is its last certificate's RSA key, little-endian. */
static void test_rd_rdpsec_x509_key(void **state) {
  unsigned char *der = NULL;
  BIGNUM *n = NULL;
  uint8_t mod[512], want[512];
  rd_sec_rsa_key key;
  int len = rsa_cert(1024, &der, &n);
  assert_int_equal(rd_rdpsec_x509_key(lib, der, (size_t)len, mod, sizeof mod, &key), 0);
  assert_int_equal(key.modulus_len, 128);
  assert_int_equal(key.bitlen, 1024);
  assert_int_equal(key.keylen, 136);
  assert_int_equal(key.pub_exp, 65537);
  assert_ptr_equal(key.modulus, mod);
  assert_int_equal(BN_bn2lebinpad(n, want, 128), 128);
  assert_memory_equal(mod, want, 128);
  /* The key works for the exchange: a random encrypts under it. */
  uint8_t random[32] = {1, 2, 3}, enc[128];
  size_t enc_len = 0;
  assert_int_equal(rd_rdpsec_encrypt_random(lib, &key, random, sizeof random, enc, sizeof enc, &enc_len), 0);
  assert_int_equal(enc_len, 128);
  /* Too little room, a trailing byte, a byte short, not a certificate. */
  assert_int_equal(rd_rdpsec_x509_key(lib, der, (size_t)len, mod, 64, &key), RD_E_TOO_BIG);
  unsigned char *longer = malloc((size_t)len + 1);
  memcpy(longer, der, (size_t)len);
  longer[len] = 0;
  assert_int_equal(rd_rdpsec_x509_key(lib, longer, (size_t)len + 1, mod, sizeof mod, &key), RD_E_MALFORMED);
  assert_int_equal(rd_rdpsec_x509_key(lib, longer, (size_t)len - 1, mod, sizeof mod, &key), RD_E_MALFORMED);
  assert_int_equal(rd_rdpsec_x509_key(lib, spec_cert, sizeof spec_cert, mod, sizeof mod, &key), RD_E_MALFORMED);
  free(longer);
  OPENSSL_free(der);
  BN_free(n);
  /* An EC key cannot carry the client random. */
  der = NULL;
  len = rd_test_selfsigned("ec", 3, &der);
  assert_true(len > 0);
  assert_int_equal(rd_rdpsec_x509_key(lib, der, (size_t)len, mod, sizeof mod, &key), RD_E_UNSUPPORTED);
  OPENSSL_free(der);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_rdpsec_verify_proprietary_spec_4_1_4),
      cmocka_unit_test(test_rd_rdpsec_rsa_raw_tssk_roundtrip),
      cmocka_unit_test(test_rd_rdpsec_encrypt_random_spec_key),
      cmocka_unit_test(test_rd_rdpsec_license_keys_ironrdp),
      cmocka_unit_test(test_rd_rdpsec_license_mac_ironrdp),
      cmocka_unit_test(test_rd_rdpsec_license_rc4_platform_challenge),
      cmocka_unit_test(test_rd_rdpsec_session_pairs),
      cmocka_unit_test(test_rd_rdpsec_session_keys_shape),
      cmocka_unit_test(test_rd_rdpsec_sign_verify),
      cmocka_unit_test(test_rd_rdpsec_x509_key),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
