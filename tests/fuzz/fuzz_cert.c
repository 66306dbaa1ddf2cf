/* Fuzz target for certificate facts (STYLE.md §10): whatever parses must give bounded,
 * NUL-terminated fields and consistent counts, and name matching over its own names, fixed hosts
 * and the fingerprint formatter must run clean. Seeds: small DER certificates (EC, Ed25519 with a
 * wildcard, RSA-1024/SHA-1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "auth/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_terminated(const char *s, size_t cap) {
  if (memchr(s, '\0', cap) == NULL)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static const char *const hosts[] = {"rdp-lab.local", "a.example.test", "127.0.0.1", "::1",
                                      "localhost.", "x"};
  rd_cert_facts f;
  char fp[RD_CERT_FP_HEX_MAX];
  int r = rd_cert_facts_from_der(d, n, &f);
  if (r != 0) {
    if (r != RD_E_MALFORMED && r != RD_E_NOMEM)
      abort();
    return 0;
  }
  check_terminated(f.subject, sizeof(f.subject));
  check_terminated(f.issuer, sizeof(f.issuer));
  check_terminated(f.common_name, sizeof(f.common_name));
  check_terminated(f.key_type, sizeof(f.key_type));
  check_terminated(f.key_group, sizeof(f.key_group));
  check_terminated(f.sig_alg, sizeof(f.sig_alg));
  check_terminated(f.serial, sizeof(f.serial));
  if (f.san_count > RD_CERT_SAN_MAX || f.san_count > f.san_total)
    abort();
  for (size_t i = 0; i < f.san_count; i++) {
    check_terminated(f.san[i], sizeof(f.san[i]));
    /* Exercise matching with the certificate's own names as hosts, minus the "DNS:"/"IP:" tag. */
    const char *colon = strchr(f.san[i], ':');
    if (colon == NULL)
      abort();
    (void)rd_cert_name_matches(&f, colon + 1);
  }
  (void)rd_cert_name_matches(&f, f.common_name);
  for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
    (void)rd_cert_name_matches(&f, hosts[i]);
  (void)rd_cert_days_left(&f, 1704067200);
  if (rd_cert_format_sha256(f.sha256, true, fp, sizeof(fp)) != 0 || strlen(fp) != 95)
    abort();
  return 0;
}
