/* `check --codes`: the codes the user's client showed, read as `explain` reads them (kb/explain),
 * against the live evidence: the same code predicted, one of the code's causes found, or neither. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kb/cause.h"
#include "kb/explain.h"

const char *rd_codes_result_name(rd_codes_result r) {
  switch (r) {
  case RD_CODES_NONE:
    return "none";
  case RD_CODES_SAME_CODE:
    return "same-code";
  case RD_CODES_CAUSE:
    return "cause";
  case RD_CODES_CONTRIBUTING:
    return "contributing";
  case RD_CODES_HEALTHY:
    return "healthy";
  case RD_CODES_OTHER:
    break;
  }
  return "other";
}

/* The first hex number after `key` in text ("0x904, extended 0x7"), -1 none. */
static long long code_after(const char *text, const char *key) {
  const char *p = key ? strstr(text, key) : text;
  if (p == NULL || (p = strstr(p, "0x")) == NULL)
    return -1;
  if (key == NULL && p != text)
    return -1; /* the error code leads the client code, or there is none */
  return strtoll(p, NULL, 16);
}

/* The finding predicts the code given (and the extended code, when both were given). */
static bool predicts(const rd_finding_def *def, const rd_codes_match *m) {
  long long code = code_after(def->client_code, NULL), ext = code_after(def->client_code, "extended");
  if (m->n_given == 2)
    return code == (long long)m->value[0] && ext == (long long)m->value[1];
  return code == (long long)m->value[0] || ext == (long long)m->value[0];
}

static bool among_causes(const rd_finding_def *def, const struct rd_explanation *ex, int *cause) {
  const rd_kb_cause *c = def->cause[0] ? rd_kb_cause_by_slug(def->cause) : NULL;
  if (c == NULL)
    return false;
  for (size_t i = 0; i < ex->n_causes; i++)
    if (ex->causes[i] == c->id) {
      *cause = (int)c->id;
      return true;
    }
  return false;
}

void rd_diag_codes(rd_diagnosis *d, const struct rd_explanation *ex) {
  rd_codes_match *m = &d->codes;
  const rd_verdict *v = &d->verdict;
  memset(m, 0, sizeof *m);
  m->finding = m->cause = -1;
  m->n_given = ex->n_codes < 2 ? ex->n_codes : 2;
  for (size_t i = 0; i < m->n_given; i++) {
    snprintf(m->given[i], sizeof m->given[i], "0x%X", ex->codes[i].arg.value);
    m->value[i] = ex->codes[i].arg.value;
  }
  if (m->n_given == 0)
    return;
  if (ex->n_causes > 0)
    m->cause = (int)ex->causes[0];
  if (v->root < 0) {
    m->result = RD_CODES_HEALTHY;
    return;
  }
  const rd_finding_def *root = rd_finding_def_get(d->items[v->root].id);
  m->finding = v->root;
  if (predicts(root, m)) {
    m->result = RD_CODES_SAME_CODE;
    among_causes(root, ex, &m->cause);
    return;
  }
  if (among_causes(root, ex, &m->cause)) {
    m->result = RD_CODES_CAUSE;
    return;
  }
  for (size_t k = 0; k < v->n_contributing; k++) {
    const rd_finding_def *def = rd_finding_def_get(d->items[v->contributing[k]].id);
    if (predicts(def, m) || among_causes(def, ex, &m->cause)) {
      m->result = RD_CODES_CONTRIBUTING;
      m->finding = v->contributing[k];
      return;
    }
  }
  m->result = RD_CODES_OTHER;
}
