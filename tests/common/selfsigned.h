/* Self-signed certificates as DER, for tests and fuzz targets that need a server's certificate:
 * CredSSP binds to its SubjectPublicKey (P-256 is enough), Standard RDP Security and licensing take
 * an RSA key from an X.509 chain. Test-only; *der is OPENSSL_malloc'd. Each returns the DER length,
 * or 0 when OpenSSL cannot make one. */
#ifndef RD_TESTS_SELFSIGNED_H
#define RD_TESTS_SELFSIGNED_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A certificate for `key` (kept by the caller), named CN=cn, valid for a day from now. */
static inline int rd_test_selfsigned_key(EVP_PKEY *key, const char *cn, long serial, unsigned char **der) {
  X509 *x = X509_new();
  int len = 0;
  if (key != NULL && x != NULL) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    if (X509_sign(x, key, EVP_sha256()) > 0)
      len = i2d_X509(x, der);
  }
  X509_free(x);
  return len > 0 ? len : 0;
}

/* Over a fresh P-256 key. */
static inline int rd_test_selfsigned(const char *cn, long serial, unsigned char **der) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  int len = rd_test_selfsigned_key(key, cn, serial, der);
  EVP_PKEY_free(key);
  return len;
}

#endif
