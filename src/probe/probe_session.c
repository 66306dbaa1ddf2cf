/* The probe's session phase ([MS-RDPBCGR] 1.3.1.1, 2.2.1.3–2.2.1.13; DESIGN.md "Session"): after
 * the security phase, the connection goes on as a client's does — MCS Connect Initial with a GCC
 * Conference Create Request that announces RNS_UD_CS_SUPPORT_ERRINFO_PDU (so the server says why it
 * ends a connection) and RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN, Erect Domain and Attach User in one
 * flight, the channel joins (none when the server answers RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED,
 * else every request in one flight), the Client Info PDU, then licensing and Demand Active — until
 * the server either offers the session or says why it will not. By default the probe then disconnects cleanly (an MCS Disconnect Provider Ultimatum), so no
 * user session is left behind.
 *
 * With --logon (req.logon) the probe logs the user on, as a client does: the credentials go where a
 * client puts them (the TSCredentials after CredSSP under NLA, already sent; otherwise the auto-logon
 * Client Info, INFO_AUTOLOGON with user, domain and password, only inside TLS), then after Demand
 * Active the Confirm Active and the client's finalization PDUs (Synchronize, Control Cooperate,
 * Control Request Control, Font List: 2.2.1.13.2-2.2.1.18), the server's (up to its Font Map, which
 * activates the session), and a wait for what the server says about the logon (Save Session Info,
 * 2.2.10.1; Set Error Info; an ultimatum; a close) until the check's deadline less a margin. It
 * ends the way that leaves least behind (1.3.1.4.1): a Shutdown Request; a server that lets it go
 * ends the connection (no logged-on session stays), one that answers Shutdown Request Denied (a
 * user is logged on) gets our Disconnect Provider Ultimatum, which leaves that session disconnected.
 *
 * Every Set Error Info PDU, licensing error, logon error info and Disconnect Provider Ultimatum is
 * recorded with the step and the time it came; a PDU we do not model is recorded (type, length,
 * first bytes), never a crash or a stall. */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/gcc.h"
#include "core/info.h"
#include "core/license.h"
#include "core/mcs.h"
#include "core/sec.h"
#include "core/share.h"
#include "core/wipe.h"
#include "core/x224.h"

#define MAX_SESSION_FRAME 65535 /* a TPKT's largest; a fast-path PDU is shorter */
#define DPU_USER_REQUESTED 3    /* T.125 Reason rn-user-requested */
/* The desktop a --logon session asks for: small, 16 bits per pixel, as a diagnosing client needs. */
#define LOGON_WIDTH 1024
#define LOGON_HEIGHT 768
#define LOGON_DEPTH 16

static rd_session_facts *sess(rd_probe *p) { return &p->facts->session; }

static void note_step(rd_probe *p) {
  snprintf(sess(p)->step, sizeof sess(p)->step, "%s", rd_probe_state_name(p->state));
}

static bool nla_selected(const rd_probe *p) {
  return p->facts->selected == RD_X224_PROTOCOL_HYBRID || p->facts->selected == RD_X224_PROTOCOL_HYBRID_EX;
}

void rd_probe_start_session(rd_probe *p, rd_us now) {
  p->session_started = now;
  p->logon_activated = RD_US_NONE;
  rd_probe_enter(p, RD_PS_MCS_SEND_CONNECT_INITIAL, now);
  note_step(p);
}

/* Ends the session phase: `how` unless the server already said why (its errorInfo is the answer
 * that matters, whatever the close that followed). */
static bool logon_waiting(const rd_probe *p) {
  return p->state == RD_PS_CAPS_SEND_CONFIRM_ACTIVE || p->state == RD_PS_FINAL_WAIT || p->state == RD_PS_LOGON_WAIT;
}

/* The logon wait's time, from activation (or Confirm Active, before it). */
static void logon_took(rd_probe *p, rd_us now) {
  rd_logon_facts *l = &sess(p)->logon;
  if (p->logon_activated != RD_US_NONE && now >= p->logon_activated)
    l->wait_us = now - p->logon_activated;
}

void rd_probe_end_session(rd_probe *p, rd_session_outcome how, rd_us now) {
  rd_session_facts *s = sess(p);
  rd_logon_facts *l = &s->logon;
  if (logon_waiting(p) && l->outcome == RD_LOGON_NOT_TRIED) {
    l->outcome = how == RD_SESS_CUT           ? RD_LOGON_CUT
                 : how == RD_SESS_MALFORMED   ? RD_LOGON_MALFORMED
                 : how == RD_SESS_LOCAL_ERROR ? RD_LOGON_LOCAL_ERROR
                 : how == RD_SESS_SILENT      ? RD_LOGON_SILENT
                                              : RD_LOGON_ENDED;
    l->end_how = (int)how;
    logon_took(p, now);
  }
  if (p->state == RD_PS_SESSION_WAIT_SHUTDOWN && how != RD_SESS_CUT && how != RD_SESS_LOCAL_ERROR)
    l->ended_by = RD_LOGON_END_SHUTDOWN_ENDED; /* the server let the shutdown go and ended it */
  note_step(p);
  bool said_why = false;
  for (size_t i = 0; i < s->n_error_info; i++)
    said_why |= s->error_info[i] != 0;
  if (s->outcome == RD_SESS_NOT_TRIED || s->outcome == RD_SESS_DISCONNECTED)
    s->outcome = said_why && how != RD_SESS_ACTIVE ? RD_SESS_ERROR_INFO : how;
  s->took_us = now - p->session_started;
  rd_probe_finish(p, now);
}

