/* The Standard RDP Security layer (src/probe/seclayer.c) against a server side made of the same
 * auth/rdpsec primitives: what the layer wraps, a server decrypts and verifies; what a server
 * encrypts (slow-path and fast-path, plain and salted MACs, RC4 and FIPS), the layer unwraps; a
 * MAC that does not verify spends the stream; headers cut short or impossible are malformed. The
 * header shapes themselves are pinned to MS-RDPBCGR 4.1.9-4.1.11 in test_sec.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "probe/seclayer.h"

static rd_rdpsec_lib *lib;

static int setup(void **state) {
  const char *why;
  (void)state;
  lib = rd_rdpsec_lib_new(&why);
  return lib == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  rd_rdpsec_lib_free(lib);
  return 0;
}

static void randoms(uint8_t cr[32], uint8_t sr[32]) {
  for (int i = 0; i < 32; i++) {
    cr[i] = (uint8_t)(0x31 + 7 * i);
    sr[i] = (uint8_t)(0xc0 - i);
  }
}

/* The server's PDU: security header of kind (SEC_ENCRYPT when encrypt) and payload, as bytes. */
static size_t server_pdu(rd_rdpsec_session *srv, rd_sec_hdr_kind kind, uint16_t flags, bool encrypt, bool salted,
                         const uint8_t *payload, size_t n, uint8_t *out, size_t cap) {
  rd_sec_header h = {.flags = flags};
  uint8_t enc[256];
  size_t len = n;
  rd_bld b;
  uint8_t *bytes;
  size_t total;
  if (encrypt) {
    h.flags |= RD_SEC_ENCRYPT | (salted ? RD_SEC_SECURE_CHECKSUM : 0);
    assert_int_equal(rd_rdpsec_encrypt(srv, payload, n, salted, enc, sizeof enc, h.mac, &h.fips_pad_len), 0);
    len = n + h.fips_pad_len;
  } else {
    memcpy(enc, payload, n);
  }
  rd_bld_init(&b, 512);
  assert_int_equal(rd_sec_encode_header(&h, kind, &b), 0);
  assert_true(rd_bld_add_bytes(&b, enc, len));
  assert_true(rd_bld_finish(&b, &bytes, &total));
  assert_true(total <= cap);
  memcpy(out, bytes, total);
  free(bytes);
  return total;
}

/* What the layer sent, checked and decrypted by the server. */
static void server_reads(rd_rdpsec_session *srv, rd_sec_hdr_kind kind, const uint8_t *wire, size_t n,
                         uint16_t want_flags, const uint8_t *want, size_t want_len) {
  rd_cur c;
  rd_sec_header h;
  uint8_t plain[256];
  size_t len = 0;
  rd_cur_init(&c, wire, n);
  assert_int_equal(rd_sec_decode_header(&c, kind, &h), 0);
  assert_int_equal(h.flags, want_flags);
  assert_int_equal(rd_rdpsec_decrypt(srv, rd_cur_data(&c), rd_cur_len(&c), h.fips_pad_len,
                                     (h.flags & RD_SEC_SECURE_CHECKSUM) != 0, h.mac, plain, &len),
                   0);
  assert_int_equal(len, want_len);
  assert_memory_equal(plain, want, len);
}

static size_t wrap(rd_seclayer *l, uint16_t flags, bool encrypt, const uint8_t *p, size_t n, uint8_t **out) {
  rd_bld b;
  size_t len;
  rd_bld_init(&b, 512);
  assert_int_equal(rd_seclayer_wrap(l, flags, encrypt, p, n, &b), 0);
  assert_true(rd_bld_finish(&b, out, &len));
  return len;
}

