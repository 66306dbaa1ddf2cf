/* Pure certificate questions: see cert.h for the contract. */
#include "core/cert.h"

#include <limits.h>
#include <string.h>

#include "core/err.h"
#include "core/hostname.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool equal_nocase(const char *a, const char *b, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

/* One presented identifier against a valid host name (no trailing dot), RFC 6125 §6.4. */
static bool pattern_matches(const char *pat, const char *host, size_t hlen) {
  size_t plen = strlen(pat);
  if (plen > 0 && pat[plen - 1] == '.')
    plen--;
  if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
    const char *suffix = pat + 1; /* ".example.test" */
    size_t slen = plen - 1;
    const char *dot = memchr(host, '.', hlen);
    /* At least two labels after the wildcard: "*.test" would cover a whole TLD. */
    if (memchr(suffix + 1, '.', slen - 1) == NULL || memchr(suffix, '*', slen) != NULL)
      return false;
    return dot != NULL && dot != host && (size_t)(host + hlen - dot) == slen &&
           equal_nocase(dot, suffix, slen);
  }
  if (memchr(pat, '*', plen) != NULL) /* partial-label and inner wildcards match nothing */
    return false;
  return plen == hlen && equal_nocase(pat, host, hlen);
}

/* An IPv4 or IPv6 literal, IPv6 possibly in brackets, to its bytes (4 or 16); 0 if not one. */
static size_t parse_ip(const char *s, size_t len, uint8_t out[16]) {
  if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
    s++;
    len -= 2;
    if (memchr(s, ':', len) == NULL)
      return 0;
  }
  return rd_hostname_parse_ip(s, len, out);
}

bool rd_cert_name_matches(const rd_cert_facts *f, const char *host) {
  uint8_t want[16], have[16];
  size_t hlen, full, wlen;
  if (f == NULL || host == NULL)
    return false;
  hlen = full = strlen(host);
  if (hlen > 0 && host[hlen - 1] == '.')
    hlen--;
  if ((wlen = parse_ip(host, hlen, want)) != 0) {
    for (size_t i = 0; i < f->san_count; i++) {
      const char *e = f->san[i];
      if (strncmp(e, "IP:", 3) == 0 && parse_ip(e + 3, strlen(e + 3), have) == wlen &&
          memcmp(have, want, wlen) == 0)
        return true;
    }
    return false;
  }
  if (rd_hostname_check(host, full, NULL) != 0)
    return false;
  for (size_t i = 0; i < f->san_count; i++)
    if (strncmp(f->san[i], "DNS:", 4) == 0 && pattern_matches(f->san[i] + 4, host, hlen))
      return true;
  /* RFC 6125 §6.4.4: the CN only stands in when the certificate has no DNS name at all; a broken
   * SAN extension might have had one, so it does not let the CN in either. */
  if (!f->has_dns_san && !f->san_invalid && f->common_name[0] != '\0')
    return pattern_matches(f->common_name, host, hlen);
  return false;
}

int rd_cert_days_left(const rd_cert_facts *f, int64_t now_unix) {
  int64_t d;
  /* Both ends are bounded by what ASN1_TIME holds (years 0-9999) and by int64; clamp the caller's
   * clock instead of overflowing on a nonsense value. */
  if (now_unix > INT64_MAX / 2)
    now_unix = INT64_MAX / 2;
  if (now_unix < INT64_MIN / 2)
    now_unix = INT64_MIN / 2;
  d = floor_div(f->not_after - now_unix, 86400);
  if (d > INT_MAX)
    return INT_MAX;
  if (d < INT_MIN)
    return INT_MIN;
  return (int)d;
}

int rd_cert_format_sha256(const uint8_t fp[RD_CERT_SHA256_LEN], bool colons, char *out,
                          size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t need = colons ? RD_CERT_SHA256_LEN * 3 : RD_CERT_SHA256_LEN * 2 + 1;
  size_t at = 0;
  if (fp == NULL || out == NULL || cap < need)
    return RD_E_INVALID;
  for (size_t i = 0; i < RD_CERT_SHA256_LEN; i++) {
    if (colons && i > 0)
      out[at++] = ':';
    out[at++] = hex[fp[i] >> 4];
    out[at++] = hex[fp[i] & 15];
  }
  out[at] = '\0';
  return 0;
}

