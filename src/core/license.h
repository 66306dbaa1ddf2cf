/* RDP licensing messages ([MS-RDPBCGR] 2.2.1.12, [MS-RDPELE] 2.2.2): the preamble, the server's
 * License Error (with STATUS_VALID_CLIENT / ST_NO_TRANSITION, the "no licensing needed" answer),
 * License Request, Platform Challenge and New/Upgrade License, and the client's New License Request
 * and Platform Challenge Response. A Windows 2008 server answers a new client with License Request,
 * then Platform Challenge, then the valid-client error, so a client must answer both. The keys, RC4
 * and MACs are auth/rdpsec's (rd_rdpsec_license_*).
 *
 * Decoders take the payload after the basic security header (whose flags carry SEC_LICENSE_PKT),
 * consume it and return 0, or RD_E_MALFORMED (RD_E_TOO_BIG for a hostile count) leaving the cursor
 * where it was. Spans are borrowed. Encoders append from the preamble on (the caller writes the
 * security header first) and return 0, RD_E_INVALID or RD_E_NOMEM. Integers are little-endian. */
#ifndef RD_CORE_LICENSE_H
#define RD_CORE_LICENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* bMsgType (2.2.1.12.1.1). */
#define RD_LIC_LICENSE_REQUEST             0x01
#define RD_LIC_PLATFORM_CHALLENGE          0x02
#define RD_LIC_NEW_LICENSE                 0x03
#define RD_LIC_UPGRADE_LICENSE             0x04
#define RD_LIC_LICENSE_INFO                0x12
#define RD_LIC_NEW_LICENSE_REQUEST         0x13
#define RD_LIC_PLATFORM_CHALLENGE_RESPONSE 0x15
#define RD_LIC_ERROR_ALERT                 0xFF

/* flags: the low 4 bits are the version (3 since RDP 5.0). */
#define RD_LIC_PREAMBLE_VERSION_3_0           0x03
#define RD_LIC_EXTENDED_ERROR_MSG_SUPPORTED   0x80

/* wBlobType (2.2.1.12.1.2). */
#define RD_LIC_BB_DATA_BLOB             0x0001
#define RD_LIC_BB_RANDOM_BLOB           0x0002
#define RD_LIC_BB_CERTIFICATE_BLOB      0x0003
#define RD_LIC_BB_ERROR_BLOB            0x0004
#define RD_LIC_BB_ENCRYPTED_DATA_BLOB   0x0009
#define RD_LIC_BB_KEY_EXCHG_ALG_BLOB    0x000D
#define RD_LIC_BB_SCOPE_BLOB            0x000E
#define RD_LIC_BB_CLIENT_USER_NAME_BLOB 0x000F
#define RD_LIC_BB_CLIENT_MACHINE_NAME_BLOB 0x0010

#define RD_LIC_KEY_EXCHANGE_ALG_RSA 1u
#define RD_LIC_MAC_LEN 16
#define RD_LIC_MAX_SCOPES 64
/* PlatformId a Windows client sends: CLIENT_OS_ID_WINNT_POST_52 | CLIENT_IMAGE_ID_MICROSOFT. */
#define RD_LIC_PLATFORM_ID 0x04010000u
/* Platform challenge response data ([MS-RDPELE] 2.2.2.5.1). */
#define RD_LIC_RESPONSE_VERSION       0x0100
#define RD_LIC_OTHER_PLATFORM_CHALLENGE_TYPE 0xFF00
#define RD_LIC_WIN32_PLATFORM_CHALLENGE_TYPE 0x0100
#define RD_LIC_DETAIL_DETAIL          0x0003

/* The error codes and state transitions, from license.def. */
#define RD_LIC_ERR(value, name, text) RD_LIC_##name = value,
#define RD_LIC_ST(value, name, text) RD_LIC_##name = value,
enum rd_lic_code {
#include "license.def"
};
#undef RD_LIC_ERR
#undef RD_LIC_ST
/* The row's name ("STATUS_VALID_CLIENT") and text for a code, or NULL for one the table lacks. */
const char *rd_license_error_name(uint32_t code);
const char *rd_license_error_text(uint32_t code);
const char *rd_license_transition_name(uint32_t st);

