/* The probe's CredSSP step inside the TLS session ([MS-CSSP] 3.1.5; reference §4): the NTLM
 * NEGOTIATE every CredSSP server answers with its CHALLENGE (who it is, without credentials), then,
 * when the check grants this probe its one authentication, AUTHENTICATE with the public-key binding
 * and, for HYBRID_EX, the credentials and the Early User Authorization Result. */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"
#include "core/ntlm.h"
#include "core/tsrequest.h"
#include "core/x224.h"

/* A CHALLENGE TSRequest is a few hundred bytes and a pubKeyAuth answer less; a DER length past
 * this is hostile, handed over at once and recorded as malformed. */
#define MAX_TSREQUEST 65536
#define EARLY_AUTHZ_LEN 4 /* [MS-RDPBCGR] 2.2.10.2: one little-endian 32-bit result */

/* Hands the prepared message over and forgets it: the credentials message holds the password,
 * sealed, so it is wiped, not only freed. */
static int take_pending(rd_probe *p, rd_bld *out) {
  bool ok = rd_bld_add_bytes(out, p->pending, p->pending_len);
  rd_probe_drop_pending(p);
  return ok ? 0 : RD_E_NOMEM;
}

int rd_probe_pull_credssp(rd_probe *p, rd_bld *out, rd_us now) {
  uint8_t *req = NULL;
  size_t req_len = 0;
  int r;
  switch (p->state) {
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
    r = rd_credssp_negotiate_request(p->negotiate, sizeof p->negotiate, &p->negotiate_len, &req, &req_len);
    if (r == 0 && !rd_bld_add_bytes(out, req, req_len))
      r = RD_E_NOMEM;
    free(req);
    if (r != 0) {
      rd_probe_local_error(p, r, now);
      return r;
    }
    rd_probe_enter(p, RD_PS_CREDSSP_WAIT_CHALLENGE, now);
    return 0;
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
    r = take_pending(p, out);
    if (r != 0) {
      rd_probe_local_error(p, r, now);
      return r;
    }
    if (p->state == RD_PS_CREDSSP_SEND_AUTHENTICATE)
      rd_probe_enter(p, RD_PS_CREDSSP_WAIT_PUBKEY, now);
    else if (p->facts->selected == RD_X224_PROTOCOL_HYBRID_EX)
      rd_probe_enter(p, RD_PS_CREDSSP_WAIT_EARLY_AUTHZ, now);
    else
      rd_probe_start_session(p, now); /* plain HYBRID: the session follows the credentials */
    return 0;
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
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
  return 0;
}

size_t rd_probe_need_credssp(const rd_probe *p, const uint8_t *head, size_t have) {
  if (p->state == RD_PS_CREDSSP_WAIT_EARLY_AUTHZ)
    return EARLY_AUTHZ_LEN;
  size_t need = 0;
  if (have == 0)
    return 0;
  int r = rd_ber_frame_need(head, have, MAX_TSREQUEST, &need);
  if (r == RD_E_SHORT)
    return 0;
  return r == 0 ? need : have; /* not DER, or a hostile length: evidence now */
}

/* Names come from the server: control characters (a terminal escape sequence in a NetBIOS name)
 * become '?', so no report can be made to rewrite the reader's screen. */
static int copy_name(char **dst, const char *src) {
  char clean[RD_NAME_LEN];
  size_t i = 0;
  for (; i + 1 < RD_NAME_LEN && src[i] != '\0'; i++)
    clean[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
  clean[i] = '\0';
  return rd_facts_set_name(dst, clean);
}

/* 0, or RD_E_NOMEM when a name could not be kept. */
static int record_challenge(rd_credssp_facts *c, const rd_ntlm_challenge *ch) {
  char **dst[] = {&c->target_name, &c->nb_computer, &c->nb_domain, &c->dns_computer, &c->dns_domain, &c->dns_tree};
  const char *src[] = {ch->target_name, ch->nb_computer, ch->nb_domain, ch->dns_computer, ch->dns_domain, ch->dns_tree};
  int r = 0;
  for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
    if (copy_name(dst[i], src[i]) != 0)
      r = RD_E_NOMEM;
  c->os_version_present = ch->version_present;
  c->os_major = ch->version.major;
  c->os_minor = ch->version.minor;
  c->os_build = ch->version.build;
  c->timestamp_present = ch->timestamp_present;
  if (ch->timestamp_present)
    c->server_time_unix = rd_ntlm_filetime_to_unix(ch->timestamp);
  return r;
}

/* Keeps the CHALLENGE as received (the MIC covers it) until the check decides whether this probe
 * makes the check's one authentication attempt. */
static void hold_challenge(rd_probe *p, const rd_cur *msg, int64_t version, rd_us now) {
  uint8_t *copy = malloc(rd_cur_len(msg));
  if (copy == NULL) {
    rd_probe_finish(p, now);
    return;
  }
  memcpy(copy, rd_cur_data(msg), rd_cur_len(msg));
  free(p->challenge);
  p->challenge = copy;
  p->challenge_len = rd_cur_len(msg);
  p->challenge_version = version;
  rd_probe_enter(p, RD_PS_CREDSSP_WAIT_GRANT, now);
}

/* What the server said to our NEGOTIATE. */
static int on_challenge(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_credssp_facts *c = &p->facts->credssp;
  rd_cur cur, msg;
  rd_tsrequest ts;
  rd_ntlm_challenge ch;
  size_t keep = n < RD_REPLY_KEEP ? n : RD_REPLY_KEEP;
  memcpy(c->first_bytes, frame, keep);
  c->n_first_bytes = keep;
  c->took_us = now - p->step_started;
  rd_cur_init(&cur, frame, n);
  if (rd_tsrequest_decode(&cur, &ts) != 0) {
    c->outcome = RD_CSSP_MALFORMED;
    rd_probe_finish(p, now);
    return RD_E_MALFORMED;
  }
  c->ts_version = ts.version;
  c->error_code_present = ts.error_code_present;
  c->error_code = ts.error_code;
  if (ts.error_code_present) {
    c->outcome = RD_CSSP_ERROR_CODE;
  } else if (!ts.nego_present || rd_ntlm_find(rd_cur_data(&ts.nego_token), rd_cur_len(&ts.nego_token), &msg) != 0) {
    c->outcome = RD_CSSP_NO_NTLM;
  } else {
    rd_cur whole = msg; /* decoding consumes msg; the MIC needs the message as received */
    if (rd_ntlm_decode_challenge(&msg, &ch) != 0) {
      c->outcome = RD_CSSP_MALFORMED;
      rd_probe_finish(p, now);
      return RD_E_MALFORMED;
    }
    c->outcome = RD_CSSP_CHALLENGE;
    if (record_challenge(c, &ch) != 0)
      p->facts->local_error = RD_E_NOMEM; /* a name we could not keep: ours, not the server's */
    hold_challenge(p, &whole, ts.version, now);
    return 0;
  }
  rd_probe_finish(p, now);
  return 0;
}

void rd_probe_grant_auth(rd_probe *p, rd_credssp_auth *a, rd_us now) {
  if (p->state == RD_PS_INFO_WAIT_GRANT) {
    rd_probe_grant_logon(p, a, now); /* --logon without NLA: the auto-logon Client Info */
    return;
  }
  if (p->state != RD_PS_CREDSSP_WAIT_GRANT)
    return;
  rd_auth_facts *af = &p->facts->auth;
  if (a == NULL || a->in == NULL || p->pubkey_len == 0) {
    rd_probe_finish(p, now);
    return;
  }
  p->auth = a;
  if (rd_facts_set_name(&af->user, a->in->user) != 0 || rd_facts_set_name(&af->domain, a->in->domain) != 0 ||
      rd_credssp_auth_set_negotiate(a, p->negotiate, p->negotiate_len) != 0 ||
      rd_credssp_auth_set_pubkey(a, p->pubkey, p->pubkey_len) != 0 ||
      rd_credssp_auth_authenticate(a, p->challenge, p->challenge_len, p->challenge_version, &p->pending,
                                   &p->pending_len) != 0) {
    af->outcome = RD_AUTH_LOCAL_ERROR;
    rd_probe_finish(p, now);
    return;
  }
  af->version = a->version;
  rd_probe_enter(p, RD_PS_CREDSSP_SEND_AUTHENTICATE, now);
}

/* The server's answer to AUTHENTICATE: its pubKeyAuth, or an errorCode. */
static int on_auth_reply(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_auth_facts *af = &p->facts->auth;
  rd_cur cur;
  rd_tsrequest ts;
  rd_cur_init(&cur, frame, n);
  af->took_us = now - p->step_started;
  if (rd_tsrequest_decode(&cur, &ts) != 0) {
    af->outcome = RD_AUTH_MALFORMED;
  } else if (ts.error_code_present) {
    af->outcome = RD_AUTH_ERROR_CODE;
    af->error_code_present = true;
    af->error_code = ts.error_code;
  } else if (rd_credssp_auth_check_server(p->auth, &ts) != 0) {
    af->outcome = RD_AUTH_KEY_MISMATCH;
  } else {
    af->outcome = RD_AUTH_ACCEPTED;
    /* HYBRID_EX tells the authorization (the remote logon right) only after the credentials, and
     * the session phase needs them as a client sends them; otherwise plain HYBRID has said all it
     * will, and the password is not delegated to it. */
    bool delegate = p->facts->selected == RD_X224_PROTOCOL_HYBRID_EX || p->facts->req.session;
    if (delegate && rd_credssp_auth_credentials(p->auth, &p->pending, &p->pending_len) == 0) {
      rd_probe_enter(p, RD_PS_CREDSSP_SEND_CREDENTIALS, now);
      return 0;
    }
  }
  rd_probe_finish(p, now);
  return af->outcome == RD_AUTH_MALFORMED ? RD_E_MALFORMED : 0;
}

static int on_early_authz(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_auth_facts *af = &p->facts->auth;
  rd_cur c;
  uint32_t v = 0;
  rd_cur_init(&c, frame, n);
  if (n == EARLY_AUTHZ_LEN && rd_cur_get_u32le(&c, &v)) {
    af->early_authz_present = true;
    af->early_authz = v;
  }
  if (af->early_authz_present && af->early_authz == 0 && p->facts->req.session) {
    rd_probe_start_session(p, now);
    return 0;
  }
  rd_probe_finish(p, now);
  return 0;
}

int rd_probe_feed_credssp(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  switch (p->state) {
  case RD_PS_CREDSSP_SEND_NEGOTIATE: /* an answer before our question: not CredSSP as we know it */
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
    return on_challenge(p, frame, n, now);
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
    return on_auth_reply(p, frame, n, now);
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    return on_early_authz(p, frame, n, now);
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
    return 0; /* the server spoke out of turn; what it said does not change the verdict */
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
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
  return 0;
}

void rd_probe_end_credssp(rd_probe *p, bool reset, rd_us now) {
  rd_probe_facts *f = p->facts;
  switch (p->state) {
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
    f->credssp.outcome = reset ? RD_CSSP_RESET : RD_CSSP_CLOSED;
    f->credssp.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
    f->auth.outcome = reset ? RD_AUTH_RESET : RD_AUTH_CLOSED;
    f->auth.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
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
    break; /* what was recorded stands; only what would have followed is missing */
  }
  rd_probe_finish(p, now);
}

void rd_probe_expire_credssp(rd_probe *p, rd_us now, bool cut) {
  rd_probe_facts *f = p->facts;
  switch (p->state) {
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
    f->credssp.outcome = cut ? RD_CSSP_CUT : RD_CSSP_SILENT;
    f->credssp.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
    f->auth.outcome = cut ? RD_AUTH_CUT : RD_AUTH_SILENT;
    f->auth.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_WAIT_GRANT:
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ: /* the verdict stands; only the authorization result is missing */
  case RD_PS_CONNECTING:
  case RD_PS_IDENT_WAIT_GREETING:
  case RD_PS_IDENT_TLS:
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
  case RD_PS_TLS_UPGRADE:
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
  rd_probe_finish(p, now);
}
