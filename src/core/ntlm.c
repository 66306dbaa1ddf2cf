/* NTLM NEGOTIATE and AUTHENTICATE encoders, CHALLENGE decoder; see ntlm.h for the rules. */
#include "ntlm.h"

#include <string.h>

#include "err.h"
#include "utf16.h"

static const uint8_t ssp_id[RD_NTLM_SSP_ID_LEN] = RD_NTLM_SSP_ID;

/* Offsets in a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2). */
#define CHALLENGE_FIXED_LEN   32 /* through ServerChallenge: what every server sends */
#define CHALLENGE_TI_FIELDS   40 /* TargetInfoFields, after 8 reserved bytes */
#define CHALLENGE_VERSION     48
#define CHALLENGE_HEADER_LEN  56

#define UNICODE_REPLACEMENT 0xfffdu

int rd_ntlm_encode_negotiate(uint32_t flags, const rd_ntlm_version *version, rd_bld *b) {
  static const rd_ntlm_version def = RD_NTLM_VERSION_DEFAULT;
  if (flags & (RD_NTLM_NEGOTIATE_DOMAIN_SUPPLIED | RD_NTLM_NEGOTIATE_WORKSTATION_SUPPLIED))
    return RD_E_INVALID;
  if (version == NULL)
    version = &def;
  uint8_t ver[8] = {0}; /* all zero without NTLMSSP_NEGOTIATE_VERSION (2.2.1.1) */
  if (flags & RD_NTLM_NEGOTIATE_VERSION) {
    ver[0] = version->major;
    ver[1] = version->minor;
    ver[2] = (uint8_t)version->build;
    ver[3] = (uint8_t)(version->build >> 8);
    ver[7] = version->revision; /* after 3 reserved bytes */
  }
  rd_bld_add_bytes(b, ssp_id, sizeof ssp_id);
  rd_bld_add_u32le(b, RD_NTLM_MSG_NEGOTIATE);
  rd_bld_add_u32le(b, flags);
  rd_bld_add_zeros(b, 8); /* DomainNameFields */
  rd_bld_add_zeros(b, 8); /* WorkstationFields */
  /* Builder errors are sticky, so the last append fails if any did. */
  return rd_bld_add_bytes(b, ver, sizeof ver) ? 0 : RD_E_NOMEM;
}

/* Offsets in an AUTHENTICATE_MESSAGE before the Version (MS-NLMP 2.2.1.3). */
#define AUTHENTICATE_FIXED_LEN 64
#define FIELD_MAX              0xffffu /* a payload field's Len is 16 bits */

/* Bytes of the UTF-16LE of a NUL-terminated UTF-8 name (NULL is empty). */
static int name_len(const char *s, size_t *len) {
  *len = 0;
  return s == NULL ? 0 : rd_utf8_to_utf16le(s, strlen(s), false, NULL, 0, len);
}

/* Appends the UTF-16LE of s, whose length name_len measured. */
static bool add_name(rd_bld *b, const char *s, size_t len) {
  uint8_t *p;
  size_t n;
  if (len == 0)
    return true;
  if (!rd_bld_add_space(b, len, &p))
    return false;
  if (rd_utf8_to_utf16le(s, strlen(s), false, p, len, &n) != 0 || n != len) {
    rd_bld_set_error(b); /* cannot happen: s was measured */
    return false;
  }
  return true;
}

static bool span_ok(const uint8_t *p, size_t n) { return (p != NULL || n == 0) && n <= FIELD_MAX; }

