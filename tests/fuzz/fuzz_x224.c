/* Fuzz target for TPKT framing and every X.224 decoder (STYLE.md §10): the framing answer must
 * agree with rd_cur_get_tpkt, a failed decode must leave the cursor unmoved, and whatever decodes
 * must encode back to exactly the bytes it consumed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/x224.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* The consumed frame is d[0..used); the encoder's output must be the same bytes. */
static void check_same(rd_bld *b, int r, const uint8_t *d, size_t used) {
  uint8_t *out;
  size_t len;
  if (r != 0 || !rd_bld_finish(b, &out, &len))
    abort();
  if (len != used || memcmp(out, d, used) != 0)
    abort();
  free(out);
}

static void check_unmoved(const rd_cur *c, const uint8_t *d, size_t n) {
  if (rd_cur_data(c) != d || rd_cur_len(c) != n)
    abort();
}

static void check_framing(const uint8_t *d, size_t n) {
  size_t need = 0;
  int r = rd_tpkt_frame_need(d, n, 65535, &need);
  rd_cur c, body;
  rd_cur_init(&c, d, n);
  bool got = rd_cur_get_tpkt(&c, &body);
  if (got != (r == 0 && need <= n))
    abort();
  if (got && (rd_cur_len(&c) != n - need || rd_cur_len(&body) != need - 4))
    abort();
  if (!got)
    check_unmoved(&c, d, n);
  if (r == RD_E_SHORT && n >= 4)
    abort();
}

static void check_cc(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_x224_cc cc;
  rd_bld b;
  uint8_t type;
  rd_cur_init(&c, d, n);
  if (rd_x224_decode_cc(&c, &cc) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  if (rd_x224_peek_type(&(rd_cur){d, n}, &type) != 0 || type != RD_X224_TPDU_CC)
    abort();
  if (cc.li != (cc.nego_present ? 14 : 6))
    abort();
  rd_bld_init(&b, 64);
  check_same(&b, rd_x224_encode_cc(&cc, &b), d, n - rd_cur_len(&c));
}

static void check_cr(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_x224_cr cr;
  rd_bld b;
  rd_cur_init(&c, d, n);
  if (rd_x224_decode_cr(&c, &cr) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  rd_bld_init(&b, 512);
  check_same(&b, rd_x224_encode_cr(&cr, &b), d, n - rd_cur_len(&c));
}

static void check_dr(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_x224_dr dr;
  rd_bld b;
  rd_cur_init(&c, d, n);
  if (rd_x224_decode_dr(&c, &dr) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  rd_bld_init(&b, 512);
  check_same(&b, rd_x224_encode_dr(&dr, &b), d, n - rd_cur_len(&c));
}

static void check_dt(const uint8_t *d, size_t n) {
  rd_cur c, user;
  rd_bld b, dt;
  rd_cur_init(&c, d, n);
  if (rd_x224_decode_dt(&c, &user) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  rd_bld_init(&b, 65536);
  rd_x224_add_dt(&b, &dt);
  rd_bld_add_bytes(&dt, rd_cur_data(&user), rd_cur_len(&user));
  rd_bld_close(&dt);
  check_same(&b, 0, d, n - rd_cur_len(&c));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  check_framing(d, n);
  check_cc(d, n);
  check_cr(d, n);
  check_dr(d, n);
  check_dt(d, n);
  return 0;
}
