/* TSRequest codec; see tsrequest.h for the rules the decoder enforces. */
#include "tsrequest.h"

#include <string.h>

#include "ber.h"
#include "err.h"
#include "utf16.h"

/* Explicit tags of the TSRequest fields (MS-CSSP 2.2.1). */
enum {
  TAG_VERSION = 0,
  TAG_NEGO_TOKENS = 1,
  TAG_AUTH_INFO = 2,
  TAG_PUB_KEY_AUTH = 3,
  TAG_ERROR_CODE = 4,
  TAG_CLIENT_NONCE = 5,
};

/* Class context-specific (10) and constructed (1) in the top three bits: [n] explicit. */
#define CONTEXT_CONSTRUCTED_MASK 0xe0u
#define CONTEXT_CONSTRUCTED      0xa0u

/* NegoData ::= SEQUENCE OF NegoDataItem, NegoDataItem ::= SEQUENCE { negoToken [0] OCTET STRING }.
 * Every item is checked; the first one's token is kept. */
static bool get_nego_data(rd_cur *field, rd_tsrequest *req) {
  rd_cur list, item, ctx, token;
  size_t count = 0;
  if (!rd_ber_get_sequence(field, &list))
    return false;
  while (!rd_cur_is_empty(&list)) {
    if (!rd_ber_get_sequence(&list, &item) || !rd_ber_get_context(&item, 0, &ctx) ||
        !rd_ber_get_octet_string(&ctx, &token) || !rd_cur_is_empty(&ctx) ||
        !rd_cur_is_empty(&item))
      return false;
    if (count == 0)
      req->nego_token = token;
    count++;
  }
  if (count == 0)
    return false;
  req->nego_present = true;
  req->nego_count = count;
  return true;
}

/* An NTSTATUS is 32 bits; Windows encodes it signed (c0 07 00 ea), an unsigned encoder would write
 * 00 c0 07 00 ea. Both name the same code. */
static bool get_error_code(rd_cur *field, uint32_t *out) {
  int64_t v;
  if (!rd_ber_get_integer(field, &v) || v < INT32_MIN || v > (int64_t)UINT32_MAX)
    return false;
  *out = v < 0 ? (uint32_t)(v + ((int64_t)1 << 32)) : (uint32_t)v;
  return true;
}

/* The content of the explicit tag [n]: exactly one element of the field's type. */
static bool get_field(rd_cur *field, unsigned n, rd_tsrequest *req) {
  bool ok;
  switch (n) {
  case TAG_VERSION:
    ok = rd_ber_get_integer(field, &req->version);
    break;
  case TAG_NEGO_TOKENS:
    ok = get_nego_data(field, req);
    break;
  case TAG_AUTH_INFO:
    ok = req->auth_info_present = rd_ber_get_octet_string(field, &req->auth_info);
    break;
  case TAG_PUB_KEY_AUTH:
    ok = req->pub_key_auth_present = rd_ber_get_octet_string(field, &req->pub_key_auth);
    break;
  case TAG_ERROR_CODE:
    ok = req->error_code_present = get_error_code(field, &req->error_code);
    break;
  case TAG_CLIENT_NONCE:
    ok = req->client_nonce_present = rd_ber_get_octet_string(field, &req->client_nonce);
    break;
  default:
    return true; /* a field from a later revision: skipped whole */
  }
  return ok && rd_cur_is_empty(field);
}

int rd_tsrequest_decode(rd_cur *c, rd_tsrequest *out) {
  rd_cur tmp = *c, seq, field;
  rd_tsrequest req;
  uint8_t tag;
  int last = -1;
  memset(&req, 0, sizeof req);
  if (!rd_ber_get_sequence(&tmp, &seq) || !rd_cur_is_empty(&tmp))
    return RD_E_MALFORMED;
  while (!rd_cur_is_empty(&seq)) {
    if (!rd_ber_get_any_tlv(&seq, &tag, &field) ||
        (tag & CONTEXT_CONSTRUCTED_MASK) != CONTEXT_CONSTRUCTED)
      return RD_E_MALFORMED;
    int n = tag & 0x1f; /* 0..30: ber rejects the high-tag-number form */
    /* version is mandatory and first; DER orders the rest by tag, and a repeated or out-of-order
     * field would leave two answers to one question. */
    if (n <= last || (last < 0 && n != TAG_VERSION) || !get_field(&field, (unsigned)n, &req))
      return RD_E_MALFORMED;
    last = n;
  }
  if (last < 0)
    return RD_E_MALFORMED;
  *out = req;
  *c = tmp;
  return 0;
}

