/* The probe's Standard RDP Security ([MS-RDPBCGR] 5.3; 2.2.1.4.3, 2.2.1.10, 3.2.5.3.10): when the
 * server selected PROTOCOL_RDP and an encryption level above NONE, its Connect Response carries a
 * server random and a certificate. The probe reads the certificate as a client does (proprietary:
 * the signature by the Terminal Services key; X.509 chain: the last certificate's RSA key, with
 * OpenSSL), records what it found, sends the client random encrypted with that key (the Security
 * Exchange PDU, just before the Client Info) and from then on every PDU either way goes through
 * the connection's security layer (seclayer.h). A certificate that cannot be read or a MAC that
 * does not verify is a fact and the end of the session phase, never a crash. */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/rdpsec.h"
#include "core/err.h"
#include "core/gcc.h"
#include "core/sec.h"
#include "core/wipe.h"
#include "probe/seclayer.h"

#define MODULUS_MAX 2048 /* bytes: rd_rdpsec_rsa_raw's bound */

struct rd_probe_rdpsec {
  rd_rdpsec_lib *lib; /* the check's (borrowed) or, without one, our own */
  bool own_lib;
  uint32_t method;
  uint8_t server_random[RD_SEC_RANDOM_LEN];
  uint8_t modulus[MODULUS_MAX]; /* little-endian */
  rd_sec_rsa_key key;           /* key.modulus points at modulus */
  rd_seclayer layer;
};

static rd_rdpsec_facts *facts_of(rd_probe *p) { return &p->facts->session.rdpsec; }

void rd_probe_rdpsec_free(rd_probe *p) {
  if (p->rdpsec == NULL)
    return;
  rd_seclayer_free(&p->rdpsec->layer);
  if (p->rdpsec->own_lib)
    rd_rdpsec_lib_free(p->rdpsec->lib);
  rd_wipe(p->rdpsec, sizeof *p->rdpsec);
  free(p->rdpsec);
  p->rdpsec = NULL;
}

bool rd_probe_rdpsec_active(const rd_probe *p) { return p->rdpsec != NULL; }

const rd_sec_rsa_key *rd_probe_rdpsec_key(const rd_probe *p) {
  return p->rdpsec != NULL ? &p->rdpsec->key : NULL;
}

static uint32_t method_of(uint32_t gcc_method) {
  switch (gcc_method) {
  case RD_GCC_ENCRYPTION_METHOD_40BIT:
    return RD_RDPSEC_METHOD_40BIT;
  case RD_GCC_ENCRYPTION_METHOD_56BIT:
    return RD_RDPSEC_METHOD_56BIT;
  case RD_GCC_ENCRYPTION_METHOD_128BIT:
    return RD_RDPSEC_METHOD_128BIT;
  case RD_GCC_ENCRYPTION_METHOD_FIPS:
    return RD_RDPSEC_METHOD_FIPS;
  default:
    return 0;
  }
}

/* The server's key from its certificate, into st->key; the certificate's facts into f. */
static int read_cert(rd_probe_rdpsec *st, const rd_gcc_sc_security *sec, rd_rdpsec_facts *f) {
  rd_sec_server_cert cert;
  rd_cur c = sec->server_cert, leaf;
  if (rd_sec_decode_server_cert(&c, &cert) != 0) {
    f->cert = RD_RDPSEC_CERT_MALFORMED;
    return RD_E_MALFORMED;
  }
  f->cert_version = cert.version;
  f->cert_temporary = cert.temporary;
  if (cert.version == RD_SEC_CERT_CHAIN_VERSION_1) {
    int r = rd_rdpsec_verify_proprietary(st->lib, &cert);
    if (r != 0 && r != RD_E_MALFORMED)
      return r; /* ours: libcrypto failed */
    f->cert = r == 0 ? RD_RDPSEC_CERT_VERIFIED : RD_RDPSEC_CERT_BAD_SIGNATURE;
    if (cert.key.modulus_len > sizeof st->modulus) {
      f->cert = RD_RDPSEC_CERT_UNUSABLE_KEY;
      return RD_E_MALFORMED;
    }
    memcpy(st->modulus, cert.key.modulus, cert.key.modulus_len);
    st->key = cert.key;
    st->key.modulus = st->modulus;
  } else {
    f->chain_len = cert.chain_len;
    if (!rd_sec_server_cert_leaf(&cert, &leaf)) {
      f->cert = RD_RDPSEC_CERT_MALFORMED;
      return RD_E_MALFORMED;
    }
    int r = rd_rdpsec_x509_key(st->lib, rd_cur_data(&leaf), rd_cur_len(&leaf), st->modulus, sizeof st->modulus,
                               &st->key);
    if (r == RD_E_MALFORMED)
      f->cert = RD_RDPSEC_CERT_MALFORMED;
    else if (r == RD_E_UNSUPPORTED || r == RD_E_TOO_BIG)
      f->cert = RD_RDPSEC_CERT_UNUSABLE_KEY;
    else if (r != 0)
      return r;
    if (r != 0)
      return RD_E_MALFORMED;
    f->cert = RD_RDPSEC_CERT_X509;
  }
  f->key_bits = (uint32_t)st->key.modulus_len * 8;
  f->key_exponent = st->key.pub_exp;
  /* The client random (32 bytes) must be a number below the modulus. */
  if (st->key.modulus_len <= RD_SEC_RANDOM_LEN || st->key.pub_exp == 0) {
    f->cert = RD_RDPSEC_CERT_UNUSABLE_KEY;
    return RD_E_MALFORMED;
  }
  return 0;
}

