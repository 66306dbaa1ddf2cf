/* ALIGNED PER primitives: the forms T.125 and T.124 use in RDP (bytes from MS-RDPBCGR 4.1.3-4.1.9),
 * both directions, with one byte short, giant length, trailing byte and exact fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/per.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

static void expect_built(rd_bld *b, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t n;
  assert_true(rd_bld_finish(b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

static void test_rd_per_get_length_forms(void **state) {
  static const uint8_t short_form[] = {0x50};             /* 80, 4.1.9's user data */
  static const uint8_t long_form[] = {0x81, 0x2a};        /* 298, 4.1.3's ConnectGCCPDU */
  static const uint8_t max_form[] = {0xbf, 0xff};         /* 16383 */
  static const uint8_t fragmented[] = {0xc1, 0x00, 0x00}; /* 16K chunk: unsupported */
  rd_cur c;
  size_t len;
  rd_cur_init(&c, short_form, 1);
  assert_true(rd_per_get_length(&c, &len));
  assert_int_equal(len, 80);
  rd_cur_init(&c, long_form, 2);
  assert_true(rd_per_get_length(&c, &len));
  assert_int_equal(len, 298);
  assert_true(rd_cur_is_empty(&c));
  rd_cur_init(&c, max_form, 2);
  assert_true(rd_per_get_length(&c, &len));
  assert_int_equal(len, RD_PER_LENGTH_MAX);
  rd_cur_init(&c, fragmented, 3);
  assert_false(rd_per_get_length(&c, &len));
  assert_cur_at(&c, fragmented, 3);
  rd_cur_init(&c, long_form, 1); /* one byte short */
  assert_false(rd_per_get_length(&c, &len));
  assert_cur_at(&c, long_form, 1);
}

static void test_rd_per_add_length_forms(void **state) {
  static const uint8_t want[] = {0x00, 0x7f, 0x80, 0x80, 0x81, 0x2a, 0xbf, 0xff};
  rd_bld b;
  rd_bld_init(&b, 64);
  assert_true(rd_per_add_length(&b, 0));
  assert_true(rd_per_add_length(&b, 127));
  assert_true(rd_per_add_length(&b, 128));
  assert_true(rd_per_add_length(&b, 298));
  assert_true(rd_per_add_length(&b, 16383));
  expect_built(&b, want, sizeof want);
  rd_bld_init(&b, 64);
  assert_false(rd_per_add_length(&b, 16384));
  uint8_t *out;
  size_t n;
  assert_false(rd_bld_finish(&b, &out, &n));
}

static void test_rd_per_get_u16_user_id(void **state) {
  static const uint8_t id[] = {0x00, 0x06, 0xff, 0xff};
  rd_cur c;
  uint16_t v;
  rd_cur_init(&c, id, sizeof id);
  assert_true(rd_per_get_u16(&c, 1001, &v));
  assert_int_equal(v, 1007);
  /* ffff + 1001 overflows the 16-bit UserId */
  assert_false(rd_per_get_u16(&c, 1001, &v));
  assert_cur_at(&c, id + 2, 2);
  assert_true(rd_per_get_u16(&c, 0, &v));
  assert_int_equal(v, 0xffff);
  rd_cur_init(&c, id, 1);
  assert_false(rd_per_get_u16(&c, 0, &v));
  assert_cur_at(&c, id, 1);
  rd_bld b;
  rd_bld_init(&b, 64);
  assert_true(rd_per_add_u16(&b, 1007, 1001));
  expect_built(&b, id, 2);
  rd_bld_init(&b, 64);
  assert_false(rd_per_add_u16(&b, 1000, 1001));
  rd_bld_cleanup(&b);
}

