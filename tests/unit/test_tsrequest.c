/* TSRequest codec: the nmap NEGOTIATE request (reference §4.5) and the sspi-rs TSRequest vectors
 * (reference §7: Devolutions/sspi-rs src/credssp/ts_request/test.rs, bytes only), each decoded and
 * re-encoded byte for byte, plus the decoder edge cases: one byte short, giant length, trailing
 * byte, exact fit, field order, unknown fields, errorCode forms. Then TSCredentials with
 * TSPasswordCreds (DER worked out by hand below) and the Early User Authorization Result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/err.h"
#include "core/tsrequest.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

#define assert_span(span, ptr, n)                                                                  \
  do {                                                                                             \
    assert_int_equal(rd_cur_len(span), (n));                                                       \
    assert_memory_equal(rd_cur_data(span), (ptr), (n));                                            \
  } while (0)

/* nmap rdp-ntlm-info: version 0x60 and an NTLM NEGOTIATE (reference §4.5). */
static const uint8_t nmap_negotiate[] = {
    0x30, 0x37,                         /* SEQUENCE, 55 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x60,       /* [0] version INTEGER 0x60 */
    0xa1, 0x30,                         /* [1] negoTokens, 48 bytes */
    0x30, 0x2e,                         /*   NegoData SEQUENCE OF, 46 bytes */
    0x30, 0x2c,                         /*     NegoDataItem SEQUENCE, 44 bytes */
    0xa0, 0x2a,                         /*       [0] negoToken, 42 bytes */
    0x04, 0x28,                         /*         OCTET STRING, 40 bytes: */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /* "NTLMSSP\0" */
    0x01, 0x00, 0x00, 0x00,             /* NEGOTIATE_MESSAGE */
    0xb7, 0x82, 0x08, 0xe2,             /* flags 0xE20882B7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DomainNameFields */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* WorkstationFields */
    0x0a, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0f, /* version 10.0.17763, revision 15 */
};
#define NMAP_TOKEN_AT 17

/* sspi-rs NTLM_1_PHASE_TS_REQUEST: v6, NEGOTIATE (6.1.7601) and clientNonce. */
static const uint8_t sspi_negotiate[] = {
    0x30, 0x5b,                         /* SEQUENCE, 91 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa1, 0x30, 0x30, 0x2e, 0x30, 0x2c, 0xa0, 0x2a, 0x04, 0x28, /* [1] NegoData, token of 40 */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb7, 0x82, 0x08, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x01, 0xb1, 0x1d,
    0x00, 0x00, 0x00, 0x0f,
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce, OCTET STRING 32 bytes */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};
#define SSPI_NEGOTIATE_TOKEN_AT 17
#define SSPI_NEGOTIATE_NONCE_AT 61

/* sspi-rs NTLM_2_PHASE_TS_REQUEST: the server's CHALLENGE ("VGPC") and the echoed nonce. */
static const uint8_t sspi_challenge[] = {
    0x30, 0x81, 0xb8,                   /* SEQUENCE, 184 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa1, 0x81, 0x8c, 0x30, 0x81, 0x89, 0x30, 0x81, 0x86, 0xa0, 0x81, 0x83, /* [1] NegoData */
    0x04, 0x81, 0x80,                   /* OCTET STRING, 128 bytes: CHALLENGE_MESSAGE */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x08, 0x00, 0x38, 0x00, 0x00, 0x00, 0xb7, 0x82, 0x88, 0xe2,
    0xc8, 0x6f, 0x7d, 0x24, 0xd5, 0xb0, 0x65, 0x65, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x00, 0x40, 0x00, 0x00, 0x00,
    0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x02, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x01, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x04, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x03, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x07, 0x00, 0x08, 0x00, 0x80, 0x26, 0x00, 0xe1,
    0x4a, 0xcf, 0xd4, 0x01, 0x00, 0x00, 0x00, 0x00,
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};
#define SSPI_CHALLENGE_TOKEN_AT 23

