/* Share control/data codecs; see share.h. */
#include "share.h"

#include <string.h>

#include "err.h"

#define CTRL_LEN 6
#define DATA_HDR_LEN 12
#define SHARE_MAX 0x7fff /* totalLength above this is the flow-PDU marker or hostile */

int rd_share_decode_ctrl(rd_cur *c, rd_share_ctrl *out, rd_cur *body) {
  rd_cur t = *c;
  rd_share_ctrl h;
  if (!rd_cur_get_u16le(&t, &h.total_length) || h.total_length < CTRL_LEN ||
      h.total_length > SHARE_MAX || !rd_cur_get_u16le(&t, &h.pdu_type) ||
      !rd_cur_get_u16le(&t, &h.pdu_source) || !rd_cur_get_span(&t, h.total_length - CTRL_LEN, body))
    return RD_E_MALFORMED;
  h.type = (uint8_t)(h.pdu_type & 0xf);
  h.version = (uint16_t)(h.pdu_type & 0xfff0);
  *c = t;
  *out = h;
  return 0;
}

int rd_share_decode_data(rd_cur *body, rd_share_data *out) {
  rd_cur t = *body;
  rd_share_data d;
  uint8_t pad;
  if (!rd_cur_get_u32le(&t, &d.share_id) || !rd_cur_get_u8(&t, &pad) ||
      !rd_cur_get_u8(&t, &d.stream_id) || !rd_cur_get_u16le(&t, &d.uncompressed_length) ||
      !rd_cur_get_u8(&t, &d.pdu_type2) || !rd_cur_get_u8(&t, &d.compressed_type) ||
      !rd_cur_get_u16le(&t, &d.compressed_length))
    return RD_E_MALFORMED;
  *body = t;
  *out = d;
  return 0;
}

int rd_share_encode_ctrl(uint8_t type, uint16_t pdu_source, const uint8_t *payload, size_t n,
                         rd_bld *b) {
  if ((payload == NULL && n > 0) || n > SHARE_MAX - CTRL_LEN || type > 0xf)
    return RD_E_INVALID;
  bool ok = rd_bld_add_u16le(b, (uint16_t)(n + CTRL_LEN)) &&
            rd_bld_add_u16le(b, (uint16_t)(type | RD_SHARE_PROTOCOL_VERSION)) &&
            rd_bld_add_u16le(b, pdu_source) && rd_bld_add_bytes(b, payload, n);
  return ok ? 0 : RD_E_NOMEM;
}

int rd_share_encode_data(uint32_t share_id, uint16_t pdu_source, uint8_t stream_id,
                         uint8_t pdu_type2, const uint8_t *payload, size_t n, rd_bld *b) {
  if ((payload == NULL && n > 0) || n > SHARE_MAX - CTRL_LEN - DATA_HDR_LEN)
    return RD_E_INVALID;
  bool ok = rd_bld_add_u16le(b, (uint16_t)(n + CTRL_LEN + DATA_HDR_LEN)) &&
            rd_bld_add_u16le(b, RD_SHARE_PDUTYPE_DATA | RD_SHARE_PROTOCOL_VERSION) &&
            rd_bld_add_u16le(b, pdu_source) && rd_bld_add_u32le(b, share_id) &&
            rd_bld_add_u8(b, 0) && rd_bld_add_u8(b, stream_id) &&
            rd_bld_add_u16le(b, (uint16_t)(n + 4)) && rd_bld_add_u8(b, pdu_type2) &&
            rd_bld_add_u8(b, 0) && rd_bld_add_u16le(b, 0) && rd_bld_add_bytes(b, payload, n);
  return ok ? 0 : RD_E_NOMEM;
}

/* ---- Capabilities ---- */