/* ---- framing ------------------------------------------------------------------------------ */

/* A TPKT (03 00 length) or a fast-path PDU (action bits 0, then a 1- or 2-byte length). */
size_t rd_probe_need_session(const rd_probe *p, const uint8_t *head, size_t have) {
  size_t need = 0;
  if (have == 0)
    return 0;
  if ((head[0] & 0x03) == 0) { /* fast-path output ([MS-RDPBCGR] 2.2.9.1.2) */
    if (have < 2)
      return 0;
    if (!(head[1] & 0x80))
      return head[1] >= 2 ? head[1] : have;
    if (have < 3)
      return 0;
    size_t len = ((size_t)(head[1] & 0x7f) << 8) | head[2];
    return len >= 3 ? len : have;
  }
  int r = rd_tpkt_frame_need(head, have, MAX_SESSION_FRAME, &need);
  if (r == RD_E_SHORT)
    return 0;
  return r == 0 ? need : have;
}

/* ---- sending ------------------------------------------------------------------------------- */

static int send_connect_initial(rd_probe *p, rd_bld *out) {
  rd_gcc_client_data cd;
  rd_mcs_connect_initial ci;
  rd_bld gcc;
  uint8_t *ud = NULL;
  size_t ud_len = 0;
  rd_gcc_client_data_init(&cd, p->facts->selected);
  if (sess(p)->enumeration)
    cd.encryption_methods = p->enum_offer;
  sess(p)->offered_methods = cd.encryption_methods;
  sess(p)->early_caps_sent = cd.early_capability_flags;
  rd_bld_init(&gcc, 4096);
  if (rd_gcc_encode_ccrq(&cd, &gcc) != 0 || !rd_bld_finish(&gcc, &ud, &ud_len)) {
    rd_bld_cleanup(&gcc);
    return RD_E_NOMEM;
  }
  rd_mcs_connect_initial_init(&ci, ud, ud_len);
  int r = rd_mcs_encode_connect_initial(&ci, out);
  free(ud);
  return r;
}

/* MCS Send Data Request on the I/O channel carrying payload. */
static int send_data(rd_probe *p, const uint8_t *payload, size_t n, rd_bld *out) {
  rd_mcs_send_data sd = {.initiator = sess(p)->user_channel, .channel_id = sess(p)->io_channel,
                         .priority = RD_MCS_PRIORITY_HIGH, .segmentation = RD_MCS_SEG_BEGIN | RD_MCS_SEG_END};
  rd_cur_init(&sd.user_data, payload, n);
  return rd_mcs_encode_send_data_request(&sd, out);
}

/* The Client Info PDU (2.2.1.11) under Enhanced RDP Security: a basic security header with
 * SEC_INFO_PKT, then TS_INFO_PACKET and the extended info. By default with empty names and no
 * password (no auto-logon: the probe asks for nothing a user session would need). With --logon,
 * the account: under NLA its user and domain only (the password went in the TSCredentials); under
 * TLS the auto-logon form with the password, which is never put in a Client Info sent in clear. */
static int send_client_info(rd_probe *p, rd_bld *out) {
  rd_bld b;
  uint8_t *pdu = NULL, *plain = NULL;
  size_t len = 0, plain_len = 0;
  rd_sec_header h = {.flags = RD_SEC_INFO_PKT};
  rd_info_client info;
  int r;
  /* Standard RDP Security: the Security Exchange goes first (2.2.1.10), in the same flight: the
   * server answers neither, so waiting between them would only cost a round trip. */
  if (rd_probe_rdpsec_active(p)) {
    if ((r = rd_probe_rdpsec_exchange(p, &pdu, &len)) != 0)
      return r;
    r = send_data(p, pdu, len, out);
    free(pdu);
    pdu = NULL;
    if (r != 0)
      return r;
  }
  memset(&info, 0, sizeof info);
  info.flags = RD_INFO_FLAGS_PROBE;
  info.address_family = RD_INFO_AF_INET;
  info.performance_flags = RD_INFO_PERF_DISABLE_WALLPAPER | RD_INFO_PERF_DISABLE_FULLWINDOWDRAG |
                           RD_INFO_PERF_DISABLE_MENUANIMATIONS;
  rd_logon_facts *l = &sess(p)->logon;
  if (p->facts->req.logon && p->auth != NULL && p->auth->in != NULL) {
    const rd_auth_input *in = p->auth->in;
    info.user = in->user;
    info.domain = in->domain;
    snprintf(l->user, sizeof l->user, "%s", in->user);
    snprintf(l->domain, sizeof l->domain, "%s", in->domain != NULL ? in->domain : "");
    if (nla_selected(p)) {
      l->credentials = RD_LOGON_CREDS_CREDSSP;
    } else if (p->transport == RD_TRANSPORT_TLS) {
      info.password = in->password;
      info.flags |= RD_INFO_AUTOLOGON;
      l->credentials = RD_LOGON_CREDS_CLIENT_INFO;
    }
  }
  rd_bld_init(&b, 4096);
  if (rd_probe_rdpsec_active(p)) {
    /* Encrypted and signed at every level above NONE: the client-to-server direction always is. */
    r = rd_info_encode(&info, &b);
    if (r != 0 || !rd_bld_finish(&b, &plain, &plain_len)) {
      rd_bld_cleanup(&b);
      return r != 0 ? r : RD_E_NOMEM;
    }
    rd_bld_init(&b, plain_len + 64);
    r = rd_probe_rdpsec_wrap(p, RD_SEC_INFO_PKT, true, plain, plain_len, &b);
    rd_wipe(plain, plain_len);
    free(plain);
  } else {
    r = rd_sec_encode_header(&h, RD_SEC_HDR_BASIC, &b);
    if (r == 0)
      r = rd_info_encode(&info, &b);
  }
  if (r != 0 || !rd_bld_finish(&b, &pdu, &len)) {
    rd_bld_cleanup(&b);
    return r != 0 ? r : RD_E_NOMEM;
  }
  r = send_data(p, pdu, len, out);
  rd_wipe(pdu, len); /* the auto-logon password; the check wipes what it hands the driver */
  free(pdu);
  return r;
}