/* sspi-rs NTLM_3_PHASE_TS_REQUEST: AUTHENTICATE, pubKeyAuth and clientNonce. */
static const uint8_t sspi_authenticate[] = {
    0x30, 0x82, 0x01, 0xa9,             /* SEQUENCE, 425 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa1, 0x82, 0x01, 0x48, 0x30, 0x82, 0x01, 0x44, 0x30, 0x82, 0x01, 0x40, /* [1] NegoData */
    0xa0, 0x82, 0x01, 0x3c, 0x04, 0x82, 0x01, 0x38, /* [0] OCTET STRING, 312 bytes */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x18, 0x00, 0x18, 0x00, 0x5a, 0x00, 0x00, 0x00, 0xb6, 0x00, 0xb6, 0x00,
    0x72, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x58, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x02, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x5a, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00, 0x28, 0x01, 0x00, 0x00,
    0x35, 0x82, 0x88, 0xe2, 0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f,
    0x85, 0x61, 0x57, 0xd0, 0xe4, 0x87, 0x1c, 0x1a, 0x75, 0xc8, 0x71, 0x22,
    0x58, 0x13, 0xaa, 0x22, 0x61, 0x00, 0x4f, 0x16, 0x46, 0xf0, 0x76, 0x0b,
    0x22, 0x06, 0x36, 0xba, 0x46, 0x5f, 0x56, 0x79, 0x8b, 0x89, 0x99, 0x79,
    0x66, 0x9f, 0x64, 0xc9, 0x23, 0x2b, 0xda, 0x0a, 0xa5, 0xec, 0xf1, 0x1b,
    0xf8, 0xb3, 0x8d, 0xf9, 0x23, 0xbd, 0xda, 0x3b, 0x48, 0xbc, 0x01, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x26, 0x00, 0xe1, 0x4a, 0xcf,
    0xd4, 0x01, 0x99, 0x79, 0x66, 0x9f, 0x64, 0xc9, 0x23, 0x2b, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00,
    0x43, 0x00, 0x01, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00,
    0x43, 0x00, 0x04, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00,
    0x43, 0x00, 0x03, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00,
    0x43, 0x00, 0x07, 0x00, 0x08, 0x00, 0x80, 0x26, 0x00, 0xe1, 0x4a, 0xcf,
    0xd4, 0x01, 0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x00,
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x1e, 0x00, 0x54, 0x00,
    0x45, 0x00, 0x52, 0x00, 0x4d, 0x00, 0x53, 0x00, 0x52, 0x00, 0x56, 0x00,
    0x2f, 0x00, 0x30, 0x00, 0x2e, 0x00, 0x30, 0x00, 0x2e, 0x00, 0x30, 0x00,
    0x2e, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x2b, 0x04, 0x65,
    0x22, 0x3a, 0xc5, 0x25, 0x9d, 0x8f, 0x29, 0x30, 0x68, 0xce, 0x6a, 0x9d,
    0xa3, 0x32, 0x04, 0x30,             /* [3] pubKeyAuth, OCTET STRING 48 bytes */
    0x01, 0x00, 0x00, 0x00, 0xca, 0x18, 0x71, 0xef, 0x99, 0xe5, 0x16, 0x21,
    0x00, 0x00, 0x00, 0x00, 0x23, 0x1f, 0xb3, 0xbe, 0xb8, 0x05, 0x19, 0x0c,
    0xe1, 0xa2, 0x9d, 0x30, 0x23, 0xd0, 0xd4, 0x21, 0x33, 0xcb, 0x94, 0x2c,
    0x5b, 0xa4, 0x66, 0x77, 0x84, 0x2e, 0x05, 0xd9, 0x4b, 0x46, 0x98, 0xac,
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};
#define SSPI_AUTHENTICATE_TOKEN_AT 29
#define SSPI_AUTHENTICATE_PUBKEY_AT 345

/* sspi-rs NTLM_4_PHASE_TS_REQUEST: the server's pubKeyAuth (and nonce), no token. */
static const uint8_t sspi_pub_key_auth[] = {
    0x30, 0x5d,                         /* SEQUENCE, 93 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa3, 0x32, 0x04, 0x30,             /* [3] pubKeyAuth, 48 bytes */
    0x01, 0x00, 0x00, 0x00, 0xce, 0x7a, 0x5a, 0xf4, 0xf7, 0xe2, 0x57, 0x1b,
    0x00, 0x00, 0x00, 0x00, 0xda, 0xcc, 0x16, 0x8f, 0xb2, 0x34, 0x45, 0xed,
    0x02, 0x67, 0x31, 0xc1, 0x63, 0x90, 0xa8, 0x5c, 0x6b, 0x01, 0xbc, 0x1f,
    0x8d, 0x93, 0x5e, 0x34, 0xde, 0x66, 0xb9, 0xb3, 0xd7, 0xf5, 0xa1, 0xab,
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};
#define SSPI_PUB_KEY_AUTH_AT 11

/* sspi-rs NTLM_5_PHASE_TS_REQUEST: authInfo (sealed TSCredentials) and nonce. */
static const uint8_t sspi_auth_info[] = {
    0x30, 0x5a,                         /* SEQUENCE, 90 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa2, 0x2f, 0x04, 0x2d,             /* [2] authInfo, 45 bytes */
    0x01, 0x00, 0x00, 0x00, 0xe0, 0xba, 0xe3, 0xba, 0xc2, 0x72, 0x54, 0xe8,
    0x01, 0x00, 0x00, 0x00, 0x6e, 0x03, 0x7c, 0x4c, 0x9d, 0x02, 0x4e, 0x5e,
    0xeb, 0xa1, 0x9f, 0xab, 0x60, 0x32, 0x97, 0xcd, 0x95, 0xcf, 0xfe, 0x8f,
    0x44, 0x70, 0x79, 0x6e, 0x6c, 0xcd, 0xea, 0x74, 0x6a,
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};
#define SSPI_AUTH_INFO_AT 11

/* sspi-rs NTLM_WITH_ERROR_CODE_TS_REQUEST: pubKeyAuth, errorCode 0xC00700EA, clientNonce. */
static const uint8_t sspi_error_code[] = {
    0x30, 0x65,                         /* SEQUENCE, 101 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa3, 0x32, 0x04, 0x30,             /* [3] pubKeyAuth, 48 bytes */
    0x01, 0x00, 0x00, 0x00, 0xd8, 0xb3, 0x0c, 0x7e, 0x37, 0x51, 0x21, 0x84,
    0x00, 0x00, 0x00, 0x00, 0x6c, 0x47, 0xc8, 0xe3, 0x02, 0x59, 0x92, 0x19,
    0xd1, 0x99, 0xdf, 0xbd, 0x0f, 0xf5, 0x71, 0x61, 0x3a, 0xdf, 0x74, 0x03,
    0xef, 0xfc, 0xa5, 0x23, 0x16, 0x23, 0x37, 0x55, 0xff, 0x91, 0x20, 0xd8,
    0xa4, 0x06, 0x02, 0x04, 0xc0, 0x07, 0x00, 0xea, /* [4] errorCode INTEGER -1073283862 */
    0xa5, 0x22, 0x04, 0x20,             /* [5] clientNonce */
    0xf8, 0x8d, 0xd4, 0xb7, 0x55, 0x9a, 0x94, 0xe5, 0xe8, 0x7f, 0x2b, 0x2f,
    0x94, 0xc2, 0x38, 0x58, 0xa9, 0x84, 0xfc, 0x07, 0x69, 0x7d, 0xf8, 0x57,
    0x76, 0xc9, 0x57, 0xa3, 0x15, 0x12, 0xeb, 0x32,
};
#define SSPI_ERROR_NONCE_AT 71

