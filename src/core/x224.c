/* TPKT and X.224 class 0 codecs; see x224.h for the rules each decoder enforces. */
#include "x224.h"

#include <string.h>

#include "err.h"

/* X.224 §13.2.1: LI 255 is reserved for an extension nobody defined. */
#define LI_MAX 254
/* LI of CR/CC/DR without variable part: code, DST-REF, SRC-REF, class or reason. */
#define LI_FIXED 6

static const char cookie_prefix[] = "Cookie: mstshash=";
static const char token_prefix[] = "Cookie: msts=";
#define PREFIX_LEN(s) (sizeof(s) - 1)

int rd_tpkt_frame_need(const uint8_t *p, size_t n, size_t max, size_t *need) {
  if (n < 1)
    return RD_E_SHORT;
  /* Decide "not TPKT" on the earliest byte that shows it, so a banner or a TLS record is named at
   * once instead of waiting for four bytes that may never come. */
  if (p[0] != 3)
    return RD_E_MALFORMED;
  if (n < 2)
    return RD_E_SHORT;
  if (p[1] != 0)
    return RD_E_MALFORMED;
  if (n < 4)
    return RD_E_SHORT;
  size_t len = (size_t)p[2] << 8 | p[3];
  if (len < 4)
    return RD_E_MALFORMED;
  if (len > max)
    return RD_E_TOO_BIG;
  *need = len;
  return 0;
}

/* Consumes a TPKT from c and the TPDU's LI and code; rest is the remaining LI - 1 header bytes.
 * The TPKT payload must be exactly the header: class 0 TPDUs other than DT carry no user data in
 * RDP, and DT (LI 2) is checked by its own decoder. */
static bool get_tpdu(rd_cur *c, uint8_t *li, uint8_t *code, rd_cur *rest) {
  rd_cur tpdu;
  if (!rd_cur_get_tpkt(c, &tpdu) || !rd_cur_get_u8(&tpdu, li) || *li == 0 || *li > LI_MAX ||
      rd_cur_len(&tpdu) != *li || !rd_cur_get_u8(&tpdu, code))
    return false;
  *rest = tpdu;
  return true;
}

int rd_x224_peek_type(const rd_cur *c, uint8_t *type) {
  rd_cur tmp = *c, tpdu;
  uint8_t li, code;
  if (!rd_cur_get_tpkt(&tmp, &tpdu) || !rd_cur_get_u8(&tpdu, &li) || li == 0 ||
      !rd_cur_get_u8(&tpdu, &code))
    return RD_E_MALFORMED;
  *type = code & 0xf0;
  return 0;
}

static bool has_crlf_byte(const uint8_t *p, size_t n) {
  return n > 0 && (memchr(p, '\r', n) != NULL || memchr(p, '\n', n) != NULL);
}

static bool starts_with(const rd_cur *c, const char *s, size_t n) {
  return rd_cur_len(c) >= n && memcmp(rd_cur_data(c), s, n) == 0;
}

/* Consumes a line up to and including the first CR LF; line excludes the CR LF. */
static bool get_line(rd_cur *c, rd_cur *line) {
  const uint8_t *p = rd_cur_data(c);
  size_t n = rd_cur_len(c);
  for (size_t i = 0; i + 1 < n; i++) {
    if (p[i] == '\r' && p[i + 1] == '\n') {
      rd_cur_init(line, p, i);
      return rd_cur_skip(c, i + 2);
    }
  }
  return false;
}

static int builder_state(bool ok) { return ok ? 0 : RD_E_NOMEM; }

