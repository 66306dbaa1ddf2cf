/* Client Info (TS_INFO_PACKET): the [MS-RDPBCGR] 4.1.10 example's fields (NTDEV\eltons, no
 * password, 157.59.242.156, mstscax.dll, Pacific time), as IronRDP's testsuite carries the bytes
 * (398 bytes, ending at performanceFlags), checked in both directions; our encoder always adds
 * cbAutoReconnectCookie = 0, so the encoded form is those bytes plus 00 00 and both decode. Then
 * the password path, the flags, limits and the decoder's edge cases (STYLE.md §9). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/info.h"
#include "core/wipe.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

static const uint8_t spec_4_1_10[400] = {
    0x09, 0x04, 0x09, 0x04,                                                           /* codePage 0x04090409 (en-US) */
    0xb3, 0x43, 0x00, 0x00,                                                           /* flags: MOUSE, DISABLECTRLALTDEL, UNICODE, MAXIMIZESHELL, COMPRESSION, 64K, ENABLEWINDOWSKEY, FORCE_ENCRYPTED_CS_PDU */
    0x0a, 0x00,                                                                       /* cbDomain 10 */
    0x0c, 0x00,                                                                       /* cbUserName 12 */
    0x00, 0x00,                                                                       /* cbPassword 0 */
    0x00, 0x00,                                                                       /* cbAlternateShell 0 */
    0x00, 0x00,                                                                       /* cbWorkingDir 0 */
    0x4e, 0x00, 0x54, 0x00, 0x44, 0x00, 0x45, 0x00, 0x56, 0x00, 0x00, 0x00,           /* Domain "NTDEV" + terminator */
    0x65, 0x00, 0x6c, 0x00, 0x74, 0x00, 0x6f, 0x00, 0x6e, 0x00, 0x73, 0x00, 0x00, 0x00, /* UserName "eltons" + terminator */
    0x00, 0x00,                                                                       /* Password: terminator only */
    0x00, 0x00,                                                                       /* AlternateShell: terminator only */
    0x00, 0x00,                                                                       /* WorkingDir: terminator only */
    0x02, 0x00,                                                                       /* clientAddressFamily AF_INET */
    0x1e, 0x00,                                                                       /* cbClientAddress 30 (terminator included) */
    0x31, 0x00, 0x35, 0x00, 0x37, 0x00, 0x2e, 0x00, 0x35, 0x00, 0x39, 0x00, 0x2e, 0x00, 0x32, 0x00, /* clientAddress "157.59.242.156" */
    0x34, 0x00, 0x32, 0x00, 0x2e, 0x00, 0x31, 0x00, 0x35, 0x00, 0x36, 0x00, 0x00, 0x00,
    0x84, 0x00,                                                                       /* cbClientDir 132 (terminator included) */
    0x43, 0x00, 0x3a, 0x00, 0x5c, 0x00, 0x64, 0x00, 0x65, 0x00, 0x70, 0x00, 0x6f, 0x00, 0x74, 0x00, /* clientDir "C:\\depots\\w2k3_1\\termsrv\\newclient\\lib\\win32\\obj\\i386\\mstscax.dll" */
    0x73, 0x00, 0x5c, 0x00, 0x77, 0x00, 0x32, 0x00, 0x6b, 0x00, 0x33, 0x00, 0x5f, 0x00, 0x31, 0x00,
    0x5c, 0x00, 0x74, 0x00, 0x65, 0x00, 0x72, 0x00, 0x6d, 0x00, 0x73, 0x00, 0x72, 0x00, 0x76, 0x00,
    0x5c, 0x00, 0x6e, 0x00, 0x65, 0x00, 0x77, 0x00, 0x63, 0x00, 0x6c, 0x00, 0x69, 0x00, 0x65, 0x00,
    0x6e, 0x00, 0x74, 0x00, 0x5c, 0x00, 0x6c, 0x00, 0x69, 0x00, 0x62, 0x00, 0x5c, 0x00, 0x77, 0x00,
    0x69, 0x00, 0x6e, 0x00, 0x33, 0x00, 0x32, 0x00, 0x5c, 0x00, 0x6f, 0x00, 0x62, 0x00, 0x6a, 0x00,
    0x5c, 0x00, 0x69, 0x00, 0x33, 0x00, 0x38, 0x00, 0x36, 0x00, 0x5c, 0x00, 0x6d, 0x00, 0x73, 0x00,
    0x74, 0x00, 0x73, 0x00, 0x63, 0x00, 0x61, 0x00, 0x78, 0x00, 0x2e, 0x00, 0x64, 0x00, 0x6c, 0x00,
    0x6c, 0x00, 0x00, 0x00,
    0xe0, 0x01, 0x00, 0x00,                                                           /* Bias 480 minutes */
    0x50, 0x00, 0x61, 0x00, 0x63, 0x00, 0x69, 0x00, 0x66, 0x00, 0x69, 0x00, 0x63, 0x00, 0x20, 0x00, /* StandardName "Pacific Standard Time", NUL-padded to 64 bytes */
    0x53, 0x00, 0x74, 0x00, 0x61, 0x00, 0x6e, 0x00, 0x64, 0x00, 0x61, 0x00, 0x72, 0x00, 0x64, 0x00,
    0x20, 0x00, 0x54, 0x00, 0x69, 0x00, 0x6d, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* StandardDate: October, Sunday, 5th (last) occurrence, 02:00 */
    0x00, 0x00, 0x00, 0x00,                                                           /* StandardBias 0 */
    0x50, 0x00, 0x61, 0x00, 0x63, 0x00, 0x69, 0x00, 0x66, 0x00, 0x69, 0x00, 0x63, 0x00, 0x20, 0x00, /* DaylightName "Pacific Daylight Time", NUL-padded */
    0x44, 0x00, 0x61, 0x00, 0x79, 0x00, 0x6c, 0x00, 0x69, 0x00, 0x67, 0x00, 0x68, 0x00, 0x74, 0x00,
    0x20, 0x00, 0x54, 0x00, 0x69, 0x00, 0x6d, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DaylightDate: April, Sunday, 1st occurrence, 02:00 */
    0xc4, 0xff, 0xff, 0xff,                                                           /* DaylightBias -60 */
    0x00, 0x00, 0x00, 0x00,                                                           /* clientSessionId 0 */
    0x01, 0x00, 0x00, 0x00,                                                           /* performanceFlags PERF_DISABLE_WALLPAPER */
    0x00, 0x00,                                                                       /* cbAutoReconnectCookie 0 */
};

