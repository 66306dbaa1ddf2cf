#include "credssp_auth.h"
#include "core/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cur.h"
#include "core/err.h"

#define WORKSTATION "RDPDOCTOR"
#define MAX_MESSAGE 16384

int rd_auth_input_init(rd_auth_input *in, const char *user, const char *domain, const char *password,
                       const char *target_host, int64_t now_unix_ms, rd_crypto *crypto) {
  memset(in, 0, sizeof *in);
  if (user == NULL || user[0] == '\0' || password == NULL || target_host == NULL || crypto == NULL)
    return RD_E_INVALID;
  in->user = user;
  in->domain = domain != NULL ? domain : "";
  in->password = password;
  in->target_host = target_host;
  in->now_unix_ms = now_unix_ms;
  in->crypto = crypto;
  return 0;
}

int rd_credssp_auth_set_negotiate(rd_credssp_auth *a, const uint8_t *msg, size_t n) {
  if (n > sizeof a->negotiate)
    return RD_E_TOO_BIG;
  memcpy(a->negotiate, msg, n);
  a->negotiate_len = n;
  return 0;
}

int rd_credssp_auth_set_pubkey(rd_credssp_auth *a, const uint8_t *pubkey, size_t n) {
  if (n == 0 || n > sizeof a->pubkey)
    return RD_E_TOO_BIG;
  memcpy(a->pubkey, pubkey, n);
  a->pubkey_len = n;
  return 0;
}

/* Finishes a builder into a malloc'd buffer. */
static int finish(rd_bld *b, uint8_t **out, size_t *len) {
  if (!rd_bld_finish(b, out, len)) {
    rd_bld_cleanup(b);
    return RD_E_NOMEM;
  }
  return 0;
}

/* signature ‖ sealed message: the token EncryptMessage gives CredSSP with NTLM. */
static int seal_token(rd_credssp_auth *a, const uint8_t *msg, size_t n, uint8_t **out, size_t *out_len) {
  uint8_t *tok = malloc(RD_NTLM_SIGNATURE_LEN + n);
  if (tok == NULL)
    return RD_E_NOMEM;
  int r = rd_ntlm_seal_message(a->seal, msg, n, tok + RD_NTLM_SIGNATURE_LEN, tok);
  if (r != 0) {
    free(tok);
    return r;
  }
  *out = tok;
  *out_len = RD_NTLM_SIGNATURE_LEN + n;
  return 0;
}

static int encode_tsrequest(const rd_tsrequest *ts, uint8_t **out, size_t *len) {
  rd_bld b;
  rd_bld_init(&b, MAX_MESSAGE);
  if (rd_tsrequest_encode(ts, &b) != 0) {
    rd_bld_cleanup(&b);
    return RD_E_NOMEM;
  }
  return finish(&b, out, len);
}

int rd_credssp_negotiate_request(uint8_t *ntlm, size_t cap, size_t *ntlm_len, uint8_t **req, size_t *req_len) {
  rd_bld b;
  uint8_t *neg = NULL;
  size_t neg_len = 0;
  int r;
  rd_bld_init(&b, 128);
  if (rd_ntlm_encode_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT, NULL, &b) != 0)
    rd_bld_set_error(&b);
  if ((r = finish(&b, &neg, &neg_len)) != 0)
    return r;
  if (neg_len > cap) {
    free(neg);
    return RD_E_TOO_BIG;
  }
  memcpy(ntlm, neg, neg_len);
  *ntlm_len = neg_len;
  rd_tsrequest ts;
  memset(&ts, 0, sizeof ts);
  ts.version = RD_TSREQUEST_VERSION_MAX;
  ts.nego_present = true;
  ts.nego_count = 1;
  rd_cur_init(&ts.nego_token, neg, neg_len);
  r = encode_tsrequest(&ts, req, req_len);
  free(neg);
  return r;
}

