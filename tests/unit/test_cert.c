/* Certificate facts from DER: certificates made in memory with OpenSSL (good, expired, not yet
 * valid, weak, EC, Ed25519, wildcard, CA-signed, hostile names), every facts field, RFC 6125 name
 * matching, days left, and malformed inputs. Expected dates were computed independently
 * (Python's calendar.timegm). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "auth/cert.h"

static EVP_PKEY *g_rsa2048, *g_rsa1024, *g_ec, *g_ed25519, *g_ca_key;

typedef struct spec {
  EVP_PKEY *key;        /* the certificate's key */
  EVP_PKEY *signer;     /* NULL: key (self-signed) */
  const char *issuer;   /* NULL: the subject (self-issued) */
  const char *cn;       /* NULL: no CN */
  const char *org;      /* NULL: no O */
  const char *san;      /* NULL: no SAN; else "DNS:a,IP:1.2.3.4" */
  const char *eku;      /* NULL: no EKU; else "serverAuth,clientAuth" */
  const char *not_before; /* "YYYYMMDDHHMMSSZ"; NULL: 20240101000000Z */
  const char *not_after;  /* NULL: 20340101000000Z */
  const EVP_MD *md;     /* NULL: SHA-256 (ignored for Ed25519) */
  int64_t serial;       /* 0: 0x1234 (int64_t: a long has 32 bits on Windows) */
} spec;

static void set_time(ASN1_TIME *t, const char *s) {
  /* The _X509 variant picks UTCTime for 1950-2049 and GeneralizedTime otherwise (RFC 5280). */
  assert_int_equal(ASN1_TIME_set_string_X509(t, s), 1);
}

static void add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX v3;
  X509_EXTENSION *ext;
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
  assert_non_null(ext);
  assert_int_equal(X509_add_ext(x, ext, -1), 1);
  X509_EXTENSION_free(ext);
}

static X509_NAME *make_name(const char *cn, const char *org) {
  X509_NAME *n = X509_NAME_new();
  assert_non_null(n);
  if (org != NULL)
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org,
                                                 -1, -1, 0),
                     1);
  if (cn != NULL)
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                                 -1, -1, 0),
                     1);
  return n;
}

static X509 *build(const spec *s) {
  X509 *x = X509_new();
  X509_NAME *subj = make_name(s->cn, s->org);
  X509_NAME *iss = s->issuer != NULL ? make_name(s->issuer, NULL) : X509_NAME_dup(subj);
  EVP_PKEY *signer = s->signer != NULL ? s->signer : s->key;
  const EVP_MD *md = s->md != NULL ? s->md : EVP_sha256();
  assert_non_null(x);
  assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
  assert_int_equal(ASN1_INTEGER_set_int64(X509_get_serialNumber(x), s->serial ? s->serial : 0x1234), 1);
  set_time(X509_getm_notBefore(x), s->not_before ? s->not_before : "20240101000000Z");
  set_time(X509_getm_notAfter(x), s->not_after ? s->not_after : "20340101000000Z");
  assert_int_equal(X509_set_subject_name(x, subj), 1);
  assert_int_equal(X509_set_issuer_name(x, iss), 1);
  assert_int_equal(X509_set_pubkey(x, s->key), 1);
  if (s->san != NULL)
    add_ext(x, NID_subject_alt_name, s->san);
  if (s->eku != NULL)
    add_ext(x, NID_ext_key_usage, s->eku);
  if (EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519)
    md = NULL;
  assert_true(X509_sign(x, signer, md) > 0);
  X509_NAME_free(subj);
  X509_NAME_free(iss);
  return x;
}

static uint8_t *to_der(X509 *x, size_t *len) {
  uint8_t *der = NULL;
  int n = i2d_X509(x, &der);
  assert_true(n > 0);
  *len = (size_t)n;
  return der;
}

/* Builds, encodes and reads the facts back. */
static void facts_of(const spec *s, rd_cert_facts *f) {
  X509 *x = build(s);
  size_t len;
  uint8_t *der = to_der(x, &len);
  assert_int_equal(rd_cert_facts_from_der(der, len, f), 0);
  assert_int_equal(ERR_peek_error(), 0);
  OPENSSL_free(der);
  X509_free(x);
}