#define SPEC_NO_COOKIE_LEN 398 /* the same without cbAutoReconnectCookie */

static void set_name(uint16_t name[32], const char *ascii) {
  memset(name, 0, 64);
  for (size_t i = 0; ascii[i] && i < 31; i++)
    name[i] = (uint8_t)ascii[i];
}

static rd_info_client spec_client(void) {
  rd_info_client c;
  memset(&c, 0, sizeof(c));
  c.code_page = 0x04090409;
  c.flags = RD_INFO_MOUSE | RD_INFO_DISABLECTRLALTDEL | RD_INFO_UNICODE | RD_INFO_MAXIMIZESHELL |
            RD_INFO_COMPRESSION | 0x200 /* 64K */ | RD_INFO_ENABLEWINDOWSKEY |
            RD_INFO_FORCE_ENCRYPTED_CS_PDU;
  c.domain = "NTDEV";
  c.user = "eltons";
  c.password = "";
  c.address_family = RD_INFO_AF_INET;
  c.client_address = "157.59.242.156";
  c.client_dir = "C:\\depots\\w2k3_1\\termsrv\\newclient\\lib\\win32\\obj\\i386\\mstscax.dll";
  c.time_zone.bias = 480;
  set_name(c.time_zone.standard_name, "Pacific Standard Time");
  c.time_zone.standard_date = (rd_info_systime){.month = 10, .day = 5, .hour = 2};
  set_name(c.time_zone.daylight_name, "Pacific Daylight Time");
  c.time_zone.daylight_date = (rd_info_systime){.month = 4, .day = 1, .hour = 2};
  c.time_zone.daylight_bias = -60;
  c.performance_flags = RD_INFO_PERF_DISABLE_WALLPAPER;
  return c;
}

static int encode(const rd_info_client *c, uint8_t **out, size_t *len) {
  rd_bld b;
  int r;
  rd_bld_init(&b, 4096);
  r = rd_info_encode(c, &b);
  if (!rd_bld_finish(&b, out, len) && r == 0)
    r = RD_E_NOMEM;
  return r;
}

