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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_text_for_target_fills_host_and_port),
      cmocka_unit_test(test_rd_text_wrap_indents_every_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