int rd_share_next_capset(rd_cur *caps, rd_share_capset *out) {
  rd_cur t = *caps;
  uint16_t type, len;
  if (rd_cur_is_empty(caps))
    return 1;
  if (!rd_cur_get_u16le(&t, &type) || !rd_cur_get_u16le(&t, &len) || len < 4 ||
      !rd_cur_get_span(&t, len - 4, &out->data))
    return RD_E_MALFORMED;
  out->type = type;
  *caps = t;
  return 0;
}

int rd_share_decode_demand_active(rd_cur *body, rd_share_demand_active *out) {
  rd_cur t = *body, walk;
  rd_share_demand_active d;
  rd_share_capset cs;
  uint16_t src_len, comb_len, pad;
  memset(&d, 0, sizeof(d));
  if (!rd_cur_get_u32le(&t, &d.share_id) || !rd_cur_get_u16le(&t, &src_len) ||
      !rd_cur_get_u16le(&t, &comb_len) || !rd_cur_get_span(&t, src_len, &d.source_descriptor) ||
      comb_len < 4 || !rd_cur_get_u16le(&t, &d.number_capabilities) ||
      !rd_cur_get_u16le(&t, &pad) || !rd_cur_get_span(&t, comb_len - 4, &d.capabilities))
    return RD_E_MALFORMED;
  walk = d.capabilities;
  for (uint32_t i = 0; i < d.number_capabilities; i++)
    if (rd_share_next_capset(&walk, &cs) != 0)
      return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&walk))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&t)) {
    if (!rd_cur_get_u32le(&t, &d.session_id) || !rd_cur_is_empty(&t))
      return RD_E_MALFORMED;
    d.session_id_present = true;
  }
  *body = t;
  *out = d;
  return 0;
}

int rd_share_decode_deactivate_all(rd_cur *body, uint32_t *share_id, rd_cur *source_descriptor) {
  rd_cur t = *body, src;
  uint32_t id;
  uint16_t len;
  rd_cur_init(&src, NULL, 0);
  if (!rd_cur_get_u32le(&t, &id))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&t) &&
      (!rd_cur_get_u16le(&t, &len) || !rd_cur_get_span(&t, len, &src) || !rd_cur_is_empty(&t)))
    return RD_E_MALFORMED;
  *share_id = id;
  *source_descriptor = src;
  *body = t;
  return 0;
}

int rd_share_encode_confirm_active(const rd_share_confirm_active *ca, rd_bld *b) {
  size_t body_len;
  if (ca == NULL || (ca->source_descriptor == NULL && ca->source_descriptor_len > 0) ||
      (ca->caps == NULL && ca->caps_len > 0) || ca->source_descriptor_len > 0xffff ||
      ca->caps_len > SHARE_MAX)
    return RD_E_INVALID;
  body_len = 4 + 2 + 2 + 2 + ca->source_descriptor_len + 2 + 2 + ca->caps_len;
  if (body_len > SHARE_MAX - CTRL_LEN)
    return RD_E_INVALID;
  bool ok = rd_bld_add_u16le(b, (uint16_t)(body_len + CTRL_LEN)) &&
            rd_bld_add_u16le(b, RD_SHARE_PDUTYPE_CONFIRMACTIVE | RD_SHARE_PROTOCOL_VERSION) &&
            rd_bld_add_u16le(b, ca->pdu_source) && rd_bld_add_u32le(b, ca->share_id) &&
            rd_bld_add_u16le(b, ca->originator_id) &&
            rd_bld_add_u16le(b, (uint16_t)ca->source_descriptor_len) &&
            rd_bld_add_u16le(b, (uint16_t)(ca->caps_len + 4)) &&
            rd_bld_add_bytes(b, ca->source_descriptor, ca->source_descriptor_len) &&
            rd_bld_add_u16le(b, ca->caps_count) && rd_bld_add_u16le(b, 0) &&
            rd_bld_add_bytes(b, ca->caps, ca->caps_len);
  return ok ? 0 : RD_E_NOMEM;
}

