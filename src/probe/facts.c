#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

int rd_check_facts_reserve(rd_check_facts *f, size_t n) {
  if (n > RD_MAX_PROBES)
    return RD_E_TOO_BIG;
  if (n <= f->cap_probes)
    return 0;
  rd_probe_facts *p = realloc(f->probes, n * sizeof *p);
  if (p == NULL)
    return RD_E_NOMEM;
  memset(p + f->cap_probes, 0, (n - f->cap_probes) * sizeof *p);
  f->probes = p;
  f->cap_probes = n;
  return 0;
}

int rd_facts_set_name(char **dst, const char *src) {
  free(*dst);
  *dst = NULL;
  if (src == NULL || src[0] == '\0')
    return 0;
  size_t n = strnlen(src, RD_NAME_LEN - 1);
  char *copy = malloc(n + 1);
  if (copy == NULL)
    return RD_E_NOMEM;
  memcpy(copy, src, n);
  copy[n] = '\0';
  *dst = copy;
  return 0;
}

void rd_probe_facts_clear_names(rd_probe_facts *p) {
  char **names[] = {&p->credssp.target_name, &p->credssp.nb_computer, &p->credssp.nb_domain,
                    &p->credssp.dns_computer, &p->credssp.dns_domain,  &p->credssp.dns_tree,
                    &p->auth.user,            &p->auth.domain};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    free(*names[i]);
    *names[i] = NULL;
  }
}

void rd_check_facts_free(rd_check_facts *f) {
  for (size_t i = 0; i < f->cap_probes; i++) /* past n_probes they are zero */
    rd_probe_facts_clear_names(&f->probes[i]);
  free(f->cert_der);
  f->cert_der = NULL;
  f->cert_der_len = 0;
  free(f->probes);
  f->probes = NULL;
  f->n_probes = f->cap_probes = 0;
}

/* Each name table is generated from the same rows as its enum (facts.def). */
#define ROW(id, name, what) name,

#define RD_NAME_STATUS ROW
static const char *const name_status_names[] = {
#include "facts.def"
};
#define RD_CONN_OUTCOME ROW
static const char *const conn_outcome_names[] = {
#include "facts.def"
};
#define RD_NEGO_OUTCOME ROW
static const char *const nego_outcome_names[] = {
#include "facts.def"
};
#define RD_SERVICE ROW
static const char *const service_names[] = {
#include "facts.def"
};
#define RD_TLS_OUTCOME ROW
static const char *const tls_outcome_names[] = {
#include "facts.def"
};
#define RD_CREDSSP_OUTCOME ROW
static const char *const credssp_outcome_names[] = {
#include "facts.def"
};
#define RD_AUTH_OUTCOME ROW
static const char *const auth_outcome_names[] = {
#include "facts.def"
};
#define RD_PROBE_KIND ROW
static const char *const probe_kind_names[] = {
#include "facts.def"
};
#define RD_SESSION_OUTCOME ROW
static const char *const session_outcome_names[] = {
#include "facts.def"
};
#define RD_IDENT_OUTCOME ROW
static const char *const ident_outcome_names[] = {
#include "facts.def"
};
#define RD_RDPSEC_CERT ROW
static const char *const rdpsec_cert_names[] = {
#include "facts.def"
};
#define RD_LOGON_OUTCOME ROW
static const char *const logon_outcome_names[] = {
#include "facts.def"
};
#define RD_LOGON_CREDS ROW
static const char *const logon_creds_names[] = {
#include "facts.def"
};
#define RD_LOGON_END ROW
static const char *const logon_end_names[] = {
#include "facts.def"
};
#define RD_RDPSEC_STATUS ROW
static const char *const rdpsec_status_names[] = {
#include "facts.def"
};
#define RD_RDPSEC_BASIS ROW
static const char *const rdpsec_basis_names[] = {
#include "facts.def"
};
#undef ROW
#define WHAT(id, name, what) what,
#define RD_RDPSEC_CERT WHAT
static const char *const rdpsec_cert_whats[] = {
#include "facts.def"
};
#undef WHAT

