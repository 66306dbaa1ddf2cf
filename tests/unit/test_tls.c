/* rd_tls against an OpenSSL server that lives in the test: both ends run over memory BIOs and the
 * test moves the bytes, so handshakes, version pins, alerts, garbage after the ClientHello (an
 * HTTP server, xrdp's plaintext MCS disconnect of test-lab.md §3) and early EOF are all exercised
 * without a socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "net/tls.h"

/* The server's identity, made once for the whole file: RSA key generation is the slow part. */
static EVP_PKEY *g_key;
static X509 *g_cert;
static rd_tls_ctx *g_ctx;

typedef struct srv {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in;  /* what the client sent */
  BIO *out; /* what the server sends */
} srv;

static X509 *make_cert(EVP_PKEY *key) {
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  assert_non_null(x);
  assert_non_null(name);
  assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
  assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
  assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
  assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 180));
  assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                              (const unsigned char *)"rdp-lab.local", -1, -1, 0),
                   1);
  assert_int_equal(X509_set_subject_name(x, name), 1);
  assert_int_equal(X509_set_issuer_name(x, name), 1);
  assert_int_equal(X509_set_pubkey(x, key), 1);
  assert_true(X509_sign(x, key, EVP_sha256()) > 0);
  X509_NAME_free(name);
  return x;
}

static int group_setup(void **state) {
  g_key = EVP_RSA_gen(2048);
  if (g_key == NULL)
    return -1;
  g_cert = make_cert(g_key);
  g_ctx = rd_tls_ctx_new();
  return g_ctx != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
  rd_tls_ctx_free(g_ctx);
  X509_free(g_cert);
  EVP_PKEY_free(g_key);
  return 0;
}

/* A server accepting min..max (0 = OpenSSL's bound); legacy drops it to security level 0, which
 * OpenSSL 3 needs for TLS 1.0/1.1 just as the client does (test-lab.md §3). */
static void srv_init(srv *s, int min, int max, bool legacy) {
  s->ctx = SSL_CTX_new(TLS_server_method());
  assert_non_null(s->ctx);
  assert_int_equal(SSL_CTX_use_certificate(s->ctx, g_cert), 1);
  assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, g_key), 1);
  if (legacy)
    assert_int_equal(SSL_CTX_set_cipher_list(s->ctx, "DEFAULT:@SECLEVEL=0"), 1);
  assert_int_equal(SSL_CTX_set_min_proto_version(s->ctx, min), 1);
  assert_int_equal(SSL_CTX_set_max_proto_version(s->ctx, max), 1);
  s->ssl = SSL_new(s->ctx);
  assert_non_null(s->ssl);
  s->in = BIO_new(BIO_s_mem());
  s->out = BIO_new(BIO_s_mem());
  assert_non_null(s->in);
  assert_non_null(s->out);
  SSL_set_bio(s->ssl, s->in, s->out);
  SSL_set_accept_state(s->ssl);
}

static void srv_free(srv *s) {
  SSL_free(s->ssl);
  SSL_CTX_free(s->ctx);
  ERR_clear_error();
}

/* Client output to the server; returns the bytes moved. */
static size_t to_server(rd_tls *t, srv *s) {
  uint8_t buf[4096];
  size_t n, moved = 0;
  while ((n = rd_tls_pull(t, buf, sizeof(buf))) > 0) {
    assert_int_equal(BIO_write(s->in, buf, (int)n), (int)n);
    moved += n;
  }
  assert_int_equal(rd_tls_pending(t), 0);
  return moved;
}

/* Server output to the client, all of it in one feed. */
static size_t to_client(srv *s, rd_tls *t) {
  uint8_t buf[16384];
  int n = BIO_read(s->out, buf, sizeof(buf));
  if (n <= 0)
    return 0;
  assert_int_equal(rd_tls_feed(t, buf, (size_t)n), 0);
  return (size_t)n;
}

/* Runs both handshakes until no byte moves. The server's errors land on this thread's error
 * queue too, so they are cleared before each client call: whatever the queue holds right after
 * rd_tls_step came from rd_tls. */
