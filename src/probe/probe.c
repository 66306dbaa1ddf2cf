/* The probe's dispatch: every entry point is one exhaustive switch over the state, without a
 * default, so a state added for a new phase is named by -Wswitch wherever it was forgotten
 * (STYLE.md §4). The sub-protocols live in probe_x224.c, probe_tls.c and probe_credssp.c. */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/wipe.h"
#include "core/x224.h"

#define RD_PS_NAME(id, name, phase) name,
static const char *const state_names[] = {RD_PROBE_STATES(RD_PS_NAME)};
#undef RD_PS_NAME
#define RD_PS_PHASE(id, name, phase) RD_PH_##phase,
static const rd_phase state_phases[] = {RD_PROBE_STATES(RD_PS_PHASE)};
#undef RD_PS_PHASE

const char *rd_probe_state_name(rd_probe_state s) {
  return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

rd_phase rd_probe_state_phase(rd_probe_state s) {
  return (unsigned)s < sizeof state_phases / sizeof state_phases[0] ? state_phases[s] : RD_PH_ANY;
}

void rd_probe_enter(rd_probe *p, rd_probe_state s, rd_us now) {
  p->state = s;
  p->step_started = now;
  p->deadline = s == RD_PS_DONE ? RD_US_NONE : now + p->step_us;
}

void rd_probe_drop_pending(rd_probe *p) {
  if (p->pending != NULL) {
    rd_wipe(p->pending, p->pending_len); /* the credentials message holds the password, sealed */
    free(p->pending);
  }
  p->pending = NULL;
  p->pending_len = 0;
}

static void drop_secrets(rd_probe *p) {
  rd_probe_drop_pending(p);
  free(p->challenge);
  p->challenge = NULL;
  p->challenge_len = 0;
}

void rd_probe_finish(rd_probe *p, rd_us now) {
  if (p->started != RD_US_NONE)
    p->facts->total_us = now - p->started;
  drop_secrets(p);
  rd_probe_rdpsec_free(p); /* the session keys go as soon as the connection is over */
  rd_probe_enter(p, RD_PS_DONE, now);
}

void rd_probe_init(rd_probe *p, rd_probe_facts *facts, rd_us step_us) {
  memset(p, 0, sizeof *p);
  p->facts = facts;
  p->step_us = step_us;
  p->started = RD_US_NONE;
  p->deadline = RD_US_NONE;
  p->logon_until = RD_US_NONE;
  p->logon_activated = RD_US_NONE;
  p->state = RD_PS_CONNECTING;
  p->transport = RD_TRANSPORT_PLAIN;
  facts->connect = RD_CONN_NOT_TRIED;
  facts->nego = RD_NEGO_NOT_TRIED;
  facts->tls.outcome = RD_TLSO_NOT_TRIED;
  facts->tls.alert = -1;
  facts->retransmits_before_reply = facts->retransmits_after_reply = -1;
  facts->ident.http_status = -1;
}

void rd_probe_launch(rd_probe *p, rd_us now) {
  if (p->state != RD_PS_CONNECTING || p->started != RD_US_NONE)
    return;
  p->started = now;
  rd_probe_enter(p, RD_PS_CONNECTING, now);
}

void rd_probe_connected(rd_probe *p, rd_conn_outcome outcome, const char *error, rd_us attempt_us, unsigned retries,
                        rd_us now) {
  if (p->state != RD_PS_CONNECTING)
    return;
  if (p->started == RD_US_NONE)
    p->started = now;
  rd_probe_facts *f = p->facts;
  f->connect = outcome;
  snprintf(f->connect_error, sizeof f->connect_error, "%s", error != NULL ? error : "");
  f->connect_us = now - p->started;
  f->connect_attempt_us = attempt_us;
  f->connect_retries = retries;
  if (outcome != RD_CONN_OK || f->req.kind == RD_PROBE_CONNECT) {
    rd_probe_finish(p, now);
    return;
  }
  if (f->req.kind == RD_PROBE_IDENTIFY) {
    rd_probe_start_ident(p, now); /* no Connection Request: a greeting first, perhaps */
    return;
  }
  rd_probe_enter(p, RD_PS_X224_SEND_REQUEST, now);
}

size_t rd_probe_need(const rd_probe *p, const uint8_t *head, size_t have) {
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    return rd_probe_need_x224(p, head, have);
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    return rd_probe_need_credssp(p, head, have);
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    return rd_probe_need_session(p, head, have);
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    return rd_probe_need_ident(p, head, have);
  case RD_PS_CONNECTING:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_DONE:
    return have; /* nothing is expected: whatever came is handed over (and ignored) at once */
  }
  return have;
}

void rd_probe_partial(rd_probe *p, const uint8_t *head, size_t have, rd_us now) {
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    rd_probe_partial_x224(p, head, have);
    return;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    rd_probe_partial_ident(p, head, have);
    return;
  case RD_PS_IDENT_TLS:
  case RD_PS_CONNECTING:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_DONE:
    return; /* CredSSP and the session keep their evidence when a whole frame arrives */
  }
}