/* Confirm Active (2.2.1.13.2) with a minimal capability set a server accepts, then the client's
 * finalization (2.2.1.14-2.2.1.18): Synchronize, Control Cooperate, Control Request Control and
 * Font List, each in its own Send Data Request, sent together as clients do. */
static int send_confirm_active(rd_probe *p, rd_bld *out) {
  rd_session_facts *s = sess(p);
  rd_bld caps, pdu;
  uint8_t *cp = NULL, *bytes = NULL;
  size_t cn = 0, n = 0;
  uint16_t count = 0;
  static const uint8_t source[] = "MSTSC";
  rd_bld_init(&caps, 8192);
  int r = rd_share_add_client_caps(&caps, LOGON_WIDTH, LOGON_HEIGHT, LOGON_DEPTH, &count);
  if (!rd_bld_finish(&caps, &cp, &cn))
    return r != 0 ? r : RD_E_NOMEM;
  if (r != 0) {
    free(cp);
    return r;
  }
  rd_share_confirm_active ca = {.share_id = s->share_id,
                                .pdu_source = s->user_channel,
                                .originator_id = RD_SHARE_SERVER_CHANNEL_ID,
                                .source_descriptor = source,
                                .source_descriptor_len = sizeof source,
                                .caps = cp,
                                .caps_len = cn,
                                .caps_count = count};
  for (int step = 0; step < 5 && r == 0; step++) {
    rd_bld_init(&pdu, 16384);
    switch (step) {
    case 0:
      r = rd_share_encode_confirm_active(&ca, &pdu);
      break;
    case 1:
      r = rd_share_encode_synchronize(s->share_id, s->user_channel, RD_SHARE_SERVER_CHANNEL_ID, &pdu);
      break;
    case 2:
      r = rd_share_encode_control(s->share_id, s->user_channel, RD_SHARE_CTRLACTION_COOPERATE, &pdu);
      break;
    case 3:
      r = rd_share_encode_control(s->share_id, s->user_channel, RD_SHARE_CTRLACTION_REQUEST_CONTROL, &pdu);
      break;
    default:
      r = rd_share_encode_font_list(s->share_id, s->user_channel, &pdu);
      break;
    }
    if (!rd_bld_finish(&pdu, &bytes, &n)) {
      r = r != 0 ? r : RD_E_NOMEM;
      break;
    }
    if (r == 0)
      r = send_data(p, bytes, n, out);
    free(bytes);
  }
  free(cp);
  if (r == 0) {
    s->logon.confirm_active_sent = true;
    s->logon.n_capabilities = count;
  }
  return r;
}

/* Every Channel Join Request in one flight ([MS-RDPBCGR] 3.2.5.3.8 describes them one after
 * the other, but its product behaviour note says RDP 8.1, 10.0 and 10.1 clients send them all in
 * a single batch to save round trips: a server that reads its input in order answers each in
 * turn). The confirms may then come in any order. */
static int send_channel_joins(rd_probe *p, rd_bld *out) {
  int r = 0;
  for (uint8_t i = 0; i < p->n_join && r == 0; i++)
    r = rd_mcs_encode_channel_join_request(sess(p)->user_channel, p->join[i], out);
  if (r == 0)
    sess(p)->joins_sent = p->n_join;
  return r;
}

/* Shutdown Request (2.2.2.2): a Share Data Header with no body. */
static int send_shutdown(rd_probe *p, rd_bld *out) {
  rd_session_facts *s = sess(p);
  rd_bld pdu;
  uint8_t *bytes = NULL;
  size_t n = 0;
  rd_bld_init(&pdu, 64);
  int r = rd_share_encode_data(s->share_id, s->user_channel, RD_SHARE_STREAM_LOW, RD_SHARE_PDUTYPE2_SHUTDOWN_REQUEST,
                               NULL, 0, &pdu);
  if (!rd_bld_finish(&pdu, &bytes, &n))
    return r != 0 ? r : RD_E_NOMEM;
  if (r == 0)
    r = send_data(p, bytes, n, out);
  free(bytes);
  if (r == 0)
    s->logon.shutdown_sent = true;
  return r;
}

