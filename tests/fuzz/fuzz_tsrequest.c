/* Fuzz target for the TSRequest decoder (STYLE.md §10): a failed decode leaves the cursor unmoved,
 * a successful one agrees with the framing function and consumed everything, and what decodes
 * encodes to DER that decodes to the same fields and encodes to the same bytes again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"
#include "core/tsrequest.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_same_span(const rd_cur *a, const rd_cur *b) {
  if (rd_cur_len(a) != rd_cur_len(b) ||
      (rd_cur_len(a) > 0 && memcmp(rd_cur_data(a), rd_cur_data(b), rd_cur_len(a)) != 0))
    abort();
}

static void check_same_fields(const rd_tsrequest *a, const rd_tsrequest *b) {
  if (a->version != b->version || a->nego_present != b->nego_present ||
      a->auth_info_present != b->auth_info_present ||
      a->pub_key_auth_present != b->pub_key_auth_present ||
      a->error_code_present != b->error_code_present ||
      a->client_nonce_present != b->client_nonce_present || a->error_code != b->error_code)
    abort();
  if (b->nego_present ? b->nego_count != 1 : b->nego_count != 0)
    abort(); /* the encoder writes one NegoDataItem */
  check_same_span(&a->nego_token, &b->nego_token);
  check_same_span(&a->auth_info, &b->auth_info);
  check_same_span(&a->pub_key_auth, &b->pub_key_auth);
  check_same_span(&a->client_nonce, &b->client_nonce);
}

static uint8_t *encode(const rd_tsrequest *req, size_t *len) {
  rd_bld b;
  uint8_t *out;
  rd_bld_init(&b, 1u << 20);
  if (rd_tsrequest_encode(req, &b) != 0 || !rd_bld_finish(&b, &out, len))
    abort();
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_tsrequest req, again;
  size_t need = 0, len, len2;
  rd_cur_init(&c, d, n);
  if (rd_tsrequest_decode(&c, &req) != 0) {
    if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
      abort();
    return 0;
  }
  if (!rd_cur_is_empty(&c) || rd_ber_frame_need(d, n, 1u << 24, &need) != 0 || need != n)
    abort();
  if (req.nego_present ? req.nego_count == 0 : req.nego_count != 0)
    abort();

  uint8_t *out = encode(&req, &len);
  rd_cur_init(&c, out, len);
  if (rd_tsrequest_decode(&c, &again) != 0)
    abort();
  check_same_fields(&req, &again);
  uint8_t *out2 = encode(&again, &len2);
  if (len2 != len || memcmp(out, out2, len) != 0)
    abort();
  free(out2);
  free(out);
  return 0;
}