/* Appends one capability set with its type and length header around n bytes of data. */
static bool add_capset(rd_bld *b, uint16_t type, const uint8_t *data, size_t n) {
  return rd_bld_add_u16le(b, type) && rd_bld_add_u16le(b, (uint16_t)(n + 4)) &&
         rd_bld_add_bytes(b, data, n);
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)v);
  put16(p + 2, (uint16_t)(v >> 16));
}

int rd_share_add_client_caps(rd_bld *caps, uint16_t width, uint16_t height, uint16_t depth,
                             uint16_t *count) {
  uint8_t general[20] = {0}, bitmap[24] = {0}, order[84] = {0}, bcache[36] = {0}, pointer[6] = {0},
          input[84] = {0}, brush[4] = {0}, glyph[48] = {0}, offscreen[8] = {0}, vchan[8] = {0},
          sound[4] = {0}, font[4] = {0}, control[8] = {0}, activation[8] = {0}, share[4] = {0},
          color[4] = {0};
  if (width == 0 || height == 0 || count == NULL ||
      (depth != 8 && depth != 15 && depth != 16 && depth != 24 && depth != 32))
    return RD_E_INVALID;
  /* General (2.2.7.1.1): Windows NT, version 2, FASTPATH_OUTPUT_SUPPORTED | LONG_CREDENTIALS |
   * AUTORECONNECT | ENC_SALTED_CHECKSUM | NO_BITMAP_COMPRESSION_HDR, refresh and suppress. */
  put16(general, 1);
  put16(general + 2, 3);
  put16(general + 4, 0x200);
  put16(general + 10, 0x0001 | 0x0004 | 0x0008 | 0x0010 | 0x0400);
  general[18] = 1; /* refreshRectSupport */
  general[19] = 1; /* suppressOutputSupport */
  /* Bitmap (2.2.7.1.2). */
  put16(bitmap, depth);
  put16(bitmap + 2, 1);
  put16(bitmap + 4, 1);
  put16(bitmap + 6, 1);
  put16(bitmap + 8, width);
  put16(bitmap + 10, height);
  put16(bitmap + 14, 1); /* desktopResizeFlag */
  put16(bitmap + 16, 1); /* bitmapCompressionFlag */
  /* Order (2.2.7.1.3): no drawing orders, NEGOTIATEORDERSUPPORT | ZEROBOUNDSDELTASSUPPORT. */
  put16(order + 20, 1);   /* desktopSaveXGranularity */
  put16(order + 22, 20);  /* desktopSaveYGranularity */
  put16(order + 26, 1);   /* maximumOrderLevel */
  put16(order + 30, 0x0002 | 0x0008);
  put32(order + 72, 230400); /* desktopSaveSize */
  put16(order + 80, 0x04e4); /* textANSICodePage 1252 */
  /* Bitmap cache revision 1 (2.2.7.1.4.1): three small caches. */
  put16(bcache + 24, 200);
  put16(bcache + 26, 256);
  put16(bcache + 28, 600);
  put16(bcache + 30, 1024);
  put16(bcache + 32, 1000);
  put16(bcache + 34, 4096);
  /* Pointer (2.2.7.1.5). */
  put16(pointer, 1);
  put16(pointer + 2, 20);
  put16(pointer + 4, 21);
  /* Input (2.2.7.1.6): SCANCODES | MOUSEX | UNICODE | FASTPATH_INPUT2, US layout, IBM keyboard. */
  put16(input, 0x0001 | 0x0004 | 0x0010 | 0x0020);
  put32(input + 4, 0x409);
  put32(input + 8, 4);
  put32(input + 16, 12);
  /* Brush (2.2.7.1.7): default. Glyph cache (2.2.7.1.8): none (GLYPH_SUPPORT_NONE). */
  /* Offscreen cache (2.2.7.1.9): not supported. Virtual channel (2.2.7.1.10): no compression. */
  put32(vchan + 4, 1600); /* VCChunkSize */
  /* Sound (2.2.7.1.11): beeps. Font (2.2.7.2.5): FONTSUPPORT_FONTLIST. */
  put16(sound, 1);
  put16(font, 1);
  /* Control (2.2.7.2.2): never detach, never take control; activation (2.2.7.2.3): zeros. */
  put16(control + 4, 2);
  put16(control + 6, 2);
  /* Color cache (2.2.7.2.1): 6 entries. */
  put16(color, 6);
  bool ok = add_capset(caps, RD_CAPSTYPE_GENERAL, general, sizeof general) &&
            add_capset(caps, RD_CAPSTYPE_BITMAP, bitmap, sizeof bitmap) &&
            add_capset(caps, RD_CAPSTYPE_ORDER, order, sizeof order) &&
            add_capset(caps, RD_CAPSTYPE_BITMAPCACHE, bcache, sizeof bcache) &&
            add_capset(caps, RD_CAPSTYPE_POINTER, pointer, sizeof pointer) &&
            add_capset(caps, RD_CAPSTYPE_INPUT, input, sizeof input) &&
            add_capset(caps, RD_CAPSTYPE_BRUSH, brush, sizeof brush) &&
            add_capset(caps, RD_CAPSTYPE_GLYPHCACHE, glyph, sizeof glyph) &&
            add_capset(caps, RD_CAPSTYPE_OFFSCREENCACHE, offscreen, sizeof offscreen) &&
            add_capset(caps, RD_CAPSTYPE_VIRTUALCHANNEL, vchan, sizeof vchan) &&
            add_capset(caps, RD_CAPSTYPE_SOUND, sound, sizeof sound) &&
            add_capset(caps, RD_CAPSTYPE_FONT, font, sizeof font) &&
            add_capset(caps, RD_CAPSTYPE_CONTROL, control, sizeof control) &&
            add_capset(caps, RD_CAPSTYPE_ACTIVATION, activation, sizeof activation) &&
            add_capset(caps, RD_CAPSTYPE_SHARE, share, sizeof share) &&
            add_capset(caps, RD_CAPSTYPE_COLORCACHE, color, sizeof color);
  *count = 16;
  return ok ? 0 : RD_E_NOMEM;
}

