/* The authenticated CredSSP steps (src/probe/credssp_auth.c) against a server written here from
 * the same primitives: it checks the NTLMv2 proof from the password, the MIC, the sealed binding,
 * answers with its own binding, and unseals the credentials. Both the v5+ hash binding and the
 * v2-v4 "key + 1" binding. The CHALLENGE is MS-NLMP 4.2.4.3's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/cur.h"
#include "core/ntlm.h"
#include "core/tsrequest.h"
#include "probe/credssp_auth.h"

static const uint8_t challenge[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x38,
    0x00, 0x00, 0x00, 0x33, 0x82, 0x8a, 0xe2, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x24, 0x00, 0x44, 0x00, 0x00, 0x00, 0x06, 0x00, 0x70,
    0x17, 0x00, 0x00, 0x00, 0x0f, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00,
    0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x01,
    0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, 0x00, 0x00,
    0x00, 0x00};
static const uint8_t server_challenge[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
/* nmap's NEGOTIATE message (reference §4.5). */
static const uint8_t negotiate[] = {0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb7, 0x82,
                                    0x08, 0xe2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0x0a, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0f};

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t k) {
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0)
      return true;
  return false;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A field of the AUTHENTICATE message: Len(2) MaxLen(2) Offset(4) at `at`. */
static const uint8_t *field(const uint8_t *msg, size_t n, size_t at, size_t *len) {
  *len = le16(msg + at);
  size_t off = le32(msg + at + 4);
  assert_true(off + *len <= n);
  return msg + off;
}

typedef struct server {
  rd_crypto *crypto;
  rd_ntlm_seal *seal;
  uint8_t nonce[32];
} server;

/* Verifies the AUTHENTICATE and the client's binding as a server would; returns its sealing state. */
static void server_accepts(server *s, rd_credssp_auth *a, const uint8_t *req, size_t req_len, const uint8_t *pubkey,
                           size_t pubkey_len, int64_t version) {
  rd_cur c;
  rd_tsrequest ts;
  rd_cur_init(&c, req, req_len);
  assert_int_equal(rd_tsrequest_decode(&c, &ts), 0);
  assert_true(ts.nego_present && ts.pub_key_auth_present);
  assert_int_equal(ts.client_nonce_present, version >= 5);
  const uint8_t *auth = rd_cur_data(&ts.nego_token);
  size_t auth_len = rd_cur_len(&ts.nego_token), nt_len, esk_len, user_len;
  assert_memory_equal(auth, "NTLMSSP\0\3\0\0\0", 12);
  const uint8_t *nt = field(auth, auth_len, 20, &nt_len);
  const uint8_t *esk = field(auth, auth_len, 52, &esk_len);
  const uint8_t *user = field(auth, auth_len, 36, &user_len);
  assert_int_equal(user_len, 8);
  assert_memory_equal(user, "U\0s\0e\0r\0", 8);
  uint32_t flags = le32(auth + 60);

  /* The proof: the server knows the password and recomputes NTProofStr over the client's blob. */
  uint8_t key[16], proof[16], base[16], exported[16], mic[16], resp[1024];
  size_t resp_len;
  assert_int_equal(rd_ntowfv2(s->crypto, "Password", "User", "Domain", key), 0);
  uint64_t ts_client = (uint64_t)le32(nt + 24) | (uint64_t)le32(nt + 28) << 32;
  assert_int_equal(rd_ntlmv2_response(s->crypto, key, server_challenge, nt + 32, ts_client, nt + 44, nt_len - 48, resp,
                                      sizeof resp, &resp_len, proof, base),
                   0);
  assert_int_equal(resp_len, nt_len);
  assert_memory_equal(resp, nt, nt_len);
  /* The session key, and the MIC over the three messages. */
  assert_int_equal(esk_len, 16);
  assert_int_equal(rd_ntlm_encrypt_session_key(s->crypto, base, esk, exported), 0); /* RC4 is its own inverse */
  uint8_t *zeroed = malloc(auth_len);
  memcpy(zeroed, auth, auth_len);
  memset(zeroed + 72, 0, 16);
  assert_int_equal(rd_ntlm_mic(s->crypto, exported, negotiate, sizeof negotiate, challenge, sizeof challenge, zeroed,
                               auth_len, mic),
                   0);
  free(zeroed);
  assert_memory_equal(auth + 72, mic, 16);
  /* The client's binding. */
  assert_int_equal(rd_ntlm_seal_new(s->crypto, exported, flags, false, &s->seal), 0);
  const uint8_t *pka = rd_cur_data(&ts.pub_key_auth);
  size_t pka_len = rd_cur_len(&ts.pub_key_auth);
  uint8_t plain[512], expected[512];
  assert_int_equal(rd_ntlm_unseal_message(s->seal, pka + 16, pka_len - 16, pka, plain), 0);
  if (version >= 5) {
    memcpy(s->nonce, rd_cur_data(&ts.client_nonce), 32);
    assert_int_equal(rd_credssp_client_hash(s->crypto, s->nonce, pubkey, pubkey_len, expected), 0);
    assert_int_equal(pka_len - 16, 32);
    assert_memory_equal(plain, expected, 32);
  } else {
    assert_int_equal(pka_len - 16, pubkey_len);
    assert_memory_equal(plain, pubkey, pubkey_len);
  }
  (void)a;
}

