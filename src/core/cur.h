/* A bounds-checked read cursor (rd_cur) and a growable write builder (rd_bld), the two primitives
 * every codec in src/core is written on (STYLE.md §2; modelled on BoringSSL's CBS/CBB).
 *
 * rd_cur borrows bytes it never owns. Every get either consumes exactly what it read and returns
 * true, or returns false and leaves the cursor where it was. Inside a decoder a false means the
 * bytes are malformed: framing (rd_tpkt_frame_need, rd_ber_frame_need) has already waited for the
 * whole frame.
 *
 * rd_bld owns a malloc'd buffer that grows up to a maximum fixed at init. Errors are sticky: after
 * the first failure (hostile size, out of memory, misuse) every later call returns false and
 * rd_bld_finish fails, so a builder is checked once, at the end. Length-prefixed output goes through
 * child builders whose length is back-patched when the child is closed. A builder has at most one
 * open child, and appending to a builder (or opening a second child) while its child is open is an
 * error: close the child first. rd_bld_finish closes every child still open, so their structs must
 * still be live at that point. */
#ifndef RD_CORE_CUR_H
#define RD_CORE_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rd_cur {
  const uint8_t *p; /* next unread byte */
  size_t len;       /* bytes left */
} rd_cur;

/* Points c at len bytes at p (p may be NULL only when len is 0). */
void rd_cur_init(rd_cur *c, const uint8_t *p, size_t len);
size_t rd_cur_len(const rd_cur *c);
const uint8_t *rd_cur_data(const rd_cur *c);
/* True when every byte was consumed: the explicit trailing-bytes check of a decoder. */
bool rd_cur_is_empty(const rd_cur *c);

bool rd_cur_get_u8(rd_cur *c, uint8_t *out);
bool rd_cur_get_u16le(rd_cur *c, uint16_t *out);
bool rd_cur_get_u16be(rd_cur *c, uint16_t *out);
bool rd_cur_get_u32le(rd_cur *c, uint32_t *out);
bool rd_cur_get_u32be(rd_cur *c, uint32_t *out);
bool rd_cur_get_u64le(rd_cur *c, uint64_t *out);
bool rd_cur_peek_u8(const rd_cur *c, uint8_t *out);
bool rd_cur_peek_u16be(const rd_cur *c, uint16_t *out);
/* Copies n bytes into out and consumes them. */
bool rd_cur_get_bytes(rd_cur *c, uint8_t *out, size_t n);
/* Sets child to the next n bytes (borrowed) and consumes them. */
bool rd_cur_get_span(rd_cur *c, size_t n, rd_cur *child);
bool rd_cur_skip(rd_cur *c, size_t n);
/* Consumes one TPKT (T.123 §8; reference §3.1) and sets payload to exactly its payload. Fails unless
 * version is 3, the reserved byte is 0 and the big-endian length is >= 4 and within the data. */
bool rd_cur_get_tpkt(rd_cur *c, rd_cur *payload);

/* Builder. The fields are private; callers only allocate the struct (usually on the stack). */
typedef struct rd_bld rd_bld;
struct rd_bld {
  rd_bld *root;   /* the builder owning the buffer; NULL once closed or finished */
  rd_bld *parent; /* NULL for a root */
  rd_bld *child;  /* the open child, if any */
  uint8_t *buf;   /* root only */
  size_t len, cap, max; /* root only */
  size_t off;     /* child: offset of its length prefix in the root buffer */
  uint8_t pfx;    /* child: bytes reserved for the prefix */
  uint8_t kind;   /* how the prefix is patched on close */
  bool failed;    /* root only: the sticky error */
};

/* Starts an empty root builder that may hold at most max bytes. Allocation is lazy: an
 * out-of-memory surfaces at rd_bld_finish like every other error. */
void rd_bld_init(rd_bld *b, size_t max);
/* Closes any open children and hands the bytes out in *out (caller frees; non-NULL even when
 * *out_len is 0). On any earlier error frees everything, sets *out = NULL, *out_len = 0 and returns
 * false. Only valid on a root builder. Afterwards b is empty and needs rd_bld_init to be reused. */
bool rd_bld_finish(rd_bld *b, uint8_t **out, size_t *out_len);
/* Frees the buffer of a root builder on an error path. Harmless after rd_bld_finish or twice. */
void rd_bld_cleanup(rd_bld *b);
/* Marks the whole tree failed, for an encoder that meets input it cannot encode. */
void rd_bld_set_error(rd_bld *b);
/* Bytes written so far into b's own content (a child's prefix is not counted). */
size_t rd_bld_len(const rd_bld *b);

bool rd_bld_add_u8(rd_bld *b, uint8_t v);
bool rd_bld_add_u16le(rd_bld *b, uint16_t v);
bool rd_bld_add_u16be(rd_bld *b, uint16_t v);
bool rd_bld_add_u32le(rd_bld *b, uint32_t v);
bool rd_bld_add_u32be(rd_bld *b, uint32_t v);
bool rd_bld_add_u64le(rd_bld *b, uint64_t v);
bool rd_bld_add_bytes(rd_bld *b, const uint8_t *p, size_t n);
bool rd_bld_add_zeros(rd_bld *b, size_t n);
/* Appends n bytes and points *p at them so the caller can fill them in; *p is valid only until the
 * next call on this builder tree. The bytes are zero. */
bool rd_bld_add_space(rd_bld *b, size_t n, uint8_t **p);

/* Opens child as a TPKT: 4 bytes reserved now, written on close as 03 00 followed by the big-endian
 * total length (header included). Closing fails (sticky) if the total exceeds 65535. */
bool rd_bld_add_tpkt(rd_bld *b, rd_bld *child);
/* Opens child behind a one-byte length that counts the bytes after it, as the X.224 length
 * indicator does. Closing fails (sticky) above 255. */
bool rd_bld_add_u8_prefixed(rd_bld *b, rd_bld *child);
/* Opens child behind a DER length (X.690 8.1.3): one byte reserved now; on close the short form is
 * kept below 128 bytes, otherwise the content moves up to make room for the long form (up to 4
 * length bytes). The tag is the caller's (see rd_ber_add_tlv). */
bool rd_bld_add_ber_prefixed(rd_bld *b, rd_bld *child);
/* Closes child (and any child of its still open), patches its length and makes its parent usable
 * again. Returns false if anything in the tree has failed. */
bool rd_bld_close(rd_bld *child);

#endif