/* sspi-rs NTLM_WITHOUT_CLIENT_NONCE: a Windows 10 CHALLENGE ("DESKTOP-KMDT420"), no nonce. */
static const uint8_t sspi_win10_challenge[] = {
    0x30, 0x82, 0x01, 0x02,             /* SEQUENCE, 258 bytes */
    0xa0, 0x03, 0x02, 0x01, 0x06,       /* [0] version 6 */
    0xa1, 0x81, 0xfa, 0x30, 0x81, 0xf7, 0x30, 0x81, 0xf4, 0xa0, 0x81, 0xf1, /* [1] NegoData */
    0x04, 0x81, 0xee,                   /* OCTET STRING, 238 bytes: CHALLENGE_MESSAGE */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x1e, 0x00, 0x1e, 0x00, 0x38, 0x00, 0x00, 0x00, 0x35, 0x82, 0x8a, 0xe2,
    0x6e, 0x80, 0x3b, 0xb7, 0xf8, 0xb9, 0xf6, 0x5c, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x98, 0x00, 0x98, 0x00, 0x56, 0x00, 0x00, 0x00,
    0x0a, 0x00, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x0f, 0x44, 0x00, 0x45, 0x00,
    0x53, 0x00, 0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00,
    0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00,
    0x30, 0x00, 0x02, 0x00, 0x1e, 0x00, 0x44, 0x00, 0x45, 0x00, 0x53, 0x00,
    0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00,
    0x4d, 0x00, 0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00, 0x30, 0x00,
    0x01, 0x00, 0x1e, 0x00, 0x44, 0x00, 0x45, 0x00, 0x53, 0x00, 0x4b, 0x00,
    0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00,
    0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00, 0x30, 0x00, 0x04, 0x00,
    0x1e, 0x00, 0x44, 0x00, 0x45, 0x00, 0x53, 0x00, 0x4b, 0x00, 0x54, 0x00,
    0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00,
    0x54, 0x00, 0x34, 0x00, 0x32, 0x00, 0x30, 0x00, 0x03, 0x00, 0x1e, 0x00,
    0x44, 0x00, 0x45, 0x00, 0x53, 0x00, 0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00,
    0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00, 0x54, 0x00,
    0x34, 0x00, 0x32, 0x00, 0x30, 0x00, 0x07, 0x00, 0x08, 0x00, 0x75, 0xc6,
    0x84, 0x56, 0xd7, 0xd8, 0xd4, 0x01, 0x00, 0x00, 0x00, 0x00,
};
#define SSPI_WIN10_TOKEN_AT 24

/* Decodes d[0..n) whole, checks the common fields, and encodes it back to the same bytes. */
static rd_tsrequest decode_whole(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_tsrequest req;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_tsrequest_decode(&c, &req), 0);
  assert_true(rd_cur_is_empty(&c));
  return req;
}

static void expect_encoded(const rd_tsrequest *req, const uint8_t *want, size_t want_len) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_tsrequest_encode(req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

static void expect_malformed(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_tsrequest req;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_tsrequest_decode(&c, &req), RD_E_MALFORMED);
  assert_cur_at(&c, d, n);
}

static void test_rd_tsrequest_decode_nmap_negotiate(void **state) {
  rd_tsrequest req = decode_whole(nmap_negotiate, sizeof nmap_negotiate);
  assert_int_equal(req.version, 0x60);
  assert_true(req.nego_present);
  assert_int_equal(req.nego_count, 1);
  assert_span(&req.nego_token, nmap_negotiate + NMAP_TOKEN_AT, 40);
  assert_ptr_equal(rd_cur_data(&req.nego_token), nmap_negotiate + NMAP_TOKEN_AT); /* borrowed */
  assert_false(req.auth_info_present);
  assert_false(req.pub_key_auth_present);
  assert_false(req.error_code_present);
  assert_false(req.client_nonce_present);
  expect_encoded(&req, nmap_negotiate, sizeof nmap_negotiate);
}

static void test_rd_tsrequest_encode_nmap_negotiate(void **state) {
  rd_tsrequest req;
  memset(&req, 0, sizeof req);
  req.version = 0x60;
  req.nego_present = true;
  rd_cur_init(&req.nego_token, nmap_negotiate + NMAP_TOKEN_AT, 40);
  expect_encoded(&req, nmap_negotiate, sizeof nmap_negotiate);
}

static void test_rd_tsrequest_decode_sspi_negotiate(void **state) {
  rd_tsrequest req = decode_whole(sspi_negotiate, sizeof sspi_negotiate);
  assert_int_equal(req.version, 6);
  assert_true(req.nego_present);
  assert_int_equal(req.nego_count, 1);
  assert_span(&req.nego_token, sspi_negotiate + SSPI_NEGOTIATE_TOKEN_AT, 40);
  assert_true(req.client_nonce_present);
  assert_span(&req.client_nonce, sspi_negotiate + SSPI_NEGOTIATE_NONCE_AT, 32);
  assert_false(req.auth_info_present);
  assert_false(req.pub_key_auth_present);
  assert_false(req.error_code_present);
  expect_encoded(&req, sspi_negotiate, sizeof sspi_negotiate);
}