/* ---- Finalization ---- */

int rd_share_encode_synchronize(uint32_t share_id, uint16_t pdu_source, uint16_t target_user,
                                rd_bld *b) {
  uint8_t p[4];
  put16(p, 1); /* SYNCMSGTYPE_SYNC */
  put16(p + 2, target_user);
  return rd_share_encode_data(share_id, pdu_source, RD_SHARE_STREAM_LOW,
                              RD_SHARE_PDUTYPE2_SYNCHRONIZE, p, sizeof p, b);
}

int rd_share_encode_control(uint32_t share_id, uint16_t pdu_source, uint16_t action, rd_bld *b) {
  uint8_t p[8] = {0};
  if (action != RD_SHARE_CTRLACTION_COOPERATE && action != RD_SHARE_CTRLACTION_REQUEST_CONTROL)
    return RD_E_INVALID;
  put16(p, action);
  return rd_share_encode_data(share_id, pdu_source, RD_SHARE_STREAM_LOW, RD_SHARE_PDUTYPE2_CONTROL,
                              p, sizeof p, b);
}

int rd_share_encode_font_list(uint32_t share_id, uint16_t pdu_source, rd_bld *b) {
  uint8_t p[8] = {0};
  put16(p + 4, 0x0003); /* FONTLIST_FIRST | FONTLIST_LAST */
  put16(p + 6, 0x0032);
  return rd_share_encode_data(share_id, pdu_source, RD_SHARE_STREAM_LOW, RD_SHARE_PDUTYPE2_FONTLIST,
                              p, sizeof p, b);
}

/* ---- Server data PDUs ---- */

int rd_share_decode_set_error_info(rd_cur *payload, uint32_t *error_info) {
  rd_cur t = *payload;
  uint32_t v;
  if (!rd_cur_get_u32le(&t, &v) || !rd_cur_is_empty(&t))
    return RD_E_MALFORMED;
  *error_info = v;
  *payload = t;
  return 0;
}

