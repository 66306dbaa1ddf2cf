/* Security header, Security Exchange PDU and server certificate codecs; see sec.h. */
#include "sec.h"

#include <string.h>

#include "err.h"

/* The largest encrypted random we write: a 32768-bit modulus is well past anything Windows uses. */
#define EXCHANGE_MAX 4096
/* RSA1 keys above this many bits are not something a server sends; the bound keeps lengths sane. */
#define BITLEN_MAX 16384

int rd_sec_decode_header(rd_cur *c, rd_sec_hdr_kind kind, rd_sec_header *out) {
  rd_cur t = *c;
  rd_sec_header h;
  memset(&h, 0, sizeof(h));
  if (!rd_cur_get_u16le(&t, &h.flags) || !rd_cur_get_u16le(&t, &h.flags_hi))
    return RD_E_MALFORMED;
  if ((h.flags & RD_SEC_ENCRYPT) && kind != RD_SEC_HDR_BASIC) {
    if (kind == RD_SEC_HDR_FIPS) {
      if (!rd_cur_get_u16le(&t, &h.fips_length) || !rd_cur_get_u8(&t, &h.fips_version) ||
          !rd_cur_get_u8(&t, &h.fips_pad_len))
        return RD_E_MALFORMED;
      if (h.fips_length != RD_SEC_FIPS_HEADER_LEN || h.fips_version != RD_SEC_FIPS_VERSION ||
          h.fips_pad_len > 7)
        return RD_E_MALFORMED;
    }
    if (!rd_cur_get_bytes(&t, h.mac, RD_SEC_MAC_LEN))
      return RD_E_MALFORMED;
    h.has_mac = true;
  }
  *c = t;
  *out = h;
  return 0;
}

int rd_sec_encode_header(const rd_sec_header *h, rd_sec_hdr_kind kind, rd_bld *b) {
  bool ok = rd_bld_add_u16le(b, h->flags) && rd_bld_add_u16le(b, h->flags_hi);
  if ((h->flags & RD_SEC_ENCRYPT) && kind != RD_SEC_HDR_BASIC) {
    if (kind == RD_SEC_HDR_FIPS) {
      if (h->fips_pad_len > 7)
        return RD_E_INVALID;
      ok = ok && rd_bld_add_u16le(b, RD_SEC_FIPS_HEADER_LEN) &&
           rd_bld_add_u8(b, RD_SEC_FIPS_VERSION) && rd_bld_add_u8(b, h->fips_pad_len);
    }
    ok = ok && rd_bld_add_bytes(b, h->mac, RD_SEC_MAC_LEN);
  }
  return ok ? 0 : RD_E_NOMEM;
}

int rd_sec_encode_exchange(uint16_t flags, const uint8_t *encrypted_random, size_t n, rd_bld *b) {
  if (encrypted_random == NULL || n == 0 || n > EXCHANGE_MAX)
    return RD_E_INVALID;
  rd_bld_add_u16le(b, (uint16_t)(flags | RD_SEC_EXCHANGE_PKT));
  rd_bld_add_u16le(b, 0);
  rd_bld_add_u32le(b, (uint32_t)(n + RD_SEC_EXCHANGE_PADDING));
  rd_bld_add_bytes(b, encrypted_random, n);
  return rd_bld_add_zeros(b, RD_SEC_EXCHANGE_PADDING) ? 0 : RD_E_NOMEM;
}

int rd_sec_decode_exchange(rd_cur *c, uint16_t *flags, rd_cur *random) {
  rd_cur t = *c, body;
  uint16_t f, hi;
  uint32_t len;
  if (!rd_cur_get_u16le(&t, &f) || !rd_cur_get_u16le(&t, &hi) || !(f & RD_SEC_EXCHANGE_PKT) ||
      !rd_cur_get_u32le(&t, &len) || len < RD_SEC_EXCHANGE_PADDING || rd_cur_len(&t) != len ||
      !rd_cur_get_span(&t, len - RD_SEC_EXCHANGE_PADDING, &body) ||
      !rd_cur_skip(&t, RD_SEC_EXCHANGE_PADDING))
    return RD_E_MALFORMED;
  *flags = f;
  *random = body;
  *c = t;
  return 0;
}

