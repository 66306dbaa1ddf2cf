/* The share layer: golden bytes from MS-RDPBCGR 4.1.13 (Server Demand Active, as IronRDP's
 * testsuite carries it), 4.1.15-4.1.22 (finalization PDUs, both directions where we encode), the
 * Set Error Info layout of 2.2.5.1, and Save Session Info from IronRDP's session_info tests
 * (LOGON_EXTENDED with an auto-reconnect cookie and logon errors; TS_LOGON_INFO with NTDEV\eltons),
 * plus the decoder edge cases: one byte short, giant length, trailing byte, exact fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/share.h"

#define assert_cur_at(c, ptr, n)                                                                   \
  do {                                                                                             \
    assert_ptr_equal(rd_cur_data(c), (ptr));                                                       \
    assert_int_equal(rd_cur_len(c), (n));                                                          \
  } while (0)

/* 4.1.13 Server Demand Active: Share Control Header, then the TS_DEMAND_ACTIVE_PDU. */
static const uint8_t spec_demand_active[367] = {
    0x6f, 0x01, /* totalLength 367 */
    0x11, 0x00, /* pduType DEMANDACTIVE | version 1 */
    0xea, 0x03, /* pduSource 1002 */
    0xea, 0x03, 0x01, 0x00, /* shareId 0x103ea */
    0x04, 0x00, /* source descriptor length */
    0x59, 0x01, /* combined length */
    0x52, 0x44, 0x50, 0x00, /* source descriptor */
    0x0d, 0x00, /* capabilities count */
    0x00, 0x00, /* padding */
    0x09, 0x00, 0x08, 0x00, 0xea, 0x03, 0xdc, 0xe2, /* Share capability set, */
    0x01, 0x00, 0x18, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x04, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x01, /* General capability set */
    0x14, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, /* VirtualChannel capability set */
    0x16, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0xf6, 0x13, 0xf3, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x18, 0x00, 0x00, 0x00, 0x9c, 0xf6, 0x13, 0xf3, 0x61, 0xa6, 0x82, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
    0x91, 0xbf, /* DrawGdiPlus capability set */
    0x0e, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, /* Font capability set */
    0x02, 0x00, 0x1c, 0x00, 0x18, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x04, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* Bitmap capability set */
    0x03, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x22, 0x00, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x40, 0x42, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* Order capability set */
    0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x00, /* ColorCache capability set */
    0x12, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, /* BitmapCache capability set */
    0x08, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x19, 0x00, 0x19, 0x00, /* Pointer capability set */
    0x0d, 0x00, 0x58, 0x00, 0x35, 0x00, 0x00, 0x00, 0xa1, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0xf6, 0x13,
    0xf3, 0x93, 0x5a, 0x37, 0xf3, 0x00, 0x90, 0x30, 0xe1, 0x34, 0x1c, 0x38, 0xf3, 0x40, 0xf6, 0x13, 0xf3, 0x04, 0x00,
    0x00, 0x00, 0x4c, 0x54, 0xdc, 0xe2, 0x08, 0x50, 0xdc, 0xe2, 0x01, 0x00, 0x00, 0x00, 0x08, 0x50, 0xdc, 0xe2, 0x00,
    0x00, 0x00, 0x00, 0x38, 0xf6, 0x13, 0xf3, 0x2e, 0x05, 0x38, 0xf3, 0x08, 0x50, 0xdc, 0xe2, 0x2c, 0xf6, 0x13, 0xf3,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, /* Input capability set */
    0x17, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, /* Rail capability set */
    0x18, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* WindowList capability set */
    0x00, 0x00, 0x00, 0x00, /* session id */
};

/* 4.1.16 Client Synchronize. */
static const uint8_t spec_client_sync[22] = {
    0x16, 0x00, 0x17, 0x00, 0xef, 0x03, /* totalLength 22, DATA, pduSource 1007 */
    0xea, 0x03, 0x01, 0x00,             /* shareId */
    0x00, 0x01, 0x08, 0x00,             /* pad, STREAM_LOW, uncompressedLength 8 */
    0x1f, 0x00, 0x00, 0x00,             /* SYNCHRONIZE, not compressed, compressedLength 0 */
    0x01, 0x00, 0xea, 0x03,             /* SYNCMSGTYPE_SYNC, targetUser 1002 */
};

