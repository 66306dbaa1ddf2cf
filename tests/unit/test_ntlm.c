/* NTLM NEGOTIATE and AUTHENTICATE encoders and CHALLENGE decoder: the MS-NLMP 4.2.4.3 CHALLENGE
 * (reference §4.6) and AUTHENTICATE, the nmap NEGOTIATE (reference §4.5) and the CHALLENGE and
 * AUTHENTICATE messages inside sspi-rs's TSRequest vectors (reference §7, bytes only), plus the
 * edge cases: no TargetInfo, no Version, offsets past the end, AV lists without EOL, giant AvLen,
 * odd UTF-16, invalid UTF-16, long names. The 4.2.4.3 AUTHENTICATE bytes are the spec's example as
 * several public NTLM test suites (Rust, C, C#) carry it, identical in each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ntlmcrypto.h"
#include "core/err.h"
#include "core/ntlm.h"
#include "core/tsrequest.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE (NTLMv2 example). */
static const uint8_t spec_challenge[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /*   0 "NTLMSSP\0" */
    0x02, 0x00, 0x00, 0x00,                         /*   8 MessageType 2 */
    0x0c, 0x00, 0x0c, 0x00, 0x38, 0x00, 0x00, 0x00, /*  12 TargetName len 12, max 12, offset 56 */
    0x33, 0x82, 0x8a, 0xe2,                         /*  20 NegotiateFlags 0xE28A8233 */
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /*  24 ServerChallenge */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  32 Reserved */
    0x24, 0x00, 0x24, 0x00, 0x44, 0x00, 0x00, 0x00, /*  40 TargetInfo len 36, max 36, offset 68 */
    0x06, 0x00, 0x70, 0x17, 0x00, 0x00, 0x00, 0x0f, /*  48 Version 6.0 build 6000, revision 15 */
    0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, /* 56 "Server" */
    0x02, 0x00, 0x0c, 0x00,                         /*  68 MsvAvNbDomainName, 12 bytes */
    0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, /* "Domain" */
    0x01, 0x00, 0x0c, 0x00,                         /*  84 MsvAvNbComputerName, 12 bytes */
    0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, /* "Server" */
    0x00, 0x00, 0x00, 0x00,                         /* 100 MsvAvEOL */
};
#define SPEC_TARGET_NAME_FIELDS 12
#define SPEC_FLAGS              20
#define SPEC_TARGET_INFO_FIELDS 40
#define SPEC_TARGET_INFO        68
#define SPEC_NB_DOMAIN_LEN      70
#define SPEC_NB_COMPUTER        84
#define SPEC_EOL                100

/* sspi-rs NTLM_2_PHASE_TS_REQUEST: a TSRequest v6 carrying the CHALLENGE of host "VGPC". */
static const uint8_t sspi_challenge_ts[] = {
    0x30, 0x81, 0xb8, 0xa0, 0x03, 0x02, 0x01, 0x06, /* SEQUENCE, [0] version 6 */
    0xa1, 0x81, 0x8c, 0x30, 0x81, 0x89, 0x30, 0x81, 0x86, 0xa0, 0x81, 0x83, /* [1] NegoData */
    0x04, 0x81, 0x80,                               /* OCTET STRING, 128 bytes: */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /*   0 "NTLMSSP\0" */
    0x02, 0x00, 0x00, 0x00,                         /*   8 CHALLENGE */
    0x08, 0x00, 0x08, 0x00, 0x38, 0x00, 0x00, 0x00, /*  12 TargetName 8 bytes at 56 */
    0xb7, 0x82, 0x88, 0xe2,                         /*  20 flags 0xE28882B7 */
    0xc8, 0x6f, 0x7d, 0x24, 0xd5, 0xb0, 0x65, 0x65, /*  24 ServerChallenge */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  32 Reserved */
    0x40, 0x00, 0x40, 0x00, 0x40, 0x00, 0x00, 0x00, /*  40 TargetInfo 64 bytes at 64 */
    0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f, /*  48 Version 6.1 build 7601, revision 15 */
    0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, /*  56 "VGPC" */
    0x02, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, /* 64 NbDomain */
    0x01, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, /* 76 NbComputer */
    0x04, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, /* 88 DnsDomain */
    0x03, 0x00, 0x08, 0x00, 0x56, 0x00, 0x47, 0x00, 0x50, 0x00, 0x43, 0x00, /* 100 DnsComputer */
    0x07, 0x00, 0x08, 0x00, 0x80, 0x26, 0x00, 0xe1, 0x4a, 0xcf, 0xd4, 0x01, /* 112 Timestamp */
    0x00, 0x00, 0x00, 0x00,                         /* 124 EOL */
    0xa5, 0x22, 0x04, 0x20,                         /* [5] clientNonce, 32 bytes */
    0x22, 0x10, 0x12, 0xad, 0x12, 0x5c, 0x7a, 0x15, 0xfe, 0xb6, 0x4b, 0x1f,
    0xcb, 0x94, 0x83, 0x3a, 0xc5, 0x6f, 0x66, 0x4c, 0xf3, 0xbc, 0xe7, 0x54,
    0x8a, 0x5d, 0x9e, 0x05, 0x0a, 0x46, 0x91, 0xdb,
};

/* sspi-rs NTLM_WITHOUT_CLIENT_NONCE: Windows 10 1709's CHALLENGE for "DESKTOP-KMDT420". */
static const uint8_t sspi_win10_ts[] = {
    0x30, 0x82, 0x01, 0x02, 0xa0, 0x03, 0x02, 0x01, 0x06, /* SEQUENCE, [0] version 6 */
    0xa1, 0x81, 0xfa, 0x30, 0x81, 0xf7, 0x30, 0x81, 0xf4, 0xa0, 0x81, 0xf1, /* [1] NegoData */
    0x04, 0x81, 0xee,                               /* OCTET STRING, 238 bytes: */
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /*   0 "NTLMSSP\0" */
    0x02, 0x00, 0x00, 0x00,                         /*   8 CHALLENGE */
    0x1e, 0x00, 0x1e, 0x00, 0x38, 0x00, 0x00, 0x00, /*  12 TargetName 30 bytes at 56 */
    0x35, 0x82, 0x8a, 0xe2,                         /*  20 flags 0xE28A8235 */
    0x6e, 0x80, 0x3b, 0xb7, 0xf8, 0xb9, 0xf6, 0x5c, /*  24 ServerChallenge */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  32 Reserved */
    0x98, 0x00, 0x98, 0x00, 0x56, 0x00, 0x00, 0x00, /*  40 TargetInfo 152 bytes at 86 */
    0x0a, 0x00, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x0f, /*  48 Version 10.0 build 16299, revision 15 */
                                                    /*  56 "DESKTOP-KMDT420", then AV pairs */
    0x44, 0x00, 0x45, 0x00, 0x53, 0x00, 0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00,
    0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00, 0x54, 0x00,
    0x34, 0x00, 0x32, 0x00, 0x30, 0x00, 0x02, 0x00, 0x1e, 0x00, 0x44, 0x00,
    0x45, 0x00, 0x53, 0x00, 0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x50, 0x00,
    0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00, 0x54, 0x00, 0x34, 0x00,
    0x32, 0x00, 0x30, 0x00, 0x01, 0x00, 0x1e, 0x00, 0x44, 0x00, 0x45, 0x00,
    0x53, 0x00, 0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00,
    0x4b, 0x00, 0x4d, 0x00, 0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00,
    0x30, 0x00, 0x04, 0x00, 0x1e, 0x00, 0x44, 0x00, 0x45, 0x00, 0x53, 0x00,
    0x4b, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00,
    0x4d, 0x00, 0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00, 0x30, 0x00,
    0x03, 0x00, 0x1e, 0x00, 0x44, 0x00, 0x45, 0x00, 0x53, 0x00, 0x4b, 0x00,
    0x54, 0x00, 0x4f, 0x00, 0x50, 0x00, 0x2d, 0x00, 0x4b, 0x00, 0x4d, 0x00,
    0x44, 0x00, 0x54, 0x00, 0x34, 0x00, 0x32, 0x00, 0x30, 0x00, 0x07, 0x00,
    0x08, 0x00, 0x75, 0xc6, 0x84, 0x56, 0xd7, 0xd8, 0xd4, 0x01, 0x00, 0x00,
    0x00, 0x00,
};