int rd_ntlm_encode_authenticate(const rd_ntlm_authenticate *a, rd_bld *b, size_t *mic_offset) {
  size_t dom, usr, ws;
  int r;
  if (mic_offset != NULL)
    *mic_offset = 0;
  if (a == NULL || !span_ok(a->lm_response, a->lm_len) || !span_ok(a->nt_response, a->nt_len) ||
      !span_ok(a->encrypted_session_key, a->esk_len) || !(a->flags & RD_NTLM_NEGOTIATE_UNICODE))
    return RD_E_INVALID;
  if ((r = name_len(a->domain, &dom)) != 0 || (r = name_len(a->user, &usr)) != 0 ||
      (r = name_len(a->workstation, &ws)) != 0)
    return r;
  if (dom > FIELD_MAX || usr > FIELD_MAX || ws > FIELD_MAX)
    return RD_E_INVALID;

  bool version = (a->flags & RD_NTLM_NEGOTIATE_VERSION) || a->with_mic;
  size_t header = AUTHENTICATE_FIXED_LEN + (version ? 8 : 0) + (a->with_mic ? RD_NTLM_MIC_LEN : 0);
  /* Payload order as Windows writes it; each field's offset is where the previous one ended. The
   * total stays below 88 + 6 * 65535, far from 2^32. */
  const size_t lens[6] = {dom, usr, ws, a->lm_len, a->nt_len, a->esk_len};
  size_t off = header;
  rd_bld_add_bytes(b, ssp_id, sizeof ssp_id);
  rd_bld_add_u32le(b, RD_NTLM_MSG_AUTHENTICATE);
  /* Header order differs from payload order: LM, NT, domain, user, workstation, session key. */
  static const int header_order[6] = {3, 4, 0, 1, 2, 5};
  size_t offs[6];
  for (int i = 0; i < 6; i++) {
    offs[i] = off;
    off += lens[i];
  }
  for (int i = 0; i < 6; i++) {
    int k = header_order[i];
    rd_bld_add_u16le(b, (uint16_t)lens[k]); /* Len */
    rd_bld_add_u16le(b, (uint16_t)lens[k]); /* MaxLen */
    rd_bld_add_u32le(b, (uint32_t)offs[k]);
  }
  rd_bld_add_u32le(b, a->flags);
  if (version) {
    uint8_t ver[8] = {0};
    if (a->flags & RD_NTLM_NEGOTIATE_VERSION) {
      ver[0] = a->version.major;
      ver[1] = a->version.minor;
      ver[2] = (uint8_t)a->version.build;
      ver[3] = (uint8_t)(a->version.build >> 8);
      ver[7] = a->version.revision; /* after 3 reserved bytes */
    }
    rd_bld_add_bytes(b, ver, sizeof ver);
  }
  if (a->with_mic)
    rd_bld_add_zeros(b, RD_NTLM_MIC_LEN);
  if (!add_name(b, a->domain, dom) || !add_name(b, a->user, usr) ||
      !add_name(b, a->workstation, ws) || !rd_bld_add_bytes(b, a->lm_response, a->lm_len) ||
      !rd_bld_add_bytes(b, a->nt_response, a->nt_len) ||
      !rd_bld_add_bytes(b, a->encrypted_session_key, a->esk_len))
    return RD_E_NOMEM; /* sticky: any earlier failed append fails these too */
  if (mic_offset != NULL && a->with_mic)
    *mic_offset = RD_NTLM_AUTHENTICATE_MIC_OFFSET;
  return 0;
}

/* Checks the server's AV_PAIR list before anything is written, as the CHALLENGE decoder does:
 * every pair inside the list, an EOL with AvLen 0 before its end, the first MsvAvFlags 4 bytes. */
static bool av_list_ok(rd_cur ti) {
  bool flags_seen = false;
  if (rd_cur_is_empty(&ti))
    return true;
  for (;;) {
    uint16_t id, len;
    rd_cur val;
    if (!rd_cur_get_u16le(&ti, &id) || !rd_cur_get_u16le(&ti, &len) ||
        !rd_cur_get_span(&ti, len, &val))
      return false;
    if (id == RD_NTLM_AV_EOL)
      return len == 0;
    if (id == RD_NTLM_AV_FLAGS && !flags_seen) {
      if (len != 4)
        return false;
      flags_seen = true;
    }
  }
}