/* 4.1.17 Client Control (Cooperate) and 4.1.18 (Request Control). */
static const uint8_t spec_client_cooperate[26] = {
    0x1a, 0x00, 0x17, 0x00, 0xef, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x14, 0x00,
    0x00, 0x00, /* headers: CONTROL */
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* CTRLACTION_COOPERATE, grantId 0, controlId 0 */
};
static const uint8_t spec_client_request_control[26] = {
    0x1a, 0x00, 0x17, 0x00, 0xef, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x14, 0x00,
    0x00, 0x00, /* headers: CONTROL */
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* CTRLACTION_REQUEST_CONTROL */
};

/* 4.1.20 Client Font List. */
static const uint8_t spec_client_font_list[26] = {
    0x1a, 0x00, 0x17, 0x00, 0xef, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x27, 0x00,
    0x00, 0x00, /* headers: FONTLIST */
    0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x32, 0x00, /* 0 fonts, 0 total, FIRST|LAST, entry 50 */
};

/* 4.1.21 Server Control (Granted Control). */
static const uint8_t spec_server_granted[26] = {
    0x1a, 0x00, 0x17, 0x00, 0xea, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x02, 0x0c, 0x00, 0x14, 0x00,
    0x00, 0x00, /* headers: pduSource 1002, STREAM_MED, CONTROL */
    0x02, 0x00, 0xef, 0x03, 0xea, 0x03, 0x00, 0x00, /* GRANTED_CONTROL, grantId 1007, controlId 1002 */
};

/* 4.1.22 Server Font Map. */
static const uint8_t spec_server_font_map[26] = {
    0x1a, 0x00, 0x17, 0x00, 0xea, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x02, 0x0c, 0x00, 0x28, 0x00,
    0x00, 0x00, /* headers: FONTMAP */
    0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, /* 0, 0, FIRST|LAST, entry size 4 */
};

/* 2.2.5.1: Set Error Info with ERRINFO_SERVER_DENIED_CONNECTION. */
static const uint8_t set_error_info_7[22] = {
    0x16, 0x00, 0x17, 0x00, 0xea, 0x03, /* totalLength 22, DATA, pduSource 1002 */
    0xea, 0x03, 0x01, 0x00, 0x00, 0x01, 0x08, 0x00, 0x2f, 0x00, 0x00, 0x00, /* SET_ERROR_INFO */
    0x07, 0x00, 0x00, 0x00, /* errorInfo 7 */
};

/* Deactivate All as Windows sends it: shareId, a 1-byte source descriptor. */
static const uint8_t deactivate_all[13] = {
    0x0d, 0x00, 0x16, 0x00, 0xea, 0x03, /* totalLength 13, DEACTIVATEALL, pduSource 1002 */
    0xea, 0x03, 0x01, 0x00,             /* shareId */
    0x01, 0x00, 0x00,                   /* lengthSourceDescriptor 1, "\0" */
};

/* IronRDP LOGON_EXTENDED: its first 50 bytes (the 570 bytes of padding are added at run time). */
static const uint8_t logon_extended_head[50] = {
    0x32, 0x00,             /* Length 50 */
    0x03, 0x00, 0x00, 0x00, /* AUTORECONNECTCOOKIE | LOGONERRORS */
    0x1c, 0x00, 0x00, 0x00, /* cbFieldData 28 */
    0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* cbLen, v1, logonId 2 */
    0xa8, 0x02, 0xe7, 0x25, 0xe2, 0x4c, 0x82, 0xb7, 0x52, 0xa5, 0x53, 0x50, 0x34, 0x98, 0xa1, 0xa8,
    0x08, 0x00, 0x00, 0x00, /* cbFieldData 8 */
    0xfa, 0xff, 0xff, 0xff, /* LOGON_MSG_NO_PERMISSION */
    0x02, 0x00, 0x00, 0x00, /* LOGON_FAILED_OTHER */
};