/* nmap's NEGOTIATE_MESSAGE (reference §4.5) and sspi-rs's NTLM_1_PHASE_NEGO_TOKEN. */
static const uint8_t nmap_negotiate[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /* "NTLMSSP\0" */
    0x01, 0x00, 0x00, 0x00,                         /* NEGOTIATE */
    0xb7, 0x82, 0x08, 0xe2,                         /* flags 0xE20882B7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DomainNameFields */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* WorkstationFields */
    0x0a, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0f, /* 10.0 build 17763, revision 15 */
};
static const uint8_t sspi_negotiate[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xb7, 0x82, 0x08, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f, /* 6.1 build 7601, revision 15 */
};

/* The nmap TSRequest (reference §4.5): version 0x60 around nmap_negotiate. */
static const uint8_t nmap_tsrequest_head[] = {
    0x30, 0x37, 0xa0, 0x03, 0x02, 0x01, 0x60, 0xa1, 0x30, 0x30, 0x2e, 0x30, 0x2c, 0xa0, 0x2a,
    0x04, 0x28,
};

#define UNICODE_FLAGS (RD_NTLM_NEGOTIATE_UNICODE | RD_NTLM_NEGOTIATE_VERSION | RD_NTLM_NEGOTIATE_TARGET_INFO)
#define FFFD "\xef\xbf\xbd"

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)v);
  put16(p + 2, (uint16_t)(v >> 16));
}

/* A CHALLENGE with the 56-byte header (version 10.0.20348/15), TargetName at 56, TargetInfo after
 * it. Returns its length. */
static size_t make_challenge(uint8_t *buf, uint32_t flags, const uint8_t *name, size_t name_len,
                             const uint8_t *ti, size_t ti_len) {
  memset(buf, 0, 56);
  memcpy(buf, "NTLMSSP\0\x02\0\0\0", 12);
  put16(buf + 12, (uint16_t)name_len);
  put16(buf + 14, (uint16_t)name_len);
  put32(buf + 16, 56);
  put32(buf + 20, flags);
  memcpy(buf + 24, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
  put16(buf + 40, (uint16_t)ti_len);
  put16(buf + 42, (uint16_t)ti_len);
  put32(buf + 44, (uint32_t)(56 + name_len));
  memcpy(buf + 48, "\x0a\x00\x7c\x4f\x00\x00\x00\x0f", 8);
  if (name_len > 0)
    memcpy(buf + 56, name, name_len);
  if (ti_len > 0)
    memcpy(buf + 56 + name_len, ti, ti_len);
  return 56 + name_len + ti_len;
}

/* An AV_PAIR at p; returns its size. */
static size_t av(uint8_t *p, uint16_t id, const void *val, uint16_t len) {
  put16(p, id);
  put16(p + 2, len);
  if (len > 0)
    memcpy(p + 4, val, len);
  return 4 + (size_t)len;
}

/* ASCII to UTF-16LE. */
static size_t utf16(uint8_t *out, const char *s) {
  size_t n = 0;
  for (; *s != '\0'; s++, n += 2)
    put16(out + n, (uint8_t)*s);
  return n;
}

static rd_ntlm_challenge decode_ok(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_ntlm_challenge ch;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_ntlm_decode_challenge(&c, &ch), 0);
  assert_true(rd_cur_is_empty(&c));
  return ch;
}

static void expect_malformed(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_ntlm_challenge ch;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_ntlm_decode_challenge(&c, &ch), RD_E_MALFORMED);
  assert_cur_at(&c, d, n);
}

static void expect_negotiate(uint32_t flags, const rd_ntlm_version *v, const uint8_t *want,
                             size_t want_len) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 256);
  assert_int_equal(rd_ntlm_encode_negotiate(flags, v, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

static void test_rd_ntlm_encode_negotiate_nmap(void **state) {
  rd_ntlm_version def = RD_NTLM_VERSION_DEFAULT;
  expect_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT, NULL, nmap_negotiate, sizeof nmap_negotiate);
  expect_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT, &def, nmap_negotiate, sizeof nmap_negotiate);
}

static void test_rd_ntlm_encode_negotiate_sspi(void **state) {
  rd_ntlm_version win7 = {6, 1, 7601, 15};
  expect_negotiate(0xE20882B7u, &win7, sspi_negotiate, sizeof sspi_negotiate);
}

static void test_rd_ntlm_encode_negotiate_without_version(void **state) {
  uint8_t want[40];
  memcpy(want, nmap_negotiate, sizeof want);
  put32(want + 12, RD_NTLM_NEGOTIATE_FLAGS_DEFAULT & ~RD_NTLM_NEGOTIATE_VERSION);
  memset(want + 32, 0, 8); /* the Version field stays, zeroed */
  expect_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT & ~RD_NTLM_NEGOTIATE_VERSION, NULL, want,
                   sizeof want);
}

static void test_rd_ntlm_encode_negotiate_invalid(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 256);
  assert_int_equal(rd_ntlm_encode_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT |
                                                RD_NTLM_NEGOTIATE_DOMAIN_SUPPLIED,
                                            NULL, &b),
                   RD_E_INVALID);
  assert_int_equal(rd_ntlm_encode_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT |
                                                RD_NTLM_NEGOTIATE_WORKSTATION_SUPPLIED,
                                            NULL, &b),
                   RD_E_INVALID);
  rd_bld_cleanup(&b);
  rd_bld_init(&b, 39); /* one byte too small */
  assert_int_equal(rd_ntlm_encode_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT, NULL, &b),
                   RD_E_NOMEM);
  assert_false(rd_bld_finish(&b, &out, &n));
}

/* The whole nmap request, built from our two encoders. */
static void test_rd_ntlm_encode_negotiate_in_tsrequest(void **state) {
  rd_bld b, tok;
  uint8_t *token, *out;
  size_t token_len, n;
  rd_tsrequest req;
  rd_bld_init(&tok, 256);
  assert_int_equal(rd_ntlm_encode_negotiate(RD_NTLM_NEGOTIATE_FLAGS_DEFAULT, NULL, &tok), 0);
  assert_true(rd_bld_finish(&tok, &token, &token_len));
  memset(&req, 0, sizeof req);
  req.version = 0x60;
  req.nego_present = true;
  rd_cur_init(&req.nego_token, token, token_len);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_tsrequest_encode(&req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 57);
  assert_memory_equal(out, nmap_tsrequest_head, sizeof nmap_tsrequest_head);
  assert_memory_equal(out + sizeof nmap_tsrequest_head, nmap_negotiate, sizeof nmap_negotiate);
  free(out);
  free(token);
}

