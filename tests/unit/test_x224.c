/* TPKT framing and X.224: golden bytes from MS-RDPBCGR 4.1.1/4.1.2, IronRDP, CloudStack and our
 * test-lab captures (reference §3.7, test-lab.md §3), each checked in both directions, plus the
 * decoder edge cases: one byte short, giant length, trailing byte, exact fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/x224.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* MS-RDPBCGR 4.1.1 Client X.224 Connection Request. */
static const uint8_t spec_cr[] = {
    0x03, 0x00, 0x00, 0x2c,             /* TPKT v3, length 44 */
    0x27,                               /* LI 39 */
    0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* CR, dst 0, src 0, class 0 */
    'C', 'o', 'o', 'k', 'i', 'e', ':', ' ', 'm', 's', 't', 's', 'h', 'a', 's', 'h', '=',
    'e', 'l', 't', 'o', 'n', 's', '\r', '\n', /* "Cookie: mstshash=eltons\r\n" */
    0x01, 0x00, 0x08, 0x00,             /* RDP_NEG_REQ, flags 0, length 8 */
    0x00, 0x00, 0x00, 0x00,             /* PROTOCOL_RDP */
};

/* IronRDP: CR without cookie or negotiation data. */
static const uint8_t ironrdp_cr_legacy[] = {
    0x03, 0x00, 0x00, 0x0b,             /* TPKT v3, length 11 */
    0x06, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* LI 6, CR, dst 0, src 0, class 0 */
};

#define USER_COOKIE                                                                                \
  'C', 'o', 'o', 'k', 'i', 'e', ':', ' ', 'm', 's', 't', 's', 'h', 'a', 's', 'h', '=', 'U', 's',   \
      'e', 'r', '\r', '\n'

/* IronRDP: cookie "User", no negotiation data. */
static const uint8_t ironrdp_cr_cookie[] = {
    0x03, 0x00, 0x00, 0x22,             /* TPKT v3, length 34 */
    0x1d, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* LI 29, CR */
    USER_COOKIE,                        /* "Cookie: mstshash=User\r\n" */
};

/* IronRDP: cookie "User", SSL|HYBRID. */
static const uint8_t ironrdp_cr_ssl_hybrid[] = {
    0x03, 0x00, 0x00, 0x2a,             /* TPKT v3, length 42 */
    0x25, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* LI 37, CR */
    USER_COOKIE,
    0x01, 0x00, 0x08, 0x00,             /* RDP_NEG_REQ, flags 0, length 8 */
    0x03, 0x00, 0x00, 0x00,             /* SSL | HYBRID */
};

/* IronRDP: the same with restricted admin + redirected authentication required. */
static const uint8_t ironrdp_cr_flags3[] = {
    0x03, 0x00, 0x00, 0x2a, 0x25, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, USER_COOKIE,
    0x01, 0x03, 0x08, 0x00,             /* RDP_NEG_REQ, flags 0x03, length 8 */
    0x03, 0x00, 0x00, 0x00,             /* SSL | HYBRID */
};

/* IronRDP: routing token instead of a cookie (decoded only). */
static const uint8_t ironrdp_cr_token[] = {
    0x03, 0x00, 0x00, 0x2f,             /* TPKT v3, length 47 */
    0x2a, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* LI 42, CR */
    'C', 'o', 'o', 'k', 'i', 'e', ':', ' ', 'm', 's', 't', 's', '=', '3', '6', '4', '0', '2',
    '0', '5', '2', '2', '8', '.', '1', '5', '6', '2', '9', '.', '0', '0', '0', '0', '\r', '\n',
};

static void expect_encoded_cr(const rd_x224_cr *req, const uint8_t *want, size_t want_len) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1024);
  assert_int_equal(rd_x224_encode_cr(req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, want_len);
  free(out);
}

