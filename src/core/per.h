/* ITU-T X.691 ALIGNED PER, the subset T.125 (MCS domain PDUs) and T.124 (GCC Conference Create
 * Request/Response) need in RDP ([MS-RDPBCGR] 2.2.1.3, 2.2.1.4, 2.2.1.5-2.2.1.9; reference §3.8).
 *
 * RDP's PER PDUs are octet-aligned wherever these primitives are used: a CHOICE index, the
 * presence bits of a SEQUENCE, a short ENUMERATED and their padding share the first octet(s) of a
 * PDU, which the MCS and GCC codecs read and write as whole bytes with the bit layout spelled out
 * next to them. What is here works on octets:
 *   - length determinants (X.691 10.9): 0xxxxxxx for 0..127, 10xxxxxx xxxxxxxx for 0..16383; the
 *     fragmented form (11xxxxxx, 16K chunks) is not supported and fails;
 *   - constrained whole numbers of a 16-bit range (X.691 10.5.7.3: two octets, value minus the
 *     lower bound), as UserId (1001..65535) and ChannelId (0..65535) use;
 *   - semi-constrained INTEGER with lower bound 0 (10.7: a length then minimal octets), as GCC's
 *     tag and MCS's subHeight/subInterval use;
 *   - OBJECT IDENTIFIER (a length then the BER contents octets), OCTET STRING with a lower size
 *     bound (a length of n - min then the bytes).
 *
 * Cursor functions return bool and leave the cursor where it was on failure (STYLE.md §2); builder
 * functions return bool with the builder's sticky error. */
#ifndef RD_CORE_PER_H
#define RD_CORE_PER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* The largest length a non-fragmented determinant carries. */
#define RD_PER_LENGTH_MAX 16383u

/* Consumes a length determinant into *len. It counts whatever the caller's type counts (octets,
 * characters, set members), so no bytes are checked here. Fails on the fragmented form. */
bool rd_per_get_length(rd_cur *c, size_t *len);
/* Appends the determinant for len: one octet below 128, two up to RD_PER_LENGTH_MAX; a larger len
 * fails the builder. */
bool rd_per_add_length(rd_bld *b, size_t len);

/* A constrained whole number in [min, min + 65535] that fits 16 bits: two octets, big-endian,
 * holding v - min. get fails if v - min + min overflows 16 bits; add fails the builder if v < min. */
bool rd_per_get_u16(rd_cur *c, uint16_t min, uint16_t *out);
bool rd_per_add_u16(rd_bld *b, uint16_t v, uint16_t min);

/* A semi-constrained INTEGER (lower bound 0) of at most 4 octets: a length (1..4) then the value
 * big-endian. Decoding accepts leading zero octets; encoding is minimal (0 is one octet 00). */
bool rd_per_get_uint(rd_cur *c, uint32_t *out);
bool rd_per_add_uint(rd_bld *b, uint32_t v);

/* OBJECT IDENTIFIER: a length, then the BER contents octets (X.690 8.19), which content is set to.
 * The caller compares them; T.124's {0 0 20 124 0 1} is 00 14 7c 00 01. */
bool rd_per_get_object_identifier(rd_cur *c, rd_cur *content);
bool rd_per_add_object_identifier(rd_bld *b, const uint8_t *content, size_t n);

/* OCTET STRING (SIZE(min..)): a length holding n - min, then the n bytes, which s is set to. The
 * bytes must be in c. */
bool rd_per_get_octet_string(rd_cur *c, size_t min, rd_cur *s);
bool rd_per_add_octet_string(rd_bld *b, const uint8_t *p, size_t n, size_t min);

#endif
