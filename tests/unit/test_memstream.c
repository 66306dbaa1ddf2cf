/* Memory streams for the exporter's text (src/cli/memstream.c): open_memstream on POSIX, a
 * temporary file read back on close on Windows (this test runs under Wine there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/memstream.h"

static void test_rd_memstream_text(void **state) {
  (void)state;
  rd_memstream m;
  assert_int_equal(rd_memstream_open(&m), 0);
  assert_non_null(m.f);
  fprintf(m.f, "rdp_probe_success %d\n", 1);
  fputs("rdp_checked 1\n", m.f);
  assert_int_equal(rd_memstream_close(&m), 0);
  assert_null(m.f);
  assert_string_equal(m.buf, "rdp_probe_success 1\nrdp_checked 1\n");
  assert_int_equal(m.len, strlen(m.buf));
  free(m.buf);
}

static void test_rd_memstream_empty(void **state) {
  (void)state;
  rd_memstream m;
  assert_int_equal(rd_memstream_open(&m), 0);
  assert_int_equal(rd_memstream_close(&m), 0);
  assert_non_null(m.buf);
  assert_string_equal(m.buf, "");
  assert_int_equal(m.len, 0);
  free(m.buf);
}

/* Bytes as written: no CRLF translation on Windows, NUL bytes kept, more than a stdio buffer. */
static void test_rd_memstream_binary_large(void **state) {
  (void)state;
  rd_memstream m;
  assert_int_equal(rd_memstream_open(&m), 0);
  for (int i = 0; i < 20000; i++)
    fputc(i % 7 == 0 ? '\n' : i % 11 == 0 ? '\0' : 'a' + i % 26, m.f);
  assert_int_equal(rd_memstream_close(&m), 0);
  assert_int_equal(m.len, 20000);
  for (int i = 0; i < 20000; i++)
    assert_int_equal((unsigned char)m.buf[i], i % 7 == 0 ? '\n' : i % 11 == 0 ? '\0' : 'a' + i % 26);
  assert_int_equal(m.buf[20000], '\0');
  free(m.buf);
}

/* Several at once (the exporter renders on the loop and on HTTP threads), each with its text. */
static void test_rd_memstream_several(void **state) {
  (void)state;
  rd_memstream m[3];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(rd_memstream_open(&m[i]), 0);
    fprintf(m[i].f, "stream %d\n", i);
  }
  for (int i = 2; i >= 0; i--) {
    char want[16];
    snprintf(want, sizeof want, "stream %d\n", i);
    assert_int_equal(rd_memstream_close(&m[i]), 0);
    assert_string_equal(m[i].buf, want);
    free(m[i].buf);
  }
}

static void test_rd_memstream_close_unopened(void **state) {
  (void)state;
  rd_memstream m = {0};
  assert_int_equal(rd_memstream_close(&m), -1);
  assert_null(m.buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_memstream_text),
      cmocka_unit_test(test_rd_memstream_empty),
      cmocka_unit_test(test_rd_memstream_binary_large),
      cmocka_unit_test(test_rd_memstream_several),
      cmocka_unit_test(test_rd_memstream_close_unopened),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
