/* The probe's TLS step: the driver runs the handshake; the probe keeps the raw evidence and says
 * what the ending means ([MS-RDPBCGR] 5.4.5.1; DESIGN.md "TLS"). */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cert.h"
#include "core/x224.h"

void rd_probe_tls_bytes(rd_probe *p, const uint8_t *in, size_t n) {
  if (p->state != RD_PS_TLS_UPGRADE)
    return;
  rd_tls_facts *t = &p->facts->tls;
  size_t room = sizeof t->first_bytes - t->n_first_bytes;
  size_t keep = n < room ? n : room;
  memcpy(t->first_bytes + t->n_first_bytes, in, keep);
  t->n_first_bytes += keep;
  t->bytes_after_hello += n;
}

/* The first byte of a TLS record is its content type, 20 to 23; anything else answered our
 * ClientHello in clear (an X.224 PDU from a listener that cannot use its certificate). */
static bool answered_in_clear(const rd_tls_facts *t) {
  return t->n_first_bytes > 0 && (t->first_bytes[0] < 0x14 || t->first_bytes[0] > 0x17);
}

static rd_tls_outcome classify(const rd_tls_event *ev, const rd_tls_facts *t) {
  if (ev->end == RD_TLS_END_OK)
    return RD_TLSO_OK;
  if (ev->alert >= 0)
    return RD_TLSO_ALERT;
  if (answered_in_clear(t))
    return RD_TLSO_PLAINTEXT;
  switch (ev->end) {
  case RD_TLS_END_CLOSED:
    return RD_TLSO_CLOSED;
  case RD_TLS_END_RESET:
    return RD_TLSO_RESET;
  case RD_TLS_END_OK:
  case RD_TLS_END_FAILED:
    break;
  }
  return RD_TLSO_ERROR;
}

static void keep_pubkey(rd_probe *p, const uint8_t *der, size_t n) {
  uint8_t key[4096];
  size_t len = 0;
  if (der == NULL || rd_cert_subject_public_key(der, n, key, sizeof key, &len) != 0 || len == 0)
    return;
  uint8_t *copy = malloc(len);
  if (copy == NULL)
    return; /* CredSSP then cannot bind; the authentication is not attempted */
  memcpy(copy, key, len);
  free(p->pubkey);
  p->pubkey = copy;
  p->pubkey_len = len;
}

void rd_probe_tls_done(rd_probe *p, const rd_tls_event *ev, rd_us now) {
  if (p->state != RD_PS_TLS_UPGRADE)
    return;
  rd_tls_facts *t = &p->facts->tls;
  t->version = ev->version;
  snprintf(t->version_name, sizeof t->version_name, "%s", ev->version_name ? ev->version_name : "");
  snprintf(t->cipher, sizeof t->cipher, "%s", ev->cipher ? ev->cipher : "");
  t->alert = ev->alert;
  snprintf(t->alert_name, sizeof t->alert_name, "%s", ev->alert >= 0 && ev->alert_name ? ev->alert_name : "");
  snprintf(t->reason, sizeof t->reason, "%s", ev->reason ? ev->reason : "");
  t->outcome = classify(ev, t);
  t->took_us = now - p->step_started;
  if (t->outcome != RD_TLSO_OK) {
    rd_probe_finish(p, now);
    return;
  }
  keep_pubkey(p, ev->cert_der, ev->cert_len);
  rd_probe_facts *f = p->facts;
  bool nla = f->req.kind == RD_PROBE_NEGO &&
             (f->selected == RD_X224_PROTOCOL_HYBRID || f->selected == RD_X224_PROTOCOL_HYBRID_EX);
  bool session = f->req.kind == RD_PROBE_NEGO && f->req.session && f->selected == RD_X224_PROTOCOL_SSL;
  if (!nla && !session) {
    rd_probe_finish(p, now);
    return;
  }
  p->transport = RD_TRANSPORT_TLS;
  if (session)
    rd_probe_start_session(p, now); /* TLS without NLA: MCS follows the handshake at once */
  else
    rd_probe_enter(p, RD_PS_CREDSSP_SEND_NEGOTIATE, now);
}