static int pump(rd_tls *t, srv *s) {
  for (int i = 0; i < 32; i++) {
    size_t moved;
    rd_tls_step(t);
    assert_int_equal(ERR_peek_error(), 0);
    moved = to_server(t, s);
    if (!SSL_is_init_finished(s->ssl))
      SSL_do_handshake(s->ssl);
    ERR_clear_error();
    moved += to_client(s, t);
    if (moved == 0)
      break;
  }
  return rd_tls_step(t);
}

/* The ClientHello only: the test then plays the server by hand. */
static size_t send_hello(rd_tls *t, uint8_t *buf, size_t cap) {
  size_t n;
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT);
  assert_false(rd_tls_get_result(t)->client_hello_sent);
  n = rd_tls_pull(t, buf, cap);
  assert_true(n > 5);
  assert_int_equal(buf[0], 0x16); /* handshake record */
  assert_int_equal(buf[5], 0x01); /* ClientHello */
  assert_true(rd_tls_get_result(t)->client_hello_sent);
  return n;
}

static void assert_one_line_reason(const rd_tls_result *r) {
  size_t len = strlen(r->reason);
  assert_true(len > 0);
  assert_true(len < sizeof(r->reason));
  for (size_t i = 0; i < len; i++)
    assert_true(r->reason[i] >= 0x20 && r->reason[i] < 0x7f);
}

static void test_rd_tls_step_default_tls13(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local.");
  const rd_tls_result *r;
  uint8_t *der = NULL;
  int der_len;
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  assert_true(SSL_is_init_finished(s.ssl));
  r = rd_tls_get_result(t);
  assert_int_equal(r->version, 0x0304);
  assert_string_equal(r->version_name, "TLSv1.3");
  assert_string_equal(r->cipher, "TLS_AES_256_GCM_SHA384");
  assert_int_equal(r->alert_received, -1);
  assert_int_equal(r->alert_sent, -1);
  assert_string_equal(r->alert_text, "");
  assert_string_equal(r->reason, "");
  assert_true(r->client_hello_sent);
  assert_true(r->bytes_received_after_hello > 0);
  /* SNI went out without the trailing dot. */
  assert_string_equal(SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name), "rdp-lab.local");
  /* The peer certificate is exactly the server's. */
  der_len = i2d_X509(g_cert, &der);
  assert_true(der_len > 0);
  assert_int_equal(r->peer_cert_len, (size_t)der_len);
  assert_memory_equal(r->peer_cert_der, der, (size_t)der_len);
  OPENSSL_free(der);
  /* DONE stays DONE. */
  assert_int_equal(rd_tls_step(t), RD_TLS_DONE);
  rd_tls_free(t);
  srv_free(&s);
}

static void test_rd_tls_new_ip_literal_sends_no_sni(void **state) {
  static const char *const literals[] = {"127.0.0.1", "::1", "[::1]", "fe80::1%eth0", NULL, ""};
  for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
    srv s;
    rd_tls *t = rd_tls_new(g_ctx, 0, 0, literals[i]);
    assert_non_null(t);
    srv_init(&s, 0, 0, false);
    assert_int_equal(pump(t, &s), RD_TLS_DONE);
    assert_null(SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name));
    rd_tls_free(t);
    srv_free(&s);
  }
}

static void test_rd_tls_step_pinned_tls12(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, TLS1_2_VERSION, TLS1_2_VERSION, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  r = rd_tls_get_result(t);
  assert_int_equal(r->version, 0x0303);
  assert_string_equal(r->version_name, "TLSv1.2");
  assert_string_equal(r->cipher, "ECDHE-RSA-AES256-GCM-SHA384");
  assert_non_null(r->peer_cert_der);
  rd_tls_free(t);
  srv_free(&s);
}

