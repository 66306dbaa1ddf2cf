/* T.124 GCC Conference Create Request/Response and the RDP settings data blocks; see gcc.h. */
#include "gcc.h"

#include <string.h>

#include "err.h"
#include "per.h"
#include "utf16.h"
#include "x224.h"

/* T.124's object identifier {itu-t(0) recommendation(0) t(20) t124(124) version(0) 1}, BER
 * contents octets. */
static const uint8_t t124_oid[5] = {0x00, 0x14, 0x7c, 0x00, 0x01};
static const uint8_t key_client[4] = {'D', 'u', 'c', 'a'};
static const uint8_t key_server[4] = {'M', 'c', 'D', 'n'};

/* ConnectGCCPDU up to the H.221 key (ALIGNED PER, T.124 §8.7; the bit layout of 4.1.3):
 *   00  ConnectGCCPDU extension 0, CHOICE conferenceCreateRequest (000); ConferenceCreateRequest
 *       extension 0; convenerPassword, password, conductorPrivileges absent
 *   08  conductedPrivileges, nonConductedPrivileges, conferenceDescription, callerIdentifier
 *       absent; userData present; ConferenceName extension 0, text absent; padding
 *   00  ConferenceName numeric: length 1 (as 1 - 1)
 *   10  "1" (4 bits), lockedConference, listedConference, conductibleConference FALSE,
 *       terminationMethod extension 0
 *   00  terminationMethod automatic, padding
 *   01  one UserData set
 *   c0  value present, Key CHOICE h221NonStandard
 *   00  H.221 key length 4 (as 4 - 4) */
static const uint8_t ccrq_head[8] = {0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00};

/* The response's first octet: extension 0, CHOICE conferenceCreateResponse (001), extension 0,
 * userData present (0x04), padding. */
#define CCRSP_CHOICE     0x10
#define CCRSP_USER_DATA  0x04
/* T.124 ConferenceCreateResponse result: five values, extensible. */
#define CCRSP_RESULT_MAX 4
/* UserID ::= DynamicChannelID (1001..65535), T.124 §8.7. */
#define NODE_ID_MIN      1001
/* Key and value byte of the one server user data set: value present, h221NonStandard. */
#define USER_DATA_H221   0xc0

#define CS_CORE_LEN     216 /* header + every field through serverSelectedProtocol */
#define CS_SECURITY_LEN 12
#define CS_CLUSTER_LEN  12
#define CS_NET_FIXED    8
#define CHANNEL_DEF_LEN 12

void rd_gcc_client_data_init(rd_gcc_client_data *cd, uint32_t selected_protocol) {
  memset(cd, 0, sizeof *cd);
  cd->version = RD_GCC_VERSION_RDP5;
  cd->desktop_width = 1024;
  cd->desktop_height = 768;
  cd->color_depth = RD_GCC_COLOR_8BPP;
  cd->sas_sequence = RD_GCC_SAS_DEL;
  cd->keyboard_layout = 0x409;
  cd->keyboard_type = 4;
  cd->keyboard_function_keys = 12;
  cd->post_beta2_color_depth = RD_GCC_COLOR_8BPP;
  cd->client_product_id = 1;
  cd->high_color_depth = 16;
  cd->supported_color_depths = RD_GCC_15BPP_SUPPORT | RD_GCC_16BPP_SUPPORT |
                               RD_GCC_24BPP_SUPPORT | RD_GCC_32BPP_SUPPORT;
  cd->early_capability_flags = RD_GCC_CS_SUPPORT_ERRINFO_PDU | RD_GCC_CS_SUPPORT_STATUSINFO_PDU |
                               RD_GCC_CS_STRONG_ASYMMETRIC_KEYS |
                               RD_GCC_CS_VALID_CONNECTION_TYPE |
                               RD_GCC_CS_SUPPORT_SKIP_CHANNELJOIN;
  cd->connection_type = RD_GCC_CONNECTION_TYPE_LAN;
  cd->server_selected_protocol = selected_protocol;
  /* Standard RDP Security needs a method; under TLS or CredSSP the server expects none. */
  if (selected_protocol == RD_X224_PROTOCOL_RDP)
    cd->encryption_methods = RD_GCC_ENCRYPTION_METHOD_40BIT | RD_GCC_ENCRYPTION_METHOD_56BIT |
                             RD_GCC_ENCRYPTION_METHOD_128BIT | RD_GCC_ENCRYPTION_METHOD_FIPS;
  cd->cluster_present = true;
  cd->cluster_flags = RD_GCC_REDIRECTION_SUPPORTED | RD_GCC_REDIRECTION_VERSION4;
  rd_gcc_set_client_name(cd, "rdpdoctor", 9);
}