int rd_x224_encode_cr(const rd_x224_cr *req, rd_bld *b) {
  size_t li = LI_FIXED;
  if (req->cookie != NULL && req->routing_token != NULL)
    return RD_E_INVALID;
  if (req->cookie != NULL) {
    if (req->cookie_len > LI_MAX || has_crlf_byte(req->cookie, req->cookie_len))
      return RD_E_INVALID;
    li += PREFIX_LEN(cookie_prefix) + req->cookie_len + 2;
  }
  if (req->routing_token != NULL) {
    if (req->routing_token_len > LI_MAX ||
        has_crlf_byte(req->routing_token, req->routing_token_len))
      return RD_E_INVALID;
    li += PREFIX_LEN(token_prefix) + req->routing_token_len + 2;
  }
  bool corr_flag = (req->nego_flags & RD_X224_REQ_CORRELATION_INFO_PRESENT) != 0;
  if (req->correlation_present != (req->nego_present && corr_flag) ||
      (!req->nego_present && req->nego_flags != 0))
    return RD_E_INVALID;
  if (req->nego_present)
    li += RD_X224_NEG_LEN;
  if (req->correlation_present)
    li += RD_X224_CORRELATION_LEN;
  if (li > LI_MAX)
    return RD_E_INVALID;

  rd_bld tpkt, tpdu;
  rd_bld_add_tpkt(b, &tpkt);
  rd_bld_add_u8_prefixed(&tpkt, &tpdu);
  rd_bld_add_u8(&tpdu, RD_X224_TPDU_CR);
  rd_bld_add_u16be(&tpdu, req->dst_ref);
  rd_bld_add_u16be(&tpdu, req->src_ref);
  rd_bld_add_u8(&tpdu, req->class_opt);
  if (req->cookie != NULL) {
    rd_bld_add_bytes(&tpdu, (const uint8_t *)cookie_prefix, PREFIX_LEN(cookie_prefix));
    rd_bld_add_bytes(&tpdu, req->cookie, req->cookie_len);
    rd_bld_add_bytes(&tpdu, (const uint8_t *)"\r\n", 2);
  }
  if (req->routing_token != NULL) {
    rd_bld_add_bytes(&tpdu, (const uint8_t *)token_prefix, PREFIX_LEN(token_prefix));
    rd_bld_add_bytes(&tpdu, req->routing_token, req->routing_token_len);
    rd_bld_add_bytes(&tpdu, (const uint8_t *)"\r\n", 2);
  }
  if (req->nego_present) {
    rd_bld_add_u8(&tpdu, RD_X224_NEG_REQ);
    rd_bld_add_u8(&tpdu, req->nego_flags);
    rd_bld_add_u16le(&tpdu, RD_X224_NEG_LEN);
    rd_bld_add_u32le(&tpdu, req->requested_protocols);
  }
  if (req->correlation_present) {
    rd_bld_add_u8(&tpdu, RD_X224_NEG_CORRELATION);
    rd_bld_add_u8(&tpdu, 0);
    rd_bld_add_u16le(&tpdu, RD_X224_CORRELATION_LEN);
    rd_bld_add_bytes(&tpdu, req->correlation_id, sizeof req->correlation_id);
    rd_bld_add_zeros(&tpdu, 16);
  }
  rd_bld_close(&tpdu);
  return builder_state(rd_bld_close(&tpkt));
}

/* The optional cookie or routing-token line of a CR (2.2.1.1). */
static bool get_cookie(rd_cur *var, rd_x224_cr *cr) {
  rd_cur line;
  if (!starts_with(var, "Cookie: ", 8))
    return true; /* absent */
  if (!get_line(var, &line))
    return false;
  const char *prefix = cookie_prefix;
  size_t plen = PREFIX_LEN(cookie_prefix);
  if (!starts_with(&line, prefix, plen)) {
    prefix = token_prefix;
    plen = PREFIX_LEN(token_prefix);
    if (!starts_with(&line, prefix, plen))
      return false;
  }
  rd_cur_skip(&line, plen);
  /* A lone CR or LF could not be encoded back; no real identifier has one. */
  if (has_crlf_byte(rd_cur_data(&line), rd_cur_len(&line)))
    return false;
  if (prefix == cookie_prefix) {
    cr->cookie = rd_cur_data(&line);
    cr->cookie_len = rd_cur_len(&line);
  } else {
    cr->routing_token = rd_cur_data(&line);
    cr->routing_token_len = rd_cur_len(&line);
  }
  return true;
}