int rd_ntlm_target_info_for_authenticate(rd_cur server_target_info, const char *spn_or_null,
                                         rd_bld *b) {
  rd_cur ti = server_target_info;
  size_t spn = 0;
  bool flags_seen = false;
  int r;
  if (!av_list_ok(ti))
    return RD_E_MALFORMED;
  if ((r = name_len(spn_or_null, &spn)) != 0)
    return r;
  if (spn > FIELD_MAX)
    return RD_E_INVALID;
  for (;;) {
    uint16_t id, len;
    rd_cur val;
    if (!rd_cur_get_u16le(&ti, &id) || !rd_cur_get_u16le(&ti, &len) ||
        !rd_cur_get_span(&ti, len, &val) || id == RD_NTLM_AV_EOL)
      break; /* the end of an empty list, or its EOL: av_list_ok allows nothing else */
    if ((id == RD_NTLM_AV_TARGET_NAME && spn > 0) || (id == RD_NTLM_AV_FLAGS && flags_seen))
      continue; /* ours replaces it; the first MsvAvFlags counts, as in the decoder */
    rd_bld_add_u16le(b, id);
    rd_bld_add_u16le(b, len);
    if (id == RD_NTLM_AV_FLAGS) {
      uint32_t v = 0;
      rd_cur_get_u32le(&val, &v);
      rd_bld_add_u32le(b, v | RD_NTLM_AV_FLAG_MIC_PRESENT);
      flags_seen = true;
    } else {
      rd_bld_add_bytes(b, rd_cur_data(&val), rd_cur_len(&val));
    }
  }
  if (!flags_seen) {
    rd_bld_add_u16le(b, RD_NTLM_AV_FLAGS);
    rd_bld_add_u16le(b, 4);
    rd_bld_add_u32le(b, RD_NTLM_AV_FLAG_MIC_PRESENT);
  }
  if (spn > 0) {
    rd_bld_add_u16le(b, RD_NTLM_AV_TARGET_NAME);
    rd_bld_add_u16le(b, (uint16_t)spn);
    add_name(b, spn_or_null, spn);
  }
  rd_bld_add_u16le(b, RD_NTLM_AV_EOL);
  return rd_bld_add_u16le(b, 0) ? 0 : RD_E_NOMEM;
}

int rd_ntlm_find(const uint8_t *p, size_t n, rd_cur *msg) {
  for (size_t i = 0; n >= sizeof ssp_id && i <= n - sizeof ssp_id; i++) {
    const uint8_t *hit = memchr(p + i, ssp_id[0], n - sizeof ssp_id + 1 - i);
    if (hit == NULL)
      break;
    i = (size_t)(hit - p);
    if (memcmp(hit, ssp_id, sizeof ssp_id) == 0) {
      rd_cur_init(msg, hit, n - i);
      return 0;
    }
  }
  return RD_E_MALFORMED;
}

int64_t rd_ntlm_filetime_to_unix(uint64_t ft) {
  /* 11644473600 s from 1601-01-01 to 1970-01-01; the quotient is below 2^61, so no overflow. */
  return (int64_t)(ft / 10000000u) - INT64_C(11644473600);
}

/* A bounded UTF-8 string under construction: out[0..cap) always NUL-terminated. */
typedef struct name_out {
  char *s;
  size_t cap, len;
  bool cut;
} name_out;

static void name_start(name_out *o, char *s, size_t cap) {
  o->s = s;
  o->cap = cap;
  o->len = 0;
  o->cut = false;
  s[0] = '\0';
}

/* Appends one code point; once one does not fit, nothing more is appended (a cut at a character
 * boundary, never half a sequence). */
static void name_put(name_out *o, uint32_t cp) {
  uint8_t u[4];
  size_t k;
  if (cp == 0)
    cp = UNICODE_REPLACEMENT;
  if (cp < 0x80) {
    u[0] = (uint8_t)cp;
    k = 1;
  } else if (cp < 0x800) {
    u[0] = (uint8_t)(0xc0 | cp >> 6);
    u[1] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 2;
  } else if (cp < 0x10000) {
    u[0] = (uint8_t)(0xe0 | cp >> 12);
    u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    u[2] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 3;
  } else {
    u[0] = (uint8_t)(0xf0 | cp >> 18);
    u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    u[3] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 4;
  }
  if (o->cut || k > o->cap - 1 - o->len) {
    o->cut = true;
    return;
  }
  memcpy(o->s + o->len, u, k);
  o->len += k;
  o->s[o->len] = '\0';
}

