/* The Standard RDP Security layer of one connection ([MS-RDPBCGR] 5.3.6, 5.3.8, 2.2.8.1.1.2,
 * 2.2.9.1.2): what sits between MCS Send Data and a PDU once the client random went out. Two
 * calls do the work, so every sender and receiver (Client Info, licensing, the share PDUs before
 * and after Demand Active) goes through the same place:
 *   rd_seclayer_wrap    a payload -> security header (+ MAC, FIPS fields) and the payload, encrypted
 *                       when asked;
 *   rd_seclayer_unwrap  a received MCS user data -> its security header and the payload, decrypted
 *                       and its MAC checked when the header says SEC_ENCRYPT.
 * Fast-path output carries its own header; rd_seclayer_unwrap_fastpath keeps the server's stream in
 * step through it. The keys and the cipher are auth/rdpsec's (OpenSSL); no I/O, no clock.
 *
 * Salted MACs (SEC_SECURE_CHECKSUM, 5.3.6.1.1): a received PDU says which it carries; we send the
 * plain MAC until the server has used salted ones (servers that never do, xrdp among them, check
 * only the plain one). Errors: RD_E_MALFORMED for a header that is cut short or impossible,
 * RD_E_STATE for a MAC that does not verify (the stream is then spent: nothing more can be
 * decrypted), RD_E_NOMEM. */
#ifndef RD_PROBE_SECLAYER_H
#define RD_PROBE_SECLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/rdpsec.h"
#include "core/cur.h"
#include "core/sec.h"

typedef struct rd_seclayer {
  rd_rdpsec_session *s;   /* NULL until rd_seclayer_start */
  rd_sec_hdr_kind kind;   /* NON_FIPS or FIPS */
  bool salted;            /* the server used salted MACs: ours follow */
  bool spent;             /* a MAC failed: the receive stream is out of step */
  uint8_t *buf;           /* the last decrypted payload (rd_seclayer_unwrap's body borrows it) */
  size_t cap;
  unsigned sent_encrypted, received_encrypted, received_salted;
} rd_seclayer;

/* Session keys for method (RD_RDPSEC_METHOD_40BIT, 56BIT, 128BIT or FIPS) from both randoms, as
 * the client. 0, RD_E_INVALID for another method, RD_E_NOMEM. */
int rd_seclayer_start(rd_seclayer *l, rd_rdpsec_lib *lib, uint32_t method,
                      const uint8_t client_random[RD_SEC_RANDOM_LEN],
                      const uint8_t server_random[RD_SEC_RANDOM_LEN]);
void rd_seclayer_free(rd_seclayer *l); /* wipes; the struct may be reused after */

/* Appends a security header with flags (RD_SEC_*) and then payload: with encrypt, SEC_ENCRYPT is
 * added, the MAC (and the FIPS fields) written and the payload encrypted; without, the basic
 * header and the payload as they are (licensing PDUs, 2.2.1.12). */
int rd_seclayer_wrap(rd_seclayer *l, uint16_t flags, bool encrypt, const uint8_t *payload, size_t n,
                     rd_bld *out);

/* Reads the security header at the start of c (the whole MCS user data) into *h and sets body to
 * the payload: the bytes after the header, or, with SEC_ENCRYPT, their decryption (valid until the
 * next call). */
int rd_seclayer_unwrap(rd_seclayer *l, const rd_cur *c, rd_sec_header *h, rd_cur *body);

/* A fast-path output PDU (2.2.9.1.2) of n bytes: when its header says it is encrypted, decrypts it
 * and checks its MAC, so the server's stream stays in step. 0 (also for one sent in clear),
 * RD_E_MALFORMED, RD_E_STATE. */
int rd_seclayer_unwrap_fastpath(rd_seclayer *l, const uint8_t *pdu, size_t n);

#endif
