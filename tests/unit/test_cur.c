/* rd_cur and rd_bld: bounds, byte order, failure leaves the cursor unmoved, sticky builder errors,
 * child builders and their back-patched lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/cur.h"

/* A failed get must leave the cursor exactly where it was (STYLE.md §3). */
#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

static const uint8_t nine[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_rd_cur_init_null(void **state) {
  rd_cur c;
  uint8_t v;
  rd_cur_init(&c, NULL, 5); /* a NULL pointer never claims bytes */
  assert_true(rd_cur_is_empty(&c));
  assert_false(rd_cur_get_u8(&c, &v));
}

static void test_rd_cur_get_u8_exact_fit(void **state) {
  rd_cur c;
  uint8_t v;
  rd_cur_init(&c, nine, 1);
  assert_true(rd_cur_get_u8(&c, &v));
  assert_int_equal(v, 0x01);
  assert_true(rd_cur_is_empty(&c));
  assert_false(rd_cur_get_u8(&c, &v));
  assert_cur_at(&c, nine + 1, 0);
}

static void test_rd_cur_get_ints_byte_order(void **state) {
  rd_cur c;
  uint16_t a, b;
  uint32_t d, e;
  uint64_t q;
  rd_cur_init(&c, nine, sizeof nine);
  assert_true(rd_cur_get_u16le(&c, &a));
  assert_int_equal(a, 0x0201);
  assert_true(rd_cur_get_u16be(&c, &b));
  assert_int_equal(b, 0x0304);
  rd_cur_init(&c, nine, sizeof nine);
  assert_true(rd_cur_get_u32le(&c, &d));
  assert_int_equal(d, 0x04030201);
  assert_true(rd_cur_get_u32be(&c, &e));
  assert_int_equal(e, 0x05060708);
  assert_int_equal(rd_cur_len(&c), 1);
  rd_cur_init(&c, nine, sizeof nine);
  assert_true(rd_cur_get_u64le(&c, &q));
  assert_true(q == 0x0807060504030201ull);
  assert_cur_at(&c, nine + 8, 1);
}

static void test_rd_cur_get_ints_one_byte_short(void **state) {
  rd_cur c;
  uint16_t s;
  uint32_t w;
  uint64_t q;
  rd_cur_init(&c, nine, 1);
  assert_false(rd_cur_get_u16le(&c, &s));
  assert_false(rd_cur_get_u16be(&c, &s));
  assert_cur_at(&c, nine, 1);
  rd_cur_init(&c, nine, 3);
  assert_false(rd_cur_get_u32le(&c, &w));
  assert_false(rd_cur_get_u32be(&c, &w));
  assert_cur_at(&c, nine, 3);
  rd_cur_init(&c, nine, 7);
  assert_false(rd_cur_get_u64le(&c, &q));
  assert_cur_at(&c, nine, 7);
}

static void test_rd_cur_get_after_failure_unchanged(void **state) {
  rd_cur c;
  uint32_t w;
  uint16_t s;
  uint8_t b[4];
  rd_cur_init(&c, nine, 3);
  assert_false(rd_cur_get_u32be(&c, &w));
  assert_false(rd_cur_get_bytes(&c, b, 4));
  assert_cur_at(&c, nine, 3);
  assert_true(rd_cur_get_u16be(&c, &s)); /* the bytes are still there */
  assert_int_equal(s, 0x0102);
}

static void test_rd_cur_peek_u8_does_not_move(void **state) {
  rd_cur c;
  uint8_t v;
  uint16_t s;
  rd_cur_init(&c, nine, 2);
  assert_true(rd_cur_peek_u8(&c, &v));
  assert_int_equal(v, 0x01);
  assert_true(rd_cur_peek_u16be(&c, &s));
  assert_int_equal(s, 0x0102);
  assert_cur_at(&c, nine, 2);
  rd_cur_init(&c, nine, 1);
  assert_false(rd_cur_peek_u16be(&c, &s));
  rd_cur_init(&c, nine, 0);
  assert_false(rd_cur_peek_u8(&c, &v));
}

static void test_rd_cur_get_bytes_giant_length(void **state) {
  rd_cur c;
  uint8_t out[9];
  rd_cur_init(&c, nine, sizeof nine);
  assert_false(rd_cur_get_bytes(&c, out, SIZE_MAX));
  assert_false(rd_cur_get_bytes(&c, out, sizeof nine + 1));
  assert_cur_at(&c, nine, sizeof nine);
  assert_true(rd_cur_get_bytes(&c, out, sizeof nine)); /* exact fit */
  assert_memory_equal(out, nine, sizeof nine);
  assert_true(rd_cur_is_empty(&c));
  assert_true(rd_cur_get_bytes(&c, out, 0));
}

static void test_rd_cur_get_span_bounds_child(void **state) {
  rd_cur c, child;
  uint32_t w;
  uint8_t v;
  rd_cur_init(&c, nine, sizeof nine);
  assert_false(rd_cur_get_span(&c, SIZE_MAX, &child));
  assert_false(rd_cur_get_span(&c, 10, &child));
  assert_cur_at(&c, nine, 9);
  assert_true(rd_cur_get_span(&c, 3, &child));
  assert_cur_at(&c, nine + 3, 6);
  /* The child cannot read past its own length even though the parent has more. */
  assert_false(rd_cur_get_u32be(&child, &w));
  assert_true(rd_cur_skip(&child, 2));
  assert_true(rd_cur_get_u8(&child, &v));
  assert_int_equal(v, 0x03);
  assert_true(rd_cur_is_empty(&child));
}

static void test_rd_cur_skip_giant_length(void **state) {
  rd_cur c;
  rd_cur_init(&c, nine, sizeof nine);
  assert_false(rd_cur_skip(&c, SIZE_MAX));
  assert_cur_at(&c, nine, 9);
  assert_true(rd_cur_skip(&c, 9));
  assert_true(rd_cur_is_empty(&c));
}

static void test_rd_cur_get_tpkt_exact_fit(void **state) {
  static const uint8_t f[] = {0x03, 0x00, 0x00, 0x07, 0xaa, 0xbb, 0xcc};
  rd_cur c, body;
  rd_cur_init(&c, f, sizeof f);
  assert_true(rd_cur_get_tpkt(&c, &body));
  assert_true(rd_cur_is_empty(&c));
  assert_ptr_equal(rd_cur_data(&body), f + 4);
  assert_int_equal(rd_cur_len(&body), 3);
}

static void test_rd_cur_get_tpkt_empty_payload(void **state) {
  static const uint8_t f[] = {0x03, 0x00, 0x00, 0x04};
  rd_cur c, body;
  rd_cur_init(&c, f, sizeof f);
  assert_true(rd_cur_get_tpkt(&c, &body));
  assert_true(rd_cur_is_empty(&body));
}

static void test_rd_cur_get_tpkt_one_byte_short(void **state) {
  static const uint8_t f[] = {0x03, 0x00, 0x00, 0x07, 0xaa, 0xbb, 0xcc};
  rd_cur c, body;
  rd_cur_init(&c, f, sizeof f - 1);
  assert_false(rd_cur_get_tpkt(&c, &body));
  assert_cur_at(&c, f, sizeof f - 1);
  rd_cur_init(&c, f, 3); /* not even a header */
  assert_false(rd_cur_get_tpkt(&c, &body));
}

static void test_rd_cur_get_tpkt_giant_length(void **state) {
  static const uint8_t f[] = {0x03, 0x00, 0xff, 0xff, 0xaa};
  rd_cur c, body;
  rd_cur_init(&c, f, sizeof f);
  assert_false(rd_cur_get_tpkt(&c, &body));
  assert_cur_at(&c, f, sizeof f);
}

static void test_rd_cur_get_tpkt_trailing_byte(void **state) {
  static const uint8_t f[] = {0x03, 0x00, 0x00, 0x05, 0xaa, 0xbb};
  rd_cur c, body;
  rd_cur_init(&c, f, sizeof f);
  assert_true(rd_cur_get_tpkt(&c, &body));
  assert_int_equal(rd_cur_len(&body), 1);
  assert_cur_at(&c, f + 5, 1); /* the next frame's byte is the caller's */
}

static void test_rd_cur_get_tpkt_bad_header(void **state) {
  static const uint8_t v2[] = {0x02, 0x00, 0x00, 0x04};
  static const uint8_t res[] = {0x03, 0x01, 0x00, 0x04};
  static const uint8_t len3[] = {0x03, 0x00, 0x00, 0x03};
  rd_cur c, body;
  rd_cur_init(&c, v2, sizeof v2);
  assert_false(rd_cur_get_tpkt(&c, &body));
  rd_cur_init(&c, res, sizeof res);
  assert_false(rd_cur_get_tpkt(&c, &body));
  rd_cur_init(&c, len3, sizeof len3);
  assert_false(rd_cur_get_tpkt(&c, &body));
  assert_cur_at(&c, len3, 4);
}

/* Builder. */

static void finish_expect(rd_bld *b, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t out_len;
  assert_true(rd_bld_finish(b, &out, &out_len));
  assert_int_equal(out_len, want_len);
  if (want_len > 0)
    assert_memory_equal(out, want, want_len);
  free(out);
}

static void test_rd_bld_add_ints_byte_order(void **state) {
  static const uint8_t want[] = {0xab, 0x01, 0x02, 0x02, 0x01, 0x01, 0x02, 0x03, 0x04,
                                 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04,
                                 0x03, 0x02, 0x01, 0x00, 0x00, 0x7e, 0x7f};
  static const uint8_t tail[] = {0x7e, 0x7f};
  rd_bld b;
  rd_bld_init(&b, 1024);
  assert_true(rd_bld_add_u8(&b, 0xab));
  assert_true(rd_bld_add_u16le(&b, 0x0201));
  assert_true(rd_bld_add_u16be(&b, 0x0201));
  assert_true(rd_bld_add_u32le(&b, 0x04030201));
  assert_true(rd_bld_add_u32be(&b, 0x04030201));
  assert_true(rd_bld_add_u64le(&b, 0x0102030405060708ull));
  assert_true(rd_bld_add_zeros(&b, 2));
  assert_true(rd_bld_add_bytes(&b, tail, sizeof tail));
  assert_int_equal(rd_bld_len(&b), sizeof want);
  finish_expect(&b, want, sizeof want);
}

static void test_rd_bld_finish_empty(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n = 99;
  rd_bld_init(&b, 16);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_non_null(out);
  assert_int_equal(n, 0);
  free(out);
  rd_bld_cleanup(&b); /* harmless after finish */
}

static void test_rd_bld_max_exact_fit(void **state) {
  static const uint8_t want[] = {0x00, 0x00, 0x00, 0x2a};
  rd_bld b;
  rd_bld_init(&b, 4);
  assert_true(rd_bld_add_u32be(&b, 42));
  finish_expect(&b, want, sizeof want);
}

static void test_rd_bld_max_overflow_sticky(void **state) {
  rd_bld b;
  uint8_t *out = (uint8_t *)&b;
  size_t n = 99;
  rd_bld_init(&b, 3);
  assert_true(rd_bld_add_u16be(&b, 1));
  assert_false(rd_bld_add_u16be(&b, 2)); /* 4 > 3 */
  assert_false(rd_bld_add_u8(&b, 3));    /* would fit, but the error is sticky */
  assert_false(rd_bld_finish(&b, &out, &n));
  assert_null(out);
  assert_int_equal(n, 0);
  rd_bld_cleanup(&b);
}

static void test_rd_bld_add_zeros_giant_length(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1 << 20);
  assert_true(rd_bld_add_u8(&b, 1));
  assert_false(rd_bld_add_zeros(&b, SIZE_MAX));
  assert_false(rd_bld_add_zeros(&b, 1));
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_bld_add_bytes_grows(void **state) {
  enum { N = 10000 };
  uint8_t *want = malloc(N);
  assert_non_null(want);
  rd_bld b;
  rd_bld_init(&b, N);
  for (size_t i = 0; i < N; i++) {
    want[i] = (uint8_t)(i * 7);
    assert_true(rd_bld_add_u8(&b, want[i]));
  }
  assert_false(rd_bld_add_u8(&b, 0)); /* N + 1 > max */
  rd_bld_cleanup(&b);
  rd_bld_init(&b, N);
  assert_true(rd_bld_add_bytes(&b, want, N));
  finish_expect(&b, want, N);
  free(want);
}

static void test_rd_bld_add_space_fill_in(void **state) {
  static const uint8_t want[] = {0x01, 0x00, 0x09, 0x02};
  rd_bld b;
  uint8_t *p;
  rd_bld_init(&b, 16);
  assert_true(rd_bld_add_u8(&b, 1));
  assert_true(rd_bld_add_space(&b, 2, &p));
  p[1] = 9;
  assert_true(rd_bld_add_u8(&b, 2));
  finish_expect(&b, want, sizeof want);
}

static void test_rd_bld_add_tpkt_nested_children(void **state) {
  /* STYLE.md §2's example: the legacy CR, every length patched on close. */
  static const uint8_t want[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0x00,
                                 0x00, 0x00, 0x00, 0x00};
  rd_bld b, tpkt, tpdu;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_tpkt(&b, &tpkt));
  assert_true(rd_bld_add_u8_prefixed(&tpkt, &tpdu));
  assert_true(rd_bld_add_u8(&tpdu, 0xe0));
  assert_true(rd_bld_add_zeros(&tpdu, 5));
  assert_int_equal(rd_bld_len(&tpdu), 6);
  assert_int_equal(rd_bld_len(&tpkt), 7);
  finish_expect(&b, want, sizeof want); /* finish closes both children */
}

