/* Standard RDP Security framing: the security header that precedes every slow-path payload inside
 * MCS Send Data, the Security Exchange PDU that carries the encrypted client random, and the server
 * certificate of TS_UD_SC_SEC1 and of the licensing Server License Request ([MS-RDPBCGR] 2.2.8.1.1.2,
 * 2.2.1.10, 2.2.1.4.3.1; [MS-RDPELE] 2.2.1.4; reference §5). The cryptography (signature check,
 * RSA, session keys, RC4, MACs) is src/auth/rdpsec's.
 *
 * Decoders take a cursor over the MCS Send Data user data (or the certificate bytes), consume
 * what they describe and return 0, or return RD_E_MALFORMED (RD_E_TOO_BIG for a hostile count) and
 * leave the cursor where it was. Spans in the outputs are borrowed from the input. Encoders append to
 * b and return 0, RD_E_INVALID for input they cannot encode, or RD_E_NOMEM when the builder failed.
 * All integers are little-endian. */
#ifndef RD_CORE_SEC_H
#define RD_CORE_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* Basic security header flags (2.2.8.1.1.2.1). */
#define RD_SEC_EXCHANGE_PKT       0x0001u
#define RD_SEC_TRANSPORT_REQ      0x0002u
#define RD_SEC_TRANSPORT_RSP      0x0004u
#define RD_SEC_ENCRYPT            0x0008u
#define RD_SEC_RESET_SEQNO        0x0010u
#define RD_SEC_IGNORE_SEQNO       0x0020u
#define RD_SEC_INFO_PKT           0x0040u
#define RD_SEC_LICENSE_PKT        0x0080u
#define RD_SEC_LICENSE_ENCRYPT_CS 0x0200u
#define RD_SEC_LICENSE_ENCRYPT_SC 0x0200u
#define RD_SEC_REDIRECTION_PKT    0x0400u
#define RD_SEC_SECURE_CHECKSUM    0x0800u
#define RD_SEC_AUTODETECT_REQ     0x1000u
#define RD_SEC_AUTODETECT_RSP     0x2000u
#define RD_SEC_HEARTBEAT          0x4000u
#define RD_SEC_FLAGSHI_VALID      0x8000u

#define RD_SEC_MAC_LEN          8  /* dataSignature */
#define RD_SEC_FIPS_HEADER_LEN  16 /* the FIPS header's length field (2.2.8.1.1.2.3) */
#define RD_SEC_FIPS_VERSION     1
#define RD_SEC_RANDOM_LEN       32 /* client and server random */
#define RD_SEC_EXCHANGE_PADDING 8  /* zero bytes after the encrypted client random (5.3.4.1) */

/* Which header shape the negotiated encryption gives (2.2.8.1.1.2.1-3): the basic header only
 * (ENCRYPTION_METHOD_NONE, or a PDU sent in the clear), the non-FIPS header with an 8-byte MAC, or
 * the FIPS header with length, version and pad length before the MAC. */
typedef enum rd_sec_hdr_kind {
  RD_SEC_HDR_BASIC = 0,
  RD_SEC_HDR_NON_FIPS,
  RD_SEC_HDR_FIPS,
} rd_sec_hdr_kind;

typedef struct rd_sec_header {
  uint16_t flags;    /* RD_SEC_* */
  uint16_t flags_hi; /* flagsHi; 0 unless RD_SEC_FLAGSHI_VALID */
  /* Present when flags has RD_SEC_ENCRYPT and the kind is not BASIC. */
  bool has_mac;
  uint8_t mac[RD_SEC_MAC_LEN];
  /* FIPS only: the length field (16), version (1) and the cipher padding the payload carries. */
  uint16_t fips_length;
  uint8_t fips_version;
  uint8_t fips_pad_len;
} rd_sec_header;

/* Decodes a security header of the given kind at the start of an MCS Send Data payload. The MAC
 * (and FIPS fields) are read only when flags has RD_SEC_ENCRYPT; with kind BASIC they never are, so
 * an encrypted PDU under ENCRYPTION_METHOD_NONE is the caller's to reject. The cursor is left on the
 * (possibly encrypted) payload. RD_E_MALFORMED for a short header, or a FIPS header whose length is
 * not 16, version not 1 or pad length above 7. */
int rd_sec_decode_header(rd_cur *c, rd_sec_hdr_kind kind, rd_sec_header *out);
/* Appends h in the given kind (the MAC and FIPS fields when flags has RD_SEC_ENCRYPT and kind is not
 * BASIC). RD_E_INVALID for a FIPS pad length above 7. */
