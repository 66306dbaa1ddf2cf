/* Reading the codes users paste (src/kb/codearg.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "kb/codearg.h"

static void expect_code(const char *token, uint32_t value, rd_code_form form) {
  rd_code_arg a;
  int r = rd_codearg_parse(token, &a);
  if (r != 0)
    fail_msg("'%s' -> %d", token, r);
  assert_int_equal(a.value, value);
  assert_int_equal(a.form, form);
}

static void expect_error(const char *token, int err) {
  rd_code_arg a;
  int r = rd_codearg_parse(token, &a);
  if (r != err)
    fail_msg("'%s' -> %d, expected %d", token, r, err);
}

static void test_rd_codearg_parse_hex(void **state) {
  expect_code("0x904", 0x904, RD_FORM_HEX);
  expect_code("0X904", 0x904, RD_FORM_HEX);
  expect_code("0x7", 7, RD_FORM_HEX);
  expect_code("0xffffffff", 0xFFFFFFFF, RD_FORM_HEX);
  expect_code("0x0000000000904", 0x904, RD_FORM_HEX); /* leading zeros are not size */
  expect_code("  0x904\t", 0x904, RD_FORM_HEX);
  expect_code("C000006D", 0xC000006D, RD_FORM_HEX);
  expect_code("8009030c", 0x8009030C, RD_FORM_HEX);
}

static void test_rd_codearg_parse_decimal(void **state) {
  expect_code("2308", 2308, RD_FORM_DEC);
  expect_code("0", 0, RD_FORM_DEC);
  expect_code("4294967295", 0xFFFFFFFF, RD_FORM_DEC);
  expect_code("36870", 36870, RD_FORM_DEC);
}

static void test_rd_codearg_parse_negative_is_signed_32(void **state) {
  expect_code("-1073741715", 0xC000006D, RD_FORM_NEG_DEC);
  expect_code("-2147483648", 0x80000000, RD_FORM_NEG_DEC);
  expect_code("-1", 0xFFFFFFFF, RD_FORM_NEG_DEC);
  expect_error("-2147483649", RD_E_MALFORMED); /* beyond 32 bits */
  expect_error("-0x904", RD_E_MALFORMED);      /* negative hex has no reading */
  expect_error("-0", RD_E_MALFORMED);
  expect_error("-", RD_E_MALFORMED);
}

static void test_rd_codearg_parse_too_big(void **state) {
  expect_error("0x100000000", RD_E_TOO_BIG);
  expect_error("4294967296", RD_E_TOO_BIG);
  expect_error("99999999999999999999999999999999", RD_E_TOO_BIG);
  expect_error("0xfffffffffffffffffffffffffffffffffff", RD_E_TOO_BIG);
}

static void test_rd_codearg_parse_malformed(void **state) {
  expect_error("", RD_E_MALFORMED);
  expect_error("   ", RD_E_MALFORMED);
  expect_error("0x", RD_E_MALFORMED);
  expect_error("0x1_0000_0000", RD_E_MALFORMED);
  expect_error("0xg", RD_E_MALFORMED);
  expect_error("12abz", RD_E_MALFORMED);
  expect_error("+7", RD_E_MALFORMED);
  expect_error("0x9 04", RD_E_MALFORMED);
  expect_error("\x1b[31m", RD_E_MALFORMED);
  expect_error("1.5", RD_E_MALFORMED);
  char long_token[200];
  memset(long_token, '1', sizeof long_token - 1);
  long_token[sizeof long_token - 1] = '\0';
  expect_error(long_token, RD_E_MALFORMED);
}

static void test_rd_codearg_parse_name(void **state) {
  rd_code_arg a;
  assert_int_equal(rd_codearg_parse("ERRINFO_SERVER_DENIED_CONNECTION", &a), 0);
  assert_int_equal(a.form, RD_FORM_NAME);
  assert_int_equal(a.value, 7);
  assert_int_equal(a.named->table, RD_TAB_ERRINFO);
  assert_int_equal(rd_codearg_parse("status_logon_failure", &a), 0); /* case-insensitive */
  assert_int_equal(a.value, 0xC000006D);
  assert_int_equal(rd_codearg_parse("SSL_CERT_NOT_ON_SERVER", &a), 0);
  assert_int_equal(a.named->table, RD_TAB_NEGF);
  assert_int_equal(rd_codearg_parse("STATUS_NOT_A_THING", &a), RD_E_UNKNOWN);
  assert_int_equal(a.form, RD_FORM_NAME);
  assert_null(a.named);
  assert_string_equal(a.text, "STATUS_NOT_A_THING");
  assert_int_equal(rd_codearg_parse("bad", &a), RD_E_UNKNOWN); /* a word, not hex */
}

static void test_rd_codearg_parse_line_dialog(void **state) {
  rd_code_arg d, e;
  bool hd, he;
  assert_int_equal(rd_codearg_parse_line("Error code: 0x904 Extended error code: 0x7", &d, &hd, &e, &he), 0);
  assert_true(hd && he);
  assert_int_equal(d.value, 0x904);
  assert_int_equal(e.value, 7);
  /* As copied from the dialog, across lines, with a trailing period. */
  assert_int_equal(rd_codearg_parse_line("Your Remote Desktop Services session has ended.\r\n"
                                         "Error code: 0x904\r\nExtended error code: 0x7.", &d, &hd, &e, &he), 0);
  assert_true(hd && he);
  assert_int_equal(d.value, 0x904);
  assert_int_equal(e.value, 7);
  /* Only the extended code. */
  assert_int_equal(rd_codearg_parse_line("extended error code 0x7", &d, &hd, &e, &he), 0);
  assert_false(hd);
  assert_true(he);
  /* Order reversed. */
  assert_int_equal(rd_codearg_parse_line("Extended error code: 0x7, Error code: 0x904", &d, &hd, &e, &he), 0);
  assert_int_equal(d.value, 0x904);
  assert_int_equal(e.value, 7);
}

static void test_rd_codearg_parse_line_bad(void **state) {
  rd_code_arg d, e;
  bool hd, he;
  assert_int_equal(rd_codearg_parse_line("no codes here", &d, &hd, &e, &he), RD_E_MALFORMED);
  assert_int_equal(rd_codearg_parse_line("Error code:", &d, &hd, &e, &he), RD_E_MALFORMED);
  assert_int_equal(rd_codearg_parse_line("Error code: banana", &d, &hd, &e, &he), RD_E_MALFORMED);
  assert_int_equal(rd_codearg_parse_line("Error code: 0x1_0000_0000", &d, &hd, &e, &he), RD_E_MALFORMED);
  assert_int_equal(rd_codearg_parse_line("Error code: 0x100000000", &d, &hd, &e, &he), RD_E_TOO_BIG);
  assert_true(rd_codearg_is_line("Error code: 0x904"));
  assert_false(rd_codearg_is_line("0x904"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_codearg_parse_hex),
      cmocka_unit_test(test_rd_codearg_parse_decimal),
      cmocka_unit_test(test_rd_codearg_parse_negative_is_signed_32),
      cmocka_unit_test(test_rd_codearg_parse_too_big),
      cmocka_unit_test(test_rd_codearg_parse_malformed),
      cmocka_unit_test(test_rd_codearg_parse_name),
      cmocka_unit_test(test_rd_codearg_parse_line_dialog),
      cmocka_unit_test(test_rd_codearg_parse_line_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
