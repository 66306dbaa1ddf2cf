/* T.125 MCS PDUs of RDP's Basic Settings Exchange and Channel Connection phases, each in its
 * TPKT + X.224 Data TPDU (02 f0 80) frame ([MS-RDPBCGR] 2.2.1.3-2.2.1.9, 2.2.2.3;
 * T.125 §7, §11; reference §3.8):
 *   - Connect-Initial / Connect-Response: BER, [APPLICATION 101] / [APPLICATION 102] (7f 65 / 7f 66);
 *   - domain PDUs: ALIGNED PER (per.h), a DomainMCSPDU CHOICE whose 6-bit index fills the top of
 *     the first octet; the bits below it hold presence bits, a short ENUMERATED or padding, as
 *     each function spells out.
 *
 * Every decoder takes a cursor at the start of one TPKT frame (rd_tpkt_frame_need delimited it),
 * consumes exactly that frame and returns 0, or returns RD_E_MALFORMED and leaves the cursor where
 * it was. The MCS PDU must fill the Data TPDU: a byte after it, a length past it, a non-zero
 * padding bit or a field out of its range is RD_E_MALFORMED. Bytes after the frame stay in the
 * cursor. Spans in a decoded struct are borrowed from the frame.
 *
 * Every encoder appends one whole frame to b and returns 0, RD_E_INVALID if the struct cannot be
 * encoded as given (nothing is appended then), or RD_E_NOMEM if the builder has failed (memory or
 * its maximum; rd_bld_finish fails too). */
#ifndef RD_CORE_MCS_H
#define RD_CORE_MCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* DomainMCSPDU CHOICE indices (T.125 §7 part 10), the ones RDP uses. */
#define RD_MCS_ERECT_DOMAIN_REQUEST          1
#define RD_MCS_DISCONNECT_PROVIDER_ULTIMATUM 8
#define RD_MCS_ATTACH_USER_REQUEST           10
#define RD_MCS_ATTACH_USER_CONFIRM           11
#define RD_MCS_CHANNEL_JOIN_REQUEST          14
#define RD_MCS_CHANNEL_JOIN_CONFIRM          15
#define RD_MCS_SEND_DATA_REQUEST             25
#define RD_MCS_SEND_DATA_INDICATION          26
/* The connect PDUs are BER [APPLICATION n] (T.125 §7 part 2); n lies above every domain index
 * (0..42), so rd_mcs_peek_type answers in one number space. */
#define RD_MCS_CONNECT_INITIAL    101
#define RD_MCS_CONNECT_RESPONSE   102
#define RD_MCS_CONNECT_ADDITIONAL 103
#define RD_MCS_CONNECT_RESULT     104

/* UserId ::= DynamicChannelId (1001..65535); PER sends it minus 1001. */
#define RD_MCS_USER_ID_MIN 1001

#define RD_MCS_RESULT(value, name, text) RD_MCS_RESULT_##name = value,
enum rd_mcs_result {
#include "mcs_result.def"
};
#undef RD_MCS_RESULT

#define RD_MCS_REASON(value, name, text) RD_MCS_REASON_##name = value,
enum rd_mcs_reason {
#include "mcs_reason.def"
};
#undef RD_MCS_REASON

/* The T.125 names ("rt-unspecified-failure", "rn-user-requested"); NULL outside the enums. */
const char *rd_mcs_result_name(unsigned result);
const char *rd_mcs_reason_name(unsigned reason);

/* DataPriority (T.125 §7 part 1) and Segmentation bits of Send Data. */
#define RD_MCS_PRIORITY_TOP    0
#define RD_MCS_PRIORITY_HIGH   1
#define RD_MCS_PRIORITY_MEDIUM 2
#define RD_MCS_PRIORITY_LOW    3
#define RD_MCS_SEG_BEGIN 0x2
#define RD_MCS_SEG_END   0x1

/* The DomainMCSPDU index, or RD_MCS_CONNECT_* for a BER connect PDU (7f 65..7f 68), of the frame
 * at c, without consuming it: what the probe dispatches on after a Data TPDU arrives. Returns 0, or
 * RD_E_MALFORMED unless c starts with a whole TPKT holding a Data TPDU and at least one MCS byte
 * (two when the first is 7f). */
