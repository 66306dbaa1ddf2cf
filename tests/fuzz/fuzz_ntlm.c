/* Fuzz target for rd_ntlm_find and the CHALLENGE decoder (STYLE.md §10): the input is a negoToken,
 * raw or wrapped. A failed decode leaves the cursor unmoved; a successful one consumed the message,
 * and every name it produced is bounded, NUL-terminated, valid UTF-8 without surrogates. The
 * NEGOTIATE encoder gets flags from the input and must produce a message rd_ntlm_find locates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ntlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF, no NUL. */
static void check_name(const char *s) {
  size_t len = strnlen(s, RD_NTLM_NAME_MAX);
  if (len >= RD_NTLM_NAME_MAX)
    abort();
  const uint8_t *p = (const uint8_t *)s;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k;
    if (p[i] < 0x80) {
      cp = p[i];
      k = 1;
    } else if ((p[i] & 0xe0) == 0xc0) {
      cp = p[i] & 0x1fu;
      k = 2;
    } else if ((p[i] & 0xf0) == 0xe0) {
      cp = p[i] & 0x0fu;
      k = 3;
    } else if ((p[i] & 0xf8) == 0xf0) {
      cp = p[i] & 0x07u;
      k = 4;
    } else {
      abort();
    }
    if (k > len - i)
      abort();
    for (size_t j = 1; j < k; j++) {
      if ((p[i + j] & 0xc0) != 0x80)
        abort();
      cp = cp << 6 | (p[i + j] & 0x3fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      abort();
    i += k;
  }
}

static void check_challenge(const uint8_t *p, size_t n) {
  rd_cur c;
  rd_ntlm_challenge ch;
  rd_cur_init(&c, p, n);
  if (rd_ntlm_decode_challenge(&c, &ch) != 0) {
    if (rd_cur_data(&c) != p || rd_cur_len(&c) != n)
      abort();
    return;
  }
  if (!rd_cur_is_empty(&c))
    abort();
  check_name(ch.target_name);
  check_name(ch.nb_computer);
  check_name(ch.nb_domain);
  check_name(ch.dns_computer);
  check_name(ch.dns_domain);
  check_name(ch.dns_tree);
  const uint8_t *ti = rd_cur_data(&ch.target_info);
  size_t ti_len = rd_cur_len(&ch.target_info);
  if (ch.target_info_present != (ti_len > 0))
    abort();
  if (ti_len > 0 && (ti < p || ti_len > n || (size_t)(ti - p) > n - ti_len))
    abort();
  if (ch.timestamp_present)
    (void)rd_ntlm_filetime_to_unix(ch.timestamp);
}

static void check_negotiate(const uint8_t *d, size_t n) {
  uint32_t flags = RD_NTLM_NEGOTIATE_FLAGS_DEFAULT;
  rd_ntlm_version v = RD_NTLM_VERSION_DEFAULT;
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_cur msg;
  if (n >= 4)
    flags = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
  if (n >= 5)
    v.build = (uint16_t)(d[4] * 257u);
  rd_bld_init(&b, 64);
  int r = rd_ntlm_encode_negotiate(flags, &v, &b);
  if (r != 0) {
    if (r != RD_E_INVALID || !(flags & (RD_NTLM_NEGOTIATE_DOMAIN_SUPPLIED |
                                        RD_NTLM_NEGOTIATE_WORKSTATION_SUPPLIED)))
      abort();
    rd_bld_cleanup(&b);
    return;
  }
  if (!rd_bld_finish(&b, &out, &len) || len != 40 || rd_ntlm_find(out, len, &msg) != 0 ||
      rd_cur_data(&msg) != out)
    abort();
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur msg;
  /* Straight at the decoder, then the way the probe calls it. */
  check_challenge(d, n);
  if (rd_ntlm_find(d, n, &msg) == 0) {
    if (rd_cur_len(&msg) < RD_NTLM_SSP_ID_LEN || rd_cur_data(&msg) < d ||
        rd_cur_data(&msg) + rd_cur_len(&msg) != d + n ||
        memcmp(rd_cur_data(&msg), "NTLMSSP", RD_NTLM_SSP_ID_LEN) != 0)
      abort();
    check_challenge(rd_cur_data(&msg), rd_cur_len(&msg));
  }
  check_negotiate(d, n);
  return 0;
}