static bool get_correlation(rd_cur *var, rd_x224_cr *cr) {
  uint8_t type, flags, reserved[16];
  uint16_t len;
  static const uint8_t zero[16];
  if (!rd_cur_get_u8(var, &type) || type != RD_X224_NEG_CORRELATION ||
      !rd_cur_get_u8(var, &flags) || flags != 0 || !rd_cur_get_u16le(var, &len) ||
      len != RD_X224_CORRELATION_LEN ||
      !rd_cur_get_bytes(var, cr->correlation_id, sizeof cr->correlation_id) ||
      !rd_cur_get_bytes(var, reserved, sizeof reserved) || memcmp(reserved, zero, 16) != 0)
    return false;
  cr->correlation_present = true;
  return true;
}

int rd_x224_decode_cr(rd_cur *c, rd_x224_cr *out) {
  rd_cur tmp = *c, var;
  rd_x224_cr cr;
  uint8_t li, code, type;
  uint16_t len;
  memset(&cr, 0, sizeof cr);
  if (!get_tpdu(&tmp, &li, &code, &var) || code != RD_X224_TPDU_CR ||
      !rd_cur_get_u16be(&var, &cr.dst_ref) || !rd_cur_get_u16be(&var, &cr.src_ref) ||
      !rd_cur_get_u8(&var, &cr.class_opt) || !get_cookie(&var, &cr))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&var)) {
    if (!rd_cur_get_u8(&var, &type) || type != RD_X224_NEG_REQ ||
        !rd_cur_get_u8(&var, &cr.nego_flags) || !rd_cur_get_u16le(&var, &len) ||
        len != RD_X224_NEG_LEN || !rd_cur_get_u32le(&var, &cr.requested_protocols))
      return RD_E_MALFORMED;
    cr.nego_present = true;
    if ((cr.nego_flags & RD_X224_REQ_CORRELATION_INFO_PRESENT) && !get_correlation(&var, &cr))
      return RD_E_MALFORMED;
  }
  if (!rd_cur_is_empty(&var))
    return RD_E_MALFORMED;
  *out = cr;
  *c = tmp;
  return 0;
}

int rd_x224_decode_cc(rd_cur *c, rd_x224_cc *out) {
  rd_cur tmp = *c, var;
  rd_x224_cc cc;
  uint8_t code;
  uint16_t len;
  uint32_t value;
  memset(&cc, 0, sizeof cc);
  if (!get_tpdu(&tmp, &cc.li, &code, &var) || code != RD_X224_TPDU_CC ||
      !rd_cur_get_u16be(&var, &cc.dst_ref) || !rd_cur_get_u16be(&var, &cc.src_ref) ||
      !rd_cur_get_u8(&var, &cc.class_opt))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&var)) {
    /* Exactly one 8-byte structure may follow; a different length field is a different PDU. */
    if (rd_cur_len(&var) != RD_X224_NEG_LEN || !rd_cur_get_u8(&var, &cc.nego_type) ||
        (cc.nego_type != RD_X224_NEG_RSP && cc.nego_type != RD_X224_NEG_FAILURE) ||
        !rd_cur_get_u8(&var, &cc.nego_flags) || !rd_cur_get_u16le(&var, &len) ||
        len != RD_X224_NEG_LEN || !rd_cur_get_u32le(&var, &value))
      return RD_E_MALFORMED;
    cc.nego_present = true;
    if (cc.nego_type == RD_X224_NEG_RSP)
      cc.selected_protocol = value;
    else
      cc.failure_code = value;
  }
  *out = cc;
  *c = tmp;
  return 0;
}