/* The server's pubKeyAuth TSRequest. */
static void server_binding(server *s, const uint8_t *pubkey, size_t n, int64_t version, bool tamper, rd_tsrequest *ts,
                           uint8_t *tok, size_t *tok_len) {
  uint8_t msg[512];
  size_t len;
  if (version >= 5) {
    assert_int_equal(rd_credssp_server_hash(s->crypto, s->nonce, pubkey, n, msg), 0);
    len = 32;
  } else {
    assert_int_equal(rd_credssp_pubkey_plus_one(pubkey, n, msg), 0);
    len = n;
  }
  if (tamper)
    msg[0] ^= 1;
  assert_int_equal(rd_ntlm_seal_message(s->seal, msg, len, tok + 16, tok), 0);
  *tok_len = 16 + len;
  memset(ts, 0, sizeof *ts);
  ts->version = version;
  ts->pub_key_auth_present = true;
  rd_cur_init(&ts->pub_key_auth, tok, *tok_len);
}

static void run(int64_t version, bool tamper) {
  uint8_t pubkey[270];
  for (size_t i = 0; i < sizeof pubkey; i++)
    pubkey[i] = (uint8_t)(0x30 + i * 7);
  const char *why;
  server s;
  memset(&s, 0, sizeof s);
  s.crypto = rd_crypto_new(&why);
  assert_non_null(s.crypto);
  rd_auth_input in = {"User", "Domain", "Password", "server.example", 1800000000000, s.crypto};
  rd_credssp_auth a;
  memset(&a, 0, sizeof a);
  a.in = &in;
  assert_int_equal(rd_credssp_auth_set_negotiate(&a, negotiate, sizeof negotiate), 0);
  assert_int_equal(rd_credssp_auth_set_pubkey(&a, pubkey, sizeof pubkey), 0);
  uint8_t *req = NULL;
  size_t req_len = 0;
  assert_int_equal(rd_credssp_auth_authenticate(&a, challenge, sizeof challenge, version, &req, &req_len), 0);
  assert_false(contains(req, req_len, "P\0a\0s\0s\0w\0o\0r\0d\0", 16)); /* the password never travels */
  server_accepts(&s, &a, req, req_len, pubkey, sizeof pubkey, version);
  free(req);

  rd_tsrequest reply;
  uint8_t tok[600];
  size_t tok_len;
  server_binding(&s, pubkey, sizeof pubkey, version, tamper, &reply, tok, &tok_len);
  if (tamper) {
    assert_int_not_equal(rd_credssp_auth_check_server(&a, &reply), 0);
  } else {
    assert_int_equal(rd_credssp_auth_check_server(&a, &reply), 0);
    /* The credentials, sealed: the server unseals and reads them. */
    assert_int_equal(rd_credssp_auth_credentials(&a, &req, &req_len), 0);
    rd_cur c;
    rd_tsrequest ts;
    rd_cur_init(&c, req, req_len);
    assert_int_equal(rd_tsrequest_decode(&c, &ts), 0);
    assert_true(ts.auth_info_present);
    size_t n = rd_cur_len(&ts.auth_info) - 16;
    uint8_t *plain = malloc(n);
    assert_int_equal(rd_ntlm_unseal_message(s.seal, rd_cur_data(&ts.auth_info) + 16, n, rd_cur_data(&ts.auth_info), plain), 0);
    rd_tscredentials cred;
    rd_cur_init(&c, plain, n);
    assert_int_equal(rd_tscredentials_decode(&c, &cred), 0);
    assert_true(cred.password_present);
    assert_int_equal(rd_cur_len(&cred.password), 16);
    assert_memory_equal(rd_cur_data(&cred.password), "P\0a\0s\0s\0w\0o\0r\0d\0", 16);
    free(plain);
    free(req);
  }
  rd_ntlm_seal_free(s.seal);
  rd_credssp_auth_clear(&a);
  rd_crypto_free(s.crypto);
}

static void test_rd_credssp_auth_v6_hash_binding(void **state) { run(6, false); }
static void test_rd_credssp_auth_v3_key_plus_one(void **state) { run(3, false); }
static void test_rd_credssp_auth_check_server_rejects_foreign_binding(void **state) {
  run(6, true);
  run(3, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_credssp_auth_v6_hash_binding),
      cmocka_unit_test(test_rd_credssp_auth_v3_key_plus_one),
      cmocka_unit_test(test_rd_credssp_auth_check_server_rejects_foreign_binding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