/* The logon wait ends (a report, a quiet wait): the session ends the way that leaves least behind. */
static void logon_over(rd_probe *p, rd_logon_outcome how, rd_us now) {
  rd_logon_facts *l = &sess(p)->logon;
  if (l->outcome == RD_LOGON_NOT_TRIED)
    l->outcome = how;
  logon_took(p, now);
  note_step(p);
  rd_probe_enter(p, RD_PS_SESSION_SEND_SHUTDOWN, now);
}

/* After the joins (or without them), the Client Info; with --logon and no credentials granted yet
 * (no NLA authentication on this connection), first the check's decision on its one attempt. */
static rd_probe_state after_joins(const rd_probe *p) {
  return p->facts->req.logon && p->auth == NULL && !p->logon_granted ? RD_PS_INFO_WAIT_GRANT
                                                                      : RD_PS_INFO_SEND_CLIENT_INFO;
}

void rd_probe_grant_logon(rd_probe *p, rd_credssp_auth *a, rd_us now) {
  if (p->state != RD_PS_INFO_WAIT_GRANT)
    return;
  p->logon_granted = true;
  if (a != NULL && a->in != NULL)
    p->auth = a;
  rd_probe_enter(p, RD_PS_INFO_SEND_CLIENT_INFO, now);
}


int rd_probe_pull_session(rd_probe *p, rd_bld *out, rd_us now) {
  int r = 0;
  rd_probe_state next = p->state;
  switch (p->state) {
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
    r = send_connect_initial(p, out);
    next = RD_PS_MCS_WAIT_CONNECT_RESPONSE;
    break;
  case RD_PS_MCS_SEND_ATTACH_USER:
    r = rd_mcs_encode_erect_domain(0, 0, out);
    if (r == 0)
      r = rd_mcs_encode_attach_user_request(out);
    next = RD_PS_MCS_WAIT_ATTACH_CONFIRM;
    break;
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
    r = send_channel_joins(p, out);
    next = RD_PS_MCS_WAIT_CHANNEL_JOIN;
    break;
  case RD_PS_INFO_SEND_CLIENT_INFO:
    r = send_client_info(p, out);
    next = RD_PS_LICENSE_WAIT;
    break;
  case RD_PS_LICENSE_SEND_RESPONSE:
    r = send_data(p, p->pending, p->pending_len, out);
    rd_probe_drop_pending(p);
    next = RD_PS_LICENSE_WAIT;
    break;
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
    r = send_confirm_active(p, out);
    next = RD_PS_FINAL_WAIT;
    break;
  case RD_PS_SESSION_SEND_SHUTDOWN:
    r = send_shutdown(p, out);
    next = RD_PS_SESSION_WAIT_SHUTDOWN;
    break;
  case RD_PS_SESSION_SEND_DISCONNECT:
    r = rd_mcs_encode_disconnect_provider_ultimatum(DPU_USER_REQUESTED, out);
    if (r == 0) {
      rd_logon_facts *l = &sess(p)->logon;
      if (p->facts->req.logon && l->ended_by == RD_LOGON_END_NONE && l->confirm_active_sent)
        l->ended_by = RD_LOGON_END_DISCONNECT;
      sess(p)->took_us = now - p->session_started;
      rd_probe_finish(p, now);
      return 0;
    }
    break;
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_DONE:
    return 0;
  }
  if (r != 0) {
    if (p->state == RD_PS_CAPS_SEND_CONFIRM_ACTIVE)
      sess(p)->logon.outcome = RD_LOGON_LOCAL_ERROR; /* the session stays what the server made it */
    else
      sess(p)->outcome = RD_SESS_LOCAL_ERROR;
    note_step(p);
    rd_probe_local_error(p, r, now);
    return r;
  }
  rd_probe_enter(p, next, now);
  /* A server answers a Shutdown Request at once, or never (xrdp 0.9 ignores it): a second at most. */
  if (next == RD_PS_SESSION_WAIT_SHUTDOWN && p->step_us > 1000000)
    p->deadline = now + 1000000;
  return 0;
}

/* Time passed in a session state: the whole check's deadline (cut) ends it as ours; the logon wait
 * running out is an answer (the server said nothing), then the shutdown; a finalization or a
 * shutdown left unanswered gets our ultimatum; any other step is a silent server. */
void rd_probe_expire_session(rd_probe *p, rd_us now, bool cut) {
  rd_logon_facts *l = &sess(p)->logon;
  if (cut) {
    rd_probe_end_session(p, RD_SESS_CUT, now);
    return;
  }
  switch (p->state) {
  case RD_PS_LOGON_WAIT:
    logon_over(p, RD_LOGON_NOT_REPORTED, now);
    return;
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
    l->outcome = RD_LOGON_SILENT;
    logon_took(p, now);
    note_step(p);
    rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
    return;
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    l->ended_by = RD_LOGON_END_SHUTDOWN_SILENT;
    rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
    return;
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_DONE:
    break;
  }
  rd_probe_end_session(p, RD_SESS_SILENT, now);
}

