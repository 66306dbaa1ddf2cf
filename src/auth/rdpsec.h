/* The cryptography of Standard RDP Security and of RDP licensing ([MS-RDPBCGR] 5.3.3-5.3.7,
 * [MS-RDPELE] 5.1): the proprietary certificate's signature by the well-known Terminal Services
 * key, raw RSA encryption of the client random and of the licensing premaster secret, session key
 * derivation for 40/56/128-bit RC4 and for FIPS (3DES-CBC with HMAC-SHA1), encryption, decryption
 * and MACs with the key update every 4096 packets, and the licensing keys, RC4 and MAC. No message
 * parsing (that is core/sec and core/license), no I/O, no clock, no hidden randomness: randoms are
 * parameters, rd_rdpsec_random supplies them in real use.
 *
 * Everything runs on libcrypto through an rd_rdpsec_lib: a library context of our own with the
 * "default" and "legacy" providers (RC4 and MD5 in legacy builds live there), as auth/ntlmcrypto
 * does, so nothing touches OpenSSL's global state. No function prints, logs or leaves errors on
 * OpenSSL's queue. Keys and intermediates are wiped before a function returns; outputs are the
 * caller's to wipe.
 *
 * Byte strings the spec calls little-endian (RSA modulus, exponent, client random as a number, the
 * encrypted random, signatures) are little-endian here too. Functions return 0 or a negative RD_E_*:
 * RD_E_INVALID for NULL or out-of-range arguments and too-small outputs, RD_E_MALFORMED for a
 * signature or MAC that does not verify, RD_E_STATE for a session that cannot go on, RD_E_NOMEM
 * when libcrypto fails. Outputs are written only on 0 unless said otherwise. */
#ifndef RD_AUTH_RDPSEC_H
#define RD_AUTH_RDPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/ntlmcrypto.h"
#include "core/sec.h"

/* encryptionMethod values (2.2.1.4.3; reference §5.1). */
#define RD_RDPSEC_METHOD_NONE  0x00u
#define RD_RDPSEC_METHOD_40BIT 0x01u
#define RD_RDPSEC_METHOD_128BIT 0x02u
#define RD_RDPSEC_METHOD_56BIT 0x08u
#define RD_RDPSEC_METHOD_FIPS  0x10u

#define RD_RDPSEC_LICENSE_KEY_LEN  16 /* MAC salt key and licensing encryption key */
#define RD_RDPSEC_LICENSE_MAC_LEN  16
#define RD_RDPSEC_PREMASTER_LEN    48 /* licensing premaster secret */
#define RD_RDPSEC_UPDATE_INTERVAL  4096 /* packets between key updates (5.3.7) */

/* The library context of ntlmcrypto.h (one type, one set of fetched algorithms for NTLM, CredSSP and
 * Standard RDP Security). */
typedef struct rd_crypto rd_rdpsec_lib;

/* A library context with MD5, SHA-1, HMAC, RC4 and DES-EDE3-CBC fetched, or NULL with *why (when not
 * NULL) set to one static line for the user. */
rd_rdpsec_lib *rd_rdpsec_lib_new(const char **why);
void rd_rdpsec_lib_free(rd_rdpsec_lib *lib); /* NULL is fine */
/* n random bytes (client random, premaster secret). 0, RD_E_INVALID or RD_E_NOMEM. */
int rd_rdpsec_random(rd_rdpsec_lib *lib, uint8_t *out, size_t n);

/* ---- RSA (5.3.3.1, 5.3.4.1) ---- */

/* Raw RSA (no padding): out = in^exp mod modulus, every number little-endian; out gets mod_len
 * bytes. in may be shorter than the modulus (its missing high bytes are zero). RD_E_INVALID when
 * in is not below the modulus, a length is 0 or above 2048 bytes, or out_cap < mod_len. */