static void test_rd_ntlm_decode_challenge_spec_4_2_4_3(void **state) {
  static const uint8_t challenge[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  rd_ntlm_challenge ch = decode_ok(spec_challenge, sizeof spec_challenge);
  assert_int_equal(ch.flags, 0xE28A8233u);
  assert_memory_equal(ch.server_challenge, challenge, 8);
  assert_string_equal(ch.target_name, "Server");
  assert_true(ch.version_present);
  assert_int_equal(ch.version.major, 6);
  assert_int_equal(ch.version.minor, 0);
  assert_int_equal(ch.version.build, 6000);
  assert_int_equal(ch.version.revision, 15);
  assert_true(ch.target_info_present);
  assert_ptr_equal(rd_cur_data(&ch.target_info), spec_challenge + SPEC_TARGET_INFO);
  assert_int_equal(rd_cur_len(&ch.target_info), 36);
  assert_string_equal(ch.nb_domain, "Domain");
  assert_string_equal(ch.nb_computer, "Server");
  assert_string_equal(ch.dns_computer, "");
  assert_string_equal(ch.dns_domain, "");
  assert_string_equal(ch.dns_tree, "");
  assert_false(ch.av_flags_present);
  assert_false(ch.timestamp_present);
  assert_false(ch.single_host_present);
  assert_false(ch.av_target_name_present);
  assert_false(ch.channel_bindings_present);
  assert_int_equal(ch.truncated, 0);
}

/* The path the probe takes: TSRequest, negoToken, "NTLMSSP\0", CHALLENGE. */
static rd_ntlm_challenge decode_from_tsrequest(const uint8_t *d, size_t n) {
  rd_cur c, msg;
  rd_tsrequest req;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_tsrequest_decode(&c, &req), 0);
  assert_int_equal(rd_ntlm_find(rd_cur_data(&req.nego_token), rd_cur_len(&req.nego_token), &msg),
                   0);
  assert_ptr_equal(rd_cur_data(&msg), rd_cur_data(&req.nego_token));
  return decode_ok(rd_cur_data(&msg), rd_cur_len(&msg));
}

static void test_rd_ntlm_decode_challenge_sspi_vgpc(void **state) {
  static const uint8_t challenge[8] = {0xc8, 0x6f, 0x7d, 0x24, 0xd5, 0xb0, 0x65, 0x65};
  rd_ntlm_challenge ch = decode_from_tsrequest(sspi_challenge_ts, sizeof sspi_challenge_ts);
  assert_int_equal(ch.flags, 0xE28882B7u);
  assert_memory_equal(ch.server_challenge, challenge, 8);
  assert_string_equal(ch.target_name, "VGPC");
  assert_true(ch.version_present);
  assert_int_equal(ch.version.major, 6);
  assert_int_equal(ch.version.minor, 1);
  assert_int_equal(ch.version.build, 7601);
  assert_int_equal(ch.version.revision, 15);
  assert_string_equal(ch.nb_domain, "VGPC");
  assert_string_equal(ch.nb_computer, "VGPC");
  assert_string_equal(ch.dns_domain, "VGPC");
  assert_string_equal(ch.dns_computer, "VGPC");
  assert_string_equal(ch.dns_tree, "");
  assert_true(ch.timestamp_present);
  assert_int_equal(ch.timestamp, 0x01d4cf4ae1002680u);
  assert_int_equal(rd_ntlm_filetime_to_unix(ch.timestamp), 1551347361); /* 2019-02-28 09:49:21 */
  assert_int_equal(rd_cur_len(&ch.target_info), 64);
  assert_false(ch.av_flags_present);
}

static void test_rd_ntlm_decode_challenge_sspi_win10(void **state) {
  rd_ntlm_challenge ch = decode_from_tsrequest(sspi_win10_ts, sizeof sspi_win10_ts);
  assert_int_equal(ch.flags, 0xE28A8235u);
  assert_string_equal(ch.target_name, "DESKTOP-KMDT420");
  assert_int_equal(ch.version.major, 10);
  assert_int_equal(ch.version.minor, 0);
  assert_int_equal(ch.version.build, 16299);
  assert_string_equal(ch.nb_domain, "DESKTOP-KMDT420");
  assert_string_equal(ch.nb_computer, "DESKTOP-KMDT420");
  assert_string_equal(ch.dns_domain, "DESKTOP-KMDT420");
  assert_string_equal(ch.dns_computer, "DESKTOP-KMDT420");
  assert_true(ch.timestamp_present);
  assert_int_equal(rd_ntlm_filetime_to_unix(ch.timestamp), 1552397248);
  assert_int_equal(rd_cur_len(&ch.target_info), 152);
}

static void test_rd_ntlm_decode_challenge_exact_fit(void **state) {
  rd_ntlm_challenge ch = decode_ok(spec_challenge, sizeof spec_challenge);
  assert_string_equal(ch.nb_computer, "Server");
}

static void test_rd_ntlm_decode_challenge_one_byte_short(void **state) {
  expect_malformed(spec_challenge, sizeof spec_challenge - 1); /* TargetInfo runs past the end */
  expect_malformed(spec_challenge, 31);                         /* no whole ServerChallenge */
  expect_malformed(spec_challenge, 0);
}

/* The message has no length of its own: bytes after it (a wrapper's) are part of the span. */
static void test_rd_ntlm_decode_challenge_trailing_byte(void **state) {
  uint8_t buf[sizeof spec_challenge + 1];
  memcpy(buf, spec_challenge, sizeof spec_challenge);
  buf[sizeof spec_challenge] = 0xff;
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_string_equal(ch.nb_domain, "Domain");
  assert_int_equal(rd_cur_len(&ch.target_info), 36);
}

static void test_rd_ntlm_decode_challenge_giant_length(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_NB_DOMAIN_LEN, 0xffff); /* giant AvLen */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_INFO_FIELDS, 0xffff); /* TargetInfoLen */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_INFO_FIELDS + 4, 0xffffffffu); /* TargetInfo offset wraps */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 0xfffffffcu); /* TargetName offset wraps */
  expect_malformed(buf, sizeof buf);
}

static void test_rd_ntlm_decode_challenge_offsets_past_end(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 100); /* 100 + 12 > 104 */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 93); /* ends one byte past */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_INFO_FIELDS, 37);
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 92); /* ends exactly at the end: fine */
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_string_equal(ch.target_name, "rver" FFFD FFFD); /* "rver" and the EOL's two U+0000 */
}

/* An empty field's offset is not read, wherever it points. */
static void test_rd_ntlm_decode_challenge_empty_fields(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_NAME_FIELDS, 0);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 0xffffffffu);
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_string_equal(ch.target_name, "");
  assert_true(ch.version_present);
  assert_string_equal(ch.nb_domain, "Domain");
}

/* Fields may overlap: here TargetName is the NbDomainName value inside TargetInfo. */
static void test_rd_ntlm_decode_challenge_overlap(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, SPEC_TARGET_INFO + 4);
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_string_equal(ch.target_name, "Domain");
  assert_string_equal(ch.nb_domain, "Domain");
}

static void test_rd_ntlm_decode_challenge_no_version(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_FLAGS, 0xE28A8233u & ~RD_NTLM_NEGOTIATE_VERSION);
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_false(ch.version_present);
  assert_int_equal(ch.version.build, 0);
  assert_string_equal(ch.target_name, "Server");
  assert_string_equal(ch.nb_computer, "Server");
  /* The flag without room for the field before the payload (TargetName at 48): no version. */
  memcpy(buf, spec_challenge, sizeof buf);
  put32(buf + SPEC_TARGET_NAME_FIELDS + 4, 48);
  ch = decode_ok(buf, sizeof buf);
  assert_false(ch.version_present);
  assert_true(ch.target_info_present);
}

