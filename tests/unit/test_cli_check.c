/* `rdpdoctor check` command line: every bad input is one line on stderr and exit 64, before any
 * network traffic (src/cli/check_cmd.c, src/cli/target.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "core/err.h"

static int run(char **argv, int argc, char *err_out, size_t size) {
  FILE *out = tmpfile(), *err = tmpfile();
  int rc = rd_cli_main(argc, argv, out, err);
  rewind(err);
  size_t n = fread(err_out, 1, size - 1, err);
  err_out[n] = '\0';
  rewind(out);
  char o[64];
  assert_int_equal(fread(o, 1, sizeof o, out), 0); /* nothing on stdout */
  fclose(out);
  fclose(err);
  return rc;
}

static void expect_usage(int argc, ...) {
  char *argv[8] = {"rdpdoctor", "check"};
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < argc; i++)
    argv[2 + i] = va_arg(ap, char *);
  va_end(ap);
  char err[512];
  int rc = run(argv, argc + 2, err, sizeof err);
  if (rc != 64)
    fail_msg("check %s: exit %d, stderr %s", argc ? argv[2] : "", rc, err);
  size_t len = strlen(err);
  assert_true(len > 12 && err[len - 1] == '\n');
  assert_null(memchr(err, '\n', len - 1));
  assert_memory_equal(err, "rdpdoctor: check: ", 18);
  assert_null(strchr(err, '\x1b')); /* control bytes are never echoed */
}

static void test_check_bad_arguments(void **state) {
  expect_usage(0);
  expect_usage(1, "");
  expect_usage(1, "host:0");
  expect_usage(1, "host:65536");
  expect_usage(1, "host:99999999999999999999");
  expect_usage(1, "host:");
  expect_usage(1, "host:33a");
  expect_usage(1, "[::1");
  expect_usage(1, "[::1]x");
  expect_usage(1, "bad host");
  expect_usage(1, "bad\x1b[2Jhost");
  expect_usage(1, "-x");
  expect_usage(2, "a", "b");
  expect_usage(2, "a", "b\x1b[2J");
  expect_usage(2, "--timeout", "abc");
  expect_usage(2, "--timeout", "0");
  expect_usage(2, "--timeout", "-1");
  expect_usage(1, "--timeout");
  expect_usage(2, "--step-timeout", "1e9");
  expect_usage(1, "a..b");
  expect_usage(1, "999.1.1.1");
  char big[400];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  expect_usage(1, big);
}

/* A password typed on the command line, even mistyped, is refused without being echoed. */
static void expect_secret_not_echoed(char *cmd, char *arg) {
  char *argv[] = {"rdpdoctor", cmd, arg, "host"};
  char err[512];
  int rc = run(argv, 4, err, sizeof err);
  if (rc != 64)
    fail_msg("%s %s: exit %d", cmd, arg, rc);
  if (strstr(err, "Secret") != NULL || strstr(err, "hunter2") != NULL)
    fail_msg("%s %s: the value is echoed: %s", cmd, arg, err);
  assert_null(memchr(err, '\n', strlen(err) - 1));
}

static void test_check_password_option_never_echoed(void **state) {
  static char *const args[] = {"-pSecret", "-p", "--password=Secret", "--password", "--pasword=Secret",
                               "--passwd=Secret", "--PASSWORD=Secret", "--pwd=Secret", "--pass=hunter2",
                               "--secret=hunter2", "--paswd"};
  for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
    expect_secret_not_echoed("check", args[i]);
    expect_secret_not_echoed("explain", args[i]);
  }
  /* Other unknown options show their name, never their value. */
  expect_secret_not_echoed("check", "--bogus=Secret");
  expect_secret_not_echoed("check", "-xSecret");
  char *argv[] = {"rdpdoctor", "--password=Secret"};
  char err[512];
  assert_int_equal(run(argv, 2, err, sizeof err), 64);
  assert_null(strstr(err, "Secret"));
  /* ...and the password option says where a password may come from. */
  char *argv2[] = {"rdpdoctor", "check", "-pSecret", "host"};
  assert_int_equal(run(argv2, 4, err, sizeof err), 64);
  assert_non_null(strstr(err, "RDPDOCTOR_PASSWORD"));
}

static void test_rd_cli_option_shown(void **state) {
  char buf[48];
  assert_string_equal(rd_cli_option_shown(buf, sizeof buf, "--pasword=x"), "--pasword...");
  assert_string_equal(rd_cli_option_shown(buf, sizeof buf, "-pSecret"), "-p...");
  assert_string_equal(rd_cli_option_shown(buf, sizeof buf, "--bogus"), "--bogus");
  assert_string_equal(rd_cli_option_shown(buf, sizeof buf, "-x"), "-x");
  assert_true(rd_cli_is_password_option("--Pass-Word=1"));
  assert_true(rd_cli_is_password_option("-p"));
  assert_false(rd_cli_is_password_option("--json"));
  assert_false(rd_cli_is_password_option("--user"));
  assert_false(rd_cli_is_password_option("-4"));
}

static void test_rd_target_parse_forms(void **state) {
  char host[256];
  uint16_t port;
  const char *why;
  assert_int_equal(rd_target_parse("rdp.example.com", host, sizeof host, &port, &why), 0);
  assert_string_equal(host, "rdp.example.com");
  assert_int_equal(port, 3389);
  assert_int_equal(rd_target_parse("10.0.0.1:13389", host, sizeof host, &port, &why), 0);
  assert_string_equal(host, "10.0.0.1");
  assert_int_equal(port, 13389);
  assert_int_equal(rd_target_parse("[::1]:3390", host, sizeof host, &port, &why), 0);
  assert_string_equal(host, "::1");
  assert_int_equal(port, 3390);
  assert_int_equal(rd_target_parse("fe80::1", host, sizeof host, &port, &why), 0);
  assert_string_equal(host, "fe80::1");
  assert_int_equal(port, 3389);
  assert_int_equal(rd_target_parse("[2001:db8::5]", host, sizeof host, &port, &why), 0);
  assert_string_equal(host, "2001:db8::5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_password_option_never_echoed),
      cmocka_unit_test(test_rd_cli_option_shown),
      cmocka_unit_test(test_check_bad_arguments),
      cmocka_unit_test(test_rd_target_parse_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
