/* T.125 MCS codecs; see mcs.h for what each decoder enforces. */
#include "mcs.h"

#include <string.h>

#include "ber.h"
#include "err.h"
#include "per.h"
#include "x224.h"

/* Second octet of the BER high-tag-number identifier 7f xx: the APPLICATION number itself. */
#define TAG_CONNECT_INITIAL  0x65
#define TAG_CONNECT_RESPONSE 0x66
#define BER_BOOLEAN    0x01
#define BER_ENUMERATED 0x0a
/* DomainMCSPDU has 43 alternatives (T.125 §7 part 10): indices 0..42 in 6 bits. */
#define DOMAIN_CHOICES 43
#define RESULT_MAX     15
#define REASON_MAX     4
#define PRIORITY_MAX   3
#define SEG_MAX        3

const char *rd_mcs_result_name(unsigned result) {
  switch (result) {
#define RD_MCS_RESULT(value, name, text)                                                           \
  case value:                                                                                      \
    return text;
#include "mcs_result.def"
#undef RD_MCS_RESULT
  }
  return NULL;
}

const char *rd_mcs_reason_name(unsigned reason) {
  switch (reason) {
#define RD_MCS_REASON(value, name, text)                                                           \
  case value:                                                                                      \
    return text;
#include "mcs_reason.def"
#undef RD_MCS_REASON
  }
  return NULL;
}

static int builder_state(bool ok) { return ok ? 0 : RD_E_NOMEM; }

int rd_mcs_peek_type(const rd_cur *c, uint8_t *type) {
  rd_cur tmp = *c, pdu;
  uint8_t b0, b1;
  if (rd_x224_decode_dt(&tmp, &pdu) != 0 || !rd_cur_get_u8(&pdu, &b0))
    return RD_E_MALFORMED;
  if (b0 == 0x7f) {
    if (!rd_cur_get_u8(&pdu, &b1) || b1 < RD_MCS_CONNECT_INITIAL || b1 > RD_MCS_CONNECT_RESULT)
      return RD_E_MALFORMED;
    *type = b1;
    return 0;
  }
  if ((b0 >> 2) >= DOMAIN_CHOICES)
    return RD_E_MALFORMED;
  *type = b0 >> 2;
  return 0;
}

/* BER helpers for the connect PDUs. */

/* 7f tag, a BER length, and body = exactly that many bytes. */
static bool get_application(rd_cur *c, uint8_t tag, rd_cur *body) {
  rd_cur tmp = *c;
  uint8_t t0, t1;
  size_t len;
  if (!rd_cur_get_u8(&tmp, &t0) || t0 != 0x7f || !rd_cur_get_u8(&tmp, &t1) || t1 != tag ||
      !rd_ber_get_length(&tmp, &len) || !rd_cur_get_span(&tmp, len, body))
    return false;
  *c = tmp;
  return true;
}

/* An INTEGER or ENUMERATED read unsigned: 1-4 content octets, or 5 whose first is 00. */
static bool get_uint(rd_cur *c, uint8_t tag, uint32_t *out) {
  rd_cur tmp = *c, v;
  uint8_t x;
  uint32_t n = 0;
  if (!rd_ber_get_tlv(&tmp, tag, &v) || rd_cur_len(&v) < 1 || rd_cur_len(&v) > 5)
    return false;
  if (rd_cur_len(&v) == 5 && (!rd_cur_get_u8(&v, &x) || x != 0))
    return false;
  while (rd_cur_get_u8(&v, &x))
    n = n << 8 | x;
  *out = n;
  *c = tmp;
  return true;
}

/* Minimal big-endian octets of v; with sign_octet a 00 goes before a leading octet >= 80 (DER). */
static bool add_uint(rd_bld *b, uint8_t tag, uint32_t v, bool sign_octet) {
  uint8_t x[5];
  size_t n = 0, k = 4;
  while (k > 1 && (v >> (8 * (k - 1))) == 0)
    k--;
  if (sign_octet && ((v >> (8 * (k - 1))) & 0x80))
    x[n++] = 0;
  while (k-- > 0)
    x[n++] = (uint8_t)(v >> (8 * k));
  return rd_bld_add_u8(b, tag) && rd_bld_add_u8(b, (uint8_t)n) && rd_bld_add_bytes(b, x, n);
}