/* Pre-TargetInfo servers: a 32-byte header plus 8 reserved bytes, an OEM TargetName after them. */
static void test_rd_ntlm_decode_challenge_no_target_info(void **state) {
  static const uint8_t old[] = {
      0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /* "NTLMSSP\0" */
      0x02, 0x00, 0x00, 0x00,                         /* CHALLENGE */
      0x03, 0x00, 0x03, 0x00, 0x28, 0x00, 0x00, 0x00, /* TargetName 3 bytes at 40 */
      0x06, 0x82, 0x01, 0x02,                         /* OEM, NTLM, ALWAYS_SIGN, DOMAIN, VERSION */
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* ServerChallenge */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* Reserved (context) */
      'D', 'O', 'M',                                  /* 40 TargetName, OEM */
  };
  static const uint8_t minimal[] = {
      0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* no TargetName */
      0x01, 0x02, 0x00, 0x00,                         /* UNICODE, NTLM */
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* ServerChallenge; nothing more */
  };
  rd_ntlm_challenge ch = decode_ok(old, sizeof old);
  assert_string_equal(ch.target_name, "DOM");
  assert_false(ch.version_present); /* VERSION set, but the payload starts at 40 */
  assert_false(ch.target_info_present);
  assert_int_equal(rd_cur_len(&ch.target_info), 0);
  assert_string_equal(ch.nb_computer, "");
  ch = decode_ok(minimal, sizeof minimal);
  assert_string_equal(ch.target_name, "");
  assert_false(ch.target_info_present);
  /* The 56-byte header with an empty TargetInfo: no AV pairs, no EOL needed. */
  uint8_t buf[64];
  uint8_t name[8];
  size_t n = make_challenge(buf, UNICODE_FLAGS, name, utf16(name, "SRV1"), NULL, 0);
  ch = decode_ok(buf, n);
  assert_string_equal(ch.target_name, "SRV1");
  assert_false(ch.target_info_present);
  assert_true(ch.version_present);
  assert_int_equal(ch.version.build, 20348);
}

static void test_rd_ntlm_decode_challenge_wrong_header(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  buf[7] = 'X'; /* signature */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  buf[8] = 1; /* NEGOTIATE */
  expect_malformed(buf, sizeof buf);
  buf[8] = 3; /* AUTHENTICATE */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  buf[11] = 1; /* MessageType 0x01000002 */
  expect_malformed(buf, sizeof buf);
}

static void test_rd_ntlm_decode_challenge_av_list_without_eol(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_INFO_FIELDS, 32); /* TargetInfo ends before the EOL */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_INFO_FIELDS, 34); /* half an EOL */
  expect_malformed(buf, sizeof buf);
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_EOL + 2, 4); /* EOL that claims bytes past TargetInfo */
  expect_malformed(buf, sizeof buf);
}

static void test_rd_ntlm_decode_challenge_av_pairs(void **state) {
  static const uint8_t single_host[48] = {0x30};
  static const uint8_t bindings[16] = {0};
  uint8_t ti[512], buf[1024], s[64];
  size_t k = 0;
  k += av(ti + k, RD_NTLM_AV_DNS_TREE, s, (uint16_t)utf16(s, "corp.example"));
  k += av(ti + k, RD_NTLM_AV_FLAGS, "\x02\x00\x00\x00", 4);
  k += av(ti + k, 0x0042, "??", 2); /* unknown AvId: skipped */
  k += av(ti + k, RD_NTLM_AV_SINGLE_HOST, single_host, sizeof single_host);
  k += av(ti + k, RD_NTLM_AV_TARGET_NAME, s, (uint16_t)utf16(s, "TERMSRV/x"));
  k += av(ti + k, RD_NTLM_AV_CHANNEL_BINDINGS, bindings, sizeof bindings);
  k += av(ti + k, RD_NTLM_AV_NB_COMPUTER, s, (uint16_t)utf16(s, "FIRST"));
  k += av(ti + k, RD_NTLM_AV_NB_COMPUTER, s, (uint16_t)utf16(s, "SECOND")); /* repeat */
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  k += av(ti + k, RD_NTLM_AV_NB_DOMAIN, s, (uint16_t)utf16(s, "AFTER")); /* after EOL: ignored */
  size_t n = make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k);
  rd_ntlm_challenge ch = decode_ok(buf, n);
  assert_string_equal(ch.dns_tree, "corp.example");
  assert_true(ch.av_flags_present);
  assert_int_equal(ch.av_flags, 2);
  assert_true(ch.single_host_present);
  assert_true(ch.av_target_name_present);
  assert_true(ch.channel_bindings_present);
  assert_string_equal(ch.nb_computer, "FIRST");
  assert_string_equal(ch.nb_domain, "");
  assert_false(ch.timestamp_present);
  assert_int_equal(rd_cur_len(&ch.target_info), k);
}

static void test_rd_ntlm_decode_challenge_av_wrong_sizes(void **state) {
  uint8_t ti[64], buf[256];
  size_t k;
  k = av(ti, RD_NTLM_AV_FLAGS, "\x02\x00\x00", 3);
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  expect_malformed(buf, make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k));
  k = av(ti, RD_NTLM_AV_TIMESTAMP, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  expect_malformed(buf, make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k));
  k = av(ti, RD_NTLM_AV_DNS_DOMAIN, "a\0b", 3); /* odd UTF-16 */
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  expect_malformed(buf, make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k));
  k = av(ti, RD_NTLM_AV_EOL, "\0\0", 2); /* EOL with a value */
  expect_malformed(buf, make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k));
  k = av(ti, RD_NTLM_AV_TIMESTAMP, "\x00\x80\x3e\xd5\xde\xb1\x9d\x01", 8);
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  rd_ntlm_challenge ch = decode_ok(buf, make_challenge(buf, UNICODE_FLAGS, NULL, 0, ti, k));
  assert_true(ch.timestamp_present);
  assert_int_equal(ch.timestamp, 0x019db1ded53e8000u);
  assert_int_equal(rd_ntlm_filetime_to_unix(ch.timestamp), 0);
}

static void test_rd_ntlm_decode_challenge_odd_target_name(void **state) {
  uint8_t buf[sizeof spec_challenge];
  memcpy(buf, spec_challenge, sizeof buf);
  put16(buf + SPEC_TARGET_NAME_FIELDS, 11);
  expect_malformed(buf, sizeof buf);
  /* Without UNICODE the name is OEM: any length, only ASCII kept. */
  put32(buf + SPEC_FLAGS, (0xE28A8233u & ~RD_NTLM_NEGOTIATE_UNICODE) | RD_NTLM_NEGOTIATE_OEM);
  rd_ntlm_challenge ch = decode_ok(buf, sizeof buf);
  assert_string_equal(ch.target_name, "S" FFFD "e" FFFD "r" FFFD "v" FFFD "e" FFFD "r");
  static const uint8_t oem[] = {'S', 'r', 'v', 0xe9};
  uint8_t msg[128];
  ch = decode_ok(msg, make_challenge(msg, RD_NTLM_NEGOTIATE_OEM, oem, sizeof oem, NULL, 0));
  assert_string_equal(ch.target_name, "Srv" FFFD);
}

