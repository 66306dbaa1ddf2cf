/* Facts about a server certificate and the pure questions asked of them: does it name the host
 * (RFC 6125), how many days are left, its fingerprint as text. No OpenSSL, no I/O, no clock (the
 * caller passes "now"), so diag and report use them without linking libcrypto. The facts are read
 * from DER by auth/cert.h (rd_cert_facts_from_der, OpenSSL's X.509 parser; DESIGN.md "TLS" phase;
 * reference §6.2). What the facts mean (expired, wrong name, weak) is for rules.
 *
 * Every string field is NUL-terminated and bounded. Subject and issuer are escaped by RFC 2253, so
 * they are one line of printable ASCII. The common name keeps its UTF-8; it and the SANs show
 * control bytes, backslashes and (in a SAN, which is ASCII by definition) any high byte as \xNN.
 * So no field holds a NUL, and a name cannot hide a suffix from rd_cert_name_matches. A value that
 * does not fit its field is cut on a character boundary and ends in "...": it never matches. */
#ifndef RD_CORE_CERT_H
#define RD_CORE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RD_CERT_NAME_MAX 512  /* subject, issuer */
#define RD_CERT_CN_MAX   260  /* a DNS name is at most 253 characters */
#define RD_CERT_SAN_MAX  16   /* SAN entries kept */
#define RD_CERT_SAN_LEN  264  /* "DNS:" + 253 + NUL, rounded */
#define RD_CERT_SHA256_LEN 32
/* rd_cert_format_sha256's output: 32 bytes as "aa:bb:…" (95 characters) plus NUL. */
#define RD_CERT_FP_HEX_MAX 96

typedef struct rd_cert_facts {
  char subject[RD_CERT_NAME_MAX]; /* RFC 2253: "CN=rdp-lab.local,O=Lab" */
  char issuer[RD_CERT_NAME_MAX];
  char common_name[RD_CERT_CN_MAX]; /* the subject's last (most specific) CN, "" when none */
  char san[RD_CERT_SAN_MAX][RD_CERT_SAN_LEN]; /* "DNS:rdp-lab.local", "IP:127.0.0.1", "IP:::1" */
  size_t san_count;   /* entries in san[] */
  size_t san_total;   /* DNS and IP entries in the certificate; more than san_count when cut */
  bool has_dns_san;   /* at least one DNS entry (also among those cut): the CN is not a name then */
  bool san_invalid;   /* subjectAltName present but undecodable or repeated */
  int64_t not_before; /* Unix seconds, before 1970 and after 2038 alike */
  int64_t not_after;
  bool self_issued; /* subject equals issuer (RFC 5280 §6.1: name comparison) */
  bool self_signed; /* the signature verifies with the certificate's own key */
  char key_type[16];  /* "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", or the key's OID */
  int key_bits;       /* 0 when OpenSSL cannot use the key */
  char key_group[32]; /* EC curve ("prime256v1"), "" otherwise */
  char sig_alg[64];   /* "sha256WithRSAEncryption", "ecdsa-with-SHA256", or an OID */
  bool sig_hash_weak; /* MD2, MD4, MD5 or SHA-1 signature */
  uint8_t sha256[RD_CERT_SHA256_LEN]; /* over the DER as given */
  bool has_eku;          /* extendedKeyUsage present */
  bool eku_server_auth;  /* it lists id-kp-serverAuth */
  bool eku_any;          /* it lists anyExtendedKeyUsage */
  bool ext_invalid;      /* OpenSSL found the extensions inconsistent (a verifier rejects them) */
  char serial[132];      /* lowercase hex of the magnitude, "-" first when negative */
  int version;           /* X.509 version as written: 1, 2 or 3 */
} rd_cert_facts;

/* RFC 6125 §6: does the certificate name host? One trailing dot on host is ignored. An IPv4 or
 * IPv6 literal (brackets allowed) matches only an IP SAN. A DNS name matches a DNS SAN, ASCII
 * case-insensitively, where "*" may stand for exactly one whole left-most label and only when at
 * least two labels follow it ("*.example.test" matches "a.example.test", never "example.test",
 * "a.b.example.test", and "*.test" matches nothing). The CN is a DNS name only when there is no
 * DNS SAN. A host that is not a valid name (rd_hostname_check) matches nothing. */
bool rd_cert_name_matches(const rd_cert_facts *f, const char *host);

/* Whole days until notAfter, rounded down: 0 on the last day, -1 the day after it expired. */
int rd_cert_days_left(const rd_cert_facts *f, int64_t now_unix);

/* Formats the SHA-256 fingerprint as lowercase hex, with ':' between bytes when colons is set.
 * 0, or RD_E_INVALID when cap is too small (95 + 1 with colons, 64 + 1 without). */
int rd_cert_format_sha256(const uint8_t fp[RD_CERT_SHA256_LEN], bool colons, char *out, size_t cap);

#endif