static bool get_params(rd_cur *c, rd_mcs_domain_params *p) {
  rd_cur tmp = *c, seq;
  if (!rd_ber_get_sequence(&tmp, &seq) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->max_channel_ids) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->max_user_ids) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->max_token_ids) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->num_priorities) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->min_throughput) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->max_height) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->max_mcs_pdu_size) ||
      !get_uint(&seq, RD_BER_INTEGER, &p->protocol_version) || !rd_cur_is_empty(&seq))
    return false;
  *c = tmp;
  return true;
}

static bool add_params(rd_bld *b, const rd_mcs_domain_params *p, bool der) {
  rd_bld seq;
  rd_ber_add_sequence(b, &seq);
  add_uint(&seq, RD_BER_INTEGER, p->max_channel_ids, der);
  add_uint(&seq, RD_BER_INTEGER, p->max_user_ids, der);
  add_uint(&seq, RD_BER_INTEGER, p->max_token_ids, der);
  add_uint(&seq, RD_BER_INTEGER, p->num_priorities, der);
  add_uint(&seq, RD_BER_INTEGER, p->min_throughput, der);
  add_uint(&seq, RD_BER_INTEGER, p->max_height, der);
  add_uint(&seq, RD_BER_INTEGER, p->max_mcs_pdu_size, der);
  add_uint(&seq, RD_BER_INTEGER, p->protocol_version, der);
  return rd_bld_close(&seq);
}

static bool add_octet_string(rd_bld *b, const uint8_t *p, size_t n) {
  rd_bld s;
  rd_ber_add_octet_string(b, &s);
  rd_bld_add_bytes(&s, p, n);
  return rd_bld_close(&s);
}

void rd_mcs_connect_initial_init(rd_mcs_connect_initial *ci, const uint8_t *user_data,
                                 size_t user_data_len) {
  static const uint8_t one[1] = {1};
  static const rd_mcs_domain_params target = {34, 2, 0, 1, 0, 1, 65535, 2};
  static const rd_mcs_domain_params minimum = {1, 1, 1, 1, 0, 1, 1056, 2};
  static const rd_mcs_domain_params maximum = {65535, 64535, 65535, 1, 0, 1, 65535, 2};
  memset(ci, 0, sizeof *ci);
  ci->calling_domain_selector = one;
  ci->calling_len = 1;
  ci->called_domain_selector = one;
  ci->called_len = 1;
  ci->upward_flag = true;
  ci->target = target;
  ci->minimum = minimum;
  ci->maximum = maximum;
  ci->user_data = user_data;
  ci->user_data_len = user_data_len;
}

int rd_mcs_encode_connect_initial(const rd_mcs_connect_initial *ci, rd_bld *b) {
  if ((ci->calling_domain_selector == NULL && ci->calling_len > 0) ||
      (ci->called_domain_selector == NULL && ci->called_len > 0) ||
      (ci->user_data == NULL && ci->user_data_len > 0) || ci->user_data_len > 0xffff ||
      ci->calling_len > 0xffff || ci->called_len > 0xffff)
    return RD_E_INVALID;
  rd_bld dt, body;
  rd_x224_add_dt(b, &dt);
  rd_bld_add_u8(&dt, 0x7f);
  rd_bld_add_u8(&dt, TAG_CONNECT_INITIAL);
  rd_bld_add_ber_prefixed(&dt, &body);
  add_octet_string(&body, ci->calling_domain_selector, ci->calling_len);
  add_octet_string(&body, ci->called_domain_selector, ci->called_len);
  rd_bld_add_u8(&body, BER_BOOLEAN);
  rd_bld_add_u8(&body, 1);
  rd_bld_add_u8(&body, ci->upward_flag ? 0xff : 0x00);
  add_params(&body, &ci->target, false);
  add_params(&body, &ci->minimum, false);
  add_params(&body, &ci->maximum, false);
  add_octet_string(&body, ci->user_data, ci->user_data_len);
  rd_bld_close(&body);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_connect_response(rd_cur *c, rd_mcs_connect_response *out) {
  rd_cur tmp = *c, pdu, body;
  rd_mcs_connect_response cr;
  memset(&cr, 0, sizeof cr);
  if (rd_x224_decode_dt(&tmp, &pdu) != 0 || !get_application(&pdu, TAG_CONNECT_RESPONSE, &body) ||
      !rd_cur_is_empty(&pdu) || !get_uint(&body, BER_ENUMERATED, &cr.result))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&body)) {
    if (!get_uint(&body, RD_BER_INTEGER, &cr.called_connect_id))
      return RD_E_MALFORMED;
    cr.connect_id_present = true;
  }
  if (!rd_cur_is_empty(&body)) {
    if (!get_params(&body, &cr.params))
      return RD_E_MALFORMED;
    cr.params_present = true;
  }
  if (!rd_cur_is_empty(&body)) {
    if (!rd_ber_get_octet_string(&body, &cr.user_data))
      return RD_E_MALFORMED;
    cr.user_data_present = true;
  }
  if (!rd_cur_is_empty(&body))
    return RD_E_MALFORMED;
  *out = cr;
  *c = tmp;
  return 0;
}

