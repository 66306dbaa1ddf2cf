/* Fuzz target for the BER primitives (STYLE.md §10). The input's leading TLVs are walked with
 * rd_ber_get_any_tlv, descending into constructed elements whose content is itself well-formed,
 * and rebuilt with the DER builder. Checks: framing agrees with the cursor; the rebuild is never
 * longer than the input, equals it byte for byte when it is as long (the input was already DER),
 * and rebuilding the rebuild changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Deep enough for TSRequest (six levels); bounds the recursion on hostile nesting. */
#define MAX_DEPTH 12

static bool constructed(uint8_t tag) { return (tag & 0x20) != 0; }

/* True if c holds nothing but TLVs, recursively for constructed ones up to the depth limit. */
static bool well_formed(rd_cur c, int depth) {
  uint8_t tag;
  rd_cur body;
  while (!rd_cur_is_empty(&c)) {
    if (!rd_ber_get_any_tlv(&c, &tag, &body))
      return false;
    if (constructed(tag) && depth < MAX_DEPTH && !well_formed(body, depth + 1))
      return false;
  }
  return true;
}

static void rebuild_one(uint8_t tag, rd_cur body, rd_bld *b, int depth);

static void rebuild_all(rd_cur c, rd_bld *b, int depth) {
  uint8_t tag;
  rd_cur body;
  while (rd_ber_get_any_tlv(&c, &tag, &body))
    rebuild_one(tag, body, b, depth);
}

static void rebuild_one(uint8_t tag, rd_cur body, rd_bld *b, int depth) {
  if (tag == RD_BER_INTEGER && rd_cur_len(&body) >= 1 && rd_cur_len(&body) <= 8) {
    /* Rebuild the TLV around the body, read it as an integer, and write the minimal form. */
    int64_t v;
    uint8_t tlv[10] = {RD_BER_INTEGER, (uint8_t)rd_cur_len(&body)};
    memcpy(tlv + 2, rd_cur_data(&body), rd_cur_len(&body));
    rd_cur ic;
    rd_cur_init(&ic, tlv, 2 + rd_cur_len(&body));
    if (!rd_ber_get_integer(&ic, &v) || !rd_cur_is_empty(&ic))
      abort();
    rd_ber_add_integer(b, v);
    return;
  }
  rd_bld child;
  rd_ber_add_tlv(b, tag, &child);
  if (constructed(tag) && depth < MAX_DEPTH && well_formed(body, depth + 1))
    rebuild_all(body, &child, depth + 1);
  else
    rd_bld_add_bytes(&child, rd_cur_data(&body), rd_cur_len(&body));
  rd_bld_close(&child);
}

/* Rebuilds the leading TLVs of d; returns how many input bytes they took. */
static size_t rebuild(const uint8_t *d, size_t n, uint8_t **out, size_t *out_len) {
  rd_cur c, body;
  rd_bld b;
  uint8_t tag;
  rd_cur_init(&c, d, n);
  rd_bld_init(&b, 2 * n + 64);
  while (rd_ber_get_any_tlv(&c, &tag, &body))
    rebuild_one(tag, body, &b, 0);
  if (!rd_bld_finish(&b, out, out_len))
    abort();
  return n - rd_cur_len(&c);
}

static void check_framing(const uint8_t *d, size_t n) {
  size_t need = 0, len;
  int r = rd_ber_frame_need(d, n, SIZE_MAX, &need);
  rd_cur c, body;
  uint8_t tag;
  rd_cur_init(&c, d, n);
  bool got = rd_ber_get_any_tlv(&c, &tag, &body);
  if (got != (r == 0 && need <= n))
    abort();
  if (got && rd_cur_len(&c) != n - need)
    abort();
  if (!got && (rd_cur_data(&c) != d || rd_cur_len(&c) != n))
    abort();
  /* rd_ber_get_length on the bytes after the tag agrees with the framing about the length. */
  if (n >= 1) {
    rd_cur_init(&c, d + 1, n - 1);
    if (rd_ber_get_length(&c, &len) && r == 0 && need != 1 + (n - 1 - rd_cur_len(&c)) + len)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint8_t *out1, *out2;
  size_t len1, len2;
  check_framing(d, n);
  size_t used = rebuild(d, n, &out1, &len1);
  if (len1 > used || (len1 == used && memcmp(out1, d, used) != 0))
    abort();
  if (rebuild(out1, len1, &out2, &len2) != len1 || len2 != len1 || memcmp(out1, out2, len1) != 0)
    abort();
  free(out1);
  free(out2);
  return 0;
}