/* [n] { OCTET STRING } from a borrowed span. */
static void add_octets_field(rd_bld *seq, unsigned n, const rd_cur *span) {
  rd_bld ctx, str;
  rd_ber_add_context(seq, n, &ctx);
  rd_ber_add_octet_string(&ctx, &str);
  rd_bld_add_bytes(&str, rd_cur_data(span), rd_cur_len(span));
  rd_bld_close(&str);
  rd_bld_close(&ctx);
}

static void add_integer_field(rd_bld *seq, unsigned n, int64_t v) {
  rd_bld ctx;
  rd_ber_add_context(seq, n, &ctx);
  rd_ber_add_integer(&ctx, v);
  rd_bld_close(&ctx);
}

int rd_tsrequest_encode(const rd_tsrequest *in, rd_bld *b) {
  rd_bld seq, ctx, list, item;
  /* Builder failures are sticky: only the final close is checked. */
  rd_ber_add_sequence(b, &seq);
  add_integer_field(&seq, TAG_VERSION, in->version);
  if (in->nego_present) {
    rd_ber_add_context(&seq, TAG_NEGO_TOKENS, &ctx);
    rd_ber_add_sequence(&ctx, &list);
    rd_ber_add_sequence(&list, &item);
    add_octets_field(&item, 0, &in->nego_token);
    rd_bld_close(&item);
    rd_bld_close(&list);
    rd_bld_close(&ctx);
  }
  if (in->auth_info_present)
    add_octets_field(&seq, TAG_AUTH_INFO, &in->auth_info);
  if (in->pub_key_auth_present)
    add_octets_field(&seq, TAG_PUB_KEY_AUTH, &in->pub_key_auth);
  if (in->error_code_present) {
    uint32_t e = in->error_code;
    int64_t v = e > (uint32_t)INT32_MAX ? (int64_t)e - ((int64_t)1 << 32) : (int64_t)e;
    add_integer_field(&seq, TAG_ERROR_CODE, v);
  }
  if (in->client_nonce_present)
    add_octets_field(&seq, TAG_CLIENT_NONCE, &in->client_nonce);
  return rd_bld_close(&seq) ? 0 : RD_E_NOMEM;
}

/* ---- TSCredentials ---- */

#define CRED_FIELD_MAX 0xffffu

/* [n] { element } with a definite length: its inner cursor, which must hold exactly one element
 * of the field's type (checked by the caller). */
static bool get_octets_field(rd_cur *seq, unsigned n, rd_cur *out) {
  rd_cur ctx;
  return rd_ber_get_context(seq, n, &ctx) && rd_ber_get_octet_string(&ctx, out) &&
         rd_cur_is_empty(&ctx);
}

static bool get_password_creds(rd_cur creds, rd_tscredentials *tc) {
  rd_cur seq;
  return rd_ber_get_sequence(&creds, &seq) && rd_cur_is_empty(&creds) &&
         get_octets_field(&seq, 0, &tc->domain) && get_octets_field(&seq, 1, &tc->user) &&
         get_octets_field(&seq, 2, &tc->password) && rd_cur_is_empty(&seq);
}

int rd_tscredentials_decode(rd_cur *c, rd_tscredentials *out) {
  rd_cur tmp = *c, seq, ctx;
  rd_tscredentials tc;
  memset(&tc, 0, sizeof tc);
  if (!rd_ber_get_sequence(&tmp, &seq) || !rd_cur_is_empty(&tmp) ||
      !rd_ber_get_context(&seq, 0, &ctx) || !rd_ber_get_integer(&ctx, &tc.cred_type) ||
      !rd_cur_is_empty(&ctx) || !get_octets_field(&seq, 1, &tc.credentials) ||
      !rd_cur_is_empty(&seq))
    return RD_E_MALFORMED;
  if (tc.cred_type == RD_TSCRED_TYPE_PASSWORD) {
    if (!get_password_creds(tc.credentials, &tc))
      return RD_E_MALFORMED;
    tc.password_present = true;
  }
  *out = tc;
  *c = tmp;
  return 0;
}