int rd_probe_rdpsec_prepare(rd_probe *p, const rd_gcc_sc_security *sec) {
  rd_rdpsec_facts *f = facts_of(p);
  const char *why = NULL;
  f->used = true;
  rd_probe_rdpsec_free(p);
  rd_probe_rdpsec *st = calloc(1, sizeof *st);
  if (st == NULL)
    return RD_E_NOMEM;
  p->rdpsec = st;
  if (p->crypto != NULL)
    st->lib = rd_crypto_once_get(p->crypto);
  if (st->lib == NULL) {
    if ((st->lib = rd_rdpsec_lib_new(&why)) == NULL)
      return RD_E_NOMEM;
    st->own_lib = true;
  }
  st->method = method_of(sec->encryption_method);
  if (st->method == 0 || !sec->random_present)
    return RD_E_UNSUPPORTED; /* no method a client could use: encryption-mismatch says it */
  memcpy(st->server_random, sec->server_random, RD_SEC_RANDOM_LEN);
  return read_cert(st, sec, f);
}

int rd_probe_rdpsec_exchange(rd_probe *p, uint8_t **pdu, size_t *len) {
  rd_probe_rdpsec *st = p->rdpsec;
  uint8_t client_random[RD_SEC_RANDOM_LEN], enc[MODULUS_MAX];
  size_t enc_len = 0;
  rd_bld b;
  int r;
  if (st == NULL)
    return RD_E_STATE;
  if ((r = rd_rdpsec_random(st->lib, client_random, sizeof client_random)) != 0 ||
      (r = rd_rdpsec_encrypt_random(st->lib, &st->key, client_random, sizeof client_random, enc, sizeof enc,
                                    &enc_len)) != 0 ||
      (r = rd_seclayer_start(&st->layer, st->lib, st->method, client_random, st->server_random)) != 0) {
    rd_wipe(client_random, sizeof client_random);
    return r;
  }
  rd_wipe(client_random, sizeof client_random);
  rd_bld_init(&b, enc_len + 64);
  /* As a Windows client does (4.1.9): we also read licensing PDUs the server encrypts. */
  r = rd_sec_encode_exchange(RD_SEC_LICENSE_ENCRYPT_SC, enc, enc_len, &b);
  if (r != 0 || !rd_bld_finish(&b, pdu, len)) {
    rd_bld_cleanup(&b);
    return r != 0 ? r : RD_E_NOMEM;
  }
  facts_of(p)->exchange_sent = true;
  return 0;
}

static void sync_counts(rd_probe *p) {
  rd_rdpsec_facts *f = facts_of(p);
  f->sent_encrypted = p->rdpsec->layer.sent_encrypted;
  f->received_encrypted = p->rdpsec->layer.received_encrypted;
  f->received_salted = p->rdpsec->layer.received_salted;
}

int rd_probe_rdpsec_wrap(rd_probe *p, uint16_t flags, bool encrypt, const uint8_t *payload, size_t n, rd_bld *out) {
  if (p->rdpsec == NULL)
    return RD_E_STATE;
  int r = rd_seclayer_wrap(&p->rdpsec->layer, flags, encrypt, payload, n, out);
  sync_counts(p);
  return r;
}

/* A MAC that does not verify: recorded with the step; the stream cannot be read past it. */
static void note_mac_failure(rd_probe *p) {
  rd_rdpsec_facts *f = facts_of(p);
  if (f->mac_failed)
    return;
  f->mac_failed = true;
  snprintf(f->mac_failed_step, sizeof f->mac_failed_step, "%s", rd_probe_state_name(p->state));
}

int rd_probe_rdpsec_unwrap(rd_probe *p, const rd_cur *user_data, rd_sec_header *h, rd_cur *body) {
  if (p->rdpsec == NULL)
    return RD_E_STATE;
  int r = rd_seclayer_unwrap(&p->rdpsec->layer, user_data, h, body);
  sync_counts(p);
  if (r == RD_E_STATE)
    note_mac_failure(p);
  if (r != 0)
    return r;
  if (!(h->flags & RD_SEC_ENCRYPT))
    facts_of(p)->received_clear++;
  else if (h->flags & RD_SEC_LICENSE_PKT)
    facts_of(p)->license_encrypted = true;
  return 0;
}

int rd_probe_rdpsec_fastpath(rd_probe *p, const uint8_t *pdu, size_t n) {
  if (p->rdpsec == NULL)
    return 0;
  int r = rd_seclayer_unwrap_fastpath(&p->rdpsec->layer, pdu, n);
  sync_counts(p);
  if (r == RD_E_STATE)
    note_mac_failure(p);
  return r;
}