static void test_rd_ntlm_decode_challenge_invalid_utf16(void **state) {
  static const struct {
    uint8_t in[12];
    size_t n;
    const char *want;
  } cases[] = {
      {{'A', 0, 0x00, 0xd8, 'B', 0}, 6, "A" FFFD "B"},          /* lone high surrogate */
      {{'A', 0, 0x00, 0xdc, 'B', 0}, 6, "A" FFFD "B"},          /* lone low surrogate */
      {{'A', 0, 0x3d, 0xd8}, 4, "A" FFFD},                      /* high surrogate at the end */
      {{0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde}, 6, FFFD "\xf0\x9f\x98\x80"}, /* high, then a pair */
      {{0x3d, 0xd8, 0x00, 0xde}, 4, "\xf0\x9f\x98\x80"},        /* U+1F600 */
      {{'A', 0, 0, 0, 'B', 0}, 6, "A" FFFD "B"},                /* U+0000 */
      {{0xe9, 0x00, 0x2d, 0x4e, 0xff, 0xff}, 6, "\xc3\xa9\xe4\xb8\xad\xef\xbf\xbf"}, /* é 中 U+FFFF */
      {{0x7f, 0x00, 0x80, 0x00, 0xff, 0x07, 0x00, 0x08}, 8, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80"},
  };
  uint8_t buf[128];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t ti[32];
    size_t k = av(ti, RD_NTLM_AV_DNS_COMPUTER, cases[i].in, (uint16_t)cases[i].n);
    k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
    rd_ntlm_challenge ch =
        decode_ok(buf, make_challenge(buf, UNICODE_FLAGS, cases[i].in, cases[i].n, ti, k));
    assert_string_equal(ch.target_name, cases[i].want);
    assert_string_equal(ch.dns_computer, cases[i].want);
  }
}

static void test_rd_ntlm_decode_challenge_long_names(void **state) {
  static uint8_t name[2 * 300], ti[2 * 300 + 8], buf[2048];
  char want[RD_NTLM_NAME_MAX];
  for (size_t i = 0; i < 300; i++)
    put16(name + 2 * i, 'A');
  size_t k = av(ti, RD_NTLM_AV_DNS_DOMAIN, name, sizeof name);
  k += av(ti + k, RD_NTLM_AV_EOL, NULL, 0);
  rd_ntlm_challenge ch = decode_ok(buf, make_challenge(buf, UNICODE_FLAGS, name, 2 * 255, ti, k));
  memset(want, 'A', 255);
  want[255] = '\0';
  assert_string_equal(ch.target_name, want); /* exactly fits */
  assert_string_equal(ch.dns_domain, want);  /* cut */
  assert_int_equal(ch.truncated, RD_NTLM_TRUNC_DNS_DOMAIN);
  /* 254 ASCII bytes and a two-byte character: cut before the character, never inside it. */
  put16(name + 2 * 254, 0xe9);
  ch = decode_ok(buf, make_challenge(buf, UNICODE_FLAGS, name, 2 * 255, NULL, 0));
  want[254] = '\0';
  assert_string_equal(ch.target_name, want);
  assert_int_equal(ch.truncated, RD_NTLM_TRUNC_TARGET_NAME);
}

static void test_rd_ntlm_find_raw_and_wrapped(void **state) {
  uint8_t buf[sizeof spec_challenge + 32];
  rd_cur msg;
  /* Raw: the token is the message. */
  assert_int_equal(rd_ntlm_find(spec_challenge, sizeof spec_challenge, &msg), 0);
  assert_cur_at(&msg, spec_challenge, sizeof spec_challenge);
  /* An SPNEGO NegTokenResp around it, with a mechListMIC after it. */
  static const uint8_t head[] = {
      0xa1, 0x81, 0x80, 0x30, 0x7e, 0xa0, 0x03, 0x0a, 0x01, 0x01, /* accept-incomplete */
      0xa1, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a, /* NTLM */
      0xa2, 0x6a, 0x04, 0x68,                                     /* responseToken */
  };
  memcpy(buf, head, sizeof head);
  memcpy(buf + sizeof head, spec_challenge, sizeof spec_challenge);
  memcpy(buf + sizeof head + sizeof spec_challenge, "\xa3\x02\x04\x00", 4);
  assert_int_equal(sizeof head + sizeof spec_challenge + 4, sizeof buf);
  assert_int_equal(rd_ntlm_find(buf, sizeof buf, &msg), 0);
  assert_cur_at(&msg, buf + sizeof head, sizeof spec_challenge + 4);
  rd_ntlm_challenge ch = decode_ok(rd_cur_data(&msg), rd_cur_len(&msg));
  assert_string_equal(ch.nb_domain, "Domain");
}

static void test_rd_ntlm_find_not_found(void **state) {
  static const uint8_t partial[] = {'N', 'N', 'T', 'L', 'M', 'S', 'S', 'P'};      /* no NUL */
  static const uint8_t near[] = {'x', 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0x00}; /* found at 1 */
  static const uint8_t kerberos[] = {0x60, 0x82, 0x01, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48};
  rd_cur msg;
  assert_int_equal(rd_ntlm_find(partial, sizeof partial, &msg), RD_E_MALFORMED);
  assert_int_equal(rd_ntlm_find(kerberos, sizeof kerberos, &msg), RD_E_MALFORMED);
  assert_int_equal(rd_ntlm_find(spec_challenge, 7, &msg), RD_E_MALFORMED);
  assert_int_equal(rd_ntlm_find(NULL, 0, &msg), RD_E_MALFORMED);
  assert_int_equal(rd_ntlm_find(near, sizeof near, &msg), 0);
  assert_cur_at(&msg, near + 1, 8);
  assert_int_equal(rd_ntlm_find(spec_challenge, 8, &msg), 0);
  assert_cur_at(&msg, spec_challenge, 8);
}

static void test_rd_ntlm_filetime_to_unix_values(void **state) {
  assert_int_equal(rd_ntlm_filetime_to_unix(116444736000000000u), 0);
  assert_int_equal(rd_ntlm_filetime_to_unix(116444736009999999u), 0); /* rounded down */
  assert_int_equal(rd_ntlm_filetime_to_unix(116444736010000000u), 1);
  assert_true(rd_ntlm_filetime_to_unix(0) == -INT64_C(11644473600));
  assert_true(rd_ntlm_filetime_to_unix(UINT64_MAX) == INT64_C(1844674407370) - INT64_C(11644473600));
}


/* ---- AUTHENTICATE ---- */

/* MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE: Version but no MIC, so the payload starts at 72. */
static const uint8_t spec_authenticate[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, /*   0 "NTLMSSP\0" */
    0x03, 0x00, 0x00, 0x00,                         /*   8 MessageType 3 */
    0x18, 0x00, 0x18, 0x00, 0x6c, 0x00, 0x00, 0x00, /*  12 LmChallengeResponse 24 at 108 */
    0x54, 0x00, 0x54, 0x00, 0x84, 0x00, 0x00, 0x00, /*  20 NtChallengeResponse 84 at 132 */
    0x0c, 0x00, 0x0c, 0x00, 0x48, 0x00, 0x00, 0x00, /*  28 DomainName 12 at 72 */
    0x08, 0x00, 0x08, 0x00, 0x54, 0x00, 0x00, 0x00, /*  36 UserName 8 at 84 */
    0x10, 0x00, 0x10, 0x00, 0x5c, 0x00, 0x00, 0x00, /*  44 Workstation 16 at 92 */
    0x10, 0x00, 0x10, 0x00, 0xd8, 0x00, 0x00, 0x00, /*  52 EncryptedRandomSessionKey 16 at 216 */
    0x35, 0x82, 0x88, 0xe2,                         /*  60 NegotiateFlags 0xE2888235 */
    0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f, /*  64 Version 5.1 build 2600, revision 15 */
    0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, /* 72 "Domain" */
    0x55, 0x00, 0x73, 0x00, 0x65, 0x00, 0x72, 0x00, /*  84 "User" */
    0x43, 0x00, 0x4f, 0x00, 0x4d, 0x00, 0x50, 0x00, /*  92 "COMPUTER" */
    0x55, 0x00, 0x54, 0x00, 0x45, 0x00, 0x52, 0x00,
    0x86, 0xc3, 0x50, 0x97, 0xac, 0x9c, 0xec, 0x10, /* 108 LMv2: HMAC_MD5(...)[0..16] */
    0x25, 0x54, 0x76, 0x4a, 0x57, 0xcc, 0xcc, 0x19,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, /*      ‖ client challenge */
    0x68, 0xcd, 0x0a, 0xb8, 0x51, 0xe5, 0x1c, 0x96, /* 132 NTProofStr */
    0xaa, 0xbc, 0x92, 0x7b, 0xeb, 0xef, 0x6a, 0x1c,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 148 RespType 1, HiRespType 1, Z(6) */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 156 Timestamp 0 */
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, /* 164 client challenge */
    0x00, 0x00, 0x00, 0x00,                         /* 172 Z(4) */
    0x02, 0x00, 0x0c, 0x00,                         /* 176 MsvAvNbDomainName, 12 bytes */
    0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, /* "Domain" */
    0x01, 0x00, 0x0c, 0x00,                         /* 192 MsvAvNbComputerName, 12 bytes */
    0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, /* "Server" */
    0x00, 0x00, 0x00, 0x00,                         /* 208 MsvAvEOL */
    0x00, 0x00, 0x00, 0x00,                         /* 212 Z(4) */
    0xc5, 0xda, 0xd2, 0x54, 0x4f, 0xc9, 0x79, 0x90, /* 216 EncryptedRandomSessionKey */
    0x94, 0xce, 0x1c, 0xe9, 0x0b, 0xc9, 0xd0, 0x3e,
};
#define SPEC_AUTH_FLAGS 0xE2888235u