static uint8_t *copy_of(const uint8_t *d, size_t n, size_t extra) {
  uint8_t *p = calloc(1, n + extra + 1);
  memcpy(p, d, n);
  return p;
}

static void expect_bytes(rd_bld *b, const uint8_t *want, size_t n) {
  uint8_t *out;
  size_t len;
  assert_true(rd_bld_finish(b, &out, &len));
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
  free(out);
}

static void test_rd_share_decode_demand_active_spec_4_1_13(void **state) {
  rd_cur c, body, caps;
  rd_share_ctrl h;
  rd_share_demand_active da;
  rd_share_capset cs;
  uint16_t types[13];
  int n = 0, r;
  rd_cur_init(&c, spec_demand_active, sizeof spec_demand_active);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(h.type, RD_SHARE_PDUTYPE_DEMANDACTIVE);
  assert_int_equal(h.version, 0x10);
  assert_int_equal(h.pdu_source, 1002);
  assert_int_equal(rd_share_decode_demand_active(&body, &da), 0);
  assert_true(rd_cur_is_empty(&body));
  assert_int_equal(da.share_id, 0x103ea);
  assert_int_equal(rd_cur_len(&da.source_descriptor), 4);
  assert_memory_equal(rd_cur_data(&da.source_descriptor), "RDP", 4);
  assert_int_equal(da.number_capabilities, 13);
  assert_true(da.session_id_present);
  assert_int_equal(da.session_id, 0);
  caps = da.capabilities;
  while ((r = rd_share_next_capset(&caps, &cs)) == 0)
    types[n++] = cs.type;
  assert_int_equal(r, 1);
  assert_int_equal(n, 13);
  assert_int_equal(types[0], RD_CAPSTYPE_SHARE);
  assert_int_equal(types[1], RD_CAPSTYPE_GENERAL);
  assert_int_equal(types[2], RD_CAPSTYPE_VIRTUALCHANNEL);
  assert_int_equal(types[12], 24); /* WindowList */
}

static void test_rd_share_decode_demand_active_edges(void **state) {
  uint8_t *d = copy_of(spec_demand_active, sizeof spec_demand_active, 1);
  rd_cur c, body;
  rd_share_ctrl h;
  rd_share_demand_active da;
  /* One byte short: the Share Control Header's length no longer fits. */
  rd_cur_init(&c, d, sizeof spec_demand_active - 1);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), RD_E_MALFORMED);
  assert_cur_at(&c, d, sizeof spec_demand_active - 1);
  /* Trailing byte after the sessionId inside the PDU. */
  d[0] = 0x70;
  rd_cur_init(&c, d, sizeof spec_demand_active + 1);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  rd_cur saved = body;
  assert_int_equal(rd_share_decode_demand_active(&body, &da), RD_E_MALFORMED);
  assert_cur_at(&body, rd_cur_data(&saved), rd_cur_len(&saved));
  d[0] = 0x6f;
  /* Giant lengthCombinedCapabilities. */
  d[12] = 0xff;
  d[13] = 0xff;
  rd_cur_init(&c, d, sizeof spec_demand_active);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_int_equal(rd_share_decode_demand_active(&body, &da), RD_E_MALFORMED);
  d[12] = 0x59;
  d[13] = 0x01;
  /* One capability set too many announced. */
  d[18] = 14;
  rd_cur_init(&c, d, sizeof spec_demand_active);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_int_equal(rd_share_decode_demand_active(&body, &da), RD_E_MALFORMED);
  d[18] = 13;
  /* Exact fit without the sessionId (old servers). */
  d[0] = 0x6b;
  rd_cur_init(&c, d, sizeof spec_demand_active - 4);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_int_equal(rd_share_decode_demand_active(&body, &da), 0);
  assert_false(da.session_id_present);
  free(d);
}