static void test_rd_tsrequest_decode_sspi_challenge(void **state) {
  rd_tsrequest req = decode_whole(sspi_challenge, sizeof sspi_challenge);
  assert_int_equal(req.version, 6);
  assert_int_equal(req.nego_count, 1);
  assert_span(&req.nego_token, sspi_challenge + SSPI_CHALLENGE_TOKEN_AT, 128);
  assert_memory_equal(rd_cur_data(&req.nego_token), "NTLMSSP\0\x02", 9);
  assert_true(req.client_nonce_present);
  assert_int_equal(rd_cur_len(&req.client_nonce), 32);
  expect_encoded(&req, sspi_challenge, sizeof sspi_challenge);

  req = decode_whole(sspi_win10_challenge, sizeof sspi_win10_challenge);
  assert_int_equal(req.version, 6);
  assert_span(&req.nego_token, sspi_win10_challenge + SSPI_WIN10_TOKEN_AT, 238);
  assert_false(req.client_nonce_present);
  expect_encoded(&req, sspi_win10_challenge, sizeof sspi_win10_challenge);
}

static void test_rd_tsrequest_decode_sspi_authenticate(void **state) {
  rd_tsrequest req = decode_whole(sspi_authenticate, sizeof sspi_authenticate);
  assert_int_equal(req.version, 6);
  assert_span(&req.nego_token, sspi_authenticate + SSPI_AUTHENTICATE_TOKEN_AT, 312);
  assert_true(req.pub_key_auth_present);
  assert_span(&req.pub_key_auth, sspi_authenticate + SSPI_AUTHENTICATE_PUBKEY_AT, 48);
  assert_true(req.client_nonce_present);
  assert_false(req.auth_info_present);
  assert_false(req.error_code_present);
  expect_encoded(&req, sspi_authenticate, sizeof sspi_authenticate);
}

static void test_rd_tsrequest_decode_sspi_pub_key_auth(void **state) {
  rd_tsrequest req = decode_whole(sspi_pub_key_auth, sizeof sspi_pub_key_auth);
  assert_int_equal(req.version, 6);
  assert_false(req.nego_present);
  assert_int_equal(req.nego_count, 0);
  assert_int_equal(rd_cur_len(&req.nego_token), 0);
  assert_true(req.pub_key_auth_present);
  assert_span(&req.pub_key_auth, sspi_pub_key_auth + SSPI_PUB_KEY_AUTH_AT, 48);
  assert_true(req.client_nonce_present);
  expect_encoded(&req, sspi_pub_key_auth, sizeof sspi_pub_key_auth);
}

static void test_rd_tsrequest_decode_sspi_auth_info(void **state) {
  rd_tsrequest req = decode_whole(sspi_auth_info, sizeof sspi_auth_info);
  assert_int_equal(req.version, 6);
  assert_false(req.nego_present);
  assert_true(req.auth_info_present);
  assert_span(&req.auth_info, sspi_auth_info + SSPI_AUTH_INFO_AT, 45);
  assert_false(req.pub_key_auth_present);
  assert_true(req.client_nonce_present);
  expect_encoded(&req, sspi_auth_info, sizeof sspi_auth_info);
}

static void test_rd_tsrequest_decode_sspi_error_code(void **state) {
  rd_tsrequest req = decode_whole(sspi_error_code, sizeof sspi_error_code);
  assert_int_equal(req.version, 6);
  assert_true(req.pub_key_auth_present);
  assert_true(req.error_code_present);
  assert_int_equal(req.error_code, 0xC00700EAu);
  assert_true(req.client_nonce_present);
  assert_span(&req.client_nonce, sspi_error_code + SSPI_ERROR_NONCE_AT, 32);
  expect_encoded(&req, sspi_error_code, sizeof sspi_error_code);
}

/* The reference's example alone, an unsigned encoder's form of it, and the range limits. */
static void test_rd_tsrequest_decode_error_code_forms(void **state) {
  static const uint8_t signed_form[] = {
      0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x03, /* version 3 */
      0xa4, 0x06, 0x02, 0x04, 0xc0, 0x07, 0x00, 0xea, /* errorCode -1073283862 */
  };
  static const uint8_t unsigned_form[] = {
      0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x03,
      0xa4, 0x07, 0x02, 0x05, 0x00, 0xc0, 0x07, 0x00, 0xea, /* errorCode 3221684458 */
  };
  static const uint8_t zero[] = {
      0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x03, 0xa4, 0x03, 0x02, 0x01, 0x00, /* errorCode 0 */
  };
  static const uint8_t max_u32[] = {
      0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x03,
      0xa4, 0x07, 0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, /* 2^32 - 1 */
  };
  static const uint8_t too_big[] = {
      0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x03,
      0xa4, 0x07, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, /* 2^32 */
  };
  static const uint8_t too_small[] = {
      0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x03,
      0xa4, 0x07, 0x02, 0x05, 0xff, 0x7f, 0xff, 0xff, 0xff, /* -2^31 - 1 */
  };
  static const uint8_t max_u32_der[] = {
      0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x03, 0xa4, 0x03, 0x02, 0x01, 0xff, /* -1 */
  };
  rd_tsrequest req = decode_whole(signed_form, sizeof signed_form);
  assert_true(req.error_code_present);
  assert_int_equal(req.error_code, 0xC00700EAu);
  assert_false(req.nego_present);
  expect_encoded(&req, signed_form, sizeof signed_form);
  req = decode_whole(unsigned_form, sizeof unsigned_form);
  assert_int_equal(req.error_code, 0xC00700EAu);
  expect_encoded(&req, signed_form, sizeof signed_form); /* DER: the signed form */
  req = decode_whole(zero, sizeof zero);
  assert_true(req.error_code_present);
  assert_int_equal(req.error_code, 0);
  expect_encoded(&req, zero, sizeof zero);
  req = decode_whole(max_u32, sizeof max_u32);
  assert_int_equal(req.error_code, 0xFFFFFFFFu);
  expect_encoded(&req, max_u32_der, sizeof max_u32_der);
  expect_malformed(too_big, sizeof too_big);
  expect_malformed(too_small, sizeof too_small);
}