/* ---- receiving ----------------------------------------------------------------------------- */

static int malformed(rd_probe *p, rd_us now) {
  rd_probe_end_session(p, RD_SESS_MALFORMED, now);
  return RD_E_MALFORMED;
}

/* Records a PDU we do not model: the last one is the evidence. */
static void keep_unknown(rd_probe *p, uint16_t type, const uint8_t *bytes, size_t n) {
  rd_session_facts *s = sess(p);
  s->n_unknown++;
  s->unknown_type = type;
  s->unknown_len = n < sizeof s->unknown_first ? n : sizeof s->unknown_first;
  memcpy(s->unknown_first, bytes, s->unknown_len);
}

static void keep_error_info(rd_probe *p, uint32_t code, rd_us now) {
  rd_session_facts *s = sess(p);
  if (s->n_error_info == RD_MAX_ERROR_INFOS)
    return;
  s->error_info[s->n_error_info] = code;
  snprintf(s->error_info_step[s->n_error_info], RD_STEP_LEN, "%s", rd_probe_state_name(p->state));
  s->error_info_us[s->n_error_info] = now - p->session_started;
  s->n_error_info++;
}

static int on_connect_response(rd_probe *p, rd_cur *c, rd_us now) {
  rd_session_facts *s = sess(p);
  rd_mcs_connect_response cr;
  rd_gcc_server_data sd;
  if (rd_mcs_decode_connect_response(c, &cr) != 0)
    return malformed(p, now);
  s->connect_response = true;
  s->mcs_result = cr.result;
  if (cr.result != 0 || !cr.user_data_present) {
    rd_probe_end_session(p, RD_SESS_REFUSED, now);
    return 0;
  }
  memset(&sd, 0, sizeof sd);
  if (rd_gcc_decode_ccrsp(&cr.user_data, &sd) != 0)
    return malformed(p, now);
  s->gcc_result = sd.result;
  s->core_present = sd.core_present;
  s->server_version = sd.core.version;
  s->requested_echo_present = sd.core.client_requested_protocols_present;
  s->requested_echo = sd.core.client_requested_protocols;
  s->early_caps_present = sd.core.early_capability_flags_present;
  s->early_caps = sd.core.early_capability_flags;
  s->security_present = sd.security_present;
  s->encryption_method = sd.security.encryption_method;
  s->encryption_level = sd.security.encryption_level;
  s->io_channel = sd.net_present ? sd.net.io_channel_id : 0;
  s->n_channels = sd.net_present ? sd.net.channel_count : 0;
  s->msg_channel = sd.msgchannel_present ? sd.msgchannel_id : 0;
  /* Both sides announced it (2.2.1.3.2, 2.2.1.4.2): the server expects no Channel Join Request,
   * and the Client Info (or the Security Exchange) follows the Attach User Confirm. */
  s->joins_skipped = (s->early_caps_sent & RD_GCC_CS_SUPPORT_SKIP_CHANNELJOIN) && s->early_caps_present &&
                     (s->early_caps & RD_GCC_SC_SKIP_CHANNELJOIN_SUPPORTED);
  if (sd.result != 0 || !sd.net_present) {
    rd_probe_end_session(p, RD_SESS_REFUSED, now);
    return 0;
  }
  /* An enumeration connection has what it came for (the method and level the server selected
   * for its offer): a clean disconnect, no security exchange. */
  if (s->enumeration) {
    s->outcome = RD_SESS_ENUMERATED;
    note_step(p);
    rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
    return 0;
  }
  /* Standard RDP Security: the server's key and random for the Security Exchange after the joins. */
  if (p->facts->selected == RD_X224_PROTOCOL_RDP && s->encryption_level != RD_GCC_ENCRYPTION_LEVEL_NONE) {
    int r = sd.security_present ? rd_probe_rdpsec_prepare(p, &sd.security) : RD_E_UNSUPPORTED;
    if (r == RD_E_MALFORMED) /* a certificate no client can use: it would disconnect here */
      return malformed(p, now);
    if (r != 0) {
      /* RD_E_UNSUPPORTED: a level without a method a client offers (encryption-mismatch says
       * it); otherwise ours. Recorded, then a clean disconnect. */
      s->outcome = r == RD_E_UNSUPPORTED ? RD_SESS_NOT_SUPPORTED : RD_SESS_LOCAL_ERROR;
      note_step(p);
      rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
      return 0;
    }
  }
  rd_probe_enter(p, RD_PS_MCS_SEND_ATTACH_USER, now);
  return 0;
}

static int on_attach_confirm(rd_probe *p, rd_cur *c, rd_us now) {
  rd_mcs_attach_user_confirm auc;
  if (rd_mcs_decode_attach_user_confirm(c, &auc) != 0)
    return malformed(p, now);
  if (auc.result != 0 || !auc.initiator_present) {
    rd_probe_end_session(p, RD_SESS_REFUSED, now);
    return 0;
  }
  rd_session_facts *s = sess(p);
  s->user_channel = auc.initiator;
  if (s->joins_skipped) {
    rd_probe_enter(p, after_joins(p), now);
    return 0;
  }
  p->n_join = 0;
  p->joined = 0;
  p->join[p->n_join++] = s->user_channel;
  if (s->io_channel != s->user_channel)
    p->join[p->n_join++] = s->io_channel;
  /* Each channel once: a confirm names only the channel, so two requests for one could not be told
   * apart. */
  if (s->msg_channel != 0 && s->msg_channel != s->io_channel && s->msg_channel != s->user_channel)
    p->join[p->n_join++] = s->msg_channel;
  rd_probe_enter(p, RD_PS_MCS_SEND_CHANNEL_JOIN, now);
  return 0;
}

