/* Standard RDP Security and licensing cryptography on libcrypto: see rdpsec.h for the contract. */
#define RD_RDPSEC_INTERNAL
#include "auth/rdpsec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "auth/cryptoctx.h"
#include "core/err.h"


#define RSA_MAX_BYTES 2048

/* The Terminal Services signing key (5.3.3.1.1), little-endian: a 512-bit modulus and the public
 * exponent 0xc0887b5b. */
static const uint8_t tssk_modulus[64] = {
    0x3d, 0x3a, 0x5e, 0xbd, 0x72, 0x43, 0x3e, 0xc9, 0x4d, 0xbb, 0xc1, 0x1e, 0x4a, 0xba, 0x5f, 0xcb,
    0x3e, 0x88, 0x20, 0x87, 0xef, 0xf5, 0xc1, 0xe2, 0xd7, 0xb7, 0x6b, 0x9a, 0xf2, 0x52, 0x45, 0x95,
    0xce, 0x63, 0x65, 0x6b, 0x58, 0x3a, 0xfe, 0xef, 0x7c, 0xe7, 0xbf, 0xfe, 0x3d, 0xf6, 0x5c, 0x7d,
    0x6c, 0x5e, 0x06, 0x09, 0x1a, 0xf5, 0x61, 0xbb, 0x20, 0x93, 0x09, 0x5f, 0x05, 0x6d, 0xea, 0x87,
};
static const uint8_t tssk_exponent[4] = {0x5b, 0x7b, 0x88, 0xc0};

/* 5.3.6.1 */
#define PAD1_LEN 40
#define PAD2_LEN 48
static const uint8_t fips_iv[8] = {0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef}; /* 5.3.6.2 */

static int crypto_failed(void) {
  ERR_clear_error();
  return RD_E_NOMEM;
}

/* ---- The library context ---- */

rd_rdpsec_lib *rd_rdpsec_lib_new(const char **why) { return rd_crypto_new(why); }

void rd_rdpsec_lib_free(rd_rdpsec_lib *l) { rd_crypto_free(l); }

int rd_rdpsec_random(rd_rdpsec_lib *l, uint8_t *out, size_t n) {
  if (l == NULL || (out == NULL && n > 0))
    return RD_E_INVALID;
  if (n > 0 && RAND_bytes_ex(l->lib, out, n, 0) != 1) {
    OPENSSL_cleanse(out, n);
    return crypto_failed();
  }
  return 0;
}

/* ---- Primitives ---- */

typedef struct part {
  const uint8_t *p;
  size_t n;
} part;

static int digest(const EVP_MD *md, const part *parts, size_t count, uint8_t *out,
                  unsigned int out_len) {
  EVP_MD_CTX *d = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = d != NULL && EVP_DigestInit_ex2(d, md, NULL) == 1;
  for (size_t i = 0; ok && i < count; i++)
    ok = parts[i].n == 0 || EVP_DigestUpdate(d, parts[i].p, parts[i].n) == 1;
  ok = ok && EVP_DigestFinal_ex(d, out, &len) == 1 && len == out_len;
  EVP_MD_CTX_free(d);
  if (!ok) {
    OPENSSL_cleanse(out, out_len);
    return crypto_failed();
  }
  return 0;
}

static int hmac_sha1(rd_rdpsec_lib *l, const uint8_t *key, size_t key_len, const part *parts,
                     size_t count, uint8_t out[20]) {
  static char sha1_name[] = "SHA1";
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha1_name, 0),
                          OSSL_PARAM_construct_end()};
  EVP_MAC_CTX *m = EVP_MAC_CTX_new(l->hmac);
  size_t len = 0;
  bool ok = m != NULL && EVP_MAC_init(m, key, key_len, params) == 1;
  for (size_t i = 0; ok && i < count; i++)
    ok = parts[i].n == 0 || EVP_MAC_update(m, parts[i].p, parts[i].n) == 1;
  ok = ok && EVP_MAC_final(m, out, &len, 20) == 1 && len == 20;
  EVP_MAC_CTX_free(m);
  if (!ok) {
    OPENSSL_cleanse(out, 20);
    return crypto_failed();
  }
  return 0;
}

