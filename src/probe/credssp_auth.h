/* The authenticated half of CredSSP with NTLMv2 ([MS-CSSP] 3.1.5, [MS-NLMP] 3.1.5.1.2): builds
 * the TSRequest carrying AUTHENTICATE and the public-key binding, checks the server's binding, and
 * for HYBRID_EX builds the TSRequest carrying the credentials. Sans-I/O: the probe feeds it the
 * messages; the computations live in src/auth. One attempt per check, never retried (DESIGN.md). */
#ifndef RD_PROBE_CREDSSP_AUTH_H
#define RD_PROBE_CREDSSP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/ntlmcrypto.h"
#include "core/ntlm.h"
#include "core/tsrequest.h"

/* What the check was given to authenticate with. The strings belong to the caller, who wipes the
 * password after the check. */
typedef struct rd_auth_input {
  const char *user;
  const char *domain;
  const char *password;
  const char *target_host; /* for the TERMSRV/host service name */
  int64_t now_unix_ms;     /* for the NTLMv2 timestamp when the server sends none */
  rd_crypto *crypto;
} rd_auth_input;

/* Fills *in; every string must outlive the check. Returns 0, or RD_E_INVALID when the user, the
 * password, the target or the crypto context is missing (the domain may be ""). */
int rd_auth_input_init(rd_auth_input *in, const char *user, const char *domain, const char *password,
                       const char *target_host, int64_t now_unix_ms, rd_crypto *crypto);

/* The state of the check's one authentication: owned by the check, lent to the one probe it
 * grants the attempt to (check.c). */
typedef struct rd_credssp_auth {
  const rd_auth_input *in;
  uint8_t negotiate[64]; /* the NEGOTIATE message as sent, for the MIC */
  size_t negotiate_len;
  uint8_t *challenge;    /* the CHALLENGE message as received (owned copy) */
  size_t challenge_len;
  uint8_t pubkey[2048];  /* the server's SubjectPublicKey */
  size_t pubkey_len;
  int64_t version;       /* the CredSSP version both speak: min(server, 6) */
  uint8_t nonce[RD_CREDSSP_NONCE_LEN];
  rd_ntlm_seal *seal;
} rd_credssp_auth;

/* The first TSRequest of CredSSP: {version 6, negoTokens: NTLM NEGOTIATE}, nmap's request, which
 * every CredSSP server answers with its CHALLENGE without any credential (reference §4.5). The
 * NEGOTIATE message itself goes to ntlm[0..*ntlm_len) (cap bytes; the MIC covers it); *req is
 * malloc'd. */
int rd_credssp_negotiate_request(uint8_t *ntlm, size_t cap, size_t *ntlm_len, uint8_t **req, size_t *req_len);

/* The NEGOTIATE message this probe sends, kept for the MIC. */
int rd_credssp_auth_set_negotiate(rd_credssp_auth *a, const uint8_t *msg, size_t n);
/* The server certificate's SubjectPublicKey (for the binding). */
int rd_credssp_auth_set_pubkey(rd_credssp_auth *a, const uint8_t *pubkey, size_t n);

/* From the server's CHALLENGE message (raw bytes) and its TSRequest version: the TSRequest with
 * AUTHENTICATE, pubKeyAuth and clientNonce. *out is malloc'd; the caller frees it. */
int rd_credssp_auth_authenticate(rd_credssp_auth *a, const uint8_t *challenge, size_t n, int64_t server_version,
                                 uint8_t **out, size_t *out_len);
/* Checks the server's pubKeyAuth: 0 when it binds the session to the certificate's key,
 * RD_E_MALFORMED when it does not (a man in the middle, or a broken server). */
int rd_credssp_auth_check_server(rd_credssp_auth *a, const rd_tsrequest *ts);
/* The TSRequest with the sealed TSCredentials (HYBRID_EX only). */
int rd_credssp_auth_credentials(rd_credssp_auth *a, uint8_t **out, size_t *out_len);

/* Wipes and frees everything. */
void rd_credssp_auth_clear(rd_credssp_auth *a);

#endif
