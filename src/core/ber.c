/* DER/BER primitives; see ber.h for the accepted subset. */
#include "ber.h"

#include "err.h"

/* Low five bits all ones announce a multi-byte tag number, which nothing we parse uses. */
static bool high_tag(uint8_t tag) { return (tag & 0x1f) == 0x1f; }

/* Decodes the length octets at p[0..n): 0 with *len and *used set, RD_E_SHORT if they are cut off, or the
 * rejection reason. Shared by the framing function and the cursor so both accept the same forms. */
static int parse_length(const uint8_t *p, size_t n, size_t *len, size_t *used) {
  if (n < 1)
    return RD_E_SHORT;
  if (p[0] < 0x80) {
    *len = p[0];
    *used = 1;
    return 0;
  }
  size_t k = p[0] & 0x7f;
  if (k == 0 || k == 0x7f) /* indefinite form; reserved by X.690 8.1.3.5 */
    return RD_E_MALFORMED;
  if (k > 4)
    return RD_E_TOO_BIG;
  if (n < 1 + k)
    return RD_E_SHORT;
  uint32_t v = 0;
  for (size_t i = 1; i <= k; i++)
    v = v << 8 | p[i];
  *len = v;
  *used = 1 + k;
  return 0;
}

int rd_ber_frame_need(const uint8_t *p, size_t n, size_t max, size_t *need) {
  size_t len, used;
  int r;
  if (n < 1)
    return RD_E_SHORT;
  if (high_tag(p[0]))
    return RD_E_MALFORMED;
  if ((r = parse_length(p + 1, n - 1, &len, &used)) != 0)
    return r;
  if (len > max || 1 + used > max - len)
    return RD_E_TOO_BIG;
  *need = 1 + used + len;
  return 0;
}

bool rd_ber_get_length(rd_cur *c, size_t *len) {
  size_t v, used;
  if (parse_length(c->p, c->len, &v, &used) != 0 || v > c->len - used)
    return false;
  c->p += used;
  c->len -= used;
  *len = v;
  return true;
}

bool rd_ber_get_any_tlv(rd_cur *c, uint8_t *tag, rd_cur *child) {
  rd_cur tmp = *c;
  uint8_t t;
  size_t len;
  if (!rd_cur_get_u8(&tmp, &t) || high_tag(t) || !rd_ber_get_length(&tmp, &len) ||
      !rd_cur_get_span(&tmp, len, child))
    return false;
  *tag = t;
  *c = tmp;
  return true;
}

bool rd_ber_get_tlv(rd_cur *c, uint8_t tag, rd_cur *child) {
  rd_cur tmp = *c, body;
  uint8_t t;
  if (!rd_ber_get_any_tlv(&tmp, &t, &body) || t != tag)
    return false;
  *child = body;
  *c = tmp;
  return true;
}

bool rd_ber_get_optional_tlv(rd_cur *c, uint8_t tag, rd_cur *child, bool *present) {
  uint8_t t;
  if (!rd_cur_peek_u8(c, &t) || t != tag) {
    *present = false;
    return true;
  }
  if (!rd_ber_get_tlv(c, tag, child))
    return false;
  *present = true;
  return true;
}

bool rd_ber_get_sequence(rd_cur *c, rd_cur *child) {
  return rd_ber_get_tlv(c, RD_BER_SEQUENCE, child);
}

bool rd_ber_get_context(rd_cur *c, unsigned n, rd_cur *child) {
  return n <= 30 && rd_ber_get_tlv(c, RD_BER_CONTEXT(n), child);
}

bool rd_ber_get_optional_context(rd_cur *c, unsigned n, rd_cur *child, bool *present) {
  return n <= 30 && rd_ber_get_optional_tlv(c, RD_BER_CONTEXT(n), child, present);
}

bool rd_ber_get_integer(rd_cur *c, int64_t *out) {
  rd_cur tmp = *c, body;
  uint8_t b;
  if (!rd_ber_get_tlv(&tmp, RD_BER_INTEGER, &body) || body.len < 1 || body.len > 8)
    return false;
  /* Sign-extend from the first content byte, then shift the rest in. */
  uint64_t v = (body.p[0] & 0x80) ? UINT64_MAX : 0;
  while (rd_cur_get_u8(&body, &b))
    v = v << 8 | b;
  /* Converting an out-of-range uint64_t to int64_t is implementation-defined; go round it. */
  *out = v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
  *c = tmp;
  return true;
}

bool rd_ber_get_octet_string(rd_cur *c, rd_cur *child) {
  return rd_ber_get_tlv(c, RD_BER_OCTET_STRING, child);
}

bool rd_ber_add_tlv(rd_bld *b, uint8_t tag, rd_bld *child) {
  bool ok = !high_tag(tag) && rd_bld_add_u8(b, tag);
  if (!ok)
    rd_bld_set_error(b); /* a tag our own decoder would reject */
  /* Always open the child, even on a failed builder, so that it is safely marked closed. */
  return rd_bld_add_ber_prefixed(b, child) && ok;
}

bool rd_ber_add_sequence(rd_bld *b, rd_bld *child) {
  return rd_ber_add_tlv(b, RD_BER_SEQUENCE, child);
}

bool rd_ber_add_context(rd_bld *b, unsigned n, rd_bld *child) {
  return rd_ber_add_tlv(b, n <= 30 ? RD_BER_CONTEXT(n) : 0xff, child);
}

bool rd_ber_add_octet_string(rd_bld *b, rd_bld *child) {
  return rd_ber_add_tlv(b, RD_BER_OCTET_STRING, child);
}

bool rd_ber_add_integer(rd_bld *b, int64_t v) {
  uint64_t u = (uint64_t)v;
  uint8_t bytes[8];
  for (int i = 0; i < 8; i++)
    bytes[i] = (uint8_t)(u >> (8 * (7 - i)));
  /* Drop a leading byte while it only repeats the sign of the next one (X.690 8.3.2). */
  size_t skip = 0;
  while (skip < 7 && ((bytes[skip] == 0x00 && !(bytes[skip + 1] & 0x80)) ||
                      (bytes[skip] == 0xff && (bytes[skip + 1] & 0x80))))
    skip++;
  rd_bld body;
  return rd_bld_add_u8(b, RD_BER_INTEGER) && rd_bld_add_ber_prefixed(b, &body) &&
         rd_bld_add_bytes(&body, bytes + skip, 8 - skip) && rd_bld_close(&body);
}