/* One payload field of an AUTHENTICATE at header offset at: its bytes, checked to lie inside. */
static rd_cur auth_field(const uint8_t *msg, size_t n, size_t at) {
  rd_cur c, f;
  uint16_t len = 0, max = 0;
  uint32_t off = 0;
  rd_cur_init(&c, msg + at, n - at);
  assert_true(rd_cur_get_u16le(&c, &len) && rd_cur_get_u16le(&c, &max) && rd_cur_get_u32le(&c, &off));
  assert_int_equal(len, max);
  assert_true(off <= n && len <= n - off);
  rd_cur_init(&f, msg + off, len);
  return f;
}

#define assert_span(span, ptr, n)                                                                  \
  do {                                                                                             \
    assert_int_equal(rd_cur_len(span), (n));                                                       \
    if ((n) > 0)                                                                                   \
      assert_memory_equal(rd_cur_data(span), (ptr), (n));                                          \
  } while (0)

/* The 4.2.4 inputs, and the responses src/auth computes from them. */
typedef struct spec_auth {
  uint8_t lm[RD_NTLM_LMV2_LEN], nt[RD_NTLMV2_RESPONSE_LEN(36)], esk[16];
  size_t nt_len;
  rd_ntlm_authenticate a;
} spec_auth;

static void spec_auth_init(spec_auth *s) {
  static const uint8_t server_challenge[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  static const uint8_t client_challenge[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
  uint8_t random_session_key[16], key[16], proof[16], base[16];
  memset(random_session_key, 0x55, sizeof random_session_key);
  rd_crypto *c = rd_crypto_new(NULL);
  assert_non_null(c);
  assert_int_equal(rd_ntowfv2(c, "Password", "User", "Domain", key), 0);
  assert_int_equal(rd_ntlmv2_response(c, key, server_challenge, client_challenge, 0,
                                      spec_challenge + SPEC_TARGET_INFO, 36, s->nt, sizeof s->nt,
                                      &s->nt_len, proof, base),
                   0);
  assert_int_equal(rd_lmv2_response(c, key, server_challenge, client_challenge, false, s->lm), 0);
  assert_int_equal(rd_ntlm_encrypt_session_key(c, base, random_session_key, s->esk), 0);
  rd_crypto_free(c);
  memset(&s->a, 0, sizeof s->a);
  s->a.flags = SPEC_AUTH_FLAGS;
  s->a.lm_response = s->lm;
  s->a.lm_len = sizeof s->lm;
  s->a.nt_response = s->nt;
  s->a.nt_len = s->nt_len;
  s->a.domain = "Domain";
  s->a.user = "User";
  s->a.workstation = "COMPUTER";
  s->a.encrypted_session_key = s->esk;
  s->a.esk_len = sizeof s->esk;
  s->a.version = (rd_ntlm_version){5, 1, 2600, 15};
}

static uint8_t *encode_auth(const rd_ntlm_authenticate *a, size_t *len, size_t *mic_offset) {
  rd_bld b;
  uint8_t *out;
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_encode_authenticate(a, &b, mic_offset), 0);
  assert_true(rd_bld_finish(&b, &out, len));
  return out;
}

/* Every field of msg decodes back to the inputs in s. */
static void check_auth_fields(const uint8_t *msg, size_t n, const spec_auth *s) {
  static const uint8_t domain[] = {'D', 0, 'o', 0, 'm', 0, 'a', 0, 'i', 0, 'n', 0};
  static const uint8_t user[] = {'U', 0, 's', 0, 'e', 0, 'r', 0};
  static const uint8_t ws[] = {'C', 0, 'O', 0, 'M', 0, 'P', 0, 'U', 0, 'T', 0, 'E', 0, 'R', 0};
  rd_cur f;
  assert_memory_equal(msg, "NTLMSSP", 8);
  assert_int_equal(msg[8], 3);
  f = auth_field(msg, n, 12);
  assert_span(&f, s->lm, sizeof s->lm);
  f = auth_field(msg, n, 20);
  assert_span(&f, s->nt, s->nt_len);
  f = auth_field(msg, n, 28);
  assert_span(&f, domain, sizeof domain);
  f = auth_field(msg, n, 36);
  assert_span(&f, user, sizeof user);
  f = auth_field(msg, n, 44);
  assert_span(&f, ws, sizeof ws);
  f = auth_field(msg, n, 52);
  assert_span(&f, s->esk, sizeof s->esk);
  assert_int_equal(msg[60] | msg[61] << 8 | msg[62] << 16 | (uint32_t)msg[63] << 24,
                   SPEC_AUTH_FLAGS);
}

static void test_rd_ntlm_encode_authenticate_spec_4_2_4_3(void **state) {
  spec_auth s;
  size_t len, mic = 99;
  spec_auth_init(&s);
  assert_int_equal(s.nt_len, 84);
  uint8_t *out = encode_auth(&s.a, &len, &mic);
  assert_int_equal(mic, 0);
  assert_int_equal(len, sizeof spec_authenticate);
  assert_memory_equal(out, spec_authenticate, len);
  check_auth_fields(out, len, &s);
  free(out);
}

static void test_rd_ntlm_encode_authenticate_with_mic(void **state) {
  spec_auth s;
  size_t len, mic = 0;
  static const uint8_t zero[16] = {0};
  spec_auth_init(&s);
  s.a.with_mic = true;
  uint8_t *out = encode_auth(&s.a, &len, &mic);
  assert_int_equal(mic, RD_NTLM_AUTHENTICATE_MIC_OFFSET);
  assert_int_equal(len, sizeof spec_authenticate + 16);
  /* The same message with 16 zero bytes after the Version and every offset 16 further on. */
  assert_memory_equal(out + 64, spec_authenticate + 64, 8);
  assert_memory_equal(out + mic, zero, 16);
  assert_memory_equal(out + RD_NTLM_AUTHENTICATE_HEADER_LEN, spec_authenticate + 72,
                      sizeof spec_authenticate - 72);
  check_auth_fields(out, len, &s);
  rd_cur f = auth_field(out, len, 28);
  assert_ptr_equal(rd_cur_data(&f), out + RD_NTLM_AUTHENTICATE_HEADER_LEN); /* domain first */
  free(out);
}

static void test_rd_ntlm_encode_authenticate_without_version(void **state) {
  spec_auth s;
  size_t len, mic;
  static const uint8_t zero[24] = {0};
  spec_auth_init(&s);
  /* No VERSION flag, no MIC: the payload starts right after the flags. */
  s.a.flags &= ~RD_NTLM_NEGOTIATE_VERSION;
  uint8_t *out = encode_auth(&s.a, &len, &mic);
  assert_int_equal(len, sizeof spec_authenticate - 8);
  assert_memory_equal(out + 64, spec_authenticate + 72, sizeof spec_authenticate - 72);
  rd_cur dom = auth_field(out, len, 28);
  assert_ptr_equal(rd_cur_data(&dom), out + 64);
  free(out);
  /* No VERSION flag with a MIC: the Version is there, all zero, so that the MIC stays at 72. */
  s.a.with_mic = true;
  out = encode_auth(&s.a, &len, &mic);
  assert_int_equal(mic, 72);
  assert_int_equal(len, sizeof spec_authenticate + 16);
  assert_memory_equal(out + 64, zero, 24);
  free(out);
  /* Empty everything: every offset still points at the payload start. */
  rd_ntlm_authenticate e;
  memset(&e, 0, sizeof e);
  e.flags = RD_NTLM_NEGOTIATE_UNICODE | RD_NTLM_NEGOTIATE_VERSION;
  e.version = (rd_ntlm_version)RD_NTLM_VERSION_DEFAULT;
  e.with_mic = true;
  out = encode_auth(&e, &len, NULL);
  assert_int_equal(len, 88);
  for (size_t at = 12; at < 60; at += 8) {
    rd_cur f = auth_field(out, len, at);
    assert_int_equal(rd_cur_len(&f), 0);
    assert_int_equal(out[at + 4], 88);
  }
  static const uint8_t ver[8] = {10, 0, 0x63, 0x45, 0, 0, 0, 15}; /* 10.0.17763 */
  assert_memory_equal(out + 64, ver, 8);
  free(out);
}

/* The file's bytes, read whole. */
static uint8_t *read_corpus(const char *rel, size_t *n) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", RD_TEST_SRCDIR, rel);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  uint8_t *buf = malloc(65536);
  assert_non_null(buf);
  *n = fread(buf, 1, 65536, f);
  fclose(f);
  return buf;
}