int rd_share_decode_control(rd_cur *payload, uint16_t *action, uint16_t *grant_id,
                            uint32_t *control_id) {
  rd_cur t = *payload;
  uint16_t a, g;
  uint32_t id;
  if (!rd_cur_get_u16le(&t, &a) || !rd_cur_get_u16le(&t, &g) || !rd_cur_get_u32le(&t, &id) ||
      !rd_cur_is_empty(&t))
    return RD_E_MALFORMED;
  *action = a;
  *grant_id = g;
  *control_id = id;
  *payload = t;
  return 0;
}

int rd_share_decode_synchronize(rd_cur *payload, uint16_t *message_type, uint16_t *target_user) {
  rd_cur t = *payload;
  uint16_t m, u;
  if (!rd_cur_get_u16le(&t, &m) || !rd_cur_get_u16le(&t, &u) || !rd_cur_is_empty(&t))
    return RD_E_MALFORMED;
  *message_type = m;
  *target_user = u;
  *payload = t;
  return 0;
}

int rd_share_decode_font_map(rd_cur *payload, uint16_t *entries, uint16_t *total, uint16_t *flags,
                             uint16_t *entry_size) {
  rd_cur t = *payload;
  uint16_t a, b, f, s;
  if (!rd_cur_get_u16le(&t, &a) || !rd_cur_get_u16le(&t, &b) || !rd_cur_get_u16le(&t, &f) ||
      !rd_cur_get_u16le(&t, &s) || !rd_cur_is_empty(&t))
    return RD_E_MALFORMED;
  *entries = a;
  *total = b;
  *flags = f;
  *entry_size = s;
  *payload = t;
  return 0;
}

#define LOGON_DOMAIN_MAX 52
#define LOGON_USER_MAX 512
#define LOGON_V2_PAD 558
#define ARC_LEN 28

static int get_logon_v1(rd_cur *t, rd_share_save_session_info *s) {
  uint32_t cb_domain, cb_user;
  rd_cur field;
  if (!rd_cur_get_u32le(t, &cb_domain) || cb_domain > LOGON_DOMAIN_MAX ||
      !rd_cur_get_span(t, LOGON_DOMAIN_MAX, &field))
    return RD_E_MALFORMED;
  rd_cur_init(&s->domain, rd_cur_data(&field), cb_domain);
  if (!rd_cur_get_u32le(t, &cb_user) || cb_user > LOGON_USER_MAX ||
      !rd_cur_get_span(t, LOGON_USER_MAX, &field) || !rd_cur_get_u32le(t, &s->session_id) ||
      !rd_cur_is_empty(t))
    return RD_E_MALFORMED;
  rd_cur_init(&s->user, rd_cur_data(&field), cb_user);
  return 0;
}

/* Size is 18 in [MS-RDPBCGR] 2.2.10.1.1.2; FreeRDP 2's servers (minisrv, weston, g-r-d) write 576,
 * the fixed part with its padding: both are read. */
static int get_logon_v2(rd_cur *t, rd_share_save_session_info *s) {
  uint16_t version;
  uint32_t size, cb_domain, cb_user;
  if (!rd_cur_get_u16le(t, &version) || version != 1 || !rd_cur_get_u32le(t, &size) ||
      (size != 18 && size != 18 + LOGON_V2_PAD) || !rd_cur_get_u32le(t, &s->session_id) || !rd_cur_get_u32le(t, &cb_domain) ||
      !rd_cur_get_u32le(t, &cb_user) || !rd_cur_skip(t, LOGON_V2_PAD) ||
      !rd_cur_get_span(t, cb_domain, &s->domain) || !rd_cur_get_span(t, cb_user, &s->user))
    return RD_E_MALFORMED;
  s->pad_len = rd_cur_len(t);
  return rd_cur_skip(t, s->pad_len) ? 0 : RD_E_MALFORMED;
}