/* UTF-16LE to UTF-8; an unpaired surrogate becomes U+FFFD. False for an odd byte count. */
static bool name_utf16le(rd_cur s, name_out *o) {
  uint16_t u, v;
  if (rd_cur_len(&s) % 2 != 0)
    return false;
  while (rd_cur_get_u16le(&s, &u)) {
    uint32_t cp = u;
    if (u >= 0xd800 && u <= 0xdbff) {
      rd_cur peek = s;
      if (rd_cur_get_u16le(&peek, &v) && v >= 0xdc00 && v <= 0xdfff) {
        cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (v - 0xdc00);
        s = peek;
      } else {
        cp = UNICODE_REPLACEMENT;
      }
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      cp = UNICODE_REPLACEMENT;
    }
    name_put(o, cp);
  }
  return true;
}

/* OEM bytes in an unknown code page: only ASCII is certain. */
static void name_oem(rd_cur s, name_out *o) {
  uint8_t b;
  while (rd_cur_get_u8(&s, &b))
    name_put(o, b < 0x80 ? b : UNICODE_REPLACEMENT);
}

/* A payload field: Len(2) MaxLen(2) BufferOffset(4). The span must lie inside msg unless empty,
 * whose offset nobody reads. */
static bool get_payload_field(rd_cur *hdr, const rd_cur *msg, rd_cur *out) {
  uint16_t len, max_len;
  uint32_t off;
  if (!rd_cur_get_u16le(hdr, &len) || !rd_cur_get_u16le(hdr, &max_len) ||
      !rd_cur_get_u32le(hdr, &off))
    return false;
  if (len == 0) {
    rd_cur_init(out, NULL, 0);
    return true;
  }
  if (off > rd_cur_len(msg) || len > rd_cur_len(msg) - off)
    return false;
  rd_cur_init(out, rd_cur_data(msg) + off, len);
  return true;
}

/* Offset of a non-empty field's first byte in msg. */
static size_t span_offset(const rd_cur *msg, const rd_cur *field) {
  return (size_t)(rd_cur_data(field) - rd_cur_data(msg));
}

static bool get_version(rd_cur *hdr, rd_ntlm_version *v) {
  return rd_cur_get_u8(hdr, &v->major) && rd_cur_get_u8(hdr, &v->minor) &&
         rd_cur_get_u16le(hdr, &v->build) && rd_cur_skip(hdr, 3) &&
         rd_cur_get_u8(hdr, &v->revision);
}

/* One string AV pair into its field, the first occurrence only. */
static bool av_name(rd_cur val, char *dst, unsigned trunc_bit, rd_ntlm_challenge *ch) {
  name_out o;
  name_start(&o, dst, RD_NTLM_NAME_MAX);
  if (!name_utf16le(val, &o))
    return false;
  if (o.cut)
    ch->truncated |= trunc_bit;
  return true;
}

