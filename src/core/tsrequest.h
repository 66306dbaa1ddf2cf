/* CredSSP's TSRequest ([MS-CSSP] 2.2.1; reference §4.1): the one message CredSSP exchanges,
 * carried directly in the TLS stream with no framing of its own (the engine delimits it with
 * rd_ber_frame_need).
 *
 *   TSRequest ::= SEQUENCE {
 *     version     [0] INTEGER,
 *     negoTokens  [1] NegoData OPTIONAL,      NegoData ::= SEQUENCE OF SEQUENCE {
 *     authInfo    [2] OCTET STRING OPTIONAL,                   negoToken [0] OCTET STRING }
 *     pubKeyAuth  [3] OCTET STRING OPTIONAL,
 *     errorCode   [4] INTEGER OPTIONAL,
 *     clientNonce [5] OCTET STRING OPTIONAL }
 *
 * Decoding follows ber.h's BER tolerance (non-minimal lengths and integers are accepted) and
 * otherwise is strict: every element must be explicitly tagged, in ascending tag order, each
 * context tag holding exactly one element of the right type. Context tags [6] to [30] that a later
 * revision might add are skipped. Encoding is DER. */
#ifndef RD_CORE_TSREQUEST_H
#define RD_CORE_TSREQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* The highest version this codec knows the fields of; a peer announcing more is treated as this
 * one by the protocol logic (MS-CSSP 3.1.5), not by the codec, which records what it read. */
#define RD_TSREQUEST_VERSION_MAX 6

/* Byte spans are borrowed: from the frame when decoding, from the caller when encoding. A span
 * whose present flag is false is empty. */
typedef struct rd_tsrequest {
  int64_t version;          /* as sent: nmap sends 0x60, servers answer with their own */
  bool nego_present;        /* negoTokens [1] */
  size_t nego_count;        /* NegoDataItems in it (>= 1 when present); the encoder writes one */
  rd_cur nego_token;        /* the first item's negoToken: NTLMSSP, SPNEGO or Kerberos */
  bool auth_info_present;   /* authInfo [2]: the encrypted TSCredentials */
  rd_cur auth_info;
  bool pub_key_auth_present; /* pubKeyAuth [3]: the sealed public-key binding */
  rd_cur pub_key_auth;
  bool error_code_present;  /* errorCode [4]: an NTSTATUS or SEC_E_* code */
  uint32_t error_code;      /* 0xC00700EA for the wire's 02 04 c0 07 00 ea */
  bool client_nonce_present; /* clientNonce [5]: 32 bytes from v5 on (length not enforced) */
  rd_cur client_nonce;
} rd_tsrequest;

/* Decodes one whole TSRequest: c must hold exactly the SEQUENCE (as rd_ber_frame_need delimited
 * it) and is consumed entirely. Returns 0, or RD_E_MALFORMED and leaves c where it was, for: a
 * malformed TLV; a byte after the SEQUENCE; a missing version; a tag other than a constructed
 * context tag, or tags not strictly ascending; an explicit tag that holds something other than
 * exactly one element of its type; an empty NegoData or a NegoDataItem other than exactly
 * SEQUENCE { [0] OCTET STRING }; an errorCode outside the 32-bit range (both -2^31..-1 and
 * 0..2^32-1 are taken, as signed and unsigned encoders differ); an INTEGER over 8 bytes. */
int rd_tsrequest_decode(rd_cur *c, rd_tsrequest *out);

/* Appends the DER TSRequest for in to b (a root or an open child): version, then every field whose
 * present flag is set, negoTokens as one NegoDataItem (nego_count is ignored), errorCode read as a
 * signed 32-bit value (0xC00700EA becomes 02 04 c0 07 00 ea, as Windows sends it). Returns 0, or
 * RD_E_NOMEM if the builder has failed (memory or its maximum; rd_bld_finish fails too). */
int rd_tsrequest_encode(const rd_tsrequest *in, rd_bld *b);

