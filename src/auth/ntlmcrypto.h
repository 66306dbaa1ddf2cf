/* The cryptography of one NTLMv2 authentication inside CredSSP: NTOWFv2, the NTLMv2 and LMv2
 * responses, key exchange, the MIC, NTLM sign and seal with extended session security, and the
 * CredSSP public-key binding ([MS-NLMP] 3.3.2, 3.1.5.1.2, 3.4.4.2, 3.4.5, 2.2.2.9.1; [MS-CSSP]
 * 3.1.5; reference §4.1-4.3). No I/O, no message parsing (that is src/core's NTLM and TSRequest
 * codecs), no clock and no hidden randomness: every challenge, nonce, timestamp and session key
 * is a parameter, so tests are deterministic; rd_crypto_random supplies them in real use.
 *
 * Everything runs on libcrypto through an rd_crypto: a library context of our own with the
 * "default" and "legacy" providers (MD4 and RC4 live in legacy), so nothing here touches OpenSSL's
 * global state or configuration file. No function prints or logs, or leaves errors of its own on
 * OpenSSL's error queue. Every key, password-derived value and intermediate is wiped
 * (OPENSSL_cleanse) before a function returns; outputs are the caller's to wipe.
 *
 * Strings (password, user, domain) are NUL-terminated UTF-8. Functions return 0 or a negative
 * RD_E_*: RD_E_INVALID for NULL or out-of-range arguments and for an output buffer that is too
 * small, RD_E_MALFORMED for invalid UTF-8, RD_E_TOO_BIG for an input length libcrypto cannot take,
 * RD_E_NOMEM when libcrypto fails (allocation, or an algorithm that stopped working). Outputs are
 * written only on 0 unless said otherwise. */
#ifndef RD_AUTH_NTLMCRYPTO_H
#define RD_AUTH_NTLMCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rd_utf8_to_utf16le and rd_ntlm_upcase, which NTOWFv2 uses, live in core. */
#include "core/utf16.h"

#define RD_NTLM_KEY_LEN        16 /* every NTLM key, NTProofStr, MIC */
#define RD_NTLM_CHALLENGE_LEN  8  /* server and client challenge */
#define RD_NTLM_LMV2_LEN       24 /* LmChallengeResponse */
#define RD_NTLM_SIGNATURE_LEN  16 /* NTLMSSP_MESSAGE_SIGNATURE */
#define RD_CREDSSP_NONCE_LEN   32 /* TSRequest.clientNonce */
#define RD_CREDSSP_HASH_LEN    32 /* SHA-256 */

/* NtChallengeResponse for target_info of n bytes: NTProofStr (16), then the NTLMv2 client challenge
 * "temp" (28 + n + 4). */
#define RD_NTLMV2_RESPONSE_LEN(n) ((size_t)48 + (size_t)(n))

typedef struct rd_crypto rd_crypto;

/* ---- The library context ---- */

/* A new library context with the default and legacy providers loaded and every algorithm we use
 * fetched from it (MD4, MD5, SHA-256, HMAC, RC4), so a missing one fails here and not in the
 * middle of an authentication. NULL on failure, with *why (when why is not NULL) set to one static
 * line for the user, e.g. "OpenSSL's legacy provider is not available: MD4/RC4 for NTLM cannot be
 * computed". The legacy provider is a module found through OPENSSL_MODULES or OpenSSL's built-in
 * directory. Never prints; clears OpenSSL's error queue either way. */
rd_crypto *rd_crypto_new(const char **why);
void rd_crypto_free(rd_crypto *c); /* NULL is fine */

/* A context made on first use: loading the providers costs about 9 M instructions, a third of a
 * check that never needs them (only licensing does). One per loop; not for use across threads. */
typedef struct rd_crypto_once {
  rd_crypto *c;
  bool tried;
} rd_crypto_once;
/* The context, made on the first call; NULL when OpenSSL cannot make it (then on every call). */
rd_crypto *rd_crypto_once_get(rd_crypto_once *o);
void rd_crypto_once_free(rd_crypto_once *o);

/* n random bytes from the context's DRBG (client challenge, exported session key, client nonce).
 * 0, RD_E_INVALID, or RD_E_NOMEM when the DRBG cannot be seeded. */
int rd_crypto_random(rd_crypto *c, uint8_t *out, size_t n);

/* Constant-time comparison of n bytes (CRYPTO_memcmp): for checking what a server sent back. */
bool rd_crypto_memeq(const void *a, const void *b, size_t n);

