/* Fuzz target for rd_ntlm_find and the CHALLENGE decoder (STYLE.md §10): the input is a negoToken,
 * raw or wrapped. A failed decode leaves the cursor unmoved; a successful one consumed the message,
 * and every name it produced is bounded, NUL-terminated, valid UTF-8 without surrogates. The
 * NEGOTIATE encoder gets flags from the input and must produce a message rd_ntlm_find locates.
 * The client's AV list is built from the input (raw, and from a decoded CHALLENGE's TargetInfo)
 * and must be a well-formed list with the MIC flag; an AUTHENTICATE built from a decoded
 * CHALLENGE's names and bytes must give every field back at the offsets its header names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ntlm.h"
#include "core/utf16.h"

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

/* An AV list as rd_ntlm_target_info_for_authenticate writes it: pairs inside the list, exactly one
 * MsvAvFlags, of 4 bytes with the MIC bit, and an EOL as the last 4 bytes. */
static void check_client_av_list(const uint8_t *p, size_t n) {
  rd_cur c;
  uint16_t id, len;
  bool flags = false;
  rd_cur_init(&c, p, n);
  for (;;) {
    rd_cur v;
    uint32_t f;
    if (!rd_cur_get_u16le(&c, &id) || !rd_cur_get_u16le(&c, &len) ||
        !rd_cur_get_span(&c, len, &v))
      abort();
    if (id == RD_NTLM_AV_EOL) {
      if (len != 0 || !rd_cur_is_empty(&c))
        abort();
      break;
    }
    if (id == RD_NTLM_AV_FLAGS) {
      if (flags || !rd_cur_get_u32le(&v, &f) || !rd_cur_is_empty(&v) ||
          !(f & RD_NTLM_AV_FLAG_MIC_PRESENT))
        abort();
      flags = true;
    }
  }
  if (!flags)
    abort();
}

static void check_target_info(rd_cur ti, const char *spn, bool must_succeed) {
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_bld_init(&b, 1u << 20);
  int r = rd_ntlm_target_info_for_authenticate(ti, spn, &b);
  if (r != 0) {
    if (must_succeed || r != RD_E_MALFORMED || rd_bld_len(&b) != 0)
      abort();
    rd_bld_cleanup(&b);
    return;
  }
  if (!rd_bld_finish(&b, &out, &len))
    abort();
  check_client_av_list(out, len);
  free(out);
}

/* The payload field at header offset at of an AUTHENTICATE: it must hold want[0..n). */
static void check_auth_field(const uint8_t *m, size_t len, size_t at, const uint8_t *want,
                             size_t n) {
  rd_cur c;
  uint16_t l, max;
  uint32_t off;
  rd_cur_init(&c, m + at, len - at);
  if (!rd_cur_get_u16le(&c, &l) || !rd_cur_get_u16le(&c, &max) || !rd_cur_get_u32le(&c, &off) ||
      l != n || max != n || off > len || n > len - off || (n > 0 && memcmp(m + off, want, n) != 0))
    abort();
}

static void check_auth_name(const uint8_t *m, size_t len, size_t at, const char *s) {
  uint8_t u[2 * RD_NTLM_NAME_MAX];
  size_t n;
  if (rd_utf8_to_utf16le(s, strlen(s), false, u, sizeof u, &n) != 0)
    abort(); /* the decoder's names are well-formed UTF-8 */
  check_auth_field(m, len, at, u, n);
}

/* An AUTHENTICATE from what the CHALLENGE decoder produced: its names as domain, user and
 * workstation, its TargetInfo as the NT response, its challenge as the LM response. */
static void check_authenticate(const rd_ntlm_challenge *ch) {
  rd_ntlm_authenticate a;
  rd_bld b;
  uint8_t *out;
  size_t len, mic;
  memset(&a, 0, sizeof a);
  a.flags = ch->flags | RD_NTLM_NEGOTIATE_UNICODE;
  a.lm_response = ch->server_challenge;
  a.lm_len = sizeof ch->server_challenge;
  a.nt_response = rd_cur_data(&ch->target_info);
  a.nt_len = rd_cur_len(&ch->target_info);
  a.domain = ch->nb_domain;
  a.user = ch->target_name;
  a.workstation = ch->dns_computer;
  a.encrypted_session_key = ch->server_challenge;
  a.esk_len = ch->flags & 1 ? 8 : 0;
  a.version = ch->version;
  a.with_mic = (ch->flags & 2) != 0;
  rd_bld_init(&b, 1u << 20);
  if (rd_ntlm_encode_authenticate(&a, &b, &mic) != 0 || !rd_bld_finish(&b, &out, &len))
    abort();
  size_t header = 64 + ((a.flags & RD_NTLM_NEGOTIATE_VERSION) || a.with_mic ? 8 : 0) +
                  (a.with_mic ? 16 : 0);
  if (len < header || memcmp(out, "NTLMSSP", 8) != 0 || out[8] != 3 ||
      mic != (a.with_mic ? 72u : 0u))
    abort();
  check_auth_field(out, len, 12, a.lm_response, a.lm_len);
  check_auth_field(out, len, 20, a.nt_response, a.nt_len);
  check_auth_name(out, len, 28, a.domain);
  check_auth_name(out, len, 36, a.user);
  check_auth_name(out, len, 44, a.workstation);
  check_auth_field(out, len, 52, a.encrypted_session_key, a.esk_len);
  free(out);
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
  /* The decoder accepted the list, so building the client's from it cannot fail. */
  check_target_info(ch.target_info, ch.dns_computer, true);
  check_authenticate(&ch);
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
  /* The input as a server's raw AV list, with and without an SPN. */
  rd_cur ti;
  rd_cur_init(&ti, d, n);
  check_target_info(ti, "TERMSRV/host.example", false);
  check_target_info(ti, NULL, false);
  return 0;
}
