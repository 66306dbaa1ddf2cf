/* The Standard RDP Security layer: see seclayer.h. */
#include "probe/seclayer.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/wipe.h"

#define FASTPATH_OUTPUT_SECURE_CHECKSUM 0x40 /* fpOutputHeader flags (2.2.9.1.2), in bits 6-7 */
#define FASTPATH_OUTPUT_ENCRYPTED       0x80

int rd_seclayer_start(rd_seclayer *l, rd_rdpsec_lib *lib, uint32_t method,
                      const uint8_t client_random[RD_SEC_RANDOM_LEN],
                      const uint8_t server_random[RD_SEC_RANDOM_LEN]) {
  rd_seclayer_free(l);
  int r = rd_rdpsec_session_new(lib, method, true, client_random, server_random, &l->s);
  if (r != 0)
    return r;
  l->kind = method == RD_RDPSEC_METHOD_FIPS ? RD_SEC_HDR_FIPS : RD_SEC_HDR_NON_FIPS;
  return 0;
}

void rd_seclayer_free(rd_seclayer *l) {
  rd_rdpsec_session_free(l->s);
  if (l->buf != NULL) {
    rd_wipe(l->buf, l->cap);
    free(l->buf);
  }
  memset(l, 0, sizeof(*l));
}

int rd_seclayer_wrap(rd_seclayer *l, uint16_t flags, bool encrypt, const uint8_t *payload, size_t n,
                     rd_bld *out) {
  rd_sec_header h = {.flags = flags};
  if (!encrypt) {
    h.flags &= (uint16_t)~RD_SEC_ENCRYPT;
    int r = rd_sec_encode_header(&h, RD_SEC_HDR_BASIC, out);
    if (r == 0 && !rd_bld_add_bytes(out, payload, n))
      r = RD_E_NOMEM;
    return r;
  }
  if (l->s == NULL)
    return RD_E_STATE;
  size_t cap = n + rd_rdpsec_pad_len(l->s, n);
  uint8_t *enc = malloc(cap ? cap : 1);
  if (enc == NULL)
    return RD_E_NOMEM;
  h.flags |= RD_SEC_ENCRYPT;
  if (l->salted)
    h.flags |= RD_SEC_SECURE_CHECKSUM;
  int r = rd_rdpsec_encrypt(l->s, payload, n, l->salted, enc, cap, h.mac, &h.fips_pad_len);
  if (r == 0)
    r = rd_sec_encode_header(&h, l->kind, out);
  if (r == 0 && !rd_bld_add_bytes(out, enc, cap))
    r = RD_E_NOMEM;
  if (r == 0)
    l->sent_encrypted++;
  free(enc);
  return r;
}

/* Decrypts n bytes (pad of them cipher padding) into l->buf and checks the MAC. */
static int decrypt(rd_seclayer *l, const uint8_t *in, size_t n, uint8_t pad, bool salted,
                   const uint8_t mac[RD_SEC_MAC_LEN], rd_cur *body) {
  size_t len = 0;
  if (l->s == NULL || l->spent)
    return RD_E_STATE;
  if (n > l->cap) {
    uint8_t *b = malloc(n);
    if (b == NULL)
      return RD_E_NOMEM;
    if (l->buf != NULL) {
      rd_wipe(l->buf, l->cap);
      free(l->buf);
    }
    l->buf = b;
    l->cap = n;
  }
  int r = rd_rdpsec_decrypt(l->s, in, n, pad, salted, mac, l->buf, &len);
  if (r != 0) {
    l->spent = true; /* the RC4 or CBC state moved on: nothing after this decrypts */
    return r == RD_E_NOMEM ? r : RD_E_STATE;
  }
  l->received_encrypted++;
  if (salted)
    l->received_salted++;
  l->salted = l->salted || salted;
  rd_cur_init(body, l->buf, len);
  return 0;
}

int rd_seclayer_unwrap(rd_seclayer *l, const rd_cur *c, rd_sec_header *h, rd_cur *body) {
  rd_cur t = *c;
  int r = rd_sec_decode_header(&t, l->s != NULL ? l->kind : RD_SEC_HDR_BASIC, h);
  if (r != 0)
    return r;
  if (!(h->flags & RD_SEC_ENCRYPT)) {
    *body = t;
    return 0;
  }
  if (l->s == NULL || !h->has_mac)
    return RD_E_MALFORMED; /* encrypted before any key was agreed */
  size_t n = rd_cur_len(&t);
  if (l->kind == RD_SEC_HDR_FIPS && (n % 8 != 0 || n < h->fips_pad_len))
    return RD_E_MALFORMED;
  return decrypt(l, rd_cur_data(&t), n, h->fips_pad_len, (h->flags & RD_SEC_SECURE_CHECKSUM) != 0,
                 h->mac, body);
}

int rd_seclayer_unwrap_fastpath(rd_seclayer *l, const uint8_t *pdu, size_t n) {
  rd_cur c, body;
  uint8_t head, len1, mac[RD_SEC_MAC_LEN];
  uint16_t fips_len = 0;
  uint8_t fips_version = 0, pad = 0;
  rd_cur_init(&c, pdu, n);
  if (!rd_cur_get_u8(&c, &head) || !rd_cur_get_u8(&c, &len1) ||
      ((len1 & 0x80) && !rd_cur_skip(&c, 1)))
    return RD_E_MALFORMED;
  if (!(head & FASTPATH_OUTPUT_ENCRYPTED))
    return 0;
  if (l->s == NULL)
    return RD_E_MALFORMED;
  if (l->kind == RD_SEC_HDR_FIPS &&
      (!rd_cur_get_u16le(&c, &fips_len) || !rd_cur_get_u8(&c, &fips_version) || !rd_cur_get_u8(&c, &pad) ||
       fips_len != RD_SEC_FIPS_HEADER_LEN || fips_version != RD_SEC_FIPS_VERSION || pad > 7))
    return RD_E_MALFORMED;
  if (!rd_cur_get_bytes(&c, mac, sizeof(mac)))
    return RD_E_MALFORMED;
  size_t len = rd_cur_len(&c);
  if (l->kind == RD_SEC_HDR_FIPS && (len % 8 != 0 || len < pad))
    return RD_E_MALFORMED;
  return decrypt(l, rd_cur_data(&c), len, pad, (head & FASTPATH_OUTPUT_SECURE_CHECKSUM) != 0, mac, &body);
}