/* One confirm of the flight, in any order: the channel it answers must be one we asked for and
 * not answered yet (a channelId, when present, the one requested: all of ours are static); a
 * refusal ends the phase with the channel and the result recorded. The Client Info waits for the
 * last confirm (3.2.5.3.9). */
static int on_join_confirm(rd_probe *p, rd_cur *c, rd_us now) {
  rd_session_facts *s = sess(p);
  rd_mcs_channel_join_confirm cjc;
  uint8_t i = 0;
  if (rd_mcs_decode_channel_join_confirm(c, &cjc) != 0)
    return malformed(p, now);
  while (i < p->n_join && p->join[i] != cjc.requested)
    i++;
  if (i == p->n_join || (p->joined & (1u << i)))
    return malformed(p, now);
  if (cjc.result != 0) {
    s->join_refused = true;
    s->join_refused_channel = cjc.requested;
    s->join_result = cjc.result;
    rd_probe_end_session(p, RD_SESS_REFUSED, now);
    return 0;
  }
  if (cjc.channel_id_present && cjc.channel_id != cjc.requested)
    return malformed(p, now);
  p->joined |= (uint8_t)(1u << i);
  s->joins_confirmed++;
  if (s->joins_confirmed == p->n_join)
    rd_probe_enter(p, after_joins(p), now);
  return 0;
}

static void on_license(rd_probe *p, rd_cur *c, rd_us now) {
  rd_session_facts *s = sess(p);
  rd_license_msg m;
  s->license_seen = true;
  if (rd_license_decode(c, &m) != 0) {
    malformed(p, now);
    return;
  }
  s->license_msg = m.msg_type;
  if (rd_license_is_valid_client(&m)) {
    s->license_valid_client = true;
    rd_probe_enter(p, RD_PS_CAPS_WAIT_DEMAND_ACTIVE, now);
    return;
  }
  if (m.msg_type == RD_LIC_ERROR_ALERT) {
    s->license_error_present = true;
    s->license_error = m.error_code;
    s->license_state = m.state_transition;
    s->outcome = RD_SESS_LICENSE_ERROR; /* the server then closes, perhaps with its errorInfo */
    return;
  }
  int r = RD_E_UNSUPPORTED;
  switch (m.msg_type) {
  case RD_LIC_LICENSE_REQUEST:
    r = rd_probe_license_request(p, &m);
    break;
  case RD_LIC_PLATFORM_CHALLENGE:
    r = rd_probe_license_challenge(p, &m);
    break;
  case RD_LIC_NEW_LICENSE:
  case RD_LIC_UPGRADE_LICENSE: /* issued: the server goes on to the capabilities */
    rd_probe_enter(p, RD_PS_CAPS_WAIT_DEMAND_ACTIVE, now);
    return;
  default:
    break;
  }
  if (r == 0) {
    rd_probe_enter(p, RD_PS_LICENSE_SEND_RESPONSE, now);
    return;
  }
  /* A step of the exchange we cannot take (a licensing key that is not RSA, a message out of
   * order): recorded, then a clean disconnect. */
  s->outcome = r == RD_E_NOMEM ? RD_SESS_LOCAL_ERROR : RD_SESS_NOT_SUPPORTED;
  note_step(p);
  rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
}

static bool logon_msg(uint32_t v) { return v >= RD_LOGON_MSG_DISCONNECT_REFUSED && v <= RD_LOGON_MSG_SESSION_CONTINUE; }

/* Whether logon error info ends the wait: a LOGON_FAILED_* kind or a Winlogon dialog, in either
 * field (kb/logon_error.def: the specification and FreeRDP disagree on which holds which), not
 * LOGON_MSG_SESSION_CONTINUE or a LOGON_WARNING alone, after which the logon goes on. */
static bool logon_error_final(uint32_t t, uint32_t v) {
  if (t == RD_LOGON_MSG_SESSION_CONTINUE || v == RD_LOGON_MSG_SESSION_CONTINUE)
    return false;
  if (logon_msg(t) || logon_msg(v))
    return true;
  return t <= RD_LOGON_FAILED_OTHER || (!logon_msg(t) && t != RD_LOGON_WARNING && v <= RD_LOGON_FAILED_OTHER);
}

/* A Save Session Info during the logon: a notification (LOGON, LOGON_LONG, PLAINNOTIFY, or
 * LOGON_EXTENDED without errors: an auto-reconnect cookie is given to a logged-on session) or
 * logon error info; either ends the wait, except the kinds after which the logon goes on. */