static int get_logon_extended(rd_cur *t, rd_share_save_session_info *s) {
  uint16_t length;
  rd_cur body, field;
  uint32_t cb;
  if (!rd_cur_get_u16le(t, &length) || length < 6 || !rd_cur_get_span(t, length - 2u, &body) ||
      !rd_cur_get_u32le(&body, &s->fields_present))
    return RD_E_MALFORMED;
  /* The fields come in bit order; each announces its own size. */
  for (uint32_t bit = 1; bit != 0 && (s->fields_present & ~(bit - 1)) != 0; bit <<= 1) {
    if (!(s->fields_present & bit))
      continue;
    if (!rd_cur_get_u32le(&body, &cb) || !rd_cur_get_span(&body, cb, &field))
      return RD_E_MALFORMED;
    if (bit == RD_LOGON_EX_AUTORECONNECTCOOKIE) {
      uint32_t cb_len, version;
      if (cb != ARC_LEN || !rd_cur_get_u32le(&field, &cb_len) || cb_len != ARC_LEN ||
          !rd_cur_get_u32le(&field, &version) || version != 1 ||
          !rd_cur_get_u32le(&field, &s->arc_logon_id))
        return RD_E_MALFORMED;
      s->arc_present = true;
    } else if (bit == RD_LOGON_EX_LOGONERRORS) {
      if (cb != 8 || !rd_cur_get_u32le(&field, &s->error_type) ||
          !rd_cur_get_u32le(&field, &s->error_data))
        return RD_E_MALFORMED;
      s->errors_present = true;
    }
  }
  /* FreeRDP 2's servers count part of the padding in Length (584 for logon errors alone, captured
   * from minisrv --logon-error): what follows the fields announced is padding too. */
  s->pad_len = rd_cur_len(&body) + rd_cur_len(t);
  return rd_cur_skip(t, rd_cur_len(t)) ? 0 : RD_E_MALFORMED;
}

int rd_share_decode_save_session_info(rd_cur *payload, rd_share_save_session_info *out) {
  rd_cur t = *payload;
  rd_share_save_session_info s;
  int r;
  memset(&s, 0, sizeof(s));
  rd_cur_init(&s.domain, NULL, 0);
  rd_cur_init(&s.user, NULL, 0);
  if (!rd_cur_get_u32le(&t, &s.info_type))
    return RD_E_MALFORMED;
  switch (s.info_type) {
  case RD_INFOTYPE_LOGON:
    r = get_logon_v1(&t, &s);
    break;
  case RD_INFOTYPE_LOGON_LONG:
    r = get_logon_v2(&t, &s);
    break;
  case RD_INFOTYPE_LOGON_PLAINNOTIFY:
    s.pad_len = rd_cur_len(&t);
    r = rd_cur_skip(&t, s.pad_len) ? 0 : RD_E_MALFORMED;
    break;
  case RD_INFOTYPE_LOGON_EXTENDED:
    r = get_logon_extended(&t, &s);
    break;
  default:
    r = RD_E_MALFORMED;
  }
  if (r != 0)
    return r;
  *payload = t;
  *out = s;
  return 0;
}

/* ---- Classification ---- */

typedef struct named {
  uint8_t code;
  const char *name;
} named;

static const named ctrl_names[] = {
    {RD_SHARE_PDUTYPE_DEMANDACTIVE, "DEMAND_ACTIVE"},
    {RD_SHARE_PDUTYPE_CONFIRMACTIVE, "CONFIRM_ACTIVE"},
    {RD_SHARE_PDUTYPE_DEACTIVATEALL, "DEACTIVATE_ALL"},
    {RD_SHARE_PDUTYPE_DATA, "DATA"},
    {RD_SHARE_PDUTYPE_SERVER_REDIR, "SERVER_REDIRECT"},
};