int rd_rdpsec_rsa_raw(rd_rdpsec_lib *lib, const uint8_t *in, size_t in_len, const uint8_t *modulus,
                      size_t mod_len, const uint8_t *exp, size_t exp_len, uint8_t *out,
                      size_t out_cap);

/* The encrypted client random (5.3.4.1), or the encrypted licensing premaster secret ([MS-RDPELE]
 * 5.1.1.1): raw RSA of data (n bytes, little-endian) with the server's RSA1 key. Writes
 * key->modulus_len bytes (the caller appends the 8 zero bytes: rd_sec_encode_exchange does) and
 * sets *out_len. */
int rd_rdpsec_encrypt_random(rd_rdpsec_lib *lib, const rd_sec_rsa_key *key, const uint8_t *data,
                             size_t n, uint8_t *out, size_t out_cap, size_t *out_len);

/* Checks a proprietary certificate's signature (5.3.3.1.2): the signature blob is 64 bytes and 8
 * zero bytes; raised to the Terminal Services public exponent modulo its modulus (5.3.3.1.1) it
 * must give, little-endian, MD5(signed part), 0x00, 45 bytes of 0xFF, 0x01, 0x00. 0 when it does,
 * RD_E_MALFORMED when not, RD_E_INVALID for a version 2 certificate. The key is public, so a good
 * signature says the key blob arrived as a Terminal Server wrote it, not who the server is. */
int rd_rdpsec_verify_proprietary(rd_rdpsec_lib *lib, const rd_sec_server_cert *cert);

/* The server key of an X.509 chain (TS_UD_SC_SEC1 version 2, 5.3.3.2): the RSA key of the DER
 * certificate der (n bytes, the chain's last), its modulus written little-endian into modulus (cap
 * bytes), *key pointing at it (keylen and bitlen filled as an RSA1 blob would give them). The
 * chain is not validated: that needs the licensing root, which a client takes on trust. 0;
 * RD_E_MALFORMED when der is not one certificate; RD_E_UNSUPPORTED for a key that is not RSA or an
 * exponent above 32 bits; RD_E_TOO_BIG for a modulus above cap or 2048 bytes. */
int rd_rdpsec_x509_key(rd_rdpsec_lib *lib, const uint8_t *der, size_t n, uint8_t *modulus, size_t cap,
                       rd_sec_rsa_key *key);

/* ---- Session keys, encryption and MACs (5.3.5-5.3.7) ---- */

typedef struct rd_rdpsec_session rd_rdpsec_session;

/* The keys of one side of a connection from the two randoms, for method 40BIT, 56BIT, 128BIT
 * (5.3.5.1: pre-master secret, master secret, session key blob with SaltedHash over SHA-1 and MD5,
 * FinalHash, the 0xD1269E / 0xD1 reductions to 40 and 56 bits) or FIPS (5.3.5.2: SHA-1 of the
 * random halves, 3DES keys with parity bits, the HMAC key). is_client says which side: the client
 * encrypts with the client-to-server key. Each direction keeps its RC4 (or 3DES-CBC) state and its
 * packet count. RD_E_INVALID for another method. */
int rd_rdpsec_session_new(rd_rdpsec_lib *lib, uint32_t method, bool is_client,
                          const uint8_t client_random[RD_SEC_RANDOM_LEN],
                          const uint8_t server_random[RD_SEC_RANDOM_LEN],
                          rd_rdpsec_session **out);
void rd_rdpsec_session_free(rd_rdpsec_session *s); /* wipes the keys; NULL is fine */

/* Bytes of cipher padding n plaintext bytes get: 0 for RC4, up to 7 for FIPS (3DES blocks). */
size_t rd_rdpsec_pad_len(const rd_rdpsec_session *s, size_t n);

/* The MAC of the next packet this side sends (5.3.6.1; with salted the encryption count is hashed
 * too, SEC_SECURE_CHECKSUM, 5.3.6.1.1; FIPS: HMAC-SHA1 over data and the count, 5.3.6.2), without
 * changing any state. */
