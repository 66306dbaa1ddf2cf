/* UTF-8 to UTF-16LE and Windows' uppercase table; see utf16.h for the contract. */
#include "utf16.h"
#include "wipe.h"

#include <string.h>

#include "err.h"

/* Windows' uppercase table for the ranges we carry, as Windows Vista and later write it into a new
 * NTFS volume's $UpCase (transcribed by ntfs-3g's ntfs_upcase_table_build). */
enum { ADD, PAIRS };
static const struct upcase_range {
  uint16_t first, last;
  int16_t add; /* ADD: the uppercase is cp + add */
  uint8_t kind; /* PAIRS: from first on, an uppercase letter then its lowercase, alternating */
} upcase_ranges[] = {
    {0x0061, 0x007a, -32, ADD},            /* a-z */
    {0x00e0, 0x00f6, -32, ADD},            /* à-ö */
    {0x00f8, 0x00fe, -32, ADD},            /* ø-þ */
    {0x00ff, 0x00ff, 0x0178 - 0xff, ADD},  /* ÿ */
    {0x0100, 0x012f, 0, PAIRS},            /* Latin Extended-A */
    {0x0132, 0x0137, 0, PAIRS},
    {0x0139, 0x0148, 0, PAIRS},
    {0x014a, 0x0177, 0, PAIRS},
    {0x0179, 0x017e, 0, PAIRS},
    {0x03ac, 0x03ac, -38, ADD},            /* ά */
    {0x03ad, 0x03af, -37, ADD},            /* έ ή ί */
    {0x03b1, 0x03c1, -32, ADD},            /* α-ρ */
    {0x03c2, 0x03c2, -31, ADD},            /* final ς to Σ */
    {0x03c3, 0x03cb, -32, ADD},            /* σ-ϋ */
    {0x03cc, 0x03cc, -64, ADD},            /* ό */
    {0x03cd, 0x03ce, -63, ADD},            /* ύ ώ */
    {0x0430, 0x044f, -32, ADD},            /* а-я */
    {0x0450, 0x045f, -80, ADD},            /* ѐ-џ */
    {0x0460, 0x0481, 0, PAIRS},            /* Cyrillic, historic and extended */
    {0x048a, 0x04bf, 0, PAIRS},            /* … ґ, ғ, қ, ң, ү, ұ, ҳ, һ … */
    {0x04c1, 0x04ce, 0, PAIRS},
    {0x04cf, 0x04cf, -15, ADD},            /* ӏ to Ӏ */
    {0x04d0, 0x0513, 0, PAIRS},
    {0x0561, 0x0586, -48, ADD},            /* Armenian */
    {0xff41, 0xff5a, -32, ADD},            /* fullwidth a-z */
};

uint32_t rd_ntlm_upcase(uint32_t cp) {
  for (size_t i = 0; i < sizeof(upcase_ranges) / sizeof(upcase_ranges[0]); i++) {
    const struct upcase_range *r = &upcase_ranges[i];
    if (cp < r->first || cp > r->last)
      continue;
    if (r->kind == ADD)
      return (uint32_t)((int32_t)cp + r->add);
    return ((cp - r->first) & 1) ? cp - 1 : cp;
  }
  return cp;
}

/* One code point from s[*i..n), advancing *i; false for anything that is not well-formed UTF-8
 * (RFC 3629) or is NUL. */
static bool utf8_next(const uint8_t *s, size_t n, size_t *i, uint32_t *cp) {
  uint8_t b = s[*i];
  size_t len;
  uint32_t v, min;
  if (b == 0)
    return false;
  if (b < 0x80) {
    *cp = b;
    *i += 1;
    return true;
  }
  if (b >= 0xc2 && b <= 0xdf) {
    len = 2;
    v = b & 0x1f;
    min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    len = 3;
    v = b & 0x0f;
    min = 0x800;
  } else if (b >= 0xf0 && b <= 0xf4) {
    len = 4;
    v = b & 0x07;
    min = 0x10000;
  } else {
    return false;
  }
  if (n - *i < len)
    return false;
  for (size_t k = 1; k < len; k++) {
    uint8_t cb = s[*i + k];
    if ((cb & 0xc0) != 0x80)
      return false;
    v = (v << 6) | (cb & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return false;
  *cp = v;
  *i += len;
  return true;
}

int rd_utf8_to_utf16le_stream(const char *s, size_t n, bool upper, rd_utf16_sink put, void *ctx) {
  const uint8_t *u = (const uint8_t *)s;
  uint8_t buf[64];
  size_t used = 0, i = 0;
  uint32_t cp;
  int r = 0;
  if ((s == NULL && n > 0) || put == NULL)
    return RD_E_INVALID;
  while (i < n) {
    if (!utf8_next(u, n, &i, &cp)) {
      r = RD_E_MALFORMED;
      goto out;
    }
    if (upper)
      cp = rd_ntlm_upcase(cp);
    if (used + 4 > sizeof(buf)) {
      if (!put(ctx, buf, used)) {
        r = RD_E_NOMEM;
        goto out;
      }
      used = 0;
    }
    if (cp < 0x10000) {
      buf[used++] = (uint8_t)cp;
      buf[used++] = (uint8_t)(cp >> 8);
    } else {
      uint32_t hi = 0xd800 + ((cp - 0x10000) >> 10), lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      buf[used++] = (uint8_t)hi;
      buf[used++] = (uint8_t)(hi >> 8);
      buf[used++] = (uint8_t)lo;
      buf[used++] = (uint8_t)(lo >> 8);
    }
  }
  if (used > 0 && !put(ctx, buf, used))
    r = RD_E_NOMEM;
out:
  rd_wipe(buf, sizeof(buf));
  return r;
}

/* The caller's buffer as a sink: bytes past cap are counted, not written. */
typedef struct buffer_sink {
  uint8_t *out;
  size_t cap, len;
} buffer_sink;

static bool put_buffer(void *ctx, const uint8_t *p, size_t n) {
  buffer_sink *k = ctx;
  if (k->out != NULL && k->len + n <= k->cap)
    memcpy(k->out + k->len, p, n);
  k->len += n;
  return true;
}

int rd_utf8_to_utf16le(const char *s, size_t n, bool upper, uint8_t *out, size_t cap,
                       size_t *out_len) {
  buffer_sink k = {.out = out, .cap = cap};
  int r;
  if ((s == NULL && n > 0) || out_len == NULL || (out == NULL && cap > 0))
    return RD_E_INVALID;
  if ((r = rd_utf8_to_utf16le_stream(s, n, upper, put_buffer, &k)) != 0) {
    if (out != NULL)
      rd_wipe(out, cap);
    return r;
  }
  *out_len = k.len;
  if (out != NULL && k.len > cap) {
    rd_wipe(out, cap);
    return RD_E_INVALID;
  }
  return 0;
}
