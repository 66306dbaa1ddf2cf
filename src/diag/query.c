#include "query.h"

#include <string.h>

#include "core/ber.h"
#include "core/cert.h"
#include "core/hostname.h"
#include "core/x224.h"

int rd_query_primary_addr(const rd_check_facts *f) { return f->reach.chosen >= 0 ? f->reach.chosen : 0; }

bool rd_query_primary(const rd_check_facts *f, size_t i) {
  const rd_probe_facts *p = &f->probes[i];
  return i < f->n_probes && p->req.addr_index == rd_query_primary_addr(f) && p->req.kind != RD_PROBE_CONNECT &&
         p->req.kind != RD_PROBE_IDENTIFY; /* the follow-up sends no Connection Request */
}

int rd_query_find_nego(const rd_check_facts *f, bool legacy, uint32_t protocols) {
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (rd_query_primary(f, i) && p->req.kind == RD_PROBE_NEGO && p->req.legacy == legacy &&
        (legacy || p->req.protocols == protocols))
      return (int)i;
  }
  return -1;
}

int rd_query_client_probe(const rd_check_facts *f) { return rd_query_find_nego(f, false, RD_QUERY_CLIENT_PROTOCOLS); }

int rd_query_identity_probe(const rd_check_facts *f) {
  int client = rd_query_client_probe(f);
  if (client >= 0 && f->probes[client].credssp.outcome == RD_CSSP_CHALLENGE)
    return client;
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && f->probes[i].credssp.outcome == RD_CSSP_CHALLENGE)
      return (int)i;
  return -1;
}

int rd_query_credssp_probe(const rd_check_facts *f) {
  int id = rd_query_identity_probe(f);
  if (id >= 0)
    return id;
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && f->probes[i].credssp.outcome != RD_CSSP_NOT_TRIED)
      return (int)i;
  return -1;
}

int rd_query_auth_probe(const rd_check_facts *f) {
  for (size_t i = 0; i < f->n_probes; i++)
    if (f->probes[i].auth.outcome != RD_AUTH_NOT_TRIED)
      return (int)i;
  return -1;
}

int rd_query_session_probe(const rd_check_facts *f) {
  int client = rd_query_client_probe(f);
  if (client >= 0 && f->probes[client].nego == RD_NEGO_FAILURE &&
      f->probes[client].failure_code == RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER) {
    int rdp = rd_query_find_nego(f, false, RD_X224_PROTOCOL_RDP);
    if (rdp >= 0 && f->probes[rdp].req.session && f->probes[rdp].session.outcome != RD_SESS_NOT_TRIED)
      return rdp;
  }
  if (client >= 0 && f->probes[client].req.session)
    return client;
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && f->probes[i].req.session)
      return (int)i;
  return -1;
}

int rd_query_error_info(const rd_session_facts *s) {
  int at = -1;
  for (size_t i = 0; i < s->n_error_info && i < RD_MAX_ERROR_INFOS; i++)
    at = s->error_info[i] != 0 ? (int)i : -1;
  return at;
}

bool rd_query_nego_answered(const rd_probe_facts *p) {
  return p->nego == RD_NEGO_RSP || p->nego == RD_NEGO_FAILURE || p->nego == RD_NEGO_LEGACY;
}

bool rd_query_nego_ended(const rd_probe_facts *p) {
  return p->nego == RD_NEGO_CLOSED || p->nego == RD_NEGO_RESET || p->nego == RD_NEGO_DISCONNECT;
}

bool rd_query_probe_ours(const rd_probe_facts *p) {
  return p->local_error != 0 || p->connect == RD_CONN_LOCAL_ERROR || p->connect == RD_CONN_CUT ||
         p->nego == RD_NEGO_LOCAL_ERROR || p->nego == RD_NEGO_CUT || p->tls.outcome == RD_TLSO_LOCAL_ERROR ||
         p->tls.outcome == RD_TLSO_CUT || p->credssp.outcome == RD_CSSP_LOCAL_ERROR ||
         p->credssp.outcome == RD_CSSP_CUT || p->auth.outcome == RD_AUTH_LOCAL_ERROR || p->auth.outcome == RD_AUTH_CUT ||
         p->session.outcome == RD_SESS_LOCAL_ERROR || p->session.outcome == RD_SESS_CUT;
}

static bool connect_ours(rd_conn_outcome o) { return o == RD_CONN_LOCAL_ERROR || o == RD_CONN_CUT; }

