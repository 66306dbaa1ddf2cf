/* The share layer of the slow path ([MS-RDPBCGR] 2.2.8.1.1.1): Share Control and Share Data headers,
 * the capability exchange (Demand Active in, Confirm Active out, 2.2.1.13), Deactivate All (2.2.3.1),
 * connection finalization (Synchronize, Control, Font List out; Synchronize, Control, Font Map in,
 * 2.2.1.14-2.2.1.22), Set Error Info (2.2.5.1) and Save Session Info (2.2.10.1), and a classifier
 * that names any share PDU so an unknown one is recorded, not fatal.
 *
 * Decoders take a cursor over the payload after the security header (the MCS Send Data user data
 * once decrypted), consume what they describe and return 0, or RD_E_MALFORMED (RD_E_TOO_BIG for a
 * hostile count) leaving the cursor where it was. Spans are borrowed from the input. Encoders append
 * one whole share PDU to b and return 0, RD_E_INVALID for input they cannot encode, RD_E_NOMEM when
 * the builder failed. All integers are little-endian. */
#ifndef RD_CORE_SHARE_H
#define RD_CORE_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* pduType (2.2.8.1.1.1.1): the low 4 bits; the version (TS_PROTOCOL_VERSION 0x10) is OR'ed in. */
#define RD_SHARE_PDUTYPE_DEMANDACTIVE  0x1
#define RD_SHARE_PDUTYPE_CONFIRMACTIVE 0x3
#define RD_SHARE_PDUTYPE_DEACTIVATEALL 0x6
#define RD_SHARE_PDUTYPE_DATA          0x7
#define RD_SHARE_PDUTYPE_SERVER_REDIR  0xA
#define RD_SHARE_PROTOCOL_VERSION      0x10

/* pduType2 (2.2.8.1.1.1.2). */
#define RD_SHARE_PDUTYPE2_UPDATE                  0x02
#define RD_SHARE_PDUTYPE2_CONTROL                 0x14
#define RD_SHARE_PDUTYPE2_POINTER                 0x1B
#define RD_SHARE_PDUTYPE2_INPUT                   0x1C
#define RD_SHARE_PDUTYPE2_SYNCHRONIZE             0x1F
#define RD_SHARE_PDUTYPE2_REFRESH_RECT            0x21
#define RD_SHARE_PDUTYPE2_PLAY_SOUND              0x22
#define RD_SHARE_PDUTYPE2_SUPPRESS_OUTPUT         0x23
#define RD_SHARE_PDUTYPE2_SHUTDOWN_REQUEST        0x24
#define RD_SHARE_PDUTYPE2_SHUTDOWN_DENIED         0x25
#define RD_SHARE_PDUTYPE2_SAVE_SESSION_INFO       0x26
#define RD_SHARE_PDUTYPE2_FONTLIST                0x27
#define RD_SHARE_PDUTYPE2_FONTMAP                 0x28
#define RD_SHARE_PDUTYPE2_SET_KEYBOARD_INDICATORS 0x29
#define RD_SHARE_PDUTYPE2_BITMAPCACHE_PERSISTENT_LIST 0x2B
#define RD_SHARE_PDUTYPE2_BITMAPCACHE_ERROR       0x2C
#define RD_SHARE_PDUTYPE2_SET_KEYBOARD_IME_STATUS 0x2D
#define RD_SHARE_PDUTYPE2_OFFSCRCACHE_ERROR       0x2E
#define RD_SHARE_PDUTYPE2_SET_ERROR_INFO          0x2F
#define RD_SHARE_PDUTYPE2_DRAWNINEGRID_ERROR      0x30
#define RD_SHARE_PDUTYPE2_DRAWGDIPLUS_ERROR       0x31
#define RD_SHARE_PDUTYPE2_ARC_STATUS              0x32
#define RD_SHARE_PDUTYPE2_STATUS_INFO             0x36
#define RD_SHARE_PDUTYPE2_MONITOR_LAYOUT          0x37

/* streamId, compressedType flags (2.2.8.1.1.1.2). */
#define RD_SHARE_STREAM_LOW    0x01
#define RD_SHARE_STREAM_MED    0x02
#define RD_SHARE_STREAM_HI     0x04
#define RD_SHARE_PACKET_COMPRESSED 0x20