static void expect_decoded_cr(const uint8_t *d, size_t n, const rd_x224_cr *want) {
  rd_cur c;
  rd_x224_cr cr;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_x224_decode_cr(&c, &cr), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(cr.dst_ref, want->dst_ref);
  assert_int_equal(cr.src_ref, want->src_ref);
  assert_int_equal(cr.class_opt, want->class_opt);
  assert_int_equal(cr.cookie != NULL, want->cookie != NULL);
  if (want->cookie != NULL) {
    assert_int_equal(cr.cookie_len, want->cookie_len);
    assert_memory_equal(cr.cookie, want->cookie, want->cookie_len);
  }
  assert_int_equal(cr.routing_token != NULL, want->routing_token != NULL);
  if (want->routing_token != NULL) {
    assert_int_equal(cr.routing_token_len, want->routing_token_len);
    assert_memory_equal(cr.routing_token, want->routing_token, want->routing_token_len);
  }
  assert_int_equal(cr.nego_present, want->nego_present);
  assert_int_equal(cr.nego_flags, want->nego_flags);
  assert_int_equal(cr.requested_protocols, want->requested_protocols);
  assert_int_equal(cr.correlation_present, want->correlation_present);
  if (want->correlation_present)
    assert_memory_equal(cr.correlation_id, want->correlation_id, 16);
}

static void test_rd_x224_encode_cr_spec_4_1_1(void **state) {
  rd_x224_cr req = {.cookie = (const uint8_t *)"eltons", .cookie_len = 6, .nego_present = true,
                    .requested_protocols = RD_X224_PROTOCOL_RDP};
  expect_encoded_cr(&req, spec_cr, sizeof spec_cr);
  expect_decoded_cr(spec_cr, sizeof spec_cr, &req);
}

static void test_rd_x224_encode_cr_ironrdp_vectors(void **state) {
  rd_x224_cr legacy = {0};
  rd_x224_cr cookie = {.cookie = (const uint8_t *)"User", .cookie_len = 4};
  rd_x224_cr ssl_hybrid = {.cookie = (const uint8_t *)"User", .cookie_len = 4,
                           .nego_present = true,
                           .requested_protocols =
                               RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID};
  rd_x224_cr flags3 = ssl_hybrid;
  flags3.nego_flags = RD_X224_REQ_RESTRICTED_ADMIN_MODE_REQUIRED |
                      RD_X224_REQ_REDIRECTED_AUTHENTICATION_MODE_REQUIRED;
  expect_encoded_cr(&legacy, ironrdp_cr_legacy, sizeof ironrdp_cr_legacy);
  expect_decoded_cr(ironrdp_cr_legacy, sizeof ironrdp_cr_legacy, &legacy);
  expect_encoded_cr(&cookie, ironrdp_cr_cookie, sizeof ironrdp_cr_cookie);
  expect_decoded_cr(ironrdp_cr_cookie, sizeof ironrdp_cr_cookie, &cookie);
  expect_encoded_cr(&ssl_hybrid, ironrdp_cr_ssl_hybrid, sizeof ironrdp_cr_ssl_hybrid);
  expect_decoded_cr(ironrdp_cr_ssl_hybrid, sizeof ironrdp_cr_ssl_hybrid, &ssl_hybrid);
  expect_encoded_cr(&flags3, ironrdp_cr_flags3, sizeof ironrdp_cr_flags3);
  expect_decoded_cr(ironrdp_cr_flags3, sizeof ironrdp_cr_flags3, &flags3);
}

static void test_rd_x224_encode_cr_lab_requests(void **state) {
  /* The test lab's requests: 03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 PP 00 00 00. */
  static const uint32_t protocols[] = {0, 1, 2, 3, 8, 11, 4, 0x10};
  for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
    uint8_t want[] = {0x03, 0x00, 0x00, 0x13,             /* TPKT v3, length 19 */
                      0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, /* LI 14, CR */
                      0x01, 0x00, 0x08, 0x00,             /* RDP_NEG_REQ, flags 0, length 8 */
                      (uint8_t)protocols[i], 0x00, 0x00, 0x00}; /* requestedProtocols */
    rd_x224_cr req = {.nego_present = true, .requested_protocols = protocols[i]};
    expect_encoded_cr(&req, want, sizeof want);
    expect_decoded_cr(want, sizeof want, &req);
  }
}

static void test_rd_x224_encode_cr_correlation_info(void **state) {
  rd_x224_cr req = {.nego_present = true,
                    .nego_flags = RD_X224_REQ_CORRELATION_INFO_PRESENT,
                    .requested_protocols = 3,
                    .correlation_present = true};
  for (int i = 0; i < 16; i++)
    req.correlation_id[i] = (uint8_t)(0x11 * (i + 1) + 1);
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 1024);
  assert_int_equal(rd_x224_encode_cr(&req, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 11 + 8 + 36);
  assert_int_equal(out[4], 6 + 8 + 36);     /* LI */
  assert_int_equal(out[19], 0x06);          /* RDP_NEG_CORRELATION_INFO */
  assert_int_equal(out[21], 36);            /* its length */
  assert_int_equal(out[23], req.correlation_id[0]); /* after type, flags, length */
  expect_decoded_cr(out, n, &req);
  free(out);
}