void rd_query_reach(const rd_check_facts *f, rd_reach_count *out) {
  *out = (rd_reach_count){.first_failed = -1};
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!rd_query_primary(f, i) || p->connect == RD_CONN_NOT_TRIED)
      continue;
    if (connect_ours(p->connect)) {
      out->ours++;
      continue;
    }
    out->tried++;
    out->ok += p->connect == RD_CONN_OK;
    out->refused += p->connect == RD_CONN_REFUSED;
    out->timeout += p->connect == RD_CONN_TIMEOUT;
    out->unreachable += p->connect == RD_CONN_HOST_UNREACH || p->connect == RD_CONN_NET_UNREACH;
    if (p->connect != RD_CONN_OK && out->first_failed < 0)
      out->first_failed = (int)i;
  }
}

void rd_query_nego(const rd_check_facts *f, rd_nego_count *out) {
  *out = (rd_nego_count){.first = -1, .not_rdp_probe = -1};
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!rd_query_primary(f, i) || p->connect != RD_CONN_OK)
      continue;
    if (p->nego == RD_NEGO_LOCAL_ERROR || p->nego == RD_NEGO_CUT || p->nego == RD_NEGO_NOT_TRIED) {
      out->ours++;
      continue;
    }
    out->asked++;
    out->silent += p->nego == RD_NEGO_SILENT;
    out->ended += rd_query_nego_ended(p);
    if (p->nego == RD_NEGO_NOT_RDP) {
      out->not_rdp++;
      out->not_rdp_probe = (int)i;
    }
    out->answered += rd_query_nego_answered(p);
    if (out->first < 0)
      out->first = (int)i;
  }
}

void rd_query_tls(const rd_check_facts *f, rd_tls_count *out) {
  *out = (rd_tls_count){.first_ok = -1, .first_failed = -1};
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    const rd_tls_facts *t = &p->tls;
    if (!rd_query_primary(f, i) || t->outcome == RD_TLSO_NOT_TRIED)
      continue;
    if (t->outcome == RD_TLSO_LOCAL_ERROR || t->outcome == RD_TLSO_CUT) {
      out->ours++;
      continue;
    }
    out->tried++;
    if (t->outcome == RD_TLSO_OK) {
      out->ok++;
      if (t->version > out->best_version)
        out->best_version = t->version;
    }
    if (p->req.kind == RD_PROBE_TLS_VERSION) {
      out->versions_tried |= 1u << (p->req.tls_pin & 0xf);
      if (t->outcome == RD_TLSO_OK)
        out->versions_ok |= 1u << (p->req.tls_pin & 0xf);
      continue;
    }
    if (t->outcome == RD_TLSO_OK && out->first_ok < 0)
      out->first_ok = (int)i;
    else if (t->outcome != RD_TLSO_OK && out->first_failed < 0)
      out->first_failed = (int)i;
  }
}

/* ---- Usable answers ---- */

bool rd_query_failure_known(uint32_t code) { return code >= 1 && code <= 6; }

bool rd_query_selection_valid(const rd_probe_facts *p) {
  if (p->nego != RD_NEGO_RSP)
    return false;
  uint32_t s = p->selected;
  if (s == RD_X224_PROTOCOL_RDP)
    return true;
  if (p->req.legacy || (s & (s - 1)) != 0) /* a request without negotiation data offers nothing */
    return false;
  return (s & p->req.protocols) == s;
}

bool rd_query_reply_is_echo(const rd_probe_facts *p) {
  /* TPKT, then an X.224 TPDU whose code is a Connection Request (0xE0), not a Confirm (0xD0). */
  return p->reply_len >= 6 && p->reply[0] == 0x03 && p->reply[1] == 0x00 && (p->reply[5] & 0xF0) == 0xE0;
}

bool rd_query_usable(const rd_probe_facts *p, rd_phase ph) {
  switch (ph) {
  case RD_PH_REACH:
    return p->connect == RD_CONN_OK;
  case RD_PH_NEGOTIATE:
    return p->connect == RD_CONN_OK && (p->nego == RD_NEGO_LEGACY || rd_query_selection_valid(p));
  case RD_PH_TLS:
    return p->tls.outcome == RD_TLSO_OK;
  case RD_PH_CREDSSP:
    if (p->credssp.outcome != RD_CSSP_CHALLENGE)
      return false;
    if (p->auth.outcome == RD_AUTH_NOT_TRIED)
      return true;
    return p->auth.outcome == RD_AUTH_ACCEPTED && !(p->auth.early_authz_present && p->auth.early_authz != 0);
  case RD_PH_SESSION:
    return p->session.outcome == RD_SESS_ACTIVE;
  default:
    return false;
  }
}