int rd_mcs_peek_type(const rd_cur *c, uint8_t *type);

/* DomainParameters (T.125 §7 part 2). */
typedef struct rd_mcs_domain_params {
  uint32_t max_channel_ids, max_user_ids, max_token_ids, num_priorities;
  uint32_t min_throughput, max_height, max_mcs_pdu_size, protocol_version;
} rd_mcs_domain_params;

/* Connect-Initial (2.2.1.3; T.125 §7 part 2, §11.1). Spans are borrowed from the caller. */
typedef struct rd_mcs_connect_initial {
  const uint8_t *calling_domain_selector; /* 01 (3.2.5.3.3) */
  size_t calling_len;
  const uint8_t *called_domain_selector; /* 01 */
  size_t called_len;
  bool upward_flag; /* TRUE */
  rd_mcs_domain_params target, minimum, maximum;
  const uint8_t *user_data; /* the GCC Conference Create Request (rd_gcc_encode_ccrq) */
  size_t user_data_len;
} rd_mcs_connect_initial;

/* Fills ci with the values of the spec's example 4.1.3, which mstsc sends (selectors 01, upward
 * TRUE; target 34/2/0/1/0/1/65535/2, minimum 1/1/1/1/0/1/1056/2, maximum
 * 65535/64535/65535/1/0/1/65535/2; 3.2.5.3.3's table has 65535 for the maximum maxUserIds), and
 * the given user data. */
void rd_mcs_connect_initial_init(rd_mcs_connect_initial *ci, const uint8_t *user_data,
                                 size_t user_data_len);

/* Appends the Connect-Initial frame. INTEGERs are written as mstsc writes them in 4.1.3: the
 * minimal unsigned octets without DER's sign octet (65535 is 02 02 ff ff), which receivers read
 * as unsigned. RD_E_INVALID for a NULL span with a length or user data over 65535 bytes; a frame
 * that outgrows the TPKT's 65535 fails the builder (RD_E_NOMEM). */
int rd_mcs_encode_connect_initial(const rd_mcs_connect_initial *ci, rd_bld *b);

/* Connect-Response (2.2.1.4; T.125 §7 part 2, §11.2). */
typedef struct rd_mcs_connect_response {
  uint32_t result; /* RD_MCS_RESULT_* as sent */
  /* A failing server may send the result alone (3.3.5.3.3.1), so the rest is read as an
   * in-order prefix of T.125's sequence, each with its presence flag. */
  bool connect_id_present;
  uint32_t called_connect_id;
  bool params_present;
  rd_mcs_domain_params params;
  bool user_data_present;
  rd_cur user_data; /* the GCC Conference Create Response, for rd_gcc_decode_ccrsp */
} rd_mcs_connect_response;

/* Decodes a Connect-Response frame: 7f 66 with a BER length that fills the TPDU, result
 * (ENUMERATED), then optionally calledConnectId (INTEGER), domainParameters (SEQUENCE of eight
 * INTEGERs) and userData (OCTET STRING), nothing after. INTEGERs are read unsigned (1-4 octets, or
 * 5 with a leading 00: Windows writes 02 03 00 ff f8, mstsc 02 02 ff ff). */
int rd_mcs_decode_connect_response(rd_cur *c, rd_mcs_connect_response *out);
/* Appends a Connect-Response frame (test servers, fuzzing) with DER INTEGERs, as Windows writes
 * them in 4.1.4. Each absent part drops the parts after it. */
int rd_mcs_encode_connect_response(const rd_mcs_connect_response *cr, rd_bld *b);

/* Erect Domain Request (2.2.1.5): 04, then subHeight and subInterval as PER INTEGERs (the spec
 * and every client send 0 and 0: 04 01 00 01 00). */
int rd_mcs_encode_erect_domain(uint32_t sub_height, uint32_t sub_interval, rd_bld *b);
int rd_mcs_decode_erect_domain(rd_cur *c, uint32_t *sub_height, uint32_t *sub_interval);

/* Attach User Request (2.2.1.6): the single octet 28. */
int rd_mcs_encode_attach_user_request(rd_bld *b);
int rd_mcs_decode_attach_user_request(rd_cur *c);

