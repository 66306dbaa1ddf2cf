/* TS_INFO_PACKET encoder and decoder ([MS-RDPBCGR] 2.2.1.11.1.1). See info.h. */
#include "info.h"

#include <string.h>

#include "err.h"
#include "utf16.h"
#include "wipe.h"

#define FIXED_LEN 18         /* codePage, flags, five cb fields */
#define SYSTIME_LEN 16

/* A writer over the span reserved in the builder: the sizes were checked before, so it cannot run
 * past the end; it keeps the encoder to one rd_bld_add_space (see the password note in info.h). */
typedef struct span {
  uint8_t *p;
  size_t off, cap;
} span;

static void put16(span *w, uint16_t v) {
  w->p[w->off++] = (uint8_t)v;
  w->p[w->off++] = (uint8_t)(v >> 8);
}

static void put32(span *w, uint32_t v) {
  put16(w, (uint16_t)v);
  put16(w, (uint16_t)(v >> 16));
}

static int put_utf16(span *w, const char *s, size_t expect) {
  size_t n = 0;
  int r = rd_utf8_to_utf16le(s, s ? strlen(s) : 0, false, w->p + w->off, w->cap - w->off, &n);
  if (r != 0 || n != expect)
    return RD_E_INVALID;
  w->off += n;
  return 0;
}

static void put_systime(span *w, const rd_info_systime *t) {
  put16(w, t->year);
  put16(w, t->month);
  put16(w, t->day_of_week);
  put16(w, t->day);
  put16(w, t->hour);
  put16(w, t->minute);
  put16(w, t->second);
  put16(w, t->milliseconds);
}

static void put_time_zone(span *w, const rd_info_time_zone *tz) {
  put32(w, (uint32_t)tz->bias);
  for (size_t i = 0; i < 32; i++)
    put16(w, tz->standard_name[i]);
  put_systime(w, &tz->standard_date);
  put32(w, (uint32_t)tz->standard_bias);
  for (size_t i = 0; i < 32; i++)
    put16(w, tz->daylight_name[i]);
  put_systime(w, &tz->daylight_date);
  put32(w, (uint32_t)tz->daylight_bias);
}

/* The UTF-16LE size of s (0 for NULL), or RD_E_INVALID if it is not well-formed or above max. */
static int measure(const char *s, size_t max, size_t *out) {
  *out = 0;
  if (s == NULL)
    return 0;
  if (rd_utf8_to_utf16le(s, strlen(s), false, NULL, 0, out) != 0 || *out > max)
    return RD_E_INVALID;
  return 0;
}

int rd_info_encode(const rd_info_client *info, rd_bld *b) {
  enum { DOMAIN, USER, PASSWORD, SHELL, WORKDIR, ADDRESS, DIR, NSTR };
  const char *s[NSTR];
  size_t len[NSTR], total;
  span w;
  uint32_t flags;
  int r;

  if (info == NULL || b == NULL)
    return RD_E_INVALID;
  s[DOMAIN] = info->domain;
  s[USER] = info->user;
  s[PASSWORD] = info->password;
  s[SHELL] = info->alt_shell;
  s[WORKDIR] = info->work_dir;
  s[ADDRESS] = info->client_address;
  s[DIR] = info->client_dir;
  for (int i = 0; i < NSTR; i++) {
    size_t max = i == ADDRESS ? RD_INFO_MAX_ADDRESS - 2 : i == DIR ? RD_INFO_MAX_DIR - 2
                                                                   : RD_INFO_MAX_STRING;
    if ((r = measure(s[i], max, &len[i])) != 0)
      return r;
  }
  total = FIXED_LEN;
  for (int i = DOMAIN; i <= WORKDIR; i++)
    total += len[i] + 2;
  total += 2 + 2 + len[ADDRESS] + 2 + 2 + len[DIR] + 2 + RD_INFO_TIME_ZONE_LEN + 4 + 4 + 2;

  flags = info->flags | RD_INFO_UNICODE;
  if (len[PASSWORD] > 0)
    flags |= RD_INFO_AUTOLOGON;

  w.off = 0;
  w.cap = total;
  if (!rd_bld_add_space(b, total, &w.p))
    return RD_E_NOMEM;
  put32(&w, info->code_page);
  put32(&w, flags);
  for (int i = DOMAIN; i <= WORKDIR; i++)
    put16(&w, (uint16_t)len[i]);
  for (int i = DOMAIN; i <= WORKDIR; i++) {
    if ((r = put_utf16(&w, s[i], len[i])) != 0)
      goto fail;
    put16(&w, 0);
  }
  put16(&w, info->address_family ? info->address_family : RD_INFO_AF_INET);
  put16(&w, (uint16_t)(len[ADDRESS] + 2));
  if ((r = put_utf16(&w, s[ADDRESS], len[ADDRESS])) != 0)
    goto fail;
  put16(&w, 0);
  put16(&w, (uint16_t)(len[DIR] + 2));
  if ((r = put_utf16(&w, s[DIR], len[DIR])) != 0)
    goto fail;
  put16(&w, 0);
  put_time_zone(&w, &info->time_zone);
  put32(&w, info->session_id);
  put32(&w, info->performance_flags);
  put16(&w, 0); /* cbAutoReconnectCookie: no cookie */
  return 0;
fail:
  /* Only if a string changed under us between measuring and writing: leave nothing behind. */
  rd_wipe(w.p, total);
  rd_bld_set_error(b);
  return r;
}

