/* Fuzz target for the licensing decoder (STYLE.md §10): a failed decode leaves the cursor unmoved;
 * a decoded message fills its input, its spans lie inside it, and a License Request's certificate
 * goes through the server certificate decoder as the probe would feed it. */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/license.h"
#include "core/sec.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_inside(const rd_cur *s, const uint8_t *d, size_t n) {
  if (rd_cur_len(s) > 0 && (rd_cur_data(s) < d || rd_cur_data(s) + rd_cur_len(s) > d + n))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_license_msg m;
  rd_cur_init(&c, d, n);
  if (rd_license_decode(&c, &m) != 0) {
    if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
      abort();
    return 0;
  }
  if (!rd_cur_is_empty(&c))
    abort();
  check_inside(&m.body, d, n);
  if (m.msg_type == RD_LIC_LICENSE_REQUEST) {
    if (m.scope_count > RD_LIC_MAX_SCOPES)
      abort();
    for (uint32_t i = 0; i < m.scope_count; i++)
      check_inside(&m.scopes[i], d, n);
    rd_cur cert = m.certificate.data;
    rd_sec_server_cert sc;
    (void)rd_sec_decode_server_cert(&cert, &sc);
  }
  (void)rd_license_is_valid_client(&m);
  (void)rd_license_error_name(m.error_code);
  return 0;
}
