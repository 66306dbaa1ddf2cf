/* TPKT framing and the X.224 class 0 TPDUs of RDP's connection initiation: Connection Request with
 * its RDP negotiation request, Connection Confirm with the server's answer, Disconnect Request and
 * the Data TPDU header ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2; X.224 §13; T.123 §8; reference §3.1-3.7).
 *
 * Every decoder takes a cursor positioned at the start of one TPKT frame (as rd_tpkt_frame_need
 * delimited it), consumes exactly that frame and returns 0, or returns RD_E_MALFORMED and leaves the
 * cursor where it was. Bytes after the frame stay in the cursor for the caller. Inside the frame the
 * X.224 length indicator must account for every byte: a TPDU shorter or longer than the TPKT says,
 * or any byte after the declared structure, is RD_E_MALFORMED.
 *
 * Every encoder appends one whole TPKT frame to b (a root or an open child) and returns 0,
 * RD_E_INVALID if the structure cannot be encoded as given, or RD_E_NOMEM if the builder has failed
 * (memory or its maximum; rd_bld_finish fails too). */
#ifndef RD_CORE_X224_H
#define RD_CORE_X224_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* TPDU codes (X.224 §13.1 table 8); the low nibble of CR/CC carries the credit, 0 in class 0. */
#define RD_X224_TPDU_CR 0xe0
#define RD_X224_TPDU_CC 0xd0
#define RD_X224_TPDU_DR 0x80
#define RD_X224_TPDU_DT 0xf0
#define RD_X224_TPDU_ER 0x70

/* Types of the structures in the CR/CC variable part ([MS-RDPBCGR] 2.2.1.1.1, 2.2.1.1.2, 2.2.1.2.1,
 * 2.2.1.2.2). RD_X224_NEG_LEN is the length field of REQ/RSP/FAILURE. */
#define RD_X224_NEG_REQ         0x01
#define RD_X224_NEG_RSP         0x02
#define RD_X224_NEG_FAILURE     0x03
#define RD_X224_NEG_CORRELATION 0x06
#define RD_X224_NEG_LEN         8
#define RD_X224_CORRELATION_LEN 36

/* requestedProtocols / selectedProtocol (2.2.1.1.1). */
#define RD_X224_PROTOCOL_RDP       0x00000000u
#define RD_X224_PROTOCOL_SSL       0x00000001u
#define RD_X224_PROTOCOL_HYBRID    0x00000002u
#define RD_X224_PROTOCOL_RDSTLS    0x00000004u
#define RD_X224_PROTOCOL_HYBRID_EX 0x00000008u
#define RD_X224_PROTOCOL_RDSAAD    0x00000010u

/* RDP_NEG_REQ flags (2.2.1.1.1). */
#define RD_X224_REQ_RESTRICTED_ADMIN_MODE_REQUIRED          0x01
#define RD_X224_REQ_REDIRECTED_AUTHENTICATION_MODE_REQUIRED 0x02
#define RD_X224_REQ_CORRELATION_INFO_PRESENT                0x08

/* RDP_NEG_RSP flags (2.2.1.2.1). */
#define RD_X224_RSP_EXTENDED_CLIENT_DATA_SUPPORTED           0x01
#define RD_X224_RSP_DYNVC_GFX_PROTOCOL_SUPPORTED             0x02
#define RD_X224_RSP_RESERVED                                 0x04
#define RD_X224_RSP_RESTRICTED_ADMIN_MODE_SUPPORTED          0x08
#define RD_X224_RSP_REDIRECTED_AUTHENTICATION_MODE_SUPPORTED 0x10

/* RDP_NEG_FAILURE failureCode (2.2.1.2.2). What a code means for a given request is the kb's and
 * the rules' business; these are the wire values. */
#define RD_X224_FAIL_SSL_REQUIRED_BY_SERVER                1u
#define RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER             2u
#define RD_X224_FAIL_SSL_CERT_NOT_ON_SERVER                3u
#define RD_X224_FAIL_INCONSISTENT_FLAGS                    4u
#define RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER             5u
#define RD_X224_FAIL_SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER 6u

/* Framing (T.123 §8): how many bytes the TPKT at p[0..n) occupies, header included. Returns 0 and
 * sets *need (which may exceed n) once the 4-byte header is present; RD_E_SHORT before that;
 * RD_E_MALFORMED as soon as the first byte is not 3 or the reserved byte is not 0 (not TPKT:
 * another service, a Fast-Path PDU or TLS), or the length is below 4; RD_E_TOO_BIG above max. */
int rd_tpkt_frame_need(const uint8_t *p, size_t n, size_t max, size_t *need);

/* The TPDU type of the frame at c without consuming it: the code byte with the low nibble cleared
 * (RD_X224_TPDU_*; the probe dispatches on it). RD_E_MALFORMED unless c starts with a whole TPKT
 * holding at least an LI and a code byte. */
int rd_x224_peek_type(const rd_cur *c, uint8_t *type);

