/* ALIGNED PER primitives; see per.h for the subset. */
#include "per.h"

bool rd_per_get_length(rd_cur *c, size_t *len) {
  rd_cur tmp = *c;
  uint8_t a, b;
  if (!rd_cur_get_u8(&tmp, &a))
    return false;
  if ((a & 0x80) == 0) {
    *len = a;
  } else if ((a & 0xc0) == 0x80) {
    if (!rd_cur_get_u8(&tmp, &b))
      return false;
    *len = (size_t)(a & 0x3f) << 8 | b;
  } else {
    return false; /* fragmented: 16K-multiples follow, never within one RDP PDU we parse */
  }
  *c = tmp;
  return true;
}

bool rd_per_add_length(rd_bld *b, size_t len) {
  if (len < 0x80)
    return rd_bld_add_u8(b, (uint8_t)len);
  if (len > RD_PER_LENGTH_MAX) {
    rd_bld_set_error(b);
    return false;
  }
  return rd_bld_add_u16be(b, (uint16_t)(0x8000u | len));
}

bool rd_per_get_u16(rd_cur *c, uint16_t min, uint16_t *out) {
  rd_cur tmp = *c;
  uint16_t v;
  if (!rd_cur_get_u16be(&tmp, &v) || (uint32_t)v + min > 0xffffu)
    return false;
  *out = (uint16_t)(v + min);
  *c = tmp;
  return true;
}

bool rd_per_add_u16(rd_bld *b, uint16_t v, uint16_t min) {
  if (v < min) {
    rd_bld_set_error(b);
    return false;
  }
  return rd_bld_add_u16be(b, (uint16_t)(v - min));
}

bool rd_per_get_uint(rd_cur *c, uint32_t *out) {
  rd_cur tmp = *c;
  size_t len;
  uint8_t x;
  uint32_t v = 0;
  if (!rd_per_get_length(&tmp, &len) || len < 1 || len > 4)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (!rd_cur_get_u8(&tmp, &x))
      return false;
    v = v << 8 | x;
  }
  *out = v;
  *c = tmp;
  return true;
}

bool rd_per_add_uint(rd_bld *b, uint32_t v) {
  size_t n = 1;
  while (n < 4 && (v >> (8 * n)) != 0)
    n++;
  bool ok = rd_per_add_length(b, n);
  for (size_t i = n; i-- > 0;)
    ok = rd_bld_add_u8(b, (uint8_t)(v >> (8 * i))) && ok;
  return ok;
}

bool rd_per_get_object_identifier(rd_cur *c, rd_cur *content) {
  rd_cur tmp = *c, s;
  size_t len;
  if (!rd_per_get_length(&tmp, &len) || len == 0 || !rd_cur_get_span(&tmp, len, &s))
    return false;
  *content = s;
  *c = tmp;
  return true;
}

bool rd_per_add_object_identifier(rd_bld *b, const uint8_t *content, size_t n) {
  if (n == 0) {
    rd_bld_set_error(b);
    return false;
  }
  return rd_per_add_length(b, n) && rd_bld_add_bytes(b, content, n);
}

bool rd_per_get_octet_string(rd_cur *c, size_t min, rd_cur *s) {
  rd_cur tmp = *c, body;
  size_t len;
  if (!rd_per_get_length(&tmp, &len) || !rd_cur_get_span(&tmp, len + min, &body))
    return false;
  *s = body;
  *c = tmp;
  return true;
}

bool rd_per_add_octet_string(rd_bld *b, const uint8_t *p, size_t n, size_t min) {
  if (n < min) {
    rd_bld_set_error(b);
    return false;
  }
  return rd_per_add_length(b, n - min) && rd_bld_add_bytes(b, p, n);
}
