/* Small text helpers of the reports (src/report/text.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static void test_rd_text_for_target_fills_host_and_port(void **state) {
  char *s = rd_text_for_target("Test-NetConnection SERVER -Port 3389\nnetstat -ano | findstr :3389\n"
                               "PortNumber -Value 3389", "rdp.example.com", 13389);
  assert_string_equal(s, "Test-NetConnection rdp.example.com -Port 13389\nnetstat -ano | findstr :13389\n"
                         "PortNumber -Value 3389");
  free(s);
  s = rd_text_for_target("mstsc /v:SERVER", "10.0.0.5", 3389);
  assert_string_equal(s, "mstsc /v:10.0.0.5");
  free(s);
  /* Our own command reaches the same listener: the port the check ran on, brackets for IPv6. */
  s = rd_text_for_target("rdpdoctor check SERVER shows it", "10.0.0.5", 3390);
  assert_string_equal(s, "rdpdoctor check 10.0.0.5:3390 shows it");
  free(s);
  s = rd_text_for_target("rdpdoctor check SERVER", "::1", 3390);
  assert_string_equal(s, "rdpdoctor check [::1]:3390");
  free(s);
  s = rd_text_for_target("rdpdoctor check SERVER", "rdp.example.com", 3389);
  assert_string_equal(s, "rdpdoctor check rdp.example.com");
  free(s);
}

static void test_rd_text_wrap_indents_every_line(void **state) {
  FILE *f = tmpfile();
  rd_text_wrap(f, "one two three four five six seven eight nine ten eleven twelve", 4, 24);
  rewind(f);
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  assert_string_equal(buf, "    one two three four\n    five six seven eight\n    nine ten eleven\n    twelve\n");
}

static void test_rd_text_escape_controls(void **state) {
  char out[128];
  /* ESC (a colour, a title change), a C1 CSI both raw and as UTF-8, DEL, a newline, a bad byte. */
  rd_text_escape("a\x1b[31mred\x9b" "2J\xc2\x9b" "1m\x7f\nend\xff", out, sizeof out);
  assert_string_equal(out, "a\\x1b[31mred\\x9b2J\\u009b1m\\x7f\\x0aend\\xff");
  for (const char *p = out; *p; p++)
    assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
  /* Valid UTF-8 stays, and the cut never splits a character or an escape. */
  rd_text_escape("caf\xc3\xa9 \xe2\x82\xac", out, sizeof out);
  assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac");
  rd_text_escape("ab\x1b", out, 5);
  assert_string_equal(out, "ab");
}

static void test_rd_text_wrap_hanging_never_mid_word(void **state) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  rd_text_wrap_hanging(f, "  head  ", 8, "alpha beta gamma averyveryverylongwordthatdoesnotfit delta", 8, 24);
  fclose(f);
  assert_string_equal(buf, "  head  alpha beta gamma\n        averyveryverylongwordthatdoesnotfit\n        delta\n");
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_text_for_target_fills_host_and_port),
      cmocka_unit_test(test_rd_text_wrap_indents_every_line),
      cmocka_unit_test(test_rd_text_escape_controls),
      cmocka_unit_test(test_rd_text_wrap_hanging_never_mid_word),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