/* A UTF-16LE string of cb bytes (without terminator) followed by its two-byte terminator. */
static bool get_string(rd_cur *c, size_t cb, rd_cur *out) {
  rd_cur t = *c;
  uint16_t term;
  if (cb % 2 != 0 || !rd_cur_get_span(&t, cb, out) || !rd_cur_get_u16le(&t, &term) || term != 0)
    return false;
  *c = t;
  return true;
}

/* clientAddress / clientDir: cb includes the terminator. */
static bool get_counted(rd_cur *c, size_t max, rd_cur *out) {
  rd_cur t = *c;
  uint16_t cb;
  if (!rd_cur_get_u16le(&t, &cb) || cb > max || cb < 2 || !get_string(&t, cb - 2u, out))
    return false;
  *c = t;
  return true;
}

static bool get_systime(rd_cur *c, rd_info_systime *t) {
  return rd_cur_get_u16le(c, &t->year) && rd_cur_get_u16le(c, &t->month) &&
         rd_cur_get_u16le(c, &t->day_of_week) && rd_cur_get_u16le(c, &t->day) &&
         rd_cur_get_u16le(c, &t->hour) && rd_cur_get_u16le(c, &t->minute) &&
         rd_cur_get_u16le(c, &t->second) && rd_cur_get_u16le(c, &t->milliseconds);
}

static bool get_time_zone(rd_cur *c, rd_info_time_zone *tz) {
  uint32_t bias = 0, sbias = 0, dbias = 0;
  bool ok = rd_cur_get_u32le(c, &bias);
  for (size_t i = 0; ok && i < 32; i++)
    ok = rd_cur_get_u16le(c, &tz->standard_name[i]);
  ok = ok && get_systime(c, &tz->standard_date) && rd_cur_get_u32le(c, &sbias);
  for (size_t i = 0; ok && i < 32; i++)
    ok = rd_cur_get_u16le(c, &tz->daylight_name[i]);
  ok = ok && get_systime(c, &tz->daylight_date) && rd_cur_get_u32le(c, &dbias);
  tz->bias = (int32_t)bias;
  tz->standard_bias = (int32_t)sbias;
  tz->daylight_bias = (int32_t)dbias;
  return ok;
}

/* The optional tail: each field is there only if its predecessor is, and never cut short. */
static bool get_tail(rd_cur *t, rd_info_packet *p) {
  uint16_t cb;
  if (rd_cur_is_empty(t))
    return true;
  if (rd_cur_len(t) < RD_INFO_TIME_ZONE_LEN || !get_time_zone(t, &p->time_zone))
    return false;
  p->has_time_zone = true;
  if (rd_cur_is_empty(t))
    return true;
  if (!rd_cur_get_u32le(t, &p->session_id))
    return false;
  p->has_session_id = true;
  if (rd_cur_is_empty(t))
    return true;
  if (!rd_cur_get_u32le(t, &p->performance_flags))
    return false;
  p->has_performance_flags = true;
  if (rd_cur_is_empty(t))
    return true;
  /* 0x111F ERRINFO_SECURITYDATATOOSHORT17: a Windows server refuses more than 128 bytes. */
  if (!rd_cur_get_u16le(t, &cb) || cb > 128 || !rd_cur_get_span(t, cb, &p->auto_reconnect_cookie))
    return false;
  p->has_auto_reconnect = true;
  p->rest = *t;
  return rd_cur_skip(t, rd_cur_len(t));
}

int rd_info_decode(rd_cur *c, rd_info_packet *out) {
  rd_cur t = *c;
  rd_info_packet p;
  uint16_t cb[5];
  rd_cur *str[5];

  if (out == NULL)
    return RD_E_INVALID;
  memset(&p, 0, sizeof(p));
  str[0] = &p.domain;
  str[1] = &p.user;
  str[2] = &p.password;
  str[3] = &p.alt_shell;
  str[4] = &p.work_dir;
  if (!rd_cur_get_u32le(&t, &p.code_page) || !rd_cur_get_u32le(&t, &p.flags) ||
      !(p.flags & RD_INFO_UNICODE))
    return RD_E_MALFORMED;
  for (int i = 0; i < 5; i++)
    if (!rd_cur_get_u16le(&t, &cb[i]) || cb[i] > RD_INFO_MAX_STRING)
      return RD_E_MALFORMED;
  for (int i = 0; i < 5; i++)
    if (!get_string(&t, cb[i], str[i]))
      return RD_E_MALFORMED;
  if (!rd_cur_is_empty(&t)) {
    if (!rd_cur_get_u16le(&t, &p.address_family) ||
        !get_counted(&t, RD_INFO_MAX_ADDRESS, &p.client_address) ||
        !get_counted(&t, RD_INFO_MAX_DIR, &p.client_dir) || !get_tail(&t, &p))
      return RD_E_MALFORMED;
    p.has_extended = true;
  }
  *c = t;
  *out = p;
  return 0;
}
