/* The verdict: where a default client's connection ends, each phase's state, the root cause, and
 * whether rdpdoctor could check at all. Decided once here; renderers only format it. */
#include <string.h>

#include "diag_internal.h"
#include "query.h"

#define RD_PHASE_STATE_NAME(id, name) name,
static const char *const phase_state_names[] = {RD_PHASE_STATES(RD_PHASE_STATE_NAME)};
#undef RD_PHASE_STATE_NAME

const char *rd_phase_state_name(rd_phase_state s) {
  return (unsigned)s < sizeof phase_state_names / sizeof phase_state_names[0] ? phase_state_names[s] : "unknown";
}

/* Where a default client's connection ends: the probe requesting what a current Windows client
 * requests stands for it. Its own outcome may be ours (a local error, the deadline): the phase
 * state then says not-checked. */
static rd_phase where_it_ends(const rd_check_facts *f, int client, int auth) {
  if (f->name.n_addrs == 0)
    return RD_PH_NAME;
  if (client < 0 || f->probes[client].connect != RD_CONN_OK)
    return RD_PH_REACH;
  const rd_probe_facts *c = &f->probes[client];
  if (!rd_query_usable(c, RD_PH_NEGOTIATE)) /* a FAILURE answers, and ends it */
    return RD_PH_NEGOTIATE;
  unsigned tested = rd_query_phases_tested(c);
  if ((tested & (1u << RD_PH_TLS)) && !rd_query_usable(c, RD_PH_TLS))
    return RD_PH_TLS;
  if ((tested & (1u << RD_PH_CREDSSP)) && c->credssp.outcome != RD_CSSP_CHALLENGE)
    return RD_PH_CREDSSP;
  /* With credentials, a refused authentication ends the connection inside CredSSP. */
  if (auth >= 0) {
    const rd_auth_facts *a = &f->probes[auth].auth;
    if (a->outcome != RD_AUTH_ACCEPTED || (a->early_authz_present && a->early_authz != 0))
      return RD_PH_CREDSSP;
  }
  /* The session phase, where the client's probe went on into it and the server ended it. */
  if ((tested & (1u << RD_PH_SESSION)) && !rd_query_usable(c, RD_PH_SESSION) && !rd_query_phase_ours(c, RD_PH_SESSION))
    return RD_PH_SESSION;
  return RD_PH_ANY;
}

static rd_phase_state by_findings(const rd_diagnosis *d, rd_phase ph) {
  rd_phase_state s = RD_STATE_OK;
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
    if (def->phase != ph)
      continue;
    if (def->severity == RD_SEV_CRITICAL)
      return RD_STATE_FAILED;
    if (def->severity == RD_SEV_WARNING)
      s = RD_STATE_WARNING;
  }
  return s;
}

/* A phase the findings call fine, whose only witness (the client's probe) was ended by our side,
 * is not checked. */
static rd_phase_state unless_ours(rd_phase_state s, bool ours) {
  return s == RD_STATE_OK && ours ? RD_STATE_NOT_CHECKED : s;
}

/* The session phase: on the probe that went on into it (the client's). Not reached: not tested;
 * a step rdpdoctor does not take, a local error or the deadline: not checked; else its findings
 * (a session the server ended without a usable answer always has a critical one). */
static void session_state(const rd_check_facts *f, const rd_diagnosis *d, rd_verdict *v) {
  int sp = rd_query_session_probe(f);
  rd_phase_state *ps = &v->phases[RD_PH_SESSION];
  *ps = RD_STATE_NOT_TESTED;
  if (sp < 0)
    return;
  switch (f->probes[sp].session.outcome) {
  case RD_SESS_NOT_TRIED:
  case RD_SESS_ENUMERATED: /* an enumeration connection's, never the client's */
    return;
  case RD_SESS_NOT_SUPPORTED:
  case RD_SESS_LOCAL_ERROR:
  case RD_SESS_CUT:
    *ps = by_findings(d, RD_PH_SESSION) == RD_STATE_FAILED ? RD_STATE_FAILED : RD_STATE_NOT_CHECKED;
    return;
  case RD_SESS_ACTIVE:
  case RD_SESS_ERROR_INFO:
  case RD_SESS_DISCONNECTED:
  case RD_SESS_LICENSE_ERROR:
  case RD_SESS_REFUSED:
  case RD_SESS_CLOSED:
  case RD_SESS_RESET:
  case RD_SESS_SILENT:
  case RD_SESS_MALFORMED:
    break;
  }
  *ps = by_findings(d, RD_PH_SESSION);
  if (*ps == RD_STATE_OK && !rd_query_usable(&f->probes[sp], RD_PH_SESSION))
    *ps = RD_STATE_FAILED; /* never ok without Demand Active (the rules add a finding) */
}