int rd_gcc_set_client_name(rd_gcc_client_data *cd, const char *utf8, size_t n) {
  uint8_t name[32];
  size_t len;
  memset(name, 0, sizeof name);
  /* 30 bytes of cap: 15 UTF-16 units and room for the NUL that the zero padding supplies. */
  int r = rd_utf8_to_utf16le(utf8, n, false, name, sizeof name - 2, &len);
  if (r != 0)
    return r;
  memcpy(cd->client_name, name, sizeof name);
  return 0;
}

static size_t blocks_len(const rd_gcc_client_data *cd) {
  return CS_CORE_LEN + (cd->cluster_present ? CS_CLUSTER_LEN : 0) + CS_SECURITY_LEN +
         CS_NET_FIXED + CHANNEL_DEF_LEN * cd->channel_count;
}

static size_t per_length_size(size_t n) { return n < 0x80 ? 1 : 2; }

static void add_core(rd_bld *b, const rd_gcc_client_data *cd) {
  rd_bld_add_u16le(b, RD_GCC_CS_CORE);
  rd_bld_add_u16le(b, CS_CORE_LEN);
  rd_bld_add_u32le(b, cd->version);
  rd_bld_add_u16le(b, cd->desktop_width);
  rd_bld_add_u16le(b, cd->desktop_height);
  rd_bld_add_u16le(b, cd->color_depth);
  rd_bld_add_u16le(b, cd->sas_sequence);
  rd_bld_add_u32le(b, cd->keyboard_layout);
  rd_bld_add_u32le(b, cd->client_build);
  rd_bld_add_bytes(b, cd->client_name, sizeof cd->client_name);
  rd_bld_add_u32le(b, cd->keyboard_type);
  rd_bld_add_u32le(b, cd->keyboard_subtype);
  rd_bld_add_u32le(b, cd->keyboard_function_keys);
  rd_bld_add_bytes(b, cd->ime_file_name, sizeof cd->ime_file_name);
  rd_bld_add_u16le(b, cd->post_beta2_color_depth);
  rd_bld_add_u16le(b, cd->client_product_id);
  rd_bld_add_u32le(b, cd->serial_number);
  rd_bld_add_u16le(b, cd->high_color_depth);
  rd_bld_add_u16le(b, cd->supported_color_depths);
  rd_bld_add_u16le(b, cd->early_capability_flags);
  rd_bld_add_bytes(b, cd->client_dig_product_id, sizeof cd->client_dig_product_id);
  rd_bld_add_u8(b, cd->connection_type);
  rd_bld_add_u8(b, 0); /* pad1octet */
  rd_bld_add_u32le(b, cd->server_selected_protocol);
}