static void test_rd_share_encode_finalization_spec(void **state) {
  rd_bld b;
  rd_bld_init(&b, 256);
  assert_int_equal(rd_share_encode_synchronize(0x103ea, 1007, 1002, &b), 0);
  expect_bytes(&b, spec_client_sync, sizeof spec_client_sync);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_share_encode_control(0x103ea, 1007, RD_SHARE_CTRLACTION_COOPERATE, &b), 0);
  expect_bytes(&b, spec_client_cooperate, sizeof spec_client_cooperate);
  rd_bld_init(&b, 256);
  assert_int_equal(
      rd_share_encode_control(0x103ea, 1007, RD_SHARE_CTRLACTION_REQUEST_CONTROL, &b), 0);
  expect_bytes(&b, spec_client_request_control, sizeof spec_client_request_control);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_share_encode_font_list(0x103ea, 1007, &b), 0);
  expect_bytes(&b, spec_client_font_list, sizeof spec_client_font_list);
  rd_bld_init(&b, 256);
  assert_int_equal(rd_share_encode_control(0x103ea, 1007, 9, &b), RD_E_INVALID);
  rd_bld_cleanup(&b);
}

static void test_rd_share_decode_finalization_spec(void **state) {
  rd_cur c;
  rd_share_pdu p;
  uint16_t a, g, m, u, e, t, f, s;
  uint32_t id;
  /* Our own client PDUs decode back. */
  rd_cur_init(&c, spec_client_sync, sizeof spec_client_sync);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_string_equal(p.name, "SYNCHRONIZE");
  assert_int_equal(rd_share_decode_synchronize(&p.payload, &m, &u), 0);
  assert_int_equal(m, 1);
  assert_int_equal(u, 1002);
  rd_cur_init(&c, spec_server_granted, sizeof spec_server_granted);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_true(p.known);
  assert_int_equal(p.data.stream_id, RD_SHARE_STREAM_MED);
  assert_string_equal(p.name, "CONTROL");
  assert_int_equal(rd_share_decode_control(&p.payload, &a, &g, &id), 0);
  assert_int_equal(a, RD_SHARE_CTRLACTION_GRANTED_CONTROL);
  assert_int_equal(g, 1007);
  assert_int_equal(id, 1002);
  rd_cur_init(&c, spec_server_font_map, sizeof spec_server_font_map);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_string_equal(p.name, "FONTMAP");
  assert_int_equal(rd_share_decode_font_map(&p.payload, &e, &t, &f, &s), 0);
  assert_int_equal(f, 3);
  assert_int_equal(s, 4);
}

static void test_rd_share_decode_set_error_info(void **state) {
  uint8_t *d = copy_of(set_error_info_7, sizeof set_error_info_7, 1);
  rd_cur c, pl;
  rd_share_pdu p;
  uint32_t info = 0;
  rd_bld b;
  rd_cur_init(&c, d, sizeof set_error_info_7);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_string_equal(p.name, "SET_ERROR_INFO");
  assert_int_equal(p.data.pdu_type2, RD_SHARE_PDUTYPE2_SET_ERROR_INFO);
  assert_int_equal(rd_share_decode_set_error_info(&p.payload, &info), 0);
  assert_int_equal(info, 7);
  /* Both directions: the generic data encoder writes the same bytes. */
  static const uint8_t v[4] = {7, 0, 0, 0};
  rd_bld_init(&b, 64);
  assert_int_equal(rd_share_encode_data(0x103ea, 1002, RD_SHARE_STREAM_LOW,
                                        RD_SHARE_PDUTYPE2_SET_ERROR_INFO, v, 4, &b), 0);
  expect_bytes(&b, set_error_info_7, sizeof set_error_info_7);
  /* One byte short, trailing byte. */
  rd_cur_init(&pl, d + 18, 3);
  assert_int_equal(rd_share_decode_set_error_info(&pl, &info), RD_E_MALFORMED);
  assert_cur_at(&pl, d + 18, 3);
  rd_cur_init(&pl, d + 18, 5);
  assert_int_equal(rd_share_decode_set_error_info(&pl, &info), RD_E_MALFORMED);
  /* Giant totalLength. */
  d[0] = 0xff;
  d[1] = 0x7f;
  rd_cur_init(&c, d, sizeof set_error_info_7);
  assert_int_equal(rd_share_classify(&c, &p), RD_E_MALFORMED);
  assert_cur_at(&c, d, sizeof set_error_info_7);
  free(d);
}