/* TSCredentials ([MS-CSSP] 2.2.1.2; reference §4.1): what authInfo carries, sealed, once the
 * server has proved its public key.
 *
 *   TSCredentials   ::= SEQUENCE { credType [0] INTEGER, credentials [1] OCTET STRING }
 *   TSPasswordCreds ::= SEQUENCE { domainName [0] OCTET STRING, userName [1] OCTET STRING,
 *                                  password [2] OCTET STRING }
 *
 * credentials holds the DER of the structure credType names; the strings are UTF-16LE without a
 * terminator. Decoding has the TSRequest decoder's strictness. */
#define RD_TSCRED_TYPE_PASSWORD  1 /* TSPasswordCreds */
#define RD_TSCRED_TYPE_SMARTCARD 2 /* TSSmartCardCreds */

/* Spans are borrowed from the decoded bytes. */
typedef struct rd_tscredentials {
  int64_t cred_type;
  rd_cur credentials;    /* the OCTET STRING's content, whatever the type */
  bool password_present; /* cred_type is RD_TSCRED_TYPE_PASSWORD: the three spans below are set */
  rd_cur domain, user, password; /* UTF-16LE */
} rd_tscredentials;

/* Appends the DER TSCredentials { credType 1, credentials TSPasswordCreds } for these
 * NUL-terminated UTF-8 strings (any may be empty, none NULL) to b, sent as UTF-16LE, not
 * uppercased. The password ends up in b's buffer, and only there: every length is computed first
 * and the whole structure is written into one span of b, so this call never makes the buffer grow
 * (and realloc leave a copy behind) after a password byte is in it. rd_bld has no wipe of its own,
 * so the caller encodes into a root builder of its own, finishes it at once and wipes the
 * finished bytes (OPENSSL_cleanse(out, out_len) in src/auth or above) before freeing them; on an
 * error nothing of the password was written, and rd_bld_cleanup is enough. Returns 0;
 * RD_E_INVALID for a NULL string or one over 65535 bytes of UTF-16LE; RD_E_MALFORMED for one that
 * is not well-formed UTF-8 (see utf16.h); RD_E_NOMEM if the builder has failed or its maximum is
 * too small. */
int rd_tscredentials_encode_password(const char *domain, const char *user, const char *password,
                                     rd_bld *b);

/* Decodes one whole TSCredentials: c holds exactly the SEQUENCE (the unsealed authInfo) and is
 * consumed entirely. With credType 1 the credentials are decoded as TSPasswordCreds, all three
 * fields required, in order, each exactly one OCTET STRING, nothing after them. Other types keep
 * their credentials undecoded. Returns 0, or RD_E_MALFORMED and leaves c where it was, for a
 * malformed TLV, a missing or repeated field, a field in the wrong order or with the wrong type, a
 * credType over 8 bytes, or a byte after any SEQUENCE or explicit tag's element. Fields from tag [2]
 * on in TSCredentials and [3] on in TSPasswordCreds are not skipped: neither structure has ever
 * grown. Used by tests and fuzzing: a client never reads credentials back. */
int rd_tscredentials_decode(rd_cur *c, rd_tscredentials *out);

/* The Early User Authorization Result PDU ([MS-RDPBCGR] 2.2.10.2): 4 bytes, little-endian, that a
 * server which selected PROTOCOL_HYBRID_EX sends in the TLS stream right after CredSSP. */
#define RD_CREDSSP_AUTHZ_SUCCESS       0u
#define RD_CREDSSP_AUTHZ_ACCESS_DENIED 5u
#define RD_CREDSSP_EARLY_AUTHZ_LEN     4

/* Reads the authorizationResult from exactly n == 4 bytes at p. Any value is returned (naming it
 * is the caller's business: only 0 and 5 are defined). Returns 0; RD_E_MALFORMED for another length
 * (the engine has already waited for 4 bytes, so fewer means the stream ended); RD_E_INVALID for
 * a NULL p or result. */
int rd_credssp_decode_early_authz(const uint8_t *p, size_t n, uint32_t *result);

#endif