/* ---- NTLMv2 ([MS-NLMP] 3.3.2) ---- */

/* NTOWFv2 = HMAC_MD5(MD4(UTF16LE(password)), UTF16LE(Uppercase(user) ‖ domain)): the
 * ResponseKeyNT and ResponseKeyLM. The domain is used as given (not uppercased); both it and the
 * password may be empty. */
int rd_ntowfv2(rd_crypto *c, const char *password, const char *user, const char *domain,
               uint8_t out[RD_NTLM_KEY_LEN]);

/* The NtChallengeResponse: NTProofStr ‖ temp, where temp = RespType 1, HiRespType 1, Z(6),
 * timestamp (FILETIME, little-endian), client_challenge, Z(4), target_info, Z(4), and
 * NTProofStr = HMAC_MD5(response_key_nt, server_challenge ‖ temp). target_info is the AV_PAIR list
 * the client sends, ending with MsvAvEOL; it may be empty (NULL with n 0). Writes
 * RD_NTLMV2_RESPONSE_LEN(target_info_len) bytes to out (RD_E_INVALID if out_cap is less), sets
 * *out_len, and gives NTProofStr and SessionBaseKey = HMAC_MD5(response_key_nt, NTProofStr),
 * which is also the KeyExchangeKey for NTLMv2. */