/* An RC4 stream keyed with key_len bytes. */
static EVP_CIPHER_CTX *rc4_new(rd_rdpsec_lib *l, const uint8_t *key, size_t key_len) {
  OSSL_PARAM params[2];
  size_t klen = key_len;
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_KEYLEN, &klen);
  params[1] = OSSL_PARAM_construct_end();
  if (x != NULL && (EVP_EncryptInit_ex2(x, l->rc4, NULL, NULL, NULL) != 1 ||
                    EVP_CIPHER_CTX_set_params(x, params) != 1 ||
                    EVP_EncryptInit_ex2(x, NULL, key, NULL, NULL) != 1)) {
    EVP_CIPHER_CTX_free(x);
    x = NULL;
  }
  return x;
}

static bool cipher_apply(EVP_CIPHER_CTX *x, const uint8_t *in, size_t n, uint8_t *out) {
  int len = 0;
  if (n == 0)
    return true;
  if (n > INT_MAX)
    return false;
  return EVP_CipherUpdate(x, out, &len, in, (int)n) == 1 && (size_t)len == n;
}

static void put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* SaltedHash(S, I) = MD5(S ‖ SHA1(I ‖ S ‖ R1 ‖ R2)) with the 48-byte S; R1, R2 are the two randoms
 * in the order the caller's section gives (5.3.5.1; [MS-RDPELE] 5.1.2 swaps them for the blob). */
static int salted_hash(rd_rdpsec_lib *l, const uint8_t s[48], const char *salt, size_t salt_len,
                       const uint8_t r1[32], const uint8_t r2[32], uint8_t out[16]) {
  uint8_t sha[20];
  part inner[4] = {{(const uint8_t *)salt, salt_len}, {s, 48}, {r1, 32}, {r2, 32}};
  part outer[2] = {{s, 48}, {sha, 20}};
  int r = digest(l->sha1, inner, 4, sha, 20);
  if (r == 0)
    r = digest(l->md5, outer, 2, out, 16);
  OPENSSL_cleanse(sha, sizeof(sha));
  return r;
}

/* Three SaltedHash blocks with salts "A"/"BB"/"CCC" shifted by first ('A' or 'X'): 48 bytes. */
static int triple_hash(rd_rdpsec_lib *l, const uint8_t s[48], char first, const uint8_t r1[32],
                       const uint8_t r2[32], uint8_t out[48]) {
  char salt[3];
  int r = 0;
  for (int i = 0; i < 3 && r == 0; i++) {
    memset(salt, first + i, sizeof(salt));
    r = salted_hash(l, s, salt, (size_t)i + 1, r1, r2, out + 16 * i);
  }
  if (r != 0)
    OPENSSL_cleanse(out, 48);
  return r;
}

/* MD5(key ‖ Pad2 ‖ SHA1(key ‖ Pad1 ‖ extra[0] ‖ … )): the MAC of 5.3.6.1 and the key update
 * of 5.3.7.1 share this shape. */
static int pad_hash(rd_rdpsec_lib *l, const uint8_t *key, size_t key_len, const part *extra,
                    size_t count, uint8_t out[16]) {
  uint8_t pad1[PAD1_LEN], pad2[PAD2_LEN], sha[20];
  part inner[6], outer[3];
  int r;
  if (count > 4)
    return RD_E_INVALID;
  memset(pad1, 0x36, sizeof(pad1));
  memset(pad2, 0x5c, sizeof(pad2));
  inner[0] = (part){key, key_len};
  inner[1] = (part){pad1, sizeof(pad1)};
  for (size_t i = 0; i < count; i++)
    inner[2 + i] = extra[i];
  outer[0] = (part){key, key_len};
  outer[1] = (part){pad2, sizeof(pad2)};
  outer[2] = (part){sha, sizeof(sha)};
  r = digest(l->sha1, inner, 2 + count, sha, 20);
  if (r == 0)
    r = digest(l->md5, outer, 3, out, 16);
  OPENSSL_cleanse(sha, sizeof(sha));
  return r;
}

