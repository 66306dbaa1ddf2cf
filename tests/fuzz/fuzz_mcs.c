/* Fuzz target for every MCS decoder (STYLE.md §10): a failed decode leaves the cursor unmoved,
 * rd_mcs_peek_type agrees with whichever decoder accepts the frame, and what decodes encodes back
 * to exactly the bytes it consumed, except the Connect-Response, whose INTEGERs may have been
 * written in any width: it must decode again to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_unmoved(const rd_cur *c, const uint8_t *d, size_t n) {
  if (rd_cur_data(c) != d || rd_cur_len(c) != n)
    abort();
}

/* The encoder's output must be the consumed frame d[0..used). */
static void check_same(rd_bld *b, int r, const uint8_t *d, size_t used) {
  uint8_t *out;
  size_t len;
  if (r != 0 || !rd_bld_finish(b, &out, &len))
    abort();
  if (len != used || memcmp(out, d, used) != 0)
    abort();
  free(out);
}

/* Send Data: a sender may write the user data's PER length in the two-octet form even below 128
 * (a receiver takes it), so the round trip compares the fields, not the bytes. */
static void check_same_send_data(rd_bld *b, int r, const rd_mcs_send_data *in,
                                 int (*decode)(rd_cur *, rd_mcs_send_data *)) {
  uint8_t *out;
  size_t len;
  rd_cur c;
  rd_mcs_send_data again;
  if (r != 0 || !rd_bld_finish(b, &out, &len))
    abort();
  rd_cur_init(&c, out, len);
  if (decode(&c, &again) != 0 || !rd_cur_is_empty(&c) || again.initiator != in->initiator ||
      again.channel_id != in->channel_id || again.priority != in->priority ||
      again.segmentation != in->segmentation || rd_cur_len(&again.user_data) != rd_cur_len(&in->user_data) ||
      memcmp(rd_cur_data(&again.user_data), rd_cur_data(&in->user_data), rd_cur_len(&in->user_data)) != 0)
    abort();
  free(out);
}

static void check_type(const uint8_t *d, size_t n, uint8_t want) {
  rd_cur c;
  uint8_t type;
  rd_cur_init(&c, d, n);
  if (rd_mcs_peek_type(&c, &type) != 0 || type != want)
    abort();
}

static bool same_params(const rd_mcs_domain_params *a, const rd_mcs_domain_params *b) {
  return a->max_channel_ids == b->max_channel_ids && a->max_user_ids == b->max_user_ids &&
         a->max_token_ids == b->max_token_ids && a->num_priorities == b->num_priorities &&
         a->min_throughput == b->min_throughput && a->max_height == b->max_height &&
         a->max_mcs_pdu_size == b->max_mcs_pdu_size && a->protocol_version == b->protocol_version;
}

static void check_connect_response(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_mcs_connect_response cr, again;
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_connect_response(&c, &cr) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  check_type(d, n, RD_MCS_CONNECT_RESPONSE);
  rd_bld_init(&b, 65535);
  int r = rd_mcs_encode_connect_response(&cr, &b);
  if (!rd_bld_finish(&b, &out, &len)) {
    /* Only a frame the re-encoding widens past 65535 may fail (a short INTEGER grows). */
    if (r != RD_E_NOMEM)
      abort();
    return;
  }
  if (r != 0)
    abort();
  rd_cur_init(&c, out, len);
  if (rd_mcs_decode_connect_response(&c, &again) != 0 || !rd_cur_is_empty(&c) ||
      again.result != cr.result || again.connect_id_present != cr.connect_id_present ||
      again.called_connect_id != cr.called_connect_id ||
      again.params_present != cr.params_present ||
      (cr.params_present && !same_params(&again.params, &cr.params)) ||
      again.user_data_present != cr.user_data_present ||
      rd_cur_len(&again.user_data) != rd_cur_len(&cr.user_data) ||
      (cr.user_data_present && memcmp(rd_cur_data(&again.user_data), rd_cur_data(&cr.user_data),
                                       rd_cur_len(&cr.user_data)) != 0))
    abort();
  free(out);
}