/* Control actions (2.2.1.15.1). */
#define RD_SHARE_CTRLACTION_REQUEST_CONTROL 0x0001
#define RD_SHARE_CTRLACTION_GRANTED_CONTROL 0x0002
#define RD_SHARE_CTRLACTION_DETACH          0x0003
#define RD_SHARE_CTRLACTION_COOPERATE       0x0004

/* The MCS channel id a Windows server uses as pduSource and originatorId (2.2.1.13.1.1). */
#define RD_SHARE_SERVER_CHANNEL_ID 0x03EA

/* Share Control Header (2.2.8.1.1.1.1). */
typedef struct rd_share_ctrl {
  uint16_t total_length;
  uint16_t pdu_type;  /* the whole field */
  uint8_t type;       /* pdu_type & 0xf: RD_SHARE_PDUTYPE_* */
  uint16_t version;   /* pdu_type & 0xfff0 */
  uint16_t pdu_source;
} rd_share_ctrl;

/* Share Data Header (2.2.8.1.1.1.2), after a Share Control Header of type DATA. */
typedef struct rd_share_data {
  uint32_t share_id;
  uint8_t stream_id;
  uint16_t uncompressed_length;
  uint8_t pdu_type2;
  uint8_t compressed_type;
  uint16_t compressed_length;
} rd_share_data;

/* Consumes one Share Control Header and the totalLength - 6 bytes it announces, which become body.
 * RD_E_MALFORMED for totalLength below 6 or beyond the cursor. Bytes after totalLength stay in c.
 * (A bare 2-byte flow PDU, totalLength 0x8000, is not a share PDU: RD_E_MALFORMED.) */
int rd_share_decode_ctrl(rd_cur *c, rd_share_ctrl *out, rd_cur *body);
/* Consumes a Share Data Header at the start of a DATA body; the rest is the PDU's payload. */
int rd_share_decode_data(rd_cur *body, rd_share_data *out);

/* Appends a Share Control Header of type and source around payload (totalLength = 6 + n). */
int rd_share_encode_ctrl(uint8_t type, uint16_t pdu_source, const uint8_t *payload, size_t n,
                         rd_bld *b);
/* Appends a DATA PDU: both headers (stream low, uncompressed, uncompressedLength = n + 4 as
 * Windows writes it: the payload and the pduType2..compressedLength fields) and the payload. */
int rd_share_encode_data(uint32_t share_id, uint16_t pdu_source, uint8_t stream_id,
                         uint8_t pdu_type2, const uint8_t *payload, size_t n, rd_bld *b);

/* ---- Capability exchange ---- */

/* One capability set (2.2.1.13.1.1.1): type, then lengthCapability - 4 bytes of data. */
typedef struct rd_share_capset {
  uint16_t type;
  rd_cur data;
} rd_share_capset;

/* Capability set types (2.2.1.13.1.1.1). */
#define RD_CAPSTYPE_GENERAL                1
#define RD_CAPSTYPE_BITMAP                 2
#define RD_CAPSTYPE_ORDER                  3
#define RD_CAPSTYPE_BITMAPCACHE            4
#define RD_CAPSTYPE_CONTROL                5
#define RD_CAPSTYPE_ACTIVATION             7
#define RD_CAPSTYPE_POINTER                8
#define RD_CAPSTYPE_SHARE                  9
#define RD_CAPSTYPE_COLORCACHE             10
#define RD_CAPSTYPE_SOUND                  12
#define RD_CAPSTYPE_INPUT                  13
#define RD_CAPSTYPE_FONT                   14
#define RD_CAPSTYPE_BRUSH                  15
#define RD_CAPSTYPE_GLYPHCACHE             16
#define RD_CAPSTYPE_OFFSCREENCACHE         17
#define RD_CAPSTYPE_BITMAPCACHE_HOSTSUPPORT 18
#define RD_CAPSTYPE_BITMAPCACHE_REV2       19
#define RD_CAPSTYPE_VIRTUALCHANNEL         20
#define RD_CAPSTYPE_MULTIFRAGMENTUPDATE    26