static void test_rd_bld_close_sequential_children(void **state) {
  static const uint8_t want[] = {0xaa, 0x02, 0x01, 0x02, 0x00, 0x01, 0x03, 0xbb};
  rd_bld b, c1, c2;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_u8(&b, 0xaa));
  assert_true(rd_bld_add_u8_prefixed(&b, &c1));
  assert_true(rd_bld_add_u16be(&c1, 0x0102));
  assert_true(rd_bld_close(&c1));
  assert_false(rd_bld_add_u8(&c1, 0)); /* a closed child is dead, the tree is not hurt */
  assert_true(rd_bld_add_u8_prefixed(&b, &c2));
  assert_true(rd_bld_close(&c2)); /* empty child: length 0 */
  assert_true(rd_bld_add_u8_prefixed(&b, &c2));
  assert_true(rd_bld_add_u8(&c2, 3));
  assert_true(rd_bld_close(&c2));
  assert_true(rd_bld_add_u8(&b, 0xbb));
  finish_expect(&b, want, sizeof want);
}

static void test_rd_bld_add_u8_parent_with_open_child(void **state) {
  rd_bld b, c;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_u8_prefixed(&b, &c));
  assert_false(rd_bld_add_u8(&b, 1)); /* would land inside the child */
  assert_false(rd_bld_add_u8(&c, 1)); /* and the whole tree is now failed */
  assert_false(rd_bld_close(&c));
  assert_false(rd_bld_finish(&b, &out, &n));
  assert_null(out);
}