static void test_rd_share_classify_unknown(void **state) {
  uint8_t d[sizeof set_error_info_7];
  rd_cur c;
  rd_share_pdu p;
  memcpy(d, set_error_info_7, sizeof d);
  d[14] = 0x7e; /* a pduType2 nobody defined */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_false(p.known);
  assert_string_equal(p.name, "UNKNOWN");
  assert_int_equal(p.data.pdu_type2, 0x7e);
  assert_int_equal(p.ctrl.total_length, 22);
  assert_int_equal(p.head_len, 4);
  assert_int_equal(p.head[0], 7);
  d[2] = 0x1c; /* an unknown pduType */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_classify(&c, &p), 0);
  assert_false(p.known);
  assert_false(p.is_data);
  assert_int_equal(p.head_len, RD_SHARE_HEAD_LEN);
}

static void test_rd_share_decode_deactivate_all(void **state) {
  rd_cur c, body, src;
  rd_share_ctrl h;
  uint32_t id;
  rd_cur_init(&c, deactivate_all, sizeof deactivate_all);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_int_equal(h.type, RD_SHARE_PDUTYPE_DEACTIVATEALL);
  assert_int_equal(rd_share_decode_deactivate_all(&body, &id, &src), 0);
  assert_int_equal(id, 0x103ea);
  assert_int_equal(rd_cur_len(&src), 1);
  /* One byte short of the descriptor; exact fit with only the shareId. */
  rd_cur_init(&body, deactivate_all + 6, 6);
  assert_int_equal(rd_share_decode_deactivate_all(&body, &id, &src), RD_E_MALFORMED);
  assert_cur_at(&body, deactivate_all + 6, 6);
  rd_cur_init(&body, deactivate_all + 6, 4);
  assert_int_equal(rd_share_decode_deactivate_all(&body, &id, &src), 0);
  assert_int_equal(rd_cur_len(&src), 0);
}

static void test_rd_share_decode_save_session_info_extended(void **state) {
  uint8_t d[4 + 620] = {0x03, 0x00, 0x00, 0x00}; /* INFOTYPE_LOGON_EXTENDED */
  rd_cur c;
  rd_share_save_session_info s;
  memcpy(d + 4, logon_extended_head, sizeof logon_extended_head);
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), 0);
  assert_true(rd_cur_is_empty(&c));
  assert_int_equal(s.info_type, RD_INFOTYPE_LOGON_EXTENDED);
  assert_true(s.arc_present);
  assert_int_equal(s.arc_logon_id, 2);
  assert_true(s.errors_present);
  assert_int_equal(s.error_type, RD_LOGON_MSG_NO_PERMISSION);
  assert_int_equal(s.error_data, RD_LOGON_FAILED_OTHER);
  assert_int_equal(s.pad_len, 570);
  /* One byte short of the structure, giant Length, a cookie of the wrong size. */
  rd_cur_init(&c, d, 4 + 49);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
  assert_cur_at(&c, d, 4 + 49);
  d[4] = 0xff;
  d[5] = 0xff;
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
  d[4] = 0x32;
  d[5] = 0;
  d[10] = 0x1a;
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
}

