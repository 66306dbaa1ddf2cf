/* BER/DER: lengths in every form, signed integers, TLV walking, DER length widening on close, the
 * framing helper, and the nmap NEGOTIATE TSRequest (reference §4.5) in both directions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* nmap rdp-ntlm-info's TSRequest carrying an NTLM NEGOTIATE (reference §4.5). */
static const uint8_t nmap_tsreq[] = {
    0x30, 0x37,                               /* TSRequest SEQUENCE, 55 */
    0xa0, 0x03, 0x02, 0x01, 0x60,             /* [0] version INTEGER 96 */
    0xa1, 0x30,                               /* [1] negoTokens, 48 */
    0x30, 0x2e,                               /* NegoData SEQUENCE OF, 46 */
    0x30, 0x2c,                               /* NegoDataItem SEQUENCE, 44 */
    0xa0, 0x2a,                               /* [0] negoToken, 42 */
    0x04, 0x28,                               /* OCTET STRING, 40 */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /* "NTLMSSP\0" */
    0x01, 0x00, 0x00, 0x00,                   /* NEGOTIATE */
    0xb7, 0x82, 0x08, 0xe2,                   /* flags 0xE20882B7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DomainNameFields */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* WorkstationFields */
    0x0a, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0f, /* Version 10.0.17763, rev 15 */
};

static void test_rd_ber_get_length_short_form(void **state) {
  static const uint8_t d[] = {0x02, 0xaa, 0xbb};
  rd_cur c;
  size_t len;
  rd_cur_init(&c, d, sizeof d);
  assert_true(rd_ber_get_length(&c, &len));
  assert_int_equal(len, 2);
  assert_cur_at(&c, d + 1, 2);
}

static void test_rd_ber_get_length_long_forms(void **state) {
  static uint8_t d[70000];
  rd_cur c;
  size_t len;
  d[0] = 0x81, d[1] = 0x80;
  rd_cur_init(&c, d, 2 + 0x80);
  assert_true(rd_ber_get_length(&c, &len));
  assert_int_equal(len, 0x80);
  d[0] = 0x82, d[1] = 0x01, d[2] = 0x00;
  rd_cur_init(&c, d, 3 + 0x100);
  assert_true(rd_ber_get_length(&c, &len));
  assert_int_equal(len, 0x100);
  d[0] = 0x83, d[1] = 0x01, d[2] = 0x00, d[3] = 0x00;
  rd_cur_init(&c, d, 4 + 0x10000);
  assert_true(rd_ber_get_length(&c, &len));
  assert_int_equal(len, 0x10000);
  d[0] = 0x84, d[1] = 0x00, d[2] = 0x00, d[3] = 0x00, d[4] = 0x05;
  rd_cur_init(&c, d, 10); /* non-minimal, accepted as BER */
  assert_true(rd_ber_get_length(&c, &len));
  assert_int_equal(len, 5);
  assert_true(rd_cur_is_empty(&c) == false && rd_cur_len(&c) == 5);
}

