/* Licensing message codecs; see license.h. */
#include "license.h"

#include <string.h>

#include "err.h"

#define PREAMBLE_LEN 4
#define NAME_MAX_LEN 255

typedef struct row {
  uint32_t value;
  const char *name, *text;
} row;

static const row error_rows[] = {
#define RD_LIC_ERR(value, name, text) {value, #name, text},
#include "license.def"
#undef RD_LIC_ERR
};

static const row transition_rows[] = {
#define RD_LIC_ST(value, name, text) {value, #name, text},
#include "license.def"
#undef RD_LIC_ST
};

static const row *find(const row *t, size_t n, uint32_t v) {
  for (size_t i = 0; i < n; i++)
    if (t[i].value == v)
      return &t[i];
  return NULL;
}

const char *rd_license_error_name(uint32_t code) {
  const row *r = find(error_rows, sizeof error_rows / sizeof error_rows[0], code);
  return r != NULL ? r->name : NULL;
}

const char *rd_license_error_text(uint32_t code) {
  const row *r = find(error_rows, sizeof error_rows / sizeof error_rows[0], code);
  return r != NULL ? r->text : NULL;
}

const char *rd_license_transition_name(uint32_t st) {
  const row *r = find(transition_rows, sizeof transition_rows / sizeof transition_rows[0], st);
  return r != NULL ? r->name : NULL;
}

static bool get_blob(rd_cur *c, rd_license_blob *b) {
  uint16_t len;
  return rd_cur_get_u16le(c, &b->type) && rd_cur_get_u16le(c, &len) &&
         rd_cur_get_span(c, len, &b->data);
}

/* A u32 length then that many bytes. */
static bool get_counted(rd_cur *c, rd_cur *out) {
  uint32_t n;
  return rd_cur_get_u32le(c, &n) && rd_cur_get_span(c, n, out);
}

static int get_request(rd_cur *t, rd_license_msg *m) {
  rd_cur random;
  rd_license_blob scope;
  if (!rd_cur_get_span(t, 32, &random) || !rd_cur_get_u32le(t, &m->product_version) ||
      !get_counted(t, &m->company_name) || !get_counted(t, &m->product_id) ||
      !get_blob(t, &m->key_exchange) || !get_blob(t, &m->certificate) ||
      !rd_cur_get_u32le(t, &m->scope_count))
    return RD_E_MALFORMED;
  m->server_random = rd_cur_data(&random);
  if (m->key_exchange.type != RD_LIC_BB_KEY_EXCHG_ALG_BLOB ||
      rd_cur_len(&m->key_exchange.data) % 4 != 0)
    return RD_E_MALFORMED;
  /* An empty certificate blob may carry any type: Windows sends 0 when TS_UD_SC_SEC1 had one. */
  if (rd_cur_len(&m->certificate.data) > 0 && m->certificate.type != RD_LIC_BB_CERTIFICATE_BLOB)
    return RD_E_MALFORMED;
  if (m->scope_count > RD_LIC_MAX_SCOPES)
    return RD_E_TOO_BIG;
  for (uint32_t i = 0; i < m->scope_count; i++) {
    if (!get_blob(t, &scope) || scope.type != RD_LIC_BB_SCOPE_BLOB)
      return RD_E_MALFORMED;
    m->scopes[i] = scope.data;
  }
  return 0;
}

int rd_license_decode(rd_cur *c, rd_license_msg *out) {
  rd_cur t = *c, mac;
  rd_license_msg m;
  int r = 0;
  memset(&m, 0, sizeof(m));
  if (!rd_cur_get_u8(&t, &m.msg_type) || !rd_cur_get_u8(&t, &m.flags) ||
      !rd_cur_get_u16le(&t, &m.msg_size))
    return RD_E_MALFORMED;
  m.size_mismatch = (size_t)m.msg_size != rd_cur_len(&t) + PREAMBLE_LEN;
  m.body = t;
  switch (m.msg_type) {
  case RD_LIC_ERROR_ALERT:
    if (!rd_cur_get_u32le(&t, &m.error_code) || !rd_cur_get_u32le(&t, &m.state_transition) ||
        !get_blob(&t, &m.error_info))
      r = RD_E_MALFORMED;
    break;
  case RD_LIC_LICENSE_REQUEST:
    r = get_request(&t, &m);
    break;
  case RD_LIC_PLATFORM_CHALLENGE:
    /* The challenge blob's type is not checked: servers send 0 as well as 0x0009. */
    if (!rd_cur_get_u32le(&t, &m.connect_flags) || !get_blob(&t, &m.encrypted_challenge) ||
        !rd_cur_get_span(&t, RD_LIC_MAC_LEN, &mac))
      r = RD_E_MALFORMED;
    else
      m.mac = rd_cur_data(&mac);
    break;
  case RD_LIC_NEW_LICENSE:
  case RD_LIC_UPGRADE_LICENSE:
    if (!get_blob(&t, &m.encrypted_license) ||
        m.encrypted_license.type != RD_LIC_BB_ENCRYPTED_DATA_BLOB ||
        !rd_cur_get_span(&t, RD_LIC_MAC_LEN, &mac))
      r = RD_E_MALFORMED;
    else
      m.mac = rd_cur_data(&mac);
    break;
  default:
    /* Recognised by its preamble only; the caller records the type. */
    rd_cur_skip(&t, rd_cur_len(&t));
    break;
  }
  if (r == 0 && !rd_cur_is_empty(&t))
    r = RD_E_MALFORMED;
  if (r != 0)
    return r;
  *c = t;
  *out = m;
  return 0;
}