static void phase_states(const rd_check_facts *f, const rd_diagnosis *d, rd_verdict *v) {
  rd_phase_state *ps = v->phases;
  for (int i = 0; i < RD_VERDICT_PHASES; i++)
    ps[i] = RD_STATE_SKIPPED;
  const rd_probe_facts *c = v->client_probe >= 0 ? &f->probes[v->client_probe] : NULL;
  session_state(f, d, v); /* its own probe's, whatever the phases before say */

  if (f->name.status == RD_NAME_NO_SERVERS || f->name.status == RD_NAME_CANCELLED ||
      rd_query_family_forced_missing(f)) {
    ps[RD_PH_NAME] = RD_STATE_NOT_CHECKED;
    return;
  }
  ps[RD_PH_NAME] = f->name.n_addrs == 0 ? RD_STATE_FAILED : by_findings(d, RD_PH_NAME);
  if (f->name.n_addrs == 0)
    return;

  rd_reach_count rc;
  rd_query_reach(f, &rc);
  if (rc.tried == 0 && rc.ours > 0)
    ps[RD_PH_REACH] = RD_STATE_NOT_CHECKED;
  else if (f->reach.chosen < 0)
    ps[RD_PH_REACH] = RD_STATE_FAILED;
  else
    ps[RD_PH_REACH] = by_findings(d, RD_PH_REACH);
  if (f->reach.chosen < 0)
    return;

  rd_nego_count nc;
  rd_query_nego(f, &nc);
  if (nc.asked == 0)
    ps[RD_PH_NEGOTIATE] = nc.ours > 0 ? RD_STATE_NOT_CHECKED : RD_STATE_SKIPPED;
  else
    ps[RD_PH_NEGOTIATE] = unless_ours(by_findings(d, RD_PH_NEGOTIATE),
                                      c != NULL && (c->connect != RD_CONN_OK || !rd_query_nego_answered(c)) &&
                                          rd_query_probe_ours(c));

  rd_tls_count tc;
  rd_query_tls(f, &tc);
  if (tc.tried == 0)
    ps[RD_PH_TLS] = tc.ours > 0 ? RD_STATE_NOT_CHECKED : RD_STATE_SKIPPED;
  else
    ps[RD_PH_TLS] = unless_ours(by_findings(d, RD_PH_TLS), c != NULL && (c->tls.outcome == RD_TLSO_LOCAL_ERROR ||
                                                                          c->tls.outcome == RD_TLSO_CUT));

  int cp = rd_query_credssp_probe(f);
  if (cp < 0)
    return;
  const rd_probe_facts *k = &f->probes[cp];
  const rd_auth_facts *a = v->auth_probe >= 0 ? &f->probes[v->auth_probe].auth : NULL;
  if (k->credssp.outcome == RD_CSSP_LOCAL_ERROR || k->credssp.outcome == RD_CSSP_CUT)
    ps[RD_PH_CREDSSP] = RD_STATE_NOT_CHECKED;
  else if (k->credssp.outcome != RD_CSSP_CHALLENGE)
    ps[RD_PH_CREDSSP] = RD_STATE_FAILED; /* the server answered our NEGOTIATE with no CHALLENGE */
  else
    ps[RD_PH_CREDSSP] = unless_ours(by_findings(d, RD_PH_CREDSSP),
                                    a != NULL && (a->outcome == RD_AUTH_LOCAL_ERROR || a->outcome == RD_AUTH_CUT));
}

