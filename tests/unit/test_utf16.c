/* UTF-8 to UTF-16LE and Windows' uppercase table (core/utf16). Expected values: UTF-16 by hand
 * from the code points; uppercasing from Windows' $UpCase table (Vista and later) as ntfs-3g
 * transcribes it. The streaming form is checked against the buffered one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "core/utf16.h"

static void test_rd_utf8_to_utf16le_encodes(void **state) {
  /* "aé€𝄞": 1-, 2-, 3- and 4-byte UTF-8; the last becomes a surrogate pair. */
  static const char in[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e";
  static const uint8_t want[] = {'a', 0, 0xe9, 0x00, 0xac, 0x20, 0x34, 0xd8, 0x1e, 0xdd};
  uint8_t out[16];
  size_t n = 0;
  assert_int_equal(rd_utf8_to_utf16le(in, strlen(in), false, out, sizeof(out), &n), 0);
  assert_int_equal(n, sizeof(want));
  assert_memory_equal(out, want, sizeof(want));

  /* Measure, then an exact fit, then one byte short. */
  n = 0;
  assert_int_equal(rd_utf8_to_utf16le(in, strlen(in), false, NULL, 0, &n), 0);
  assert_int_equal(n, sizeof(want));
  assert_int_equal(rd_utf8_to_utf16le(in, strlen(in), false, out, sizeof(want), &n), 0);
  assert_int_equal(rd_utf8_to_utf16le(in, strlen(in), false, out, sizeof(want) - 1, &n),
                   RD_E_INVALID);
  assert_int_equal(n, sizeof(want));

  /* Empty. */
  assert_int_equal(rd_utf8_to_utf16le("", 0, false, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
}

static void test_rd_utf8_to_utf16le_upper(void **state) {
  /* "jörg ÿ ĳ ž ς я ё µ ß" uppercased. */
  static const char in[] = "j\xc3\xb6rg \xc3\xbf \xc4\xb3 \xc5\xbe \xcf\x82 \xd1\x8f \xd1\x91 "
                           "\xc2\xb5 \xc3\x9f";
  static const uint8_t want[] = {'J', 0, 0xd6, 0, 'R', 0, 'G', 0, ' ', 0, /* JÖRG */
                                 0x78, 0x01, ' ', 0,                     /* Ÿ */
                                 0x32, 0x01, ' ', 0,                     /* Ĳ */
                                 0x7d, 0x01, ' ', 0,                     /* Ž */
                                 0xa3, 0x03, ' ', 0,                     /* Σ */
                                 0x2f, 0x04, ' ', 0,                     /* Я */
                                 0x01, 0x04, ' ', 0,                     /* Ё */
                                 0xb5, 0x00, ' ', 0,                     /* µ stays */
                                 0xdf, 0x00};                            /* ß stays */
  uint8_t out[64];
  size_t n = 0;
  assert_int_equal(rd_utf8_to_utf16le(in, strlen(in), true, out, sizeof(out), &n), 0);
  assert_int_equal(n, sizeof(want));
  assert_memory_equal(out, want, sizeof(want));
}

static void test_rd_utf8_to_utf16le_rejects_invalid(void **state) {
  static const struct {
    const char *s;
    size_t n;
  } bad[] = {
      {"\x80", 1},                 /* lone continuation */
      {"\xc0\x80", 2},             /* overlong NUL */
      {"\xc1\xbf", 2},             /* overlong */
      {"\xe0\x80\x80", 3},         /* overlong 3-byte */
      {"\xf0\x80\x80\x80", 4},     /* overlong 4-byte */
      {"\xed\xa0\x80", 3},         /* surrogate U+D800 */
      {"\xed\xbf\xbf", 3},         /* surrogate U+DFFF */
      {"\xf4\x90\x80\x80", 4},     /* U+110000 */
      {"\xf5\x80\x80\x80", 4},     /* never valid lead */
      {"\xff", 1},                 /* never valid */
      {"\xc3", 1},                 /* truncated */
      {"a\xe2\x82", 3},            /* truncated at the end */
      {"\xe2\x28\xa1", 3},         /* bad continuation */
      {"a\0b", 3},                 /* embedded NUL */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t out[16];
    size_t n = 99;
    memset(out, 0xee, sizeof(out));
    assert_int_equal(rd_utf8_to_utf16le(bad[i].s, bad[i].n, false, out, sizeof(out), &n),
                     RD_E_MALFORMED);
    assert_int_equal(n, 99);
  }
  /* Edges that are valid: U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
  static const char ok[] = "\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
                           "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  size_t n;
  assert_int_equal(rd_utf8_to_utf16le(ok, strlen(ok), false, NULL, 0, &n), 0);
  assert_int_equal(n, 5 * 2 + 2 * 4);
  assert_int_equal(rd_utf8_to_utf16le(NULL, 1, false, NULL, 0, &n), RD_E_INVALID);
  assert_int_equal(rd_utf8_to_utf16le("a", 1, false, NULL, 0, NULL), RD_E_INVALID);
}

static void test_rd_ntlm_upcase_ranges(void **state) {
  assert_int_equal(rd_ntlm_upcase('a'), 'A');
  assert_int_equal(rd_ntlm_upcase('z'), 'Z');
  assert_int_equal(rd_ntlm_upcase('A'), 'A');
  assert_int_equal(rd_ntlm_upcase('1'), '1');
  assert_int_equal(rd_ntlm_upcase(0xe0), 0xc0); /* à */
  assert_int_equal(rd_ntlm_upcase(0xfe), 0xde); /* þ */
  assert_int_equal(rd_ntlm_upcase(0xf7), 0xf7); /* ÷ */
  assert_int_equal(rd_ntlm_upcase(0xff), 0x178);
  assert_int_equal(rd_ntlm_upcase(0x101), 0x100); /* ā */
  assert_int_equal(rd_ntlm_upcase(0x100), 0x100);
  assert_int_equal(rd_ntlm_upcase(0x131), 0x131); /* ı stays */
  assert_int_equal(rd_ntlm_upcase(0x13a), 0x139); /* ĺ */
  assert_int_equal(rd_ntlm_upcase(0x149), 0x149); /* ŉ stays */
  assert_int_equal(rd_ntlm_upcase(0x14b), 0x14a); /* ŋ */
  assert_int_equal(rd_ntlm_upcase(0x17e), 0x17d); /* ž */
  assert_int_equal(rd_ntlm_upcase(0x17f), 0x17f); /* ſ stays */
  assert_int_equal(rd_ntlm_upcase(0xb5), 0xb5);   /* µ stays, as in Windows' table */
  assert_int_equal(rd_ntlm_upcase(0x3ac), 0x386); /* ά */
  assert_int_equal(rd_ntlm_upcase(0x3af), 0x38a); /* ί */
  assert_int_equal(rd_ntlm_upcase(0x3b1), 0x391); /* α */
  assert_int_equal(rd_ntlm_upcase(0x3c2), 0x3a3); /* ς */
  assert_int_equal(rd_ntlm_upcase(0x3c9), 0x3a9); /* ω */
  assert_int_equal(rd_ntlm_upcase(0x3cb), 0x3ab); /* ϋ */
  assert_int_equal(rd_ntlm_upcase(0x3cc), 0x38c); /* ό */
  assert_int_equal(rd_ntlm_upcase(0x3ce), 0x38f); /* ώ */
  assert_int_equal(rd_ntlm_upcase(0x430), 0x410); /* а */
  assert_int_equal(rd_ntlm_upcase(0x450), 0x400); /* ѐ */
  assert_int_equal(rd_ntlm_upcase(0x45f), 0x40f); /* џ */
  assert_int_equal(rd_ntlm_upcase(0x491), 0x490); /* ґ */
  assert_int_equal(rd_ntlm_upcase(0x490), 0x490);
  assert_int_equal(rd_ntlm_upcase(0x4c2), 0x4c1); /* ӂ */
  assert_int_equal(rd_ntlm_upcase(0x4cf), 0x4c0); /* ӏ */
  assert_int_equal(rd_ntlm_upcase(0x4d9), 0x4d8); /* ә */
  assert_int_equal(rd_ntlm_upcase(0x513), 0x512);
  assert_int_equal(rd_ntlm_upcase(0x561), 0x531); /* Armenian ա */
  assert_int_equal(rd_ntlm_upcase(0x587), 0x587); /* ligature և stays */
  assert_int_equal(rd_ntlm_upcase(0xff41), 0xff21); /* fullwidth a */
  assert_int_equal(rd_ntlm_upcase(0x4e00), 0x4e00);
  assert_int_equal(rd_ntlm_upcase(0x1d11e), 0x1d11e);
  /* Every letter this table uppercases is unchanged by a second pass. */
  for (uint32_t cp = 0; cp < 0x10000; cp++)
    assert_int_equal(rd_ntlm_upcase(rd_ntlm_upcase(cp)), rd_ntlm_upcase(cp));
}

/* A sink that collects what the stream hands it, or refuses after `fail_after` calls. */
typedef struct collect {
  uint8_t buf[512];
  size_t len, calls, fail_after;
} collect;

static bool put_collect(void *ctx, const uint8_t *p, size_t n) {
  collect *k = ctx;
  if (k->calls++ >= k->fail_after || n > 64 || k->len + n > sizeof(k->buf))
    return false;
  memcpy(k->buf + k->len, p, n);
  k->len += n;
  return true;
}

static void test_rd_utf8_to_utf16le_stream_matches_buffer(void **state) {
  /* 100 characters of 1 to 4 UTF-8 bytes: more than one 64-byte piece of UTF-16LE. */
  char in[400];
  size_t n = 0;
  static const char *const parts[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e"};
  for (int i = 0; i < 100; i++) {
    size_t k = strlen(parts[i % 4]);
    memcpy(in + n, parts[i % 4], k);
    n += k;
  }
  uint8_t want[512];
  size_t want_len = 0;
  assert_int_equal(rd_utf8_to_utf16le(in, n, true, want, sizeof(want), &want_len), 0);
  collect k = {.fail_after = 1000};
  assert_int_equal(rd_utf8_to_utf16le_stream(in, n, true, put_collect, &k), 0);
  assert_true(k.calls > 1);
  assert_int_equal(k.len, want_len);
  assert_memory_equal(k.buf, want, want_len);

  /* A sink that fails, a malformed input, and the argument checks. */
  collect refuse = {.fail_after = 0};
  assert_int_equal(rd_utf8_to_utf16le_stream(in, n, false, put_collect, &refuse), RD_E_NOMEM);
  collect bad = {.fail_after = 1000};
  assert_int_equal(rd_utf8_to_utf16le_stream("ab\xff", 3, false, put_collect, &bad),
                   RD_E_MALFORMED);
  assert_int_equal(rd_utf8_to_utf16le_stream(NULL, 1, false, put_collect, &bad), RD_E_INVALID);
  assert_int_equal(rd_utf8_to_utf16le_stream("a", 1, false, NULL, &bad), RD_E_INVALID);
  collect none = {.fail_after = 0};
  assert_int_equal(rd_utf8_to_utf16le_stream("", 0, false, put_collect, &none), 0);
  assert_int_equal(none.calls, 0);
}

/* A failed conversion leaves nothing of the input in the caller's buffer. */
static void test_rd_utf8_to_utf16le_wipes_on_failure(void **state) {
  static const uint8_t zero[16] = {0};
  uint8_t out[16];
  size_t n = 0;
  memset(out, 0xee, sizeof(out));
  assert_int_equal(rd_utf8_to_utf16le("secret\xff", 7, false, out, sizeof(out), &n),
                   RD_E_MALFORMED);
  assert_memory_equal(out, zero, sizeof(out));
  memset(out, 0xee, sizeof(out));
  assert_int_equal(rd_utf8_to_utf16le("password12", 10, false, out, sizeof(out), &n),
                   RD_E_INVALID);
  assert_int_equal(n, 20);
  assert_memory_equal(out, zero, sizeof(out));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_utf8_to_utf16le_encodes),
      cmocka_unit_test(test_rd_utf8_to_utf16le_upper),
      cmocka_unit_test(test_rd_utf8_to_utf16le_rejects_invalid),
      cmocka_unit_test(test_rd_utf8_to_utf16le_stream_matches_buffer),
      cmocka_unit_test(test_rd_utf8_to_utf16le_wipes_on_failure),
      cmocka_unit_test(test_rd_ntlm_upcase_ranges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
