/* Certificate facts from DER: see cert.h for the contract. */
#include "auth/cert.h"

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/err.h"

#define ELLIPSIS "..."

#define KEEP_UTF8      1 /* well-formed UTF-8 passes (a CN, after ASN1_STRING_to_UTF8) */
#define KEEP_BACKSLASH 2 /* the text is already escaped (RFC 2253) */

/* The output for the character at src[i]: printable ASCII as is, except a backslash unless
 * KEEP_BACKSLASH; well-formed UTF-8 as is with KEEP_UTF8; anything else (controls, DEL, stray
 * high bytes) as \xNN. Returns the output length and sets *seq to the source bytes consumed. */
static size_t escape_one(const unsigned char *src, size_t len, size_t i, int keep, char piece[4],
                         size_t *seq) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b = src[i];
  *seq = 1;
  if (b >= 0x20 && b < 0x7f && (b != '\\' || (keep & KEEP_BACKSLASH))) {
    piece[0] = (char)b;
    return 1;
  }
  if ((keep & KEEP_UTF8) && b >= 0xc2 && b <= 0xf4) {
    size_t n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2, k = 1;
    while (k < n && i + k < len && (src[i + k] & 0xc0) == 0x80)
      k++;
    if (k == n) {
      memcpy(piece, src + i, n);
      *seq = n;
      return n;
    }
  }
  piece[0] = '\\';
  piece[1] = 'x';
  piece[2] = hex[b >> 4];
  piece[3] = hex[b & 15];
  return 4;
}

/* Appends src[0..len) escaped (escape_one) to dst, which holds *at characters. When it does not
 * fit, dst ends with "..." on a character boundary instead. */
static void append_escaped(char *dst, size_t cap, size_t *at, const unsigned char *src, size_t len,
                           int keep) {
  char piece[4];
  size_t total = 0, seq, plen, room;
  for (size_t i = 0; i < len; i += seq)
    total += escape_one(src, len, i, keep, piece, &seq);
  bool fits = *at + total < cap;
  /* Everything fits: no ellipsis needed. Otherwise keep room for one. */
  room = fits ? cap : (cap > sizeof(ELLIPSIS) - 1 ? cap - (sizeof(ELLIPSIS) - 1) : 0);
  for (size_t i = 0; i < len; i += seq) {
    plen = escape_one(src, len, i, keep, piece, &seq);
    if (*at + plen >= room)
      break;
    memcpy(dst + *at, piece, plen);
    *at += plen;
  }
  if (!fits && *at + sizeof(ELLIPSIS) <= cap) {
    memcpy(dst + *at, ELLIPSIS, sizeof(ELLIPSIS) - 1);
    *at += sizeof(ELLIPSIS) - 1;
  }
  dst[*at] = '\0';
}

static void set_escaped(char *dst, size_t cap, const char *prefix, const unsigned char *src,
                        size_t len, int keep) {
  size_t at = strlen(prefix);
  memcpy(dst, prefix, at + 1);
  append_escaped(dst, cap, &at, src, len, keep);
}

/* RFC 2253 with non-ASCII and control bytes escaped, so the result is one line of ASCII. */
static int name_line(const X509_NAME *name, char *dst, size_t cap) {
  BIO *b = BIO_new(BIO_s_mem());
  char *data;
  long len;
  if (b == NULL)
    return RD_E_NOMEM;
  if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0)
    len = 0;
  else
    len = BIO_get_mem_data(b, &data);
  if (len > 0)
    set_escaped(dst, cap, "", (const unsigned char *)data, (size_t)len, KEEP_BACKSLASH);
  else
    dst[0] = '\0';
  BIO_free(b);
  return 0;
}

static void common_name(X509 *x, rd_cert_facts *f) {
  const X509_NAME *subj = X509_get_subject_name(x);
  int i = -1, last = -1;
  unsigned char *utf8 = NULL;
  int len;
  while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0)
    last = i;
  if (last < 0)
    return;
  len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last)));
  if (len >= 0)
    set_escaped(f->common_name, sizeof(f->common_name), "", utf8, (size_t)len, KEEP_UTF8);
  OPENSSL_free(utf8);
}

static void add_san(rd_cert_facts *f, const char *prefix, const unsigned char *v, size_t len) {
  f->san_total++;
  if (f->san_count < RD_CERT_SAN_MAX)
    set_escaped(f->san[f->san_count++], RD_CERT_SAN_LEN, prefix, v, len, 0);
}

