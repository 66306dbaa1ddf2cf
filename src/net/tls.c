/* TLS client over memory BIOs: see tls.h for the contract. */
#include "tls.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/err.h"

/* Everything but anonymous and null-encryption suites: a diagnosis wants the handshake a real
 * client could make, including the CBC/SHA-1 suites of TLS 1.0-only servers. Security level 0 is
 * what lets OpenSSL 3 use TLS 1.0/1.1 and SHA-1 signatures at all (test-lab.md §3). */
#define CIPHER_LIST "ALL:!aNULL:!eNULL:@SECLEVEL=0"

enum hs_state { HS_RUNNING, HS_DONE, HS_FAILED };

struct rd_tls_ctx {
  SSL_CTX *ssl_ctx;
};

struct rd_tls {
  SSL *ssl;
  BIO *rbio; /* ciphertext from the peer; owned by ssl */
  BIO *wbio; /* ciphertext to the peer; owned by ssl */
  enum hs_state state;
  bool eof;
  bool broken;        /* an application-data call failed after DONE */
  bool received_fatal; /* the recorded alert of each direction is fatal: keep it */
  bool sent_fatal;
  rd_tls_result res;
};

/* RFC 8446 §6 and RFC 5246 §7.2; names as the RFCs spell them, without "_RESERVED". */
#define RD_TLS_ALERTS(X)                                                                           \
  X(0, "close_notify")                                                                             \
  X(10, "unexpected_message")                                                                      \
  X(20, "bad_record_mac")                                                                          \
  X(21, "decryption_failed")                                                                       \
  X(22, "record_overflow")                                                                         \
  X(30, "decompression_failure")                                                                   \
  X(40, "handshake_failure")                                                                       \
  X(41, "no_certificate")                                                                          \
  X(42, "bad_certificate")                                                                         \
  X(43, "unsupported_certificate")                                                                 \
  X(44, "certificate_revoked")                                                                     \
  X(45, "certificate_expired")                                                                     \
  X(46, "certificate_unknown")                                                                     \
  X(47, "illegal_parameter")                                                                       \
  X(48, "unknown_ca")                                                                              \
  X(49, "access_denied")                                                                           \
  X(50, "decode_error")                                                                            \
  X(51, "decrypt_error")                                                                           \
  X(60, "export_restriction")                                                                      \
  X(70, "protocol_version")                                                                        \
  X(71, "insufficient_security")                                                                   \
  X(80, "internal_error")                                                                          \
  X(86, "inappropriate_fallback")                                                                  \
  X(90, "user_canceled")                                                                           \
  X(100, "no_renegotiation")                                                                       \
  X(109, "missing_extension")                                                                      \
  X(110, "unsupported_extension")                                                                  \
  X(111, "certificate_unobtainable")                                                               \
  X(112, "unrecognized_name")                                                                      \
  X(113, "bad_certificate_status_response")                                                        \
  X(114, "bad_certificate_hash_value")                                                             \
  X(115, "unknown_psk_identity")                                                                   \
  X(116, "certificate_required")                                                                   \
  X(120, "no_application_protocol")

const char *rd_tls_alert_name(int desc) {
  switch (desc) {
#define X(code, name)                                                                              \
  case code:                                                                                       \
    return name;
    RD_TLS_ALERTS(X)
#undef X
  }
  return "unknown";
}

static const char *version_name(int v) {
  switch (v) {
  case SSL3_VERSION:
    return "SSLv3";
  case TLS1_VERSION:
    return "TLSv1.0";
  case TLS1_1_VERSION:
    return "TLSv1.1";
  case TLS1_2_VERSION:
    return "TLSv1.2";
  case TLS1_3_VERSION:
    return "TLSv1.3";
  }
  return "";
}

/* Copies a string from OpenSSL into a fixed field, one line of printable ASCII whatever it held. */
static void copy_line(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src != NULL && src[i] != '\0' && i + 1 < cap; i++)
    dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : ' ';
  dst[i] = '\0';
}

/* A fatal alert is the one that explains a failure; a warning (close_notify, user_canceled) is
 * kept only until a fatal one arrives. */
