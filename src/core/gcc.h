/* T.124 GCC Conference Create Request / Response as RDP carries them in the userData of MCS
 * Connect-Initial / Connect-Response, with the settings data blocks inside ([MS-RDPBCGR]
 * 2.2.1.3.1-2.2.1.3.5, 2.2.1.4.1-2.2.1.4.6; T.124 §8.7, §9.5-9.6; reference §3.8, §5).
 *
 * The T.124 part is fixed in RDP: ConnectData with the object key {0 0 20 124 0 1}, a
 * ConnectGCCPDU whose user data is one set keyed by the H.221 non-standard key "Duca" (client to
 * server) or "McDn" (server to client), whose value is the concatenated data blocks. Each block
 * starts with a User Data Header: type and length (little-endian u16 each, the length counting the
 * header). Multi-byte block fields are little-endian.
 *
 * Decoders return 0, or RD_E_MALFORMED and leave the cursor where it was (STYLE.md §2). Encoders
 * append to b and return 0, RD_E_INVALID if the struct cannot be encoded as given (nothing is
 * appended then), or RD_E_NOMEM if the builder has failed. */
#ifndef RD_CORE_GCC_H
#define RD_CORE_GCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* User Data Header types (2.2.1.3.1, 2.2.1.4.1). */
#define RD_GCC_CS_CORE           0xc001
#define RD_GCC_CS_SECURITY       0xc002
#define RD_GCC_CS_NET            0xc003
#define RD_GCC_CS_CLUSTER        0xc004
#define RD_GCC_CS_MONITOR        0xc005
#define RD_GCC_CS_MCS_MSGCHANNEL 0xc006
#define RD_GCC_CS_MONITOR_EX     0xc008
#define RD_GCC_CS_MULTITRANSPORT 0xc00a
#define RD_GCC_SC_CORE           0x0c01
#define RD_GCC_SC_SECURITY       0x0c02
#define RD_GCC_SC_NET            0x0c03
#define RD_GCC_SC_MCS_MSGCHANNEL 0x0c04
#define RD_GCC_SC_MULTITRANSPORT 0x0c08

/* TS_UD_CS_CORE / TS_UD_SC_CORE version (2.2.1.3.2, 2.2.1.4.2). */
#define RD_GCC_VERSION_RDP4   0x00080001u
#define RD_GCC_VERSION_RDP5   0x00080004u /* RDP 5.0 to 8.1 */
#define RD_GCC_VERSION_RDP10  0x00080005u /* then one step per 10.x, up to 10.12 = 0x00080011 */

/* colorDepth / postBeta2ColorDepth (2.2.1.3.2). */
#define RD_GCC_COLOR_4BPP  0xca00
#define RD_GCC_COLOR_8BPP  0xca01
#define RD_GCC_SAS_DEL     0xaa03 /* RNS_UD_SAS_DEL, the only SASSequence value */
/* supportedColorDepths. */
#define RD_GCC_24BPP_SUPPORT 0x0001
#define RD_GCC_16BPP_SUPPORT 0x0002
#define RD_GCC_15BPP_SUPPORT 0x0004
#define RD_GCC_32BPP_SUPPORT 0x0008

/* Client earlyCapabilityFlags (2.2.1.3.2; reference §3.8). */
#define RD_GCC_CS_SUPPORT_ERRINFO_PDU        0x0001
#define RD_GCC_CS_WANT_32BPP_SESSION         0x0002
#define RD_GCC_CS_SUPPORT_STATUSINFO_PDU     0x0004
#define RD_GCC_CS_STRONG_ASYMMETRIC_KEYS     0x0008
#define RD_GCC_CS_RELATIVE_MOUSE_INPUT       0x0010
#define RD_GCC_CS_VALID_CONNECTION_TYPE      0x0020
#define RD_GCC_CS_SUPPORT_MONITOR_LAYOUT_PDU 0x0040
#define RD_GCC_CS_SUPPORT_NETCHAR_AUTODETECT 0x0080
#define RD_GCC_CS_SUPPORT_DYNVC_GFX_PROTOCOL 0x0100
#define RD_GCC_CS_SUPPORT_DYNAMIC_TIME_ZONE  0x0200
#define RD_GCC_CS_SUPPORT_HEARTBEAT_PDU      0x0400
#define RD_GCC_CS_SUPPORT_SKIP_CHANNELJOIN   0x0800