int rd_sec_encode_header(const rd_sec_header *h, rd_sec_hdr_kind kind, rd_bld *b);

/* Security Exchange PDU data (TS_SECURITY_PACKET, 2.2.1.10.1): basic header with
 * RD_SEC_EXCHANGE_PKT and flags (a client that reads encrypted licensing PDUs adds
 * RD_SEC_LICENSE_ENCRYPT_SC, 3.2.5.3.10), length = encrypted random + 8, the encrypted client random
 * (the server modulus' size, little-endian) and 8 zero bytes. RD_E_INVALID for n 0 or above 4096
 * bytes. */
int rd_sec_encode_exchange(uint16_t flags, const uint8_t *encrypted_random, size_t n, rd_bld *b);
/* The inverse, for our test servers and fuzzing: random is the encrypted random without the 8
 * padding bytes (which must be present; their value is not checked, as Windows does not). The PDU
 * must fill the cursor: RD_E_MALFORMED for a missing EXCHANGE flag, a length below 8 or unequal to
 * what follows. */
int rd_sec_decode_exchange(rd_cur *c, uint16_t *flags, rd_cur *random);

/* ---- Server certificate (2.2.1.4.3.1, 2.2.1.4.3.1.1, 5.3.3) ---- */

#define RD_SEC_CERT_CHAIN_VERSION_1 1u /* proprietary */
#define RD_SEC_CERT_CHAIN_VERSION_2 2u /* X.509 chain */
#define RD_SEC_CERT_TEMPORARY       0x80000000u
#define RD_SEC_SIGNATURE_ALG_RSA    1u
#define RD_SEC_KEY_EXCHANGE_ALG_RSA 1u
#define RD_SEC_BB_RSA_KEY_BLOB       0x0006u
#define RD_SEC_BB_RSA_SIGNATURE_BLOB 0x0008u
#define RD_SEC_RSA1_MAGIC            0x31415352u /* "RSA1" */
#define RD_SEC_MAX_CHAIN             16 /* more certificates than this is RD_E_TOO_BIG */

/* RSA_PUBLIC_KEY (2.2.1.4.3.1.1.1). The modulus span is keylen bytes, little-endian: bitlen / 8
 * bytes of modulus then (normally 8) zero bytes of padding; modulus_len is bitlen / 8. */
typedef struct rd_sec_rsa_key {
  uint32_t keylen, bitlen, datalen;
  uint32_t pub_exp;
  const uint8_t *modulus; /* little-endian, modulus_len bytes */
  size_t modulus_len;
} rd_sec_rsa_key;

typedef struct rd_sec_server_cert {
  uint32_t version;   /* dwVersion & 0x7fffffff: RD_SEC_CERT_CHAIN_VERSION_1 or _2 */
  bool temporary;     /* the high bit of dwVersion: a temporary (not issued permanently) certificate */
  /* Version 1 (PROPRIETARYSERVERCERTIFICATE). */
  uint32_t sig_alg_id, key_alg_id;
  rd_sec_rsa_key key;
  rd_cur signed_part; /* dwVersion through PublicKeyBlob: what the signature covers (5.3.3.1.2) */
  rd_cur signature;   /* SignatureBlob: 64 bytes of signature then 8 zero bytes, little-endian */
  /* Version 2 (X.509 chain): each certificate's DER; the last is the server's (5.3.3.2). */
  uint32_t chain_len;
  rd_cur chain[RD_SEC_MAX_CHAIN];
  size_t padding_len; /* bytes after the last certificate (8 + 4 * count by the spec, not checked) */
} rd_sec_server_cert;

/* Decodes a server certificate that fills the cursor (serverCertLen bytes, or a licensing
 * certificate blob). Version 1 needs SIGNATURE_ALG_RSA, KEY_EXCHANGE_ALG_RSA, a BB_RSA_KEY_BLOB
 * whose length matches its RSA1 key (magic "RSA1", keylen = bitlen / 8 + 8 within the blob, bitlen a
 * non-zero multiple of 8 up to 16384) and a BB_RSA_SIGNATURE_BLOB, and nothing after it. Version 2
 * needs 1 to RD_SEC_MAX_CHAIN certificates (RD_E_TOO_BIG above), each a non-empty length-prefixed
 * blob; what follows them is padding. Any other version is RD_E_MALFORMED. Whether the signature
 * is right is rd_rdpsec_verify_proprietary's question. */
int rd_sec_decode_server_cert(rd_cur *c, rd_sec_server_cert *out);
/* The server's certificate of a version 2 chain (the last), or false for version 1. */
bool rd_sec_server_cert_leaf(const rd_sec_server_cert *cert, rd_cur *leaf);

#endif
