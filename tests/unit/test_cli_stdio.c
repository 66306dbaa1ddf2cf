/* Closed standard descriptors are reopened on /dev/null before anything else opens a file or a
 * socket (src/cli/stdio.c): otherwise libuv aborts (exit 134) and output could reach a socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "cli/cli.h"

/* Closes fd, runs rd_cli_reopen_stdio, checks fd is open again on /dev/null, restores fd. */
static void reopen_one(int fd, unsigned bit) {
  int saved = dup(fd);
  assert_true(saved > 2);
  close(fd);
  unsigned closed = 0;
  int r = rd_cli_reopen_stdio(&closed);
  int still_open = fcntl(fd, F_GETFD) != -1;
  int flags = fcntl(fd, F_GETFL);
  dup2(saved, fd);
  close(saved);
  assert_int_equal(r, 0);
  assert_int_equal(closed, bit);
  assert_true(still_open);
  assert_int_equal(flags & O_ACCMODE, fd == 0 ? O_RDONLY : O_WRONLY);
}

static void test_rd_cli_reopen_stdio_each(void **state) {
  reopen_one(0, RD_STDIO_IN);
  reopen_one(1, RD_STDIO_OUT);
  reopen_one(2, RD_STDIO_ERR);
}

static void test_rd_cli_reopen_stdio_all_open(void **state) {
  unsigned closed = 99;
  assert_int_equal(rd_cli_reopen_stdio(&closed), 0);
  assert_int_equal(closed, 0);
}

/* Two closed at once: the lower reopened descriptor must not end up in the higher's place. */
static void test_rd_cli_reopen_stdio_two(void **state) {
  int s0 = dup(0), s2 = dup(2);
  close(0);
  close(2);
  unsigned closed = 0;
  int r = rd_cli_reopen_stdio(&closed);
  int ok0 = fcntl(0, F_GETFL), ok2 = fcntl(2, F_GETFL);
  dup2(s0, 0);
  dup2(s2, 2);
  close(s0);
  close(s2);
  assert_int_equal(r, 0);
  assert_int_equal(closed, RD_STDIO_IN | RD_STDIO_ERR);
  assert_int_equal(ok0 & O_ACCMODE, O_RDONLY);
  assert_int_equal(ok2 & O_ACCMODE, O_WRONLY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_cli_reopen_stdio_each),
      cmocka_unit_test(test_rd_cli_reopen_stdio_all_open),
      cmocka_unit_test(test_rd_cli_reopen_stdio_two),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