static void test_rd_tsrequest_decode_exact_fit(void **state) {
  size_t need = 0;
  assert_int_equal(rd_ber_frame_need(nmap_negotiate, sizeof nmap_negotiate, 65536, &need), 0);
  assert_int_equal(need, sizeof nmap_negotiate);
  rd_tsrequest req = decode_whole(nmap_negotiate, need);
  assert_int_equal(req.version, 0x60);
}

static void test_rd_tsrequest_decode_one_byte_short(void **state) {
  expect_malformed(nmap_negotiate, sizeof nmap_negotiate - 1);
  expect_malformed(sspi_challenge, sizeof sspi_challenge - 1);
  expect_malformed(sspi_error_code, sizeof sspi_error_code - 1);
  expect_malformed(nmap_negotiate, 0);
}

static void test_rd_tsrequest_decode_giant_length(void **state) {
  static const uint8_t outer[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0xa0, 0x03, 0x02, 0x01, 0x06};
  static const uint8_t five_bytes[] = {0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0};
  static const uint8_t inner[] = {
      0x30, 0x0c, 0xa0, 0x03, 0x02, 0x01, 0x06,
      0xa2, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x04, /* [2] claims 2 GiB */
  };
  static const uint8_t token[] = {
      0x30, 0x11, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x0a, 0x30, 0x08, 0x30, 0x06, 0xa0, 0x04,
      0x04, 0x82, 0xff, 0xff, /* OCTET STRING claims 65535 bytes */
  };
  expect_malformed(outer, sizeof outer);
  expect_malformed(five_bytes, sizeof five_bytes);
  expect_malformed(inner, sizeof inner);
  expect_malformed(token, sizeof token);
}

static void test_rd_tsrequest_decode_trailing_byte(void **state) {
  uint8_t buf[sizeof nmap_negotiate + 1];
  memcpy(buf, nmap_negotiate, sizeof nmap_negotiate);
  buf[sizeof nmap_negotiate] = 0x00;
  expect_malformed(buf, sizeof buf);
  /* Inside: a second INTEGER in [0], a byte after the OCTET STRING in [2]. */
  static const uint8_t in_version[] = {0x30, 0x08, 0xa0, 0x06, 0x02, 0x01, 0x06, 0x02, 0x01, 0x06};
  static const uint8_t in_auth_info[] = {
      0x30, 0x0b, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa2, 0x04, 0x04, 0x01, 0xaa, 0x00,
  };
  static const uint8_t in_item[] = {
      0x30, 0x13, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x0c, 0x30, 0x0a, 0x30, 0x08,
      0xa0, 0x03, 0x04, 0x01, 0xaa, 0xa1, 0x01, 0x00, /* NegoDataItem with an extra [1] */
  };
  expect_malformed(in_version, sizeof in_version);
  expect_malformed(in_auth_info, sizeof in_auth_info);
  expect_malformed(in_item, sizeof in_item);
}

static void test_rd_tsrequest_decode_field_order(void **state) {
  static const uint8_t no_version[] = {0x30, 0x05, 0xa2, 0x03, 0x04, 0x01, 0xaa};
  static const uint8_t empty[] = {0x30, 0x00};
  static const uint8_t version_twice[] = {
      0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa0, 0x03, 0x02, 0x01, 0x06,
  };
  static const uint8_t descending[] = {
      0x30, 0x0f, 0xa0, 0x03, 0x02, 0x01, 0x06,
      0xa3, 0x03, 0x04, 0x01, 0xaa, /* [3] before */
      0xa2, 0x03, 0x04, 0x01, 0xbb, /* [2] */
  };
  static const uint8_t version_late[] = {
      0x30, 0x0a, 0xa2, 0x03, 0x04, 0x01, 0xaa, 0xa0, 0x03, 0x02, 0x01, 0x06,
  };
  static const uint8_t universal[] = {0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x06, 0x04, 0x01, 0xaa};
  static const uint8_t primitive_ctx[] = {
      0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x06, 0x82, 0x01, 0xaa, /* [2] IMPLICIT */
  };
  static const uint8_t wrong_type[] = {
      0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa2, 0x03, 0x02, 0x01, 0x01, /* authInfo INTEGER */
  };
  static const uint8_t not_sequence[] = {0x31, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x06};
  static const uint8_t empty_nego[] = {0x30, 0x09, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x02, 0x30, 0x00};
  expect_malformed(no_version, sizeof no_version);
  expect_malformed(empty, sizeof empty);
  expect_malformed(version_twice, sizeof version_twice);
  expect_malformed(descending, sizeof descending);
  expect_malformed(version_late, sizeof version_late);
  expect_malformed(universal, sizeof universal);
  expect_malformed(primitive_ctx, sizeof primitive_ctx);
  expect_malformed(wrong_type, sizeof wrong_type);
  expect_malformed(not_sequence, sizeof not_sequence);
  expect_malformed(empty_nego, sizeof empty_nego);
}

