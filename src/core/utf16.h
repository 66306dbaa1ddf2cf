/* UTF-8 to UTF-16LE, as NTLM messages, NTOWFv2 and TSPasswordCreds carry names and passwords
 * ([MS-NLMP] 2.2, 3.3.2; [MS-CSSP] 2.2.1.2.1), and Windows' uppercasing of user names. No
 * allocation: a string goes either into a caller's buffer or, a few bytes at a time, into a sink
 * (a digest, an HMAC) so that a password never sits whole in memory nobody wipes.
 *
 * Input is n bytes of UTF-8 with no NUL needed. Well-formed means RFC 3629: no overlong forms, no
 * surrogates (U+D800-U+DFFF), nothing beyond U+10FFFF, no truncated sequence, and no NUL byte
 * inside the n bytes (it would cut the name short on the server's side). Output has no
 * terminator. */
#ifndef RD_CORE_UTF16_H
#define RD_CORE_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF16LE(s[0..n)), each character uppercased by rd_ntlm_upcase when upper (as NTOWFv2 does to
 * the user name). *out_len gets the UTF-16LE length in bytes whenever the input is well-formed, so
 * out may be NULL with cap 0 to measure. Returns 0; RD_E_MALFORMED for input that is not
 * well-formed; RD_E_INVALID for NULL arguments (s NULL with n > 0, out_len NULL, out NULL with
 * cap > 0) and when cap is too small. out[0..cap) is wiped on any failure but RD_E_INVALID for
 * NULL arguments. */
int rd_utf8_to_utf16le(const char *s, size_t n, bool upper, uint8_t *out, size_t cap,
                       size_t *out_len);

/* Receives the next n UTF-16LE bytes (n <= 64); false stops the stream. */
typedef bool (*rd_utf16_sink)(void *ctx, const uint8_t *p, size_t n);

/* UTF16LE(s[0..n)), uppercased when upper, handed to put in pieces through a 64-byte buffer that
 * is wiped before returning. put may already have received the bytes before a malformed
 * character. Returns 0; RD_E_MALFORMED for input that is not well-formed; RD_E_NOMEM when put
 * returned false (the caller knows why); RD_E_INVALID for s NULL with n > 0 or put NULL. */
int rd_utf8_to_utf16le_stream(const char *s, size_t n, bool upper, rd_utf16_sink put, void *ctx);

/* The uppercase of one code point by Windows' table (as Vista and later write it into NTFS's
 * $UpCase; that MSV1_0's RtlUpcaseUnicodeString uses the same table is assumed, not tested on a
 * host), for these ranges only: ASCII, Latin-1 (ÿ becomes Ÿ; µ and ß stay, as in Windows), Latin
 * Extended-A (ı, ĸ, ŉ, ſ stay), Greek and Coptic's basic letters (ς becomes Σ), Cyrillic
 * (U+0430-U+0513), Armenian and fullwidth Latin. Anything else is returned as is: a user name with
 * lowercase letters elsewhere (Latin Extended-B, Georgian, Greek Extended…) gets another NTOWFv2
 * than Windows computes and fails to authenticate; typing it in uppercase works around that. */
uint32_t rd_ntlm_upcase(uint32_t cp);

#endif