static int group_setup(void **state) {
  g_rsa2048 = EVP_RSA_gen(2048);
  g_rsa1024 = EVP_RSA_gen(1024);
  g_ca_key = EVP_EC_gen("P-256");
  g_ec = EVP_EC_gen("P-256");
  g_ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  return g_rsa2048 && g_rsa1024 && g_ca_key && g_ec && g_ed25519 ? 0 : -1;
}

static int group_teardown(void **state) {
  EVP_PKEY_free(g_rsa2048);
  EVP_PKEY_free(g_rsa1024);
  EVP_PKEY_free(g_ca_key);
  EVP_PKEY_free(g_ec);
  EVP_PKEY_free(g_ed25519);
  return 0;
}

/* The lab's good certificate (test-lab.md §2): CN plus DNS and IP SANs, serverAuth. */
static spec good_spec(void) {
  spec s = {.key = g_rsa2048,
            .cn = "rdp-lab.local",
            .org = "Rdpdoctor Lab",
            .san = "DNS:rdp-lab.local,IP:127.0.0.1,IP:::1",
            .eku = "serverAuth",
            .serial = 0x0123456789abcdef};
  return s;
}

static void test_rd_cert_facts_from_der_good(void **state) {
  spec s = good_spec();
  X509 *x = build(&s);
  size_t len;
  uint8_t *der = to_der(x, &len);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  rd_cert_facts f;
  memset(&f, 0xaa, sizeof(f));
  assert_int_equal(rd_cert_facts_from_der(der, len, &f), 0);
  assert_int_equal(ERR_peek_error(), 0);
  assert_string_equal(f.subject, "CN=rdp-lab.local,O=Rdpdoctor Lab");
  assert_string_equal(f.issuer, "CN=rdp-lab.local,O=Rdpdoctor Lab");
  assert_string_equal(f.common_name, "rdp-lab.local");
  assert_int_equal(f.san_count, 3);
  assert_int_equal(f.san_total, 3);
  assert_string_equal(f.san[0], "DNS:rdp-lab.local");
  assert_string_equal(f.san[1], "IP:127.0.0.1");
  assert_string_equal(f.san[2], "IP:::1");
  assert_true(f.has_dns_san);
  assert_false(f.san_invalid);
  assert_int_equal(f.not_before, 1704067200);
  assert_int_equal(f.not_after, 2019686400);
  assert_true(f.self_issued);
  assert_true(f.self_signed);
  assert_string_equal(f.key_type, "RSA");
  assert_int_equal(f.key_bits, 2048);
  assert_string_equal(f.key_group, "");
  assert_string_equal(f.sig_alg, "sha256WithRSAEncryption");
  assert_false(f.sig_hash_weak);
  /* X509_digest re-encodes the parsed certificate: an independent path to the same bytes. */
  assert_int_equal(X509_digest(x, EVP_sha256(), md, &md_len), 1);
  assert_int_equal(md_len, RD_CERT_SHA256_LEN);
  assert_memory_equal(f.sha256, md, RD_CERT_SHA256_LEN);
  assert_true(f.has_eku);
  assert_true(f.eku_server_auth);
  assert_false(f.eku_any);
  assert_false(f.ext_invalid);
  assert_string_equal(f.serial, "0123456789abcdef");
  assert_int_equal(f.version, 3);
  OPENSSL_free(der);
  X509_free(x);
}

static void test_rd_cert_facts_from_der_expired(void **state) {
  spec s = good_spec();
  rd_cert_facts f;
  s.not_before = "20190801000000Z";
  s.not_after = "20200131000000Z"; /* xrdp's expired lab certificate */
  facts_of(&s, &f);
  assert_int_equal(f.not_after, 1580428800);
  assert_int_equal(rd_cert_days_left(&f, 1704067200), -1431); /* exactly 1431 days */
  assert_true(rd_cert_days_left(&f, 1704067200) < 0);
}

static void test_rd_cert_facts_from_der_not_yet_valid(void **state) {
  spec s = good_spec();
  rd_cert_facts f;
  s.not_before = "21000101000000Z"; /* GeneralizedTime */
  s.not_after = "99991231235959Z";
  facts_of(&s, &f);
  assert_int_equal(f.not_before, 4102444800);
  assert_int_equal(f.not_after, 253402300799);
  assert_true(f.not_before > 1704067200);
}