static void test_rd_per_uint_round_trip(void **state) {
  static const struct {
    uint32_t v;
    uint8_t bytes[5];
    size_t n;
  } cases[] = {
      {0, {0x01, 0x00}, 2},
      {1, {0x01, 0x01}, 2}, /* GCC tag */
      {255, {0x01, 0xff}, 2},
      {256, {0x02, 0x01, 0x00}, 3},
      {0xffffffffu, {0x04, 0xff, 0xff, 0xff, 0xff}, 5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rd_bld b;
    rd_cur c;
    uint32_t v;
    rd_bld_init(&b, 64);
    assert_true(rd_per_add_uint(&b, cases[i].v));
    expect_built(&b, cases[i].bytes, cases[i].n);
    rd_cur_init(&c, cases[i].bytes, cases[i].n);
    assert_true(rd_per_get_uint(&c, &v));
    assert_int_equal(v, cases[i].v);
    assert_true(rd_cur_is_empty(&c));
    rd_cur_init(&c, cases[i].bytes, cases[i].n - 1); /* one byte short */
    assert_false(rd_per_get_uint(&c, &v));
    assert_cur_at(&c, cases[i].bytes, cases[i].n - 1);
  }
  static const uint8_t zero_len[] = {0x00};
  static const uint8_t five[] = {0x05, 0x00, 0x00, 0x00, 0x00, 0x01};
  static const uint8_t padded[] = {0x02, 0x00, 0x07}; /* non-minimal accepted */
  rd_cur c;
  uint32_t v;
  rd_cur_init(&c, zero_len, 1);
  assert_false(rd_per_get_uint(&c, &v));
  rd_cur_init(&c, five, sizeof five);
  assert_false(rd_per_get_uint(&c, &v));
  assert_cur_at(&c, five, sizeof five);
  rd_cur_init(&c, padded, sizeof padded);
  assert_true(rd_per_get_uint(&c, &v));
  assert_int_equal(v, 7);
}

static void test_rd_per_object_identifier_t124(void **state) {
  static const uint8_t oid[] = {0x05, 0x00, 0x14, 0x7c, 0x00, 0x01};
  rd_cur c, content;
  rd_bld b;
  rd_cur_init(&c, oid, sizeof oid);
  assert_true(rd_per_get_object_identifier(&c, &content));
  assert_cur_at(&content, oid + 1, 5);
  assert_true(rd_cur_is_empty(&c));
  rd_bld_init(&b, 64);
  assert_true(rd_per_add_object_identifier(&b, oid + 1, 5));
  expect_built(&b, oid, sizeof oid);
  rd_cur_init(&c, oid, sizeof oid - 1);
  assert_false(rd_per_get_object_identifier(&c, &content));
  assert_cur_at(&c, oid, sizeof oid - 1);
  static const uint8_t empty[] = {0x00};
  rd_cur_init(&c, empty, 1);
  assert_false(rd_per_get_object_identifier(&c, &content));
}

static void test_rd_per_octet_string_h221_key(void **state) {
  /* h221NonStandard OCTET STRING (SIZE(4..255)): the length says n - 4. */
  static const uint8_t key[] = {0x00, 'D', 'u', 'c', 'a', 0xee};
  static const uint8_t giant[] = {0xbf, 0xff, 0x00};
  rd_cur c, s;
  rd_bld b;
  rd_cur_init(&c, key, sizeof key); /* and a trailing byte left to the caller */
  assert_true(rd_per_get_octet_string(&c, 4, &s));
  assert_cur_at(&s, key + 1, 4);
  assert_cur_at(&c, key + 5, 1);
  rd_cur_init(&c, key, 4); /* one byte short */
  assert_false(rd_per_get_octet_string(&c, 4, &s));
  assert_cur_at(&c, key, 4);
  rd_cur_init(&c, giant, sizeof giant);
  assert_false(rd_per_get_octet_string(&c, 0, &s));
  assert_cur_at(&c, giant, sizeof giant);
  rd_bld_init(&b, 64);
  assert_true(rd_per_add_octet_string(&b, key + 1, 4, 4));
  expect_built(&b, key, 5);
  rd_bld_init(&b, 64);
  assert_false(rd_per_add_octet_string(&b, key, 3, 4));
  rd_bld_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_per_get_length_forms),
      cmocka_unit_test(test_rd_per_add_length_forms),
      cmocka_unit_test(test_rd_per_get_u16_user_id),
      cmocka_unit_test(test_rd_per_uint_round_trip),
      cmocka_unit_test(test_rd_per_object_identifier_t124),
      cmocka_unit_test(test_rd_per_octet_string_h221_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