static void on_logon_report(rd_probe *p, const rd_share_save_session_info *ssi, rd_us now) {
  rd_logon_facts *l = &sess(p)->logon;
  if (!p->facts->req.logon || (p->state != RD_PS_FINAL_WAIT && p->state != RD_PS_LOGON_WAIT))
    return;
  if (!l->save_session_info) {
    l->save_session_info = true;
    l->info_type = ssi->info_type;
  }
  if (ssi->info_type == RD_INFOTYPE_LOGON || ssi->info_type == RD_INFOTYPE_LOGON_LONG) {
    l->session_id_present = true;
    l->session_id = ssi->session_id;
  }
  if (ssi->errors_present) {
    if (logon_error_final(ssi->error_type, ssi->error_data))
      logon_over(p, RD_LOGON_ERROR, now);
    return;
  }
  logon_over(p, RD_LOGON_REPORTED, now);
}

/* The PDUs of finalization and of the logon wait: the server's Synchronize, Control (Cooperate,
 * Granted Control) and Font Map (which activates the session: the wait begins), graphics
 * updates (counted), and the answer to our Shutdown Request. True when the PDU was one. */
static bool on_logon_pdu(rd_probe *p, rd_share_pdu *pdu, rd_us now) {
  rd_logon_facts *l = &sess(p)->logon;
  bool fin = p->state == RD_PS_FINAL_WAIT, after = fin || p->state == RD_PS_LOGON_WAIT ||
                                                   p->state == RD_PS_SESSION_WAIT_SHUTDOWN;
  if (!after || !pdu->is_data)
    return false;
  uint16_t a = 0, b = 0;
  uint32_t id = 0;
  rd_cur pl = pdu->payload;
  switch (pdu->data.pdu_type2) {
  case RD_SHARE_PDUTYPE2_SYNCHRONIZE:
    l->fin_synchronize |= rd_share_decode_synchronize(&pl, &a, &b) == 0;
    return true;
  case RD_SHARE_PDUTYPE2_CONTROL:
    if (rd_share_decode_control(&pl, &a, &b, &id) == 0) {
      l->fin_cooperate |= a == RD_SHARE_CTRLACTION_COOPERATE;
      l->fin_granted |= a == RD_SHARE_CTRLACTION_GRANTED_CONTROL;
    }
    return true;
  case RD_SHARE_PDUTYPE2_FONTMAP:
    l->fin_font_map = true;
    if (fin) {
      p->logon_activated = now;
      l->activated_us = now - p->session_started;
      note_step(p);
      rd_probe_enter(p, RD_PS_LOGON_WAIT, now);
      if (p->logon_until != RD_US_NONE)
        p->deadline = p->logon_until > now ? p->logon_until : now;
    }
    return true;
  case RD_SHARE_PDUTYPE2_UPDATE:
  case RD_SHARE_PDUTYPE2_POINTER:
    l->n_updates++;
    return true;
  case RD_SHARE_PDUTYPE2_SHUTDOWN_DENIED:
    if (p->state != RD_PS_SESSION_WAIT_SHUTDOWN)
      return false;
    l->ended_by = RD_LOGON_END_SHUTDOWN_DENIED;
    rd_probe_enter(p, RD_PS_SESSION_SEND_DISCONNECT, now);
    return true;
  default:
    return false;
  }
}

static void on_share(rd_probe *p, rd_cur *c, rd_us now) {
  rd_session_facts *s = sess(p);
  rd_share_pdu pdu;
  uint32_t code = 0;
  if (rd_share_classify(c, &pdu) != 0) {
    malformed(p, now);
    return;
  }
  if (pdu.is_data && pdu.data.pdu_type2 == RD_SHARE_PDUTYPE2_SET_ERROR_INFO) {
    if (rd_share_decode_set_error_info(&pdu.payload, &code) == 0)
      keep_error_info(p, code, now);
    return;
  }
  if (pdu.is_data && pdu.data.pdu_type2 == RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO) {
    rd_share_save_session_info ssi;
    if (rd_share_decode_save_session_info(&pdu.payload, &ssi) == 0) {
      s->logon_info_present = true;
      s->logon_info_type = ssi.info_type;
      if (ssi.errors_present) {
        s->logon_error_present = true;
        s->logon_error_type = ssi.error_type;
        s->logon_error_data = ssi.error_data;
      }
      on_logon_report(p, &ssi, now);
    } else {
      keep_unknown(p, pdu.data.pdu_type2, pdu.head, pdu.head_len); /* recorded, not understood */
    }
    return;
  }
  if (!pdu.is_data && pdu.ctrl.type == RD_SHARE_PDUTYPE_DEMANDACTIVE) {
    rd_share_demand_active da;
    if (rd_share_decode_demand_active(&pdu.payload, &da) == 0) {
      s->demand_active = true;
      s->share_id = da.share_id;
      s->n_capabilities = da.number_capabilities;
      note_step(p);
      if (s->outcome == RD_SESS_NOT_TRIED)
        s->outcome = RD_SESS_ACTIVE;
      /* With the logon's credentials sent, go on as a client does (also when the server
       * reactivates after a Deactivate All, 1.3.1.3); otherwise the probe stops here, leaving no
       * session behind. */
      bool logon = p->facts->req.logon && s->logon.credentials != RD_LOGON_CREDS_NONE &&
                   s->outcome == RD_SESS_ACTIVE &&
                   (p->state == RD_PS_CAPS_WAIT_DEMAND_ACTIVE || p->state == RD_PS_FINAL_WAIT ||
                    p->state == RD_PS_LOGON_WAIT);
      if (logon && p->logon_activated == RD_US_NONE)
        p->logon_activated = now;
      rd_probe_enter(p, logon ? RD_PS_CAPS_SEND_CONFIRM_ACTIVE : RD_PS_SESSION_SEND_DISCONNECT, now);
    } else {
      malformed(p, now);
    }
    return;
  }
  if (on_logon_pdu(p, &pdu, now))
    return;
  keep_unknown(p, pdu.is_data ? pdu.data.pdu_type2 : pdu.ctrl.pdu_type, pdu.head, pdu.head_len);
}