int rd_rdpsec_sign(rd_rdpsec_session *s, const uint8_t *data, size_t n, bool salted,
                   uint8_t mac[RD_SEC_MAC_LEN]);
/* Whether mac is the MAC of the next packet this side receives, in constant time; no state
 * changes. 0 or RD_E_MALFORMED. */
int rd_rdpsec_verify(rd_rdpsec_session *s, const uint8_t *data, size_t n, bool salted,
                     const uint8_t mac[RD_SEC_MAC_LEN]);

/* Encrypts one packet: the MAC over the plaintext, then RC4 (or 3DES-CBC after zero padding to the
 * block) into out (n + rd_rdpsec_pad_len bytes; out may be in), *pad_len set to the padding for the
 * FIPS header. Updates the key first when RD_RDPSEC_UPDATE_INTERVAL packets used it (5.3.7).
 * RD_E_TOO_BIG beyond INT_MAX bytes; RD_E_STATE after a failure broke the stream. */
int rd_rdpsec_encrypt(rd_rdpsec_session *s, const uint8_t *in, size_t n, bool salted,
                      uint8_t *out, size_t out_cap, uint8_t mac[RD_SEC_MAC_LEN], uint8_t *pad_len);
/* Decrypts one packet of n bytes (a multiple of 8 for FIPS, pad_len of them padding) into out (may
 * be in) and checks its MAC. 0 with *out_len = n - pad_len; RD_E_MALFORMED when the MAC does not
 * verify or the padding is impossible, with out wiped and the session spent (RD_E_STATE after):
 * the stream cannot be rewound. */
int rd_rdpsec_decrypt(rd_rdpsec_session *s, const uint8_t *in, size_t n, uint8_t pad_len,
                      bool salted, const uint8_t mac[RD_SEC_MAC_LEN], uint8_t *out,
                      size_t *out_len);

/* ---- Licensing ([MS-RDPELE] 5.1.2-5.1.4) ---- */

/* The MAC salt key (First128Bits(SessionKeyBlob)) and licensing encryption key (MD5 of its second
 * 128 bits and both randoms) from the client random, server random and premaster secret. */
int rd_rdpsec_license_keys(rd_rdpsec_lib *lib, const uint8_t client_random[RD_SEC_RANDOM_LEN],
                           const uint8_t server_random[RD_SEC_RANDOM_LEN],
                           const uint8_t premaster[RD_RDPSEC_PREMASTER_LEN],
                           uint8_t mac_salt_key[RD_RDPSEC_LICENSE_KEY_LEN],
                           uint8_t license_key[RD_RDPSEC_LICENSE_KEY_LEN]);
/* The licensing MAC: the whole 16 bytes of the 5.3.6.1 construction keyed with the MAC salt key. */
int rd_rdpsec_license_mac(rd_rdpsec_lib *lib, const uint8_t mac_salt_key[RD_RDPSEC_LICENSE_KEY_LEN],
                          const uint8_t *data, size_t n, uint8_t mac[RD_RDPSEC_LICENSE_MAC_LEN]);
/* RC4 with a fresh stream keyed by the licensing key (each licensing blob starts its own), in into
 * out (n bytes; may be in). Encryption and decryption are the same. */
int rd_rdpsec_license_rc4(rd_rdpsec_lib *lib, const uint8_t license_key[RD_RDPSEC_LICENSE_KEY_LEN],
                          const uint8_t *in, size_t n, uint8_t *out);

#ifdef RD_RDPSEC_INTERNAL
/* The current keys of a session, for tests: key_len is 8 (40/56-bit), 16 (128-bit) or 24 (FIPS,
 * where mac_key holds the first 16 of the 20-byte HMAC key). */
void rd_rdpsec_session_keys(const rd_rdpsec_session *s, uint8_t mac_key[16], uint8_t enc[24],
                            uint8_t dec[24], size_t *key_len);
#endif

#endif
