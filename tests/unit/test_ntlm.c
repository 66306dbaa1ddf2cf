/* NTLM NEGOTIATE encoder and CHALLENGE decoder: the MS-NLMP 4.2.4.3 CHALLENGE (reference §4.6), the
 * nmap NEGOTIATE (reference §4.5) and the CHALLENGE messages inside sspi-rs's TSRequest vectors
 * (reference §7, bytes only), plus the edge cases: no TargetInfo, no Version, offsets past the end,
 * AV lists without EOL, giant AvLen, odd UTF-16, invalid UTF-16, long names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