static bool span_is(const rd_cur *s, const char *ascii) {
  size_t n = strlen(ascii);
  if (rd_cur_len(s) != 2 * n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (rd_cur_data(s)[2 * i] != (uint8_t)ascii[i] || rd_cur_data(s)[2 * i + 1] != 0)
      return false;
  return true;
}

static void test_rd_info_encode_spec(void **state) {
  (void)state;
  rd_info_client c = spec_client();
  uint8_t *out;
  size_t len;
  assert_int_equal(encode(&c, &out, &len), 0);
  assert_int_equal(len, sizeof(spec_4_1_10));
  assert_memory_equal(out, spec_4_1_10, len);
  free(out);
}

static void check_spec_fields(const rd_info_packet *p) {
  rd_info_client c = spec_client();
  assert_int_equal(p->code_page, 0x04090409);
  assert_int_equal(p->flags, 0x43b3);
  assert_true(span_is(&p->domain, "NTDEV"));
  assert_true(span_is(&p->user, "eltons"));
  assert_int_equal(rd_cur_len(&p->password), 0);
  assert_int_equal(rd_cur_len(&p->alt_shell), 0);
  assert_int_equal(rd_cur_len(&p->work_dir), 0);
  assert_true(p->has_extended);
  assert_int_equal(p->address_family, RD_INFO_AF_INET);
  assert_true(span_is(&p->client_address, "157.59.242.156"));
  assert_true(span_is(&p->client_dir, c.client_dir));
  assert_true(p->has_time_zone);
  assert_memory_equal(&p->time_zone, &c.time_zone, sizeof(c.time_zone));
  assert_true(p->has_session_id && p->has_performance_flags);
  assert_int_equal(p->session_id, 0);
  assert_int_equal(p->performance_flags, 1);
}

static void test_rd_info_decode_spec(void **state) {
  (void)state;
  rd_cur cur;
  rd_info_packet p;
  rd_cur_init(&cur, spec_4_1_10, sizeof(spec_4_1_10));
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_true(rd_cur_is_empty(&cur));
  check_spec_fields(&p);
  assert_true(p.has_auto_reconnect);
  assert_int_equal(rd_cur_len(&p.auto_reconnect_cookie), 0);
  assert_int_equal(rd_cur_len(&p.rest), 0);

  rd_cur_init(&cur, spec_4_1_10, SPEC_NO_COOKIE_LEN);
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_true(rd_cur_is_empty(&cur));
  check_spec_fields(&p);
  assert_false(p.has_auto_reconnect);
}

/* The password goes out as UTF-16LE with INFO_AUTOLOGON; the buffer is the caller's to wipe. */
static void test_rd_info_encode_password(void **state) {
  (void)state;
  rd_info_client c;
  rd_info_packet p;
  rd_cur cur;
  uint8_t *out;
  size_t len;
  static const uint8_t pw16[] = {'P', 0, 0xe4, 0, 's', 0, 0x34, 0xd8, 0x11, 0xdd}; /* P ä s U+1D111 */
  memset(&c, 0, sizeof(c));
  c.flags = RD_INFO_FLAGS_PROBE;
  c.user = "testuser";
  c.password = "P\xc3\xa4s\xf0\x9d\x84\x91";
  assert_int_equal(encode(&c, &out, &len), 0);
  rd_cur_init(&cur, out, len);
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_int_equal(p.flags, RD_INFO_FLAGS_PROBE | RD_INFO_AUTOLOGON);
  assert_int_equal(rd_cur_len(&p.password), sizeof(pw16));
  assert_memory_equal(rd_cur_data(&p.password), pw16, sizeof(pw16));
  assert_int_equal(p.address_family, RD_INFO_AF_INET); /* 0 is taken as AF_INET */
  assert_int_equal(rd_cur_len(&p.client_address), 0);
  assert_int_equal(len, 18 + 18 + 2 + sizeof(pw16) + 2 + 2 + 2 + 4 + 2 + 2 + 2 + 172 + 10);
  rd_wipe(out, len);
  free(out);

  /* No password: no auto-logon added, none removed. */
  c.password = NULL;
  c.flags = RD_INFO_MOUSE;
  assert_int_equal(encode(&c, &out, &len), 0);
  rd_cur_init(&cur, out, len);
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_int_equal(p.flags, RD_INFO_MOUSE | RD_INFO_UNICODE);
  free(out);
}

static void test_rd_info_encode_limits(void **state) {
  (void)state;
  rd_info_client c;
  char big[600];
  uint8_t *out;
  size_t len;
  rd_bld b;
  memset(&c, 0, sizeof(c));
  assert_int_equal(rd_info_encode(NULL, &b), RD_E_INVALID);
  assert_int_equal(rd_info_encode(&c, NULL), RD_E_INVALID);
  memset(big, 'a', 256);
  big[256] = '\0'; /* 512 bytes of UTF-16: the limit, accepted */
  c.user = big;
  assert_int_equal(encode(&c, &out, &len), 0);
  free(out);
  big[256] = 'a';
  big[257] = '\0'; /* 514: refused */
  assert_int_equal(encode(&c, &out, &len), RD_E_INVALID);
  free(out);
  c.user = "ok";
  big[39] = '\0'; /* 39 characters + terminator = 80 bytes: the address limit */
  c.client_address = big;
  assert_int_equal(encode(&c, &out, &len), 0);
  free(out);
  big[39] = 'a';
  big[40] = '\0';
  assert_int_equal(encode(&c, &out, &len), RD_E_INVALID);
  free(out);
  c.client_address = NULL;
  c.password = "\xff"; /* not UTF-8 */
  assert_int_equal(encode(&c, &out, &len), RD_E_INVALID);
  free(out);
  /* A builder too small fails as NOMEM, sticky. */
  c.password = NULL;
  rd_bld_init(&b, 16);
  assert_int_equal(rd_info_encode(&c, &b), RD_E_NOMEM);
  assert_false(rd_bld_finish(&b, &out, &len));
}

static void expect_malformed(const uint8_t *d, size_t n) {
  rd_cur cur;
  rd_info_packet p;
  rd_cur_init(&cur, d, n);
  assert_int_equal(rd_info_decode(&cur, &p), RD_E_MALFORMED);
  assert_cur_at(&cur, d, n);
}

static void test_rd_info_decode_edges(void **state) {
  (void)state;
  uint8_t buf[sizeof(spec_4_1_10) + 1];
  rd_cur cur;
  rd_info_packet p;

  /* Exact fit: the 18-byte fixed part, five empty strings, no extended info. */
  static const uint8_t minimal[28] = {0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  rd_cur_init(&cur, minimal, sizeof(minimal));
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_false(p.has_extended);

  /* One byte short, at every length. */
  for (size_t n = 0; n < sizeof(minimal); n++)
    expect_malformed(minimal, n);
  expect_malformed(spec_4_1_10, sizeof(spec_4_1_10) - 1);
  expect_malformed(spec_4_1_10, 218 + 100); /* cut inside the time zone */

  /* A trailing byte after cbAutoReconnectCookie = 0 is kept as `rest` (reserved fields); after
   * the cookie-less form it would start cbAutoReconnectCookie and is one byte short. */
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[sizeof(spec_4_1_10)] = 0x55;
  rd_cur_init(&cur, buf, sizeof(buf));
  assert_int_equal(rd_info_decode(&cur, &p), 0);
  assert_int_equal(rd_cur_len(&p.rest), 1);
  memcpy(buf, spec_4_1_10, SPEC_NO_COOKIE_LEN);
  buf[SPEC_NO_COOKIE_LEN] = 0;
  expect_malformed(buf, SPEC_NO_COOKIE_LEN + 1);

  /* Giant lengths: cbDomain 0xffff, cbAutoReconnectCookie 129, cbClientDir over 512. */
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[8] = 0xff, buf[9] = 0xff;
  expect_malformed(buf, sizeof(spec_4_1_10));
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[sizeof(spec_4_1_10) - 2] = 129;
  expect_malformed(buf, sizeof(spec_4_1_10));
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[84] = 0x02, buf[85] = 0x02; /* cbClientDir 514 */
  expect_malformed(buf, sizeof(spec_4_1_10));

  /* Odd size, missing terminator, ANSI. */
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[8] = 9;
  expect_malformed(buf, sizeof(spec_4_1_10));
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[18 + 10] = 'x'; /* the domain's terminator */
  expect_malformed(buf, sizeof(spec_4_1_10));
  memcpy(buf, spec_4_1_10, sizeof(spec_4_1_10));
  buf[4] &= (uint8_t)~RD_INFO_UNICODE;
  expect_malformed(buf, sizeof(spec_4_1_10));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_info_encode_spec),
      cmocka_unit_test(test_rd_info_decode_spec),
      cmocka_unit_test(test_rd_info_encode_password),
      cmocka_unit_test(test_rd_info_encode_limits),
      cmocka_unit_test(test_rd_info_decode_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
