/* Fuzz target for the security header, Security Exchange PDU and server certificate decoders
 * (STYLE.md §10): a failed decode leaves the cursor unmoved, a decoded header and exchange encode
 * back to the bytes consumed, and a decoded certificate's spans lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sec.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_unmoved(const rd_cur *c, const uint8_t *d, size_t n) {
  if (rd_cur_data(c) != d || rd_cur_len(c) != n)
    abort();
}

static void check_same(rd_bld *b, const uint8_t *d, size_t used) {
  uint8_t *out;
  size_t len;
  if (!rd_bld_finish(b, &out, &len) || len != used || memcmp(out, d, used) != 0)
    abort();
  free(out);
}

static void check_inside(const rd_cur *span, const uint8_t *d, size_t n) {
  if (rd_cur_len(span) > 0 &&
      (rd_cur_data(span) < d || rd_cur_data(span) + rd_cur_len(span) > d + n))
    abort();
}

static void check_header(const uint8_t *d, size_t n, rd_sec_hdr_kind kind) {
  rd_cur c;
  rd_sec_header h;
  rd_bld b;
  rd_cur_init(&c, d, n);
  if (rd_sec_decode_header(&c, kind, &h) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  rd_bld_init(&b, 64);
  if (rd_sec_encode_header(&h, kind, &b) != 0)
    abort();
  check_same(&b, d, n - rd_cur_len(&c));
}

static void check_exchange(const uint8_t *d, size_t n) {
  rd_cur c, random;
  uint16_t flags;
  rd_bld b;
  rd_cur_init(&c, d, n);
  if (rd_sec_decode_exchange(&c, &flags, &random) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  /* Our encoder writes the flags it is given, flagsHi 0 and zero padding; compare what it fixes. */
  if (rd_cur_len(&random) == 0 || rd_cur_len(&random) > 4096)
    return;
  rd_bld_init(&b, 8192);
  if (rd_sec_encode_exchange(flags & ~RD_SEC_EXCHANGE_PKT, rd_cur_data(&random), rd_cur_len(&random), &b) != 0)
    abort();
  uint8_t *out;
  size_t len;
  if (!rd_bld_finish(&b, &out, &len) || len != n || memcmp(out + 4, d + 4, len - 12) != 0)
    abort();
  free(out);
}

static void check_cert(const uint8_t *d, size_t n) {
  rd_cur c, leaf;
  rd_sec_server_cert cert;
  rd_cur_init(&c, d, n);
  if (rd_sec_decode_server_cert(&c, &cert) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  if (!rd_cur_is_empty(&c))
    abort();
  if (cert.version == RD_SEC_CERT_CHAIN_VERSION_1) {
    check_inside(&cert.signed_part, d, n);
    check_inside(&cert.signature, d, n);
    if (cert.key.modulus < d || cert.key.modulus + cert.key.keylen > d + n ||
        cert.key.modulus_len + 8 != cert.key.keylen)
      abort();
  } else {
    if (cert.chain_len == 0 || cert.chain_len > RD_SEC_MAX_CHAIN || !rd_sec_server_cert_leaf(&cert, &leaf))
      abort();
    for (uint32_t i = 0; i < cert.chain_len; i++)
      check_inside(&cert.chain[i], d, n);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  check_header(d, n, RD_SEC_HDR_BASIC);
  check_header(d, n, RD_SEC_HDR_NON_FIPS);
  check_header(d, n, RD_SEC_HDR_FIPS);
  check_exchange(d, n);
  check_cert(d, n);
  return 0;
}