int rd_gcc_encode_ccrq(const rd_gcc_client_data *cd, rd_bld *b) {
  if (cd->channel_count > RD_GCC_MAX_CHANNELS)
    return RD_E_INVALID;
  for (size_t i = 0; i < cd->channel_count; i++)
    if (cd->channels[i].name[RD_GCC_CHANNEL_NAME_LEN - 1] != '\0')
      return RD_E_INVALID;
  /* Every block has a fixed size, so the two PER lengths are known before writing. */
  size_t blocks = blocks_len(cd);
  size_t pdu = sizeof ccrq_head + sizeof key_client + per_length_size(blocks) + blocks;
  rd_bld_add_u8(b, 0); /* Key CHOICE object */
  rd_per_add_object_identifier(b, t124_oid, sizeof t124_oid);
  rd_per_add_length(b, pdu);
  rd_bld_add_bytes(b, ccrq_head, sizeof ccrq_head);
  rd_bld_add_bytes(b, key_client, sizeof key_client);
  rd_per_add_length(b, blocks);
  add_core(b, cd);
  if (cd->cluster_present) {
    rd_bld_add_u16le(b, RD_GCC_CS_CLUSTER);
    rd_bld_add_u16le(b, CS_CLUSTER_LEN);
    rd_bld_add_u32le(b, cd->cluster_flags);
    rd_bld_add_u32le(b, cd->redirected_session_id);
  }
  rd_bld_add_u16le(b, RD_GCC_CS_SECURITY);
  rd_bld_add_u16le(b, CS_SECURITY_LEN);
  rd_bld_add_u32le(b, cd->encryption_methods);
  rd_bld_add_u32le(b, cd->ext_encryption_methods);
  rd_bld_add_u16le(b, RD_GCC_CS_NET);
  rd_bld_add_u16le(b, (uint16_t)(CS_NET_FIXED + CHANNEL_DEF_LEN * cd->channel_count));
  rd_bld_add_u32le(b, (uint32_t)cd->channel_count);
  for (size_t i = 0; i < cd->channel_count; i++) {
    rd_bld_add_bytes(b, (const uint8_t *)cd->channels[i].name, RD_GCC_CHANNEL_NAME_LEN);
    rd_bld_add_u32le(b, cd->channels[i].options);
  }
  /* A zero-length add reports the builder's sticky state. */
  return rd_bld_add_bytes(b, NULL, 0) ? 0 : RD_E_NOMEM;
}

bool rd_gcc_get_block(rd_cur *c, uint16_t *type, rd_cur *body) {
  rd_cur tmp = *c;
  uint16_t t, len;
  if (!rd_cur_get_u16le(&tmp, &t) || !rd_cur_get_u16le(&tmp, &len) || len < 4 ||
      !rd_cur_get_span(&tmp, (size_t)len - 4, body))
    return false;
  *type = t;
  *c = tmp;
  return true;
}

/* An optional u32 at the end of a block: absent when nothing is left, malformed when cut. */
static bool get_optional_u32(rd_cur *body, uint32_t *v, bool *present) {
  *present = false;
  if (rd_cur_is_empty(body))
    return true;
  if (!rd_cur_get_u32le(body, v))
    return false;
  *present = true;
  return true;
}

static bool get_sc_core(rd_cur *body, rd_gcc_sc_core *core) {
  return rd_cur_get_u32le(body, &core->version) &&
         get_optional_u32(body, &core->client_requested_protocols,
                          &core->client_requested_protocols_present) &&
         (!core->client_requested_protocols_present ||
          get_optional_u32(body, &core->early_capability_flags,
                           &core->early_capability_flags_present));
}

static bool get_sc_security(rd_cur *body, rd_gcc_sc_security *sec) {
  if (!rd_cur_get_u32le(body, &sec->encryption_method) ||
      !rd_cur_get_u32le(body, &sec->encryption_level))
    return false;
  /* 2.2.1.4.3: with method and level both 0 the random and certificate are absent. */
  if (sec->encryption_method == 0 && sec->encryption_level == 0)
    return true;
  if (!rd_cur_get_u32le(body, &sec->server_random_len) ||
      !rd_cur_get_u32le(body, &sec->server_cert_len) ||
      sec->server_random_len != RD_GCC_SERVER_RANDOM_LEN ||
      !rd_cur_get_bytes(body, sec->server_random, RD_GCC_SERVER_RANDOM_LEN) ||
      !rd_cur_get_span(body, sec->server_cert_len, &sec->server_cert))
    return false;
  sec->random_present = true;
  return true;
}

static bool get_sc_net(rd_cur *body, rd_gcc_sc_net *net) {
  if (!rd_cur_get_u16le(body, &net->io_channel_id) ||
      !rd_cur_get_u16le(body, &net->channel_count) || net->channel_count > RD_GCC_MAX_CHANNELS)
    return false;
  for (uint16_t i = 0; i < net->channel_count; i++)
    if (!rd_cur_get_u16le(body, &net->channel_ids[i]))
      return false;
  /* The pad after an odd count; a server that leaves it out is recorded, not refused. */
  if ((net->channel_count & 1) && rd_cur_len(body) >= 2) {
    rd_cur_skip(body, 2);
    net->padding_present = true;
  }
  return true;
}