/* Takes the next capability set from caps into out. 0; 1 when caps is empty; RD_E_MALFORMED for a
 * length below 4 or beyond caps (caps unmoved). */
int rd_share_next_capset(rd_cur *caps, rd_share_capset *out);

/* Demand Active (TS_DEMAND_ACTIVE_PDU, 2.2.1.13.1), after its Share Control Header. */
typedef struct rd_share_demand_active {
  uint32_t share_id;
  rd_cur source_descriptor;
  uint16_t number_capabilities;
  rd_cur capabilities;   /* lengthCombinedCapabilities - 4 bytes: walk with rd_share_next_capset */
  bool session_id_present;
  uint32_t session_id;
} rd_share_demand_active;

/* Decodes a Demand Active body (what rd_share_decode_ctrl gave for type DEMANDACTIVE) that must
 * fill the cursor: the capability sets must walk exactly lengthCombinedCapabilities - 4 bytes in
 * numberCapabilities sets (RD_E_MALFORMED otherwise); sessionId may be absent (old servers). */
int rd_share_decode_demand_active(rd_cur *body, rd_share_demand_active *out);

/* Deactivate All (2.2.3.1), after its Share Control Header: shareId and the source descriptor
 * (Windows sends a 1-byte one). A body with only the shareId is accepted (descriptor empty). */
int rd_share_decode_deactivate_all(rd_cur *body, uint32_t *share_id, rd_cur *source_descriptor);

/* Confirm Active (2.2.1.13.2), whole with its Share Control Header. caps is the concatenated
 * capability sets (rd_share_add_client_caps makes a usual set), count their number. */
typedef struct rd_share_confirm_active {
  uint32_t share_id;
  uint16_t pdu_source;    /* the client's MCS user channel id */
  uint16_t originator_id; /* RD_SHARE_SERVER_CHANNEL_ID */
  const uint8_t *source_descriptor; /* "MSTSC" */
  size_t source_descriptor_len;
  const uint8_t *caps;
  size_t caps_len;
  uint16_t caps_count;
} rd_share_confirm_active;
int rd_share_encode_confirm_active(const rd_share_confirm_active *ca, rd_bld *b);

/* Appends the capability sets a plain client sends Windows and xrdp (general, bitmap at the given
 * size and depth, order without drawing orders, bitmap cache, pointer, input, brush, glyph cache,
 * offscreen cache, virtual channel, sound, font, control, activation, share, color cache) and sets
 * *count. RD_E_INVALID for a zero size or a depth other than 8, 15, 16, 24 or 32. */
int rd_share_add_client_caps(rd_bld *caps, uint16_t width, uint16_t height, uint16_t depth,
                             uint16_t *count);

/* ---- Finalization (2.2.1.14-2.2.1.22) ---- */

/* Client Synchronize (messageType 1, targetUser = the server channel), Control with action
 * (COOPERATE or REQUEST_CONTROL, grantId and controlId 0) and Font List (0 fonts, FIRST|LAST,
 * entry size 50), each a whole DATA PDU. */
int rd_share_encode_synchronize(uint32_t share_id, uint16_t pdu_source, uint16_t target_user,
                                rd_bld *b);
int rd_share_encode_control(uint32_t share_id, uint16_t pdu_source, uint16_t action, rd_bld *b);
int rd_share_encode_font_list(uint32_t share_id, uint16_t pdu_source, rd_bld *b);

/* ---- What the server sends on the data stream ---- */

/* TS_LOGON_ERRORS_INFO (2.2.10.1.1.4.1). */
#define RD_LOGON_MSG_DISCONNECT_REFUSED 0xFFFFFFF9u
#define RD_LOGON_MSG_NO_PERMISSION      0xFFFFFFFAu
#define RD_LOGON_MSG_BUMP_OPTIONS       0xFFFFFFFBu
#define RD_LOGON_MSG_RECONNECT_OPTIONS  0xFFFFFFFCu
#define RD_LOGON_MSG_SESSION_TERMINATE  0xFFFFFFFDu
#define RD_LOGON_MSG_SESSION_CONTINUE   0xFFFFFFFEu
#define RD_LOGON_FAILED_BAD_PASSWORD    0u
#define RD_LOGON_FAILED_UPDATE_PASSWORD 1u
#define RD_LOGON_FAILED_OTHER           2u
#define RD_LOGON_WARNING                3u