/* Server earlyCapabilityFlags (2.2.1.4.2). */
#define RD_GCC_SC_EDGE_ACTIONS_SUPPORTED_V1 0x1
#define RD_GCC_SC_DYNAMIC_DST_SUPPORTED     0x2
#define RD_GCC_SC_EDGE_ACTIONS_SUPPORTED_V2 0x4
#define RD_GCC_SC_SKIP_CHANNELJOIN_SUPPORTED 0x8

/* connectionType (2.2.1.3.2). */
#define RD_GCC_CONNECTION_TYPE_LAN 0x06

/* encryptionMethod(s) and encryptionLevel (2.2.1.3.3, 2.2.1.4.3; reference §5.1). */
#define RD_GCC_ENCRYPTION_METHOD_NONE   0x00
#define RD_GCC_ENCRYPTION_METHOD_40BIT  0x01
#define RD_GCC_ENCRYPTION_METHOD_128BIT 0x02
#define RD_GCC_ENCRYPTION_METHOD_56BIT  0x08
#define RD_GCC_ENCRYPTION_METHOD_FIPS   0x10
#define RD_GCC_ENCRYPTION_LEVEL_NONE              0
#define RD_GCC_ENCRYPTION_LEVEL_LOW               1
#define RD_GCC_ENCRYPTION_LEVEL_CLIENT_COMPATIBLE 2
#define RD_GCC_ENCRYPTION_LEVEL_HIGH              3
#define RD_GCC_ENCRYPTION_LEVEL_FIPS              4
#define RD_GCC_SERVER_RANDOM_LEN 32

/* CS_CLUSTER flags (2.2.1.3.5). */
#define RD_GCC_REDIRECTION_SUPPORTED            0x01
#define RD_GCC_REDIRECTED_SESSIONID_FIELD_VALID 0x02
#define RD_GCC_REDIRECTED_SMARTCARD             0x40
/* ServerSessionRedirectionVersionMask (bits 2-5) holds the version minus one. */
#define RD_GCC_REDIRECTION_VERSION4             (0x03 << 2)

/* Static virtual channels: at most 31 (2.2.1.3.4), names of at most 7 ANSI characters. */
#define RD_GCC_MAX_CHANNELS 31
#define RD_GCC_CHANNEL_NAME_LEN 8

typedef struct rd_gcc_channel_def {
  char name[RD_GCC_CHANNEL_NAME_LEN]; /* NUL-terminated, NUL-padded */
  uint32_t options;                   /* CHANNEL_OPTION_* */
} rd_gcc_channel_def;

/* What the client sends: CS_CORE, CS_CLUSTER (optional), CS_SECURITY and CS_NET, in that order
 * (the order of 4.1.3). CS_CORE always carries every field up to serverSelectedProtocol (216
 * bytes). */
