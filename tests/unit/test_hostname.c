/* Host-name and IP-literal syntax (src/core/hostname.c), the one check behind the command line,
 * the resolver and certificate name matching. IP literals are compared with the C library's
 * inet_pton, which the parser must agree with byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "core/err.h"
#include "core/hostname.h"

static int check(const char *host, const char **why) {
  return rd_hostname_check(host, host == NULL ? 0 : strlen(host), why);
}

static void test_rd_hostname_check_valid(void **state) {
  static const char *const good[] = {
      "rdp-ok.lab.test", "RDP01",      "host_name.corp.example", "xn--bcher-kva.de", "a.b.c.",
      "1.example",       "9host.test", "localhost",              "ab-cd.example",    "a",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(check(good[i], NULL), 0);
  char name[260];
  memset(name, 'a', sizeof name);
  for (size_t i = 63; i < 253; i += 64)
    name[i] = '.';
  assert_int_equal(rd_hostname_check(name, 253, NULL), 0); /* exactly 253 */
  name[253] = '.';
  assert_int_equal(rd_hostname_check(name, 254, NULL), 0); /* plus the root dot */
  /* Only len bytes are read: the rest of a target such as "host:3389" is not part of the name. */
  assert_int_equal(rd_hostname_check("host:3389", 4, NULL), 0);
}

static void test_rd_hostname_check_invalid(void **state) {
  static const struct {
    const char *host, *why;
  } bad[] = {
      {"", "empty host name"},
      {".", "empty label in host name"},
      {"a..b", "empty label in host name"},
      {".a", "empty label in host name"},
      {"a.b..", "empty label in host name"},
      {"-lead.example", "label starts or ends with '-' in host name"},
      {"trail-.example", "label starts or ends with '-' in host name"},
      {"sp ace.example", "invalid character in host name (letters, digits, '-', '_', '.')"},
      {"b\xc3\xbc" "cher.de", "invalid character in host name (letters, digits, '-', '_', '.')"},
      {"\x01" "ctl.example", "invalid character in host name (letters, digits, '-', '_', '.')"},
      {"*.example", "invalid character in host name (letters, digits, '-', '_', '.')"},
      {"host:3389", "invalid character in host name (letters, digits, '-', '_', '.')"},
      {"name%eth0", "a zone ('%') is only valid after an IPv6 address"},
      {"10.0.0.256", "looks like an IPv4 address but is not a valid one"},
      {"10.1", "looks like an IPv4 address but is not a valid one"},
      {"1234", "looks like an IPv4 address but is not a valid one"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *why = NULL;
    assert_int_equal(check(bad[i].host, &why), RD_E_INVALID);
    assert_non_null(why);
    assert_string_equal(why, bad[i].why);
  }
  assert_int_equal(check(NULL, NULL), RD_E_INVALID);
  char name[300];
  const char *why = NULL;
  memset(name, 'a', sizeof name);
  for (size_t i = 63; i < 254; i += 64)
    name[i] = '.';
  assert_int_equal(rd_hostname_check(name, 254, &why), RD_E_INVALID);
  assert_string_equal(why, "host name longer than 253 characters");
  memset(name, 'b', 64);
  strcpy(name + 64, ".example");
  assert_int_equal(check(name, &why), RD_E_INVALID);
  assert_string_equal(why, "label longer than 63 characters in host name");
}

/* Every case must give what inet_pton gives: the same family and the same bytes. */
static void test_rd_hostname_parse_ip_like_inet_pton(void **state) {
  static const char *const cases[] = {
      "0.0.0.0", "127.0.0.1", "255.255.255.255", "192.0.2.10", "256.0.0.1", "1.2.3", "1.2.3.4.5",
      "01.2.3.4", "1.2.3.04", "0.0.0.00", "1..2.3", "1.2.3.4.", ".1.2.3.4", "1.2.3.-4", "1.2.3.4 ",
      "a.b.c.d", "", "::", "::1", "1::", "1::2", "::ffff:10.0.0.1", "::10.0.0.1",
      "0:0:0:0:0:0:0:1", "2001:db8::5", "2001:DB8:0:0:8:800:200C:417A", "fe80::1",
      "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7::8", "1:2:3:4:5:6::8", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
      "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3", "::1.2.3.256", "::01.2.3.4",
      ":::", ":1::2", "1::2::3", "1:", ":1", "12345::1", "0000:0000::0001", "::g", "1:2:3:4:5:6:7:8:",
      "fe80::1%eth0", "[::1]", "1.2.3.4::", "::ffff:1.2.3.4:1", "1::2:", "abcd:ef01::",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = cases[i];
    uint8_t got[16], want[16];
    size_t n = rd_hostname_parse_ip(s, strlen(s), got);
#ifdef _WIN32
    /* Windows' inet_pton (and Wine's) takes a leading zero in an IPv6 address's dotted tail; the
     * parser is glibc's on every platform, so there the answer is glibc's: not an address. */
    if (strcmp(s, "::01.2.3.4") == 0) {
      assert_int_equal(n, 0);
      continue;
    }
#endif
    size_t expect = inet_pton(AF_INET, s, want) == 1 ? 4 : inet_pton(AF_INET6, s, want) == 1 ? 16 : 0;
    if (n != expect)
      fail_msg("'%s': %zu bytes, inet_pton %zu", s, n, expect);
    if (n != 0)
      assert_memory_equal(got, want, n);
  }
  /* Only len bytes are read. */
  uint8_t b[16];
  assert_int_equal(rd_hostname_parse_ip("10.0.0.1:3389", 8, b), 4);
  assert_int_equal(rd_hostname_parse_ip(NULL, 0, b), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_hostname_check_valid),
      cmocka_unit_test(test_rd_hostname_check_invalid),
      cmocka_unit_test(test_rd_hostname_parse_ip_like_inet_pton),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
