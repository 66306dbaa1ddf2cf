/* The probe's negotiation step: the X.224 Connection Request with RDP_NEG_REQ and the server's
 * Connection Confirm ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2; reference §3). */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <string.h>

#include "core/err.h"
#include "core/x224.h"

/* Largest reply we wait for while negotiating: a Connection Confirm is 11 or 19 bytes, so a TPKT
 * announcing more than this is a hostile length, handed over at once and recorded as malformed. */
#define MAX_CONFIRM 256

int rd_probe_pull_x224(rd_probe *p, rd_bld *out, rd_us now) {
  rd_x224_cr cr;
  memset(&cr, 0, sizeof cr);
  cr.nego_present = !p->facts->req.legacy;
  cr.requested_protocols = p->facts->req.protocols;
  if (rd_x224_encode_cr(&cr, out) != 0) {
    rd_probe_local_error(p, RD_E_NOMEM, now);
    return RD_E_NOMEM;
  }
  rd_probe_enter(p, RD_PS_X224_WAIT_CONFIRM, now);
  return 0;
}

size_t rd_probe_need_x224(const rd_probe *p, const uint8_t *head, size_t have) {
  size_t need = 0;
  if (have == 0)
    return 0;
  int r = rd_tpkt_frame_need(head, have, MAX_CONFIRM, &need);
  if (r == RD_E_SHORT)
    return 0;
  /* Not a TPKT (another service), or a hostile length: the bytes are the evidence, now. */
  return r == 0 ? need : have;
}

/* Keeps the first bytes and the count of a reply as the evidence of what arrived. */
static void keep_reply(rd_probe_facts *f, const uint8_t *head, size_t have) {
  size_t n = have < RD_REPLY_KEEP ? have : RD_REPLY_KEEP;
  memcpy(f->reply, head, n);
  f->reply_len = n;
  f->bytes_received = have;
}

void rd_probe_partial_x224(rd_probe *p, const uint8_t *head, size_t have) { keep_reply(p->facts, head, have); }

/* Ends the negotiation without a whole Confirm: closed, reset, silent or cut. Bytes that came
 * and cannot start a TPKT name another service rather than a silent or closing RDP listener. */
void rd_probe_end_x224(rd_probe *p, rd_nego_outcome how, rd_us now) {
  rd_probe_facts *f = p->facts;
  f->nego = how;
  f->reply_us = now - p->step_started;
  if (f->reply_len > 0 && f->reply[0] != 0x03) {
    f->nego = RD_NEGO_NOT_RDP;
    f->service = rd_probe_guess_service(f->reply, f->reply_len, f->banner, sizeof f->banner);
  }
  rd_probe_finish(p, now);
}

static void record_confirm(rd_probe_facts *f, const rd_x224_cc *cc) {
  if (!cc->nego_present) {
    f->nego = RD_NEGO_LEGACY;
  } else if (cc->nego_type == RD_X224_NEG_RSP) {
    f->nego = RD_NEGO_RSP;
    f->rsp_flags = cc->nego_flags;
    f->selected = cc->selected_protocol;
  } else {
    f->nego = RD_NEGO_FAILURE;
    f->failure_code = cc->failure_code;
  }
}

/* Whether the negotiated protocol is carried over TLS: SSL, HYBRID and HYBRID_EX are (RDSTLS is
 * too, but it then expects credentials we do not send, and RDSAAD a token). */
static bool selected_uses_tls(uint32_t selected) {
  return selected == RD_X224_PROTOCOL_SSL || selected == RD_X224_PROTOCOL_HYBRID ||
         selected == RD_X224_PROTOCOL_HYBRID_EX;
}

int rd_probe_feed_x224(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_probe_facts *f = p->facts;
  rd_cur c;
  rd_x224_cc cc;
  keep_reply(f, frame, n);
  f->reply_us = now - p->step_started;
  if (frame[0] != 0x03) {
    f->service = rd_probe_guess_service(frame, n, f->banner, sizeof f->banner);
    f->nego = RD_NEGO_NOT_RDP;
    rd_probe_finish(p, now);
    return RD_E_MALFORMED;
  }
  rd_cur_init(&c, frame, n);
  if (rd_x224_decode_cc(&c, &cc) == 0 && rd_cur_is_empty(&c)) {
    record_confirm(f, &cc);
  } else {
    f->nego = RD_NEGO_MALFORMED;
    rd_probe_finish(p, now);
    return RD_E_MALFORMED;
  }
  if (f->nego == RD_NEGO_RSP && selected_uses_tls(f->selected)) {
    rd_probe_enter(p, RD_PS_TLS_UPGRADE, now);
    return 0;
  }
  if (f->nego == RD_NEGO_RSP && f->selected == RD_X224_PROTOCOL_RDP && f->req.session) {
    rd_probe_start_session(p, now); /* Standard RDP Security: MCS in clear */
    return 0;
  }
  /* An enumeration: Standard RDP Security (RDP selected, or a legacy Confirm, which means it),
   * one Connect Initial with the methods the check chose, read up to the Connect Response. */
  if (p->enum_offer != 0 && !f->req.session &&
      ((f->nego == RD_NEGO_RSP && f->selected == RD_X224_PROTOCOL_RDP) || f->nego == RD_NEGO_LEGACY)) {
    f->session.enumeration = true;
    rd_probe_start_session(p, now);
    return 0;
  }
  rd_probe_finish(p, now);
  return 0;
}