unsigned rd_query_phases_tested(const rd_probe_facts *p) {
  unsigned set = 0;
  if (p->connect == RD_CONN_NOT_TRIED)
    return 0;
  set |= 1u << RD_PH_REACH;
  if (p->connect != RD_CONN_OK)
    return set;
  set |= 1u << RD_PH_NEGOTIATE;
  if (p->nego != RD_NEGO_RSP)
    return set;
  uint32_t s = p->selected;
  if (s == RD_X224_PROTOCOL_SSL || s == RD_X224_PROTOCOL_HYBRID || s == RD_X224_PROTOCOL_HYBRID_EX)
    set |= 1u << RD_PH_TLS;
  if ((s == RD_X224_PROTOCOL_HYBRID || s == RD_X224_PROTOCOL_HYBRID_EX) && p->tls.outcome == RD_TLSO_OK &&
      p->credssp.outcome != RD_CSSP_NOT_TRIED)
    set |= 1u << RD_PH_CREDSSP;
  /* The session follows a usable security phase; a step rdpdoctor does not take leaves it
   * untested (its state says not-checked, docs/verdict.md). */
  if (p->req.session && p->session.outcome != RD_SESS_NOT_TRIED && p->session.outcome != RD_SESS_NOT_SUPPORTED)
    set |= 1u << RD_PH_SESSION;
  return set;
}

bool rd_query_addr_loopback(const char *addr) {
  return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 || strncmp(addr, "::ffff:127.", 11) == 0;
}

bool rd_query_family_forced_missing(const rd_check_facts *f) {
  const rd_name_facts *n = &f->name;
  return n->status == RD_NAME_NODATA && n->n_addrs == 0 &&
         ((n->status_a == RD_NAME_NOT_TRIED) != (n->status_aaaa == RD_NAME_NOT_TRIED));
}

/* ---- The certificate's names, all of them ---- */

/* Walks every GeneralName of the subjectAltName extension in the certificate's DER, calling
 * visit(tag, value, len, ctx) for each dNSName (0x82) and iPAddress (0x87) until it returns true.
 * Returns -1 when the DER cannot be read that far, 1 when a visit returned true, 0 otherwise. */
