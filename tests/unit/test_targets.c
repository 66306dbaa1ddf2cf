/* Target lists for scan (src/cli/targets.c): parsing, CIDR caps and expansion order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/targets.h"
#include "core/err.h"

static void expect_all(rd_target_list *l, const char *const *want, size_t n) {
  const char *why = "";
  assert_int_equal(rd_targets_finish(l, &why), 0);
  assert_int_equal(l->total, n);
  rd_target t;
  char buf[300];
  for (size_t i = 0; i < n; i++) {
    assert_true(rd_targets_next(l, &t));
    snprintf(buf, sizeof buf, "%s %u", t.host, t.port);
    assert_string_equal(buf, want[i]);
  }
  assert_false(rd_targets_next(l, &t));
}

static void test_rd_targets_hosts_and_ports(void **state) {
  rd_target_list l;
  const char *why = "";
  rd_targets_init(&l);
  assert_int_equal(rd_targets_set_ports(&l, "3389,3390-3391,3389", &why), 0);
  assert_int_equal(rd_targets_add(&l, "rdp.example.test", &why), 0);
  assert_int_equal(rd_targets_add(&l, "192.0.2.1:4000", &why), 0);
  assert_int_equal(rd_targets_add(&l, "[2001:db8::1]:3392", &why), 0);
  assert_int_equal(rd_targets_add(&l, "::1", &why), 0);
  static const char *const want[] = {"rdp.example.test 3389", "rdp.example.test 3390", "rdp.example.test 3391",
                                     "192.0.2.1 4000", "2001:db8::1 3392", "::1 3389", "::1 3390", "::1 3391"};
  expect_all(&l, want, 8);
  rd_targets_free(&l);
}

static void test_rd_targets_cidr(void **state) {
  rd_target_list l;
  const char *why = "";
  rd_targets_init(&l);
  /* Host bits cleared; network and broadcast left out of a /30. */
  assert_int_equal(rd_targets_add(&l, "192.0.2.77/30", &why), 0);
  assert_int_equal(rd_targets_add(&l, "198.51.100.254/31", &why), 0);
  assert_int_equal(rd_targets_add(&l, "2001:db8::ff/127", &why), 0);
  static const char *const want[] = {"192.0.2.77 3389", "192.0.2.78 3389", "198.51.100.254 3389",
                                     "198.51.100.255 3389", "2001:db8:0:0:0:0:0:fe 3389",
                                     "2001:db8:0:0:0:0:0:ff 3389"};
  expect_all(&l, want, 6);
  rd_targets_free(&l);
}

static void test_rd_targets_cidr_16_carries(void **state) {
  rd_target_list l;
  const char *why = "";
  rd_target t;
  rd_targets_init(&l);
  assert_int_equal(rd_targets_add(&l, "10.1.0.0/16", &why), 0);
  assert_int_equal(rd_targets_finish(&l, &why), 0);
  assert_int_equal(l.total, 65534);
  for (int i = 0; i < 256; i++)
    assert_true(rd_targets_next(&l, &t));
  assert_string_equal(t.host, "10.1.1.0"); /* the 256th: past 10.1.0.255 */
  rd_targets_free(&l);
}

static void test_rd_targets_bad(void **state) {
  rd_target_list l;
  const char *why = "";
  rd_targets_init(&l);
  assert_int_equal(rd_targets_add(&l, "10.0.0.0/15", &why), RD_E_TOO_BIG);
  assert_int_equal(rd_targets_add(&l, "2001:db8::/111", &why), RD_E_TOO_BIG);
  assert_int_equal(rd_targets_add(&l, "10.0.0.0/33", &why), RD_E_MALFORMED);
  assert_int_equal(rd_targets_add(&l, "10.0.0/24", &why), RD_E_MALFORMED);
  assert_int_equal(rd_targets_add(&l, "host:0", &why), RD_E_MALFORMED);
  assert_int_equal(rd_targets_add(&l, "bad..name", &why), RD_E_MALFORMED);
  assert_int_equal(rd_targets_add(&l, "[::1", &why), RD_E_MALFORMED);
  assert_int_not_equal(rd_targets_set_ports(&l, "0", &why), 0);
  assert_int_not_equal(rd_targets_set_ports(&l, "3390-3389", &why), 0);
  assert_int_not_equal(rd_targets_set_ports(&l, "3389,", &why), 0);
  assert_int_not_equal(rd_targets_set_ports(&l, "1-65535", &why), 0); /* more than 64 */
  assert_int_equal(rd_targets_finish(&l, &why), RD_E_INVALID);      /* nothing added */
  /* 17 /16 blocks over 1 port exceed 2^20 targets only with ports: 16 × 65534 × 2 does. */
  assert_int_equal(rd_targets_set_ports(&l, "1,2", &why), 0);
  for (int i = 0; i < 9; i++) {
    char b[32];
    snprintf(b, sizeof b, "10.%d.0.0/16", i);
    assert_int_equal(rd_targets_add(&l, b, &why), 0);
  }
  assert_int_equal(rd_targets_finish(&l, &why), RD_E_TOO_BIG);
  rd_targets_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_targets_hosts_and_ports),
      cmocka_unit_test(test_rd_targets_cidr),
      cmocka_unit_test(test_rd_targets_cidr_16_carries),
      cmocka_unit_test(test_rd_targets_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