static void note_alert(int *slot, bool *slot_fatal, int level, int desc) {
  bool fatal = level == SSL3_AL_FATAL;
  if (*slot < 0 || (fatal && !*slot_fatal)) {
    *slot = desc;
    *slot_fatal = fatal;
  }
}

static void on_info(const SSL *ssl, int where, int ret) {
  rd_tls *t;
  int shown;
  if ((where & SSL_CB_ALERT) == 0 || (t = SSL_get_app_data(ssl)) == NULL)
    return;
  if (where & SSL_CB_READ)
    note_alert(&t->res.alert_received, &t->received_fatal, (ret >> 8) & 0xff, ret & 0xff);
  else
    note_alert(&t->res.alert_sent, &t->sent_fatal, (ret >> 8) & 0xff, ret & 0xff);
  shown = t->res.alert_received >= 0 ? t->res.alert_received : t->res.alert_sent;
  copy_line(t->res.alert_text, sizeof(t->res.alert_text), rd_tls_alert_name(shown));
}

rd_tls_ctx *rd_tls_ctx_new(void) {
  rd_tls_ctx *ctx = calloc(1, sizeof(*ctx));
  SSL_CTX *c = NULL;
  if (ctx == NULL)
    goto fail;
  if ((c = SSL_CTX_new(TLS_client_method())) == NULL)
    goto fail;
  /* We record the certificate and rules judge it: a self-signed one must not end the handshake. */
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_security_level(c, 0);
  if (SSL_CTX_set_cipher_list(c, CIPHER_LIST) != 1 ||
      SSL_CTX_set_ciphersuites(c, OSSL_default_ciphersuites()) != 1 ||
      SSL_CTX_set_min_proto_version(c, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1)
    goto fail;
  /* Each connection must show the server's full handshake: no tickets, no cached sessions.
   * LEGACY_SERVER_CONNECT: Windows 2003-era servers lack RFC 5746, and OpenSSL 3 refuses them by
   * default; we want their facts, not a refusal. */
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  /* Idle connections give their record buffers back: a scan holds thousands of handshakes. */
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_info_callback(c, on_info);
  ctx->ssl_ctx = c;
  ERR_clear_error();
  return ctx;
fail:
  SSL_CTX_free(c);
  free(ctx);
  ERR_clear_error();
  return NULL;
}

void rd_tls_ctx_free(rd_tls_ctx *ctx) {
  if (ctx == NULL)
    return;
  SSL_CTX_free(ctx->ssl_ctx);
  free(ctx);
}

static bool valid_version(int v) {
  return v == 0 || (v >= TLS1_VERSION && v <= TLS1_3_VERSION);
}

/* RFC 6066 §3: no literal IPv4 or IPv6 addresses in server_name. A ':' only ever appears in an
 * IPv6 literal (bracketed or with a zone), never in a host name. */
static bool is_ip_literal(const char *s) {
  struct in_addr a4;
  return strchr(s, ':') != NULL || inet_pton(AF_INET, s, &a4) == 1;
}

static int set_sni(SSL *ssl, const char *sni) {
  char name[256];
  size_t len;
  if (sni == NULL || sni[0] == '\0' || is_ip_literal(sni))
    return 0;
  len = strlen(sni);
  if (sni[len - 1] == '.') /* the absolute form names the same host; SNI carries no dot */
    len--;
  if (len == 0 || len >= sizeof(name))
    return RD_E_INVALID;
  memcpy(name, sni, len);
  name[len] = '\0';
  return SSL_set_tlsext_host_name(ssl, name) == 1 ? 0 : RD_E_INVALID;
}

rd_tls *rd_tls_new(rd_tls_ctx *ctx, int min_version, int max_version, const char *sni) {
  rd_tls *t;
  if (ctx == NULL || !valid_version(min_version) || !valid_version(max_version) ||
      (min_version != 0 && max_version != 0 && min_version > max_version))
    return NULL;
  if ((t = calloc(1, sizeof(*t))) == NULL)
    return NULL;
  t->res.alert_received = -1;
  t->res.alert_sent = -1;
  if ((t->ssl = SSL_new(ctx->ssl_ctx)) == NULL)
    goto fail;
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (t->rbio == NULL || t->wbio == NULL) {
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    goto fail;
  }
  /* An empty input BIO means "wait for the network" until rd_tls_eof says otherwise. */
  BIO_set_mem_eof_return(t->rbio, -1);
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  SSL_set_connect_state(t->ssl);
  if (SSL_set_app_data(t->ssl, t) != 1)
    goto fail;
  if ((min_version != 0 && SSL_set_min_proto_version(t->ssl, min_version) != 1) ||
      (max_version != 0 && SSL_set_max_proto_version(t->ssl, max_version) != 1))
    goto fail;
  if (set_sni(t->ssl, sni) != 0)
    goto fail;
  ERR_clear_error();
  return t;
fail:
  rd_tls_free(t);
  ERR_clear_error();
  return NULL;
}

void rd_tls_free(rd_tls *t) {
  if (t == NULL)
    return;
  SSL_free(t->ssl); /* frees both BIOs */
  free(t->res.peer_cert_der);
  free(t);
}

int rd_tls_feed(rd_tls *t, const uint8_t *in, size_t n) {
  if (t->eof)
    return RD_E_STATE;
  if (n == 0)
    return 0;
  if (t->res.client_hello_sent)
    t->res.bytes_received_after_hello += n;
  if (t->state == HS_FAILED || t->broken)
    return 0;
  if (n > RD_TLS_MAX_BUFFERED || BIO_ctrl_pending(t->rbio) > RD_TLS_MAX_BUFFERED - n)
    return RD_E_TOO_BIG;
  /* n <= RD_TLS_MAX_BUFFERED fits an int. */
  int w = BIO_write(t->rbio, in, (int)n);
  ERR_clear_error();
  return w == (int)n ? 0 : RD_E_NOMEM;
}

void rd_tls_eof(rd_tls *t) {
  t->eof = true;
  /* Reads past the buffered bytes now return 0, which OpenSSL reports as an unexpected EOF. */
  BIO_set_mem_eof_return(t->rbio, 0);
}

size_t rd_tls_pending(const rd_tls *t) {
  return BIO_ctrl_pending(t->wbio);
}

size_t rd_tls_pull(rd_tls *t, uint8_t *out, size_t cap) {
  int r;
  if (cap == 0 || BIO_ctrl_pending(t->wbio) == 0)
    return 0;
  r = BIO_read(t->wbio, out, cap > INT_MAX ? INT_MAX : (int)cap);
  ERR_clear_error();
  if (r <= 0)
    return 0;
  /* A client's first output is its ClientHello: later silence and closes are the server's. */
  t->res.client_hello_sent = true;
  return (size_t)r;
}

/* Version, cipher and certificate as far as the handshake got. OpenSSL holds the server's choice
 * as the pending cipher once its ServerHello was accepted (the session gets it only at
 * ChangeCipherSpec), and the certificate once its Certificate message was parsed, even when a
 * later step failed: that is what tls-key-unusable has to show. */
static void collect(rd_tls *t) {
  const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
  X509 *cert;
  if (c == NULL)
    c = SSL_get_pending_cipher(t->ssl);
  if (c != NULL && version_name(SSL_version(t->ssl))[0] != '\0') {
    t->res.version = SSL_version(t->ssl);
    copy_line(t->res.version_name, sizeof(t->res.version_name), version_name(t->res.version));
    copy_line(t->res.cipher, sizeof(t->res.cipher), SSL_CIPHER_get_name(c));
  }
  if (t->res.peer_cert_der == NULL && (cert = SSL_get0_peer_certificate(t->ssl)) != NULL) {
    int len = i2d_X509(cert, NULL);
    uint8_t *der = len > 0 ? malloc((size_t)len) : NULL;
    uint8_t *p = der;
    if (der != NULL && i2d_X509(cert, &p) == len) {
      t->res.peer_cert_der = der;
      t->res.peer_cert_len = (size_t)len;
    } else {
      free(der);
    }
  }
}

/* Takes the reason off the error queue (the first SSL-library entry says what went wrong in the
 * protocol; lower layers only say where) and empties the queue. */
static void take_reason(rd_tls *t, int ssl_err) {
  unsigned long e, first = 0, first_ssl = 0;
  const char *why;
  while ((e = ERR_get_error()) != 0) {
    if (first == 0)
      first = e;
    if (first_ssl == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
      first_ssl = e;
  }
  e = first_ssl != 0 ? first_ssl : first;
  if (e != 0 && (why = ERR_reason_error_string(e)) != NULL)
    copy_line(t->res.reason, sizeof(t->res.reason), why);
  else if (e != 0)
    snprintf(t->res.reason, sizeof(t->res.reason), "openssl error %08lx", e);
  else if (ssl_err == SSL_ERROR_ZERO_RETURN)
    copy_line(t->res.reason, sizeof(t->res.reason), "close notify");
  else if (t->eof)
    copy_line(t->res.reason, sizeof(t->res.reason), "unexpected eof while reading");
  else
    snprintf(t->res.reason, sizeof(t->res.reason), "ssl error %d", ssl_err);
  ERR_clear_error();
}

bool rd_tls_facts_ready(rd_tls *t) {
  if (t->state == HS_DONE)
    return true;
  if (t->state == HS_FAILED || t->eof || SSL_version(t->ssl) >= TLS1_3_VERSION)
    return false;
  /* TLS 1.2 and older: once our Finished is written, the server's first flight (ServerHello,
   * Certificate, ServerKeyExchange whose signature OpenSSL verified, ServerHelloDone) has been
   * processed; the server's Finished only adds a round trip, no fact. */
  OSSL_HANDSHAKE_STATE st = SSL_get_state(t->ssl);
  if (st != TLS_ST_CW_FINISHED && st != TLS_ST_CR_SESSION_TICKET && st != TLS_ST_CR_CHANGE)
    return false;
  if (SSL_get0_peer_certificate(t->ssl) == NULL)
    return false;
  collect(t);
  return t->res.version != 0;
}

int rd_tls_step(rd_tls *t) {
  int r, e;
  if (t->state == HS_DONE)
    return RD_TLS_DONE;
  if (t->state == HS_FAILED)
    return RD_TLS_FAILED;
  /* SSL_get_error reads the thread's queue: a stale entry would turn a WANT into a failure. */
  ERR_clear_error();
  r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    t->state = HS_DONE;
    collect(t);
    ERR_clear_error();
    return RD_TLS_DONE;
  }
  e = SSL_get_error(t->ssl, r);
  if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !t->eof) {
    ERR_clear_error();
    return RD_TLS_WANT;
  }
  t->state = HS_FAILED;
  take_reason(t, e);
  collect(t);
  return RD_TLS_FAILED;
}

