/* A TLS client over memory BIOs (DESIGN.md "TLS" phase; reference §6): the event engine moves the
 * ciphertext, this module only runs OpenSSL's state machine. It does no socket I/O, reads no clock
 * and prints nothing, so tests drive it against an in-memory server.
 *
 * The engine's loop for one connection:
 *   rd_tls_step()                    -> RD_TLS_WANT | RD_TLS_DONE | RD_TLS_FAILED
 *   while (rd_tls_pending()) rd_tls_pull() and send the bytes
 *   on bytes from the socket: rd_tls_feed(), then rd_tls_step() again
 *   on EOF or reset: rd_tls_eof(), then rd_tls_step() once more (it reports FAILED)
 * After every call that can produce output (step, read, write) the engine pulls what is pending:
 * TLS 1.3 ends the handshake with the client's Finished still to be sent.
 *
 * The result (rd_tls_get_result) records facts, never a verdict: the certificate is not verified
 * here (cert.h reads it), and versions down to TLS 1.0 are offered because RDP servers of the
 * Windows 2008 R2 era speak nothing newer. Every call leaves OpenSSL's thread-local error queue
 * empty, so one connection's failure never shows up in another's reason. */
#ifndef RD_NET_TLS_H
#define RD_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status values of rd_tls_step (and RD_TLS_WANT from rd_tls_read/rd_tls_write). They lie outside
 * the RD_E_* range of err.def so one int can carry a byte count, a status or an error. */
#define RD_TLS_DONE   0
#define RD_TLS_WANT   (-100)
#define RD_TLS_FAILED (-101)

/* rd_tls_feed refuses to buffer more unread ciphertext than this (RD_E_TOO_BIG): a handshake
 * flight with a long certificate chain is far smaller, and application data is read as it comes. */
#define RD_TLS_MAX_BUFFERED (1u << 20)

typedef struct rd_tls_result {
  int version;           /* negotiated wire version (0x0301..0x0304), 0 when none was agreed */
  char version_name[16]; /* "TLSv1.0" … "TLSv1.3", "" when none */
  char cipher[64];       /* OpenSSL's name: "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-SHA" */
  int alert_received;    /* alert description the peer sent (RFC 8446 §6), -1 none */
  int alert_sent;        /* alert description we sent, -1 none */
  char alert_text[48];   /* name of the received alert, else of the sent one, else "" */
  char reason[128];      /* OpenSSL's one-line reason of a failure ("wrong version number"), "" */
  bool client_hello_sent;            /* the ClientHello was pulled for sending */
  size_t bytes_received_after_hello; /* ciphertext bytes fed after that */
  uint8_t *peer_cert_der; /* server's leaf certificate (also after a failure that followed its */
  size_t peer_cert_len;   /* Certificate message); owned by rd_tls, NULL/0 when none */
} rd_tls_result;

typedef struct rd_tls_ctx rd_tls_ctx;
typedef struct rd_tls rd_tls;

/* One context per check, shared by its connections. It is never changed after creation, so
 * connections of one context may run on different threads and checks never see each other's.
 * Client method, no verification, TLS 1.0-1.3, security level 0 and a cipher list wide enough for
 * TLS 1.0/1.1-only servers, OpenSSL's default TLS 1.3 suites, no tickets or session cache.
 * Returns NULL when OpenSSL cannot build it (out of memory). A connection holds its own reference
 * to OpenSSL's context, so the context may be freed before its connections. */
rd_tls_ctx *rd_tls_ctx_new(void);
void rd_tls_ctx_free(rd_tls_ctx *ctx);

/* A client connection. min_version/max_version: TLS1_VERSION … TLS1_3_VERSION (0x0301 … 0x0304),
 * or 0 for the context's bound. sni: a host name to send in server_name (one trailing dot is
 * dropped); NULL, "" or an IP literal sends no SNI (RFC 6066 §3 forbids literals).
 * Returns NULL on a version outside that range, min > max, an SNI OpenSSL rejects, or no memory. */
rd_tls *rd_tls_new(rd_tls_ctx *ctx, int min_version, int max_version, const char *sni);
void rd_tls_free(rd_tls *t);

/* Ciphertext from the network. 0, RD_E_STATE after rd_tls_eof, RD_E_TOO_BIG past
 * RD_TLS_MAX_BUFFERED unread bytes, RD_E_NOMEM. Bytes fed after a failure are counted, dropped. */
int rd_tls_feed(rd_tls *t, const uint8_t *in, size_t n);
/* The peer closed (FIN or reset): later reads see end of stream instead of "want more". */
void rd_tls_eof(rd_tls *t);
/* Ciphertext waiting to be sent, and taking up to cap bytes of it (returns how many). */
size_t rd_tls_pending(const rd_tls *t);
size_t rd_tls_pull(rd_tls *t, uint8_t *out, size_t cap);

/* Advances the handshake as far as the fed bytes allow: RD_TLS_WANT (needs input), RD_TLS_DONE,
 * RD_TLS_FAILED. Once DONE or FAILED it keeps returning that. */
int rd_tls_step(rd_tls *t);

/* True once the handshake has given every fact a check records (version, cipher, certificate):
 * at DONE, or for TLS 1.2 and older as soon as our Finished is sent, one round trip before the
 * server's Finished would arrive. rd_tls_get_result then holds them. */
bool rd_tls_facts_ready(rd_tls *t);

/* Application data after DONE. rd_tls_read: bytes read (> 0), 0 when the peer sent close_notify,
 * RD_TLS_WANT when no whole record is buffered, RD_E_IO when the connection failed (alert, bad
 * record, EOF without close_notify; the result says which), RD_E_STATE before DONE or after a
 * failure, RD_E_INVALID for cap 0. rd_tls_write: n (all bytes are taken; the records wait in
 * rd_tls_pending), RD_TLS_WANT, RD_E_IO, RD_E_STATE, RD_E_INVALID for n 0 or over INT_MAX. */
int rd_tls_read(rd_tls *t, uint8_t *out, size_t cap);
int rd_tls_write(rd_tls *t, const uint8_t *in, size_t n);

/* Facts so far; complete after DONE or FAILED. Valid until rd_tls_free. */
const rd_tls_result *rd_tls_get_result(const rd_tls *t);

/* RFC 8446 §6 / RFC 5246 §7.2 alert description name ("protocol_version"), "unknown" otherwise. */
const char *rd_tls_alert_name(int desc);

#endif