/* xrdp with ssl_protocols=TLSv1.2 and a TLS 1.3-only client: alert protocol_version. */
static void test_rd_tls_step_tls13_against_tls12_server(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, TLS1_3_VERSION, TLS1_3_VERSION, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  srv_init(&s, 0, TLS1_2_VERSION, false);
  assert_int_equal(pump(t, &s), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  r = rd_tls_get_result(t);
  assert_int_equal(r->alert_received, 70);
  assert_string_equal(r->alert_text, "protocol_version");
  assert_string_equal(r->reason, "tlsv1 alert protocol version");
  assert_one_line_reason(r);
  assert_int_equal(r->version, 0);
  assert_string_equal(r->version_name, "");
  assert_null(r->peer_cert_der);
  assert_true(r->client_hello_sent);
  assert_int_equal(r->bytes_received_after_hello, 7); /* one alert record */
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  rd_tls_free(t);
  srv_free(&s);
}

/* xrdp with ssl_protocols=TLSv1 and tls_ciphers=DEFAULT:@SECLEVEL=0 (test-lab.md §3). */
static void test_rd_tls_step_tls10_server(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  srv_init(&s, TLS1_VERSION, TLS1_VERSION, true);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  r = rd_tls_get_result(t);
  assert_int_equal(r->version, 0x0301);
  assert_string_equal(r->version_name, "TLSv1.0");
  assert_string_equal(r->cipher, "ECDHE-RSA-AES256-SHA");
  rd_tls_free(t);
  srv_free(&s);
}

static void test_rd_tls_step_tls11_server(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, NULL);
  assert_non_null(t);
  srv_init(&s, TLS1_1_VERSION, TLS1_1_VERSION, true);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  assert_int_equal(rd_tls_get_result(t)->version, 0x0302);
  assert_string_equal(rd_tls_get_result(t)->version_name, "TLSv1.1");
  rd_tls_free(t);
  srv_free(&s);
}

/* A client pinned to TLS 1.2 against a TLS 1.0-only server: the server answers with TLS 1.0 and
 * we send the alert. */
static void test_rd_tls_step_tls12_against_tls10_server(void **state) {
  srv s;
  rd_tls *t = rd_tls_new(g_ctx, TLS1_2_VERSION, TLS1_2_VERSION, NULL);
  const rd_tls_result *r;
  assert_non_null(t);
  srv_init(&s, TLS1_VERSION, TLS1_VERSION, true);
  assert_int_equal(pump(t, &s), RD_TLS_FAILED);
  r = rd_tls_get_result(t);
  assert_int_equal(r->alert_received, -1);
  assert_int_equal(r->alert_sent, 70);
  assert_string_equal(r->alert_text, "protocol_version");
  assert_string_equal(r->reason, "unsupported protocol");
  assert_int_equal(r->version, 0); /* a ServerHello we refused chose nothing */
  rd_tls_free(t);
  srv_free(&s);
}

static void feed_garbage(const uint8_t *junk, size_t n) {
  uint8_t hello[4096];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  send_hello(t, hello, sizeof(hello));
  assert_int_equal(rd_tls_feed(t, junk, n), 0);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  r = rd_tls_get_result(t);
  assert_one_line_reason(r);
  assert_int_equal(r->bytes_received_after_hello, n);
  assert_int_equal(r->alert_received, -1);
  assert_int_equal(r->version, 0);
  assert_null(r->peer_cert_der);
  /* Later bytes (xrdp's RST comes after its DPU) are counted, not parsed. */
  assert_int_equal(rd_tls_feed(t, junk, n), 0);
  assert_int_equal(r->bytes_received_after_hello, 2 * n);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  rd_tls_free(t);
}

static void test_rd_tls_step_http_reply(void **state) {
  static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
  feed_garbage((const uint8_t *)http, sizeof(http) - 1);
}

/* xrdp with a mismatched key answers the ClientHello with a plaintext MCS DPU (test-lab.md §3). */
static void test_rd_tls_step_plaintext_tpkt(void **state) {
  static const uint8_t dpu[] = {
      0x03, 0x00, 0x00, 0x09, /* TPKT v3, length 9 */
      0x02, 0xf0, 0x80,       /* X.224 DT, EOT */
      0x21, 0x80,             /* MCS Disconnect Provider Ultimatum, rn-user-requested */
  };
  feed_garbage(dpu, sizeof(dpu));
}