static const named data_names[] = {
    {RD_SHARE_PDUTYPE2_UPDATE, "UPDATE"},
    {RD_SHARE_PDUTYPE2_CONTROL, "CONTROL"},
    {RD_SHARE_PDUTYPE2_POINTER, "POINTER"},
    {RD_SHARE_PDUTYPE2_INPUT, "INPUT"},
    {RD_SHARE_PDUTYPE2_SYNCHRONIZE, "SYNCHRONIZE"},
    {RD_SHARE_PDUTYPE2_REFRESH_RECT, "REFRESH_RECT"},
    {RD_SHARE_PDUTYPE2_PLAY_SOUND, "PLAY_SOUND"},
    {RD_SHARE_PDUTYPE2_SUPPRESS_OUTPUT, "SUPPRESS_OUTPUT"},
    {RD_SHARE_PDUTYPE2_SHUTDOWN_REQUEST, "SHUTDOWN_REQUEST"},
    {RD_SHARE_PDUTYPE2_SHUTDOWN_DENIED, "SHUTDOWN_DENIED"},
    {RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO, "SAVE_SESSION_INFO"},
    {RD_SHARE_PDUTYPE2_FONTLIST, "FONTLIST"},
    {RD_SHARE_PDUTYPE2_FONTMAP, "FONTMAP"},
    {RD_SHARE_PDUTYPE2_SET_KEYBOARD_INDICATORS, "SET_KEYBOARD_INDICATORS"},
    {RD_SHARE_PDUTYPE2_BITMAPCACHE_PERSISTENT_LIST, "BITMAPCACHE_PERSISTENT_LIST"},
    {RD_SHARE_PDUTYPE2_BITMAPCACHE_ERROR, "BITMAPCACHE_ERROR"},
    {RD_SHARE_PDUTYPE2_SET_KEYBOARD_IME_STATUS, "SET_KEYBOARD_IME_STATUS"},
    {RD_SHARE_PDUTYPE2_OFFSCRCACHE_ERROR, "OFFSCRCACHE_ERROR"},
    {RD_SHARE_PDUTYPE2_SET_ERROR_INFO, "SET_ERROR_INFO"},
    {RD_SHARE_PDUTYPE2_DRAWNINEGRID_ERROR, "DRAWNINEGRID_ERROR"},
    {RD_SHARE_PDUTYPE2_DRAWGDIPLUS_ERROR, "DRAWGDIPLUS_ERROR"},
    {RD_SHARE_PDUTYPE2_ARC_STATUS, "ARC_STATUS"},
    {RD_SHARE_PDUTYPE2_STATUS_INFO, "STATUS_INFO"},
    {RD_SHARE_PDUTYPE2_MONITOR_LAYOUT, "MONITOR_LAYOUT"},
};

static const char *lookup(const named *t, size_t n, uint8_t code) {
  for (size_t i = 0; i < n; i++)
    if (t[i].code == code)
      return t[i].name;
  return NULL;
}

int rd_share_classify(rd_cur *c, rd_share_pdu *out) {
  rd_cur t = *c, body;
  rd_share_pdu p;
  const char *name;
  memset(&p, 0, sizeof(p));
  if (rd_share_decode_ctrl(&t, &p.ctrl, &body) != 0)
    return RD_E_MALFORMED;
  name = lookup(ctrl_names, sizeof ctrl_names / sizeof ctrl_names[0], p.ctrl.type);
  if (p.ctrl.type == RD_SHARE_PDUTYPE_DATA) {
    if (rd_share_decode_data(&body, &p.data) != 0)
      return RD_E_MALFORMED;
    p.is_data = true;
    name = lookup(data_names, sizeof data_names / sizeof data_names[0], p.data.pdu_type2);
  }
  p.known = name != NULL;
  p.name = name != NULL ? name : "UNKNOWN";
  p.payload = body;
  p.head_len = rd_cur_len(&body) < RD_SHARE_HEAD_LEN ? rd_cur_len(&body) : RD_SHARE_HEAD_LEN;
  if (p.head_len > 0)
    memcpy(p.head, rd_cur_data(&body), p.head_len);
  *c = t;
  *out = p;
  return 0;
}