/* sspi-rs's AUTHENTICATE TSRequest: user "a", no domain or workstation, with a MIC. Read its
 * fields, encode them again and compare the bytes (the MIC copied over). */
static void test_rd_ntlm_encode_authenticate_sspi(void **state) {
  size_t n, len, mic;
  uint8_t *file = read_corpus("tests/fuzz/corpus/fuzz_tsrequest/sspi_authenticate", &n);
  rd_cur c;
  rd_tsrequest ts;
  rd_cur_init(&c, file, n);
  assert_int_equal(rd_tsrequest_decode(&c, &ts), 0);
  const uint8_t *m = rd_cur_data(&ts.nego_token);
  size_t mlen = rd_cur_len(&ts.nego_token);
  assert_int_equal(m[8], 3);
  rd_cur lm = auth_field(m, mlen, 12), nt = auth_field(m, mlen, 20),
         dom = auth_field(m, mlen, 28), user = auth_field(m, mlen, 36),
         ws = auth_field(m, mlen, 44), esk = auth_field(m, mlen, 52);
  static const uint8_t a_utf16[] = {'a', 0};
  assert_int_equal(rd_cur_len(&dom), 0);
  assert_span(&user, a_utf16, 2);
  assert_int_equal(rd_cur_len(&ws), 0);
  rd_ntlm_authenticate a;
  memset(&a, 0, sizeof a);
  a.flags = 0xE2888235u;
  a.lm_response = rd_cur_data(&lm);
  a.lm_len = rd_cur_len(&lm);
  a.nt_response = rd_cur_data(&nt);
  a.nt_len = rd_cur_len(&nt);
  a.domain = "";
  a.user = "a";
  a.workstation = NULL;
  a.encrypted_session_key = rd_cur_data(&esk);
  a.esk_len = rd_cur_len(&esk);
  a.version = (rd_ntlm_version){6, 1, 7601, 15};
  a.with_mic = true;
  uint8_t *out = encode_auth(&a, &len, &mic);
  assert_int_equal(len, mlen);
  memcpy(out + mic, m + mic, RD_NTLM_MIC_LEN);
  assert_memory_equal(out, m, len);
  free(out);

  /* Its NTLMv2 response carries the target info Windows sends: the server's pairs, MsvAvFlags
   * with the MIC bit, channel bindings and TERMSRV/0.0.0.0 before the EOL. */
  const uint8_t *ti = rd_cur_data(&nt) + 44;
  size_t ti_len = rd_cur_len(&nt) - 48;
  rd_cur tic;
  uint16_t id, alen;
  uint32_t flags = 0;
  bool saw_flags = false;
  rd_cur_init(&tic, ti, ti_len);
  while (rd_cur_get_u16le(&tic, &id) && rd_cur_get_u16le(&tic, &alen) && id != 0) {
    rd_cur v;
    assert_true(rd_cur_get_span(&tic, alen, &v));
    if (id == RD_NTLM_AV_FLAGS) {
      assert_true(rd_cur_get_u32le(&v, &flags));
      saw_flags = true;
    }
  }
  assert_true(saw_flags);
  assert_true(flags & RD_NTLM_AV_FLAG_MIC_PRESENT);
  free(file);
}

static void test_rd_ntlm_encode_authenticate_invalid(void **state) {
  spec_auth s;
  rd_bld b;
  size_t mic = 99;
  spec_auth_init(&s);
  rd_ntlm_authenticate a = s.a;
  rd_bld_init(&b, 1u << 20);
  assert_int_equal(rd_ntlm_encode_authenticate(NULL, &b, &mic), RD_E_INVALID);
  a.flags &= ~RD_NTLM_NEGOTIATE_UNICODE;
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), RD_E_INVALID);
  a = s.a;
  a.nt_response = NULL;
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), RD_E_INVALID);
  a = s.a;
  a.nt_len = 0x10000;
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), RD_E_INVALID);
  a = s.a;
  a.user = "bad\xc3";
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), RD_E_MALFORMED);
  /* A name of 32768 characters is 65536 bytes of UTF-16LE: one too many. */
  char *big = malloc(32769);
  assert_non_null(big);
  memset(big, 'x', 32768);
  big[32768] = '\0';
  a = s.a;
  a.workstation = big;
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), RD_E_INVALID);
  big[32767] = '\0'; /* 65534 bytes fit */
  a.lm_len = a.nt_len = a.esk_len = 0;
  assert_int_equal(rd_ntlm_encode_authenticate(&a, &b, &mic), 0);
  assert_int_equal(rd_bld_len(&b), 72 + 12 + 8 + 65534);
  rd_bld_cleanup(&b);
  free(big);
  /* Nothing was appended by the failures above; a builder too small fails with NOMEM. */
  rd_bld_init(&b, 100);
  assert_int_equal(rd_ntlm_encode_authenticate(&s.a, &b, &mic), RD_E_NOMEM);
  assert_int_equal(mic, 0);
  rd_bld_cleanup(&b);
}

/* The 4.2.4.3 server's list as the client sends it back with an SPN: the two names, MsvAvFlags
 * (MIC present), MsvAvTargetName, EOL. */