static int walk_sans(const uint8_t *der, size_t len, bool (*visit)(uint8_t, const uint8_t *, size_t, void *),
                     void *ctx) {
  static const uint8_t san_oid[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
  rd_cur c, cert, tbs, skip, exts, list;
  uint8_t tag;
  bool present;
  rd_cur_init(&c, der, len);
  if (!rd_ber_get_sequence(&c, &cert) || !rd_ber_get_sequence(&cert, &tbs) ||
      !rd_ber_get_optional_context(&tbs, 0, &skip, &present))
    return -1;
  for (int i = 0; i < 6; i++) /* serial, signature, issuer, validity, subject, subjectPublicKeyInfo */
    if (!rd_ber_get_any_tlv(&tbs, &tag, &skip))
      return -1;
  while (!rd_cur_is_empty(&tbs)) {
    if (!rd_ber_get_any_tlv(&tbs, &tag, &exts))
      return -1;
    if (tag != 0xA3)
      continue;
    if (!rd_ber_get_sequence(&exts, &list))
      return -1;
    while (!rd_cur_is_empty(&list)) {
      rd_cur ext, oid, value, names;
      if (!rd_ber_get_sequence(&list, &ext) || !rd_ber_get_tlv(&ext, 0x06, &oid))
        return -1;
      if (rd_cur_len(&oid) != sizeof san_oid || memcmp(rd_cur_data(&oid), san_oid, sizeof san_oid) != 0)
        continue;
      if (!rd_ber_get_optional_tlv(&ext, 0x01, &skip, &present) || !rd_ber_get_octet_string(&ext, &value) ||
          !rd_ber_get_sequence(&value, &names))
        return -1;
      while (!rd_cur_is_empty(&names)) {
        rd_cur v;
        if (!rd_ber_get_any_tlv(&names, &tag, &v))
          return -1;
        if ((tag == 0x82 || tag == 0x87) && visit(tag, rd_cur_data(&v), rd_cur_len(&v), ctx))
          return 1;
      }
    }
  }
  return 0;
}

typedef struct name_query {
  const char *host;
  uint8_t ip[16];
  size_t ip_len;
} name_query;

static bool visit_match(uint8_t tag, const uint8_t *v, size_t n, void *ctx) {
  const name_query *q = ctx;
  if (tag == 0x87)
    return q->ip_len != 0 && n == q->ip_len && memcmp(v, q->ip, n) == 0;
  if (q->ip_len != 0 || n == 0 || n > 253)
    return false;
  /* One DNS name at a time through the same RFC 6125 matcher; a name with a byte outside
   * printable ASCII never matches (the facts would show it escaped). */
  rd_cert_facts one;
  memset(&one, 0, sizeof one);
  memcpy(one.san[0], "DNS:", 4);
  for (size_t i = 0; i < n; i++) {
    if (v[i] <= 0x20 || v[i] >= 0x7f)
      return false;
    one.san[0][4 + i] = (char)v[i];
  }
  one.san_count = one.san_total = 1;
  one.has_dns_san = true;
  return rd_cert_name_matches(&one, q->host);
}

static bool visit_ip(uint8_t tag, const uint8_t *v, size_t n, void *ctx) {
  (void)v, (void)n, (void)ctx;
  return tag == 0x87;
}

rd_cert_name_answer rd_query_cert_names_host(const rd_check_facts *f) {
  const rd_cert_facts *c = &f->cert;
  if (rd_cert_name_matches(c, f->host))
    return RD_CERT_NAME_MATCH;
  if (c->san_total <= c->san_count)
    return RD_CERT_NAME_MISMATCH;
  /* Some SANs were cut: only the whole certificate can say the name is not among them. */
  if (f->cert_der == NULL || f->cert_der_len == 0)
    return RD_CERT_NAME_UNKNOWN;
  name_query q = {.host = f->host};
  size_t hl = strlen(f->host);
  if (hl > 0 && f->host[hl - 1] == '.')
    hl--;
  char ip[64];
  if (hl < sizeof ip) {
    memcpy(ip, f->host, hl);
    ip[hl] = '\0';
    q.ip_len = rd_hostname_parse_ip(ip, hl, q.ip);
  }
  int r = walk_sans(f->cert_der, f->cert_der_len, visit_match, &q);
  return r < 0 ? RD_CERT_NAME_UNKNOWN : r > 0 ? RD_CERT_NAME_MATCH : RD_CERT_NAME_MISMATCH;
}

bool rd_query_cert_has_ip_san(const rd_check_facts *f) {
  const rd_cert_facts *c = &f->cert;
  for (size_t i = 0; i < c->san_count; i++)
    if (strncmp(c->san[i], "IP:", 3) == 0)
      return true;
  if (c->san_total <= c->san_count || f->cert_der == NULL)
    return false;
  return walk_sans(f->cert_der, f->cert_der_len, visit_ip, NULL) > 0;
}

/* Our side ended this phase of the probe: nothing it lacks there is the server's. */
bool rd_query_phase_ours(const rd_probe_facts *p, rd_phase ph) {
  if (p->local_error != 0)
    return true;
  switch (ph) {
  case RD_PH_REACH:
    return p->connect == RD_CONN_LOCAL_ERROR || p->connect == RD_CONN_CUT || p->connect == RD_CONN_LOCAL_DENIED;
  case RD_PH_NEGOTIATE:
    return p->nego == RD_NEGO_LOCAL_ERROR || p->nego == RD_NEGO_CUT || p->nego == RD_NEGO_NOT_TRIED;
  case RD_PH_TLS:
    return p->tls.outcome == RD_TLSO_LOCAL_ERROR || p->tls.outcome == RD_TLSO_CUT ||
           p->tls.outcome == RD_TLSO_NOT_TRIED;
  case RD_PH_CREDSSP:
    return p->credssp.outcome == RD_CSSP_LOCAL_ERROR || p->credssp.outcome == RD_CSSP_CUT ||
           p->auth.outcome == RD_AUTH_LOCAL_ERROR || p->auth.outcome == RD_AUTH_CUT;
  case RD_PH_SESSION:
    return p->session.outcome == RD_SESS_LOCAL_ERROR || p->session.outcome == RD_SESS_CUT;
  default:
    return false;
  }
}