/* Findings about how the server is configured rather than about what fails: they never make the
 * root cause while a fault of the same severity is there. */
static bool posture(rd_finding_id id) {
  return id == RD_F_NLA_NOT_ENFORCED || id == RD_F_TLS_NOT_ALLOWED || id == RD_F_RESTRICTED_ADMIN_AVAILABLE;
}

/* The root cause: the worst finding; among equals, a fault before a posture finding, one in the
 * phase where the connection ends, then the one in the later phase (the connection got that far). */
static int root_score(const rd_finding_def *def, rd_phase ends_at) {
  return (int)def->severity * 1000 + (posture(def->id) ? 0 : 100) + (def->phase == ends_at ? 50 : 0) +
         (def->phase == RD_PH_ANY ? 0 : (int)def->phase);
}

/* The other findings in rank order: contributing (warning, critical) and informational. */
static void rank_rest(rd_diagnosis *d) {
  rd_verdict *v = &d->verdict;
  int order[RD_MAX_FINDINGS], score[RD_MAX_FINDINGS];
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++) {
    if ((int)i == v->root)
      continue;
    int sc = root_score(rd_finding_def_get(d->items[i].id), v->ends_at);
    size_t k = n++;
    while (k > 0 && score[k - 1] < sc) /* stable: equal scores keep the rules' order */
      order[k] = order[k - 1], score[k] = score[k - 1], k--;
    order[k] = (int)i, score[k] = sc;
  }
  v->n_contributing = v->n_informational = 0;
  for (size_t k = 0; k < n; k++) {
    if (rd_finding_def_get(d->items[order[k]].id)->severity == RD_SEV_INFO)
      v->informational[v->n_informational++] = order[k];
    else
      v->contributing[v->n_contributing++] = order[k];
  }
}

/* "0x904, extended 0x7" -> "0x904", "0x7": only a client code that starts with the code. */
static void client_codes(rd_verdict *v, const char *text) {
  v->client_code[0] = v->client_ext[0] = '\0';
  size_t n = 0;
  if (strncmp(text, "0x", 2) != 0)
    return;
  while (n + 1 < sizeof v->client_code && (n < 2 || strchr("0123456789abcdefABCDEF", text[n]) != NULL) && text[n])
    v->client_code[n] = text[n], n++;
  v->client_code[n] = '\0';
  const char *ext = strstr(text, "extended 0x");
  if (ext == NULL)
    return;
  ext += 9;
  n = 0;
  while (n + 1 < sizeof v->client_ext && (n < 2 || strchr("0123456789abcdefABCDEF", ext[n]) != NULL) && ext[n])
    v->client_ext[n] = ext[n], n++;
  v->client_ext[n] = '\0';
}

static int pick_root(const rd_diagnosis *d, rd_phase ends_at) {
  int best = -1, best_score = -1;
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
    int score = root_score(def, ends_at);
    if (def->severity != RD_SEV_INFO && score > best_score)
      best = (int)i, best_score = score;
  }
  return best;
}

/* Which of our own failures left a phase unchecked: a local error says more than the deadline. */
static rd_unchecked ours_kind(const rd_check_facts *f) {
  if (f->name.status == RD_NAME_CANCELLED)
    return RD_UNCHECKED_CUT;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->local_error != 0 || p->connect == RD_CONN_LOCAL_ERROR || p->nego == RD_NEGO_LOCAL_ERROR ||
        p->tls.outcome == RD_TLSO_LOCAL_ERROR || p->credssp.outcome == RD_CSSP_LOCAL_ERROR ||
        p->auth.outcome == RD_AUTH_LOCAL_ERROR || p->session.outcome == RD_SESS_LOCAL_ERROR)
      return RD_UNCHECKED_LOCAL_ERROR;
  }
  return RD_UNCHECKED_CUT;
}

/* Where the client's probe got no usable answer, our side ended that phase (a step never taken
 * counts as ours): then nothing says what a client meets, and there is no verdict. */