typedef struct rd_license_blob {
  uint16_t type;
  rd_cur data;
} rd_license_blob;

typedef struct rd_license_msg {
  uint8_t msg_type;   /* bMsgType */
  uint8_t flags;      /* the version and EXTENDED_ERROR_MSG_SUPPORTED */
  uint16_t msg_size;  /* wMsgSize as sent */
  bool size_mismatch; /* wMsgSize was not the preamble plus what followed it (IronRDP counts the
                         security header too); the whole payload is read as the body anyway */
  rd_cur body;        /* everything after the preamble */
  /* ERROR_ALERT */
  uint32_t error_code, state_transition;
  rd_license_blob error_info;
  /* LICENSE_REQUEST */
  const uint8_t *server_random; /* 32 bytes */
  uint32_t product_version;
  rd_cur company_name, product_id; /* UTF-16LE with their NUL */
  rd_license_blob key_exchange;    /* a list of u32 algorithms */
  rd_license_blob certificate;     /* may be empty: then the one from TS_UD_SC_SEC1 applies */
  uint32_t scope_count;
  rd_cur scopes[RD_LIC_MAX_SCOPES]; /* each scope's data (an ANSI issuer name) */
  /* PLATFORM_CHALLENGE */
  uint32_t connect_flags;
  rd_license_blob encrypted_challenge;
  /* PLATFORM_CHALLENGE, NEW_LICENSE, UPGRADE_LICENSE */
  rd_license_blob encrypted_license; /* NEW/UPGRADE only */
  const uint8_t *mac;                /* 16 bytes */
} rd_license_msg;

/* Decodes the preamble and, for ERROR_ALERT, LICENSE_REQUEST, PLATFORM_CHALLENGE, NEW_LICENSE and
 * UPGRADE_LICENSE, the message, which must fill the payload. Another bMsgType decodes its preamble
 * only (body holds the rest). RD_E_MALFORMED for a short structure or trailing bytes, RD_E_TOO_BIG
 * above RD_LIC_MAX_SCOPES scopes. */
int rd_license_decode(rd_cur *c, rd_license_msg *out);
/* True when the message is the "no licensing needed / licensing done" answer: ERROR_ALERT with
 * STATUS_VALID_CLIENT and ST_NO_TRANSITION. */
bool rd_license_is_valid_client(const rd_license_msg *m);

/* CLIENT_NEW_LICENSE_REQUEST ([MS-RDPELE] 2.2.2.2): preamble (flags as given), key exchange RSA,
 * RD_LIC_PLATFORM_ID, the client random (32), the encrypted premaster secret (modulus size + 8
 * zero bytes, as rd_rdpsec_encrypt_random and the caller make it), user and machine names (ANSI,
 * written with their NUL). RD_E_INVALID for names with a NUL inside or over 255 bytes. */
int rd_license_encode_new_license_request(uint8_t flags, const uint8_t client_random[32],
                                          const uint8_t *encrypted_premaster, size_t n,
                                          const char *user, const char *machine, rd_bld *b);

/* The plaintext of a platform challenge response ([MS-RDPELE] 2.2.2.5.1): version 0x0100,
 * client_type, licenseDetailLevel DETAIL, the decrypted challenge. The caller RC4-encrypts it. */
int rd_license_add_challenge_response_data(uint16_t client_type, const uint8_t *challenge,
                                           size_t n, rd_bld *b);
/* CLIENT_PLATFORM_CHALLENGE_RESPONSE ([MS-RDPELE] 2.2.2.5): preamble, the encrypted response data
 * and encrypted HWID as BB_ENCRYPTED_DATA_BLOBs, and the MAC over both plaintexts. */
int rd_license_encode_platform_challenge_response(uint8_t flags, const uint8_t *enc_response,
                                                  size_t response_len, const uint8_t *enc_hwid,
                                                  size_t hwid_len,
                                                  const uint8_t mac[RD_LIC_MAC_LEN], rd_bld *b);

#endif
