/* `rdpdoctor explain` end to end through rd_cli_main: golden output for the cases users meet,
 * and one clear line with exit 64 for every kind of bad input.
 * RD_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct run {
  int rc;
  char out[1 << 16];
  char err[4096];
} run;

static void slurp(FILE *f, char *buf, size_t size) {
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

static void run_cli(run *r, int argc, char **argv) {
  FILE *out = tmpfile(), *err = tmpfile();
  assert_non_null(out);
  assert_non_null(err);
  r->rc = rd_cli_main(argc, argv, out, err);
  slurp(out, r->out, sizeof r->out);
  slurp(err, r->err, sizeof r->err);
}

#define RUN(r, ...)                                        \
  do {                                                     \
    char *argv_[] = {"rdpdoctor", __VA_ARGS__};            \
    run_cli((r), (int)(sizeof argv_ / sizeof argv_[0]), argv_); \
  } while (0)

static void check_golden(const char *name, const char *actual) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/golden/%s", RD_TEST_SRCDIR, name);
  if (getenv("RD_UPDATE_GOLDEN") != NULL) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(actual, f);
    fclose(f);
    return;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    fail_msg("missing golden file %s (run with RD_UPDATE_GOLDEN=1)", path);
  static char expected[1 << 16];
  size_t n = fread(expected, 1, sizeof expected - 1, f);
  expected[n] = '\0';
  fclose(f);
  if (strcmp(expected, actual) != 0)
    fail_msg("output differs from %s (RD_UPDATE_GOLDEN=1 to accept)", path);
}

static void test_explain_pair_golden(void **state) {
  static run r;
  RUN(&r, "explain", "0x904", "0x7");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  check_golden("explain_0x904_0x7.txt", r.out);
}

static void test_explain_dialog_line_golden(void **state) {
  static run r, pair;
  RUN(&r, "explain", "Your Remote Desktop Services session has ended. Error code: 0x904 Extended error code: 0x7");
  assert_int_equal(r.rc, 0);
  check_golden("explain_dialog_line.txt", r.out);
  /* Unquoted, the shell splits the line into words: same reading. */
  RUN(&pair, "explain", "Error", "code:", "0x904", "Extended", "error", "code:", "0x7");
  assert_int_equal(pair.rc, 0);
  assert_string_equal(pair.out, r.out);
}

static void test_explain_ambiguous_number_golden(void **state) {
  static run r;
  RUN(&r, "explain", "--brief", "3");
  assert_int_equal(r.rc, 0);
  check_golden("explain_3_brief.txt", r.out);
}

static void test_explain_json_golden(void **state) {
  static run r;
  RUN(&r, "explain", "--json", "0x904", "0x7");
  assert_int_equal(r.rc, 0);
  check_golden("explain_0x904_0x7.json", r.out);
}

static void test_explain_unknown_exits_1(void **state) {
  static run r;
  RUN(&r, "explain", "0x1104");
  assert_int_equal(r.rc, RD_EXIT_EXPLAIN_UNKNOWN);
  assert_non_null(strstr(r.out, "Unknown"));
  check_golden("explain_unknown_0x1104.txt", r.out);
  RUN(&r, "explain", "--json", "0x904", "0x2707");
  assert_int_equal(r.rc, RD_EXIT_EXPLAIN_UNKNOWN);
  assert_non_null(strstr(r.out, "\"verdict\": \"unknown\""));
}

/* The dialog's own sentences, pasted as they are (issue #13). */
static void test_explain_dialog_sentences_golden(void **state) {
  static run r, json;
  RUN(&r, "explain", "An authentication error has occurred. The function requested is not supported");
  assert_int_equal(r.rc, 0);
  check_golden("explain_dialog_credssp.txt", r.out);
  RUN(&json, "explain", "--json", "An authentication error has occurred. The function requested is not supported");
  assert_int_equal(json.rc, 0);
  check_golden("explain_dialog_credssp.json", json.out);
  RUN(&r, "explain", "Because of a protocol error (code: 0x112f), the remote session will be disconnected. "
                     "Please try connecting to the remote computer again.");
  assert_int_equal(r.rc, 0);
  check_golden("explain_dialog_0x112f.txt", r.out);
  RUN(&r, "explain", "An", "authentication", "error", "has", "occurred", "(Code:", "0x80090322).");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "SEC_E_WRONG_PRINCIPAL"));
  RUN(&r, "explain", "The remote computer requires Network Level Authentication, which your computer does not support.");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "Error code 0xB09"));
  RUN(&r, "explain", "Because of a protocol error detected at the client (code 0x1104), this session will be disconnected.");
  assert_int_equal(r.rc, RD_EXIT_EXPLAIN_UNKNOWN); /* the client's own code: unknown, never guessed */
  RUN(&r, "explain", "Because of a protocol error, this session will be disconnected.");
  assert_int_equal(r.rc, RD_EXIT_USAGE); /* the code was not pasted */
}