/* ---- RSA ---- */

int rd_rdpsec_rsa_raw(rd_rdpsec_lib *l, const uint8_t *in, size_t in_len, const uint8_t *modulus,
                      size_t mod_len, const uint8_t *exp, size_t exp_len, uint8_t *out,
                      size_t out_cap) {
  BN_CTX *bc = NULL;
  BIGNUM *m = NULL, *n = NULL, *e = NULL, *res = NULL;
  int r = RD_E_INVALID;
  if (l == NULL || in == NULL || modulus == NULL || exp == NULL || out == NULL || in_len == 0 ||
      mod_len == 0 || exp_len == 0 || in_len > RSA_MAX_BYTES || mod_len > RSA_MAX_BYTES ||
      exp_len > RSA_MAX_BYTES || out_cap < mod_len)
    return RD_E_INVALID;
  if ((bc = BN_CTX_new_ex(l->lib)) == NULL || (m = BN_lebin2bn(in, (int)in_len, NULL)) == NULL ||
      (n = BN_lebin2bn(modulus, (int)mod_len, NULL)) == NULL ||
      (e = BN_lebin2bn(exp, (int)exp_len, NULL)) == NULL || (res = BN_new()) == NULL) {
    r = crypto_failed();
    goto out;
  }
  if (BN_is_zero(n) || BN_cmp(m, n) >= 0)
    goto out; /* RD_E_INVALID */
  if (BN_mod_exp(res, m, e, n, bc) != 1 || BN_bn2lebinpad(res, out, (int)mod_len) != (int)mod_len) {
    OPENSSL_cleanse(out, mod_len);
    r = crypto_failed();
    goto out;
  }
  r = 0;
out:
  BN_clear_free(m);
  BN_free(n);
  BN_free(e);
  BN_clear_free(res);
  BN_CTX_free(bc);
  return r;
}

int rd_rdpsec_encrypt_random(rd_rdpsec_lib *l, const rd_sec_rsa_key *key, const uint8_t *data,
                             size_t n, uint8_t *out, size_t out_cap, size_t *out_len) {
  uint8_t exp[4];
  int r;
  if (key == NULL || out_len == NULL || key->modulus == NULL)
    return RD_E_INVALID;
  put_u32le(exp, key->pub_exp);
  r = rd_rdpsec_rsa_raw(l, data, n, key->modulus, key->modulus_len, exp, sizeof(exp), out, out_cap);
  if (r == 0)
    *out_len = key->modulus_len;
  return r;
}

int rd_rdpsec_verify_proprietary(rd_rdpsec_lib *l, const rd_sec_server_cert *cert) {
  uint8_t hash[16], plain[64];
  const uint8_t *sig;
  int r;
  if (l == NULL || cert == NULL || cert->version != RD_SEC_CERT_CHAIN_VERSION_1)
    return RD_E_INVALID;
  if (rd_cur_len(&cert->signature) != 72)
    return RD_E_MALFORMED;
  sig = rd_cur_data(&cert->signature);
  for (size_t i = 64; i < 72; i++)
    if (sig[i] != 0)
      return RD_E_MALFORMED;
  part in = {rd_cur_data(&cert->signed_part), rd_cur_len(&cert->signed_part)};
  if ((r = digest(l->md5, &in, 1, hash, 16)) != 0)
    return r;
  r = rd_rdpsec_rsa_raw(l, sig, 64, tssk_modulus, sizeof(tssk_modulus), tssk_exponent,
                        sizeof(tssk_exponent), plain, sizeof(plain));
  if (r == RD_E_INVALID)
    return RD_E_MALFORMED; /* a signature not below the modulus was not made with the key */
  if (r != 0)
    return r;
  bool ok = CRYPTO_memcmp(plain, hash, 16) == 0 && plain[16] == 0x00 && plain[62] == 0x01 &&
            plain[63] == 0x00;
  for (size_t i = 17; i < 62; i++)
    ok = ok && plain[i] == 0xff;
  return ok ? 0 : RD_E_MALFORMED;
}