static void test_rd_ntlm_target_info_for_authenticate_spec(void **state) {
  static const uint8_t want[] = {
      0x02, 0x00, 0x0c, 0x00,                         /* MsvAvNbDomainName, 12 bytes */
      'D', 0, 'o', 0, 'm', 0, 'a', 0, 'i', 0, 'n', 0, /* "Domain" */
      0x01, 0x00, 0x0c, 0x00,                         /* MsvAvNbComputerName, 12 bytes */
      'S', 0, 'e', 0, 'r', 0, 'v', 0, 'e', 0, 'r', 0, /* "Server" */
      0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, /* MsvAvFlags: MIC present */
      0x09, 0x00, 0x12, 0x00,                         /* MsvAvTargetName, 18 bytes */
      'T', 0, 'E', 0, 'R', 0, 'M', 0, 'S', 0, 'R', 0, 'V', 0, '/', 0, 'h', 0, /* "TERMSRV/h" */
      0x00, 0x00, 0x00, 0x00,                         /* MsvAvEOL */
  };
  rd_cur ti;
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_cur_init(&ti, spec_challenge + SPEC_TARGET_INFO, 36);
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, "TERMSRV/h", &b), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  assert_int_equal(len, sizeof want);
  assert_memory_equal(out, want, len);
  free(out);

  /* Without an SPN (NULL or empty): the names, MsvAvFlags, EOL. */
  for (int i = 0; i < 2; i++) {
    rd_bld_init(&b, 4096);
    assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, i ? "" : NULL, &b), 0);
    assert_true(rd_bld_finish(&b, &out, &len));
    assert_int_equal(len, 32 + 8 + 4);
    assert_memory_equal(out, want, 40);
    assert_memory_equal(out + 40, want + sizeof want - 4, 4);
    free(out);
  }
}

static void test_rd_ntlm_target_info_for_authenticate_flags_and_target(void **state) {
  /* The server's MsvAvFlags (constrained, 0x1) gets the MIC bit in place; its MsvAvTargetName is
   * replaced by ours; bytes after its EOL are dropped. */
  static const uint8_t server[] = {
      0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, /* MsvAvFlags 0x1 */
      0x09, 0x00, 0x02, 0x00, 'x', 0,                 /* MsvAvTargetName "x" */
      0x07, 0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, /* MsvAvTimestamp */
      0x00, 0x00, 0x00, 0x00,                         /* MsvAvEOL */
      0xee, 0xee,                                     /* after the EOL */
  };
  static const uint8_t want[] = {
      0x06, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00, /* MsvAvFlags 0x1 | MIC present */
      0x07, 0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, /* MsvAvTimestamp */
      0x09, 0x00, 0x02, 0x00, 'y', 0,                 /* MsvAvTargetName "y" */
      0x00, 0x00, 0x00, 0x00,                         /* MsvAvEOL */
  };
  rd_cur ti;
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_cur_init(&ti, server, sizeof server);
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, "y", &b), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  assert_int_equal(len, sizeof want);
  assert_memory_equal(out, want, len);
  free(out);

  /* Without an SPN the server's TargetName stays. */
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, NULL, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  assert_int_equal(len, sizeof server - 2);
  assert_memory_equal(out + 8, server + 8, sizeof server - 8 - 2);
  assert_int_equal(out[4], 3);
  free(out);

  /* A repeated MsvAvFlags (here of a wrong size) is dropped: the first counts, as in the
   * CHALLENGE decoder. */
  static const uint8_t twice[] = {
      0x06, 0x00, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00, /* MsvAvFlags 0x20 */
      0x06, 0x00, 0x02, 0x00, 0x01, 0x00,             /* MsvAvFlags again, 2 bytes */
      0x00, 0x00, 0x00, 0x00,                         /* MsvAvEOL */
  };
  static const uint8_t once[] = {
      0x06, 0x00, 0x04, 0x00, 0x22, 0x00, 0x00, 0x00, /* MsvAvFlags 0x20 | MIC present */
      0x00, 0x00, 0x00, 0x00,                         /* MsvAvEOL */
  };
  rd_cur_init(&ti, twice, sizeof twice);
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, NULL, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  assert_int_equal(len, sizeof once);
  assert_memory_equal(out, once, len);
  free(out);

  /* An old server without TargetInfo: MsvAvFlags and EOL only. */
  static const uint8_t minimal[] = {0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00};
  rd_cur_init(&ti, NULL, 0);
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, NULL, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &len));
  assert_int_equal(len, sizeof minimal);
  assert_memory_equal(out, minimal, len);
  free(out);
}

static void test_rd_ntlm_target_info_for_authenticate_malformed(void **state) {
  static const uint8_t no_eol[] = {0x01, 0x00, 0x02, 0x00, 'a', 0};
  static const uint8_t eol_len[] = {0x00, 0x00, 0x02, 0x00, 0, 0};
  static const uint8_t past_end[] = {0x01, 0x00, 0x08, 0x00, 'a', 0, 0, 0, 0, 0};
  static const uint8_t flags_short[] = {0x06, 0x00, 0x02, 0x00, 1, 0, 0, 0, 0, 0};
  static const uint8_t cut_header[] = {0x01, 0x00, 0x00};
  static const struct {
    const uint8_t *p;
    size_t n;
  } bad[] = {
      {no_eol, sizeof no_eol},         {eol_len, sizeof eol_len},
      {past_end, sizeof past_end},     {flags_short, sizeof flags_short},
      {cut_header, sizeof cut_header}, {spec_challenge + SPEC_TARGET_INFO, 35}, /* EOL cut */
  };
  rd_cur ti;
  rd_bld b;
  rd_bld_init(&b, 4096);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur_init(&ti, bad[i].p, bad[i].n);
    assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, "TERMSRV/h", &b), RD_E_MALFORMED);
    assert_int_equal(rd_bld_len(&b), 0);
  }
  rd_cur_init(&ti, spec_challenge + SPEC_TARGET_INFO, 36);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, "TERMSRV/\xff", &b), RD_E_MALFORMED);
  assert_int_equal(rd_bld_len(&b), 0);
  rd_bld_cleanup(&b);
  rd_bld_init(&b, 16);
  assert_int_equal(rd_ntlm_target_info_for_authenticate(ti, "TERMSRV/h", &b), RD_E_NOMEM);
  rd_bld_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_ntlm_encode_negotiate_nmap),
      cmocka_unit_test(test_rd_ntlm_encode_negotiate_sspi),
      cmocka_unit_test(test_rd_ntlm_encode_negotiate_without_version),
      cmocka_unit_test(test_rd_ntlm_encode_negotiate_invalid),
      cmocka_unit_test(test_rd_ntlm_encode_negotiate_in_tsrequest),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_spec_4_2_4_3),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_sspi_vgpc),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_sspi_win10),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_exact_fit),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_one_byte_short),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_trailing_byte),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_giant_length),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_offsets_past_end),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_empty_fields),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_overlap),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_no_version),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_no_target_info),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_wrong_header),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_av_list_without_eol),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_av_pairs),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_av_wrong_sizes),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_odd_target_name),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_invalid_utf16),
      cmocka_unit_test(test_rd_ntlm_decode_challenge_long_names),
      cmocka_unit_test(test_rd_ntlm_find_raw_and_wrapped),
      cmocka_unit_test(test_rd_ntlm_find_not_found),
      cmocka_unit_test(test_rd_ntlm_filetime_to_unix_values),
      cmocka_unit_test(test_rd_ntlm_encode_authenticate_spec_4_2_4_3),
      cmocka_unit_test(test_rd_ntlm_encode_authenticate_with_mic),
      cmocka_unit_test(test_rd_ntlm_encode_authenticate_without_version),
      cmocka_unit_test(test_rd_ntlm_encode_authenticate_sspi),
      cmocka_unit_test(test_rd_ntlm_encode_authenticate_invalid),
      cmocka_unit_test(test_rd_ntlm_target_info_for_authenticate_spec),
      cmocka_unit_test(test_rd_ntlm_target_info_for_authenticate_flags_and_target),
      cmocka_unit_test(test_rd_ntlm_target_info_for_authenticate_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