/* UTCTime's 1950-2049 window, its edges, and dates either side of 1970 and 2038. */
static void test_rd_cert_facts_from_der_dates(void **state) {
  static const struct {
    const char *text;
    int64_t unix_s;
  } cases[] = {
      {"19491231235959Z", -631152001}, /* GeneralizedTime */
      {"19500101000000Z", -631152000}, /* UTCTime "50…" */
      {"19691231235959Z", -1},
      {"20000229120000Z", 951825600}, /* leap day of a century divisible by 400 */
      {"20380119031408Z", 2147483648}, /* one second past 32-bit time_t */
      {"20991231235959Z", 4102444799},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    spec s = good_spec();
    rd_cert_facts f;
    s.not_before = cases[i].text;
    s.not_after = cases[i].text;
    facts_of(&s, &f);
    assert_int_equal(f.not_before, cases[i].unix_s);
    assert_int_equal(f.not_after, cases[i].unix_s);
  }
}

static void test_rd_cert_facts_from_der_rsa1024_sha1(void **state) {
  spec s = {.key = g_rsa1024, .cn = "old-server", .md = EVP_sha1()};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.key_type, "RSA");
  assert_int_equal(f.key_bits, 1024);
  assert_string_equal(f.sig_alg, "sha1WithRSAEncryption");
  assert_true(f.sig_hash_weak);
  assert_true(f.self_signed);
  assert_false(f.has_eku);
  assert_false(f.eku_server_auth);
  assert_int_equal(f.san_count, 0);
  assert_false(f.has_dns_san);
  assert_string_equal(f.subject, "CN=old-server");
  assert_string_equal(f.serial, "1234");
}

static void test_rd_cert_facts_from_der_md5(void **state) {
  spec s = {.key = g_rsa1024, .cn = "older-server", .md = EVP_md5()};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.sig_alg, "md5WithRSAEncryption");
  assert_true(f.sig_hash_weak);
}

static void test_rd_cert_facts_from_der_ec_p256(void **state) {
  spec s = {.key = g_ec, .cn = "ec.lab", .san = "DNS:ec.lab", .eku = "clientAuth"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.key_type, "EC");
  assert_int_equal(f.key_bits, 256);
  assert_string_equal(f.key_group, "prime256v1");
  assert_string_equal(f.sig_alg, "ecdsa-with-SHA256");
  assert_false(f.sig_hash_weak);
  assert_true(f.self_signed);
  assert_true(f.has_eku);
  assert_false(f.eku_server_auth);
}

static void test_rd_cert_facts_from_der_ed25519(void **state) {
  spec s = {.key = g_ed25519, .cn = "ed.lab", .eku = "anyExtendedKeyUsage"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.key_type, "Ed25519");
  assert_string_equal(f.sig_alg, "ED25519");
  assert_false(f.sig_hash_weak);
  assert_true(f.self_signed);
  assert_true(f.has_eku);
  assert_true(f.eku_any);
  assert_false(f.eku_server_auth);
}

static void test_rd_cert_facts_from_der_ca_signed(void **state) {
  spec s = {.key = g_rsa2048, .signer = g_ca_key, .issuer = "Lab CA", .cn = "leaf.lab",
            .san = "DNS:leaf.lab", .eku = "serverAuth,clientAuth"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.issuer, "CN=Lab CA");
  assert_string_equal(f.subject, "CN=leaf.lab");
  assert_false(f.self_issued);
  assert_false(f.self_signed);
  assert_string_equal(f.key_type, "RSA");
  assert_string_equal(f.sig_alg, "ecdsa-with-SHA256");
  assert_true(f.eku_server_auth);
}