static void test_rd_share_decode_save_session_info_logon(void **state) {
  uint8_t d[4 + 576] = {0};
  static const uint8_t domain[] = {'N', 0, 'T', 0, 'D', 0, 'E', 0, 'V', 0, 0, 0};
  static const uint8_t user[] = {'e', 0, 'l', 0, 't', 0, 'o', 0, 'n', 0, 's', 0, 0, 0};
  rd_cur c;
  rd_share_save_session_info s;
  d[4] = sizeof domain; /* cbDomain 12 */
  memcpy(d + 8, domain, sizeof domain);
  d[8 + 52] = sizeof user; /* cbUserName 14 */
  memcpy(d + 8 + 52 + 4, user, sizeof user);
  d[4 + 572] = 2; /* SessionId */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), 0);
  assert_int_equal(s.info_type, RD_INFOTYPE_LOGON);
  assert_int_equal(rd_cur_len(&s.domain), 12);
  assert_memory_equal(rd_cur_data(&s.domain), domain, 12);
  assert_int_equal(rd_cur_len(&s.user), 14);
  assert_memory_equal(rd_cur_data(&s.user), user, 14);
  assert_int_equal(s.session_id, 2);
  /* Trailing byte is not padding for the fixed-size TS_LOGON_INFO; giant cbDomain. */
  uint8_t *longer = copy_of(d, sizeof d, 1);
  rd_cur_init(&c, longer, sizeof d + 1);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
  assert_cur_at(&c, longer, sizeof d + 1);
  free(longer);
  d[4] = 0xff;
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
  /* Plain notify and an unknown infoType. */
  static const uint8_t plain[8] = {0x02, 0, 0, 0, 0, 0, 0, 0};
  rd_cur_init(&c, plain, sizeof plain);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), 0);
  assert_int_equal(s.pad_len, 4);
  static const uint8_t bad[4] = {0x04, 0, 0, 0};
  rd_cur_init(&c, bad, sizeof bad);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
}

/* TS_LOGON_INFO_VERSION_2 (2.2.10.1.1.2) as the specification sizes it (Size 18) and as FreeRDP
 * 2.11's server library writes it (Size 576, captured from minisrv --logon-ok: "01000000 0100
 * 40020000 01000000 ..."): both read, the session id and the names found after 558 bytes of pad. */
static void test_rd_share_decode_save_session_info_logon_long(void **state) {
  static const uint8_t user[] = {'t', 0, 'e', 0, 's', 0, 't', 0, 0, 0};
  uint8_t d[4 + 18 + 558 + 2 + sizeof user] = {0};
  rd_cur c;
  rd_share_save_session_info s;
  d[0] = 1;              /* INFOTYPE_LOGON_LONG */
  d[4] = 1;              /* Version 1 */
  d[6] = 18;             /* Size 18 */
  d[10] = 7;             /* SessionId 7 */
  d[14] = 2;             /* cbDomain 2 (the terminator only) */
  d[18] = sizeof user;   /* cbUserName */
  memcpy(d + 4 + 18 + 558 + 2, user, sizeof user);
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), 0);
  assert_int_equal(s.info_type, RD_INFOTYPE_LOGON_LONG);
  assert_int_equal(s.session_id, 7);
  assert_int_equal(rd_cur_len(&s.user), sizeof user);
  assert_true(rd_cur_is_empty(&c));
  d[6] = 0x40, d[7] = 0x02; /* Size 576: FreeRDP 2 */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), 0);
  assert_int_equal(s.session_id, 7);
  d[6] = 19, d[7] = 0; /* any other size */
  rd_cur_init(&c, d, sizeof d);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
  assert_cur_at(&c, d, sizeof d);
  /* One byte short: the user name cut. */
  d[6] = 18;
  rd_cur_init(&c, d, sizeof d - 1);
  assert_int_equal(rd_share_decode_save_session_info(&c, &s), RD_E_MALFORMED);
}

/* The header of an mstsc Confirm Active as captured (quoted as a replay constant in a public client,
 * the MSTSC_CONFIRM_ACTIVE bytes): totalLength 490, CONFIRMACTIVE | version 1, pduSource 1012,
 * shareId 0x103ea, originatorId 1002, "MSTSC\0", lengthCombinedCapabilities 468, 21 sets. The
 * capability sets are opaque to the encoder (it copies them), so a body of the same length stands
 * in for them. ([MS-RDPBCGR] 4.1.13's example is encrypted under Standard RDP Security.) */