int rd_rdpsec_x509_key(rd_rdpsec_lib *l, const uint8_t *der, size_t n, uint8_t *modulus, size_t cap,
                       rd_sec_rsa_key *key) {
  const unsigned char *p = der;
  X509 *x = NULL;
  BIGNUM *bn_n = NULL, *bn_e = NULL;
  int r = RD_E_MALFORMED;
  if (l == NULL || der == NULL || modulus == NULL || key == NULL || n == 0 || n > LONG_MAX)
    return RD_E_INVALID;
  /* d2i stops at the end of the first SEQUENCE: what follows is not this certificate. */
  if ((x = d2i_X509(NULL, &p, (long)n)) == NULL || p != der + n)
    goto out;
  EVP_PKEY *pk = X509_get0_pubkey(x);
  if (pk == NULL)
    goto out;
  r = RD_E_UNSUPPORTED;
  if (!EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn_n) != 1 ||
      EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &bn_e) != 1 || BN_num_bits(bn_e) > 32 ||
      BN_is_zero(bn_n))
    goto out;
  size_t len = (size_t)BN_num_bytes(bn_n);
  r = RD_E_TOO_BIG;
  if (len > cap || len > RSA_MAX_BYTES)
    goto out;
  if (BN_bn2lebinpad(bn_n, modulus, (int)len) != (int)len) {
    r = crypto_failed();
    goto out;
  }
  memset(key, 0, sizeof(*key));
  key->modulus = modulus;
  key->modulus_len = len;
  key->bitlen = (uint32_t)len * 8;
  key->keylen = key->bitlen / 8 + 8;
  key->datalen = key->bitlen / 8 - 1;
  key->pub_exp = (uint32_t)BN_get_word(bn_e);
  r = 0;
out:
  BN_free(bn_n);
  BN_free(bn_e);
  X509_free(x);
  ERR_clear_error();
  return r;
}

/* ---- Sessions ---- */

typedef struct direction {
  EVP_CIPHER_CTX *x;
  uint8_t initial[16], current[16]; /* RC4 keys (5.3.7) */
  uint32_t uses;                    /* packets since the last key (re)start */
  uint64_t count;                   /* packets in all: the salted MAC's and FIPS's counter */
} direction;

struct rd_rdpsec_session {
  rd_rdpsec_lib *l;
  uint32_t method;
  size_t key_len;   /* RC4: 8 or 16 */
  uint8_t mac_key[20]; /* MACKeyN (key_len bytes) or the FIPS HMAC key (20) */
  uint8_t fips_enc[24], fips_dec[24];
  direction send, recv;
  bool spent;
};

/* The 40- and 56-bit reductions (5.3.5.3): the first 64 bits with a fixed salt in front. */
static void reduce(uint32_t method, uint8_t key[8]) {
  if (method == RD_RDPSEC_METHOD_40BIT) {
    key[0] = 0xd1;
    key[1] = 0x26;
    key[2] = 0x9e;
  } else if (method == RD_RDPSEC_METHOD_56BIT) {
    key[0] = 0xd1;
  }
}

/* 168 key bits to 24 DES key bytes (5.3.5.2): each output byte takes the next 7 bits of the key,
 * read from the lowest bit of each byte upward, into its bits 0-6, and is then given odd parity in
 * bit 0. That last step overwrites the first of the 7 bits: it is what Windows and FreeRDP do, and
 * DES ignores the parity bit anyway, so the effective bits are what both sides agree on. */
static void fips_expand(const uint8_t in[21], uint8_t out[24]) {
  for (size_t i = 0; i < 24; i++) {
    uint8_t v = 0;
    for (size_t j = 0; j < 7; j++) {
      size_t bit = 7 * i + j;
      v |= (uint8_t)(((in[bit / 8] >> (bit % 8)) & 1u) << j);
    }
    v &= 0xfe;
    if (__builtin_popcount(v) % 2 == 0)
      v |= 1;
    out[i] = v;
  }
}