/* Client Connection Request (2.2.1.1). Byte spans are borrowed: from the caller when encoding,
 * from the frame when decoding. */
typedef struct rd_x224_cr {
  uint16_t dst_ref, src_ref; /* 0 from every client; servers ignore them (3.3.5.3.1) */
  uint8_t class_opt;         /* class and options byte, 0 */
  /* IDENTIFIER of "Cookie: mstshash=IDENTIFIER\r\n" (NULL = no cookie), and the token of the
   * routingToken "Cookie: msts=TOKEN\r\n" (NULL = none); at most one of the two, neither with CR
   * or LF bytes. */
  const uint8_t *cookie;
  size_t cookie_len;
  const uint8_t *routing_token;
  size_t routing_token_len;
  bool nego_present; /* RDP_NEG_REQ sent; omit it for a legacy (pre-negotiation) request */
  uint8_t nego_flags; /* RD_X224_REQ_*; CORRELATION_INFO_PRESENT must match correlation_present */
  uint32_t requested_protocols; /* RD_X224_PROTOCOL_* OR'ed */
  bool correlation_present;     /* RDP_NEG_CORRELATION_INFO (2.2.1.1.2); needs nego_present */
  uint8_t correlation_id[16];
} rd_x224_cr;

/* Appends the CR frame. RD_E_INVALID for both cookie and routing token, CR/LF in either, a
 * correlation flag that disagrees with correlation_present, or a TPDU over 254 bytes. */
int rd_x224_encode_cr(const rd_x224_cr *req, rd_bld *b);
/* Decodes a CR frame (our test servers and fuzzing use it). The variable part must be, in order,
 * an optional cookie or routing token line, an optional RDP_NEG_REQ (type 1, length 8) and, if its
 * flags say so, the correlation info (type 6, flags 0, length 36, zero reserved bytes). A line that
 * is neither "Cookie: mstshash=" nor "Cookie: msts=" or lacks its CR LF is RD_E_MALFORMED. */
int rd_x224_decode_cr(rd_cur *c, rd_x224_cr *out);

/* Server Connection Confirm (2.2.1.2). */
typedef struct rd_x224_cc {
  uint8_t li;                /* the raw length indicator: 6 legacy, 14 with negotiation data */
  uint16_t dst_ref, src_ref; /* big-endian on the wire; xrdp and Windows use src 0x1234, FreeRDP 0 */
  uint8_t class_opt;         /* recorded, not checked */
  bool nego_present;         /* false: legacy server, Standard RDP Security only (3.3.5.3.2) */
  uint8_t nego_type;         /* RD_X224_NEG_RSP or RD_X224_NEG_FAILURE */
  uint8_t nego_flags;        /* RD_X224_RSP_* (any value accepted: 0x01 xrdp, 0x03 FreeRDP) */
  uint32_t selected_protocol; /* when nego_type is RSP, else 0 */
  uint32_t failure_code;      /* when nego_type is FAILURE, else 0 */
} rd_x224_cc;

/* Decodes a CC frame. RD_E_MALFORMED unless: TPKT valid; LI + 1 equals the TPKT payload; code
 * 0xd0; LI is 6 (no negotiation data) or 14 (8 bytes of it); the type is RSP or FAILURE and the
 * length field 8. References, class and flags are recorded whatever they are. */
int rd_x224_decode_cc(rd_cur *c, rd_x224_cc *out);
/* Appends a CC frame built from cc (cc->li is ignored: it follows from nego_present). RD_E_INVALID
 * for a nego_type other than RSP or FAILURE. */
int rd_x224_encode_cc(const rd_x224_cc *cc, rd_bld *b);

/* Disconnect Request (X.224 §13.5), which some servers send instead of a CC. */
typedef struct rd_x224_dr {
  uint8_t li;
  uint16_t dst_ref, src_ref;
  uint8_t reason;  /* X.224 §13.5.3 d), e.g. 0 not specified, 1 congestion, 2 session not attached */
  rd_cur params;   /* the variable part, borrowed from the frame; usually empty */
} rd_x224_dr;

/* Decodes a DR frame: LI >= 6, LI + 1 equals the TPKT payload, code 0x80. */
int rd_x224_decode_dr(rd_cur *c, rd_x224_dr *out);
/* Appends a DR frame; RD_E_INVALID if params make the TPDU exceed 254 bytes. */
int rd_x224_encode_dr(const rd_x224_dr *dr, rd_bld *b);

/* Decodes a Data TPDU frame (02 f0 80, X.224 §13.7, class 0 with EOT set) and sets user_data to the
 * rest of the TPKT payload: the MCS PDU. A server that answers a TLS ClientHello with the
 * plaintext 03 00 00 09 02 f0 80 21 80 (MCS Disconnect Provider Ultimatum) is seen here. */
int rd_x224_decode_dt(rd_cur *c, rd_cur *user_data);
/* Opens child as a TPKT whose content already starts with the DT header; the caller appends the
 * MCS PDU and closes child, which patches the TPKT length. */
bool rd_x224_add_dt(rd_bld *b, rd_bld *child);

#endif