/* The AUTHENTICATE message with its MIC ([MS-NLMP] 3.1.5.1.2). Keys are wiped by the caller. */
static int build_authenticate(rd_credssp_auth *a, const rd_ntlm_challenge *ch, const uint8_t key_nt[16],
                              const uint8_t exported[16], uint8_t **msg, size_t *msg_len) {
  const rd_auth_input *in = a->in;
  uint8_t client_challenge[RD_NTLM_CHALLENGE_LEN], proof[RD_NTLM_KEY_LEN], base[RD_NTLM_KEY_LEN];
  uint8_t esk[RD_NTLM_KEY_LEN], lm[RD_NTLM_LMV2_LEN], mic[RD_NTLM_KEY_LEN];
  uint8_t *ti = NULL, *nt = NULL;
  size_t ti_len = 0, nt_len = 0, mic_offset = 0;
  char spn[300];
  rd_bld b;
  int r;

  snprintf(spn, sizeof spn, "TERMSRV/%s", in->target_host);
  rd_bld_init(&b, MAX_MESSAGE);
  if ((r = rd_ntlm_target_info_for_authenticate(ch->target_info, spn, &b)) != 0 || (r = finish(&b, &ti, &ti_len)) != 0) {
    rd_bld_cleanup(&b);
    return r ? r : RD_E_NOMEM;
  }
  uint64_t timestamp = ch->timestamp_present ? ch->timestamp : rd_ntlm_filetime_from_unix_ms(in->now_unix_ms);
  nt_len = RD_NTLMV2_RESPONSE_LEN(ti_len);
  nt = malloc(nt_len);
  if (nt == NULL) {
    r = RD_E_NOMEM;
    goto out;
  }
  if ((r = rd_crypto_random(in->crypto, client_challenge, sizeof client_challenge)) != 0 ||
      (r = rd_ntlmv2_response(in->crypto, key_nt, ch->server_challenge, client_challenge, timestamp, ti, ti_len, nt,
                              nt_len, &nt_len, proof, base)) != 0 ||
      (r = rd_lmv2_response(in->crypto, key_nt, ch->server_challenge, client_challenge, ch->timestamp_present, lm)) != 0)
    goto out;
  /* With key exchange the session key travels RC4-encrypted under the KeyExchangeKey (for NTLMv2
   * the SessionBaseKey); without it, the SessionBaseKey is the session key. */
  bool key_exch = (ch->flags & RD_NTLM_NEGOTIATE_KEY_EXCH) != 0;
  if (key_exch && (r = rd_ntlm_encrypt_session_key(in->crypto, base, exported, esk)) != 0)
    goto out;
  rd_ntlm_authenticate am;
  memset(&am, 0, sizeof am);
  am.flags = ch->flags;
  am.lm_response = lm;
  am.lm_len = sizeof lm;
  am.nt_response = nt;
  am.nt_len = nt_len;
  am.domain = in->domain;
  am.user = in->user;
  am.workstation = WORKSTATION;
  am.encrypted_session_key = key_exch ? esk : NULL;
  am.esk_len = key_exch ? sizeof esk : 0;
  am.version = (rd_ntlm_version)RD_NTLM_VERSION_DEFAULT;
  am.with_mic = true;
  rd_bld_init(&b, MAX_MESSAGE);
  if ((r = rd_ntlm_encode_authenticate(&am, &b, &mic_offset)) != 0 || (r = finish(&b, msg, msg_len)) != 0) {
    rd_bld_cleanup(&b);
    r = r ? r : RD_E_NOMEM;
    goto out;
  }
  const uint8_t *session_key = key_exch ? exported : base;
  if ((r = rd_ntlm_mic(in->crypto, session_key, a->negotiate, a->negotiate_len, a->challenge, a->challenge_len, *msg,
                       *msg_len, mic)) != 0) {
    free(*msg);
    *msg = NULL;
    goto out;
  }
  memcpy(*msg + mic_offset, mic, sizeof mic);
  r = rd_ntlm_seal_new(in->crypto, session_key, ch->flags, true, &a->seal);
out:
  rd_wipe(base, sizeof base);
  rd_wipe(esk, sizeof esk);
  rd_wipe(proof, sizeof proof);
  free(ti);
  free(nt);
  return r;
}

