/* Fuzz target for the Client Info decoder (STYLE.md §10): a failed decode leaves the cursor unmoved;
 * a decoded packet fills its input and its spans lie inside it; and when its strings are valid
 * UTF-16 without NULs, encoding what was decoded and decoding that again gives the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/info.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_inside(const rd_cur *s, const uint8_t *d, size_t n) {
  if (rd_cur_len(s) > 0 && (rd_cur_data(s) < d || rd_cur_data(s) + rd_cur_len(s) > d + n))
    abort();
}

/* UTF-16LE to NUL-terminated UTF-8 (a test helper: the project sends UTF-16, never reads it back).
 * False for an unpaired surrogate or a NUL, which UTF-8 input to the encoder cannot express. */
static bool to_utf8(const rd_cur *s, char *out, size_t cap) {
  const uint8_t *p = rd_cur_data(s);
  size_t n = rd_cur_len(s) / 2, o = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t u = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
    if (u == 0)
      return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint32_t v;
      if (i + 1 >= n)
        return false;
      v = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
      if (v < 0xDC00 || v > 0xDFFF)
        return false;
      u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
      i++;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return false;
    }
    if (o + 5 > cap)
      return false;
    if (u < 0x80) {
      out[o++] = (char)u;
    } else if (u < 0x800) {
      out[o++] = (char)(0xC0 | u >> 6);
      out[o++] = (char)(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
      out[o++] = (char)(0xE0 | u >> 12);
      out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (u & 0x3F));
    } else {
      out[o++] = (char)(0xF0 | u >> 18);
      out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
      out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (u & 0x3F));
    }
  }
  out[o] = '\0';
  return true;
}

static bool same(const rd_cur *a, const rd_cur *b) {
  return rd_cur_len(a) == rd_cur_len(b) &&
         (rd_cur_len(a) == 0 || memcmp(rd_cur_data(a), rd_cur_data(b), rd_cur_len(a)) == 0);
}

static void roundtrip(const rd_info_packet *p) {
  static char s[7][1100];
  const rd_cur *in[7] = {&p->domain, &p->user, &p->password, &p->alt_shell, &p->work_dir,
                         &p->client_address, &p->client_dir};
  rd_info_client c;
  rd_info_packet q;
  rd_bld b;
  rd_cur cur;
  uint8_t *out;
  size_t len;
  uint32_t flags;

  for (int i = 0; i < 7; i++)
    if (!to_utf8(in[i], s[i], sizeof(s[i])))
      return;
  memset(&c, 0, sizeof(c));
  c.code_page = p->code_page;
  c.flags = p->flags;
  c.domain = s[0], c.user = s[1], c.password = s[2], c.alt_shell = s[3], c.work_dir = s[4];
  c.address_family = p->address_family;
  c.client_address = s[5], c.client_dir = s[6];
  if (p->has_time_zone)
    c.time_zone = p->time_zone;
  c.session_id = p->session_id;
  c.performance_flags = p->performance_flags;
  rd_bld_init(&b, 8192);
  if (rd_info_encode(&c, &b) != 0 || !rd_bld_finish(&b, &out, &len))
    abort(); /* what decoded within the limits must encode */
  rd_cur_init(&cur, out, len);
  if (rd_info_decode(&cur, &q) != 0 || !rd_cur_is_empty(&cur))
    abort();
  flags = p->flags | RD_INFO_UNICODE | (rd_cur_len(&p->password) ? RD_INFO_AUTOLOGON : 0);
  if (q.code_page != p->code_page || q.flags != flags || !q.has_extended || !q.has_time_zone ||
      !q.has_session_id || !q.has_performance_flags || !q.has_auto_reconnect)
    abort();
  for (int i = 0; i < 5; i++) {
    const rd_cur *qs[5] = {&q.domain, &q.user, &q.password, &q.alt_shell, &q.work_dir};
    if (!same(in[i], qs[i]))
      abort();
  }
  if (!same(&p->client_address, &q.client_address) || !same(&p->client_dir, &q.client_dir) ||
      q.session_id != p->session_id || q.performance_flags != p->performance_flags ||
      memcmp(&q.time_zone, &c.time_zone, sizeof(c.time_zone)) != 0 ||
      q.address_family != (p->address_family ? p->address_family : RD_INFO_AF_INET))
    abort();
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_info_packet p;
  rd_cur_init(&c, d, n);
  if (rd_info_decode(&c, &p) != 0) {
    if (rd_cur_data(&c) != d || rd_cur_len(&c) != n)
      abort();
    return 0;
  }
  if (!rd_cur_is_empty(&c))
    abort();
  check_inside(&p.domain, d, n);
  check_inside(&p.user, d, n);
  check_inside(&p.password, d, n);
  check_inside(&p.alt_shell, d, n);
  check_inside(&p.work_dir, d, n);
  check_inside(&p.client_address, d, n);
  check_inside(&p.client_dir, d, n);
  check_inside(&p.auto_reconnect_cookie, d, n);
  check_inside(&p.rest, d, n);
  if (p.has_extended)
    roundtrip(&p);
  return 0;
}
