/* Credentials: user forms, password sources, wiping (src/cli/credentials.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli/credentials.h"
#include "core/err.h"

static void test_rd_credentials_parse_user_forms(void **state) {
  rd_credentials c;
  const char *why;
  assert_int_equal(rd_credentials_parse_user("LAB\\alice", &c, &why), 0);
  assert_string_equal(c.domain, "LAB");
  assert_string_equal(c.user, "alice");
  assert_int_equal(rd_credentials_parse_user("bob@lab.example", &c, &why), 0);
  assert_string_equal(c.user, "bob");
  assert_string_equal(c.domain, "lab.example");
  assert_int_equal(rd_credentials_parse_user("carol", &c, &why), 0);
  assert_string_equal(c.domain, "");
  assert_int_equal(rd_credentials_parse_user(".\\local", &c, &why), 0);
  assert_string_equal(c.domain, ".");
  assert_int_equal(rd_credentials_parse_user("", &c, &why), RD_E_MALFORMED);
  assert_int_equal(rd_credentials_parse_user("LAB\\", &c, &why), RD_E_MALFORMED);
  assert_int_equal(rd_credentials_parse_user("a\tb", &c, &why), RD_E_MALFORMED);
  char big[600];
  memset(big, 'u', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(rd_credentials_parse_user(big, &c, &why), RD_E_MALFORMED);
}

static void test_rd_credentials_read_password_env_is_wiped(void **state) {
  rd_credentials c;
  const char *why;
  memset(&c, 0, sizeof c);
  setenv("RDPDOCTOR_PASSWORD", "Passw0rd!", 1);
  char *env = getenv("RDPDOCTOR_PASSWORD");
  assert_int_equal(rd_credentials_read_password(&c, NULL, &why), 0);
  assert_string_equal(c.password, "Passw0rd!");
  assert_null(getenv("RDPDOCTOR_PASSWORD"));
  /* The old environment storage no longer holds the password. */
  assert_int_not_equal(memcmp(env, "Passw0rd!", 9), 0);
  rd_credentials_wipe(&c);
  for (size_t i = 0; i < sizeof c.password; i++)
    assert_int_equal(c.password[i], 0);
}

static void test_rd_credentials_read_password_file(void **state) {
  char path[] = "/tmp/rdpdoctor-pw-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "s3cret\nsecond line\n", 19), 19);
  close(fd);
  rd_credentials c;
  const char *why = NULL;
  memset(&c, 0, sizeof c);
  assert_int_equal(rd_credentials_read_password(&c, path, &why), 0);
  assert_string_equal(c.password, "s3cret");
  unlink(path);
  assert_int_equal(rd_credentials_read_password(&c, path, &why), RD_E_IO);
  assert_non_null(why);
  assert_null(strstr(why, "s3cret"));
}

/* A password file wins, and RDPDOCTOR_PASSWORD is wiped all the same. */
static void test_rd_credentials_read_password_file_also_wipes_env(void **state) {
  char path[] = "/tmp/rdpdoctor-pw-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "fromfile\n", 9), 9);
  close(fd);
  setenv("RDPDOCTOR_PASSWORD", "FromEnv!", 1);
  char *env = getenv("RDPDOCTOR_PASSWORD");
  rd_credentials c;
  const char *why;
  memset(&c, 0, sizeof c);
  assert_int_equal(rd_credentials_read_password(&c, path, &why), 0);
  unlink(path);
  assert_string_equal(c.password, "fromfile");
  assert_null(getenv("RDPDOCTOR_PASSWORD"));
  assert_int_not_equal(memcmp(env, "FromEnv!", 8), 0);
  rd_credentials_wipe(&c);
}

/* Without --user no password is read, and the variable is wiped anyway. */
static void test_rd_credentials_forget_environment(void **state) {
  setenv("RDPDOCTOR_PASSWORD", "Unused#1", 1);
  char *env = getenv("RDPDOCTOR_PASSWORD");
  rd_credentials_forget_environment();
  assert_null(getenv("RDPDOCTOR_PASSWORD"));
  assert_int_not_equal(memcmp(env, "Unused#1", 8), 0);
  rd_credentials_forget_environment(); /* unset: nothing to do */
}

/* The process cannot be dumped (core file, ptrace, /proc/PID/mem) once it holds a password. */
static void test_rd_credentials_read_password_not_dumpable(void **state) {
#ifdef __linux__
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
  setenv("RDPDOCTOR_PASSWORD", "x", 1);
  rd_credentials c;
  const char *why;
  memset(&c, 0, sizeof c);
  assert_int_equal(rd_credentials_read_password(&c, NULL, &why), 0);
  assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  rd_credentials_wipe(&c);
#else
  skip();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_credentials_parse_user_forms),
      cmocka_unit_test(test_rd_credentials_read_password_env_is_wiped),
      cmocka_unit_test(test_rd_credentials_read_password_file),
      cmocka_unit_test(test_rd_credentials_read_password_file_also_wipes_env),
      cmocka_unit_test(test_rd_credentials_forget_environment),
      cmocka_unit_test(test_rd_credentials_read_password_not_dumpable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
