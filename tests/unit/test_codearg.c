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

/* "904" reads as 904 or 0x904; the hex reading is kept for explain to choose. */
static void test_rd_codearg_parse_bare_number_keeps_hex_reading(void **state) {
  rd_code_arg a;
  assert_int_equal(rd_codearg_parse("904", &a), 0);
  assert_int_equal(a.form, RD_FORM_DEC);
  assert_int_equal(a.value, 904);
  assert_true(a.has_alt);
  assert_int_equal(a.alt_value, 0x904);
  assert_int_equal(rd_codearg_parse("7", &a), 0); /* one digit reads the same both ways */
  assert_false(a.has_alt);
  assert_int_equal(rd_codearg_parse("0x904", &a), 0);
  assert_false(a.has_alt);
  assert_int_equal(rd_codearg_parse("123456789", &a), 0); /* nine digits: beyond 32 bits as hex */
  assert_false(a.has_alt);
  assert_int_equal(rd_codearg_parse("80090322", &a), 0);
  assert_true(a.has_alt);
  assert_int_equal(a.alt_value, 0x80090322);
}

static void expect_dialog(const char *text, const char *phrase) {
  const rd_kb_dialog *d = rd_codearg_find_dialog(text);
  if (d == NULL)
    fail_msg("no dialog sentence found in '%s'", text);
  assert_string_equal(d->phrase, phrase);
}

/* The exact texts users paste from the dialogs (sources in src/kb/dialog.def). */
static void test_rd_codearg_find_dialog_pasted_texts(void **state) {
  expect_dialog("An authentication error has occurred. The function requested is not supported",
                "the function requested is not supported");
  expect_dialog("An authentication error has occurred.\nThe function requested is not supported.\n\n"
                "Remote computer: srv01\nThis could be due to CredSSP encryption oracle remediation.\n"
                "For more information, see https://go.microsoft.com/fwlink/?linkid=866660",
                "the function requested is not supported");
  expect_dialog("This could be due to CredSSP encryption oracle remediation.", "credssp encryption oracle remediation");
  expect_dialog("Because of a protocol error (code: 0x112f), the remote session will be disconnected. "
                "Please try connecting to the remote computer again.",
                "because of a protocol error");
  expect_dialog("Because of a protocol error detected at the client (code 0x1104), this session will be "
                "disconnected.",
                "because of a protocol error detected at the client");
  expect_dialog("An authentication error has occurred (Code: 0x80090322).", "an authentication error has occurred");
  /* Typographic apostrophe, as Windows prints it, and odd spacing from a copy. */
  expect_dialog("This computer can\xe2\x80\x99t connect to the remote computer.   Try connecting again.",
                "this computer can't connect to the remote computer");
  expect_dialog("This computer can't connect to the remote computer. The two computers couldn't connect in "
                "the amount of time allotted.",
                "the two computers couldn't connect in the amount of time allotted");
  expect_dialog("The remote computer requires Network Level Authentication, which your computer does not "
                "support. For assistance, contact your system administrator or technical support.",
                "requires network level authentication, which your computer does not support");
  expect_dialog("Your Remote Desktop Services session has ended.", "your remote desktop services session has ended");
  expect_dialog("Your Remote Desktop Services session has ended, possibly for one of the following reasons:",
                "session has ended, possibly for one of the following reasons");
  expect_dialog("The remote session was disconnected because there are no Remote Desktop License Servers "
                "available to provide a license.",
                "there are no remote desktop license servers available");
  assert_null(rd_codearg_find_dialog("0x904"));
  assert_null(rd_codearg_find_dialog("something else entirely"));
  assert_false(rd_codearg_is_dialog("ERRINFO_SERVER_DENIED_CONNECTION"));
  assert_true(rd_codearg_is_dialog("(Code: 0x80090322)"));
}

static void test_rd_codearg_parse_dialog_code(void **state) {
  rd_code_arg a;
  bool found;
  assert_int_equal(rd_codearg_parse_dialog_code("Because of a protocol error (code: 0x112f), the remote", &a, &found), 0);
  assert_true(found);
  assert_int_equal(a.value, 0x112F);
  assert_int_equal(rd_codearg_parse_dialog_code("An authentication error has occurred (Code: 0x80090322).", &a, &found), 0);
  assert_true(found);
  assert_int_equal(a.value, 0x80090322);
  assert_int_equal(rd_codearg_parse_dialog_code("detected at the client (code 0x1104), this", &a, &found), 0);
  assert_int_equal(a.value, 0x1104);
  assert_int_equal(rd_codearg_parse_dialog_code("no code here", &a, &found), 0);
  assert_false(found);
  assert_int_equal(rd_codearg_parse_dialog_code("(code: banana)", &a, &found), RD_E_MALFORMED);
  assert_int_equal(rd_codearg_parse_dialog_code("(code: 0x123456789)", &a, &found), RD_E_TOO_BIG);
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
      cmocka_unit_test(test_rd_codearg_parse_bare_number_keeps_hex_reading),
      cmocka_unit_test(test_rd_codearg_find_dialog_pasted_texts),
      cmocka_unit_test(test_rd_codearg_parse_dialog_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