int rd_ntlmv2_response(rd_crypto *c, const uint8_t response_key_nt[RD_NTLM_KEY_LEN],
                       const uint8_t server_challenge[RD_NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[RD_NTLM_CHALLENGE_LEN], uint64_t timestamp,
                       const uint8_t *target_info, size_t target_info_len, uint8_t *out,
                       size_t out_cap, size_t *out_len, uint8_t nt_proof_str[RD_NTLM_KEY_LEN],
                       uint8_t session_base_key[RD_NTLM_KEY_LEN]);

/* The LmChallengeResponse: HMAC_MD5(response_key_lm, server_challenge ‖ client_challenge) ‖
 * client_challenge; or Z(24) when the server's CHALLENGE carried MsvAvTimestamp, as MS-NLMP
 * 3.1.5.1.2 requires of a client (the NTLMv2 response then carries that timestamp, and a MIC). */
int rd_lmv2_response(rd_crypto *c, const uint8_t response_key_lm[RD_NTLM_KEY_LEN],
                     const uint8_t server_challenge[RD_NTLM_CHALLENGE_LEN],
                     const uint8_t client_challenge[RD_NTLM_CHALLENGE_LEN],
                     bool server_sent_timestamp, uint8_t out[RD_NTLM_LMV2_LEN]);

/* FILETIME (100 ns since 1601-01-01 UTC) for a Unix time in milliseconds; 0 before 1601, UINT64_MAX
 * past its range. The NTLMv2 timestamp is the server's MsvAvTimestamp when the CHALLENGE has one
 * (3.1.5.1.2), else the client's clock through this. The inverse is core/ntlm.h's
 * rd_ntlm_filetime_to_unix (in seconds). */
uint64_t rd_ntlm_filetime_from_unix_ms(int64_t unix_ms);

/* ---- Key exchange and MIC ([MS-NLMP] 3.1.5.1.2) ---- */

/* EncryptedRandomSessionKey = RC4K(key_exchange_key, exported_session_key), for
 * NTLMSSP_NEGOTIATE_KEY_EXCH; exported_session_key is 16 random bytes. */
int rd_ntlm_encrypt_session_key(rd_crypto *c, const uint8_t key_exchange_key[RD_NTLM_KEY_LEN],
                                const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                                uint8_t out[RD_NTLM_KEY_LEN]);

/* MIC = HMAC_MD5(exported_session_key, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE), the three messages
 * as sent and received, the AUTHENTICATE one with its 16-byte MIC field zeroed. */
int rd_ntlm_mic(rd_crypto *c, const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                const uint8_t *negotiate, size_t n1, const uint8_t *challenge, size_t n2,
                const uint8_t *authenticate_zero_mic, size_t n3, uint8_t mic[RD_NTLM_KEY_LEN]);

/* ---- Sign and seal with extended session security ([MS-NLMP] 3.4.4.2, 3.4.5, 2.2.2.9.1) ---- */

typedef struct rd_ntlm_seal rd_ntlm_seal;

/* A sealing state for one side of an NTLM session: the four keys derived from the exported session
 * key (SIGNKEY and SEALKEY, MD5 over the key and the "session key to client-to-server signing key
 * magic constant\0" strings), one persistent RC4 stream and one sequence number per direction, both
 * starting at 0. flags are the NegotiateFlags the AUTHENTICATE message carries; they must include
 * NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (0x00080000), else RD_E_INVALID (the NTLMv1 CRC32
 * signature is not implemented). NTLMSSP_NEGOTIATE_128 (0x20000000) or _56 (0x80000000) pick the
 * sealing key's strength (40 bits without either); NTLMSSP_NEGOTIATE_KEY_EXCH (0x40000000) says the
 * checksum is RC4-encrypted. is_client says which side this is: the client seals with the
 * client-to-server keys and unseals with the server-to-client ones. */
int rd_ntlm_seal_new(rd_crypto *c, const uint8_t exported_session_key[RD_NTLM_KEY_LEN],
                     uint32_t flags, bool is_client, rd_ntlm_seal **out);
void rd_ntlm_seal_free(rd_ntlm_seal *s); /* wipes the keys; NULL is fine */

/* Seals msg (len bytes) into out_msg (len bytes; may be msg itself) and writes the signature:
 * version 1 (LE32), the first 8 bytes of HMAC_MD5(SigningKey, SeqNum ‖ msg) (RC4-encrypted with
 * the sealing stream after the message when KEY_EXCH), SeqNum (LE32). Advances the sending
 * sequence number. RD_E_TOO_BIG beyond INT_MAX bytes; RD_E_STATE once the sequence number would
 * wrap or after a failed unseal. */
int rd_ntlm_seal_message(rd_ntlm_seal *s, const uint8_t *msg, size_t len, uint8_t *out_msg,
                         uint8_t signature[RD_NTLM_SIGNATURE_LEN]);

/* The inverse for a message from the peer: decrypts sealed into out_msg (may be sealed itself) and
 * checks the signature in constant time against the expected version, checksum and receiving
 * sequence number. 0 when it verifies (the receiving sequence number advances); RD_E_MALFORMED
 * when it does not, with out_msg wiped (never hand out unauthenticated plaintext) and the state
 * spent: the RC4 stream cannot be rewound, so every later call returns RD_E_STATE. */
int rd_ntlm_unseal_message(rd_ntlm_seal *s, const uint8_t *sealed, size_t len,
                           const uint8_t signature[RD_NTLM_SIGNATURE_LEN], uint8_t *out_msg);

/* ---- CredSSP public-key binding ([MS-CSSP] 3.1.5; reference §4.2) ---- */

/* v5 and later. pubkey is the SubjectPublicKey: the contents of the server certificate's
 * subjectPublicKey BIT STRING (for RSA, the DER RSAPublicKey).
 * client: SHA256("CredSSP Client-To-Server Binding Hash\0" ‖ nonce ‖ pubkey), which the client
 *         seals into pubKeyAuth;
 * server: SHA256("CredSSP Server-To-Client Binding Hash\0" ‖ nonce ‖ pubkey), which the server's
 *         unsealed pubKeyAuth must equal. The magic strings are 38 bytes with their NUL. */
int rd_credssp_client_hash(rd_crypto *c, const uint8_t nonce[RD_CREDSSP_NONCE_LEN],
                           const uint8_t *pubkey, size_t n, uint8_t out[RD_CREDSSP_HASH_LEN]);
int rd_credssp_server_hash(rd_crypto *c, const uint8_t nonce[RD_CREDSSP_NONCE_LEN],
                           const uint8_t *pubkey, size_t n, uint8_t out[RD_CREDSSP_HASH_LEN]);

/* v2 to v4: the client seals pubkey itself, and the server answers with pubkey whose first byte
 * was incremented, the bytes read as one little-endian integer (so a 0xff first byte carries into
 * the next, as FreeRDP does; a DER SubjectPublicKey starts with 0x30, so this never happens in
 * practice). Writes n bytes to out (may be pubkey itself); 0 or RD_E_INVALID (n is 0). */
int rd_credssp_pubkey_plus_one(const uint8_t *pubkey, size_t n, uint8_t *out);

#ifdef RD_NTLMCRYPTO_INTERNAL
/* For the RFC 1320 vectors and the spec's intermediate values. */
int rd_crypto_md4(rd_crypto *c, const uint8_t *data, size_t n, uint8_t out[16]);
#endif

#endif