static int fips_keys(rd_rdpsec_session *s, bool is_client, const uint8_t cr[32],
                     const uint8_t sr[32]) {
  uint8_t enc_t[21], dec_t[21]; /* the client's; SHA-1 output and its first byte repeated */
  part e_in[2] = {{cr + 16, 16}, {sr + 16, 16}};
  part d_in[2] = {{cr, 16}, {sr, 16}};
  part h_in[2] = {{dec_t, 20}, {enc_t, 20}};
  int r;
  if ((r = digest(s->l->sha1, e_in, 2, enc_t, 20)) != 0 ||
      (r = digest(s->l->sha1, d_in, 2, dec_t, 20)) != 0 ||
      (r = digest(s->l->sha1, h_in, 2, s->mac_key, 20)) != 0)
    goto out;
  enc_t[20] = enc_t[0];
  dec_t[20] = dec_t[0];
  fips_expand(is_client ? enc_t : dec_t, s->fips_enc);
  fips_expand(is_client ? dec_t : enc_t, s->fips_dec);
  s->send.x = EVP_CIPHER_CTX_new();
  s->recv.x = EVP_CIPHER_CTX_new();
  if (s->send.x == NULL || s->recv.x == NULL ||
      EVP_CipherInit_ex2(s->send.x, s->l->des3, s->fips_enc, fips_iv, 1, NULL) != 1 ||
      EVP_CipherInit_ex2(s->recv.x, s->l->des3, s->fips_dec, fips_iv, 0, NULL) != 1 ||
      EVP_CIPHER_CTX_set_padding(s->send.x, 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(s->recv.x, 0) != 1)
    r = crypto_failed();
out:
  OPENSSL_cleanse(enc_t, sizeof(enc_t));
  OPENSSL_cleanse(dec_t, sizeof(dec_t));
  return r;
}

static int rc4_keys(rd_rdpsec_session *s, bool is_client, const uint8_t cr[32],
                    const uint8_t sr[32]) {
  uint8_t pre[48], master[48], blob[48], k1[16], k2[16];
  part f1[3] = {{blob + 16, 16}, {cr, 32}, {sr, 32}};
  part f2[3] = {{blob + 32, 16}, {cr, 32}, {sr, 32}};
  int r;
  memcpy(pre, cr, 24);
  memcpy(pre + 24, sr, 24);
  if ((r = triple_hash(s->l, pre, 'A', cr, sr, master)) != 0 ||
      (r = triple_hash(s->l, master, 'X', cr, sr, blob)) != 0 ||
      (r = digest(s->l->md5, f1, 3, k1, 16)) != 0 || /* FinalHash(Second128Bits) */
      (r = digest(s->l->md5, f2, 3, k2, 16)) != 0)   /* FinalHash(Third128Bits) */
    goto out;
  memcpy(s->mac_key, blob, 16);
  /* The client encrypts with the third 128 bits, the server with the second. */
  memcpy(s->send.initial, is_client ? k2 : k1, 16);
  memcpy(s->recv.initial, is_client ? k1 : k2, 16);
  reduce(s->method, s->mac_key);
  reduce(s->method, s->send.initial);
  reduce(s->method, s->recv.initial);
  memcpy(s->send.current, s->send.initial, 16);
  memcpy(s->recv.current, s->recv.initial, 16);
  if ((s->send.x = rc4_new(s->l, s->send.current, s->key_len)) == NULL ||
      (s->recv.x = rc4_new(s->l, s->recv.current, s->key_len)) == NULL)
    r = crypto_failed();
out:
  OPENSSL_cleanse(pre, sizeof(pre));
  OPENSSL_cleanse(master, sizeof(master));
  OPENSSL_cleanse(blob, sizeof(blob));
  OPENSSL_cleanse(k1, sizeof(k1));
  OPENSSL_cleanse(k2, sizeof(k2));
  return r;
}

int rd_rdpsec_session_new(rd_rdpsec_lib *l, uint32_t method, bool is_client,
                          const uint8_t client_random[RD_SEC_RANDOM_LEN],
                          const uint8_t server_random[RD_SEC_RANDOM_LEN],
                          rd_rdpsec_session **out) {
  rd_rdpsec_session *s;
  int r;
  if (l == NULL || client_random == NULL || server_random == NULL || out == NULL)
    return RD_E_INVALID;
  *out = NULL;
  if (method != RD_RDPSEC_METHOD_40BIT && method != RD_RDPSEC_METHOD_56BIT &&
      method != RD_RDPSEC_METHOD_128BIT && method != RD_RDPSEC_METHOD_FIPS)
    return RD_E_INVALID;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    return RD_E_NOMEM;
  s->l = l;
  s->method = method;
  s->key_len = method == RD_RDPSEC_METHOD_128BIT ? 16 : method == RD_RDPSEC_METHOD_FIPS ? 20 : 8;
  r = method == RD_RDPSEC_METHOD_FIPS ? fips_keys(s, is_client, client_random, server_random)
                                      : rc4_keys(s, is_client, client_random, server_random);
  if (r != 0) {
    rd_rdpsec_session_free(s);
    return r;
  }
  *out = s;
  return 0;
}

void rd_rdpsec_session_free(rd_rdpsec_session *s) {
  if (s == NULL)
    return;
  EVP_CIPHER_CTX_free(s->send.x);
  EVP_CIPHER_CTX_free(s->recv.x);
  OPENSSL_cleanse(s, sizeof(*s));
  free(s);
}

void rd_rdpsec_session_keys(const rd_rdpsec_session *s, uint8_t mac_key[16], uint8_t enc[24],
                            uint8_t dec[24], size_t *key_len) {
  memcpy(mac_key, s->mac_key, 16);
  if (s->method == RD_RDPSEC_METHOD_FIPS) {
    memcpy(enc, s->fips_enc, 24);
    memcpy(dec, s->fips_dec, 24);
    *key_len = 24;
  } else {
    memcpy(enc, s->send.current, 16);
    memcpy(dec, s->recv.current, 16);
    *key_len = s->key_len;
  }
}

size_t rd_rdpsec_pad_len(const rd_rdpsec_session *s, size_t n) {
  return s != NULL && s->method == RD_RDPSEC_METHOD_FIPS ? (8 - n % 8) % 8 : 0;
}

static int mac_of(rd_rdpsec_session *s, const direction *d, const uint8_t *data, size_t n,
                  bool salted, uint8_t mac[RD_SEC_MAC_LEN]) {
  uint8_t len_le[4], count_le[4], full[20];
  int r;
  if (n > UINT32_MAX)
    return RD_E_TOO_BIG;
  put_u32le(len_le, (uint32_t)n);
  put_u32le(count_le, (uint32_t)d->count);
  if (s->method == RD_RDPSEC_METHOD_FIPS) {
    part in[2] = {{data, n}, {count_le, 4}};
    r = hmac_sha1(s->l, s->mac_key, 20, in, 2, full);
  } else {
    part in[3] = {{len_le, 4}, {data, n}, {count_le, 4}};
    r = pad_hash(s->l, s->mac_key, s->key_len, in, salted ? 3 : 2, full);
  }
  if (r == 0)
    memcpy(mac, full, RD_SEC_MAC_LEN);
  OPENSSL_cleanse(full, sizeof(full));
  return r;
}

int rd_rdpsec_sign(rd_rdpsec_session *s, const uint8_t *data, size_t n, bool salted,
                   uint8_t mac[RD_SEC_MAC_LEN]) {
  if (s == NULL || (data == NULL && n > 0) || mac == NULL)
    return RD_E_INVALID;
  return mac_of(s, &s->send, data, n, salted, mac);
}

int rd_rdpsec_verify(rd_rdpsec_session *s, const uint8_t *data, size_t n, bool salted,
                     const uint8_t mac[RD_SEC_MAC_LEN]) {
  uint8_t want[RD_SEC_MAC_LEN];
  int r;
  if (s == NULL || (data == NULL && n > 0) || mac == NULL)
    return RD_E_INVALID;
  if ((r = mac_of(s, &s->recv, data, n, salted, want)) != 0)
    return r;
  r = CRYPTO_memcmp(want, mac, RD_SEC_MAC_LEN) == 0 ? 0 : RD_E_MALFORMED;
  OPENSSL_cleanse(want, sizeof(want));
  return r;
}

/* 5.3.7.1: a new RC4 key from the initial and current ones, and a fresh stream keyed with it. */
static int update_key(rd_rdpsec_session *s, direction *d) {
  uint8_t temp[16];
  EVP_CIPHER_CTX *x;
  part in[1] = {{d->current, s->key_len}};
  int r = pad_hash(s->l, d->initial, s->key_len, in, 1, temp);
  if (r != 0)
    return r;
  x = rc4_new(s->l, temp, s->key_len);
  if (x == NULL || !cipher_apply(x, temp, s->key_len, d->current)) {
    EVP_CIPHER_CTX_free(x);
    OPENSSL_cleanse(temp, sizeof(temp));
    return crypto_failed();
  }
  EVP_CIPHER_CTX_free(x);
  OPENSSL_cleanse(temp, sizeof(temp));
  reduce(s->method, d->current);
  EVP_CIPHER_CTX_free(d->x);
  if ((d->x = rc4_new(s->l, d->current, s->key_len)) == NULL)
    return crypto_failed();
  d->uses = 0;
  return 0;
}

/* Before each packet: the key update when the key has served its 4096 packets (RC4 only). */
static int before_packet(rd_rdpsec_session *s, direction *d) {
  if (s->method != RD_RDPSEC_METHOD_FIPS && d->uses >= RD_RDPSEC_UPDATE_INTERVAL)
    return update_key(s, d);
  return 0;
}

int rd_rdpsec_encrypt(rd_rdpsec_session *s, const uint8_t *in, size_t n, bool salted,
                      uint8_t *out, size_t out_cap, uint8_t mac[RD_SEC_MAC_LEN], uint8_t *pad_len) {
  size_t pad;
  int r;
  if (s == NULL || ((in == NULL || out == NULL) && n > 0) || mac == NULL || pad_len == NULL)
    return RD_E_INVALID;
  if (s->spent || s->send.count >= UINT32_MAX)
    return RD_E_STATE;
  if (n > INT_MAX - 8)
    return RD_E_TOO_BIG;
  pad = rd_rdpsec_pad_len(s, n);
  if (out_cap < n + pad)
    return RD_E_INVALID;
  if ((r = mac_of(s, &s->send, in, n, salted, mac)) != 0)
    return r;
  s->spent = true; /* until the stream has moved as it should */
  if ((r = before_packet(s, &s->send)) != 0)
    return r;
  if (n > 0 && out != in)
    memmove(out, in, n);
  if (pad > 0)
    memset(out + n, 0, pad);
  if (!cipher_apply(s->send.x, out, n + pad, out))
    return crypto_failed();
  s->send.uses++;
  s->send.count++;
  s->spent = false;
  *pad_len = (uint8_t)pad;
  return 0;
}

int rd_rdpsec_decrypt(rd_rdpsec_session *s, const uint8_t *in, size_t n, uint8_t pad_len,
                      bool salted, const uint8_t mac[RD_SEC_MAC_LEN], uint8_t *out,
                      size_t *out_len) {
  bool fips;
  int r;
  if (s == NULL || ((in == NULL || out == NULL) && n > 0) || mac == NULL || out_len == NULL)
    return RD_E_INVALID;
  if (s->spent || s->recv.count >= UINT32_MAX)
    return RD_E_STATE;
  if (n > INT_MAX)
    return RD_E_TOO_BIG;
  fips = s->method == RD_RDPSEC_METHOD_FIPS;
  if (fips ? (n % 8 != 0 || pad_len > 7 || pad_len > n) : pad_len != 0)
    return RD_E_MALFORMED;
  s->spent = true;
  if ((r = before_packet(s, &s->recv)) != 0)
    goto fail;
  if (!cipher_apply(s->recv.x, in, n, out)) {
    r = crypto_failed();
    goto fail;
  }
  if ((r = rd_rdpsec_verify(s, out, n - pad_len, salted, mac)) != 0)
    goto fail;
  s->recv.uses++;
  s->recv.count++;
  s->spent = false;
  *out_len = n - pad_len;
  return 0;
fail:
  if (n > 0)
    OPENSSL_cleanse(out, n);
  return r;
}

/* ---- Licensing ---- */

int rd_rdpsec_license_keys(rd_rdpsec_lib *l, const uint8_t client_random[RD_SEC_RANDOM_LEN],
                           const uint8_t server_random[RD_SEC_RANDOM_LEN],
                           const uint8_t premaster[RD_RDPSEC_PREMASTER_LEN],
                           uint8_t mac_salt_key[RD_RDPSEC_LICENSE_KEY_LEN],
                           uint8_t license_key[RD_RDPSEC_LICENSE_KEY_LEN]) {
  uint8_t master[48], blob[48], key[16];
  int r;
  if (l == NULL || client_random == NULL || server_random == NULL || premaster == NULL ||
      mac_salt_key == NULL || license_key == NULL)
    return RD_E_INVALID;
  part in[3] = {{blob + 16, 16}, {client_random, 32}, {server_random, 32}};
  /* The master secret salts with client then server random, the blob with server then client. */
  if ((r = triple_hash(l, premaster, 'A', client_random, server_random, master)) != 0 ||
      (r = triple_hash(l, master, 'A', server_random, client_random, blob)) != 0 ||
      (r = digest(l->md5, in, 3, key, 16)) != 0)
    goto out;
  memcpy(mac_salt_key, blob, 16);
  memcpy(license_key, key, 16);
out:
  OPENSSL_cleanse(master, sizeof(master));
  OPENSSL_cleanse(blob, sizeof(blob));
  OPENSSL_cleanse(key, sizeof(key));
  return r;
}

int rd_rdpsec_license_mac(rd_rdpsec_lib *l, const uint8_t mac_salt_key[RD_RDPSEC_LICENSE_KEY_LEN],
                          const uint8_t *data, size_t n, uint8_t mac[RD_RDPSEC_LICENSE_MAC_LEN]) {
  uint8_t len_le[4];
  if (l == NULL || mac_salt_key == NULL || (data == NULL && n > 0) || mac == NULL)
    return RD_E_INVALID;
  if (n > UINT32_MAX)
    return RD_E_TOO_BIG;
  put_u32le(len_le, (uint32_t)n);
  part in[2] = {{len_le, 4}, {data, n}};
  return pad_hash(l, mac_salt_key, RD_RDPSEC_LICENSE_KEY_LEN, in, 2, mac);
}

int rd_rdpsec_license_rc4(rd_rdpsec_lib *l, const uint8_t license_key[RD_RDPSEC_LICENSE_KEY_LEN],
                          const uint8_t *in, size_t n, uint8_t *out) {
  EVP_CIPHER_CTX *x;
  bool ok;
  if (l == NULL || license_key == NULL || ((in == NULL || out == NULL) && n > 0))
    return RD_E_INVALID;
  if (n > INT_MAX)
    return RD_E_TOO_BIG;
  if ((x = rc4_new(l, license_key, RD_RDPSEC_LICENSE_KEY_LEN)) == NULL)
    return crypto_failed();
  ok = cipher_apply(x, in, n, out);
  EVP_CIPHER_CTX_free(x);
  if (!ok) {
    OPENSSL_cleanse(out, n);
    return crypto_failed();
  }
  return 0;
}