static void check_domain(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_bld b;
  size_t used;
  int accepted = 0;

  uint32_t h, i;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_erect_domain(&c, &h, &i) == 0) {
    accepted++;
    used = n - rd_cur_len(&c);
    check_type(d, n, RD_MCS_ERECT_DOMAIN_REQUEST);
    rd_bld_init(&b, 64);
    /* PER INTEGERs may carry leading zero octets; compare the fields, not the bytes. */
    int r = rd_mcs_encode_erect_domain(h, i, &b);
    uint8_t *out;
    size_t len;
    uint32_t h2, i2;
    if (r != 0 || !rd_bld_finish(&b, &out, &len))
      abort();
    rd_cur_init(&c, out, len);
    if (rd_mcs_decode_erect_domain(&c, &h2, &i2) != 0 || h2 != h || i2 != i || len > used)
      abort();
    free(out);
  } else {
    check_unmoved(&c, d, n);
  }

  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_attach_user_request(&c) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_ATTACH_USER_REQUEST);
    rd_bld_init(&b, 64);
    check_same(&b, rd_mcs_encode_attach_user_request(&b), d, n - rd_cur_len(&c));
  } else {
    check_unmoved(&c, d, n);
  }

  rd_mcs_attach_user_confirm auc;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_attach_user_confirm(&c, &auc) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_ATTACH_USER_CONFIRM);
    rd_bld_init(&b, 64);
    check_same(&b, rd_mcs_encode_attach_user_confirm(&auc, &b), d, n - rd_cur_len(&c));
  } else {
    check_unmoved(&c, d, n);
  }

  uint16_t user, chan;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_channel_join_request(&c, &user, &chan) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_CHANNEL_JOIN_REQUEST);
    rd_bld_init(&b, 64);
    check_same(&b, rd_mcs_encode_channel_join_request(user, chan, &b), d, n - rd_cur_len(&c));
  } else {
    check_unmoved(&c, d, n);
  }

  rd_mcs_channel_join_confirm cjc;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_channel_join_confirm(&c, &cjc) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_CHANNEL_JOIN_CONFIRM);
    rd_bld_init(&b, 64);
    check_same(&b, rd_mcs_encode_channel_join_confirm(&cjc, &b), d, n - rd_cur_len(&c));
  } else {
    check_unmoved(&c, d, n);
  }

  uint8_t reason;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_disconnect_provider_ultimatum(&c, &reason) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM);
    if (rd_mcs_reason_name(reason) == NULL)
      abort();
    rd_bld_init(&b, 64);
    check_same(&b, rd_mcs_encode_disconnect_provider_ultimatum(reason, &b), d,
               n - rd_cur_len(&c));
  } else {
    check_unmoved(&c, d, n);
  }

  rd_mcs_send_data sd;
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_send_data_request(&c, &sd) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_SEND_DATA_REQUEST);
    rd_bld_init(&b, 65535);
    check_same_send_data(&b, rd_mcs_encode_send_data_request(&sd, &b), &sd, rd_mcs_decode_send_data_request);
  } else {
    check_unmoved(&c, d, n);
  }
  rd_cur_init(&c, d, n);
  if (rd_mcs_decode_send_data_indication(&c, &sd) == 0) {
    accepted++;
    check_type(d, n, RD_MCS_SEND_DATA_INDICATION);
    rd_bld_init(&b, 65535);
    check_same_send_data(&b, rd_mcs_encode_send_data_indication(&sd, &b), &sd, rd_mcs_decode_send_data_indication);
  } else {
    check_unmoved(&c, d, n);
  }
  /* The CHOICE index tells the PDUs apart: no frame is two of them. */
  if (accepted > 1)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  check_connect_response(d, n);
  check_domain(d, n);
  return 0;
}
