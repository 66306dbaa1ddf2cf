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

#endif
