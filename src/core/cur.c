/* Read cursor and write builder; see cur.h for the contract. */
#include "cur.h"
#include "wipe.h"

#include <stdlib.h>
#include <string.h>

void rd_cur_init(rd_cur *c, const uint8_t *p, size_t len) {
  c->p = p;
  c->len = p != NULL ? len : 0;
}

size_t rd_cur_len(const rd_cur *c) { return c->len; }

const uint8_t *rd_cur_data(const rd_cur *c) { return c->p; }

bool rd_cur_is_empty(const rd_cur *c) { return c->len == 0; }

/* The one place that checks bounds for reads: everything else goes through it. */
static bool take(rd_cur *c, size_t n, const uint8_t **out) {
  if (n > c->len)
    return false;
  *out = c->p;
  c->p += n;
  c->len -= n;
  return true;
}

bool rd_cur_get_u8(rd_cur *c, uint8_t *out) {
  const uint8_t *p;
  if (!take(c, 1, &p))
    return false;
  *out = p[0];
  return true;
}

bool rd_cur_get_u16le(rd_cur *c, uint16_t *out) {
  const uint8_t *p;
  if (!take(c, 2, &p))
    return false;
  *out = (uint16_t)(p[0] | (unsigned)p[1] << 8);
  return true;
}

bool rd_cur_get_u16be(rd_cur *c, uint16_t *out) {
  const uint8_t *p;
  if (!take(c, 2, &p))
    return false;
  *out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
  return true;
}

bool rd_cur_get_u32le(rd_cur *c, uint32_t *out) {
  const uint8_t *p;
  if (!take(c, 4, &p))
    return false;
  *out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  return true;
}

bool rd_cur_get_u32be(rd_cur *c, uint32_t *out) {
  const uint8_t *p;
  if (!take(c, 4, &p))
    return false;
  *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
  return true;
}

bool rd_cur_get_u64le(rd_cur *c, uint64_t *out) {
  const uint8_t *p;
  if (!take(c, 8, &p))
    return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  *out = v;
  return true;
}

bool rd_cur_peek_u8(const rd_cur *c, uint8_t *out) {
  rd_cur tmp = *c;
  return rd_cur_get_u8(&tmp, out);
}

bool rd_cur_peek_u16be(const rd_cur *c, uint16_t *out) {
  rd_cur tmp = *c;
  return rd_cur_get_u16be(&tmp, out);
}

bool rd_cur_get_bytes(rd_cur *c, uint8_t *out, size_t n) {
  const uint8_t *p;
  if (!take(c, n, &p))
    return false;
  if (n > 0)
    memcpy(out, p, n);
  return true;
}

bool rd_cur_get_span(rd_cur *c, size_t n, rd_cur *child) {
  const uint8_t *p;
  if (!take(c, n, &p))
    return false;
  child->p = p;
  child->len = n;
  return true;
}

bool rd_cur_skip(rd_cur *c, size_t n) {
  const uint8_t *p;
  return take(c, n, &p);
}

bool rd_cur_get_tpkt(rd_cur *c, rd_cur *payload) {
  rd_cur tmp = *c, body;
  uint8_t version, reserved;
  uint16_t len;
  if (!rd_cur_get_u8(&tmp, &version) || version != 3 || !rd_cur_get_u8(&tmp, &reserved) ||
      reserved != 0 || !rd_cur_get_u16be(&tmp, &len) || len < 4 ||
      !rd_cur_get_span(&tmp, (size_t)len - 4, &body))
    return false;
  *c = tmp;
  *payload = body;
  return true;
}

/* Builder. */

enum { KIND_ROOT, KIND_TPKT, KIND_U8, KIND_BER };

/* Small first allocation: most PDUs we build are tens of bytes. */
#define FIRST_CAP 64

void rd_bld_init(rd_bld *b, size_t max) {
  memset(b, 0, sizeof *b);
  b->root = b;
  b->max = max;
  b->kind = KIND_ROOT;
}

static bool fail(rd_bld *b) {
  if (b->root != NULL)
    b->root->failed = true;
  return false;
}

void rd_bld_set_error(rd_bld *b) { fail(b); }

/* A builder may be appended to only while it is open, nothing has failed and it has no open child:
 * a write to a parent with an open child would land inside the child's content. */
static bool writable(rd_bld *b) {
  if (b->root == NULL || b->root->failed)
    return false;
  if (b->child != NULL)
    return fail(b);
  return true;
}

/* Appends n uninitialised bytes to the root buffer and returns their offset. */
static bool reserve(rd_bld *root, size_t n, size_t *at) {
  if (root->failed)
    return false;
  if (n > root->max || root->len > root->max - n)
    return fail(root);
  size_t need = root->len + n;
  if (need > root->cap) {
    size_t cap = root->cap != 0 ? root->cap : FIRST_CAP;
    while (cap < need)
      cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > root->max)
      cap = root->max;
    /* Not realloc: a builder may hold a secret (an auto-logon Client Info's password), and the
     * old block is wiped before it is freed, so no copy is left in freed memory. */
    uint8_t *nb = malloc(cap);
    if (nb == NULL)
      return fail(root);
    if (root->buf != NULL) {
      memcpy(nb, root->buf, root->len);
      rd_wipe(root->buf, root->cap);
      free(root->buf);
    }
    root->buf = nb;
    root->cap = cap;
  }
  *at = root->len;
  root->len = need;
  return true;
}

