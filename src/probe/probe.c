#include "probe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cur.h"
#include "core/err.h"
#include "auth/cert.h"
#include "core/ber.h"
#include "core/wipe.h"
#include "core/ntlm.h"
#include "core/tsrequest.h"
#include "core/x224.h"

/* Largest reply we wait for while negotiating: a Connection Confirm is 11 or 19 bytes, so a TPKT
 * announcing more than this is a hostile length, recorded as malformed instead of awaited. */
#define MAX_CONFIRM 256

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

static void enter(rd_probe *p, rd_probe_state s, rd_us now) {
  p->state = s;
  p->step_started = now;
  p->deadline = s == RD_PS_DONE ? RD_US_NONE : now + p->step_us;
}

static void finish(rd_probe *p, rd_us now) {
  p->facts->total_us = now - p->started;
  enter(p, RD_PS_DONE, now);
}

void rd_probe_init(rd_probe *p, rd_probe_facts *facts, rd_us step_us, rd_us now) {
  memset(p, 0, sizeof *p);
  p->facts = facts;
  p->step_us = step_us;
  p->started = now;
  facts->connect = RD_CONN_NOT_TRIED;
  facts->nego = RD_NEGO_NOT_TRIED;
  facts->tls.outcome = RD_TLSO_NOT_TRIED;
  facts->tls.alert = -1;
  enter(p, RD_PS_CONNECTING, now);
}

void rd_probe_connected(rd_probe *p, rd_conn_outcome outcome, int sys_errno, rd_us now) {
  if (p->state != RD_PS_CONNECTING)
    return;
  p->facts->connect = outcome;
  p->facts->connect_errno = sys_errno;
  p->facts->connect_us = now - p->started;
  if (outcome != RD_CONN_OK || p->facts->req.kind == RD_PROBE_CONNECT) {
    finish(p, now);
    return;
  }
  enter(p, RD_PS_X224_SEND_REQUEST, now);
}

static ssize_t encode_request(const rd_probe_facts *f, uint8_t *out, size_t cap) {
  rd_x224_cr cr;
  rd_bld b;
  uint8_t *bytes;
  size_t len;
  memset(&cr, 0, sizeof cr);
  cr.nego_present = !f->req.legacy;
  cr.requested_protocols = f->req.protocols;
  rd_bld_init(&b, 256);
  if (rd_x224_encode_cr(&cr, &b) != 0 || !rd_bld_finish(&b, &bytes, &len)) {
    rd_bld_cleanup(&b);
    return RD_E_NOMEM;
  }
  if (len > cap) {
    free(bytes);
    return RD_E_INVALID;
  }
  memcpy(out, bytes, len);
  free(bytes);
  return (ssize_t)len;
}

/* The first CredSSP message, copied into out (see rd_credssp_negotiate_request). */
static ssize_t encode_negotiate(rd_probe *p, uint8_t *out, size_t cap) {
  uint8_t *req = NULL;
  size_t req_len = 0;
  int r = rd_credssp_negotiate_request(p->negotiate, sizeof p->negotiate, &p->negotiate_len, &req, &req_len);
  if (r != 0)
    return r;
  ssize_t n = req_len <= cap ? (ssize_t)req_len : RD_E_INVALID;
  if (n > 0)
    memcpy(out, req, req_len);
  free(req);
  return n;
}

static void drop_pending(rd_probe *p) {
  if (p->pending != NULL) {
    rd_wipe(p->pending, p->pending_len); /* the credentials message holds the password, sealed */
    free(p->pending);
  }
  p->pending = NULL;
  p->pending_len = 0;
}