/* A MAC that did not verify (recorded by probe_rdpsec.c): nothing after it can be read, and a
 * client would disconnect (a decryption error). */
static int mac_failed(rd_probe *p, rd_us now) { return malformed(p, now); }

/* A Send Data Indication under Standard RDP Security: every PDU on the I/O channel starts with a
 * security header; the layer decrypts what the server encrypted and checks its MAC. */
static int on_data_rdpsec(rd_probe *p, const rd_cur *user_data, rd_us now) {
  rd_sec_header h;
  rd_cur body;
  int r = rd_probe_rdpsec_unwrap(p, user_data, &h, &body);
  if (r == RD_E_STATE)
    return mac_failed(p, now);
  if (r == RD_E_NOMEM) {
    sess(p)->outcome = RD_SESS_LOCAL_ERROR;
    note_step(p);
    rd_probe_local_error(p, r, now);
    return r;
  }
  if (r != 0)
    return malformed(p, now);
  if (h.flags & RD_SEC_LICENSE_PKT) {
    if (p->state == RD_PS_LICENSE_WAIT)
      on_license(p, &body, now);
    else
      keep_unknown(p, RD_SEC_LICENSE_PKT, rd_cur_data(&body), rd_cur_len(&body));
    return 0;
  }
  on_share(p, &body, now);
  return 0;
}

/* A Send Data Indication after the joins: licensing (a basic security header with
 * SEC_LICENSE_PKT, as Enhanced RDP Security sends it) or a share PDU. */
static int on_data(rd_probe *p, rd_cur *c, rd_us now) {
  rd_mcs_send_data sd;
  if (rd_mcs_decode_send_data_indication(c, &sd) != 0)
    return malformed(p, now);
  if (rd_probe_rdpsec_active(p))
    return on_data_rdpsec(p, &sd.user_data, now);
  rd_cur body = sd.user_data;
  rd_sec_header h;
  rd_cur look = body;
  if (p->state == RD_PS_LICENSE_WAIT && rd_sec_decode_header(&look, RD_SEC_HDR_BASIC, &h) == 0 &&
      (h.flags & RD_SEC_LICENSE_PKT)) {
    on_license(p, &look, now);
    return 0;
  }
  on_share(p, &body, now);
  return 0;
}

int rd_probe_feed_session(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_cur c;
  uint8_t type = 0;
  if ((frame[0] & 0x03) == 0) { /* fast-path: an update we do not model */
    /* Encrypted, it still moves the server's cipher stream: the layer keeps in step. */
    int r = rd_probe_rdpsec_fastpath(p, frame, n);
    if (r == RD_E_STATE)
      return mac_failed(p, now);
    if (p->state == RD_PS_FINAL_WAIT || p->state == RD_PS_LOGON_WAIT || p->state == RD_PS_SESSION_WAIT_SHUTDOWN)
      sess(p)->logon.n_updates++; /* the server draws: a logon screen or a desktop */
    else
      keep_unknown(p, 0xfa57, frame, n);
    return 0;
  }
  rd_cur_init(&c, frame, n);
  if (rd_mcs_peek_type(&c, &type) != 0)
    return malformed(p, now);
  if (type == RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM) {
    uint8_t reason = 0;
    if (rd_mcs_decode_disconnect_provider_ultimatum(&c, &reason) != 0)
      return malformed(p, now);
    sess(p)->dpu_present = true;
    sess(p)->dpu_reason = reason;
    rd_probe_end_session(p, RD_SESS_DISCONNECTED, now);
    return 0;
  }
  switch (p->state) {
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
    if (type == RD_MCS_CONNECT_RESPONSE)
      return on_connect_response(p, &c, now);
    break;
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
    if (type == RD_MCS_ATTACH_USER_CONFIRM)
      return on_attach_confirm(p, &c, now);
    break;
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
    if (type == RD_MCS_CHANNEL_JOIN_CONFIRM)
      return on_join_confirm(p, &c, now);
    break;
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
    if (type == RD_MCS_SEND_DATA_INDICATION)
      return on_data(p, &c, now);
    break;
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_DONE:
    break;
  }
  /* Out of turn but well formed: a Send Data Indication may carry the server's reason early. */
  if (type == RD_MCS_SEND_DATA_INDICATION)
    return on_data(p, &c, now);
  keep_unknown(p, type, frame, n);
  return 0;
}
