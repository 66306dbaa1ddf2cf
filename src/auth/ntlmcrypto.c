/* NTLMv2 and CredSSP computations on libcrypto: see ntlmcrypto.h for the contract. */
#define RD_NTLMCRYPTO_INTERNAL
#include "auth/ntlmcrypto.h"
#include "auth/cryptoctx.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "core/err.h"


/* NegotiateFlags bits this module reads ([MS-NLMP] 2.2.2.5). The message codecs own the full list;
 * these stay private so the two headers cannot clash. */
#define F_56       0x80000000u
#define F_KEY_EXCH 0x40000000u
#define F_128      0x20000000u
#define F_ESS      0x00080000u

/* ---- The library context ---- */

rd_crypto *rd_crypto_new(const char **why) {
  const char *msg = "out of memory while setting up OpenSSL for NTLM";
  rd_crypto *c = calloc(1, sizeof(*c));
  if (why != NULL)
    *why = NULL;
  if (c == NULL || (c->lib = OSSL_LIB_CTX_new()) == NULL)
    goto fail;
  if ((c->prov_default = OSSL_PROVIDER_load(c->lib, "default")) == NULL) {
    msg = "OpenSSL's default provider is not available: NTLM cannot be computed";
    goto fail;
  }
  if ((c->prov_legacy = OSSL_PROVIDER_load(c->lib, "legacy")) == NULL) {
    msg = "OpenSSL's legacy provider is not available: MD4/RC4 for NTLM cannot be computed";
    goto fail;
  }
  c->md4 = EVP_MD_fetch(c->lib, "MD4", NULL);
  c->md5 = EVP_MD_fetch(c->lib, "MD5", NULL);
  c->sha1 = EVP_MD_fetch(c->lib, "SHA1", NULL);
  c->sha256 = EVP_MD_fetch(c->lib, "SHA2-256", NULL);
  c->hmac = EVP_MAC_fetch(c->lib, "HMAC", NULL);
  c->rc4 = EVP_CIPHER_fetch(c->lib, "RC4", NULL);
  c->des3 = EVP_CIPHER_fetch(c->lib, "DES-EDE3-CBC", NULL);
  if (c->md4 == NULL || c->md5 == NULL || c->sha1 == NULL || c->sha256 == NULL || c->hmac == NULL ||
      c->rc4 == NULL || c->des3 == NULL) {
    msg = "OpenSSL does not provide MD4, MD5, SHA-1, SHA-256, HMAC, RC4 and 3DES: NTLM and Standard RDP "
          "Security cannot be computed";
    goto fail;
  }
  ERR_clear_error();
  return c;
fail:
  rd_crypto_free(c);
  ERR_clear_error();
  if (why != NULL)
    *why = msg;
  return NULL;
}

rd_crypto *rd_crypto_once_get(rd_crypto_once *o) {
  if (!o->tried) {
    o->tried = true;
    o->c = rd_crypto_new(NULL);
  }
  return o->c;
}

void rd_crypto_once_free(rd_crypto_once *o) {
  rd_crypto_free(o->c);
  o->c = NULL;
  o->tried = false;
}

void rd_crypto_free(rd_crypto *c) {
  if (c == NULL)
    return;
  EVP_MD_free(c->md4);
  EVP_MD_free(c->md5);
  EVP_MD_free(c->sha1);
  EVP_MD_free(c->sha256);
  EVP_MAC_free(c->hmac);
  EVP_CIPHER_free(c->rc4);
  EVP_CIPHER_free(c->des3);
  if (c->prov_legacy != NULL)
    OSSL_PROVIDER_unload(c->prov_legacy);
  if (c->prov_default != NULL)
    OSSL_PROVIDER_unload(c->prov_default);
  OSSL_LIB_CTX_free(c->lib);
  free(c);
}

int rd_crypto_random(rd_crypto *c, uint8_t *out, size_t n) {
  if (c == NULL || (out == NULL && n > 0))
    return RD_E_INVALID;
  if (n == 0)
    return 0;
  if (RAND_bytes_ex(c->lib, out, n, 0) != 1) {
    OPENSSL_cleanse(out, n);
    ERR_clear_error();
    return RD_E_NOMEM;
  }
  return 0;
}