/* Attach User Confirm (2.2.1.7): 2c | initiator-present << 1 | result >> 3, then (result & 7) << 5
 * with five zero padding bits, then the initiator (UserId) when present: 2e 00 00 06 is success
 * for user 1007. */
typedef struct rd_mcs_attach_user_confirm {
  uint8_t result; /* RD_MCS_RESULT_* */
  bool initiator_present;
  uint16_t initiator; /* the user channel, >= 1001 */
} rd_mcs_attach_user_confirm;

int rd_mcs_decode_attach_user_confirm(rd_cur *c, rd_mcs_attach_user_confirm *out);
/* RD_E_INVALID for a result above 15 or an initiator below 1001. */
int rd_mcs_encode_attach_user_confirm(const rd_mcs_attach_user_confirm *auc, rd_bld *b);

/* Channel Join Request (2.2.1.8): 38, initiator (UserId), channelId: 38 00 06 03 eb is user 1007
 * joining 1003. RD_E_INVALID for an initiator below 1001. */
int rd_mcs_encode_channel_join_request(uint16_t initiator, uint16_t channel_id, rd_bld *b);
int rd_mcs_decode_channel_join_request(rd_cur *c, uint16_t *initiator, uint16_t *channel_id);

/* Channel Join Confirm (2.2.1.9): 3c | channelId-present << 1 | result >> 3, (result & 7) << 5,
 * initiator, requested, then channelId when present: 3e 00 00 06 03 ef 03 ef. */
typedef struct rd_mcs_channel_join_confirm {
  uint8_t result; /* RD_MCS_RESULT_* */
  uint16_t initiator;
  uint16_t requested;
  bool channel_id_present;
  uint16_t channel_id;
} rd_mcs_channel_join_confirm;

int rd_mcs_decode_channel_join_confirm(rd_cur *c, rd_mcs_channel_join_confirm *out);
/* RD_E_INVALID for a result above 15 or an initiator below 1001. */
int rd_mcs_encode_channel_join_confirm(const rd_mcs_channel_join_confirm *cjc, rd_bld *b);

/* Disconnect Provider Ultimatum (2.2.2.3): 20 | reason >> 1, (reason & 1) << 7 with seven zero
 * padding bits: 21 80 is rn-user-requested. A reason above 4 is RD_E_MALFORMED (the ENUMERATED
 * has five values and no extension). */
int rd_mcs_decode_disconnect_provider_ultimatum(rd_cur *c, uint8_t *reason);
/* RD_E_INVALID for a reason above 4. */
int rd_mcs_encode_disconnect_provider_ultimatum(uint8_t reason, rd_bld *b);

/* Send Data Request / Indication (every slow-path PDU from 2.2.1.10 on travels in one; T.125
 * §11.32, §11.33):
 * 64 / 68, initiator (UserId), channelId, then priority << 6 | segmentation << 4 with four zero
 * padding bits, then the user data behind a PER length (below 16384: the fragmented form is
 * rejected). 68 00 01 03 eb 70 1c ... is user 1002 to channel 1003, high priority, begin|end,
 * 28 bytes. */
typedef struct rd_mcs_send_data {
  uint16_t initiator;   /* >= 1001 */
  uint16_t channel_id;
  uint8_t priority;     /* RD_MCS_PRIORITY_* */
  uint8_t segmentation; /* RD_MCS_SEG_* OR'ed */
  rd_cur user_data;     /* borrowed: from the frame when decoding, from the caller when encoding */
} rd_mcs_send_data;

int rd_mcs_decode_send_data_indication(rd_cur *c, rd_mcs_send_data *out);
int rd_mcs_decode_send_data_request(rd_cur *c, rd_mcs_send_data *out);
/* RD_E_INVALID for an initiator below 1001, a priority above 3, segmentation above 3 or user data
 * of 16384 bytes or more. */
int rd_mcs_encode_send_data_request(const rd_mcs_send_data *sd, rd_bld *b);
int rd_mcs_encode_send_data_indication(const rd_mcs_send_data *sd, rd_bld *b);

#endif