static bool client_gap_ours(const rd_probe_facts *c) {
  if (c->connect == RD_CONN_NOT_TRIED)
    return true;
  unsigned tested = rd_query_phases_tested(c);
  for (int ph = RD_PH_REACH; ph <= RD_PH_SESSION; ph++)
    if ((tested & (1u << ph)) && !rd_query_usable(c, (rd_phase)ph))
      return rd_query_phase_ours(c, (rd_phase)ph);
  return false;
}

void rd_diag_verdict(const rd_check_facts *f, rd_diagnosis *d) {
  rd_verdict *v = &d->verdict;
  v->client_probe = rd_query_client_probe(f);
  v->identity_probe = rd_query_identity_probe(f);
  v->auth_probe = rd_query_auth_probe(f);
  v->ends_at = where_it_ends(f, v->client_probe, v->auth_probe);
  v->root = pick_root(d, v->ends_at);
  rank_rest(d);
  const rd_finding_def *root = v->root >= 0 ? rd_finding_def_get(d->items[v->root].id) : NULL;
  char code[64];
  client_codes(v, v->root >= 0 ? rd_finding_client_code(&d->items[v->root], code, sizeof code) : "");
  v->client_inferred = root != NULL && root->inferred;
  v->worst = RD_SEV_INFO;
  for (size_t i = 0; i < d->n; i++) {
    rd_severity s = rd_finding_def_get(d->items[i].id)->severity;
    if (s > v->worst)
      v->worst = s;
  }
  v->any_finding_above_info = v->worst > RD_SEV_INFO;
  phase_states(f, d, v);

  v->checked = true;
  v->unchecked = RD_UNCHECKED_NONE;
  bool local_denied = false;
  for (size_t i = 0; i < f->n_probes; i++)
    local_denied |= f->probes[i].connect == RD_CONN_LOCAL_DENIED;
  bool not_checked = false;
  /* A session step rdpdoctor does not take (Standard RDP Security encryption, a licensing
   * certificate) leaves that phase not checked, but is no failure of this check: the phases before
   * it still decide (docs/verdict.md). */
  int sp = rd_query_session_probe(f);
  bool session_unsupported = sp >= 0 && f->probes[sp].session.outcome == RD_SESS_NOT_SUPPORTED;
  for (int i = 0; i < RD_VERDICT_PHASES; i++)
    not_checked |= v->phases[i] == RD_STATE_NOT_CHECKED && !(i == RD_PH_SESSION && session_unsupported);
  const rd_probe_facts *c = v->client_probe >= 0 ? &f->probes[v->client_probe] : NULL;
  if (f->name.status == RD_NAME_NO_SERVERS)
    v->unchecked = RD_UNCHECKED_NO_DNS_SERVERS;
  else if (rd_query_family_forced_missing(f))
    v->unchecked = RD_UNCHECKED_FAMILY_FORCED;
  else if (local_denied)
    v->unchecked = RD_UNCHECKED_LOCAL_DENIED;
  /* Our own failure never becomes the server's: unless the server already showed that a client
   * fails, a check that rests on it has no verdict. */
  else if ((not_checked || (c != NULL && (rd_query_probe_ours(c) || client_gap_ours(c))) ||
            (v->auth_probe >= 0 && rd_query_probe_ours(&f->probes[v->auth_probe]))) &&
           v->worst < RD_SEV_CRITICAL)
    v->unchecked = ours_kind(f);
  /* The request a client sends was never made on an address that connected: nothing says what a
   * client meets (the probe plan always makes it; hand-built or fuzzed facts may not). */
  else if ((f->name.n_addrs == 0 || c == NULL) && v->worst < RD_SEV_CRITICAL)
    v->unchecked = RD_UNCHECKED_NO_CLIENT_PROBE;
  v->checked = v->unchecked == RD_UNCHECKED_NONE;
}

int rd_diagnosis_exit_code(const rd_diagnosis *d) {
  if (!d->verdict.checked)
    return 3;
  switch (d->verdict.worst) {
  case RD_SEV_CRITICAL:
    return 2;
  case RD_SEV_WARNING:
    return 1;
  case RD_SEV_INFO:
    break;
  }
  return 0;
}