/* xrdp TLSv1-only at the default security level: alert internal_error, then the DPU. */
static void test_rd_tls_step_internal_error_alert(void **state) {
  static const uint8_t reply[] = {
      0x15, 0x03, 0x01, 0x00, 0x02, /* alert record, TLS 1.0, length 2 */
      0x02, 0x50,                   /* fatal, internal_error (80) */
      0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80, /* MCS DPU */
  };
  uint8_t hello[4096];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  send_hello(t, hello, sizeof(hello));
  assert_int_equal(rd_tls_feed(t, reply, sizeof(reply)), 0);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  r = rd_tls_get_result(t);
  assert_int_equal(r->alert_received, 80);
  assert_string_equal(r->alert_text, "internal_error");
  assert_string_equal(r->reason, "tlsv1 alert internal error");
  assert_int_equal(r->bytes_received_after_hello, sizeof(reply));
  rd_tls_free(t);
}

static void test_rd_tls_step_eof_before_any_byte(void **state) {
  uint8_t hello[4096];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  const rd_tls_result *r;
  assert_non_null(t);
  send_hello(t, hello, sizeof(hello));
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT); /* silence is not a failure */
  rd_tls_eof(t);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  r = rd_tls_get_result(t);
  assert_true(r->client_hello_sent);
  assert_int_equal(r->bytes_received_after_hello, 0);
  assert_int_equal(r->alert_received, -1);
  assert_string_equal(r->reason, "unexpected eof while reading");
  assert_int_equal(rd_tls_feed(t, hello, 1), RD_E_STATE);
  rd_tls_free(t);
}

/* EOF in the middle of the server's flight: the bytes so far count, the reason is still EOF. */
static void test_rd_tls_step_eof_mid_flight(void **state) {
  srv s;
  uint8_t buf[16384];
  int n;
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT);
  to_server(t, &s);
  SSL_do_handshake(s.ssl);
  ERR_clear_error();
  n = BIO_read(s.out, buf, sizeof(buf));
  assert_true(n > 100);
  assert_int_equal(rd_tls_feed(t, buf, 100), 0);
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT);
  rd_tls_eof(t);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  assert_int_equal(rd_tls_get_result(t)->bytes_received_after_hello, 100);
  assert_string_equal(rd_tls_get_result(t)->reason, "unexpected eof while reading");
  rd_tls_free(t);
  srv_free(&s);
}

/* A failure after the ServerHello and Certificate keeps what they said: the version and cipher
 * the server chose and its certificate (what tls-key-unusable needs to name). */
static void test_rd_tls_step_failure_after_certificate(void **state) {
  srv s;
  uint8_t buf[16384];
  int n;
  rd_tls *t = rd_tls_new(g_ctx, TLS1_2_VERSION, TLS1_2_VERSION, NULL);
  const rd_tls_result *r;
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT);
  to_server(t, &s);
  SSL_do_handshake(s.ssl);
  ERR_clear_error();
  n = BIO_read(s.out, buf, sizeof(buf));
  assert_true(n > 9);
  /* The flight ends with ServerHelloDone in its own record: 16 03 03 00 04 0e 00 00 00. Turn it
   * into an empty Certificate message, which is unexpected there. */
  static const uint8_t done[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};
  assert_memory_equal(buf + n - 9, done, 9);
  buf[n - 4] = 0x0b;
  assert_int_equal(rd_tls_feed(t, buf, (size_t)n), 0);
  assert_int_equal(rd_tls_step(t), RD_TLS_FAILED);
  assert_int_equal(ERR_peek_error(), 0);
  r = rd_tls_get_result(t);
  assert_int_equal(r->version, 0x0303);
  assert_string_equal(r->version_name, "TLSv1.2");
  assert_string_equal(r->cipher, "ECDHE-RSA-AES256-GCM-SHA384");
  assert_non_null(r->peer_cert_der);
  assert_int_equal(r->alert_sent, 10);
  assert_string_equal(r->alert_text, "unexpected_message");
  assert_one_line_reason(r);
  assert_true(rd_tls_pending(t) > 0); /* the alert, for the engine to send */
  rd_tls_free(t);
  srv_free(&s);
}