typedef struct rd_gcc_client_data {
  /* CS_CORE (2.2.1.3.2) */
  uint32_t version;                 /* RD_GCC_VERSION_*: 0x00080004 or later */
  uint16_t desktop_width, desktop_height;
  uint16_t color_depth;             /* RD_GCC_COLOR_8BPP: superseded by high_color_depth */
  uint16_t sas_sequence;            /* RD_GCC_SAS_DEL */
  uint32_t keyboard_layout;         /* 0x409 en-US */
  uint32_t client_build;
  uint8_t client_name[32];          /* UTF-16LE, NUL-terminated: rd_gcc_set_client_name */
  uint32_t keyboard_type, keyboard_subtype, keyboard_function_keys;
  uint8_t ime_file_name[64];        /* UTF-16LE, usually empty */
  uint16_t post_beta2_color_depth;
  uint16_t client_product_id;       /* 1 */
  uint32_t serial_number;           /* 0 */
  uint16_t high_color_depth;        /* 4, 8, 15, 16 or 24 */
  uint16_t supported_color_depths;  /* RD_GCC_*BPP_SUPPORT */
  uint16_t early_capability_flags;  /* RD_GCC_CS_*; SUPPORT_ERRINFO_PDU so errors are explained */
  uint8_t client_dig_product_id[64];
  uint8_t connection_type;          /* meaningful with RD_GCC_CS_VALID_CONNECTION_TYPE */
  uint32_t server_selected_protocol; /* what the X.224 negotiation selected (RD_X224_PROTOCOL_*) */
  /* CS_SECURITY (2.2.1.3.3) */
  uint32_t encryption_methods;      /* RD_GCC_ENCRYPTION_METHOD_* OR'ed; 0 with TLS or CredSSP */
  uint32_t ext_encryption_methods;  /* French locale only, else 0 */
  /* CS_NET (2.2.1.3.4); zero channels is a valid request */
  size_t channel_count;
  rd_gcc_channel_def channels[RD_GCC_MAX_CHANNELS];
  /* CS_CLUSTER (2.2.1.3.5) */
  bool cluster_present;
  uint32_t cluster_flags;
  uint32_t redirected_session_id;
} rd_gcc_client_data;

/* Fills cd with a probe's defaults: version 0x00080004; 1024x768; 8bpp legacy depth with
 * highColorDepth 16 and 15/16/24/32bpp supported; keyboard 0x409 type 4 with 12 function keys;
 * build 0; client name "rdpdoctor"; earlyCapabilityFlags SUPPORT_ERRINFO_PDU | SUPPORT_STATUSINFO_PDU
 * | STRONG_ASYMMETRIC_KEYS | VALID_CONNECTION_TYPE with connection type LAN, and
 * SUPPORT_SKIP_CHANNELJOIN (a server that answers SKIP_CHANNELJOIN_SUPPORTED then expects no
 * Channel Join Request: a round trip saved), and nothing that would oblige us to answer
 * (heartbeat, auto-detect, GFX); the given selected protocol; 40, 56 and
 * 128-bit and FIPS encryption offered when Standard RDP Security was selected, none otherwise;
 * no channels; CS_CLUSTER with REDIRECTION_SUPPORTED and redirection version 4. */
void rd_gcc_client_data_init(rd_gcc_client_data *cd, uint32_t selected_protocol);
/* Sets client_name from UTF-8: at most 15 UTF-16 units, then NUL padding. Returns 0,
 * RD_E_MALFORMED for ill-formed UTF-8, RD_E_INVALID when it is too long (cd unchanged then). */
int rd_gcc_set_client_name(rd_gcc_client_data *cd, const char *utf8, size_t n);

/* Appends the GCC Conference Create Request (the ConnectData that goes into Connect-Initial's
 * userData, 2.2.1.3): 00 05 00 14 7c 00 01, the PER length of the ConnectGCCPDU, 00 08 00 10 00 01
 * c0 00 "Duca", the PER length of the blocks, the blocks. RD_E_INVALID for more than 31 channels or
 * a channel name whose last byte is not NUL. */
int rd_gcc_encode_ccrq(const rd_gcc_client_data *cd, rd_bld *b);

/* One data block: consumes the 4-byte header and length - 4 body bytes, sets *type and body.
 * Fails (cursor unmoved) on a length below 4 or past the end of c. */
bool rd_gcc_get_block(rd_cur *c, uint16_t *type, rd_cur *body);