static void test_rd_share_encode_confirm_active_mstsc_header(void **state) {
  static const uint8_t head[26] = {
      0xea, 0x01, 0x13, 0x00, 0xf4, 0x03,       /* totalLength 490, CONFIRMACTIVE | 0x10, pduSource 1012 */
      0xea, 0x03, 0x01, 0x00, 0xea, 0x03,       /* shareId 0x103ea, originatorId 1002 */
      0x06, 0x00, 0xd4, 0x01,                   /* lengthSourceDescriptor 6, lengthCombinedCapabilities 468 */
      0x4d, 0x53, 0x54, 0x53, 0x43, 0x00,       /* "MSTSC\0" */
      0x15, 0x00, 0x00, 0x00,                   /* numberCapabilities 21, pad2Octets */
  };
  uint8_t caps[464];
  memset(caps, 0xa5, sizeof caps);
  rd_share_confirm_active ca = {.share_id = 0x103ea, .pdu_source = 1012, .originator_id = 1002,
                                .source_descriptor = (const uint8_t *)"MSTSC", .source_descriptor_len = 6,
                                .caps = caps, .caps_len = sizeof caps, .caps_count = 21};
  rd_bld b;
  uint8_t *out;
  size_t n;
  rd_bld_init(&b, 4096);
  assert_int_equal(rd_share_encode_confirm_active(&ca, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  assert_int_equal(n, 490);
  assert_memory_equal(out, head, sizeof head);
  assert_memory_equal(out + sizeof head, caps, sizeof caps);
  free(out);
}

static void test_rd_share_encode_confirm_active(void **state) {
  rd_bld caps, b;
  uint8_t *cp, *out;
  size_t cn, n;
  uint16_t count;
  rd_cur c, body, walk;
  rd_share_ctrl h;
  rd_share_capset cs;
  rd_bld_init(&caps, 4096);
  assert_int_equal(rd_share_add_client_caps(&caps, 1024, 768, 16, &count), 0);
  assert_true(rd_bld_finish(&caps, &cp, &cn));
  rd_share_confirm_active ca = {.share_id = 0x103ea, .pdu_source = 1007,
                                .originator_id = RD_SHARE_SERVER_CHANNEL_ID,
                                .source_descriptor = (const uint8_t *)"MSTSC",
                                .source_descriptor_len = 6, .caps = cp, .caps_len = cn,
                                .caps_count = count};
  rd_bld_init(&b, 8192);
  assert_int_equal(rd_share_encode_confirm_active(&ca, &b), 0);
  assert_true(rd_bld_finish(&b, &out, &n));
  /* The header fields of 4.1.14: 0x13 = CONFIRMACTIVE | version, originator 1002. */
  assert_int_equal(out[0] | out[1] << 8, n);
  assert_int_equal(out[2], 0x13);
  assert_int_equal(out[10] | out[11] << 8, 0x03ea);
  assert_int_equal(out[12] | out[13] << 8, 6);
  assert_int_equal(out[14] | out[15] << 8, cn + 4);
  assert_memory_equal(out + 16, "MSTSC", 6);
  rd_cur_init(&c, out, n);
  assert_int_equal(rd_share_decode_ctrl(&c, &h, &body), 0);
  assert_true(rd_cur_is_empty(&c));
  rd_cur_init(&walk, cp, cn);
  int k = 0;
  while (rd_share_next_capset(&walk, &cs) == 0)
    k++;
  assert_int_equal(k, count);
  assert_int_equal(rd_share_add_client_caps(&caps, 0, 768, 16, &count), RD_E_INVALID);
  free(cp);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_share_decode_demand_active_spec_4_1_13),
      cmocka_unit_test(test_rd_share_decode_demand_active_edges),
      cmocka_unit_test(test_rd_share_encode_finalization_spec),
      cmocka_unit_test(test_rd_share_decode_finalization_spec),
      cmocka_unit_test(test_rd_share_decode_set_error_info),
      cmocka_unit_test(test_rd_share_classify_unknown),
      cmocka_unit_test(test_rd_share_decode_deactivate_all),
      cmocka_unit_test(test_rd_share_decode_save_session_info_extended),
      cmocka_unit_test(test_rd_share_decode_save_session_info_logon),
      cmocka_unit_test(test_rd_share_decode_save_session_info_logon_long),
      cmocka_unit_test(test_rd_share_encode_confirm_active),
      cmocka_unit_test(test_rd_share_encode_confirm_active_mstsc_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