/* PDUs the server may send in any state, read once before the dispatch: an X.224 Disconnect
 * Request in clear ends the connection wherever it comes (the session phase adds the MCS
 * Disconnect Provider Ultimatum and the Set Error Info PDU here). True when the frame was one. */
static bool filter_any_state(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_cur c;
  uint8_t type = 0;
  if (p->transport != RD_TRANSPORT_PLAIN || n < 4 || frame[0] != 0x03)
    return false;
  rd_cur_init(&c, frame, n);
  if (rd_x224_peek_type(&c, &type) != 0 || type != RD_X224_TPDU_DR)
    return false;
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    rd_probe_partial_x224(p, frame, n); /* the bytes are the evidence */
    rd_probe_end_x224(p, RD_NEGO_DISCONNECT, now);
    return true;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_CONNECTING:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_DONE:
    break;
  }
  return false;
}

int rd_probe_feed(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  if (filter_any_state(p, frame, n, now))
    return 0;
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    return rd_probe_feed_x224(p, frame, n, now);
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    return rd_probe_feed_credssp(p, frame, n, now);
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    return rd_probe_feed_session(p, frame, n, now);
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    return rd_probe_feed_ident(p, frame, n, now);
  case RD_PS_IDENT_TLS:
  case RD_PS_CONNECTING:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_DONE:
    return 0; /* bytes after we are done, or unsolicited, are not evidence we use */
  }
  return 0;
}

int rd_probe_pull(rd_probe *p, rd_bld *out, rd_us now) {
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
    return rd_probe_pull_x224(p, out, now);
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
    return rd_probe_pull_credssp(p, out, now);
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_SESSION_SEND_SHUTDOWN:
    return rd_probe_pull_session(p, out, now);
  case RD_PS_IDENT_SEND_HTTP:
    return rd_probe_pull_ident(p, out, now);
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_CONNECTING:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_DONE:
    return 0;
  }
  return 0;
}

bool rd_probe_wants_send(const rd_probe *p) {
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_IDENT_SEND_HTTP:
    return true;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
  case RD_PS_CONNECTING:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_DONE:
    break;
  }
  return false;
}

void rd_probe_eof(rd_probe *p, bool reset, rd_us now) {
  switch (p->state) {
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    rd_probe_end_x224(p, reset ? RD_NEGO_RESET : RD_NEGO_CLOSED, now);
    return;
  case RD_PS_TLS_UPGRADE: /* the driver reports a close during the handshake as its end */
  case RD_PS_IDENT_TLS:
    rd_probe_tls_done(p, &(rd_tls_event){.end = reset ? RD_TLS_END_RESET : RD_TLS_END_CLOSED, .alert = -1}, now);
    return;
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    rd_probe_end_credssp(p, reset, now);
    return;
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    rd_probe_end_session(p, reset ? RD_SESS_RESET : RD_SESS_CLOSED, now);
    return;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    rd_probe_end_ident(p, reset ? RD_IDENT_RESET : RD_IDENT_CLOSED, now);
    return;
  case RD_PS_CONNECTING: /* a close before the connect completed is the connect's outcome */
    rd_probe_connected(p, reset ? RD_CONN_REFUSED : RD_CONN_ERROR, NULL, 0, 0, now);
    return;
  case RD_PS_DONE:
    return;
  }
}

void rd_probe_local_error(rd_probe *p, int err, rd_us now) {
  rd_probe_facts *f = p->facts;
  if (p->state == RD_PS_DONE)
    return;
  f->local_error = err != 0 ? err : RD_E_IO;
  switch (p->state) {
  case RD_PS_CONNECTING:
    f->connect = RD_CONN_LOCAL_ERROR;
    f->connect_us = p->started != RD_US_NONE ? now - p->started : 0;
    break;
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    f->nego = RD_NEGO_LOCAL_ERROR;
    break;
  case RD_PS_TLS_UPGRADE:
    f->tls.outcome = RD_TLSO_LOCAL_ERROR;
    break;
  case RD_PS_IDENT_TLS:
    f->tls.outcome = RD_TLSO_LOCAL_ERROR;
    f->ident.outcome = RD_IDENT_LOCAL_ERROR;
    break;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    f->ident.outcome = RD_IDENT_LOCAL_ERROR;
    break;
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
    f->credssp.outcome = RD_CSSP_LOCAL_ERROR;
    break;
  case RD_PS_CREDSSP_WAIT_GRANT:
    break; /* the identity is recorded; only what would have followed is lost */
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
    f->auth.outcome = RD_AUTH_LOCAL_ERROR;
    break;
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_DONE:
    break;
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    if (f->session.outcome == RD_SESS_NOT_TRIED)
      f->session.outcome = RD_SESS_LOCAL_ERROR;
    if (f->session.logon.confirm_active_sent && f->session.logon.outcome == RD_LOGON_NOT_TRIED)
      f->session.logon.outcome = RD_LOGON_LOCAL_ERROR;
    break;
  }
  rd_probe_finish(p, now);
}

rd_us rd_probe_deadline(const rd_probe *p) { return p->deadline; }