/* TS_UD_SC_CORE (2.2.1.4.2). The optional fields are present by the block's length. */
typedef struct rd_gcc_sc_core {
  uint32_t version;
  bool client_requested_protocols_present;
  uint32_t client_requested_protocols; /* the server's echo of RDP_NEG_REQ: compare with what we sent */
  bool early_capability_flags_present;
  uint32_t early_capability_flags;     /* RD_GCC_SC_* */
} rd_gcc_sc_core;

/* TS_UD_SC_SEC1 (2.2.1.4.3; reference §5.2). */
typedef struct rd_gcc_sc_security {
  uint32_t encryption_method; /* RD_GCC_ENCRYPTION_METHOD_* */
  uint32_t encryption_level;  /* RD_GCC_ENCRYPTION_LEVEL_* */
  bool random_present;        /* the random and certificate follow (not with method and level 0) */
  uint32_t server_random_len; /* 32 */
  uint32_t server_cert_len;
  uint8_t server_random[RD_GCC_SERVER_RANDOM_LEN];
  rd_cur server_cert;         /* borrowed: the serverCertificate bytes, parsed elsewhere */
} rd_gcc_sc_security;

/* TS_UD_SC_NET (2.2.1.4.4). */
typedef struct rd_gcc_sc_net {
  uint16_t io_channel_id; /* MCSChannelId, 1003 on Windows */
  uint16_t channel_count;
  uint16_t channel_ids[RD_GCC_MAX_CHANNELS];
  bool padding_present;   /* the two bytes after an odd count */
} rd_gcc_sc_net;

/* Types recorded of blocks skipped as unknown; more are counted, not recorded. */
#define RD_GCC_MAX_UNKNOWN 8

/* What the server sent in its Conference Create Response. */
typedef struct rd_gcc_server_data {
  /* T.124 ConferenceCreateResponse (T.124 §8.7) */
  size_t connect_pdu_len; /* the ConnectData length as sent: Windows writes 42 whatever follows */
  uint16_t node_id;       /* UserID, 1001..65535 */
  uint32_t tag;
  uint8_t result;         /* 0 success, 1 userRejected, ... (T.124 ConferenceCreateResponse) */
  bool user_data_present;
  /* The blocks, each at most once */
  size_t block_count;     /* every block seen, known or not */
  bool core_present;
  rd_gcc_sc_core core;
  bool security_present;
  rd_gcc_sc_security security;
  bool net_present;
  rd_gcc_sc_net net;
  bool msgchannel_present;
  uint16_t msgchannel_id; /* TS_UD_SC_MCS_MSGCHANNEL (2.2.1.4.5); 0 means do not join */
  bool multitransport_present;
  uint32_t multitransport_flags; /* TS_UD_SC_MULTITRANSPORT (2.2.1.4.6) */
  size_t unknown_count;
  uint16_t unknown_types[RD_GCC_MAX_UNKNOWN];
} rd_gcc_server_data;

/* Walks server data blocks until c is empty: known ones are parsed into out (whose T.124 fields are
 * left zero), unknown types are skipped and recorded. RD_E_MALFORMED for a header whose length is below 4 or overruns c, a
 * known type seen twice, a block shorter than its fixed part or a field cut in half; bytes after
 * the fields a block is known to have are ignored (a later version may add some). In
 * SC_SECURITY, with method or level non-zero, serverRandomLen must be 32 and serverCertLen must fit;
 * SC_NET's channel count is at most 31. */
int rd_gcc_decode_server_blocks(rd_cur *c, rd_gcc_server_data *out);

/* Decodes a Conference Create Response (2.2.1.4): the ConnectData at c, which must be exactly the
 * Connect-Response's userData: the T.124 object key, a ConnectData length (recorded, not trusted),
 * 14 (conferenceCreateResponse with user data; 10 without), nodeID, tag, result, one user data
 * set with value keyed "McDn", then the blocks (rd_gcc_decode_server_blocks), nothing after. */
int rd_gcc_decode_ccrsp(rd_cur *c, rd_gcc_server_data *out);

#endif