/* Parses the blocks of c into sd's block fields, which the caller has zeroed. */
static bool get_blocks(rd_cur *c, rd_gcc_server_data *sd) {
  rd_cur tmp = *c, body;
  uint16_t type;
  while (!rd_cur_is_empty(&tmp)) {
    bool ok, *seen;
    if (!rd_gcc_get_block(&tmp, &type, &body))
      return false;
    sd->block_count++;
    switch (type) {
    case RD_GCC_SC_CORE:
      seen = &sd->core_present;
      ok = !*seen && get_sc_core(&body, &sd->core);
      break;
    case RD_GCC_SC_SECURITY:
      seen = &sd->security_present;
      ok = !*seen && get_sc_security(&body, &sd->security);
      break;
    case RD_GCC_SC_NET:
      seen = &sd->net_present;
      ok = !*seen && get_sc_net(&body, &sd->net);
      break;
    case RD_GCC_SC_MCS_MSGCHANNEL:
      seen = &sd->msgchannel_present;
      ok = !*seen && rd_cur_get_u16le(&body, &sd->msgchannel_id);
      break;
    case RD_GCC_SC_MULTITRANSPORT:
      seen = &sd->multitransport_present;
      ok = !*seen && rd_cur_get_u32le(&body, &sd->multitransport_flags);
      break;
    default:
      if (sd->unknown_count < RD_GCC_MAX_UNKNOWN)
        sd->unknown_types[sd->unknown_count] = type;
      sd->unknown_count++;
      continue;
    }
    if (!ok)
      return false;
    *seen = true;
  }
  *c = tmp;
  return true;
}

int rd_gcc_decode_server_blocks(rd_cur *c, rd_gcc_server_data *out) {
  rd_gcc_server_data sd;
  memset(&sd, 0, sizeof sd);
  if (!get_blocks(c, &sd))
    return RD_E_MALFORMED;
  *out = sd;
  return 0;
}

int rd_gcc_decode_ccrsp(rd_cur *c, rd_gcc_server_data *out) {
  rd_cur tmp = *c, oid, key, blocks;
  rd_gcc_server_data sd;
  uint8_t choice, obj, res, sets, h221;
  memset(&sd, 0, sizeof sd);
  if (!rd_cur_get_u8(&tmp, &obj) || obj != 0 || !rd_per_get_object_identifier(&tmp, &oid) ||
      rd_cur_len(&oid) != sizeof t124_oid || memcmp(rd_cur_data(&oid), t124_oid, 5) != 0 ||
      !rd_per_get_length(&tmp, &sd.connect_pdu_len) || !rd_cur_get_u8(&tmp, &choice) ||
      (choice & ~CCRSP_USER_DATA) != CCRSP_CHOICE ||
      !rd_per_get_u16(&tmp, NODE_ID_MIN, &sd.node_id) ||
      !rd_per_get_uint(&tmp, &sd.tag) || !rd_cur_get_u8(&tmp, &res) || (res & 0x8f) != 0 ||
      ((res >> 4) & 7) > CCRSP_RESULT_MAX)
    return RD_E_MALFORMED;
  sd.result = (res >> 4) & 7;
  sd.user_data_present = (choice & CCRSP_USER_DATA) != 0;
  if (sd.user_data_present) {
    if (!rd_cur_get_u8(&tmp, &sets) || sets != 1 || !rd_cur_get_u8(&tmp, &h221) ||
        h221 != USER_DATA_H221 || !rd_per_get_octet_string(&tmp, 4, &key) ||
        rd_cur_len(&key) != sizeof key_server ||
        memcmp(rd_cur_data(&key), key_server, sizeof key_server) != 0 ||
        !rd_per_get_octet_string(&tmp, 0, &blocks) || !get_blocks(&blocks, &sd) ||
        !rd_cur_is_empty(&blocks))
      return RD_E_MALFORMED;
  }
  if (!rd_cur_is_empty(&tmp))
    return RD_E_MALFORMED;
  *out = sd;
  *c = tmp;
  return 0;
}