static void test_rd_bld_add_tpkt_second_open_child(void **state) {
  rd_bld b, c1, c2;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_tpkt(&b, &c1));
  assert_false(rd_bld_add_tpkt(&b, &c2));
  assert_false(rd_bld_add_u8(&c2, 1)); /* the refused child is safely unusable */
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_bld_add_u8_prefixed_max_length(void **state) {
  rd_bld b, c;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1024);
  assert_true(rd_bld_add_u8_prefixed(&b, &c));
  assert_true(rd_bld_add_zeros(&c, 255));
  assert_true(rd_bld_close(&c));
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 256);
  assert_int_equal(out[0], 255);
  free(out);

  rd_bld_init(&b, 1024);
  assert_true(rd_bld_add_u8_prefixed(&b, &c));
  assert_true(rd_bld_add_zeros(&c, 256));
  assert_false(rd_bld_close(&c));
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_bld_add_tpkt_max_length(void **state) {
  rd_bld b, c;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1 << 17);
  assert_true(rd_bld_add_tpkt(&b, &c));
  assert_true(rd_bld_add_zeros(&c, 0xffff - 4));
  assert_true(rd_bld_close(&c));
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 0xffff);
  assert_int_equal(out[2], 0xff);
  assert_int_equal(out[3], 0xff);
  free(out);

  rd_bld_init(&b, 1 << 17);
  assert_true(rd_bld_add_tpkt(&b, &c));
  assert_true(rd_bld_add_zeros(&c, 0xffff - 3));
  assert_false(rd_bld_close(&c));
  rd_bld_cleanup(&b);
}