int rd_mcs_encode_connect_response(const rd_mcs_connect_response *cr, rd_bld *b) {
  if (cr->user_data_present &&
      (rd_cur_len(&cr->user_data) > 0xffff || rd_cur_data(&cr->user_data) == NULL))
    return RD_E_INVALID;
  rd_bld dt, body;
  rd_x224_add_dt(b, &dt);
  rd_bld_add_u8(&dt, 0x7f);
  rd_bld_add_u8(&dt, TAG_CONNECT_RESPONSE);
  rd_bld_add_ber_prefixed(&dt, &body);
  add_uint(&body, BER_ENUMERATED, cr->result, true);
  if (cr->connect_id_present) {
    add_uint(&body, RD_BER_INTEGER, cr->called_connect_id, true);
    if (cr->params_present) {
      add_params(&body, &cr->params, true);
      if (cr->user_data_present)
        add_octet_string(&body, rd_cur_data(&cr->user_data), rd_cur_len(&cr->user_data));
    }
  }
  rd_bld_close(&body);
  return builder_state(rd_bld_close(&dt));
}

/* Domain PDUs (PER). */

/* Opens the DT frame and writes the first octet. */
static void open_domain(rd_bld *b, rd_bld *dt, uint8_t first) {
  rd_x224_add_dt(b, dt);
  rd_bld_add_u8(dt, first);
}

/* Consumes the DT frame from tmp, sets pdu to the MCS PDU after its first octet and checks the
 * choice index in that octet. */
static bool get_domain(rd_cur *tmp, uint8_t choice, uint8_t *first, rd_cur *pdu) {
  return rd_x224_decode_dt(tmp, pdu) == 0 && rd_cur_get_u8(pdu, first) && (*first >> 2) == choice;
}

