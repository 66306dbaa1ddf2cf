/* Fuzz target for the cursor and builder primitives, driven by a byte script (STYLE.md §10).
 *
 * Input: script length s (1 byte), builder max in 4-byte units (1 byte), s script bytes, then the
 * data. Each script byte picks a cursor operation on the data; what a successful operation reads
 * is written back through the matching builder operation. So:
 *  - a get succeeds exactly when enough bytes remain, and moves the cursor by exactly its width;
 *  - a failed get leaves the cursor where it was;
 *  - the values read match the bytes under the cursor in the named byte order;
 *  - the builder ends up holding exactly the consumed bytes, or fails exactly when they exceed its
 *    maximum (TPKT and u8-prefixed children exercise back-patching). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cur.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void expect_moved(const rd_cur *c, const rd_cur *before, bool ok, size_t width) {
  if (ok != (width <= before->len))
    abort();
  size_t moved = ok ? width : 0;
  if (c->p != before->p + moved || c->len != before->len - moved)
    abort();
}

static uint64_t load_le(const uint8_t *p, size_t w) {
  uint64_t v = 0;
  for (size_t i = w; i-- > 0;)
    v = v << 8 | p[i];
  return v;
}

static uint64_t load_be(const uint8_t *p, size_t w) {
  uint64_t v = 0;
  for (size_t i = 0; i < w; i++)
    v = v << 8 | p[i];
  return v;
}

/* Runs one script byte; k (the next script byte, or 0) is the operand of the sized ops. What the
 * builder answers is not checked here: its one verdict comes at rd_bld_finish. */
static void step(uint8_t op, uint8_t k, rd_cur *c, rd_bld *b) {
  rd_cur before = *c, child, tmp;
  rd_bld sub;
  uint8_t u8, buf[256];
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  bool ok;
  switch (op % 14) {
  case 0:
    ok = rd_cur_get_u8(c, &u8);
    expect_moved(c, &before, ok, 1);
    if (ok && u8 != before.p[0])
      abort();
    if (ok)
      rd_bld_add_u8(b, u8);
    return;
  case 1:
    ok = rd_cur_get_u16le(c, &u16);
    expect_moved(c, &before, ok, 2);
    if (ok && u16 != load_le(before.p, 2))
      abort();
    if (ok)
      rd_bld_add_u16le(b, u16);
    return;
  case 2:
    ok = rd_cur_get_u16be(c, &u16);
    expect_moved(c, &before, ok, 2);
    if (ok && u16 != load_be(before.p, 2))
      abort();
    if (ok)
      rd_bld_add_u16be(b, u16);
    return;
  case 3:
    ok = rd_cur_get_u32le(c, &u32);
    expect_moved(c, &before, ok, 4);
    if (ok && u32 != load_le(before.p, 4))
      abort();
    if (ok)
      rd_bld_add_u32le(b, u32);
    return;
  case 4:
    ok = rd_cur_get_u32be(c, &u32);
    expect_moved(c, &before, ok, 4);
    if (ok && u32 != load_be(before.p, 4))
      abort();
    if (ok)
      rd_bld_add_u32be(b, u32);
    return;
  case 5:
    ok = rd_cur_get_u64le(c, &u64);
    expect_moved(c, &before, ok, 8);
    if (ok && u64 != load_le(before.p, 8))
      abort();
    if (ok)
      rd_bld_add_u64le(b, u64);
    return;
  case 6:
    ok = rd_cur_get_bytes(c, buf, k);
    expect_moved(c, &before, ok, k);
    if (ok && memcmp(buf, before.p, k) != 0)
      abort();
    if (ok)
      rd_bld_add_bytes(b, buf, k);
    return;
  case 7:
    ok = rd_cur_skip(c, k);
    expect_moved(c, &before, ok, k);
    if (ok)
      rd_bld_add_bytes(b, before.p, k);
    return;
  case 8:
    ok = rd_cur_get_span(c, k, &child);
    expect_moved(c, &before, ok, k);
    if (ok && (child.p != before.p || child.len != k))
      abort();
    if (ok)
      rd_bld_add_bytes(b, child.p, child.len);
    return;
  case 9: {
    bool framed = before.len >= 4 && before.p[0] == 3 && before.p[1] == 0 &&
                  load_be(before.p + 2, 2) >= 4 && load_be(before.p + 2, 2) <= before.len;
    ok = rd_cur_get_tpkt(c, &child);
    if (ok != framed)
      abort();
    if (ok)
      expect_moved(c, &before, true, load_be(before.p + 2, 2));
    else if (c->p != before.p || c->len != before.len)
      abort();
    if (ok && (child.p != before.p + 4 || child.len != load_be(before.p + 2, 2) - 4))
      abort();
    if (ok) {
      rd_bld_add_tpkt(b, &sub);
      rd_bld_add_bytes(&sub, child.p, child.len);
      rd_bld_close(&sub);
    }
    return;
  }
  case 10:
    /* A u8-prefixed span: read on a copy so that a failure leaves c alone. */
    tmp = *c;
    ok = rd_cur_get_u8(&tmp, &u8) && rd_cur_get_span(&tmp, u8, &child);
    if (ok != (before.len >= 1 && (size_t)before.p[0] + 1 <= before.len))
      abort();
    if (ok) {
      *c = tmp;
      rd_bld_add_u8_prefixed(b, &sub);
      rd_bld_add_bytes(&sub, child.p, child.len);
      rd_bld_close(&sub);
    }
    return;
  case 11:
    ok = rd_cur_peek_u8(c, &u8);
    if (ok != (before.len >= 1) || (ok && u8 != before.p[0]))
      abort();
    ok = rd_cur_peek_u16be(c, &u16);
    if (ok != (before.len >= 2) || (ok && u16 != load_be(before.p, 2)))
      abort();
    expect_moved(c, &before, true, 0);
    return;
  case 12:
    /* Hostile sizes never move the cursor. */
    if (rd_cur_skip(c, SIZE_MAX - k) || rd_cur_get_span(c, SIZE_MAX - k, &child) ||
        rd_cur_get_bytes(c, buf, before.len + 1 + (size_t)k))
      abort();
    expect_moved(c, &before, true, 0);
    return;
  default:
    if (rd_cur_is_empty(c) != (c->len == 0) || rd_cur_data(c) != c->p || rd_cur_len(c) != c->len)
      abort();
    return;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (n < 2)
    return 0;
  size_t s = d[0], max = (size_t)d[1] * 4;
  if (s > n - 2)
    s = n - 2;
  const uint8_t *script = d + 2, *data = d + 2 + s;
  size_t data_len = n - 2 - s;
  rd_cur c;
  rd_bld b;
  rd_cur_init(&c, data, data_len);
  rd_bld_init(&b, max);
  for (size_t i = 0; i < s; i++)
    step(script[i], i + 1 < s ? script[i + 1] : 0, &c, &b);
  size_t consumed = data_len - rd_cur_len(&c);
  if (c.p != data + consumed)
    abort();
  uint8_t *out;
  size_t out_len;
  bool ok = rd_bld_finish(&b, &out, &out_len);
  if (ok != (consumed <= max))
    abort();
  if (ok) {
    if (out_len != consumed || (consumed > 0 && memcmp(out, data, consumed) != 0))
      abort();
    free(out);
  }
  return 0;
}