/* The step deadline passed (cut = false) or the whole check's did (cut = true). */
static void time_out(rd_probe *p, rd_us now, bool cut) {
  rd_probe_facts *f = p->facts;
  switch (p->state) {
  case RD_PS_CONNECTING:
    f->connect = cut ? RD_CONN_CUT : RD_CONN_TIMEOUT;
    f->connect_us = p->started != RD_US_NONE ? now - p->started : 0;
    break;
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    rd_probe_end_x224(p, cut ? RD_NEGO_CUT : RD_NEGO_SILENT, now);
    return;
  case RD_PS_TLS_UPGRADE:
    f->tls.outcome = cut ? RD_TLSO_CUT : RD_TLSO_STALL;
    f->tls.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    rd_probe_expire_credssp(p, now, cut);
    return;
  case RD_PS_MCS_SEND_CONNECT_INITIAL:
  case RD_PS_MCS_SEND_ATTACH_USER:
  case RD_PS_MCS_SEND_CHANNEL_JOIN:
  case RD_PS_INFO_SEND_CLIENT_INFO:
  case RD_PS_LICENSE_SEND_RESPONSE:
  case RD_PS_SESSION_SEND_DISCONNECT:
  case RD_PS_MCS_WAIT_CONNECT_RESPONSE:
  case RD_PS_MCS_WAIT_ATTACH_CONFIRM:
  case RD_PS_MCS_WAIT_CHANNEL_JOIN:
  case RD_PS_LICENSE_WAIT:
  case RD_PS_CAPS_WAIT_DEMAND_ACTIVE:
  case RD_PS_INFO_WAIT_GRANT:
  case RD_PS_CAPS_SEND_CONFIRM_ACTIVE:
  case RD_PS_FINAL_WAIT:
  case RD_PS_LOGON_WAIT:
  case RD_PS_SESSION_SEND_SHUTDOWN:
  case RD_PS_SESSION_WAIT_SHUTDOWN:
    rd_probe_expire_session(p, now, cut);
    return;
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    rd_probe_expire_ident(p, now, cut);
    return;
  case RD_PS_DONE:
    return;
  }
  rd_probe_finish(p, now);
}

void rd_probe_expire(rd_probe *p, rd_us now) {
  if (p->deadline != RD_US_NONE && now >= p->deadline)
    time_out(p, now, false);
}

void rd_probe_cut(rd_probe *p, rd_us now) { time_out(p, now, true); }

bool rd_probe_wants_tls(rd_probe *p, rd_tls_request *req) {
  if ((p->state != RD_PS_TLS_UPGRADE && p->state != RD_PS_IDENT_TLS) || p->tls_requested)
    return false;
  p->tls_requested = true;
  if (p->state == RD_PS_IDENT_TLS) { /* any version; HTTP follows inside the session */
    req->version = 0;
    req->facts_only = false;
    return true;
  }
  req->version = p->facts->req.tls_pin;
  /* Only an NLA selection (CredSSP) or the session phase speaks inside TLS; the others need its
   * facts alone. */
  bool nla = p->facts->selected == RD_X224_PROTOCOL_HYBRID || p->facts->selected == RD_X224_PROTOCOL_HYBRID_EX;
  req->facts_only = !(p->facts->req.kind == RD_PROBE_NEGO && (nla || p->facts->req.session));
  return true;
}

bool rd_probe_wants_auth(const rd_probe *p) {
  return p->state == RD_PS_CREDSSP_WAIT_GRANT || p->state == RD_PS_INFO_WAIT_GRANT;
}

bool rd_probe_done(const rd_probe *p) { return p->state == RD_PS_DONE; }

rd_transport rd_probe_transport(const rd_probe *p) { return p->transport; }

void rd_probe_cleanup(rd_probe *p) {
  drop_secrets(p);
  rd_probe_license_free(p);
  rd_probe_rdpsec_free(p);
  free(p->pubkey);
  p->pubkey = NULL;
  p->pubkey_len = 0;
}

static bool printable_text(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!(isprint(p[i]) || p[i] == '\r' || p[i] == '\n' || p[i] == '\t'))
      return false;
  return n > 0;
}

rd_service rd_probe_guess_service(const uint8_t *p, size_t n, char *banner, size_t banner_size) {
  size_t k = 0;
  if (banner_size > 0) {
    for (; k + 1 < banner_size && k < n && p[k] != '\r' && p[k] != '\n'; k++)
      banner[k] = isprint(p[k]) ? (char)p[k] : '.';
    banner[k] = '\0';
  }
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
    return RD_SVC_HTTP;
  if (n >= 4 && memcmp(p, "SSH-", 4) == 0)
    return RD_SVC_SSH;
  /* A TLS record: content type 0x15 (alert) or 0x16 (handshake), version major 3. */
  if (n >= 3 && (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03) {
    if (banner_size > 0)
      banner[0] = '\0';
    return RD_SVC_TLS;
  }
  if (printable_text(p, n < 16 ? n : 16))
    return RD_SVC_TEXT;
  if (banner_size > 0)
    banner[0] = '\0';
  return RD_SVC_UNKNOWN;
}