bool rd_bld_add_space(rd_bld *b, size_t n, uint8_t **p) {
  size_t at;
  if (!writable(b) || !reserve(b->root, n, &at))
    return false;
  /* A zero-length add on an empty root has no buffer to point into. */
  *p = b->root->buf != NULL ? b->root->buf + at : NULL;
  if (n > 0)
    memset(*p, 0, n);
  return true;
}

static bool put(rd_bld *b, const uint8_t *v, size_t n) {
  uint8_t *p;
  if (!rd_bld_add_space(b, n, &p))
    return false;
  if (n > 0)
    memcpy(p, v, n);
  return true;
}

bool rd_bld_add_u8(rd_bld *b, uint8_t v) { return put(b, &v, 1); }

bool rd_bld_add_u16le(rd_bld *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  return put(b, x, sizeof x);
}

bool rd_bld_add_u16be(rd_bld *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  return put(b, x, sizeof x);
}

bool rd_bld_add_u32le(rd_bld *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return put(b, x, sizeof x);
}

bool rd_bld_add_u32be(rd_bld *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  return put(b, x, sizeof x);
}

bool rd_bld_add_u64le(rd_bld *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (uint8_t)(v >> (8 * i));
  return put(b, x, sizeof x);
}

bool rd_bld_add_bytes(rd_bld *b, const uint8_t *p, size_t n) {
  if (p == NULL && n > 0)
    return fail(b);
  return put(b, p, n);
}

bool rd_bld_add_zeros(rd_bld *b, size_t n) {
  uint8_t *p;
  return rd_bld_add_space(b, n, &p);
}

static bool open_child(rd_bld *b, rd_bld *child, uint8_t kind, uint8_t pfx) {
  size_t at;
  memset(child, 0, sizeof *child);
  if (!writable(b) || !reserve(b->root, pfx, &at))
    return false; /* child->root stays NULL: every use of it fails */
  child->root = b->root;
  child->parent = b;
  child->off = at;
  child->pfx = pfx;
  child->kind = kind;
  b->child = child;
  return true;
}

bool rd_bld_add_tpkt(rd_bld *b, rd_bld *child) { return open_child(b, child, KIND_TPKT, 4); }

bool rd_bld_add_u8_prefixed(rd_bld *b, rd_bld *child) { return open_child(b, child, KIND_U8, 1); }

bool rd_bld_add_ber_prefixed(rd_bld *b, rd_bld *child) {
  return open_child(b, child, KIND_BER, 1);
}

/* Writes the DER length of a child whose content already follows its one reserved byte. */
static bool patch_ber(rd_bld *root, size_t off, size_t n) {
  if (n < 0x80) {
    root->buf[off] = (uint8_t)n;
    return true;
  }
  if (n > UINT32_MAX)
    return fail(root);
  uint8_t k = 1;
  while (k < 4 && (n >> (8 * k)) != 0)
    k++;
  size_t at;
  if (!reserve(root, k, &at))
    return false;
  memmove(root->buf + off + 1 + k, root->buf + off + 1, n);
  root->buf[off] = (uint8_t)(0x80 | k);
  for (uint8_t i = 0; i < k; i++)
    root->buf[off + 1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
  return true;
}

static bool patch(rd_bld *child) {
  rd_bld *root = child->root;
  if (root->failed)
    return false;
  size_t n = root->len - child->off - child->pfx;
  uint8_t *p = root->buf + child->off;
  switch (child->kind) {
  case KIND_TPKT:
    if (n > 0xffff - 4)
      return fail(root);
    p[0] = 3;
    p[1] = 0;
    p[2] = (uint8_t)((n + 4) >> 8);
    p[3] = (uint8_t)(n + 4);
    return true;
  case KIND_U8:
    if (n > 0xff)
      return fail(root);
    p[0] = (uint8_t)n;
    return true;
  case KIND_BER:
    return patch_ber(root, child->off, n);
  default:
    return fail(root);
  }
}

bool rd_bld_close(rd_bld *child) {
  if (child->root == NULL)
    return false;
  if (child->parent == NULL) /* a root is finished, not closed */
    return fail(child);
  if (child->child != NULL)
    rd_bld_close(child->child);
  bool ok = patch(child);
  child->parent->child = NULL;
  child->root = NULL;
  return ok;
}

bool rd_bld_finish(rd_bld *b, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (b->root != b)
    return fail(b);
  if (b->child != NULL)
    rd_bld_close(b->child);
  if (!b->failed && b->buf == NULL) {
    b->buf = malloc(1);
    if (b->buf == NULL)
      b->failed = true;
  }
  if (b->failed) {
    rd_bld_cleanup(b);
    return false;
  }
  *out = b->buf;
  *out_len = b->len;
  memset(b, 0, sizeof *b);
  return true;
}

void rd_bld_cleanup(rd_bld *b) {
  if (b->root != b)
    return;
  if (b->buf != NULL)
    rd_wipe(b->buf, b->cap);
  free(b->buf);
  memset(b, 0, sizeof *b);
}

size_t rd_bld_len(const rd_bld *b) {
  if (b->root == NULL)
    return 0;
  if (b->root == b)
    return b->len;
  return b->root->len - b->off - b->pfx;
}