/* RSA_PUBLIC_KEY inside a BB_RSA_KEY_BLOB of exactly blob's length. */
static bool get_rsa_key(rd_cur *blob, rd_sec_rsa_key *k) {
  uint32_t magic;
  rd_cur mod;
  if (!rd_cur_get_u32le(blob, &magic) || magic != RD_SEC_RSA1_MAGIC ||
      !rd_cur_get_u32le(blob, &k->keylen) || !rd_cur_get_u32le(blob, &k->bitlen) ||
      !rd_cur_get_u32le(blob, &k->datalen) || !rd_cur_get_u32le(blob, &k->pub_exp))
    return false;
  if (k->bitlen == 0 || k->bitlen % 8 != 0 || k->bitlen > BITLEN_MAX ||
      k->keylen != k->bitlen / 8 + 8 || rd_cur_len(blob) != k->keylen ||
      !rd_cur_get_span(blob, k->keylen, &mod))
    return false;
  k->modulus = rd_cur_data(&mod);
  k->modulus_len = k->bitlen / 8;
  return true;
}

static int get_proprietary(rd_cur *t, const uint8_t *start, rd_sec_server_cert *out) {
  uint16_t type, len;
  rd_cur blob;
  if (!rd_cur_get_u32le(t, &out->sig_alg_id) || !rd_cur_get_u32le(t, &out->key_alg_id) ||
      out->sig_alg_id != RD_SEC_SIGNATURE_ALG_RSA || out->key_alg_id != RD_SEC_KEY_EXCHANGE_ALG_RSA ||
      !rd_cur_get_u16le(t, &type) || type != RD_SEC_BB_RSA_KEY_BLOB || !rd_cur_get_u16le(t, &len) ||
      !rd_cur_get_span(t, len, &blob) || !get_rsa_key(&blob, &out->key))
    return RD_E_MALFORMED;
  rd_cur_init(&out->signed_part, start, (size_t)(rd_cur_data(t) - start));
  if (!rd_cur_get_u16le(t, &type) || type != RD_SEC_BB_RSA_SIGNATURE_BLOB ||
      !rd_cur_get_u16le(t, &len) || len == 0 || !rd_cur_get_span(t, len, &out->signature) ||
      !rd_cur_is_empty(t))
    return RD_E_MALFORMED;
  return 0;
}

static int get_chain(rd_cur *t, rd_sec_server_cert *out) {
  uint32_t count, len;
  if (!rd_cur_get_u32le(t, &count) || count == 0)
    return RD_E_MALFORMED;
  if (count > RD_SEC_MAX_CHAIN)
    return RD_E_TOO_BIG;
  for (uint32_t i = 0; i < count; i++) {
    if (!rd_cur_get_u32le(t, &len) || len == 0 || !rd_cur_get_span(t, len, &out->chain[i]))
      return RD_E_MALFORMED;
  }
  out->chain_len = count;
  out->padding_len = rd_cur_len(t);
  return rd_cur_skip(t, out->padding_len) ? 0 : RD_E_MALFORMED;
}

int rd_sec_decode_server_cert(rd_cur *c, rd_sec_server_cert *out) {
  rd_cur t = *c;
  rd_sec_server_cert cert;
  const uint8_t *start = rd_cur_data(&t);
  uint32_t v;
  int r;
  memset(&cert, 0, sizeof(cert));
  if (!rd_cur_get_u32le(&t, &v))
    return RD_E_MALFORMED;
  cert.temporary = (v & RD_SEC_CERT_TEMPORARY) != 0;
  cert.version = v & ~RD_SEC_CERT_TEMPORARY;
  if (cert.version == RD_SEC_CERT_CHAIN_VERSION_1)
    r = get_proprietary(&t, start, &cert);
  else if (cert.version == RD_SEC_CERT_CHAIN_VERSION_2)
    r = get_chain(&t, &cert);
  else
    r = RD_E_MALFORMED;
  if (r != 0)
    return r;
  *c = t;
  *out = cert;
  return 0;
}

bool rd_sec_server_cert_leaf(const rd_sec_server_cert *cert, rd_cur *leaf) {
  if (cert->version != RD_SEC_CERT_CHAIN_VERSION_2 || cert->chain_len == 0)
    return false;
  *leaf = cert->chain[cert->chain_len - 1];
  return true;
}