/* Same name as issuer, another key: a self-issued certificate is not necessarily self-signed. */
static void test_rd_cert_facts_from_der_self_issued_not_self_signed(void **state) {
  spec s = {.key = g_rsa2048, .signer = g_ca_key, .issuer = "same.lab", .cn = "same.lab"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_true(f.self_issued);
  assert_false(f.self_signed);
}

static void test_rd_cert_facts_from_der_negative_serial(void **state) {
  spec s = {.key = g_ec, .cn = "neg.lab", .serial = -5};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_string_equal(f.serial, "-05");
}

/* More SANs than we keep: the first 16 kept, all counted. */
static void test_rd_cert_facts_from_der_many_sans(void **state) {
  char san[1024] = "";
  spec s = {.key = g_ec, .cn = "cn.lab"};
  rd_cert_facts f;
  for (int i = 0; i < 20; i++) {
    char one[32];
    snprintf(one, sizeof(one), "%sDNS:h%02d.lab", i ? "," : "", i);
    strcat(san, one);
  }
  s.san = san;
  facts_of(&s, &f);
  assert_int_equal(f.san_count, RD_CERT_SAN_MAX);
  assert_int_equal(f.san_total, 20);
  assert_string_equal(f.san[15], "DNS:h15.lab");
  assert_true(rd_cert_name_matches(&f, "h15.lab"));
  assert_false(rd_cert_name_matches(&f, "h16.lab")); /* not kept */
  assert_false(rd_cert_name_matches(&f, "cn.lab"));  /* DNS SANs exist */
}

/* SAN entries with bytes a name must not hide: escaped, and they match nothing. */
static void test_rd_cert_facts_from_der_hostile_names(void **state) {
  static const char nul_dns[] = "evil.test\0.good.test";
  char long_dns[300];
  X509 *x;
  GENERAL_NAMES *gens = GENERAL_NAMES_new();
  uint8_t *der;
  size_t len;
  rd_cert_facts f;
  spec s = {.key = g_ec, .cn = "Ünïcødé\\name"};
  memset(long_dns, 'a', sizeof(long_dns));
  for (size_t i = 50; i < sizeof(long_dns); i += 50)
    long_dns[i] = '.';
  const struct {
    const char *p;
    size_t n;
  } raw[] = {{nul_dns, sizeof(nul_dns) - 1}, {"a\nb.test", 8}, {long_dns, sizeof(long_dns)}};
  assert_non_null(gens);
  for (size_t i = 0; i < 3; i++) {
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_IA5STRING *v = ASN1_IA5STRING_new();
    assert_non_null(g);
    assert_non_null(v);
    assert_int_equal(ASN1_STRING_set(v, raw[i].p, (int)raw[i].n), 1);
    GENERAL_NAME_set0_value(g, GEN_DNS, v);
    assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
  }
  x = build(&s);
  assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT), 1);
  assert_true(X509_sign(x, g_ec, EVP_sha256()) > 0);
  GENERAL_NAMES_free(gens);
  der = to_der(x, &len);
  assert_int_equal(rd_cert_facts_from_der(der, len, &f), 0);
  assert_string_equal(f.san[0], "DNS:evil.test\\x00.good.test");
  assert_string_equal(f.san[1], "DNS:a\\x0ab.test");
  assert_int_equal(strlen(f.san[2]), RD_CERT_SAN_LEN - 1);
  assert_string_equal(f.san[2] + RD_CERT_SAN_LEN - 4, "...");
  /* UTF-8 kept in the CN, a backslash escaped; RFC 2253 escapes both in the subject. */
  assert_string_equal(f.common_name, "Ünïcødé\\x5cname");
  assert_string_equal(f.subject, "CN=\\C3\\9Cn\\C3\\AFc\\C3\\B8d\\C3\\A9\\\\name");
  assert_false(rd_cert_name_matches(&f, "evil.test"));
  assert_false(rd_cert_name_matches(&f, "evil.test.good.test"));
  assert_false(rd_cert_name_matches(&f, "a"));
  assert_false(rd_cert_name_matches(&f, "b.test"));
  OPENSSL_free(der);
  X509_free(x);
}