/* Shared tail of read and write: r is SSL_read/SSL_write's return. */
static int app_result(rd_tls *t, int r) {
  int e = SSL_get_error(t->ssl, r);
  if (e == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return 0;
  }
  if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !t->eof) {
    ERR_clear_error();
    return RD_TLS_WANT;
  }
  t->broken = true;
  take_reason(t, e);
  collect(t);
  return RD_E_IO;
}

int rd_tls_read(rd_tls *t, uint8_t *out, size_t cap) {
  int r;
  if (t->state != HS_DONE || t->broken)
    return RD_E_STATE;
  if (cap == 0)
    return RD_E_INVALID;
  ERR_clear_error();
  r = SSL_read(t->ssl, out, cap > INT_MAX ? INT_MAX : (int)cap);
  if (r > 0) {
    ERR_clear_error();
    return r;
  }
  return app_result(t, r);
}

int rd_tls_write(rd_tls *t, const uint8_t *in, size_t n) {
  int r;
  if (t->state != HS_DONE || t->broken)
    return RD_E_STATE;
  if (n == 0 || n > INT_MAX)
    return RD_E_INVALID;
  ERR_clear_error();
  r = SSL_write(t->ssl, in, (int)n);
  if (r > 0) {
    ERR_clear_error();
    return r;
  }
  r = app_result(t, r);
  /* A write cannot meet a clean close: SSL_write reports close_notify as a failed write. */
  return r == 0 ? RD_E_IO : r;
}

const rd_tls_result *rd_tls_get_result(const rd_tls *t) {
  return &t->res;
}