static void test_rd_x224_encode_cr_invalid(void **state) {
  rd_bld b;
  uint8_t *out;
  size_t n;
  static uint8_t big[250];
  memset(big, 'a', sizeof big);
  rd_x224_cr both = {.cookie = (const uint8_t *)"a", .cookie_len = 1,
                     .routing_token = (const uint8_t *)"b", .routing_token_len = 1};
  rd_x224_cr crlf = {.cookie = (const uint8_t *)"a\r\nb", .cookie_len = 4};
  rd_x224_cr flag_only = {.nego_present = true,
                          .nego_flags = RD_X224_REQ_CORRELATION_INFO_PRESENT};
  rd_x224_cr corr_only = {.nego_present = true, .correlation_present = true};
  rd_x224_cr no_nego_flags = {.nego_flags = 1};
  rd_x224_cr too_long = {.cookie = big, .cookie_len = sizeof big};
  const rd_x224_cr *bad[] = {&both, &crlf, &flag_only, &corr_only, &no_nego_flags, &too_long};
  rd_bld_init(&b, 1024);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(rd_x224_encode_cr(bad[i], &b), RD_E_INVALID);
  assert_int_equal(rd_bld_len(&b), 0); /* nothing appended */
  assert_true(rd_bld_finish(&b, &out, &n));
  free(out);
}

static void test_rd_x224_encode_cr_builder_failed(void **state) {
  rd_x224_cr req = {.nego_present = true};
  rd_bld b;
  rd_bld_init(&b, 18); /* one byte too small for the 19-byte CR */
  assert_int_equal(rd_x224_encode_cr(&req, &b), RD_E_NOMEM);
  rd_bld_cleanup(&b);
}

static void test_rd_x224_decode_cr_routing_token(void **state) {
  rd_x224_cr want = {.routing_token = (const uint8_t *)"3640205228.15629.0000",
                     .routing_token_len = 21};
  expect_decoded_cr(ironrdp_cr_token, sizeof ironrdp_cr_token, &want);
  expect_encoded_cr(&want, ironrdp_cr_token, sizeof ironrdp_cr_token);
}