ssize_t rd_probe_pull(rd_probe *p, uint8_t *out, size_t cap, rd_us now) {
  if (p->state == RD_PS_CREDSSP_SEND_AUTHENTICATE || p->state == RD_PS_CREDSSP_SEND_CREDENTIALS) {
    size_t n = p->pending_len;
    if (n > cap) {
      p->facts->auth.outcome = RD_AUTH_LOCAL_ERROR;
      drop_pending(p);
      finish(p, now);
      return RD_E_INVALID;
    }
    memcpy(out, p->pending, n);
    drop_pending(p);
    p->in_len = 0;
    enter(p, p->state == RD_PS_CREDSSP_SEND_AUTHENTICATE ? RD_PS_CREDSSP_WAIT_PUBKEY : RD_PS_CREDSSP_WAIT_EARLY_AUTHZ,
          now);
    return (ssize_t)n;
  }
  if (p->state == RD_PS_CREDSSP_SEND_NEGOTIATE) {
    ssize_t n = encode_negotiate(p, out, cap);
    if (n < 0) {
      finish(p, now);
      return n;
    }
    p->in_len = 0;
    enter(p, RD_PS_CREDSSP_WAIT_CHALLENGE, now);
    return n;
  }
  if (p->state != RD_PS_X224_SEND_REQUEST)
    return 0;
  ssize_t n = encode_request(p->facts, out, cap);
  if (n < 0) {
    finish(p, now);
    return n;
  }
  enter(p, RD_PS_X224_WAIT_CONFIRM, now);
  return n;
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

static void keep_reply(rd_probe *p) {
  size_t n = p->in_len < RD_REPLY_KEEP ? p->in_len : RD_REPLY_KEEP;
  memcpy(p->facts->reply, p->in, n);
  p->facts->reply_len = n;
  p->facts->bytes_received = p->in_len;
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

/* A whole reply is in p->in: decode it and decide what follows. */
static void on_reply(rd_probe *p, size_t frame_len, rd_us now) {
  rd_probe_facts *f = p->facts;
  rd_cur c;
  rd_x224_cc cc;
  uint8_t type = 0;
  f->reply_us = now - p->step_started;
  rd_cur_init(&c, p->in, frame_len);
  if (rd_x224_peek_type(&c, &type) == 0 && type == RD_X224_TPDU_DR) {
    f->nego = RD_NEGO_DISCONNECT;
  } else if (rd_x224_decode_cc(&c, &cc) == 0) {
    record_confirm(f, &cc);
  } else {
    f->nego = RD_NEGO_MALFORMED;
  }
  if (f->nego == RD_NEGO_RSP && selected_uses_tls(f->selected)) {
    enter(p, RD_PS_TLS_UPGRADE, now);
    return;
  }
  finish(p, now);
}

/* Names come from the server: control characters (a terminal escape sequence in a NetBIOS name)
 * become '?', so no report can be made to rewrite the reader's screen. */
static void copy_name(char *dst, const char *src) {
  size_t i = 0;
  for (; i + 1 < RD_NAME_LEN && src[i] != '\0'; i++)
    dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
  dst[i] = '\0';
}

static void record_challenge(rd_credssp_facts *c, const rd_ntlm_challenge *ch) {
  copy_name(c->target_name, ch->target_name);
  copy_name(c->nb_computer, ch->nb_computer);
  copy_name(c->nb_domain, ch->nb_domain);
  copy_name(c->dns_computer, ch->dns_computer);
  copy_name(c->dns_domain, ch->dns_domain);
  copy_name(c->dns_tree, ch->dns_tree);
  c->os_version_present = ch->version_present;
  c->os_major = ch->version.major;
  c->os_minor = ch->version.minor;
  c->os_build = ch->version.build;
  c->timestamp_present = ch->timestamp_present;
  if (ch->timestamp_present)
    c->server_time_unix = rd_ntlm_filetime_to_unix(ch->timestamp);
}

/* With credentials, the first probe to get a CHALLENGE authenticates (one attempt per check). */
static bool start_auth(rd_probe *p, const rd_cur *challenge, int64_t version, rd_us now) {
  rd_credssp_auth *a = p->auth;
  rd_auth_facts *af = &p->facts->auth;
  if (a == NULL || a->in == NULL || a->claimed || p->pubkey_len == 0)
    return false;
  a->claimed = true;
  p->auth_mine = true;
  snprintf(af->user, sizeof af->user, "%s", a->in->user);
  snprintf(af->domain, sizeof af->domain, "%s", a->in->domain);
  if (rd_credssp_auth_set_negotiate(a, p->negotiate, p->negotiate_len) != 0 ||
      rd_credssp_auth_set_pubkey(a, p->pubkey, p->pubkey_len) != 0 ||
      rd_credssp_auth_authenticate(a, rd_cur_data(challenge), rd_cur_len(challenge), version, &p->pending,
                                   &p->pending_len) != 0) {
    af->outcome = RD_AUTH_LOCAL_ERROR;
    return false;
  }
  af->version = a->version;
  enter(p, RD_PS_CREDSSP_SEND_AUTHENTICATE, now);
  return true;
}

/* The server's answer to AUTHENTICATE (its pubKeyAuth, or an errorCode). */
static void on_auth_reply(rd_probe *p, size_t len, rd_us now) {
  rd_auth_facts *af = &p->facts->auth;
  rd_cur cur;
  rd_tsrequest ts;
  rd_cur_init(&cur, p->in, len);
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
    /* HYBRID_EX tells the authorization (the remote logon right) only after the credentials;
     * plain HYBRID has said all it will: the password is not delegated to it. */
    if (p->facts->selected == RD_X224_PROTOCOL_HYBRID_EX &&
        rd_credssp_auth_credentials(p->auth, &p->pending, &p->pending_len) == 0) {
      enter(p, RD_PS_CREDSSP_SEND_CREDENTIALS, now);
      return;
    }
  }
  finish(p, now);
}

/* A whole TSRequest is in p->in: what the server said to our NEGOTIATE. */
static void on_credssp_reply(rd_probe *p, size_t len, rd_us now) {
  rd_credssp_facts *c = &p->facts->credssp;
  rd_cur cur, msg;
  rd_tsrequest ts;
  rd_ntlm_challenge ch;
  rd_cur_init(&cur, p->in, len);
  c->took_us = now - p->step_started;
  if (rd_tsrequest_decode(&cur, &ts) != 0) {
    c->outcome = RD_CSSP_MALFORMED;
  } else {
    c->ts_version = ts.version;
    c->error_code_present = ts.error_code_present;
    c->error_code = ts.error_code;
    if (ts.error_code_present)
      c->outcome = RD_CSSP_ERROR_CODE;
    else if (!ts.nego_present ||
             rd_ntlm_find(rd_cur_data(&ts.nego_token), rd_cur_len(&ts.nego_token), &msg) != 0)
      c->outcome = RD_CSSP_NO_NTLM;
    else {
      rd_cur whole = msg; /* decoding consumes msg; the MIC needs the message as received */
      if (rd_ntlm_decode_challenge(&msg, &ch) != 0) {
        c->outcome = RD_CSSP_MALFORMED;
      } else {
        c->outcome = RD_CSSP_CHALLENGE;
        record_challenge(c, &ch);
        if (start_auth(p, &whole, ts.version, now))
          return;
      }
    }
  }
  finish(p, now);
}

static int feed_early_authz(rd_probe *p, const uint8_t *in, size_t n, rd_us now) {
  rd_auth_facts *af = &p->facts->auth;
  size_t take = n < 4 - p->in_len ? n : 4 - p->in_len;
  memcpy(p->in + p->in_len, in, take);
  p->in_len += take;
  if (p->in_len < 4)
    return 0;
  af->early_authz_present = true;
  af->early_authz = (uint32_t)p->in[0] | (uint32_t)p->in[1] << 8 | (uint32_t)p->in[2] << 16 | (uint32_t)p->in[3] << 24;
  finish(p, now);
  return 0;
}

static int feed_credssp(rd_probe *p, const uint8_t *in, size_t n, rd_us now) {
  if (p->state == RD_PS_CREDSSP_WAIT_EARLY_AUTHZ)
    return feed_early_authz(p, in, n, now);
  rd_credssp_facts *c = &p->facts->credssp;
  size_t room = sizeof p->in - p->in_len, take = n < room ? n : room, need = 0;
  memcpy(p->in + p->in_len, in, take);
  p->in_len += take;
  size_t keep = p->in_len < RD_REPLY_KEEP ? p->in_len : RD_REPLY_KEEP;
  memcpy(c->first_bytes, p->in, keep);
  c->n_first_bytes = keep;
  int r = rd_ber_frame_need(p->in, p->in_len, sizeof p->in, &need);
  if (r == RD_E_SHORT || (r == 0 && p->in_len < need))
    return 0;
  if (r != 0) {
    if (p->state == RD_PS_CREDSSP_WAIT_PUBKEY)
      p->facts->auth.outcome = RD_AUTH_MALFORMED;
    else
      c->outcome = RD_CSSP_MALFORMED;
    c->took_us = now - p->step_started;
    finish(p, now);
    return r;
  }
  if (p->state == RD_PS_CREDSSP_WAIT_PUBKEY)
    on_auth_reply(p, need, now);
  else
    on_credssp_reply(p, need, now);
  return 0;
}

int rd_probe_feed(rd_probe *p, const uint8_t *in, size_t n, rd_us now) {
  if (p->state == RD_PS_CREDSSP_WAIT_CHALLENGE || p->state == RD_PS_CREDSSP_WAIT_PUBKEY ||
      p->state == RD_PS_CREDSSP_WAIT_EARLY_AUTHZ)
    return feed_credssp(p, in, n, now);
  if (p->state != RD_PS_X224_WAIT_CONFIRM)
    return 0; /* bytes after we are done (or unsolicited) are not evidence we use */
  size_t room = sizeof p->in - p->in_len;
  size_t take = n < room ? n : room;
  memcpy(p->in + p->in_len, in, take);
  p->in_len += take;
  keep_reply(p);

  size_t need = 0;
  int r = rd_tpkt_frame_need(p->in, p->in_len, MAX_CONFIRM, &need);
  if (r == RD_E_SHORT)
    return 0;
  if (r == RD_E_MALFORMED && p->in[0] != 0x03) {
    /* Not a TPKT at all: another service answered. Keep reading until a line ends or the
     * buffer fills, so the banner is recorded whole. */
    p->facts->service = rd_probe_guess_service(p->in, p->in_len, p->facts->banner, sizeof p->facts->banner);
    p->facts->nego = RD_NEGO_NOT_RDP;
    p->facts->reply_us = now - p->step_started;
    finish(p, now);
    return RD_E_MALFORMED;
  }
  if (r != 0) {
    p->facts->nego = RD_NEGO_MALFORMED;
    p->facts->reply_us = now - p->step_started;
    finish(p, now);
    return r;
  }
  if (p->in_len < need)
    return 0; /* the frame is not whole yet */
  on_reply(p, need, now);
  return 0;
}

void rd_probe_eof(rd_probe *p, bool reset, rd_us now) {
  rd_probe_facts *f = p->facts;
  if (p->state == RD_PS_CREDSSP_SEND_NEGOTIATE || p->state == RD_PS_CREDSSP_WAIT_CHALLENGE) {
    f->credssp.outcome = reset ? RD_CSSP_RESET : RD_CSSP_CLOSED;
    f->credssp.took_us = now - p->step_started;
  } else if (p->state == RD_PS_CREDSSP_SEND_AUTHENTICATE || p->state == RD_PS_CREDSSP_WAIT_PUBKEY) {
    f->auth.outcome = reset ? RD_AUTH_RESET : RD_AUTH_CLOSED;
    f->auth.took_us = now - p->step_started;
  }
  if (p->state == RD_PS_X224_SEND_REQUEST || p->state == RD_PS_X224_WAIT_CONFIRM) {
    f->nego = reset ? RD_NEGO_RESET : RD_NEGO_CLOSED;
    f->reply_us = now - p->step_started;
    if (p->in_len > 0 && p->in[0] != 0x03) {
      f->nego = RD_NEGO_NOT_RDP;
      f->service = rd_probe_guess_service(p->in, p->in_len, f->banner, sizeof f->banner);
    }
  }
  if (p->state != RD_PS_DONE)
    finish(p, now);
}

rd_us rd_probe_deadline(const rd_probe *p) { return p->deadline; }

void rd_probe_expire(rd_probe *p, rd_us now) {
  rd_probe_facts *f = p->facts;
  switch (p->state) {
  case RD_PS_CONNECTING:
    f->connect = RD_CONN_TIMEOUT;
    f->connect_us = now - p->started;
    break;
  case RD_PS_X224_SEND_REQUEST:
  case RD_PS_X224_WAIT_CONFIRM:
    if (p->in_len > 0 && p->in[0] != 0x03) {
      f->nego = RD_NEGO_NOT_RDP;
      f->service = rd_probe_guess_service(p->in, p->in_len, f->banner, sizeof f->banner);
    } else {
      f->nego = RD_NEGO_SILENT;
    }
    f->reply_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_NEGOTIATE:
  case RD_PS_CREDSSP_WAIT_CHALLENGE:
    f->credssp.outcome = RD_CSSP_SILENT;
    f->credssp.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_AUTHENTICATE:
  case RD_PS_CREDSSP_WAIT_PUBKEY:
    f->auth.outcome = RD_AUTH_SILENT;
    f->auth.took_us = now - p->step_started;
    break;
  case RD_PS_CREDSSP_SEND_CREDENTIALS:
  case RD_PS_CREDSSP_WAIT_EARLY_AUTHZ:
    break; /* the verdict stands; only the authorization result is missing */
  case RD_PS_TLS_UPGRADE:
    if (f->tls.outcome == RD_TLSO_NOT_TRIED)
      f->tls.outcome = RD_TLSO_STALL;
    f->tls.took_us = now - p->step_started;
    break;
  case RD_PS_DONE:
    return;
  }
  finish(p, now);
}

bool rd_probe_wants_tls(const rd_probe *p, int *version) {
  if (p->state != RD_PS_TLS_UPGRADE || p->facts->tls.outcome != RD_TLSO_NOT_TRIED)
    return false;
  *version = p->facts->req.tls_pin;
  return true;
}

bool rd_probe_needs_tls_session(const rd_probe *p) {
  const rd_probe_facts *f = p->facts;
  return f->req.kind == RD_PROBE_NEGO && f->nego == RD_NEGO_RSP &&
         (f->selected == RD_X224_PROTOCOL_HYBRID || f->selected == RD_X224_PROTOCOL_HYBRID_EX);
}

bool rd_probe_in_tls(const rd_probe *p) { return rd_probe_state_phase(p->state) == RD_PH_CREDSSP; }

void rd_probe_set_auth(rd_probe *p, rd_credssp_auth *auth) { p->auth = auth; }

void rd_probe_set_server_cert(rd_probe *p, const uint8_t *der, size_t n) {
  if (rd_cert_subject_public_key(der, n, p->pubkey, sizeof p->pubkey, &p->pubkey_len) != 0)
    p->pubkey_len = 0;
}

void rd_probe_cleanup(rd_probe *p) { drop_pending(p); }

void rd_probe_tls_done(rd_probe *p, const rd_tls_facts *tls, rd_us now) {
  if (p->state != RD_PS_TLS_UPGRADE)
    return;
  rd_tls_facts copy = *tls; /* tls may point into our own facts */
  p->facts->tls = copy;
  p->facts->tls.took_us = now - p->step_started;
  if (copy.outcome == RD_TLSO_OK && rd_probe_needs_tls_session(p)) {
    enter(p, RD_PS_CREDSSP_SEND_NEGOTIATE, now);
    return;
  }
  finish(p, now);
}

bool rd_probe_done(const rd_probe *p) { return p->state == RD_PS_DONE; }