#define LOOKUP(table, v) ((unsigned)(v) < sizeof table / sizeof table[0] ? table[v] : "unknown")
const char *rd_name_status_name(rd_name_status s) { return LOOKUP(name_status_names, s); }
const char *rd_conn_outcome_name(rd_conn_outcome o) { return LOOKUP(conn_outcome_names, o); }
const char *rd_nego_outcome_name(rd_nego_outcome o) { return LOOKUP(nego_outcome_names, o); }
const char *rd_service_name(rd_service s) { return LOOKUP(service_names, s); }
const char *rd_tls_outcome_name(rd_tls_outcome o) { return LOOKUP(tls_outcome_names, o); }
const char *rd_credssp_outcome_name(rd_credssp_outcome o) { return LOOKUP(credssp_outcome_names, o); }
const char *rd_auth_outcome_name(rd_auth_outcome o) { return LOOKUP(auth_outcome_names, o); }
const char *rd_probe_kind_name(rd_probe_kind k) { return LOOKUP(probe_kind_names, k); }
const char *rd_session_outcome_name(rd_session_outcome o) { return LOOKUP(session_outcome_names, o); }
const char *rd_ident_outcome_name(rd_ident_outcome o) { return LOOKUP(ident_outcome_names, o); }
const char *rd_rdpsec_cert_name(rd_rdpsec_cert c) { return LOOKUP(rdpsec_cert_names, c); }
const char *rd_rdpsec_cert_what(rd_rdpsec_cert c) { return LOOKUP(rdpsec_cert_whats, c); }
const char *rd_logon_outcome_name(rd_logon_outcome o) { return LOOKUP(logon_outcome_names, o); }
const char *rd_logon_creds_name(rd_logon_creds c) { return LOOKUP(logon_creds_names, c); }
const char *rd_logon_end_name(rd_logon_end e) { return LOOKUP(logon_end_names, e); }
const char *rd_rdpsec_status_name(rd_rdpsec_status s) { return LOOKUP(rdpsec_status_names, s); }
const char *rd_rdpsec_basis_name(rd_rdpsec_basis b) { return LOOKUP(rdpsec_basis_names, b); }

/* [MS-RDPBCGR] 2.2.1.3.3: 40BIT_ENCRYPTION_FLAG 0x01, 56BIT 0x08, 128BIT 0x02, FIPS 0x10. */
const uint32_t rd_rdpsec_methods[RD_RDPSEC_N_METHODS] = {0x01, 0x08, 0x02, 0x10};

const char *rd_rdpsec_method_name(uint32_t method) {
  switch (method) {
  case 0x00:
    return "none";
  case 0x01:
    return "40-bit";
  case 0x08:
    return "56-bit";
  case 0x02:
    return "128-bit";
  case 0x10:
    return "FIPS";
  default:
    return "unknown";
  }
}

/* [MS-RDPBCGR] 2.2.1.4.3 encryptionLevel. */
const char *rd_rdpsec_level_name(uint32_t level) {
  static const char *const names[] = {"None", "Low", "Client Compatible", "High", "FIPS"};
  return level < sizeof names / sizeof names[0] ? names[level] : "unknown";
}

const char *rd_protocols_name(uint32_t protocols, char *buf, size_t size) {
  static const struct {
    uint32_t bit;
    const char *name;
  } bits[] = {{0x1, "SSL"}, {0x2, "HYBRID"}, {0x4, "RDSTLS"}, {0x8, "HYBRID_EX"}, {0x10, "RDSAAD"}};
  if (protocols == 0) {
    snprintf(buf, size, "RDP");
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
    if ((protocols & bits[i].bit) == 0)
      continue;
    int w = snprintf(buf + used, size - used, "%s%s", used ? "|" : "", bits[i].name);
    if (w < 0 || (size_t)w >= size - used)
      break;
    used += (size_t)w;
    protocols &= ~bits[i].bit;
  }
  if (protocols != 0 && used + 12 < size)
    snprintf(buf + used, size - used, "%s0x%X", used ? "|" : "", protocols);
  return buf;
}