int rd_x224_encode_cc(const rd_x224_cc *cc, rd_bld *b) {
  if (cc->nego_present && cc->nego_type != RD_X224_NEG_RSP && cc->nego_type != RD_X224_NEG_FAILURE)
    return RD_E_INVALID;
  rd_bld tpkt, tpdu;
  rd_bld_add_tpkt(b, &tpkt);
  rd_bld_add_u8_prefixed(&tpkt, &tpdu);
  rd_bld_add_u8(&tpdu, RD_X224_TPDU_CC);
  rd_bld_add_u16be(&tpdu, cc->dst_ref);
  rd_bld_add_u16be(&tpdu, cc->src_ref);
  rd_bld_add_u8(&tpdu, cc->class_opt);
  if (cc->nego_present) {
    rd_bld_add_u8(&tpdu, cc->nego_type);
    rd_bld_add_u8(&tpdu, cc->nego_flags);
    rd_bld_add_u16le(&tpdu, RD_X224_NEG_LEN);
    rd_bld_add_u32le(&tpdu, cc->nego_type == RD_X224_NEG_RSP ? cc->selected_protocol
                                                              : cc->failure_code);
  }
  rd_bld_close(&tpdu);
  return builder_state(rd_bld_close(&tpkt));
}

int rd_x224_decode_dr(rd_cur *c, rd_x224_dr *out) {
  rd_cur tmp = *c, var;
  rd_x224_dr dr;
  uint8_t code;
  memset(&dr, 0, sizeof dr);
  if (!get_tpdu(&tmp, &dr.li, &code, &var) || code != RD_X224_TPDU_DR ||
      !rd_cur_get_u16be(&var, &dr.dst_ref) || !rd_cur_get_u16be(&var, &dr.src_ref) ||
      !rd_cur_get_u8(&var, &dr.reason))
    return RD_E_MALFORMED;
  dr.params = var;
  *out = dr;
  *c = tmp;
  return 0;
}

int rd_x224_encode_dr(const rd_x224_dr *dr, rd_bld *b) {
  if (rd_cur_len(&dr->params) > LI_MAX - LI_FIXED)
    return RD_E_INVALID;
  rd_bld tpkt, tpdu;
  rd_bld_add_tpkt(b, &tpkt);
  rd_bld_add_u8_prefixed(&tpkt, &tpdu);
  rd_bld_add_u8(&tpdu, RD_X224_TPDU_DR);
  rd_bld_add_u16be(&tpdu, dr->dst_ref);
  rd_bld_add_u16be(&tpdu, dr->src_ref);
  rd_bld_add_u8(&tpdu, dr->reason);
  rd_bld_add_bytes(&tpdu, rd_cur_data(&dr->params), rd_cur_len(&dr->params));
  rd_bld_close(&tpdu);
  return builder_state(rd_bld_close(&tpkt));
}

int rd_x224_decode_dt(rd_cur *c, rd_cur *user_data) {
  rd_cur tmp = *c, tpdu;
  uint8_t li, code, eot;
  /* Class 0 DT: LI 2, code 0xf0, then EOT set with TPDU-NR 0; RDP never segments (EOT clear). */
  if (!rd_cur_get_tpkt(&tmp, &tpdu) || !rd_cur_get_u8(&tpdu, &li) || li != 2 ||
      !rd_cur_get_u8(&tpdu, &code) || code != RD_X224_TPDU_DT || !rd_cur_get_u8(&tpdu, &eot) ||
      eot != 0x80)
    return RD_E_MALFORMED;
  *user_data = tpdu;
  *c = tmp;
  return 0;
}

bool rd_x224_add_dt(rd_bld *b, rd_bld *child) {
  static const uint8_t dt[3] = {2, RD_X224_TPDU_DT, 0x80};
  return rd_bld_add_tpkt(b, child) && rd_bld_add_bytes(child, dt, sizeof dt);
}