int rd_credssp_auth_authenticate(rd_credssp_auth *a, const uint8_t *challenge, size_t n, int64_t server_version,
                                 uint8_t **out, size_t *out_len) {
  const rd_auth_input *in = a->in;
  uint8_t key_nt[RD_NTLM_KEY_LEN], exported[RD_NTLM_KEY_LEN], binding[RD_CREDSSP_HASH_LEN];
  uint8_t *msg = NULL, *pka = NULL;
  size_t msg_len = 0, pka_len = 0;
  rd_ntlm_challenge ch;
  rd_cur c;
  int r;

  free(a->challenge);
  a->challenge = malloc(n ? n : 1);
  if (a->challenge == NULL)
    return RD_E_NOMEM;
  memcpy(a->challenge, challenge, n);
  a->challenge_len = n;
  rd_cur_init(&c, a->challenge, n);
  if ((r = rd_ntlm_decode_challenge(&c, &ch)) != 0)
    return r;
  if (!(ch.flags & RD_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY))
    return RD_E_INVALID; /* NTLMv1-style signing: not offered by any current server */
  a->version = server_version < RD_TSREQUEST_VERSION_MAX ? server_version : RD_TSREQUEST_VERSION_MAX;
  if ((r = rd_crypto_random(in->crypto, exported, sizeof exported)) != 0 ||
      (r = rd_crypto_random(in->crypto, a->nonce, sizeof a->nonce)) != 0 ||
      (r = rd_ntowfv2(in->crypto, in->password, in->user, in->domain, key_nt)) != 0 ||
      (r = build_authenticate(a, &ch, key_nt, exported, &msg, &msg_len)) != 0)
    goto out;
  /* The public-key binding: since version 5 a hash with our nonce, before it the key itself. */
  if (a->version >= 5) {
    if ((r = rd_credssp_client_hash(in->crypto, a->nonce, a->pubkey, a->pubkey_len, binding)) != 0 ||
        (r = seal_token(a, binding, sizeof binding, &pka, &pka_len)) != 0)
      goto out;
  } else if ((r = seal_token(a, a->pubkey, a->pubkey_len, &pka, &pka_len)) != 0) {
    goto out;
  }
  rd_tsrequest ts;
  memset(&ts, 0, sizeof ts);
  ts.version = RD_TSREQUEST_VERSION_MAX;
  ts.nego_present = true;
  ts.nego_count = 1;
  rd_cur_init(&ts.nego_token, msg, msg_len);
  ts.pub_key_auth_present = true;
  rd_cur_init(&ts.pub_key_auth, pka, pka_len);
  if (a->version >= 5) {
    ts.client_nonce_present = true;
    rd_cur_init(&ts.client_nonce, a->nonce, sizeof a->nonce);
  }
  r = encode_tsrequest(&ts, out, out_len);
out:
  rd_wipe(key_nt, sizeof key_nt);
  rd_wipe(exported, sizeof exported);
  free(msg);
  free(pka);
  return r;
}

int rd_credssp_auth_check_server(rd_credssp_auth *a, const rd_tsrequest *ts) {
  uint8_t expected[sizeof a->pubkey], plain[sizeof a->pubkey];
  size_t expected_len;
  if (a->seal == NULL || !ts->pub_key_auth_present || rd_cur_len(&ts->pub_key_auth) <= RD_NTLM_SIGNATURE_LEN)
    return RD_E_MALFORMED;
  const uint8_t *tok = rd_cur_data(&ts->pub_key_auth);
  size_t n = rd_cur_len(&ts->pub_key_auth) - RD_NTLM_SIGNATURE_LEN;
  if (a->version >= 5) {
    if (rd_credssp_server_hash(a->in->crypto, a->nonce, a->pubkey, a->pubkey_len, expected) != 0)
      return RD_E_MALFORMED;
    expected_len = RD_CREDSSP_HASH_LEN;
  } else {
    if (rd_credssp_pubkey_plus_one(a->pubkey, a->pubkey_len, expected) != 0)
      return RD_E_MALFORMED;
    expected_len = a->pubkey_len;
  }
  if (n != expected_len || rd_ntlm_unseal_message(a->seal, tok + RD_NTLM_SIGNATURE_LEN, n, tok, plain) != 0)
    return RD_E_MALFORMED;
  return rd_crypto_memeq(plain, expected, n) ? 0 : RD_E_MALFORMED;
}

int rd_credssp_auth_credentials(rd_credssp_auth *a, uint8_t **out, size_t *out_len) {
  const rd_auth_input *in = a->in;
  uint8_t *creds = NULL, *tok = NULL;
  size_t creds_len = 0, tok_len = 0;
  rd_bld b;
  int r;
  rd_bld_init(&b, MAX_MESSAGE);
  if ((r = rd_tscredentials_encode_password(in->domain, in->user, in->password, &b)) != 0 ||
      (r = finish(&b, &creds, &creds_len)) != 0) {
    rd_bld_cleanup(&b);
    return r ? r : RD_E_NOMEM;
  }
  r = seal_token(a, creds, creds_len, &tok, &tok_len);
  rd_wipe(creds, creds_len);
  free(creds);
  if (r != 0)
    return r;
  rd_tsrequest ts;
  memset(&ts, 0, sizeof ts);
  ts.version = RD_TSREQUEST_VERSION_MAX;
  ts.auth_info_present = true;
  rd_cur_init(&ts.auth_info, tok, tok_len);
  if (a->version >= 5) {
    ts.client_nonce_present = true;
    rd_cur_init(&ts.client_nonce, a->nonce, sizeof a->nonce);
  }
  r = encode_tsrequest(&ts, out, out_len);
  free(tok);
  return r;
}

void rd_credssp_auth_clear(rd_credssp_auth *a) {
  rd_ntlm_seal_free(a->seal);
  if (a->challenge != NULL) {
    rd_wipe(a->challenge, a->challenge_len);
    free(a->challenge);
  }
  rd_wipe(a, sizeof *a);
}