static void roundtrip(uint32_t method, rd_sec_hdr_kind kind) {
  uint8_t cr[32], sr[32], info[77], pdu[512], *out;
  rd_seclayer l;
  rd_rdpsec_session *srv;
  rd_sec_header h;
  rd_cur c, body;
  memset(&l, 0, sizeof l);
  randoms(cr, sr);
  for (size_t i = 0; i < sizeof info; i++)
    info[i] = (uint8_t)(i * 3);
  assert_int_equal(rd_seclayer_start(&l, lib, method, cr, sr), 0);
  assert_int_equal(rd_rdpsec_session_new(lib, method, false, cr, sr, &srv), 0);
  /* The Client Info: encrypted, plain MAC (the server has not salted yet). */
  size_t n = wrap(&l, RD_SEC_INFO_PKT, true, info, sizeof info, &out);
  server_reads(srv, kind, out, n, RD_SEC_INFO_PKT | RD_SEC_ENCRYPT, info, sizeof info);
  free(out);
  /* A licensing PDU in clear: the basic header only. */
  n = wrap(&l, RD_SEC_LICENSE_PKT, false, info, 5, &out);
  assert_int_equal(n, 9);
  assert_int_equal(out[0], RD_SEC_LICENSE_PKT);
  assert_memory_equal(out + 4, info, 5);
  free(out);
  /* The server: a clear licensing PDU, an encrypted one, then one with a salted MAC. */
  static const uint8_t lic[] = {0xff, 0x03, 0x10, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                                0x04, 0x00, 0x00, 0x00};
  n = server_pdu(srv, kind, RD_SEC_LICENSE_PKT, false, false, lic, sizeof lic, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), 0);
  assert_int_equal(rd_cur_len(&body), sizeof lic);
  assert_memory_equal(rd_cur_data(&body), lic, sizeof lic);
  n = server_pdu(srv, kind, RD_SEC_LICENSE_PKT, true, false, lic, sizeof lic, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), 0);
  assert_true(h.flags & RD_SEC_ENCRYPT);
  assert_int_equal(rd_cur_len(&body), sizeof lic);
  assert_memory_equal(rd_cur_data(&body), lic, sizeof lic);
  assert_false(l.salted);
  n = server_pdu(srv, kind, 0, true, true, info, 30, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), 0);
  assert_memory_equal(rd_cur_data(&body), info, 30);
  assert_true(l.salted);
  assert_int_equal(l.received_encrypted, 2);
  assert_int_equal(l.received_salted, 1);
  /* Now ours are salted too. */
  n = wrap(&l, 0, true, info, 20, &out);
  server_reads(srv, kind, out, n, RD_SEC_ENCRYPT | RD_SEC_SECURE_CHECKSUM, info, 20);
  free(out);
  assert_int_equal(l.sent_encrypted, 2);
  /* A fast-path PDU the server encrypted keeps the stream in step: the next slow-path decrypts. */
  uint8_t fp[128], mac[8], pad = 0, enc[64];
  assert_int_equal(rd_rdpsec_encrypt(srv, info, 16, false, enc, sizeof enc, mac, &pad), 0);
  size_t at = 0;
  fp[at++] = 0x80; /* FASTPATH_OUTPUT_ENCRYPTED, action 0 */
  size_t fp_len = 3 + (kind == RD_SEC_HDR_FIPS ? 4 : 0) + 8 + 16 + pad;
  fp[at++] = (uint8_t)(0x80 | fp_len >> 8);
  fp[at++] = (uint8_t)fp_len;
  if (kind == RD_SEC_HDR_FIPS) {
    fp[at++] = 0x10, fp[at++] = 0x00, fp[at++] = 0x01, fp[at++] = pad;
  }
  memcpy(fp + at, mac, 8);
  memcpy(fp + at + 8, enc, 16 + pad);
  assert_int_equal(rd_seclayer_unwrap_fastpath(&l, fp, fp_len), 0);
  n = server_pdu(srv, kind, 0, true, false, info, 40, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), 0);
  assert_memory_equal(rd_cur_data(&body), info, 40);
  /* A MAC that does not verify spends the stream; a PDU in clear still reads. */
  n = server_pdu(srv, kind, 0, true, false, info, 40, pdu, sizeof pdu);
  pdu[n - 1] ^= 0x01;
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_STATE);
  assert_true(l.spent);
  n = server_pdu(srv, kind, 0, true, false, info, 40, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_STATE);
  n = server_pdu(srv, kind, 0, false, false, info, 8, pdu, sizeof pdu);
  rd_cur_init(&c, pdu, n);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), 0);
  assert_int_equal(rd_cur_len(&body), 8);
  rd_rdpsec_session_free(srv);
  rd_seclayer_free(&l);
  assert_null(l.s);
}

static void test_rd_seclayer_roundtrip_rc4(void **state) {
  (void)state;
  roundtrip(RD_RDPSEC_METHOD_40BIT, RD_SEC_HDR_NON_FIPS);
  roundtrip(RD_RDPSEC_METHOD_56BIT, RD_SEC_HDR_NON_FIPS);
  roundtrip(RD_RDPSEC_METHOD_128BIT, RD_SEC_HDR_NON_FIPS);
}

static void test_rd_seclayer_roundtrip_fips(void **state) {
  (void)state;
  roundtrip(RD_RDPSEC_METHOD_FIPS, RD_SEC_HDR_FIPS);
}

static void test_rd_seclayer_unwrap_malformed(void **state) {
  uint8_t cr[32], sr[32];
  rd_seclayer l;
  rd_sec_header h;
  rd_cur c, body;
  (void)state;
  memset(&l, 0, sizeof l);
  /* Before the keys: a header says SEC_ENCRYPT (nothing can decrypt it), or is cut short. */
  static const uint8_t enc[] = {0x08, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  static const uint8_t cut[] = {0x80, 0x00, 0x00};
  rd_cur_init(&c, enc, sizeof enc);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  assert_ptr_equal(rd_cur_data(&c), enc); /* the caller's cursor never moves */
  rd_cur_init(&c, cut, sizeof cut);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  /* Encrypted fast-path before the keys; a fast-path header cut short. */
  static const uint8_t fp[] = {0x80, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  assert_int_equal(rd_seclayer_unwrap_fastpath(&l, fp, sizeof fp), RD_E_MALFORMED);
  assert_int_equal(rd_seclayer_unwrap_fastpath(&l, fp, 1), RD_E_MALFORMED);
  assert_int_equal(rd_seclayer_unwrap_fastpath(&l, (const uint8_t[]){0x00, 0x02}, 2), 0); /* in clear */
  /* FIPS: a length field other than 16, a pad above 7, ciphertext not in 8-byte blocks, a MAC cut. */
  randoms(cr, sr);
  assert_int_equal(rd_seclayer_start(&l, lib, RD_RDPSEC_METHOD_FIPS, cr, sr), 0);
  uint8_t f[4 + 4 + 8 + 8] = {0x08, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
  f[4] = 0x0f;
  rd_cur_init(&c, f, sizeof f);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  f[4] = 0x10, f[7] = 8;
  rd_cur_init(&c, f, sizeof f);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  f[7] = 0;
  rd_cur_init(&c, f, sizeof f - 3);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  rd_cur_init(&c, f, 14);
  assert_int_equal(rd_seclayer_unwrap(&l, &c, &h, &body), RD_E_MALFORMED);
  assert_false(l.spent); /* none of these touched the stream */
  /* An unknown method. */
  assert_int_equal(rd_seclayer_start(&l, lib, 0x04, cr, sr), RD_E_INVALID);
  rd_seclayer_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_seclayer_roundtrip_rc4),
      cmocka_unit_test(test_rd_seclayer_roundtrip_fips),
      cmocka_unit_test(test_rd_seclayer_unwrap_malformed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