int rd_mcs_encode_erect_domain(uint32_t sub_height, uint32_t sub_interval, rd_bld *b) {
  rd_bld dt;
  open_domain(b, &dt, RD_MCS_ERECT_DOMAIN_REQUEST << 2);
  rd_per_add_uint(&dt, sub_height);
  rd_per_add_uint(&dt, sub_interval);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_erect_domain(rd_cur *c, uint32_t *sub_height, uint32_t *sub_interval) {
  rd_cur tmp = *c, pdu;
  uint8_t b0;
  uint32_t h, i;
  if (!get_domain(&tmp, RD_MCS_ERECT_DOMAIN_REQUEST, &b0, &pdu) || (b0 & 3) != 0 ||
      !rd_per_get_uint(&pdu, &h) || !rd_per_get_uint(&pdu, &i) || !rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  *sub_height = h;
  *sub_interval = i;
  *c = tmp;
  return 0;
}

int rd_mcs_encode_attach_user_request(rd_bld *b) {
  rd_bld dt;
  open_domain(b, &dt, RD_MCS_ATTACH_USER_REQUEST << 2);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_attach_user_request(rd_cur *c) {
  rd_cur tmp = *c, pdu;
  uint8_t b0;
  if (!get_domain(&tmp, RD_MCS_ATTACH_USER_REQUEST, &b0, &pdu) || (b0 & 3) != 0 ||
      !rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  *c = tmp;
  return 0;
}

/* The 4-bit Result straddles the first two octets: its top bit is bit 0 of the first, the rest
 * the top three bits of the second, whose five low bits pad. */
static bool get_result(uint8_t b0, uint8_t b1, uint8_t *result) {
  if ((b1 & 0x1f) != 0)
    return false;
  *result = (uint8_t)((b0 & 1) << 3 | b1 >> 5);
  return true;
}

int rd_mcs_decode_attach_user_confirm(rd_cur *c, rd_mcs_attach_user_confirm *out) {
  rd_cur tmp = *c, pdu;
  rd_mcs_attach_user_confirm auc;
  uint8_t b0, b1;
  memset(&auc, 0, sizeof auc);
  if (!get_domain(&tmp, RD_MCS_ATTACH_USER_CONFIRM, &b0, &pdu) || !rd_cur_get_u8(&pdu, &b1) ||
      !get_result(b0, b1, &auc.result))
    return RD_E_MALFORMED;
  auc.initiator_present = (b0 & 2) != 0;
  if (auc.initiator_present && !rd_per_get_u16(&pdu, RD_MCS_USER_ID_MIN, &auc.initiator))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  *out = auc;
  *c = tmp;
  return 0;
}

int rd_mcs_encode_attach_user_confirm(const rd_mcs_attach_user_confirm *auc, rd_bld *b) {
  if (auc->result > RESULT_MAX ||
      (auc->initiator_present && auc->initiator < RD_MCS_USER_ID_MIN))
    return RD_E_INVALID;
  rd_bld dt;
  open_domain(b, &dt,
              (uint8_t)(RD_MCS_ATTACH_USER_CONFIRM << 2 | (auc->initiator_present ? 2 : 0) |
                        auc->result >> 3));
  rd_bld_add_u8(&dt, (uint8_t)((auc->result & 7) << 5));
  if (auc->initiator_present)
    rd_per_add_u16(&dt, auc->initiator, RD_MCS_USER_ID_MIN);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_encode_channel_join_request(uint16_t initiator, uint16_t channel_id, rd_bld *b) {
  if (initiator < RD_MCS_USER_ID_MIN)
    return RD_E_INVALID;
  rd_bld dt;
  open_domain(b, &dt, RD_MCS_CHANNEL_JOIN_REQUEST << 2);
  rd_per_add_u16(&dt, initiator, RD_MCS_USER_ID_MIN);
  rd_per_add_u16(&dt, channel_id, 0);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_channel_join_request(rd_cur *c, uint16_t *initiator, uint16_t *channel_id) {
  rd_cur tmp = *c, pdu;
  uint8_t b0;
  uint16_t user, chan;
  if (!get_domain(&tmp, RD_MCS_CHANNEL_JOIN_REQUEST, &b0, &pdu) || (b0 & 3) != 0 ||
      !rd_per_get_u16(&pdu, RD_MCS_USER_ID_MIN, &user) || !rd_per_get_u16(&pdu, 0, &chan) ||
      !rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  *initiator = user;
  *channel_id = chan;
  *c = tmp;
  return 0;
}

int rd_mcs_decode_channel_join_confirm(rd_cur *c, rd_mcs_channel_join_confirm *out) {
  rd_cur tmp = *c, pdu;
  rd_mcs_channel_join_confirm cjc;
  uint8_t b0, b1;
  memset(&cjc, 0, sizeof cjc);
  if (!get_domain(&tmp, RD_MCS_CHANNEL_JOIN_CONFIRM, &b0, &pdu) || !rd_cur_get_u8(&pdu, &b1) ||
      !get_result(b0, b1, &cjc.result) ||
      !rd_per_get_u16(&pdu, RD_MCS_USER_ID_MIN, &cjc.initiator) ||
      !rd_per_get_u16(&pdu, 0, &cjc.requested))
    return RD_E_MALFORMED;
  cjc.channel_id_present = (b0 & 2) != 0;
  if (cjc.channel_id_present && !rd_per_get_u16(&pdu, 0, &cjc.channel_id))
    return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  *out = cjc;
  *c = tmp;
  return 0;
}

int rd_mcs_encode_channel_join_confirm(const rd_mcs_channel_join_confirm *cjc, rd_bld *b) {
  if (cjc->result > RESULT_MAX || cjc->initiator < RD_MCS_USER_ID_MIN)
    return RD_E_INVALID;
  rd_bld dt;
  open_domain(b, &dt,
              (uint8_t)(RD_MCS_CHANNEL_JOIN_CONFIRM << 2 | (cjc->channel_id_present ? 2 : 0) |
                        cjc->result >> 3));
  rd_bld_add_u8(&dt, (uint8_t)((cjc->result & 7) << 5));
  rd_per_add_u16(&dt, cjc->initiator, RD_MCS_USER_ID_MIN);
  rd_per_add_u16(&dt, cjc->requested, 0);
  if (cjc->channel_id_present)
    rd_per_add_u16(&dt, cjc->channel_id, 0);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_disconnect_provider_ultimatum(rd_cur *c, uint8_t *reason) {
  rd_cur tmp = *c, pdu;
  uint8_t b0, b1, r;
  if (!get_domain(&tmp, RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM, &b0, &pdu) ||
      !rd_cur_get_u8(&pdu, &b1) || (b1 & 0x7f) != 0 || !rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  r = (uint8_t)((b0 & 3) << 1 | b1 >> 7);
  if (r > REASON_MAX)
    return RD_E_MALFORMED;
  *reason = r;
  *c = tmp;
  return 0;
}

int rd_mcs_encode_disconnect_provider_ultimatum(uint8_t reason, rd_bld *b) {
  if (reason > REASON_MAX)
    return RD_E_INVALID;
  rd_bld dt;
  open_domain(b, &dt, (uint8_t)(RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM << 2 | reason >> 1));
  rd_bld_add_u8(&dt, (uint8_t)((reason & 1) << 7));
  return builder_state(rd_bld_close(&dt));
}

static int decode_send_data(rd_cur *c, uint8_t choice, rd_mcs_send_data *out) {
  rd_cur tmp = *c, pdu;
  rd_mcs_send_data sd;
  uint8_t b0, flags;
  memset(&sd, 0, sizeof sd);
  if (!get_domain(&tmp, choice, &b0, &pdu) || (b0 & 3) != 0 ||
      !rd_per_get_u16(&pdu, RD_MCS_USER_ID_MIN, &sd.initiator) ||
      !rd_per_get_u16(&pdu, 0, &sd.channel_id) || !rd_cur_get_u8(&pdu, &flags) ||
      (flags & 0x0f) != 0 || !rd_per_get_octet_string(&pdu, 0, &sd.user_data) ||
      !rd_cur_is_empty(&pdu))
    return RD_E_MALFORMED;
  sd.priority = flags >> 6;
  sd.segmentation = (flags >> 4) & 3;
  *out = sd;
  *c = tmp;
  return 0;
}

static int encode_send_data(const rd_mcs_send_data *sd, uint8_t choice, rd_bld *b) {
  size_t n = rd_cur_len(&sd->user_data);
  if (sd->initiator < RD_MCS_USER_ID_MIN || sd->priority > PRIORITY_MAX ||
      sd->segmentation > SEG_MAX || n > RD_PER_LENGTH_MAX ||
      (n > 0 && rd_cur_data(&sd->user_data) == NULL))
    return RD_E_INVALID;
  rd_bld dt;
  open_domain(b, &dt, (uint8_t)(choice << 2));
  rd_per_add_u16(&dt, sd->initiator, RD_MCS_USER_ID_MIN);
  rd_per_add_u16(&dt, sd->channel_id, 0);
  rd_bld_add_u8(&dt, (uint8_t)(sd->priority << 6 | sd->segmentation << 4));
  rd_per_add_octet_string(&dt, rd_cur_data(&sd->user_data), n, 0);
  return builder_state(rd_bld_close(&dt));
}

int rd_mcs_decode_send_data_indication(rd_cur *c, rd_mcs_send_data *out) {
  return decode_send_data(c, RD_MCS_SEND_DATA_INDICATION, out);
}

int rd_mcs_decode_send_data_request(rd_cur *c, rd_mcs_send_data *out) {
  return decode_send_data(c, RD_MCS_SEND_DATA_REQUEST, out);
}

int rd_mcs_encode_send_data_request(const rd_mcs_send_data *sd, rd_bld *b) {
  return encode_send_data(sd, RD_MCS_SEND_DATA_REQUEST, b);
}

int rd_mcs_encode_send_data_indication(const rd_mcs_send_data *sd, rd_bld *b) {
  return encode_send_data(sd, RD_MCS_SEND_DATA_INDICATION, b);
}