/* The AV_PAIR list (MS-NLMP 2.2.2.1), which must end with MsvAvEOL inside TargetInfo. */
static bool get_av_pairs(rd_cur ti, rd_ntlm_challenge *ch) {
  unsigned seen = 0;
  for (;;) {
    uint16_t id, len;
    rd_cur val;
    if (!rd_cur_get_u16le(&ti, &id) || !rd_cur_get_u16le(&ti, &len) ||
        !rd_cur_get_span(&ti, len, &val))
      return false;
    if (id == RD_NTLM_AV_EOL)
      return len == 0;
    if (id > RD_NTLM_AV_CHANNEL_BINDINGS || (seen & (1u << id)))
      continue; /* an AvId from a later revision, or a repeat */
    seen |= 1u << id;
    bool ok = true;
    switch (id) {
    case RD_NTLM_AV_NB_COMPUTER:
      ok = av_name(val, ch->nb_computer, RD_NTLM_TRUNC_NB_COMPUTER, ch);
      break;
    case RD_NTLM_AV_NB_DOMAIN:
      ok = av_name(val, ch->nb_domain, RD_NTLM_TRUNC_NB_DOMAIN, ch);
      break;
    case RD_NTLM_AV_DNS_COMPUTER:
      ok = av_name(val, ch->dns_computer, RD_NTLM_TRUNC_DNS_COMPUTER, ch);
      break;
    case RD_NTLM_AV_DNS_DOMAIN:
      ok = av_name(val, ch->dns_domain, RD_NTLM_TRUNC_DNS_DOMAIN, ch);
      break;
    case RD_NTLM_AV_DNS_TREE:
      ok = av_name(val, ch->dns_tree, RD_NTLM_TRUNC_DNS_TREE, ch);
      break;
    case RD_NTLM_AV_FLAGS:
      ok = ch->av_flags_present = rd_cur_get_u32le(&val, &ch->av_flags) && rd_cur_is_empty(&val);
      break;
    case RD_NTLM_AV_TIMESTAMP:
      ok = ch->timestamp_present =
          rd_cur_get_u64le(&val, &ch->timestamp) && rd_cur_is_empty(&val);
      break;
    case RD_NTLM_AV_SINGLE_HOST:
      ch->single_host_present = true;
      break;
    case RD_NTLM_AV_TARGET_NAME:
      ch->av_target_name_present = true;
      break;
    case RD_NTLM_AV_CHANNEL_BINDINGS:
      ch->channel_bindings_present = true;
      break;
    default:
      break;
    }
    if (!ok)
      return false;
  }
}

int rd_ntlm_decode_challenge(rd_cur *c, rd_ntlm_challenge *out) {
  rd_cur msg = *c, hdr = *c, name, ti;
  rd_ntlm_challenge ch;
  uint8_t sig[RD_NTLM_SSP_ID_LEN];
  uint32_t type;
  name_out o;
  memset(&ch, 0, sizeof ch);
  if (!rd_cur_get_bytes(&hdr, sig, sizeof sig) || memcmp(sig, ssp_id, sizeof sig) != 0 ||
      !rd_cur_get_u32le(&hdr, &type) || type != RD_NTLM_MSG_CHALLENGE ||
      !get_payload_field(&hdr, &msg, &name) || !rd_cur_get_u32le(&hdr, &ch.flags) ||
      !rd_cur_get_bytes(&hdr, ch.server_challenge, sizeof ch.server_challenge))
    return RD_E_MALFORMED;

  /* The payload starts at the lowest offset of a non-empty field; header fields added by later
   * revisions (TargetInfoFields, Version) exist only before it. */
  size_t payload = rd_cur_len(&msg);
  if (rd_cur_len(&name) > 0 && span_offset(&msg, &name) < payload)
    payload = span_offset(&msg, &name);
  rd_cur_init(&ti, NULL, 0);
  if (payload >= CHALLENGE_VERSION) {
    if (!rd_cur_skip(&hdr, CHALLENGE_TI_FIELDS - CHALLENGE_FIXED_LEN) ||
        !get_payload_field(&hdr, &msg, &ti))
      return RD_E_MALFORMED;
    if (rd_cur_len(&ti) > 0 && span_offset(&msg, &ti) < payload)
      payload = span_offset(&msg, &ti);
  }
  if ((ch.flags & RD_NTLM_NEGOTIATE_VERSION) && payload >= CHALLENGE_HEADER_LEN) {
    if (!get_version(&hdr, &ch.version))
      return RD_E_MALFORMED;
    ch.version_present = true;
  }

  name_start(&o, ch.target_name, sizeof ch.target_name);
  if (ch.flags & RD_NTLM_NEGOTIATE_UNICODE) {
    if (!name_utf16le(name, &o))
      return RD_E_MALFORMED;
  } else {
    name_oem(name, &o);
  }
  if (o.cut)
    ch.truncated |= RD_NTLM_TRUNC_TARGET_NAME;

  if (rd_cur_len(&ti) > 0) {
    if (!get_av_pairs(ti, &ch))
      return RD_E_MALFORMED;
    ch.target_info_present = true;
    ch.target_info = ti;
  }
  *out = ch;
  rd_cur_skip(c, rd_cur_len(c));
  return 0;
}