/* Bytes of a TLV whose content is n bytes long (DER: short form below 128, else 0x8k and k
 * bytes). */
static size_t tlv_len(size_t n) {
  size_t k = 0;
  if (n >= 0x80)
    for (size_t v = n; v != 0; v >>= 8)
      k++;
  return 1 + 1 + k + n;
}

/* Writes a tag and the DER length n at p; returns the byte after them. */
static uint8_t *put_header(uint8_t *p, uint8_t tag, size_t n) {
  size_t k = tlv_len(n) - n - 2;
  *p++ = tag;
  if (k == 0) {
    *p++ = (uint8_t)n;
    return p;
  }
  *p++ = (uint8_t)(0x80 | k);
  for (size_t i = k; i > 0; i--)
    *p++ = (uint8_t)(n >> (8 * (i - 1)));
  return p;
}

/* [n] { OCTET STRING UTF16LE(s) } at p, len being the measured UTF-16LE length. */
static uint8_t *put_string_field(uint8_t *p, unsigned n, const char *s, size_t len) {
  size_t done = 0;
  p = put_header(p, (uint8_t)RD_BER_CONTEXT(n), tlv_len(len));
  p = put_header(p, RD_BER_OCTET_STRING, len);
  (void)rd_utf8_to_utf16le(s, strlen(s), false, p, len, &done); /* measured: cannot fail */
  return p + len;
}

int rd_tscredentials_encode_password(const char *domain, const char *user, const char *password,
                                     rd_bld *b) {
  const char *s[3] = {domain, user, password};
  size_t len[3], pwd_content = 0;
  uint8_t *p;
  int r;
  for (int i = 0; i < 3; i++) {
    if (s[i] == NULL)
      return RD_E_INVALID;
    if ((r = rd_utf8_to_utf16le(s[i], strlen(s[i]), false, NULL, 0, &len[i])) != 0)
      return r;
    if (len[i] > CRED_FIELD_MAX)
      return RD_E_INVALID;
    pwd_content += tlv_len(tlv_len(len[i])); /* [i] { OCTET STRING } */
  }
  /* Sizes from the inside out; each is below 2^20, so none overflows. */
  size_t pwd_seq = tlv_len(pwd_content);                   /* TSPasswordCreds */
  size_t cred_type = tlv_len(tlv_len(1));                  /* [0] { INTEGER 1 } */
  size_t creds = tlv_len(tlv_len(pwd_seq));                /* [1] { OCTET STRING } */
  size_t total = tlv_len(cred_type + creds);               /* TSCredentials */
  if (!rd_bld_add_space(b, total, &p))
    return RD_E_NOMEM;
  p = put_header(p, RD_BER_SEQUENCE, cred_type + creds);
  p = put_header(p, (uint8_t)RD_BER_CONTEXT(0), tlv_len(1));
  p = put_header(p, RD_BER_INTEGER, 1);
  *p++ = RD_TSCRED_TYPE_PASSWORD;
  p = put_header(p, (uint8_t)RD_BER_CONTEXT(1), tlv_len(pwd_seq));
  p = put_header(p, RD_BER_OCTET_STRING, pwd_seq);
  p = put_header(p, RD_BER_SEQUENCE, pwd_content);
  for (unsigned i = 0; i < 3; i++)
    p = put_string_field(p, i, s[i], len[i]);
  return 0;
}

int rd_credssp_decode_early_authz(const uint8_t *p, size_t n, uint32_t *result) {
  rd_cur c;
  if (p == NULL || result == NULL)
    return RD_E_INVALID;
  rd_cur_init(&c, p, n);
  if (n != RD_CREDSSP_EARLY_AUTHZ_LEN || !rd_cur_get_u32le(&c, result))
    return RD_E_MALFORMED;
  return 0;
}