bool rd_crypto_memeq(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- Primitives ---- */

typedef struct part {
  const uint8_t *p;
  size_t n;
} part;

/* Every libcrypto failure becomes RD_E_NOMEM, with OpenSSL's queue emptied of what it pushed. */
static int crypto_failed(void) {
  ERR_clear_error();
  return RD_E_NOMEM;
}

static EVP_MAC_CTX *hmac_md5_begin(rd_crypto *c, const uint8_t *key, size_t key_len) {
  static char md5_name[] = "MD5";
  OSSL_PARAM params[2];
  EVP_MAC_CTX *m = EVP_MAC_CTX_new(c->hmac);
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md5_name, 0);
  params[1] = OSSL_PARAM_construct_end();
  if (m != NULL && EVP_MAC_init(m, key, key_len, params) != 1) {
    EVP_MAC_CTX_free(m);
    m = NULL;
  }
  return m;
}

static bool hmac_md5_end(EVP_MAC_CTX *m, uint8_t out[16]) {
  size_t len = 0;
  bool ok = EVP_MAC_final(m, out, &len, 16) == 1 && len == 16;
  EVP_MAC_CTX_free(m); /* the provider wipes the key and the MD5 state */
  return ok;
}

/* HMAC_MD5(key, parts[0] ‖ … ‖ parts[count-1]). */
static int hmac_md5(rd_crypto *c, const uint8_t key[16], const part *parts, size_t count,
                    uint8_t out[16]) {
  EVP_MAC_CTX *m = hmac_md5_begin(c, key, 16);
  if (m == NULL)
    return crypto_failed();
  for (size_t i = 0; i < count; i++) {
    if (parts[i].n > 0 && EVP_MAC_update(m, parts[i].p, parts[i].n) != 1) {
      EVP_MAC_CTX_free(m);
      return crypto_failed();
    }
  }
  if (!hmac_md5_end(m, out)) {
    OPENSSL_cleanse(out, 16);
    return crypto_failed();
  }
  return 0;
}

static int digest(rd_crypto *c, const EVP_MD *md, const part *parts, size_t count, uint8_t *out,
                  unsigned int out_len) {
  EVP_MD_CTX *d = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = d != NULL && EVP_DigestInit_ex2(d, md, NULL) == 1;
  for (size_t i = 0; ok && i < count; i++)
    ok = parts[i].n == 0 || EVP_DigestUpdate(d, parts[i].p, parts[i].n) == 1;
  ok = ok && EVP_DigestFinal_ex(d, out, &len) == 1 && len == out_len;
  EVP_MD_CTX_free(d); /* EVP_MD_CTX_reset wipes the state */
  if (!ok) {
    OPENSSL_cleanse(out, out_len);
    return crypto_failed();
  }
  return 0;
}

int rd_crypto_md4(rd_crypto *c, const uint8_t *data, size_t n, uint8_t out[16]) {
  part p = {data, n};
  if (c == NULL || out == NULL || (data == NULL && n > 0))
    return RD_E_INVALID;
  return digest(c, c->md4, &p, 1, out, 16);
}

/* An RC4 stream keyed with the 16-byte key (RC4's default key length in OpenSSL). */
static EVP_CIPHER_CTX *rc4_new(rd_crypto *c, const uint8_t key[16]) {
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  if (x != NULL && EVP_EncryptInit_ex2(x, c->rc4, key, NULL, NULL) != 1) {
    EVP_CIPHER_CTX_free(x);
    x = NULL;
  }
  return x;
}

/* The next n bytes of the stream over in, into out (which may be in). */
static bool rc4_apply(EVP_CIPHER_CTX *x, const uint8_t *in, size_t n, uint8_t *out) {
  int len = 0;
  if (n == 0)
    return true;
  if (n > INT_MAX)
    return false;
  return EVP_EncryptUpdate(x, out, &len, in, (int)n) == 1 && (size_t)len == n;
}

static void put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* ---- Text ---- */

/* Where UTF-16LE bytes go in this file: a digest or an HMAC (core/utf16.c does the decoding). */
typedef struct sink {
  rd_utf16_sink put;
  EVP_MD_CTX *md;  /* digest sink */
  EVP_MAC_CTX *mac; /* HMAC sink */
} sink;

static bool put_digest(void *ctx, const uint8_t *p, size_t n) {
  return EVP_DigestUpdate(((sink *)ctx)->md, p, n) == 1;
}

static bool put_mac(void *ctx, const uint8_t *p, size_t n) {
  return EVP_MAC_update(((sink *)ctx)->mac, p, n) == 1;
}