static void test_rd_bld_finish_on_child(void **state) {
  rd_bld b, c;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_tpkt(&b, &c));
  assert_false(rd_bld_finish(&c, &out, &n));
  assert_null(out);
  assert_false(rd_bld_finish(&b, &out, &n)); /* the misuse failed the tree */
}

static void test_rd_bld_close_root(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_false(rd_bld_close(&b));
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_bld_cleanup_error_path(void **state) {
  rd_bld b, c;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_tpkt(&b, &c));
  assert_true(rd_bld_add_zeros(&c, 40));
  rd_bld_cleanup(&b); /* ASan's leak check proves the buffer is freed */
  rd_bld_cleanup(&b);
  assert_false(rd_bld_add_u8(&b, 1));
}

static void test_rd_bld_set_error_sticky(void **state) {
  rd_bld b, c;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 64);
  assert_true(rd_bld_add_tpkt(&b, &c));
  rd_bld_set_error(&c);
  assert_false(rd_bld_add_u8(&c, 1));
  assert_false(rd_bld_finish(&b, &out, &n));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_cur_init_null),
      cmocka_unit_test(test_rd_cur_get_u8_exact_fit),
      cmocka_unit_test(test_rd_cur_get_ints_byte_order),
      cmocka_unit_test(test_rd_cur_get_ints_one_byte_short),
      cmocka_unit_test(test_rd_cur_get_after_failure_unchanged),
      cmocka_unit_test(test_rd_cur_peek_u8_does_not_move),
      cmocka_unit_test(test_rd_cur_get_bytes_giant_length),
      cmocka_unit_test(test_rd_cur_get_span_bounds_child),
      cmocka_unit_test(test_rd_cur_skip_giant_length),
      cmocka_unit_test(test_rd_cur_get_tpkt_exact_fit),
      cmocka_unit_test(test_rd_cur_get_tpkt_empty_payload),
      cmocka_unit_test(test_rd_cur_get_tpkt_one_byte_short),
      cmocka_unit_test(test_rd_cur_get_tpkt_giant_length),
      cmocka_unit_test(test_rd_cur_get_tpkt_trailing_byte),
      cmocka_unit_test(test_rd_cur_get_tpkt_bad_header),
      cmocka_unit_test(test_rd_bld_add_ints_byte_order),
      cmocka_unit_test(test_rd_bld_finish_empty),
      cmocka_unit_test(test_rd_bld_max_exact_fit),
      cmocka_unit_test(test_rd_bld_max_overflow_sticky),
      cmocka_unit_test(test_rd_bld_add_zeros_giant_length),
      cmocka_unit_test(test_rd_bld_add_bytes_grows),
      cmocka_unit_test(test_rd_bld_add_space_fill_in),
      cmocka_unit_test(test_rd_bld_add_tpkt_nested_children),
      cmocka_unit_test(test_rd_bld_close_sequential_children),
      cmocka_unit_test(test_rd_bld_add_u8_parent_with_open_child),
      cmocka_unit_test(test_rd_bld_add_tpkt_second_open_child),
      cmocka_unit_test(test_rd_bld_add_u8_prefixed_max_length),
      cmocka_unit_test(test_rd_bld_add_tpkt_max_length),
      cmocka_unit_test(test_rd_bld_finish_on_child),
      cmocka_unit_test(test_rd_bld_close_root),
      cmocka_unit_test(test_rd_bld_cleanup_error_path),
      cmocka_unit_test(test_rd_bld_set_error_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
