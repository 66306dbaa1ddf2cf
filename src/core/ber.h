/* DER/BER tag-length-value primitives on rd_cur and rd_bld (ITU-T X.690), enough for CredSSP's
 * TSRequest (MS-CSSP 2.2.1; reference §4.1) and the structures inside it.
 *
 * Scope: single-byte tags only (tag numbers 0..30); a high-tag-number first byte (low five bits all
 * ones) is rejected. Lengths are definite: the short form, or the long form with 1 to 4 length
 * bytes. Decoding is BER-tolerant: a non-minimal long form (81 05, 82 00 80) and a non-minimal
 * INTEGER (00 7f) are accepted, so re-encoding such input gives the shorter DER form. The indefinite
 * form (80), the reserved form (ff) and more than 4 length bytes are rejected. Encoding is always
 * DER: minimal lengths and minimal two's complement integers. */
#ifndef RD_CORE_BER_H
#define RD_CORE_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

#define RD_BER_INTEGER      0x02
#define RD_BER_OCTET_STRING 0x04
#define RD_BER_SEQUENCE     0x30 /* SEQUENCE and SEQUENCE OF, constructed */
/* Constructed context-specific tag [n] (explicit tagging, as MS-CSSP uses), n <= 30. */
#define RD_BER_CONTEXT(n)   ((uint8_t)(0xa0u | (unsigned)(n)))

/* Framing: how many bytes the first TLV of p[0..n) occupies, header included, so the engine can
 * wait for a whole TSRequest in the TLS stream (which has no other framing; reference §4.1).
 * Returns 0 and sets *need (which may exceed n) once the tag and length bytes are all present;
 * RD_E_SHORT if they are not yet; RD_E_MALFORMED for a high-tag-number, indefinite or reserved
 * length form; RD_E_TOO_BIG for more than 4 length bytes or a total above max. */
int rd_ber_frame_need(const uint8_t *p, size_t n, size_t max, size_t *need);

/* Consumes length octets (X.690 8.1.3) into *len. Fails if they are malformed (see above) or if *len
 * bytes do not follow them in c. */
bool rd_ber_get_length(rd_cur *c, size_t *len);
/* Consumes one TLV whose tag byte is tag and sets child to its content. */
bool rd_ber_get_tlv(rd_cur *c, uint8_t tag, rd_cur *child);
/* Consumes one TLV whatever its (single-byte) tag; for skipping unknown elements. */
bool rd_ber_get_any_tlv(rd_cur *c, uint8_t *tag, rd_cur *child);
/* An OPTIONAL element: if the next byte is tag, consumes the TLV and sets *present; otherwise
 * succeeds with *present false and consumes nothing. Fails only on a malformed TLV with that tag. */
bool rd_ber_get_optional_tlv(rd_cur *c, uint8_t tag, rd_cur *child, bool *present);
bool rd_ber_get_sequence(rd_cur *c, rd_cur *child);
/* [n] constructed, n <= 30 (MS-CSSP's explicit tags). */
bool rd_ber_get_context(rd_cur *c, unsigned n, rd_cur *child);
bool rd_ber_get_optional_context(rd_cur *c, unsigned n, rd_cur *child, bool *present);
/* A signed INTEGER of 1 to 8 content bytes, sign-extended: 02 04 c0 07 00 ea gives -1073283862,
 * whose uint32_t cast is the NTSTATUS 0xC00700EA (MS-CSSP errorCode; reference §4.1). */
bool rd_ber_get_integer(rd_cur *c, int64_t *out);
bool rd_ber_get_octet_string(rd_cur *c, rd_cur *child);

/* Encoding: write the tag, open child behind a DER length that is patched (and widened if the
 * content reaches 128 bytes) by rd_bld_close. Failures are sticky in the builder. */
bool rd_ber_add_tlv(rd_bld *b, uint8_t tag, rd_bld *child);
bool rd_ber_add_sequence(rd_bld *b, rd_bld *child);
bool rd_ber_add_context(rd_bld *b, unsigned n, rd_bld *child);
bool rd_ber_add_octet_string(rd_bld *b, rd_bld *child);
/* A complete INTEGER TLV in minimal two's complement. */
bool rd_ber_add_integer(rd_bld *b, int64_t v);

#endif