/* Streams UTF16LE(s[0..n)), uppercased when upper, into k through core's small wiped buffer, so a
 * password never sits whole in memory we do not control. RD_E_MALFORMED, RD_E_NOMEM or 0. */
static int utf16_stream(const char *s, size_t n, bool upper, sink *k) {
  int r = rd_utf8_to_utf16le_stream(s, n, upper, k->put, k);
  return r == RD_E_NOMEM ? crypto_failed() : r;
}

/* ---- NTLMv2 ---- */

int rd_ntowfv2(rd_crypto *c, const char *password, const char *user, const char *domain,
               uint8_t out[RD_NTLM_KEY_LEN]) {
  uint8_t nt_hash[16];
  unsigned int len = 0;
  sink k = {.put = put_digest};
  int r = 0;
  if (c == NULL || password == NULL || user == NULL || domain == NULL || out == NULL)
    return RD_E_INVALID;

  /* NTOWFv1 = MD4(UTF16LE(password)) */
  if ((k.md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex2(k.md, c->md4, NULL) != 1) {
    r = crypto_failed();
    goto out;
  }
  if ((r = utf16_stream(password, strlen(password), false, &k)) != 0)
    goto out;
  if (EVP_DigestFinal_ex(k.md, nt_hash, &len) != 1 || len != 16) {
    r = crypto_failed();
    goto out;
  }

  k.put = put_mac;
  if ((k.mac = hmac_md5_begin(c, nt_hash, sizeof(nt_hash))) == NULL) {
    r = crypto_failed();
    goto out;
  }
  if ((r = utf16_stream(user, strlen(user), true, &k)) != 0 ||
      (r = utf16_stream(domain, strlen(domain), false, &k)) != 0)
    goto out;
  if (!hmac_md5_end(k.mac, out)) {
    k.mac = NULL;
    r = crypto_failed();
    goto out;
  }
  k.mac = NULL;
out:
  EVP_MD_CTX_free(k.md);
  EVP_MAC_CTX_free(k.mac);
  OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
  if (r != 0)
    OPENSSL_cleanse(out, RD_NTLM_KEY_LEN);
  return r;
}

int rd_ntlmv2_response(rd_crypto *c, const uint8_t response_key_nt[RD_NTLM_KEY_LEN],
                       const uint8_t server_challenge[RD_NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[RD_NTLM_CHALLENGE_LEN], uint64_t timestamp,
                       const uint8_t *target_info, size_t target_info_len, uint8_t *out,
                       size_t out_cap, size_t *out_len, uint8_t nt_proof_str[RD_NTLM_KEY_LEN],
                       uint8_t session_base_key[RD_NTLM_KEY_LEN]) {
  uint8_t proof[16], base[16];
  uint8_t *temp;
  size_t temp_len, total;
  int r;
  if (c == NULL || response_key_nt == NULL || server_challenge == NULL ||
      client_challenge == NULL || (target_info == NULL && target_info_len > 0) || out == NULL ||
      out_len == NULL || nt_proof_str == NULL || session_base_key == NULL)
    return RD_E_INVALID;
  if (target_info_len > SIZE_MAX - 48)
    return RD_E_TOO_BIG;
  total = RD_NTLMV2_RESPONSE_LEN(target_info_len);
  if (out_cap < total)
    return RD_E_INVALID;

  /* temp, the NTLMv2_CLIENT_CHALLENGE of [MS-NLMP] 2.2.2.7, after the 16 bytes of NTProofStr. */
  temp = out + 16;
  temp_len = total - 16;
  memset(temp, 0, temp_len);
  temp[0] = 1; /* RespType */
  temp[1] = 1; /* HiRespType; then Reserved1 (2), Reserved2 (4) */
  for (int i = 0; i < 8; i++)
    temp[8 + i] = (uint8_t)(timestamp >> (8 * i));
  memcpy(temp + 16, client_challenge, 8); /* then Reserved3 (4) */
  if (target_info_len > 0)
    memcpy(temp + 28, target_info, target_info_len); /* then 4 zero bytes */

  part proof_in[2] = {{server_challenge, 8}, {temp, temp_len}};
  part base_in[1] = {{proof, 16}};
  if ((r = hmac_md5(c, response_key_nt, proof_in, 2, proof)) != 0 ||
      (r = hmac_md5(c, response_key_nt, base_in, 1, base)) != 0)
    goto out;
  memcpy(out, proof, 16);
  memcpy(nt_proof_str, proof, 16);
  memcpy(session_base_key, base, 16);
  *out_len = total;
out:
  OPENSSL_cleanse(proof, sizeof(proof));
  OPENSSL_cleanse(base, sizeof(base));
  if (r != 0)
    OPENSSL_cleanse(out, total);
  return r;
}

int rd_lmv2_response(rd_crypto *c, const uint8_t response_key_lm[RD_NTLM_KEY_LEN],
                     const uint8_t server_challenge[RD_NTLM_CHALLENGE_LEN],
                     const uint8_t client_challenge[RD_NTLM_CHALLENGE_LEN],
                     bool server_sent_timestamp, uint8_t out[RD_NTLM_LMV2_LEN]) {
  part in[2] = {{server_challenge, 8}, {client_challenge, 8}};
  uint8_t mac[16];
  int r;
  if (c == NULL || response_key_lm == NULL || server_challenge == NULL ||
      client_challenge == NULL || out == NULL)
    return RD_E_INVALID;
  if (server_sent_timestamp) {
    memset(out, 0, RD_NTLM_LMV2_LEN);
    return 0;
  }
  if ((r = hmac_md5(c, response_key_lm, in, 2, mac)) != 0)
    return r;
  memcpy(out, mac, 16);
  memcpy(out + 16, client_challenge, 8);
  OPENSSL_cleanse(mac, sizeof(mac));
  return 0;
}

uint64_t rd_ntlm_filetime_from_unix_ms(int64_t unix_ms) {
  const int64_t epoch_ms = INT64_C(11644473600000); /* 1601-01-01 to 1970-01-01 */
  uint64_t ms;
  if (unix_ms < -epoch_ms)
    return 0;
  if (unix_ms > INT64_MAX - epoch_ms)
    return UINT64_MAX;
  ms = (uint64_t)(unix_ms + epoch_ms);
  return ms > UINT64_MAX / 10000 ? UINT64_MAX : ms * 10000;
}

/* ---- Key exchange and MIC ---- */

int rd_ntlm_encrypt_session_key(rd_crypto *c, const uint8_t key_exchange_key[RD_NTLM_KEY_LEN],
                                const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                                uint8_t out[RD_NTLM_KEY_LEN]) {
  EVP_CIPHER_CTX *x;
  bool ok;
  if (c == NULL || key_exchange_key == NULL || exported_session_key == NULL || out == NULL)
    return RD_E_INVALID;
  if ((x = rc4_new(c, key_exchange_key)) == NULL)
    return crypto_failed();
  ok = rc4_apply(x, exported_session_key, RD_NTLM_KEY_LEN, out);
  EVP_CIPHER_CTX_free(x); /* the provider wipes the RC4 state */
  if (!ok) {
    OPENSSL_cleanse(out, RD_NTLM_KEY_LEN);
    return crypto_failed();
  }
  return 0;
}

int rd_ntlm_mic(rd_crypto *c, const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                const uint8_t *negotiate, size_t n1, const uint8_t *challenge, size_t n2,
                const uint8_t *authenticate_zero_mic, size_t n3, uint8_t mic[RD_NTLM_KEY_LEN]) {
  part in[3] = {{negotiate, n1}, {challenge, n2}, {authenticate_zero_mic, n3}};
  if (c == NULL || exported_session_key == NULL || negotiate == NULL || challenge == NULL ||
      authenticate_zero_mic == NULL || mic == NULL)
    return RD_E_INVALID;
  return hmac_md5(c, exported_session_key, in, 3, mic);
}

/* ---- Sign and seal ---- */

struct rd_ntlm_seal {
  rd_crypto *c;
  uint8_t send_sign[16], recv_sign[16];
  EVP_CIPHER_CTX *send_rc4, *recv_rc4;
  uint64_t send_seq, recv_seq; /* wider than the wire's 32 bits, to see the wrap */
  bool key_exch;
  bool spent; /* an unseal failed or a stream broke: the RC4 positions are lost */
};

/* [MS-NLMP] 3.4.5.2 and 3.4.5.3; each magic constant is used with its terminating NUL. */
static const char sign_c2s[] = "session key to client-to-server signing key magic constant";
static const char sign_s2c[] = "session key to server-to-client signing key magic constant";
static const char seal_c2s[] = "session key to client-to-server sealing key magic constant";
static const char seal_s2c[] = "session key to server-to-client sealing key magic constant";
_Static_assert(sizeof(sign_c2s) == sizeof(sign_s2c) && sizeof(seal_c2s) == sizeof(seal_s2c),
               "each direction's constants have one length");

/* MD5(key[0..key_len) ‖ magic with its NUL). */
static int derive(rd_crypto *c, const uint8_t *key, size_t key_len, const char *magic,
                  size_t magic_size, uint8_t out[16]) {
  part in[2] = {{key, key_len}, {(const uint8_t *)magic, magic_size}};
  return digest(c, c->md5, in, 2, out, 16);
}

int rd_ntlm_seal_new(rd_crypto *c, const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                     uint32_t flags, bool is_client, rd_ntlm_seal **out) {
  uint8_t send_seal[16], recv_seal[16];
  /* SEALKEY: the whole key with 128-bit, its first 7 bytes with 56-bit, 5 bytes otherwise. */
  size_t seal_len = (flags & F_128) ? 16 : (flags & F_56) ? 7 : 5;
  rd_ntlm_seal *s;
  int r;
  if (c == NULL || exported_session_key == NULL || out == NULL)
    return RD_E_INVALID;
  *out = NULL;
  if (!(flags & F_ESS))
    return RD_E_INVALID;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    return RD_E_NOMEM;
  s->c = c;
  s->key_exch = (flags & F_KEY_EXCH) != 0;
  if ((r = derive(c, exported_session_key, 16, is_client ? sign_c2s : sign_s2c,
                  sizeof(sign_c2s), s->send_sign)) != 0 ||
      (r = derive(c, exported_session_key, 16, is_client ? sign_s2c : sign_c2s,
                  sizeof(sign_s2c), s->recv_sign)) != 0 ||
      (r = derive(c, exported_session_key, seal_len, is_client ? seal_c2s : seal_s2c,
                  sizeof(seal_c2s), send_seal)) != 0 ||
      (r = derive(c, exported_session_key, seal_len, is_client ? seal_s2c : seal_c2s,
                  sizeof(seal_s2c), recv_seal)) != 0)
    goto out;
  if ((s->send_rc4 = rc4_new(c, send_seal)) == NULL ||
      (s->recv_rc4 = rc4_new(c, recv_seal)) == NULL) {
    r = crypto_failed();
    goto out;
  }
  *out = s;
  s = NULL;
out:
  OPENSSL_cleanse(send_seal, sizeof(send_seal));
  OPENSSL_cleanse(recv_seal, sizeof(recv_seal));
  rd_ntlm_seal_free(s);
  return r;
}

void rd_ntlm_seal_free(rd_ntlm_seal *s) {
  if (s == NULL)
    return;
  EVP_CIPHER_CTX_free(s->send_rc4);
  EVP_CIPHER_CTX_free(s->recv_rc4);
  OPENSSL_cleanse(s, sizeof(*s));
  free(s);
}

/* The signature from mac = HMAC_MD5(SigningKey, seq ‖ plaintext): its first 8 bytes, RC4-encrypted
 * with rc4 when KEY_EXCH ([MS-NLMP] 3.4.4.2). rc4 must already have sealed the message, as the
 * stream carries on from it. */
static int make_signature(const rd_ntlm_seal *s, EVP_CIPHER_CTX *rc4, const uint8_t seq_le[4],
                          const uint8_t mac[16], uint8_t sig[16]) {
  put_u32le(sig, 1); /* NTLMSSP_MESSAGE_SIGNATURE version */
  memcpy(sig + 4, mac, 8);
  memcpy(sig + 12, seq_le, 4);
  if (s->key_exch && !rc4_apply(rc4, sig + 4, 8, sig + 4))
    return crypto_failed();
  return 0;
}

int rd_ntlm_seal_message(rd_ntlm_seal *s, const uint8_t *msg, size_t len, uint8_t *out_msg,
                         uint8_t signature[RD_NTLM_SIGNATURE_LEN]) {
  uint8_t seq_le[4], mac[16];
  part in[2];
  int r;
  if (s == NULL || ((msg == NULL || out_msg == NULL) && len > 0) || signature == NULL)
    return RD_E_INVALID;
  if (s->spent || s->send_seq > UINT32_MAX)
    return RD_E_STATE;
  if (len > INT_MAX)
    return RD_E_TOO_BIG;
  put_u32le(seq_le, (uint32_t)s->send_seq);
  /* The checksum covers the plaintext, so it comes first: out_msg may be msg. */
  in[0] = (part){seq_le, 4};
  in[1] = (part){msg, len};
  if ((r = hmac_md5(s->c, s->send_sign, in, 2, mac)) != 0)
    goto out;
  if (!rc4_apply(s->send_rc4, msg, len, out_msg)) {
    s->spent = true;
    r = crypto_failed();
    goto out;
  }
  if ((r = make_signature(s, s->send_rc4, seq_le, mac, signature)) != 0) {
    s->spent = true;
    goto out;
  }
  s->send_seq++;
out:
  OPENSSL_cleanse(mac, sizeof(mac));
  return r;
}

int rd_ntlm_unseal_message(rd_ntlm_seal *s, const uint8_t *sealed, size_t len,
                           const uint8_t signature[RD_NTLM_SIGNATURE_LEN], uint8_t *out_msg) {
  uint8_t seq_le[4], mac[16], expect[16];
  part in[2];
  int r;
  if (s == NULL || ((sealed == NULL || out_msg == NULL) && len > 0) || signature == NULL)
    return RD_E_INVALID;
  if (s->spent || s->recv_seq > UINT32_MAX)
    return RD_E_STATE;
  if (len > INT_MAX)
    return RD_E_TOO_BIG;
  /* From here on the receiving stream moves: any failure spends the state. */
  s->spent = true;
  put_u32le(seq_le, (uint32_t)s->recv_seq);
  if (!rc4_apply(s->recv_rc4, sealed, len, out_msg)) {
    r = crypto_failed();
    goto out;
  }
  in[0] = (part){seq_le, 4};
  in[1] = (part){out_msg, len};
  if ((r = hmac_md5(s->c, s->recv_sign, in, 2, mac)) != 0 ||
      (r = make_signature(s, s->recv_rc4, seq_le, mac, expect)) != 0)
    goto out;
  if (CRYPTO_memcmp(expect, signature, sizeof(expect)) != 0) {
    r = RD_E_MALFORMED;
    goto out;
  }
  s->spent = false;
  s->recv_seq++;
out:
  if (r != 0 && len > 0)
    OPENSSL_cleanse(out_msg, len);
  OPENSSL_cleanse(mac, sizeof(mac));
  OPENSSL_cleanse(expect, sizeof(expect));
  return r;
}

/* ---- CredSSP binding ---- */

/* [MS-CSSP] 3.1.5: 38 bytes each with the NUL, which is hashed too. */
static const char client_magic[] = "CredSSP Client-To-Server Binding Hash";
static const char server_magic[] = "CredSSP Server-To-Client Binding Hash";

static int binding_hash(rd_crypto *c, const char *magic, size_t magic_size,
                        const uint8_t nonce[RD_CREDSSP_NONCE_LEN], const uint8_t *pubkey,
                        size_t n, uint8_t out[RD_CREDSSP_HASH_LEN]) {
  if (c == NULL || nonce == NULL || (pubkey == NULL && n > 0) || out == NULL)
    return RD_E_INVALID;
  part in[3] = {{(const uint8_t *)magic, magic_size}, {nonce, RD_CREDSSP_NONCE_LEN}, {pubkey, n}};
  return digest(c, c->sha256, in, 3, out, RD_CREDSSP_HASH_LEN);
}

int rd_credssp_client_hash(rd_crypto *c, const uint8_t nonce[RD_CREDSSP_NONCE_LEN],
                           const uint8_t *pubkey, size_t n, uint8_t out[RD_CREDSSP_HASH_LEN]) {
  return binding_hash(c, client_magic, sizeof(client_magic), nonce, pubkey, n, out);
}

int rd_credssp_server_hash(rd_crypto *c, const uint8_t nonce[RD_CREDSSP_NONCE_LEN],
                           const uint8_t *pubkey, size_t n, uint8_t out[RD_CREDSSP_HASH_LEN]) {
  return binding_hash(c, server_magic, sizeof(server_magic), nonce, pubkey, n, out);
}

int rd_credssp_pubkey_plus_one(const uint8_t *pubkey, size_t n, uint8_t *out) {
  if (pubkey == NULL || out == NULL || n == 0)
    return RD_E_INVALID;
  if (out != pubkey)
    memmove(out, pubkey, n);
  for (size_t i = 0; i < n; i++)
    if (++out[i] != 0)
      break;
  return 0;
}