static void test_rd_tls_read_write_roundtrip(void **state) {
  srv s;
  uint8_t buf[64];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), RD_E_STATE);
  assert_int_equal(rd_tls_write(t, (const uint8_t *)"x", 1), RD_E_STATE);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  assert_int_equal(rd_tls_write(t, (const uint8_t *)"x", 0), RD_E_INVALID);
  assert_int_equal(rd_tls_read(t, buf, 0), RD_E_INVALID);

  assert_int_equal(rd_tls_write(t, (const uint8_t *)"ping", 4), 4);
  assert_int_equal(ERR_peek_error(), 0);
  to_server(t, &s);
  assert_int_equal(SSL_read(s.ssl, buf, sizeof(buf)), 4);
  assert_memory_equal(buf, "ping", 4);

  assert_int_equal(SSL_write(s.ssl, "pong!", 5), 5);
  to_client(&s, t);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), 5);
  assert_memory_equal(buf, "pong!", 5);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), RD_TLS_WANT);
  assert_int_equal(ERR_peek_error(), 0);

  /* A record split across feeds is read once it is whole. */
  uint8_t rec[256];
  int n;
  assert_int_equal(SSL_write(s.ssl, "split", 5), 5);
  n = BIO_read(s.out, rec, sizeof(rec));
  assert_true(n > 3);
  assert_int_equal(rd_tls_feed(t, rec, 3), 0);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), RD_TLS_WANT);
  assert_int_equal(rd_tls_feed(t, rec + 3, (size_t)n - 3), 0);
  assert_int_equal(rd_tls_read(t, buf, 2), 2); /* a small cap takes the record in pieces */
  assert_int_equal(rd_tls_read(t, buf + 2, sizeof(buf) - 2), 3);
  assert_memory_equal(buf, "split", 5);

  /* close_notify reads as 0, and is recorded as the (warning) alert received. */
  SSL_shutdown(s.ssl);
  to_client(&s, t);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), 0);
  assert_int_equal(ERR_peek_error(), 0);
  assert_int_equal(rd_tls_get_result(t)->alert_received, 0);
  assert_string_equal(rd_tls_get_result(t)->alert_text, "close_notify");
  rd_tls_free(t);
  srv_free(&s);
}

/* EOF without close_notify after the handshake is a failure with a reason, not a clean end. */
static void test_rd_tls_read_eof_without_close_notify(void **state) {
  srv s;
  uint8_t buf[64];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  assert_non_null(t);
  srv_init(&s, 0, 0, false);
  assert_int_equal(pump(t, &s), RD_TLS_DONE);
  rd_tls_eof(t);
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), RD_E_IO);
  assert_int_equal(ERR_peek_error(), 0);
  assert_string_equal(rd_tls_get_result(t)->reason, "unexpected eof while reading");
  assert_int_equal(rd_tls_read(t, buf, sizeof(buf)), RD_E_STATE);
  assert_int_equal(rd_tls_step(t), RD_TLS_DONE); /* the handshake itself did complete */
  rd_tls_free(t);
  srv_free(&s);
}

/* Another connection's leftover error on this thread must not turn a WANT into a failure. */
static void test_rd_tls_step_ignores_stale_errors(void **state) {
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, "rdp-lab.local");
  assert_non_null(t);
  ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);
  assert_int_equal(rd_tls_step(t), RD_TLS_WANT);
  assert_int_equal(ERR_peek_error(), 0);
  rd_tls_free(t);
}