/* Two subjectAltName extensions: OpenSSL reads neither, so the CN must not stand in. */
static void test_rd_cert_facts_from_der_duplicate_san(void **state) {
  spec s = {.key = g_ec, .cn = "cn.lab", .san = "DNS:one.lab"};
  X509 *x = build(&s);
  uint8_t *der;
  size_t len;
  rd_cert_facts f;
  add_ext(x, NID_subject_alt_name, "DNS:two.lab");
  assert_true(X509_sign(x, g_ec, EVP_sha256()) > 0);
  der = to_der(x, &len);
  assert_int_equal(rd_cert_facts_from_der(der, len, &f), 0);
  assert_int_equal(ERR_peek_error(), 0);
  assert_true(f.san_invalid);
  assert_true(f.ext_invalid);
  assert_int_equal(f.san_count, 0);
  assert_false(rd_cert_name_matches(&f, "cn.lab"));
  OPENSSL_free(der);
  X509_free(x);
}

static void test_rd_cert_name_matches_good(void **state) {
  spec s = good_spec();
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_true(rd_cert_name_matches(&f, "rdp-lab.local"));
  assert_true(rd_cert_name_matches(&f, "RDP-Lab.LOCAL"));
  assert_true(rd_cert_name_matches(&f, "rdp-lab.local."));
  assert_false(rd_cert_name_matches(&f, "rdp-lab.local.."));
  assert_false(rd_cert_name_matches(&f, "rdp-lab"));
  assert_false(rd_cert_name_matches(&f, "x.rdp-lab.local"));
  assert_false(rd_cert_name_matches(&f, "rdp-lab.locale"));
  assert_false(rd_cert_name_matches(&f, ""));
  assert_false(rd_cert_name_matches(&f, "."));
  assert_false(rd_cert_name_matches(&f, NULL));
  assert_false(rd_cert_name_matches(NULL, "rdp-lab.local"));
  /* IP literals match IP SANs only. */
  assert_true(rd_cert_name_matches(&f, "127.0.0.1"));
  assert_true(rd_cert_name_matches(&f, "::1"));
  assert_true(rd_cert_name_matches(&f, "[::1]"));
  assert_true(rd_cert_name_matches(&f, "0:0:0:0:0:0:0:1"));
  assert_false(rd_cert_name_matches(&f, "127.0.0.2"));
  assert_false(rd_cert_name_matches(&f, "::2"));
  assert_false(rd_cert_name_matches(&f, "[127.0.0.1]"));
}