bool rd_license_is_valid_client(const rd_license_msg *m) {
  return m->msg_type == RD_LIC_ERROR_ALERT && m->error_code == RD_LIC_STATUS_VALID_CLIENT &&
         m->state_transition == RD_LIC_ST_NO_TRANSITION;
}

static bool add_blob(rd_bld *b, uint16_t type, const uint8_t *p, size_t n) {
  return rd_bld_add_u16le(b, type) && rd_bld_add_u16le(b, (uint16_t)n) && rd_bld_add_bytes(b, p, n);
}

static bool name_ok(const char *s) { return s != NULL && strlen(s) <= NAME_MAX_LEN; }

int rd_license_encode_new_license_request(uint8_t flags, const uint8_t client_random[32],
                                          const uint8_t *encrypted_premaster, size_t n,
                                          const char *user, const char *machine, rd_bld *b) {
  size_t ul, ml, total;
  if (client_random == NULL || encrypted_premaster == NULL || n == 0 || n > 1024 ||
      !name_ok(user) || !name_ok(machine))
    return RD_E_INVALID;
  ul = strlen(user) + 1;
  ml = strlen(machine) + 1;
  total = PREAMBLE_LEN + 4 + 4 + 32 + 4 + n + 4 + ul + 4 + ml;
  bool ok = rd_bld_add_u8(b, RD_LIC_NEW_LICENSE_REQUEST) && rd_bld_add_u8(b, flags) &&
            rd_bld_add_u16le(b, (uint16_t)total) &&
            rd_bld_add_u32le(b, RD_LIC_KEY_EXCHANGE_ALG_RSA) &&
            rd_bld_add_u32le(b, RD_LIC_PLATFORM_ID) && rd_bld_add_bytes(b, client_random, 32) &&
            add_blob(b, RD_LIC_BB_RANDOM_BLOB, encrypted_premaster, n) &&
            add_blob(b, RD_LIC_BB_CLIENT_USER_NAME_BLOB, (const uint8_t *)user, ul) &&
            add_blob(b, RD_LIC_BB_CLIENT_MACHINE_NAME_BLOB, (const uint8_t *)machine, ml);
  return ok ? 0 : RD_E_NOMEM;
}

int rd_license_add_challenge_response_data(uint16_t client_type, const uint8_t *challenge,
                                           size_t n, rd_bld *b) {
  if ((challenge == NULL && n > 0) || n > 0xffff)
    return RD_E_INVALID;
  bool ok = rd_bld_add_u16le(b, RD_LIC_RESPONSE_VERSION) && rd_bld_add_u16le(b, client_type) &&
            rd_bld_add_u16le(b, RD_LIC_DETAIL_DETAIL) && rd_bld_add_u16le(b, (uint16_t)n) &&
            rd_bld_add_bytes(b, challenge, n);
  return ok ? 0 : RD_E_NOMEM;
}

int rd_license_encode_platform_challenge_response(uint8_t flags, const uint8_t *enc_response,
                                                  size_t response_len, const uint8_t *enc_hwid,
                                                  size_t hwid_len,
                                                  const uint8_t mac[RD_LIC_MAC_LEN], rd_bld *b) {
  size_t total;
  if ((enc_response == NULL && response_len > 0) || (enc_hwid == NULL && hwid_len > 0) ||
      mac == NULL || response_len > 1024 || hwid_len > 1024)
    return RD_E_INVALID;
  total = PREAMBLE_LEN + 4 + response_len + 4 + hwid_len + RD_LIC_MAC_LEN;
  bool ok = rd_bld_add_u8(b, RD_LIC_PLATFORM_CHALLENGE_RESPONSE) && rd_bld_add_u8(b, flags) &&
            rd_bld_add_u16le(b, (uint16_t)total) &&
            add_blob(b, RD_LIC_BB_ENCRYPTED_DATA_BLOB, enc_response, response_len) &&
            add_blob(b, RD_LIC_BB_ENCRYPTED_DATA_BLOB, enc_hwid, hwid_len) &&
            rd_bld_add_bytes(b, mac, RD_LIC_MAC_LEN);
  return ok ? 0 : RD_E_NOMEM;
}
