#include "query.h"

#include "core/x224.h"

int rd_query_primary_addr(const rd_check_facts *f) { return f->reach.chosen >= 0 ? f->reach.chosen : 0; }

bool rd_query_primary(const rd_check_facts *f, size_t i) {
  const rd_probe_facts *p = &f->probes[i];
  return i < f->n_probes && p->req.addr_index == rd_query_primary_addr(f) && p->req.kind != RD_PROBE_CONNECT;
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
         p->credssp.outcome == RD_CSSP_CUT || p->auth.outcome == RD_AUTH_LOCAL_ERROR || p->auth.outcome == RD_AUTH_CUT;
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
