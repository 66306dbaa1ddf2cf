/* The one OpenSSL library context rdpdoctor computes with (internal to src/auth): its own
 * OSSL_LIB_CTX with the default and legacy providers loaded (MD4 and RC4 live in the legacy one)
 * and every algorithm NTLM, CredSSP and Standard RDP Security use, fetched once. No global state:
 * rd_crypto_new makes one (ntlmcrypto.h); the engine keeps one per loop and every check shares it,
 * as checks share the TLS context. */
#ifndef RD_AUTH_CRYPTOCTX_H
#define RD_AUTH_CRYPTOCTX_H

#include <openssl/evp.h>
#include <openssl/provider.h>

struct rd_crypto {
  OSSL_LIB_CTX *lib;
  OSSL_PROVIDER *prov_default, *prov_legacy;
  EVP_MD *md4, *md5, *sha1, *sha256;
  EVP_MAC *hmac;
  EVP_CIPHER *rc4, *des3;
};

#endif