static void test_rd_cert_name_matches_ip_not_dns(void **state) {
  spec s = {.key = g_ec, .cn = "10.0.0.5", .san = "DNS:10.0.0.1,DNS:host.lab"};
  spec cn_only = {.key = g_ec, .cn = "10.0.0.5"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_false(rd_cert_name_matches(&f, "10.0.0.1")); /* a DNS SAN holding an address */
  assert_false(rd_cert_name_matches(&f, "10.0.0.5"));
  facts_of(&cn_only, &f);
  assert_false(rd_cert_name_matches(&f, "10.0.0.5")); /* nor the CN */
}

static void test_rd_cert_name_matches_wildcard(void **state) {
  spec s = {.key = g_ec, .cn = "example.test", .san = "DNS:*.example.test"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_true(rd_cert_name_matches(&f, "a.example.test"));
  assert_true(rd_cert_name_matches(&f, "RDP-01.Example.TEST"));
  assert_true(rd_cert_name_matches(&f, "a.example.test."));
  assert_false(rd_cert_name_matches(&f, "example.test")); /* the CN is not used: SAN exists */
  assert_false(rd_cert_name_matches(&f, "a.b.example.test"));
  assert_false(rd_cert_name_matches(&f, ".example.test"));
  assert_false(rd_cert_name_matches(&f, "a.example.testx"));
  assert_false(rd_cert_name_matches(&f, "aexample.test"));
}

static void test_rd_cert_name_matches_bad_wildcards(void **state) {
  spec s = {.key = g_ec,
            .san = "DNS:f*.example.test,DNS:*.test,DNS:a.*.example.test,DNS:*,DNS:**.x.test,"
                   "DNS:*.*.y.test"};
  rd_cert_facts f;
  facts_of(&s, &f);
  assert_false(rd_cert_name_matches(&f, "foo.example.test")); /* partial label */
  assert_false(rd_cert_name_matches(&f, "f.example.test"));
  assert_false(rd_cert_name_matches(&f, "a.test"));           /* dotless suffix */
  assert_false(rd_cert_name_matches(&f, "a.b.example.test")); /* inner wildcard */
  assert_false(rd_cert_name_matches(&f, "a"));
  assert_false(rd_cert_name_matches(&f, "a.x.test"));
  assert_false(rd_cert_name_matches(&f, "a.b.y.test"));
  assert_false(rd_cert_name_matches(&f, "*.example.test"));   /* a host is never a pattern */
}

static void test_rd_cert_name_matches_cn_fallback(void **state) {
  spec cn_only = {.key = g_ec, .cn = "CN-Only.Lab"};
  spec cn_ip_san = {.key = g_ec, .cn = "cn-only.lab", .san = "IP:10.0.0.1"};
  spec cn_dns_san = {.key = g_ec, .cn = "cn.lab", .san = "DNS:san.lab"};
  spec cn_wild = {.key = g_ec, .cn = "*.cn.lab"};
  spec no_name = {.key = g_ec, .org = "No Name"};
  rd_cert_facts f;
  facts_of(&cn_only, &f);
  assert_true(rd_cert_name_matches(&f, "cn-only.lab"));
  assert_false(rd_cert_name_matches(&f, "other.lab"));
  facts_of(&cn_ip_san, &f); /* an IP SAN alone does not retire the CN */
  assert_true(rd_cert_name_matches(&f, "cn-only.lab"));
  assert_true(rd_cert_name_matches(&f, "10.0.0.1"));
  facts_of(&cn_dns_san, &f);
  assert_false(rd_cert_name_matches(&f, "cn.lab"));
  assert_true(rd_cert_name_matches(&f, "san.lab"));
  facts_of(&cn_wild, &f);
  assert_true(rd_cert_name_matches(&f, "rdp.cn.lab"));
  assert_false(rd_cert_name_matches(&f, "cn.lab"));
  facts_of(&no_name, &f);
  assert_string_equal(f.common_name, "");
  assert_string_equal(f.subject, "O=No Name");
  assert_false(rd_cert_name_matches(&f, "no-name"));
}

static void test_rd_cert_days_left_boundaries(void **state) {
  rd_cert_facts f;
  memset(&f, 0, sizeof(f));
  f.not_after = 2019686400;
  assert_int_equal(rd_cert_days_left(&f, 2019686400), 0);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 - 1), 0);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 - 86400), 1);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 - 86401), 1);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 + 1), -1);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 + 86400), -1);
  assert_int_equal(rd_cert_days_left(&f, 2019686400 + 86401), -2);
  f.not_after = 253402300799; /* 9999-12-31 */
  assert_int_equal(rd_cert_days_left(&f, 0), 2932896);
  assert_int_equal(rd_cert_days_left(&f, INT64_MIN), INT_MAX);
  f.not_after = -631152001;
  assert_int_equal(rd_cert_days_left(&f, INT64_MAX), INT_MIN);
}

static void test_rd_cert_format_sha256_forms(void **state) {
  uint8_t fp[RD_CERT_SHA256_LEN];
  char out[RD_CERT_FP_HEX_MAX];
  for (size_t i = 0; i < sizeof(fp); i++)
    fp[i] = (uint8_t)(i * 0x11 + 0x0a);
  assert_int_equal(rd_cert_format_sha256(fp, true, out, sizeof(out)), 0);
  assert_string_equal(out, "0a:1b:2c:3d:4e:5f:70:81:92:a3:b4:c5:d6:e7:f8:09:"
                           "1a:2b:3c:4d:5e:6f:80:91:a2:b3:c4:d5:e6:f7:08:19");
  assert_int_equal(rd_cert_format_sha256(fp, false, out, 65), 0);
  assert_string_equal(out, "0a1b2c3d4e5f708192a3b4c5d6e7f8091a2b3c4d5e6f8091a2b3c4d5e6f70819");
  assert_int_equal(rd_cert_format_sha256(fp, false, out, 64), RD_E_INVALID);
  assert_int_equal(rd_cert_format_sha256(fp, true, out, 95), RD_E_INVALID);
  assert_int_equal(rd_cert_format_sha256(NULL, true, out, sizeof(out)), RD_E_INVALID);
}