/* Fields a later revision might add ([6] and up) are skipped whatever they hold. */
static void test_rd_tsrequest_decode_unknown_fields(void **state) {
  static const uint8_t later[] = {
      0x30, 0x13, 0xa0, 0x03, 0x02, 0x01, 0x07, /* version 7 */
      0xa4, 0x03, 0x02, 0x01, 0x05,             /* errorCode 5 */
      0xa6, 0x02, 0x05, 0x00,                   /* [6] NULL */
      0xbe, 0x03, 0x01, 0x01, 0xff,             /* [30] BOOLEAN */
  };
  static const uint8_t want[] = {
      0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x07, 0xa4, 0x03, 0x02, 0x01, 0x05,
  };
  static const uint8_t high_tag[] = {
      0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xbf, 0x1f, 0x00, /* [31]: high-tag form */
  };
  rd_tsrequest req = decode_whole(later, sizeof later);
  assert_int_equal(req.version, 7);
  assert_true(req.error_code_present);
  assert_int_equal(req.error_code, 5);
  expect_encoded(&req, want, sizeof want);
  expect_malformed(high_tag, sizeof high_tag);
}

static void test_rd_tsrequest_decode_several_tokens(void **state) {
  static const uint8_t two[] = {
      0x30, 0x17, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x10, 0x30, 0x0e,
      0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0xaa, /* first token */
      0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0xbb, /* second token */
  };
  static const uint8_t first_only[] = {
      0x30, 0x10, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x09, 0x30, 0x07,
      0x30, 0x05, 0xa0, 0x03, 0x04, 0x01, 0xaa,
  };
  rd_tsrequest req = decode_whole(two, sizeof two);
  assert_int_equal(req.nego_count, 2);
  assert_span(&req.nego_token, "\xaa", 1);
  expect_encoded(&req, first_only, sizeof first_only);
}