/* "904 7": read as hex, since the dialog prints hex, with the decimal reading offered. */
static void test_explain_bare_numbers_golden(void **state) {
  static run r;
  RUN(&r, "explain", "--brief", "904", "7");
  assert_int_equal(r.rc, 0);
  check_golden("explain_904_7_brief.txt", r.out);
  assert_non_null(strstr(r.out, "Read as decimal, 904 is 0x388: rdpdoctor explain 0x388"));
  RUN(&r, "explain", "--json", "904", "7");
  assert_non_null(strstr(r.out, "\"reading\": \"hex-as-dialog\""));
  RUN(&r, "explain", "--brief", "2308");
  assert_non_null(strstr(r.out, "Read as decimal 2308."));
  assert_non_null(strstr(r.out, "rdpdoctor explain 0x2308"));
}

/* Exactly one line on stderr, nothing on stdout, exit 64. */
static void expect_usage_error(run *r) {
  if (r->rc != RD_EXIT_USAGE)
    fail_msg("exit %d, expected 64; stderr: %s", r->rc, r->err);
  assert_string_equal(r->out, "");
  size_t len = strlen(r->err);
  assert_true(len > 12 && len < 300);
  assert_memory_equal(r->err, "rdpdoctor: ", 11);
  assert_true(r->err[len - 1] == '\n');
  assert_null(memchr(r->err, '\n', len - 1));
}

static void test_explain_bad_input_one_line(void **state) {
  static run r;
  RUN(&r, "explain");
  expect_usage_error(&r);
  RUN(&r, "explain", "");
  expect_usage_error(&r);
  RUN(&r, "explain", "garbage!");
  expect_usage_error(&r);
  RUN(&r, "explain", "0x1_0000_0000");
  expect_usage_error(&r);
  RUN(&r, "explain", "0x100000000");
  expect_usage_error(&r);
  RUN(&r, "explain", "99999999999999999999");
  expect_usage_error(&r);
  RUN(&r, "explain", "-0x904");
  expect_usage_error(&r);
  RUN(&r, "explain", "-9999999999");
  expect_usage_error(&r);
  RUN(&r, "explain", "1", "2", "3");
  expect_usage_error(&r);
  RUN(&r, "explain", "--bogus", "0x904");
  expect_usage_error(&r);
  RUN(&r, "explain", "Error code: nothing");
  expect_usage_error(&r);
  RUN(&r, "explain", "\x1b[2J\x1b[H\n\nevil");
  expect_usage_error(&r);
  assert_null(strchr(r.err, '\x1b')); /* control bytes are not echoed */
  RUN(&r);
  expect_usage_error(&r);
  RUN(&r, "frobnicate");
  expect_usage_error(&r);
}

static void test_explain_ten_thousand_arguments(void **state) {
  enum { N = 10000 };
  static char *argv[N + 2];
  static run r;
  argv[0] = "rdpdoctor";
  argv[1] = "explain";
  for (int i = 0; i < N; i++)
    argv[i + 2] = "0x904";
  run_cli(&r, N + 2, argv);
  expect_usage_error(&r);
}

static void test_explain_event_as_the_viewer_shows_it(void **state) {
  static run r;
  RUN(&r, "explain", "Schannel", "36870");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "event ID 36870"));
  assert_non_null(strstr(r.out, "MachineKeys"));
  RUN(&r, "explain", "event", "1057");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "TermService-1057"));
  RUN(&r, "explain", "event", "77777");
  assert_int_equal(r.rc, RD_EXIT_EXPLAIN_UNKNOWN);
  RUN(&r, "explain", "event", "0x421");
  expect_usage_error(&r);
}

static void test_help_and_version(void **state) {
  static run r;
  RUN(&r, "--version");
  assert_int_equal(r.rc, 0);
  assert_memory_equal(r.out, "rdpdoctor ", 10);
  RUN(&r, "--help");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "explain"));
  RUN(&r, "explain", "--help");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "Exit codes"));
}

/* The longest line of a text, in bytes (help texts are ASCII). */
static size_t longest_line(const char *text) {
  size_t best = 0;
  for (const char *p = text; *p != '\0';) {
    size_t len = strcspn(p, "\n");
    best = len > best ? len : best;
    p += len + (p[len] == '\n');
  }
  return best;
}

/* Every help text reads in an 80-column terminal without a line breaking mid-word. */
static void test_help_fits_80_columns(void **state) {
  static run r;
  RUN(&r, "--help");
  assert_in_range(longest_line(r.out), 40, 80);
  RUN(&r, "check", "--help");
  assert_in_range(longest_line(r.out), 40, 80);
  RUN(&r, "scan", "--help");
  assert_in_range(longest_line(r.out), 40, 80);
  RUN(&r, "explain", "--help");
  assert_in_range(longest_line(r.out), 40, 80);
#ifndef _WIN32
  RUN(&r, "exporter", "--help");
  assert_in_range(longest_line(r.out), 40, 80);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help_fits_80_columns),
      cmocka_unit_test(test_explain_pair_golden),
      cmocka_unit_test(test_explain_dialog_line_golden),
      cmocka_unit_test(test_explain_ambiguous_number_golden),
      cmocka_unit_test(test_explain_json_golden),
      cmocka_unit_test(test_explain_unknown_exits_1),
      cmocka_unit_test(test_explain_dialog_sentences_golden),
      cmocka_unit_test(test_explain_bare_numbers_golden),
      cmocka_unit_test(test_explain_bad_input_one_line),
      cmocka_unit_test(test_explain_ten_thousand_arguments),
      cmocka_unit_test(test_explain_event_as_the_viewer_shows_it),
      cmocka_unit_test(test_help_and_version),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