static void assert_malformed(const uint8_t *der, size_t n) {
  rd_cert_facts f;
  memset(&f, 0xaa, sizeof(f));
  assert_int_equal(rd_cert_facts_from_der(der, n, &f), RD_E_MALFORMED);
  assert_int_equal(ERR_peek_error(), 0);
  /* Zeroed: nothing from a half-read certificate can be mistaken for a fact. */
  assert_int_equal(f.subject[0], 0);
  assert_int_equal(f.san_count, 0);
  assert_int_equal(f.not_after, 0);
}

static void test_rd_cert_facts_from_der_malformed(void **state) {
  spec s = good_spec();
  X509 *x = build(&s);
  size_t len;
  uint8_t *der = to_der(x, &len);
  uint8_t *more = malloc(len + 1);
  uint8_t rnd[512];
  uint32_t seed = 0x12345678u;
  static const uint8_t one = 0x30;
  static const uint8_t empty_seq[] = {0x30, 0x00};
  static const uint8_t giant[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00};
  rd_cert_facts f;
  assert_non_null(more);
  assert_malformed(der, 0);
  assert_malformed(&one, 1);
  assert_malformed(empty_seq, sizeof(empty_seq));
  assert_malformed(giant, sizeof(giant));
  assert_malformed(der, len - 1);    /* one byte short */
  assert_malformed(der, len / 2);    /* truncated */
  memcpy(more, der, len);
  more[len] = 0x00;
  assert_malformed(more, len + 1);   /* trailing byte */
  for (int round = 0; round < 64; round++) {
    for (size_t i = 0; i < sizeof(rnd); i++) {
      seed = seed * 1103515245u + 12345u;
      rnd[i] = (uint8_t)(seed >> 16);
    }
    if (round & 1) { /* a plausible outer header, random inside */
      rnd[0] = 0x30;
      rnd[1] = 0x82;
      rnd[2] = 0x01;
      rnd[3] = 0xfc;
    }
    assert_malformed(rnd, sizeof(rnd));
  }
  /* Exact fit still reads. */
  assert_int_equal(rd_cert_facts_from_der(der, len, &f), 0);
  assert_int_equal(rd_cert_facts_from_der(NULL, 0, &f), RD_E_MALFORMED);
  assert_int_equal(rd_cert_facts_from_der(NULL, 5, &f), RD_E_INVALID);
  assert_int_equal(rd_cert_facts_from_der(der, len, NULL), RD_E_INVALID);
  free(more);
  OPENSSL_free(der);
  X509_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_cert_facts_from_der_good),
      cmocka_unit_test(test_rd_cert_facts_from_der_expired),
      cmocka_unit_test(test_rd_cert_facts_from_der_not_yet_valid),
      cmocka_unit_test(test_rd_cert_facts_from_der_dates),
      cmocka_unit_test(test_rd_cert_facts_from_der_rsa1024_sha1),
      cmocka_unit_test(test_rd_cert_facts_from_der_md5),
      cmocka_unit_test(test_rd_cert_facts_from_der_ec_p256),
      cmocka_unit_test(test_rd_cert_facts_from_der_ed25519),
      cmocka_unit_test(test_rd_cert_facts_from_der_ca_signed),
      cmocka_unit_test(test_rd_cert_facts_from_der_self_issued_not_self_signed),
      cmocka_unit_test(test_rd_cert_facts_from_der_negative_serial),
      cmocka_unit_test(test_rd_cert_facts_from_der_many_sans),
      cmocka_unit_test(test_rd_cert_facts_from_der_hostile_names),
      cmocka_unit_test(test_rd_cert_facts_from_der_duplicate_san),
      cmocka_unit_test(test_rd_cert_facts_from_der_malformed),
      cmocka_unit_test(test_rd_cert_name_matches_good),
      cmocka_unit_test(test_rd_cert_name_matches_ip_not_dns),
      cmocka_unit_test(test_rd_cert_name_matches_wildcard),
      cmocka_unit_test(test_rd_cert_name_matches_bad_wildcards),
      cmocka_unit_test(test_rd_cert_name_matches_cn_fallback),
      cmocka_unit_test(test_rd_cert_days_left_boundaries),
      cmocka_unit_test(test_rd_cert_format_sha256_forms),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