/* Lengths of 128 bytes and more take the long form when encoding; negative versions encode too. */
static void test_rd_tsrequest_encode_long_fields(void **state) {
  uint8_t token[300], nonce[32];
  rd_tsrequest req, back;
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_cur c;
  memset(token, 0x5a, sizeof token);
  memset(nonce, 0xa5, sizeof nonce);
  memset(&req, 0, sizeof req);
  req.version = -2;
  req.nego_present = true;
  rd_cur_init(&req.nego_token, token, sizeof token);
  req.auth_info_present = req.pub_key_auth_present = req.client_nonce_present = true;
  rd_cur_init(&req.auth_info, token, 200);
  rd_cur_init(&req.pub_key_auth, token, 0);
  rd_cur_init(&req.client_nonce, nonce, sizeof nonce);
  req.error_code_present = true;
  req.error_code = 0x80090302u;
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_tsrequest_encode(&req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(out[0], 0x30);
  assert_int_equal(out[1], 0x82); /* two length bytes */
  assert_int_equal(n, 4 + ((size_t)out[2] << 8 | out[3]));
  rd_cur_init(&c, out, n);
  assert_int_equal(rd_tsrequest_decode(&c, &back), 0);
  assert_int_equal(back.version, -2);
  assert_int_equal(back.nego_count, 1);
  assert_span(&back.nego_token, token, sizeof token);
  assert_span(&back.auth_info, token, 200);
  assert_true(back.pub_key_auth_present);
  assert_int_equal(rd_cur_len(&back.pub_key_auth), 0);
  assert_int_equal(back.error_code, 0x80090302u);
  assert_span(&back.client_nonce, nonce, sizeof nonce);
  free(out);
}

static void test_rd_tsrequest_encode_builder_failed(void **state) {
  rd_tsrequest req = decode_whole(sspi_challenge, sizeof sspi_challenge);
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, sizeof sspi_challenge - 1);
  assert_int_equal(rd_tsrequest_encode(&req, &b), RD_E_NOMEM);
  assert_false(rd_bld_finish(&b, &out, &n));
  assert_null(out);
  rd_bld_init(&b, sizeof sspi_challenge);
  assert_int_equal(rd_tsrequest_encode(&req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, sizeof sspi_challenge);
  free(out);
}


/* ---- TSCredentials ---- */

/* TSCredentials for domain "D", user "u", password "p", worked out by hand from MS-CSSP 2.2.1.2
 * and X.690 DER. */
static const uint8_t tscred_small[] = {
    0x30, 0x1d,                   /* TSCredentials SEQUENCE, 29 bytes */
    0xa0, 0x03,                   /*   [0] credType, 3 bytes */
    0x02, 0x01, 0x01,             /*     INTEGER 1: password */
    0xa1, 0x16,                   /*   [1] credentials, 22 bytes */
    0x04, 0x14,                   /*     OCTET STRING, 20 bytes: */
    0x30, 0x12,                   /*       TSPasswordCreds SEQUENCE, 18 bytes */
    0xa0, 0x04, 0x04, 0x02, 'D', 0x00, /*   [0] domainName OCTET STRING "D" UTF-16LE */
    0xa1, 0x04, 0x04, 0x02, 'u', 0x00, /*   [1] userName "u" */
    0xa2, 0x04, 0x04, 0x02, 'p', 0x00, /*   [2] password "p" */
};

static uint8_t *encode_creds(const char *d, const char *u, const char *p, size_t *len) {
  rd_bld b;
  uint8_t *out;
  rd_bld_init(&b, 1u << 20);
  assert_int_equal(rd_tscredentials_encode_password(d, u, p, &b), 0);
  assert_true(rd_bld_finish(&b, &out, len));
  return out;
}

static rd_tscredentials decode_creds_ok(const uint8_t *p, size_t n) {
  rd_cur c;
  rd_tscredentials tc;
  rd_cur_init(&c, p, n);
  assert_int_equal(rd_tscredentials_decode(&c, &tc), 0);
  assert_true(rd_cur_is_empty(&c));
  return tc;
}

static void expect_creds_malformed(const uint8_t *p, size_t n) {
  rd_cur c;
  rd_tscredentials tc;
  rd_cur_init(&c, p, n);
  assert_int_equal(rd_tscredentials_decode(&c, &tc), RD_E_MALFORMED);
  assert_cur_at(&c, p, n);
}

static void test_rd_tscredentials_encode_password_small(void **state) {
  size_t len;
  uint8_t *out = encode_creds("D", "u", "p", &len);
  assert_int_equal(len, sizeof tscred_small);
  assert_memory_equal(out, tscred_small, len);
  free(out);
  rd_tscredentials tc = decode_creds_ok(tscred_small, sizeof tscred_small);
  assert_int_equal(tc.cred_type, RD_TSCRED_TYPE_PASSWORD);
  assert_true(tc.password_present);
  assert_span(&tc.credentials, tscred_small + 11, 20);
  assert_span(&tc.domain, "D", 2); /* 'D', 0: the string literal's NUL is the high byte */
  assert_span(&tc.user, "u", 2);
  assert_span(&tc.password, "p", 2);
}

static void test_rd_tscredentials_encode_password_empty_and_long(void **state) {
  /* Empty domain and user; a 70-character non-ASCII password (140 bytes: long-form lengths at
   * every level, the outer ones two bytes). */
  static const uint8_t empty_prefix[] = {
      0x30, 0x81, 0xa8,             /* TSCredentials, 168 bytes */
      0xa0, 0x03, 0x02, 0x01, 0x01, /*   [0] credType 1 */
      0xa1, 0x81, 0xa0,             /*   [1] credentials, 160 bytes */
      0x04, 0x81, 0x9d,             /*     OCTET STRING, 157 bytes */
      0x30, 0x81, 0x9a,             /*       TSPasswordCreds, 154 bytes */
      0xa0, 0x02, 0x04, 0x00,       /*         [0] domainName "" */
      0xa1, 0x02, 0x04, 0x00,       /*         [1] userName "" */
      0xa2, 0x81, 0x8f,             /*         [2] password, 143 bytes */
      0x04, 0x81, 0x8c,             /*           OCTET STRING, 140 bytes */
  };
  char pw[141];
  uint8_t want_pw[140];
  for (int i = 0; i < 70; i++) {
    pw[2 * i] = '\xc3'; /* é */
    pw[2 * i + 1] = '\xa9';
    want_pw[2 * i] = 0xe9;
    want_pw[2 * i + 1] = 0x00;
  }
  pw[140] = '\0';
  size_t len;
  uint8_t *out = encode_creds("", "", pw, &len);
  assert_int_equal(len, sizeof empty_prefix + 140);
  assert_memory_equal(out, empty_prefix, sizeof empty_prefix);
  rd_tscredentials tc = decode_creds_ok(out, len);
  assert_true(tc.password_present);
  assert_int_equal(rd_cur_len(&tc.domain), 0);
  assert_int_equal(rd_cur_len(&tc.user), 0);
  assert_span(&tc.password, want_pw, sizeof want_pw);
  free(out);

  /* Long every field, round trip only: 300 bytes of UTF-16LE each. */
  char big[151];
  memset(big, 'A', 150);
  big[150] = '\0';
  out = encode_creds(big, big, big, &len);
  tc = decode_creds_ok(out, len);
  assert_int_equal(rd_cur_len(&tc.domain), 300);
  assert_int_equal(rd_cur_len(&tc.user), 300);
  assert_int_equal(rd_cur_len(&tc.password), 300);
  assert_int_equal(rd_ber_frame_need(out, len, len, &(size_t){0}), 0);
  free(out);
}

static void test_rd_tscredentials_encode_password_invalid(void **state) {
  rd_bld b;
  rd_bld_init(&b, 1u << 20);
  assert_int_equal(rd_tscredentials_encode_password(NULL, "u", "p", &b), RD_E_INVALID);
  assert_int_equal(rd_tscredentials_encode_password("d", "u", NULL, &b), RD_E_INVALID);
  assert_int_equal(rd_tscredentials_encode_password("d", "u", "bad\xff", &b), RD_E_MALFORMED);
  char *big = malloc(32769);
  assert_non_null(big);
  memset(big, 'x', 32768);
  big[32768] = '\0';
  assert_int_equal(rd_tscredentials_encode_password("d", big, "p", &b), RD_E_INVALID);
  free(big);
  assert_int_equal(rd_bld_len(&b), 0); /* nothing written */
  rd_bld_cleanup(&b);
  rd_bld_init(&b, sizeof tscred_small - 1);
  assert_int_equal(rd_tscredentials_encode_password("D", "u", "p", &b), RD_E_NOMEM);
  rd_bld_cleanup(&b);
}

static void test_rd_tscredentials_decode_edges(void **state) {
  uint8_t buf[sizeof tscred_small + 1];
  /* Exact fit was above; one byte short, a trailing byte, a giant length. */
  expect_creds_malformed(tscred_small, sizeof tscred_small - 1);
  memcpy(buf, tscred_small, sizeof tscred_small);
  buf[sizeof tscred_small] = 0x00;
  expect_creds_malformed(buf, sizeof buf);
  memcpy(buf, tscred_small, sizeof tscred_small);
  buf[1] = 0x84; /* long form: 4 length bytes follow, far past the end */
  expect_creds_malformed(buf, sizeof tscred_small);
  /* A byte after the password inside TSPasswordCreds (lengths fixed up). */
  static const uint8_t extra_field[] = {
      0x30, 0x22, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x1b, 0x04, 0x19, 0x30, 0x17,
      0xa0, 0x04, 0x04, 0x02, 'D', 0x00, 0xa1, 0x04, 0x04, 0x02, 'u', 0x00,
      0xa2, 0x04, 0x04, 0x02, 'p', 0x00, 0xa3, 0x03, 0x02, 0x01, 0x00, /* [3] not allowed */
  };
  expect_creds_malformed(extra_field, sizeof extra_field);
  /* A missing userName. */
  static const uint8_t missing[] = {
      0x30, 0x17, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x10, 0x04, 0x0e, 0x30, 0x0c,
      0xa0, 0x04, 0x04, 0x02, 'D', 0x00, 0xa2, 0x04, 0x04, 0x02, 'p', 0x00,
  };
  expect_creds_malformed(missing, sizeof missing);
  /* credType 1 whose credentials are not a TSPasswordCreds. */
  static const uint8_t not_pw[] = {0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x01,
                                   0xa1, 0x03, 0x04, 0x01, 0x00};
  expect_creds_malformed(not_pw, sizeof not_pw);
  /* credType 2 (smart card): its credentials are kept undecoded. */
  static const uint8_t card[] = {0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x02,
                                 0xa1, 0x03, 0x04, 0x01, 0x42};
  rd_tscredentials tc = decode_creds_ok(card, sizeof card);
  assert_int_equal(tc.cred_type, 2);
  assert_false(tc.password_present);
  assert_span(&tc.credentials, card + 11, 1);
  /* Fields swapped, and the credentials under a wrong type (INTEGER for OCTET STRING). */
  static const uint8_t swapped[] = {0x30, 0x0a, 0xa1, 0x03, 0x04, 0x01, 0x42,
                                    0xa0, 0x03, 0x02, 0x01, 0x02};
  expect_creds_malformed(swapped, sizeof swapped);
  static const uint8_t wrong_type[] = {0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x02,
                                       0xa1, 0x03, 0x02, 0x01, 0x42};
  expect_creds_malformed(wrong_type, sizeof wrong_type);
}

static void test_rd_credssp_decode_early_authz_values(void **state) {
  static const uint8_t ok[] = {0x00, 0x00, 0x00, 0x00};     /* AUTHZ_SUCCESS */
  static const uint8_t denied[] = {0x05, 0x00, 0x00, 0x00}; /* AUTHZ_ACCESS_DENIED */
  static const uint8_t other[] = {0x01, 0x02, 0x03, 0x84, 0x00};
  uint32_t v = 99;
  assert_int_equal(rd_credssp_decode_early_authz(ok, 4, &v), 0);
  assert_int_equal(v, RD_CREDSSP_AUTHZ_SUCCESS);
  assert_int_equal(rd_credssp_decode_early_authz(denied, 4, &v), 0);
  assert_int_equal(v, RD_CREDSSP_AUTHZ_ACCESS_DENIED);
  assert_int_equal(rd_credssp_decode_early_authz(other, 4, &v), 0);
  assert_int_equal(v, 0x84030201u);
  v = 99;
  assert_int_equal(rd_credssp_decode_early_authz(other, 3, &v), RD_E_MALFORMED);
  assert_int_equal(rd_credssp_decode_early_authz(other, 5, &v), RD_E_MALFORMED);
  assert_int_equal(rd_credssp_decode_early_authz(other, 0, &v), RD_E_MALFORMED);
  assert_int_equal(v, 99);
  assert_int_equal(rd_credssp_decode_early_authz(NULL, 4, &v), RD_E_INVALID);
  assert_int_equal(rd_credssp_decode_early_authz(ok, 4, NULL), RD_E_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_tsrequest_decode_nmap_negotiate),
      cmocka_unit_test(test_rd_tsrequest_encode_nmap_negotiate),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_negotiate),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_challenge),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_authenticate),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_pub_key_auth),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_auth_info),
      cmocka_unit_test(test_rd_tsrequest_decode_sspi_error_code),
      cmocka_unit_test(test_rd_tsrequest_decode_error_code_forms),
      cmocka_unit_test(test_rd_tsrequest_decode_exact_fit),
      cmocka_unit_test(test_rd_tsrequest_decode_one_byte_short),
      cmocka_unit_test(test_rd_tsrequest_decode_giant_length),
      cmocka_unit_test(test_rd_tsrequest_decode_trailing_byte),
      cmocka_unit_test(test_rd_tsrequest_decode_field_order),
      cmocka_unit_test(test_rd_tsrequest_decode_unknown_fields),
      cmocka_unit_test(test_rd_tsrequest_decode_several_tokens),
      cmocka_unit_test(test_rd_tsrequest_encode_long_fields),
      cmocka_unit_test(test_rd_tsrequest_encode_builder_failed),
      cmocka_unit_test(test_rd_tscredentials_encode_password_small),
      cmocka_unit_test(test_rd_tscredentials_encode_password_empty_and_long),
      cmocka_unit_test(test_rd_tscredentials_encode_password_invalid),
      cmocka_unit_test(test_rd_tscredentials_decode_edges),
      cmocka_unit_test(test_rd_credssp_decode_early_authz_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