/* infoType (2.2.10.1.1). */
#define RD_INFOTYPE_LOGON          0u
#define RD_INFOTYPE_LOGON_LONG     1u
#define RD_INFOTYPE_LOGON_PLAINNOTIFY 2u
#define RD_INFOTYPE_LOGON_EXTENDED 3u

/* fieldsPresent of the extended info (2.2.10.1.1.4). */
#define RD_LOGON_EX_AUTORECONNECTCOOKIE 0x1u
#define RD_LOGON_EX_LOGONERRORS         0x2u

typedef struct rd_share_save_session_info {
  uint32_t info_type;
  /* LOGON and LOGON_LONG: UTF-16LE names (with their NUL when the server sent one), session id. */
  rd_cur domain, user;
  uint32_t session_id;
  /* LOGON_EXTENDED. */
  uint32_t fields_present;
  bool arc_present;
  uint32_t arc_logon_id;
  bool errors_present;
  uint32_t error_type; /* ErrorNotificationType: RD_LOGON_MSG_* or another code */
  uint32_t error_data; /* ErrorNotificationData: RD_LOGON_FAILED_* / RD_LOGON_WARNING or an NTSTATUS */
  size_t pad_len;      /* padding after the structure */
} rd_share_save_session_info;

/* Decodes the payload of a Save Session Info PDU (after the Share Data Header), which it must fill:
 * LOGON (cbDomain <= 52, cbUserName <= 512 in their fixed fields, 576 bytes), LOGON_LONG (version 1,
 * size 18 as specified or 576 as FreeRDP 2's servers write it; names after 558 bytes of padding),
 * PLAINNOTIFY (padding only) or LOGON_EXTENDED (length covering at least the fields present; an
 * auto-reconnect cookie of 28 bytes, version 1; logon errors of 8 bytes; fields of unknown bits
 * skipped by their cbFieldData; bytes within length after the fields, as FreeRDP 2 writes, are
 * padding). Padding after LONG, PLAINNOTIFY and EXTENDED is recorded, whatever its length. Another
 * infoType is RD_E_MALFORMED. */
int rd_share_decode_save_session_info(rd_cur *payload, rd_share_save_session_info *out);

/* Decodes the payload of a Set Error Info PDU (after the Share Data Header): errorInfo (2.2.5.1.1),
 * exactly 4 bytes. What the code means is the kb's (kb/errinfo.def). */
int rd_share_decode_set_error_info(rd_cur *payload, uint32_t *error_info);

/* Server Control (2.2.1.16/17), Synchronize (2.2.1.19) and Font Map (2.2.1.22) payloads. */
int rd_share_decode_control(rd_cur *payload, uint16_t *action, uint16_t *grant_id,
                            uint32_t *control_id);
int rd_share_decode_synchronize(rd_cur *payload, uint16_t *message_type, uint16_t *target_user);
int rd_share_decode_font_map(rd_cur *payload, uint16_t *entries, uint16_t *total, uint16_t *flags,
                             uint16_t *entry_size);

/* Any share PDU, named: what the probe records for every PDU of the session phase. */
#define RD_SHARE_HEAD_LEN 16
typedef struct rd_share_pdu {
  rd_share_ctrl ctrl;
  bool is_data;         /* type DATA: data and pdu_type2 are set */
  rd_share_data data;
  bool known;           /* a pduType (and pduType2) this module names */
  const char *name;     /* e.g. "SET_ERROR_INFO", "DEMAND_ACTIVE", "UNKNOWN" */
  rd_cur payload;       /* after the headers (compressed when data.compressed_type says so) */
  size_t head_len;      /* the first bytes of the payload, for the record */
  uint8_t head[RD_SHARE_HEAD_LEN];
} rd_share_pdu;

/* Decodes the Share Control Header (and Share Data Header for DATA) at c, consumes totalLength
 * bytes and names the PDU. Never fails on an unknown pduType or pduType2: known is false and the
 * type, length and first bytes are there. RD_E_MALFORMED only for headers that do not parse. */
int rd_share_classify(rd_cur *c, rd_share_pdu *out);

#endif