static void test_rd_tls_new_invalid(void **state) {
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  assert_null(rd_tls_new(NULL, 0, 0, NULL));
  assert_null(rd_tls_new(g_ctx, SSL3_VERSION, 0, NULL));
  assert_null(rd_tls_new(g_ctx, 0, 0x0305, NULL));
  assert_null(rd_tls_new(g_ctx, TLS1_3_VERSION, TLS1_2_VERSION, NULL));
  assert_null(rd_tls_new(g_ctx, 0, 0, longname));
  assert_null(rd_tls_new(g_ctx, 0, 0, "."));
  assert_int_equal(ERR_peek_error(), 0);
  rd_tls_free(NULL);
  rd_tls_ctx_free(NULL);
}

static void test_rd_tls_feed_too_big(void **state) {
  static uint8_t junk[RD_TLS_MAX_BUFFERED];
  rd_tls *t = rd_tls_new(g_ctx, 0, 0, NULL);
  assert_non_null(t);
  assert_int_equal(rd_tls_feed(t, junk, sizeof(junk)), 0);
  assert_int_equal(rd_tls_feed(t, junk, 1), RD_E_TOO_BIG);
  assert_int_equal(rd_tls_feed(t, junk, 0), 0);
  rd_tls_free(t);
}

/* Two contexts side by side (two checks in one process) share nothing. */
static void test_rd_tls_ctx_new_independent(void **state) {
  rd_tls_ctx *a = rd_tls_ctx_new(), *b = rd_tls_ctx_new();
  srv s;
  assert_non_null(a);
  assert_non_null(b);
  rd_tls *ta = rd_tls_new(a, 0, 0, NULL);
  rd_tls_ctx_free(a); /* the connection keeps its own reference */
  srv_init(&s, 0, 0, false);
  assert_int_equal(pump(ta, &s), RD_TLS_DONE);
  rd_tls_free(ta);
  srv_free(&s);
  rd_tls_ctx_free(b);
}

static void test_rd_tls_alert_name_codes(void **state) {
  assert_string_equal(rd_tls_alert_name(0), "close_notify");
  assert_string_equal(rd_tls_alert_name(10), "unexpected_message");
  assert_string_equal(rd_tls_alert_name(40), "handshake_failure");
  assert_string_equal(rd_tls_alert_name(70), "protocol_version");
  assert_string_equal(rd_tls_alert_name(80), "internal_error");
  assert_string_equal(rd_tls_alert_name(86), "inappropriate_fallback");
  assert_string_equal(rd_tls_alert_name(112), "unrecognized_name");
  assert_string_equal(rd_tls_alert_name(116), "certificate_required");
  assert_string_equal(rd_tls_alert_name(120), "no_application_protocol");
  assert_string_equal(rd_tls_alert_name(-1), "unknown");
  assert_string_equal(rd_tls_alert_name(1), "unknown");
  assert_string_equal(rd_tls_alert_name(255), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_tls_step_default_tls13),
      cmocka_unit_test(test_rd_tls_new_ip_literal_sends_no_sni),
      cmocka_unit_test(test_rd_tls_step_pinned_tls12),
      cmocka_unit_test(test_rd_tls_step_tls13_against_tls12_server),
      cmocka_unit_test(test_rd_tls_step_tls10_server),
      cmocka_unit_test(test_rd_tls_step_tls11_server),
      cmocka_unit_test(test_rd_tls_step_tls12_against_tls10_server),
      cmocka_unit_test(test_rd_tls_step_http_reply),
      cmocka_unit_test(test_rd_tls_step_plaintext_tpkt),
      cmocka_unit_test(test_rd_tls_step_internal_error_alert),
      cmocka_unit_test(test_rd_tls_step_eof_before_any_byte),
      cmocka_unit_test(test_rd_tls_step_eof_mid_flight),
      cmocka_unit_test(test_rd_tls_step_failure_after_certificate),
      cmocka_unit_test(test_rd_tls_read_write_roundtrip),
      cmocka_unit_test(test_rd_tls_read_eof_without_close_notify),
      cmocka_unit_test(test_rd_tls_step_ignores_stale_errors),
      cmocka_unit_test(test_rd_tls_new_invalid),
      cmocka_unit_test(test_rd_tls_feed_too_big),
      cmocka_unit_test(test_rd_tls_ctx_new_independent),
      cmocka_unit_test(test_rd_tls_alert_name_codes),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