static void subject_alt_names(X509 *x, rd_cert_facts *f) {
  int crit = -1;
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
  if (gens == NULL) {
    /* -1: absent. Otherwise present more than once, or undecodable. */
    f->san_invalid = crit != -1;
    return;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    int type;
    const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
    if (type == GEN_DNS) {
      f->has_dns_san = true;
      add_san(f, "DNS:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN];
      int alen = ASN1_STRING_length(s);
      int af = alen == 4 ? AF_INET : alen == 16 ? AF_INET6 : 0;
      if (af != 0 && inet_ntop(af, ASN1_STRING_get0_data(s), text, sizeof(text)) != NULL)
        add_san(f, "IP:", (const unsigned char *)text, strlen(text));
      else /* an address of neither length (RFC 5280 §4.2.1.6): shown raw, matches nothing */
        add_san(f, "IP:?", ASN1_STRING_get0_data(s), (size_t)alen);
    }
  }
  GENERAL_NAMES_free(gens);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Leap days in the Gregorian years before year y (counted from year 0, which was one). */
static int64_t leap_days_before(int64_t y) {
  int64_t p = y - 1;
  return floor_div(p, 4) - floor_div(p, 100) + floor_div(p, 400) + 1;
}

/* A broken-down UTC time to Unix seconds without timegm (not in C11 or POSIX 2008) and without
 * time_t, so dates before 1970 and after 2038 come out right everywhere. */
static int64_t tm_to_unix(const struct tm *tm) {
  static const int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t y = (int64_t)tm->tm_year + 1900;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int64_t days = 365 * (y - 1970) + leap_days_before(y) - leap_days_before(1970) +
                 before_month[tm->tm_mon] + (leap && tm->tm_mon >= 2) + tm->tm_mday - 1;
  return days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static int read_time(const ASN1_TIME *t, int64_t *out) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || tm.tm_mon < 0 || tm.tm_mon > 11)
    return RD_E_MALFORMED;
  *out = tm_to_unix(&tm);
  return 0;
}

static void copy_str(char *dst, size_t cap, const char *src) {
  set_escaped(dst, cap, "", (const unsigned char *)src, strlen(src), 0);
}

static void key_facts(X509 *x, rd_cert_facts *f) {
  EVP_PKEY *pk = X509_get0_pubkey(x);
  if (pk == NULL) {
    /* A key OpenSSL cannot load is still named by its algorithm OID. */
    ASN1_OBJECT *obj = NULL;
    char oid[64];
    if (X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL, X509_get_X509_PUBKEY(x)) == 1 &&
        obj != NULL && OBJ_obj2txt(oid, sizeof(oid), obj, 0) > 0)
      copy_str(f->key_type, sizeof(f->key_type), oid);
    return;
  }
  const char *name;
  switch (EVP_PKEY_get_base_id(pk)) {
  case EVP_PKEY_RSA:
    name = "RSA";
    break;
  case EVP_PKEY_RSA_PSS:
    name = "RSA-PSS";
    break;
  case EVP_PKEY_EC:
    name = "EC";
    break;
  case EVP_PKEY_ED25519:
    name = "Ed25519";
    break;
  case EVP_PKEY_ED448:
    name = "Ed448";
    break;
  case EVP_PKEY_DSA:
    name = "DSA";
    break;
  default:
    name = EVP_PKEY_get0_type_name(pk);
    break;
  }
  copy_str(f->key_type, sizeof(f->key_type), name != NULL ? name : "unknown");
  f->key_bits = EVP_PKEY_get_bits(pk);
  if (f->key_bits < 0)
    f->key_bits = 0;
  if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
    char group[64];
    size_t glen = 0;
    if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1)
      copy_str(f->key_group, sizeof(f->key_group), group);
  }
  f->self_signed = X509_verify(x, pk) == 1;
}

static bool weak_digest(int md_nid) {
  return md_nid == NID_md2 || md_nid == NID_md4 || md_nid == NID_md5 || md_nid == NID_sha1 ||
         md_nid == NID_md5_sha1;
}