static void test_rd_ber_get_length_rejected_forms(void **state) {
  static const uint8_t indefinite[] = {0x80, 0x00, 0x00};
  static const uint8_t reserved[] = {0xff, 0x00};
  static const uint8_t five[] = {0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
  static const uint8_t cut[] = {0x82, 0x01};
  static const uint8_t none[] = {0x00};
  rd_cur c;
  size_t len;
  rd_cur_init(&c, indefinite, sizeof indefinite);
  assert_false(rd_ber_get_length(&c, &len));
  assert_cur_at(&c, indefinite, sizeof indefinite);
  rd_cur_init(&c, reserved, sizeof reserved);
  assert_false(rd_ber_get_length(&c, &len));
  rd_cur_init(&c, five, sizeof five);
  assert_false(rd_ber_get_length(&c, &len));
  rd_cur_init(&c, cut, sizeof cut);
  assert_false(rd_ber_get_length(&c, &len));
  assert_cur_at(&c, cut, sizeof cut);
  rd_cur_init(&c, none, 0);
  assert_false(rd_ber_get_length(&c, &len));
}

static void test_rd_ber_get_length_giant_length(void **state) {
  static const uint8_t d[] = {0x84, 0xff, 0xff, 0xff, 0xff, 0x00};
  rd_cur c;
  size_t len;
  rd_cur_init(&c, d, sizeof d);
  assert_false(rd_ber_get_length(&c, &len));
  assert_cur_at(&c, d, sizeof d);
}

static void test_rd_ber_get_tlv_exact_fit(void **state) {
  static const uint8_t d[] = {0x04, 0x02, 0xaa, 0xbb};
  rd_cur c, body;
  rd_cur_init(&c, d, sizeof d);
  assert_true(rd_ber_get_tlv(&c, RD_BER_OCTET_STRING, &body));
  assert_true(rd_cur_is_empty(&c));
  assert_ptr_equal(rd_cur_data(&body), d + 2);
  assert_int_equal(rd_cur_len(&body), 2);
}

static void test_rd_ber_get_tlv_one_byte_short(void **state) {
  static const uint8_t d[] = {0x04, 0x02, 0xaa, 0xbb};
  rd_cur c, body;
  rd_cur_init(&c, d, sizeof d - 1);
  assert_false(rd_ber_get_tlv(&c, RD_BER_OCTET_STRING, &body));
  assert_cur_at(&c, d, sizeof d - 1);
}

static void test_rd_ber_get_tlv_trailing_byte(void **state) {
  static const uint8_t d[] = {0x04, 0x01, 0xaa, 0x30};
  rd_cur c, body;
  rd_cur_init(&c, d, sizeof d);
  assert_true(rd_ber_get_octet_string(&c, &body));
  assert_cur_at(&c, d + 3, 1); /* the next element is the caller's */
}

static void test_rd_ber_get_tlv_wrong_tag(void **state) {
  static const uint8_t d[] = {0x04, 0x01, 0xaa};
  static const uint8_t high[] = {0x1f, 0x01, 0xaa};
  rd_cur c, body;
  uint8_t tag;
  rd_cur_init(&c, d, sizeof d);
  assert_false(rd_ber_get_sequence(&c, &body));
  assert_cur_at(&c, d, sizeof d);
  rd_cur_init(&c, high, sizeof high);
  assert_false(rd_ber_get_any_tlv(&c, &tag, &body));
}

static void test_rd_ber_get_optional_context(void **state) {
  static const uint8_t d[] = {0xa3, 0x01, 0x05, 0xa4, 0x05, 0x00};
  rd_cur c, body;
  bool present = true;
  rd_cur_init(&c, d, sizeof d);
  assert_true(rd_ber_get_optional_context(&c, 2, &body, &present)); /* absent */
  assert_false(present);
  assert_cur_at(&c, d, sizeof d);
  assert_true(rd_ber_get_optional_context(&c, 3, &body, &present));
  assert_true(present);
  assert_int_equal(rd_cur_len(&body), 1);
  /* [4] is there but claims 5 bytes of 1: malformed, not absent. */
  assert_false(rd_ber_get_optional_context(&c, 4, &body, &present));
  assert_cur_at(&c, d + 3, 3);
  assert_false(rd_ber_get_context(&c, 31, &body));
}

static void test_rd_ber_get_integer_error_code(void **state) {
  /* MS-CSSP errorCode: a 4-byte negative INTEGER (sspi-rs vector, reference §4.1). */
  static const uint8_t d[] = {0xa4, 0x06, 0x02, 0x04, 0xc0, 0x07, 0x00, 0xea};
  rd_cur c, ctx;
  int64_t v;
  rd_cur_init(&c, d, sizeof d);
  assert_true(rd_ber_get_context(&c, 4, &ctx));
  assert_true(rd_cur_is_empty(&c));
  assert_true(rd_ber_get_integer(&ctx, &v));
  assert_true(rd_cur_is_empty(&ctx));
  assert_true(v < 0);
  assert_true(v == (int32_t)0xc00700eaU);
  assert_int_equal((uint32_t)v, 0xc00700eaU);
}

static void test_rd_ber_get_integer_values(void **state) {
  static const struct {
    uint8_t d[11];
    size_t n;
    int64_t v;
  } ok[] = {
      {{0x02, 0x01, 0x60}, 3, 96},
      {{0x02, 0x01, 0x00}, 3, 0},
      {{0x02, 0x01, 0xff}, 3, -1},
      {{0x02, 0x01, 0x80}, 3, -128},
      {{0x02, 0x02, 0x00, 0x80}, 4, 128},
      {{0x02, 0x02, 0x00, 0x7f}, 4, 127}, /* non-minimal: accepted */
      {{0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, INT64_MIN},
      {{0x02, 0x08, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 10, INT64_MAX},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    rd_cur c;
    int64_t v;
    rd_cur_init(&c, ok[i].d, ok[i].n);
    assert_true(rd_ber_get_integer(&c, &v));
    assert_true(v == ok[i].v);
    assert_true(rd_cur_is_empty(&c));
  }
}

static void test_rd_ber_get_integer_rejected(void **state) {
  static const uint8_t empty[] = {0x02, 0x00};
  static const uint8_t nine[] = {0x02, 0x09, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
  static const uint8_t short1[] = {0x02, 0x02, 0x01};
  static const uint8_t octets[] = {0x04, 0x01, 0x01};
  const uint8_t *bad[] = {empty, nine, short1, octets};
  size_t lens[] = {sizeof empty, sizeof nine, sizeof short1, sizeof octets};
  for (size_t i = 0; i < 4; i++) {
    rd_cur c;
    int64_t v;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_false(rd_ber_get_integer(&c, &v));
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

static void expect_built(rd_bld *b, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t n;
  assert_true(rd_bld_finish(b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

static void test_rd_ber_add_integer_minimal(void **state) {
  static const struct {
    int64_t v;
    uint8_t d[10];
    size_t n;
  } cases[] = {
      {0, {0x02, 0x01, 0x00}, 3},
      {96, {0x02, 0x01, 0x60}, 3},
      {127, {0x02, 0x01, 0x7f}, 3},
      {128, {0x02, 0x02, 0x00, 0x80}, 4},
      {-1, {0x02, 0x01, 0xff}, 3},
      {-128, {0x02, 0x01, 0x80}, 3},
      {-129, {0x02, 0x02, 0xff, 0x7f}, 4},
      {(int32_t)0xc00700eaU, {0x02, 0x04, 0xc0, 0x07, 0x00, 0xea}, 6},
      {0xc00700ea, {0x02, 0x05, 0x00, 0xc0, 0x07, 0x00, 0xea}, 7},
      {INT64_MIN, {0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rd_bld b;
    rd_bld_init(&b, 64);
    assert_true(rd_ber_add_integer(&b, cases[i].v));
    expect_built(&b, cases[i].d, cases[i].n);
  }
}

static void test_rd_ber_add_integer_round_trip(void **state) {
  int64_t v = 1;
  for (int i = 0; i < 200; i++) {
    int64_t vals[] = {v, -v, v - 1, -v - 1};
    for (size_t k = 0; k < 4; k++) {
      rd_bld b;
      uint8_t *out;
      size_t n;
      rd_cur c;
      int64_t got;
      rd_bld_init(&b, 16);
      assert_true(rd_ber_add_integer(&b, vals[k]));
      assert_true(rd_bld_finish(&b, &out, &n));
      rd_cur_init(&c, out, n);
      assert_true(rd_ber_get_integer(&c, &got));
      assert_true(got == vals[k]);
      assert_true(rd_cur_is_empty(&c));
      free(out);
    }
    v = (v > INT64_MAX / 3) ? (int64_t)(i + 2) : v * 3 + 1;
  }
}

/* One SEQUENCE holding n pattern bytes; checks the header and that the content survived the
 * widening memmove. */
static void check_widen(size_t n, const uint8_t *hdr, size_t hdr_len) {
  rd_bld b, seq;
  uint8_t *out, *pat = malloc(n ? n : 1);
  size_t out_len;
  assert_non_null(pat);
  for (size_t i = 0; i < n; i++)
    pat[i] = (uint8_t)(i * 13 + 1);
  rd_bld_init(&b, 1 << 20);
  assert_true(rd_ber_add_sequence(&b, &seq));
  assert_true(rd_bld_add_bytes(&seq, pat, n));
  assert_true(rd_bld_close(&seq));
  assert_true(rd_bld_finish(&b, &out, &out_len));
  assert_int_equal(out_len, hdr_len + n);
  assert_memory_equal(out, hdr, hdr_len);
  if (n > 0)
    assert_memory_equal(out + hdr_len, pat, n);
  rd_cur c, body;
  rd_cur_init(&c, out, out_len);
  assert_true(rd_ber_get_sequence(&c, &body));
  assert_int_equal(rd_cur_len(&body), n);
  assert_true(rd_cur_is_empty(&c));
  free(out);
  free(pat);
}

static void test_rd_ber_add_sequence_length_widening(void **state) {
  check_widen(0, (const uint8_t[]){0x30, 0x00}, 2);
  check_widen(127, (const uint8_t[]){0x30, 0x7f}, 2);
  check_widen(128, (const uint8_t[]){0x30, 0x81, 0x80}, 3);
  check_widen(255, (const uint8_t[]){0x30, 0x81, 0xff}, 3);
  check_widen(256, (const uint8_t[]){0x30, 0x82, 0x01, 0x00}, 4);
  check_widen(65535, (const uint8_t[]){0x30, 0x82, 0xff, 0xff}, 4);
  check_widen(65536, (const uint8_t[]){0x30, 0x83, 0x01, 0x00, 0x00}, 5);
}

static void test_rd_ber_add_context_nested_widening(void **state) {
  /* An inner element that widens moves bytes the outer one must still count. */
  static const uint8_t hdr[] = {0x30, 0x81, 0xcb, 0xa1, 0x81, 0xc8, 0x04, 0x81, 0xc5};
  rd_bld b, seq, ctx, os;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1024);
  assert_true(rd_ber_add_sequence(&b, &seq));
  assert_true(rd_ber_add_context(&seq, 1, &ctx));
  assert_true(rd_ber_add_octet_string(&ctx, &os));
  assert_true(rd_bld_add_zeros(&os, 197));
  assert_true(rd_bld_finish(&b, &out, &n)); /* closes all three */
  assert_int_equal(n, sizeof hdr + 197);
  assert_memory_equal(out, hdr, sizeof hdr);
  free(out);
}

static void test_rd_ber_add_context_bad_number(void **state) {
  rd_bld b, ctx;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_false(rd_ber_add_context(&b, 31, &ctx));
  assert_false(rd_bld_add_u8(&ctx, 0));
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_ber_add_sequence_over_max(void **state) {
  rd_bld b, seq;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 130); /* 2 + 128 fits, the widened 3 + 128 does not */
  assert_true(rd_ber_add_sequence(&b, &seq));
  assert_true(rd_bld_add_zeros(&seq, 128));
  assert_false(rd_bld_close(&seq));
  assert_false(rd_bld_finish(&b, &out, &n));
}

/* Walks the nmap TSRequest with the primitives, then builds it again from the fields. */
static void test_rd_ber_get_sequence_nmap_tsrequest(void **state) {
  rd_cur c, req, ver, nego, data, item, tok, ntlm;
  int64_t version;
  bool present;
  rd_cur_init(&c, nmap_tsreq, sizeof nmap_tsreq);
  assert_true(rd_ber_get_sequence(&c, &req));
  assert_true(rd_cur_is_empty(&c));
  assert_true(rd_ber_get_context(&req, 0, &ver));
  assert_true(rd_ber_get_integer(&ver, &version));
  assert_true(rd_cur_is_empty(&ver));
  assert_true(version == 0x60);
  assert_true(rd_ber_get_optional_context(&req, 1, &nego, &present));
  assert_true(present);
  assert_true(rd_ber_get_optional_context(&req, 2, &data, &present)); /* no authInfo */
  assert_false(present);
  assert_true(rd_cur_is_empty(&req));
  assert_true(rd_ber_get_sequence(&nego, &data));
  assert_true(rd_cur_is_empty(&nego));
  assert_true(rd_ber_get_sequence(&data, &item));
  assert_true(rd_cur_is_empty(&data));
  assert_true(rd_ber_get_context(&item, 0, &tok));
  assert_true(rd_cur_is_empty(&item));
  assert_true(rd_ber_get_octet_string(&tok, &ntlm));
  assert_true(rd_cur_is_empty(&tok));
  assert_int_equal(rd_cur_len(&ntlm), 40);
  assert_memory_equal(rd_cur_data(&ntlm), "NTLMSSP\0", 8);

  rd_bld b, s, c0, c1, sq1, sq2, c00, os;
  rd_bld_init(&b, 4096);
  assert_true(rd_ber_add_sequence(&b, &s));
  assert_true(rd_ber_add_context(&s, 0, &c0));
  assert_true(rd_ber_add_integer(&c0, version));
  assert_true(rd_bld_close(&c0));
  assert_true(rd_ber_add_context(&s, 1, &c1));
  assert_true(rd_ber_add_sequence(&c1, &sq1));
  assert_true(rd_ber_add_sequence(&sq1, &sq2));
  assert_true(rd_ber_add_context(&sq2, 0, &c00));
  assert_true(rd_ber_add_octet_string(&c00, &os));
  assert_true(rd_bld_add_bytes(&os, rd_cur_data(&ntlm), rd_cur_len(&ntlm)));
  assert_true(rd_bld_close(&c1)); /* closes os, c00, sq2 and sq1 on the way */
  assert_true(rd_bld_close(&s));
  expect_built(&b, nmap_tsreq, sizeof nmap_tsreq);
}

static void test_rd_ber_frame_need_exact_fit(void **state) {
  size_t need = 0;
  assert_int_equal(rd_ber_frame_need(nmap_tsreq, sizeof nmap_tsreq, 65536, &need), 0);
  assert_int_equal(need, sizeof nmap_tsreq);
  /* The header alone is enough to know the size. */
  assert_int_equal(rd_ber_frame_need(nmap_tsreq, 2, 65536, &need), 0);
  assert_int_equal(need, 57);
}

static void test_rd_ber_frame_need_one_byte_short(void **state) {
  static const uint8_t d[] = {0x30, 0x82, 0x01, 0x00};
  size_t need = 0;
  assert_int_equal(rd_ber_frame_need(d, 0, 65536, &need), RD_E_SHORT);
  assert_int_equal(rd_ber_frame_need(d, 1, 65536, &need), RD_E_SHORT);
  assert_int_equal(rd_ber_frame_need(d, 3, 65536, &need), RD_E_SHORT);
  assert_int_equal(rd_ber_frame_need(d, 4, 65536, &need), 0);
  assert_int_equal(need, 4 + 256);
}

static void test_rd_ber_frame_need_giant_length(void **state) {
  static const uint8_t d4[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t d5[] = {0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01};
  size_t need = 0;
  assert_int_equal(rd_ber_frame_need(d4, sizeof d4, 65536, &need), RD_E_TOO_BIG);
  assert_int_equal(rd_ber_frame_need(d5, sizeof d5, 65536, &need), RD_E_TOO_BIG);
  if (SIZE_MAX > 0xffffffffu) { /* a 4 GiB TLV only fits in a 64-bit size_t */
    assert_int_equal(rd_ber_frame_need(d4, sizeof d4, SIZE_MAX, &need), 0);
    assert_true(need == (size_t)0xffffffffu + 6);
  }
  /* max counts the header too. */
  assert_int_equal(rd_ber_frame_need(nmap_tsreq, 2, 56, &need), RD_E_TOO_BIG);
  assert_int_equal(rd_ber_frame_need(nmap_tsreq, 2, 57, &need), 0);
}

static void test_rd_ber_frame_need_malformed(void **state) {
  static const uint8_t indefinite[] = {0x30, 0x80};
  static const uint8_t reserved[] = {0x30, 0xff};
  static const uint8_t high[] = {0x1f};
  size_t need = 0;
  assert_int_equal(rd_ber_frame_need(indefinite, 2, 65536, &need), RD_E_MALFORMED);
  assert_int_equal(rd_ber_frame_need(reserved, 2, 65536, &need), RD_E_MALFORMED);
  assert_int_equal(rd_ber_frame_need(high, 1, 65536, &need), RD_E_MALFORMED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_ber_get_length_short_form),
      cmocka_unit_test(test_rd_ber_get_length_long_forms),
      cmocka_unit_test(test_rd_ber_get_length_rejected_forms),
      cmocka_unit_test(test_rd_ber_get_length_giant_length),
      cmocka_unit_test(test_rd_ber_get_tlv_exact_fit),
      cmocka_unit_test(test_rd_ber_get_tlv_one_byte_short),
      cmocka_unit_test(test_rd_ber_get_tlv_trailing_byte),
      cmocka_unit_test(test_rd_ber_get_tlv_wrong_tag),
      cmocka_unit_test(test_rd_ber_get_optional_context),
      cmocka_unit_test(test_rd_ber_get_integer_error_code),
      cmocka_unit_test(test_rd_ber_get_integer_values),
      cmocka_unit_test(test_rd_ber_get_integer_rejected),
      cmocka_unit_test(test_rd_ber_add_integer_minimal),
      cmocka_unit_test(test_rd_ber_add_integer_round_trip),
      cmocka_unit_test(test_rd_ber_add_sequence_length_widening),
      cmocka_unit_test(test_rd_ber_add_context_nested_widening),
      cmocka_unit_test(test_rd_ber_add_context_bad_number),
      cmocka_unit_test(test_rd_ber_add_sequence_over_max),
      cmocka_unit_test(test_rd_ber_get_sequence_nmap_tsrequest),
      cmocka_unit_test(test_rd_ber_frame_need_exact_fit),
      cmocka_unit_test(test_rd_ber_frame_need_one_byte_short),
      cmocka_unit_test(test_rd_ber_frame_need_giant_length),
      cmocka_unit_test(test_rd_ber_frame_need_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
