/* Fuzz target for the TSRequest decoder (STYLE.md §10): a failed decode leaves the cursor unmoved,
 * a successful one agrees with the framing function and consumed everything, and what decodes
 * encodes to DER that decodes to the same fields and encodes to the same bytes again. The same
 * input goes to the TSCredentials decoder (a decoded TSPasswordCreds with ASCII strings encodes
 * again to the same fields), to the Early User Authorization Result decoder, and, cut in three, to
 * the TSCredentials encoder as UTF-8 strings, whose output must decode to their UTF-16LE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"
#include "core/tsrequest.h"
#include "core/utf16.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_same_span(const rd_cur *a, const rd_cur *b) {
  if (rd_cur_len(a) != rd_cur_len(b) ||
      (rd_cur_len(a) > 0 && memcmp(rd_cur_data(a), rd_cur_data(b), rd_cur_len(a)) != 0))
    abort();
}

static void check_same_fields(const rd_tsrequest *a, const rd_tsrequest *b) {
  if (a->version != b->version || a->nego_present != b->nego_present ||
      a->auth_info_present != b->auth_info_present ||
      a->pub_key_auth_present != b->pub_key_auth_present ||
      a->error_code_present != b->error_code_present ||
      a->client_nonce_present != b->client_nonce_present || a->error_code != b->error_code)
    abort();
  if (b->nego_present ? b->nego_count != 1 : b->nego_count != 0)
    abort(); /* the encoder writes one NegoDataItem */
  check_same_span(&a->nego_token, &b->nego_token);
  check_same_span(&a->auth_info, &b->auth_info);
  check_same_span(&a->pub_key_auth, &b->pub_key_auth);
  check_same_span(&a->client_nonce, &b->client_nonce);
}

static uint8_t *encode(const rd_tsrequest *req, size_t *len) {
  rd_bld b;
  uint8_t *out;
  rd_bld_init(&b, 1u << 20);
  if (rd_tsrequest_encode(req, &b) != 0 || !rd_bld_finish(&b, &out, len))
    abort();
  return out;
}

/* UTF-16LE that is all ASCII (1..127) to a C string in out (cap > n / 2); false otherwise. */
static bool ascii_from_utf16(const rd_cur *s, char *out, size_t cap) {
  size_t n = rd_cur_len(s);
  const uint8_t *p = rd_cur_data(s);
  if (n % 2 != 0 || n / 2 >= cap)
    return false;
  for (size_t i = 0; i < n / 2; i++) {
    if (p[2 * i] == 0 || p[2 * i] >= 0x80 || p[2 * i + 1] != 0)
      return false;
    out[i] = (char)p[2 * i];
  }
  out[n / 2] = '\0';
  return true;
}

static uint8_t *encode_creds(const char *dom, const char *user, const char *pw, size_t *len) {
  rd_bld b;
  uint8_t *out;
  rd_bld_init(&b, 1u << 20);
  if (rd_tscredentials_encode_password(dom, user, pw, &b) != 0 || !rd_bld_finish(&b, &out, len))
    abort();
  return out;
}

static void check_creds_decode(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_tscredentials tc, again;
  char dom[256], user[256], pw[256];
  size_t len;
  rd_cur_init(&c, d, n);
  if (rd_tscredentials_decode(&c, &tc) != 0) {
    if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
      abort();
    return;
  }
  if (!rd_cur_is_empty(&c) || tc.password_present != (tc.cred_type == RD_TSCRED_TYPE_PASSWORD))
    abort();
  if (!tc.password_present || !ascii_from_utf16(&tc.domain, dom, sizeof dom) ||
      !ascii_from_utf16(&tc.user, user, sizeof user) ||
      !ascii_from_utf16(&tc.password, pw, sizeof pw))
    return;
  uint8_t *out = encode_creds(dom, user, pw, &len);
  rd_cur_init(&c, out, len);
  if (rd_tscredentials_decode(&c, &again) != 0 || !again.password_present)
    abort();
  check_same_span(&tc.domain, &again.domain);
  check_same_span(&tc.user, &again.user);
  check_same_span(&tc.password, &again.password);
  free(out);
}

/* d cut at its first two 0xff bytes into three UTF-8 strings. */
static void check_creds_encode(const uint8_t *d, size_t n) {
  char *s = malloc(n + 1), *part[3];
  size_t k = 0;
  if (s == NULL)
    abort();
  memcpy(s, d, n);
  s[n] = '\0';
  part[0] = s;
  part[1] = part[2] = s + n; /* empty unless cut */
  for (size_t i = 0; i < n && k < 2; i++) {
    if ((uint8_t)s[i] == 0xff) {
      s[i] = '\0';
      part[++k] = s + i + 1;
    }
  }
  rd_bld b;
  rd_bld_init(&b, 1u << 20);
  int r = rd_tscredentials_encode_password(part[0], part[1], part[2], &b);
  if (r != 0) {
    /* Only a string that is not UTF-8 (or over 64 KiB of UTF-16LE) is refused, writing nothing. */
    if ((r != RD_E_MALFORMED && r != RD_E_INVALID) || rd_bld_len(&b) != 0)
      abort();
    rd_bld_cleanup(&b);
    free(s);
    return;
  }
  uint8_t *out;
  size_t len, need;
  rd_cur c;
  rd_tscredentials tc;
  if (!rd_bld_finish(&b, &out, &len) || rd_ber_frame_need(out, len, 1u << 24, &need) != 0 ||
      need != len)
    abort();
  rd_cur_init(&c, out, len);
  if (rd_tscredentials_decode(&c, &tc) != 0 || !tc.password_present)
    abort();
  const rd_cur *got[3] = {&tc.domain, &tc.user, &tc.password};
  for (int i = 0; i < 3; i++) {
    size_t ulen;
    uint8_t *u = malloc(2 * strlen(part[i]) + 1);
    rd_cur want;
    if (u == NULL ||
        rd_utf8_to_utf16le(part[i], strlen(part[i]), false, u, 2 * strlen(part[i]) + 1, &ulen) != 0)
      abort();
    rd_cur_init(&want, u, ulen);
    check_same_span(&want, got[i]);
    free(u);
  }
  free(out);
  free(s);
}

static void check_early_authz(const uint8_t *d, size_t n) {
  uint32_t v = 0;
  int r = rd_credssp_decode_early_authz(d != NULL ? d : (const uint8_t *)"", n, &v);
  if ((r == 0) != (n == RD_CREDSSP_EARLY_AUTHZ_LEN) || (r != 0 && r != RD_E_MALFORMED))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_tsrequest req, again;
  size_t need = 0, len, len2;
  check_creds_decode(d, n);
  check_creds_encode(d, n);
  check_early_authz(d, n);
  rd_cur_init(&c, d, n);
  if (rd_tsrequest_decode(&c, &req) != 0) {
    if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
      abort();
    return 0;
  }
  if (!rd_cur_is_empty(&c) || rd_ber_frame_need(d, n, 1u << 24, &need) != 0 || need != n)
    abort();
  if (req.nego_present ? req.nego_count == 0 : req.nego_count != 0)
    abort();

  uint8_t *out = encode(&req, &len);
  rd_cur_init(&c, out, len);
  if (rd_tsrequest_decode(&c, &again) != 0)
    abort();
  check_same_fields(&req, &again);
  uint8_t *out2 = encode(&again, &len2);
  if (len2 != len || memcmp(out, out2, len) != 0)
    abort();
  free(out2);
  free(out);
  return 0;
}
