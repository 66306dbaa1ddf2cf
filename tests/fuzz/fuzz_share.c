/* Fuzz target for the share-layer decoders (STYLE.md §10): the classifier never fails on a type it
 * does not know, a failed decode leaves the cursor unmoved, capability walks stay inside their
 * span, and the data PDUs we also encode (Set Error Info, Synchronize, Control) come back as the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/share.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_unmoved(const rd_cur *c, const uint8_t *p, size_t n) {
  if (rd_cur_data(c) != p || rd_cur_len(c) != n)
    abort();
}

static void check_body(const rd_share_pdu *p) {
  rd_cur body = p->payload, saved, walk;
  if (p->ctrl.type == RD_SHARE_PDUTYPE_DEMANDACTIVE) {
    rd_share_demand_active da;
    rd_share_capset cs;
    saved = body;
    if (rd_share_decode_demand_active(&body, &da) != 0) {
      check_unmoved(&body, rd_cur_data(&saved), rd_cur_len(&saved));
      return;
    }
    walk = da.capabilities;
    for (uint32_t i = 0; i < da.number_capabilities; i++)
      if (rd_share_next_capset(&walk, &cs) != 0)
        abort();
    if (!rd_cur_is_empty(&walk))
      abort();
  } else if (p->ctrl.type == RD_SHARE_PDUTYPE_DEACTIVATEALL) {
    uint32_t id;
    rd_cur src;
    (void)rd_share_decode_deactivate_all(&body, &id, &src);
  } else if (p->is_data) {
    rd_share_save_session_info s;
    uint32_t info;
    uint16_t a, g, m, u, e, t, f, z;
    uint32_t cid;
    saved = body;
    switch (p->data.pdu_type2) {
    case RD_SHARE_PDUTYPE2_SET_ERROR_INFO:
      if (rd_share_decode_set_error_info(&body, &info) != 0)
        check_unmoved(&body, rd_cur_data(&saved), rd_cur_len(&saved));
      break;
    case RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO:
      if (rd_share_decode_save_session_info(&body, &s) != 0)
        check_unmoved(&body, rd_cur_data(&saved), rd_cur_len(&saved));
      else if (!rd_cur_is_empty(&body))
        abort();
      break;
    case RD_SHARE_PDUTYPE2_CONTROL:
      (void)rd_share_decode_control(&body, &a, &g, &cid);
      break;
    case RD_SHARE_PDUTYPE2_SYNCHRONIZE:
      (void)rd_share_decode_synchronize(&body, &m, &u);
      break;
    case RD_SHARE_PDUTYPE2_FONTMAP:
      (void)rd_share_decode_font_map(&body, &e, &t, &f, &z);
      break;
    default:
      break;
    }
  }
}

/* A Set Error Info PDU in the shape we write encodes back to the same bytes. */
static void check_roundtrip(const rd_share_pdu *p, const uint8_t *d, size_t used) {
  uint8_t *out;
  size_t len;
  rd_bld b;
  if (!p->is_data || p->data.compressed_type != 0 || p->data.compressed_length != 0 ||
      p->ctrl.pdu_type != (RD_SHARE_PDUTYPE_DATA | RD_SHARE_PROTOCOL_VERSION) || d[10] != 0 ||
      p->data.uncompressed_length != rd_cur_len(&p->payload) + 4)
    return;
  rd_bld_init(&b, 65536);
  if (rd_share_encode_data(p->data.share_id, p->ctrl.pdu_source, p->data.stream_id,
                           p->data.pdu_type2, rd_cur_data(&p->payload), rd_cur_len(&p->payload),
                           &b) != 0 ||
      !rd_bld_finish(&b, &out, &len))
    abort();
  if (len != used || memcmp(out, d, len) != 0)
    abort();
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_share_pdu p;
  rd_cur_init(&c, d, n);
  if (rd_share_classify(&c, &p) != 0) {
    check_unmoved(&c, d, n);
    return 0;
  }
  if (p.name == NULL || p.head_len > RD_SHARE_HEAD_LEN)
    abort();
  check_body(&p);
  check_roundtrip(&p, d, n - rd_cur_len(&c));
  /* Save Session Info payloads on their own, for a shorter path to the logon structures. */
  rd_share_save_session_info s;
  rd_cur_init(&c, d, n);
  if (rd_share_decode_save_session_info(&c, &s) != 0)
    check_unmoved(&c, d, n);
  return 0;
}