static void signature_facts(X509 *x, rd_cert_facts *f) {
  const X509_ALGOR *alg = NULL;
  const ASN1_OBJECT *obj = NULL;
  char text[128];
  int md_nid = NID_undef, pk_nid = NID_undef;
  X509_get0_signature(NULL, &alg, x);
  if (alg != NULL)
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
  if (obj != NULL && OBJ_obj2txt(text, sizeof(text), obj, 0) > 0)
    copy_str(f->sig_alg, sizeof(f->sig_alg), text);
  /* X509_get_signature_info also reads the hash out of RSA-PSS parameters. */
  if (X509_get_signature_info(x, &md_nid, &pk_nid, NULL, NULL) != 1)
    OBJ_find_sigid_algs(X509_get_signature_nid(x), &md_nid, &pk_nid);
  f->sig_hash_weak = weak_digest(md_nid);
}

static void serial_hex(X509 *x, rd_cert_facts *f) {
  static const char hex[] = "0123456789abcdef";
  const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
  const unsigned char *d = ASN1_STRING_get0_data(sn);
  int len = ASN1_STRING_length(sn);
  size_t at = 0, cap = sizeof(f->serial);
  if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
    f->serial[at++] = '-';
  if (len <= 0)
    f->serial[at++] = '0';
  for (int i = 0; i < len; i++) {
    if (at + 2 + sizeof(ELLIPSIS) > cap && i + 1 < len) {
      memcpy(f->serial + at, ELLIPSIS, sizeof(ELLIPSIS) - 1);
      at += sizeof(ELLIPSIS) - 1;
      break;
    }
    f->serial[at++] = hex[d[i] >> 4];
    f->serial[at++] = hex[d[i] & 15];
  }
  f->serial[at] = '\0';
}

int rd_cert_facts_from_der(const uint8_t *der, size_t n, rd_cert_facts *out) {
  const unsigned char *p = der;
  X509 *x = NULL;
  uint32_t flags;
  int r = RD_E_MALFORMED;
  if (out == NULL || (der == NULL && n != 0))
    return RD_E_INVALID;
  memset(out, 0, sizeof(*out));
  if (n == 0 || n > LONG_MAX)
    goto out;
  ERR_clear_error();
  /* d2i stops at the end of the first SEQUENCE: anything after it is not part of a certificate. */
  if ((x = d2i_X509(NULL, &p, (long)n)) == NULL || p != der + n)
    goto out;
  if ((r = read_time(X509_get0_notBefore(x), &out->not_before)) != 0 ||
      (r = read_time(X509_get0_notAfter(x), &out->not_after)) != 0)
    goto out;
  if ((r = name_line(X509_get_subject_name(x), out->subject, sizeof(out->subject))) != 0 ||
      (r = name_line(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer))) != 0)
    goto out;
  common_name(x, out);
  subject_alt_names(x, out);
  out->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
  key_facts(x, out);
  signature_facts(x, out);
  serial_hex(x, out);
  out->version = (int)X509_get_version(x) + 1;
  flags = X509_get_extension_flags(x);
  out->ext_invalid = (flags & EXFLAG_INVALID) != 0;
  out->has_eku = (flags & EXFLAG_XKUSAGE) != 0;
  if (out->has_eku) {
    uint32_t xku = X509_get_extended_key_usage(x);
    out->eku_server_auth = (xku & XKU_SSL_SERVER) != 0;
    out->eku_any = (xku & XKU_ANYEKU) != 0;
  }
  /* The fingerprint users compare with certmgr or the registry's SSLCertificateSHA1Hash is over
   * the bytes as sent, not over OpenSSL's re-encoding. */
  if (EVP_Digest(der, n, out->sha256, NULL, EVP_sha256(), NULL) != 1) {
    r = RD_E_NOMEM;
    goto out;
  }
  r = 0;
out:
  X509_free(x);
  ERR_clear_error();
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

int rd_cert_subject_public_key(const uint8_t *der, size_t n, uint8_t *out, size_t cap, size_t *len) {
  const unsigned char *p = der;
  if (der == NULL || n == 0 || n > LONG_MAX)
    return RD_E_MALFORMED;
  X509 *x = d2i_X509(NULL, &p, (long)n);
  if (x == NULL) {
    ERR_clear_error();
    return RD_E_MALFORMED;
  }
  int r = RD_E_MALFORMED;
  ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
  if (bits != NULL) {
    int blen = ASN1_STRING_length(bits);
    if (blen > 0 && (size_t)blen <= cap) {
      memcpy(out, ASN1_STRING_get0_data(bits), (size_t)blen);
      *len = (size_t)blen;
      r = 0;
    } else if (blen > 0) {
      r = RD_E_TOO_BIG;
    }
  }
  X509_free(x);
  ERR_clear_error();
  return r;
}
