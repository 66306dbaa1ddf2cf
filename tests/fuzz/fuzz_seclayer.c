/* Fuzz target for the Standard RDP Security layer's decoders (src/probe/seclayer.c) and the X.509
 * server key reader (auth/rdpsec): rd_seclayer_unwrap and rd_seclayer_unwrap_fastpath on hostile
 * bytes (headers cut short, impossible FIPS fields, MACs that do not verify: never a crash, a body
 * always inside the input or the layer's buffer, the caller's cursor never moved), and round trips
 * that must hold: what a server encrypts, the layer unwraps to the same bytes; what the layer
 * wraps, a server decrypts and verifies.
 *
 * Input: byte 0 picks the method (bits 0-1: 40, 56, 128-bit, FIPS), the mode (bits 2-3: hostile
 * slow-path, hostile fast-path, round trip, X.509 key) and, for round trips, salted MACs (bit 4);
 * the rest is the PDU, the payload or the certificate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "probe/seclayer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rd_rdpsec_lib *lib;

static void check_body(const rd_cur *body, const rd_seclayer *l, const uint8_t *d, size_t n) {
  const uint8_t *p = rd_cur_data(body);
  size_t len = rd_cur_len(body);
  if (len == 0)
    return;
  bool in_input = p >= d && p + len <= d + n;
  bool in_buf = l->buf != NULL && p >= l->buf && p + len <= l->buf + l->cap;
  if (!in_input && !in_buf)
    abort();
}

static void roundtrip(rd_seclayer *l, rd_rdpsec_session *srv, uint32_t method, bool salted, const uint8_t *d,
                      size_t n) {
  rd_sec_hdr_kind kind = method == RD_RDPSEC_METHOD_FIPS ? RD_SEC_HDR_FIPS : RD_SEC_HDR_NON_FIPS;
  rd_sec_header h = {.flags = RD_SEC_ENCRYPT | (salted ? RD_SEC_SECURE_CHECKSUM : 0)};
  rd_bld b;
  uint8_t *wire = NULL, *plain = NULL;
  size_t len = 0, plain_len = 0;
  uint8_t *enc = malloc(n + 8);
  if (enc == NULL)
    return;
  /* Server to client. */
  if (rd_rdpsec_encrypt(srv, d, n, salted, enc, n + 8, h.mac, &h.fips_pad_len) != 0)
    abort();
  rd_bld_init(&b, n + 64);
  if (rd_sec_encode_header(&h, kind, &b) != 0 || !rd_bld_add_bytes(&b, enc, n + h.fips_pad_len) ||
      !rd_bld_finish(&b, &wire, &len))
    abort();
  rd_cur c, body;
  rd_sec_header got;
  rd_cur_init(&c, wire, len);
  if (rd_seclayer_unwrap(l, &c, &got, &body) != 0 || rd_cur_len(&body) != n ||
      (n > 0 && memcmp(rd_cur_data(&body), d, n) != 0))
    abort();
  free(wire);
  /* Client to server (salted now when the server was). */
  rd_bld_init(&b, n + 64);
  if (rd_seclayer_wrap(l, RD_SEC_INFO_PKT, true, d, n, &b) != 0 || !rd_bld_finish(&b, &wire, &len))
    abort();
  rd_cur_init(&c, wire, len);
  plain = malloc(len ? len : 1);
  if (plain == NULL || rd_sec_decode_header(&c, kind, &got) != 0 ||
      rd_rdpsec_decrypt(srv, rd_cur_data(&c), rd_cur_len(&c), got.fips_pad_len,
                        (got.flags & RD_SEC_SECURE_CHECKSUM) != 0, got.mac, plain, &plain_len) != 0 ||
      plain_len != n || (n > 0 && memcmp(plain, d, n) != 0))
    abort();
  free(plain);
  free(wire);
  free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t methods[] = {RD_RDPSEC_METHOD_40BIT, RD_RDPSEC_METHOD_56BIT, RD_RDPSEC_METHOD_128BIT,
                                     RD_RDPSEC_METHOD_FIPS};
  uint8_t cr[RD_SEC_RANDOM_LEN], sr[RD_SEC_RANDOM_LEN];
  if (size < 1)
    return 0;
  if (lib == NULL && (lib = rd_rdpsec_lib_new(NULL)) == NULL)
    abort();
  for (size_t i = 0; i < RD_SEC_RANDOM_LEN; i++)
    cr[i] = (uint8_t)(i * 5 + 1), sr[i] = (uint8_t)(0xee - i);
  uint32_t method = methods[data[0] & 3];
  const uint8_t *d = data + 1;
  size_t n = size - 1;
  rd_seclayer l;
  memset(&l, 0, sizeof l);
  if (rd_seclayer_start(&l, lib, method, cr, sr) != 0)
    abort();
  switch ((data[0] >> 2) & 3) {
  case 0: { /* hostile slow-path, twice: the second after whatever the first did to the stream */
    for (int k = 0; k < 2; k++) {
      rd_cur c, body;
      rd_sec_header h;
      rd_cur_init(&c, d, n);
      if (rd_seclayer_unwrap(&l, &c, &h, &body) == 0)
        check_body(&body, &l, d, n);
      if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
        abort();
    }
    break;
  }
  case 1: /* hostile fast-path */
    (void)rd_seclayer_unwrap_fastpath(&l, d, n);
    break;
  case 2: { /* round trips */
    rd_rdpsec_session *srv = NULL;
    if (n > 1 << 14)
      n = 1 << 14;
    if (rd_rdpsec_session_new(lib, method, false, cr, sr, &srv) != 0)
      abort();
    roundtrip(&l, srv, method, (data[0] & 0x10) != 0, d, n);
    rd_rdpsec_session_free(srv);
    break;
  }
  default: { /* the X.509 server key */
    uint8_t mod[2048];
    rd_sec_rsa_key key;
    if (n > 0 && rd_rdpsec_x509_key(lib, d, n, mod, sizeof mod, &key) == 0 &&
        (key.modulus != mod || key.modulus_len == 0 || key.modulus_len > sizeof mod || key.bitlen != key.modulus_len * 8))
      abort();
    break;
  }
  }
  rd_seclayer_free(&l);
  return 0;
}