static void test_rd_x224_decode_cr_malformed(void **state) {
  /* IronRDP's negative cases: a FAILURE where RDP_NEG_REQ belongs, a cookie without CR LF. */
  static const uint8_t type3[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0,
                                  0x03, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
  static const uint8_t no_crlf[] = {0x03, 0x00, 0x00, 0x20, 0x1b, 0xe0, 0, 0, 0, 0, 0,
                                    'C', 'o', 'o', 'k', 'i', 'e', ':', ' ', 'm', 's', 't',
                                    's', 'h', 'a', 's', 'h', '=', 'U', 's', 'e', 'r'};
  static const uint8_t other_cookie[] = {0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0, 0, 0, 0, 0,
                                         'C', 'o', 'o', 'k', 'i', 'e', ':', ' ', 'x', '\r', '\n'};
  static const uint8_t trailing[] = {0x03, 0x00, 0x00, 0x14, 0x0f, 0xe0, 0, 0, 0, 0, 0,
                                     0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t cc[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0};
  /* Correlation flag set but no correlation info after RDP_NEG_REQ. */
  static const uint8_t corr_missing[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0,
                                         0x01, 0x08, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
  const uint8_t *bad[] = {type3, no_crlf, other_cookie, trailing, cc, corr_missing};
  size_t lens[] = {sizeof type3,    sizeof no_crlf, sizeof other_cookie,
                   sizeof trailing, sizeof cc,      sizeof corr_missing};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur c;
    rd_x224_cr cr;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_int_equal(rd_x224_decode_cr(&c, &cr), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

/* Connection Confirm vectors. */

/* MS-RDPBCGR 4.1.2. */
static const uint8_t spec_cc[] = {
    0x03, 0x00, 0x00, 0x13,             /* TPKT v3, length 19 */
    0x0e, 0xd0,                         /* LI 14, CC */
    0x00, 0x00, 0x12, 0x34, 0x00,       /* dst 0, src 0x1234, class 0 */
    0x02, 0x00, 0x08, 0x00,             /* RDP_NEG_RSP, flags 0, length 8 */
    0x00, 0x00, 0x00, 0x00,             /* PROTOCOL_RDP */
};

/* Legacy CC, no negotiation data (xrdp's answer to a bare CR, "L" in test-lab.md). */
static const uint8_t legacy_cc[] = {
    0x03, 0x00, 0x00, 0x0b,             /* TPKT v3, length 11 */
    0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, /* LI 6, CC, dst 0, src 0x1234, class 0 */
};

/* A CC of 19 bytes with the given references and 8-byte negotiation structure. */
#define CC19(src_hi, src_lo, type, flags, value)                                                   \
  {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, src_hi, src_lo, 0x00,                           \
   type, flags, 0x08, 0x00, value, 0x00, 0x00, 0x00}

static const struct cc_vector {
  const char *name;
  uint8_t d[19];
  uint16_t src_ref;
  uint8_t type, flags;
  uint32_t value;
} cc_vectors[] = {
    {"ironrdp rsp flags 0x1f hybrid", CC19(0x00, 0x00, 0x02, 0x1f, 0x02), 0, 2, 0x1f, 2},
    {"ironrdp failure 6", CC19(0x00, 0x00, 0x03, 0x00, 0x06), 0, 3, 0, 6},
    {"cloudstack failure 5", CC19(0x12, 0x34, 0x03, 0x00, 0x05), 0x1234, 3, 0, 5},
    {"xrdp R0", CC19(0x12, 0x34, 0x02, 0x01, 0x00), 0x1234, 2, 0x01, 0},
    {"xrdp R1", CC19(0x12, 0x34, 0x02, 0x01, 0x01), 0x1234, 2, 0x01, 1},
    {"xrdp F1", CC19(0x12, 0x34, 0x03, 0x00, 0x01), 0x1234, 3, 0, 1},
    {"xrdp F3", CC19(0x12, 0x34, 0x03, 0x00, 0x03), 0x1234, 3, 0, 3},
    {"shadow R2 flags 0x03", CC19(0x00, 0x00, 0x02, 0x03, 0x02), 0, 2, 0x03, 2},
    {"shadow R1", CC19(0x00, 0x00, 0x02, 0x03, 0x01), 0, 2, 0x03, 1},
    {"shadow F2", CC19(0x00, 0x00, 0x03, 0x00, 0x02), 0, 3, 0, 2},
    {"shadow F5", CC19(0x00, 0x00, 0x03, 0x00, 0x05), 0, 3, 0, 5},
};

static void expect_cc_both_ways(const uint8_t *d, size_t n, const rd_x224_cc *want) {
  rd_cur c;
  rd_x224_cc cc;
  rd_bld b;
  uint8_t *out;
  size_t out_len;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_x224_decode_cc(&c, &cc), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(cc.li, want->li);
  assert_int_equal(cc.dst_ref, want->dst_ref);
  assert_int_equal(cc.src_ref, want->src_ref);
  assert_int_equal(cc.class_opt, want->class_opt);
  assert_int_equal(cc.nego_present, want->nego_present);
  assert_int_equal(cc.nego_type, want->nego_type);
  assert_int_equal(cc.nego_flags, want->nego_flags);
  assert_int_equal(cc.selected_protocol, want->selected_protocol);
  assert_int_equal(cc.failure_code, want->failure_code);
  rd_bld_init(&b, 64);
  assert_int_equal(rd_x224_encode_cc(want, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &out_len));
  assert_int_equal(out_len, n);
  assert_memory_equal(out, d, n);
  free(out);
}

static void test_rd_x224_decode_cc_spec_4_1_2(void **state) {
  rd_x224_cc want = {.li = 14, .src_ref = 0x1234, .nego_present = true,
                     .nego_type = RD_X224_NEG_RSP, .selected_protocol = RD_X224_PROTOCOL_RDP};
  expect_cc_both_ways(spec_cc, sizeof spec_cc, &want);
}

static void test_rd_x224_decode_cc_legacy(void **state) {
  rd_x224_cc want = {.li = 6, .src_ref = 0x1234};
  expect_cc_both_ways(legacy_cc, sizeof legacy_cc, &want);
}

static void test_rd_x224_decode_cc_vectors(void **state) {
  for (size_t i = 0; i < sizeof cc_vectors / sizeof cc_vectors[0]; i++) {
    const struct cc_vector *v = &cc_vectors[i];
    rd_x224_cc want = {.li = 14, .src_ref = v->src_ref, .nego_present = true,
                       .nego_type = v->type, .nego_flags = v->flags};
    if (v->type == RD_X224_NEG_RSP)
      want.selected_protocol = v->value;
    else
      want.failure_code = v->value;
    print_message("%s\n", v->name);
    expect_cc_both_ways(v->d, sizeof v->d, &want);
  }
}

static void expect_cc_malformed(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_x224_cc cc;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_x224_decode_cc(&c, &cc), RD_E_MALFORMED);
  assert_cur_at(&c, d, n);
}

static void test_rd_x224_decode_cc_exact_fit(void **state) {
  rd_cur c;
  rd_x224_cc cc;
  rd_cur_init(&c, spec_cc, sizeof spec_cc);
  assert_int_equal(rd_x224_decode_cc(&c, &cc), 0);
  assert_cur_at(&c, spec_cc + sizeof spec_cc, 0);
}

static void test_rd_x224_decode_cc_one_byte_short(void **state) {
  expect_cc_malformed(spec_cc, sizeof spec_cc - 1);
  expect_cc_malformed(legacy_cc, sizeof legacy_cc - 1);
  expect_cc_malformed(spec_cc, 3);
}

static void test_rd_x224_decode_cc_giant_length(void **state) {
  static const uint8_t tpkt_giant[] = {0x03, 0x00, 0xff, 0xff, 0x0e, 0xd0, 0, 0, 0, 0, 0,
                                       0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t li_giant[] = {0x03, 0x00, 0x00, 0x13, 0xfe, 0xd0, 0, 0, 0, 0, 0,
                                     0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t neg_giant[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0,
                                      0x02, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
  expect_cc_malformed(tpkt_giant, sizeof tpkt_giant);
  expect_cc_malformed(li_giant, sizeof li_giant);
  expect_cc_malformed(neg_giant, sizeof neg_giant);
}

static void test_rd_x224_decode_cc_trailing_byte(void **state) {
  /* Inside the TPKT, after the declared structure: malformed. */
  static const uint8_t in_tpkt[] = {0x03, 0x00, 0x00, 0x14, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0,
                                    0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t in_li[] = {0x03, 0x00, 0x00, 0x14, 0x0f, 0xd0, 0, 0, 0x12, 0x34, 0,
                                  0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t legacy_plus[] = {0x03, 0x00, 0x00, 0x0c, 0x07, 0xd0, 0, 0, 0x12, 0x34, 0,
                                        0x00};
  expect_cc_malformed(in_tpkt, sizeof in_tpkt);
  expect_cc_malformed(in_li, sizeof in_li);
  expect_cc_malformed(legacy_plus, sizeof legacy_plus);
  /* After the TPKT: the decoder stops at the frame's end and leaves the byte to the caller. */
  uint8_t after[sizeof spec_cc + 1];
  memcpy(after, spec_cc, sizeof spec_cc);
  after[sizeof spec_cc] = 0x16;
  rd_cur c;
  rd_x224_cc cc;
  rd_cur_init(&c, after, sizeof after);
  assert_int_equal(rd_x224_decode_cc(&c, &cc), 0);
  assert_cur_at(&c, after + sizeof spec_cc, 1);
}

static void test_rd_x224_decode_cc_malformed(void **state) {
  static const uint8_t type_af[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0,
                                    0xaf, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t type_req[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0,
                                     0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t neg_len9[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0,
                                     0x02, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t neg_len9_9bytes[] = {0x03, 0x00, 0x00, 0x14, 0x0f, 0xd0, 0, 0, 0, 0, 0,
                                            0x02, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t li_too_large[] = {0x03, 0x00, 0x00, 0x13, 0x0f, 0xd0, 0, 0, 0, 0, 0,
                                         0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t li_too_small[] = {0x03, 0x00, 0x00, 0x13, 0x0d, 0xd0, 0, 0, 0, 0, 0,
                                         0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t li_zero[] = {0x03, 0x00, 0x00, 0x05, 0x00};
  static const uint8_t tpkt_6[] = {0x03, 0x00, 0x00, 0x06, 0x01, 0xd0};
  static const uint8_t tpkt_v2[] = {0x02, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0};
  static const uint8_t not_cc[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0, 0, 0, 0, 0};
  static const uint8_t li_short_var[] = {0x03, 0x00, 0x00, 0x0f, 0x0a, 0xd0, 0, 0, 0, 0, 0,
                                         0x02, 0x00, 0x08, 0x00};
  static const uint8_t li5[] = {0x03, 0x00, 0x00, 0x0a, 0x05, 0xd0, 0, 0, 0x12, 0x34};
  const uint8_t *bad[] = {type_af,   type_req,  neg_len9, neg_len9_9bytes, li_too_large,
                          li_too_small, li_zero, tpkt_6,   tpkt_v2,         not_cc,
                          li_short_var, li5};
  size_t lens[] = {sizeof type_af,      sizeof type_req, sizeof neg_len9, sizeof neg_len9_9bytes,
                   sizeof li_too_large, sizeof li_too_small, sizeof li_zero, sizeof tpkt_6,
                   sizeof tpkt_v2,      sizeof not_cc,   sizeof li_short_var, sizeof li5};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    print_message("case %zu\n", i);
    expect_cc_malformed(bad[i], lens[i]);
  }
}

static void test_rd_x224_encode_cc_invalid(void **state) {
  rd_x224_cc cc = {.nego_present = true, .nego_type = 0xaf};
  rd_bld b;
  rd_bld_init(&b, 64);
  assert_int_equal(rd_x224_encode_cc(&cc, &b), RD_E_INVALID);
  rd_bld_cleanup(&b);
}

/* Framing. */

static void test_rd_tpkt_frame_need_exact_fit(void **state) {
  size_t need = 0;
  assert_int_equal(rd_tpkt_frame_need(spec_cc, sizeof spec_cc, 65535, &need), 0);
  assert_int_equal(need, sizeof spec_cc);
  assert_int_equal(rd_tpkt_frame_need(spec_cc, 4, 65535, &need), 0);
  assert_int_equal(need, 19);
}

static void test_rd_tpkt_frame_need_one_byte_short(void **state) {
  size_t need = 0;
  for (size_t n = 0; n < 4; n++)
    assert_int_equal(rd_tpkt_frame_need(spec_cc, n, 65535, &need), RD_E_SHORT);
}

static void test_rd_tpkt_frame_need_giant_length(void **state) {
  static const uint8_t d[] = {0x03, 0x00, 0xff, 0xff};
  size_t need = 0;
  assert_int_equal(rd_tpkt_frame_need(d, sizeof d, 16384, &need), RD_E_TOO_BIG);
  assert_int_equal(rd_tpkt_frame_need(d, sizeof d, 65535, &need), 0);
  assert_int_equal(need, 65535);
  assert_int_equal(rd_tpkt_frame_need(spec_cc, 4, 18, &need), RD_E_TOO_BIG);
}

static void test_rd_tpkt_frame_need_other_service(void **state) {
  /* The first byte decides: an HTTP or SSH banner, a TLS record, a Fast-Path PDU. */
  static const uint8_t http[] = "HTTP/1.1 400";
  static const uint8_t tls[] = {0x16, 0x03, 0x01};
  static const uint8_t ssh[] = "SSH-2.0";
  static const uint8_t reserved[] = {0x03, 0x01};
  static const uint8_t len3[] = {0x03, 0x00, 0x00, 0x03};
  size_t need = 0;
  assert_int_equal(rd_tpkt_frame_need(http, 1, 65535, &need), RD_E_MALFORMED);
  assert_int_equal(rd_tpkt_frame_need(tls, 1, 65535, &need), RD_E_MALFORMED);
  assert_int_equal(rd_tpkt_frame_need(ssh, 1, 65535, &need), RD_E_MALFORMED);
  assert_int_equal(rd_tpkt_frame_need(reserved, 2, 65535, &need), RD_E_MALFORMED);
  assert_int_equal(rd_tpkt_frame_need(len3, 4, 65535, &need), RD_E_MALFORMED);
}

/* Data TPDU and Disconnect Request. */

/* Lab capture: xrdp with a key/cert mismatch answers the ClientHello in plaintext. */
static const uint8_t lab_mcs_dpu[] = {
    0x03, 0x00, 0x00, 0x09,             /* TPKT v3, length 9 */
    0x02, 0xf0, 0x80,                   /* LI 2, DT, EOT */
    0x21, 0x80,                         /* MCS Disconnect Provider Ultimatum */
};

/* IronRDP DT vector. */
static const uint8_t ironrdp_dt[] = {
    0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, /* TPKT length 12, DT header */
    0x04, 0x01, 0x00, 0x01, 0x00,       /* 5 bytes of payload */
};

static void expect_dt_both_ways(const uint8_t *d, size_t n) {
  rd_cur c, user;
  rd_bld b, dt;
  uint8_t *out;
  size_t out_len;
  rd_cur_init(&c, d, n);
  assert_int_equal(rd_x224_decode_dt(&c, &user), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_ptr_equal(rd_cur_data(&user), d + 7);
  assert_int_equal(rd_cur_len(&user), n - 7);
  rd_bld_init(&b, 64);
  assert_true(rd_x224_add_dt(&b, &dt));
  assert_true(rd_bld_add_bytes(&dt, rd_cur_data(&user), rd_cur_len(&user)));
  assert_true(rd_bld_close(&dt));
  assert_true(rd_bld_finish(&b, &out, &out_len));
  assert_int_equal(out_len, n);
  assert_memory_equal(out, d, n);
  free(out);
}

static void test_rd_x224_decode_dt_vectors(void **state) {
  expect_dt_both_ways(lab_mcs_dpu, sizeof lab_mcs_dpu);
  expect_dt_both_ways(ironrdp_dt, sizeof ironrdp_dt);
  static const uint8_t empty[] = {0x03, 0x00, 0x00, 0x07, 0x02, 0xf0, 0x80};
  expect_dt_both_ways(empty, sizeof empty); /* exact fit, no payload */
}

static void test_rd_x224_decode_dt_malformed(void **state) {
  static const uint8_t li3[] = {0x03, 0x00, 0x00, 0x09, 0x03, 0xf0, 0x80, 0x21, 0x80};
  static const uint8_t no_eot[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x00, 0x21, 0x80};
  static const uint8_t giant[] = {0x03, 0x00, 0x80, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80};
  const uint8_t *bad[] = {li3, no_eot, giant, lab_mcs_dpu, legacy_cc};
  size_t lens[] = {sizeof li3, sizeof no_eot, sizeof giant, sizeof lab_mcs_dpu - 1,
                   sizeof legacy_cc};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur c, user;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_int_equal(rd_x224_decode_dt(&c, &user), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

static void test_rd_x224_decode_dr_both_ways(void **state) {
  static const uint8_t dr[] = {
      0x03, 0x00, 0x00, 0x0b,           /* TPKT v3, length 11 */
      0x06, 0x80,                       /* LI 6, DR */
      0x00, 0x00, 0x12, 0x34,           /* dst 0, src 0x1234 */
      0x02,                             /* reason 2 */
  };
  static const uint8_t dr_params[] = {
      0x03, 0x00, 0x00, 0x0e, 0x09, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00,
      0xe0, 0x01, 0x41,                 /* parameter 0xe0 (additional information), 1 byte */
  };
  const uint8_t *v[] = {dr, dr_params};
  size_t lens[] = {sizeof dr, sizeof dr_params};
  for (size_t i = 0; i < 2; i++) {
    rd_cur c;
    rd_x224_dr d;
    rd_bld b;
    uint8_t *out;
    size_t n;
    rd_cur_init(&c, v[i], lens[i]);
    assert_int_equal(rd_x224_decode_dr(&c, &d), 0);
    assert_true(rd_cur_is_empty(&c));
    assert_int_equal(d.li, v[i][4]);
    assert_int_equal(d.src_ref, 0x1234);
    assert_int_equal(d.reason, v[i][10]);
    assert_int_equal(rd_cur_len(&d.params), lens[i] - 11);
    rd_bld_init(&b, 64);
    assert_int_equal(rd_x224_encode_dr(&d, &b), 0);
    assert_true(rd_bld_finish(&b, &out, &n));
    assert_int_equal(n, lens[i]);
    assert_memory_equal(out, v[i], n);
    free(out);
  }
}

static void test_rd_x224_decode_dr_malformed(void **state) {
  static const uint8_t li5[] = {0x03, 0x00, 0x00, 0x0a, 0x05, 0x80, 0x00, 0x00, 0x12, 0x34};
  static const uint8_t trailing[] = {0x03, 0x00, 0x00, 0x0c, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34,
                                     0x00, 0x00};
  static const uint8_t dr[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00};
  const uint8_t *bad[] = {li5, trailing, dr, legacy_cc};
  size_t lens[] = {sizeof li5, sizeof trailing, sizeof dr - 1, sizeof legacy_cc};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rd_cur c;
    rd_x224_dr d;
    rd_cur_init(&c, bad[i], lens[i]);
    assert_int_equal(rd_x224_decode_dr(&c, &d), RD_E_MALFORMED);
    assert_cur_at(&c, bad[i], lens[i]);
  }
}

static void test_rd_x224_peek_type_dispatch(void **state) {
  static const uint8_t dr[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00};
  rd_cur c;
  uint8_t type = 0;
  rd_cur_init(&c, spec_cc, sizeof spec_cc);
  assert_int_equal(rd_x224_peek_type(&c, &type), 0);
  assert_int_equal(type, RD_X224_TPDU_CC);
  assert_cur_at(&c, spec_cc, sizeof spec_cc);
  rd_cur_init(&c, lab_mcs_dpu, sizeof lab_mcs_dpu);
  assert_int_equal(rd_x224_peek_type(&c, &type), 0);
  assert_int_equal(type, RD_X224_TPDU_DT);
  rd_cur_init(&c, dr, sizeof dr);
  assert_int_equal(rd_x224_peek_type(&c, &type), 0);
  assert_int_equal(type, RD_X224_TPDU_DR);
  rd_cur_init(&c, spec_cr, sizeof spec_cr);
  assert_int_equal(rd_x224_peek_type(&c, &type), 0);
  assert_int_equal(type, RD_X224_TPDU_CR);
  rd_cur_init(&c, spec_cc, sizeof spec_cc - 1);
  assert_int_equal(rd_x224_peek_type(&c, &type), RD_E_MALFORMED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_x224_encode_cr_spec_4_1_1),
      cmocka_unit_test(test_rd_x224_encode_cr_ironrdp_vectors),
      cmocka_unit_test(test_rd_x224_encode_cr_lab_requests),
      cmocka_unit_test(test_rd_x224_encode_cr_correlation_info),
      cmocka_unit_test(test_rd_x224_encode_cr_invalid),
      cmocka_unit_test(test_rd_x224_encode_cr_builder_failed),
      cmocka_unit_test(test_rd_x224_decode_cr_routing_token),
      cmocka_unit_test(test_rd_x224_decode_cr_malformed),
      cmocka_unit_test(test_rd_x224_decode_cc_spec_4_1_2),
      cmocka_unit_test(test_rd_x224_decode_cc_legacy),
      cmocka_unit_test(test_rd_x224_decode_cc_vectors),
      cmocka_unit_test(test_rd_x224_decode_cc_exact_fit),
      cmocka_unit_test(test_rd_x224_decode_cc_one_byte_short),
      cmocka_unit_test(test_rd_x224_decode_cc_giant_length),
      cmocka_unit_test(test_rd_x224_decode_cc_trailing_byte),
      cmocka_unit_test(test_rd_x224_decode_cc_malformed),
      cmocka_unit_test(test_rd_x224_encode_cc_invalid),
      cmocka_unit_test(test_rd_tpkt_frame_need_exact_fit),
      cmocka_unit_test(test_rd_tpkt_frame_need_one_byte_short),
      cmocka_unit_test(test_rd_tpkt_frame_need_giant_length),
      cmocka_unit_test(test_rd_tpkt_frame_need_other_service),
      cmocka_unit_test(test_rd_x224_decode_dt_vectors),
      cmocka_unit_test(test_rd_x224_decode_dt_malformed),
      cmocka_unit_test(test_rd_x224_decode_dr_both_ways),
      cmocka_unit_test(test_rd_x224_decode_dr_malformed),
      cmocka_unit_test(test_rd_x224_peek_type_dispatch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
