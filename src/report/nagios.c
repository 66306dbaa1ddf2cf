/* `rdpdoctor check --nagios`: the monitoring-plugin output (docs/nagios.md). One status line
 * "RDP STATE - text | perfdata", then one line per warning or critical finding. The state comes
 * from the diagnosis, and, where the caller set thresholds, from the certificate's days left and
 * the check's total time; every number comes from the facts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "diag/query.h"
#include "kb/finding_text.h"
#include "report.h"

/* diag/rules.c: cert-expires-soon at this many days left or fewer. */
#define RD_NAGIOS_CERT_SOON_DAYS 14

static const char *const state_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

const char *rd_nagios_state_name(int state) {
  return state >= 0 && state <= 3 ? state_names[state] : "UNKNOWN";
}

/* The certificate findings that thresholds replace when the caller sets them: their fixed 14 days
 * and "expired" are then the thresholds' business. */
static bool superseded(const rd_nagios_opts *o, rd_finding_id id) {
  return o->cert_thresholds && (id == RD_F_CERT_EXPIRES_SOON || id == RD_F_CERT_EXPIRED);
}

static int sev_state(rd_severity s) {
  switch (s) {
  case RD_SEV_CRITICAL:
    return RD_NAGIOS_CRITICAL;
  case RD_SEV_WARNING:
    return RD_NAGIOS_WARNING;
  case RD_SEV_INFO:
    break;
  }
  return RD_NAGIOS_OK;
}

static int worse(int a, int b) { return b > a ? b : a; }

/* Which threshold the certificate's days cross: 0 none, 1 warning, 2 critical. */
static int cert_state(const rd_check_facts *f, const rd_nagios_opts *o, int *days) {
  if (!o->cert_thresholds || !f->have_cert)
    return RD_NAGIOS_OK;
  *days = rd_cert_days_left(&f->cert, f->started_unix);
  if (o->cert_crit_days >= 0 && *days < o->cert_crit_days)
    return RD_NAGIOS_CRITICAL;
  if (o->cert_warn_days >= 0 && *days < o->cert_warn_days)
    return RD_NAGIOS_WARNING;
  return RD_NAGIOS_OK;
}

static int time_state(const rd_check_facts *f, const rd_nagios_opts *o) {
  double s = (double)f->total_us / 1e6;
  if (o->time_crit_s > 0 && s > o->time_crit_s)
    return RD_NAGIOS_CRITICAL;
  if (o->time_warn_s > 0 && s > o->time_warn_s)
    return RD_NAGIOS_WARNING;
  return RD_NAGIOS_OK;
}

int rd_nagios_state(const rd_check_facts *f, const rd_diagnosis *d, const rd_nagios_opts *o) {
  if (!d->verdict.checked)
    return RD_NAGIOS_UNKNOWN;
  int st = RD_NAGIOS_OK, days = 0;
  for (size_t i = 0; i < d->n; i++)
    if (!superseded(o, d->items[i].id))
      st = worse(st, sev_state(rd_finding_def_get(d->items[i].id)->severity));
  st = worse(st, cert_state(f, o, &days));
  return worse(st, time_state(f, o));
}

/* Plugin output may not contain '|' outside the perfdata, nor line breaks inside one line. */
static void put_text(FILE *out, const char *s) {
  for (; *s != '\0'; s++)
    fputc(*s == '|' ? '/' : (*s == '\n' || *s == '\r') ? ' ' : *s, out);
}

/* The probe whose phase times speak for a client: the client's, else the first primary one. */
static int timing_probe(const rd_check_facts *f) {
  int p = rd_query_client_probe(f);
  for (size_t i = 0; p < 0 && i < f->n_probes; i++)
    if (rd_query_primary(f, i))
      p = (int)i;
  return p;
}

/* 'label'=value[UOM];[warn];[crit];[min];[max] — labels here need no quotes (no spaces, '=' or
 * quotes); seconds with microsecond digits. */
static void perf_seconds(FILE *out, const char *label, rd_us us, double warn, double crit) {
  fprintf(out, " %s=%.6fs;", label, (double)us / 1e6);
  if (warn > 0)
    fprintf(out, "%g", warn);
  fputc(';', out);
  if (crit > 0)
    fprintf(out, "%g", crit);
  fputs(";0", out);
}

/* Prints the perfdata (after " |"). A phase that did not run has no value: an absent label, not a
 * made-up zero. */
static void perfdata(FILE *out, const rd_check_facts *f, const rd_diagnosis *d, const rd_nagios_opts *o) {
  fputs(" |", out);
  perf_seconds(out, "time_total", f->total_us, o->time_warn_s, o->time_crit_s);
  if (f->name.status == RD_NAME_OK)
    perf_seconds(out, "time_dns", f->name.took_us, 0, 0);
  int p = timing_probe(f);
  if (p >= 0) {
    const rd_probe_facts *pf = &f->probes[p];
    if (pf->connect == RD_CONN_OK)
      perf_seconds(out, "time_connect", pf->connect_attempt_us, 0, 0);
    if (rd_query_nego_answered(pf))
      perf_seconds(out, "time_negotiate", pf->reply_us, 0, 0);
    if (pf->tls.outcome == RD_TLSO_OK)
      perf_seconds(out, "time_tls", pf->tls.took_us, 0, 0);
    if (pf->credssp.outcome == RD_CSSP_CHALLENGE)
      perf_seconds(out, "time_credssp", pf->credssp.took_us, 0, 0);
  }
  if (f->have_cert) {
    /* A range "N:" alerts below N (Nagios threshold ranges): fewer days left than N. Without
     * thresholds, the check's own rule: cert-expires-soon (a warning) at 14 days or fewer. */
    char item[64];
    int len = snprintf(item, sizeof item, "cert_days=%d;", rd_cert_days_left(&f->cert, f->started_unix));
    if (!o->cert_thresholds)
      len += snprintf(item + len, sizeof item - (size_t)len, "%d:", RD_NAGIOS_CERT_SOON_DAYS + 1);
    else if (o->cert_warn_days >= 0)
      len += snprintf(item + len, sizeof item - (size_t)len, "%d:", o->cert_warn_days);
    if (o->cert_thresholds && o->cert_crit_days >= 0)
      snprintf(item + len, sizeof item - (size_t)len, ";%d:", o->cert_crit_days);
    len = (int)strlen(item);
    while (item[len - 1] == ';')
      item[--len] = '\0';
    fprintf(out, " %s", item);
  }
  unsigned n[3] = {0, 0, 0};
  for (size_t i = 0; i < d->n; i++)
    n[rd_finding_def_get(d->items[i].id)->severity]++;
  fprintf(out, " findings_critical=%u;;;0 findings_warning=%u;;;0 connections=%zu;;;0", n[RD_SEV_CRITICAL],
          n[RD_SEV_WARNING], f->n_probes + f->reach.n_side);
}

int rd_report_nagios(FILE *out, const rd_check_facts *f, const rd_diagnosis *d, const rd_nagios_opts *o) {
  int st = rd_nagios_state(f, d, o), days = 0;
  const rd_verdict *v = &d->verdict;
  fprintf(out, "RDP %s - ", rd_nagios_state_name(st));
  int root = v->root >= 0 && !superseded(o, d->items[v->root].id) ? v->root : -1;
  /* A superseded root cause leaves the next warning or critical finding to name the problem. */
  for (size_t i = 0; root < 0 && v->root >= 0 && i < d->n; i++)
    if (!superseded(o, d->items[i].id) && rd_finding_def_get(d->items[i].id)->severity != RD_SEV_INFO)
      root = (int)i;
  int cst = cert_state(f, o, &days), tst = time_state(f, o);
  if (!v->checked) {
    put_text(out, rd_report_verdict_summary(d));
    fprintf(out, " (%s)", rd_kb_unchecked_name(v->unchecked));
  } else if (root >= 0 && sev_state(rd_finding_def_get(d->items[root].id)->severity) >= worse(cst, tst)) {
    const rd_finding_def *def = rd_finding_def_get(d->items[root].id);
    put_text(out, def->title);
    fprintf(out, " (%s)", def->slug);
  } else if (cst != RD_NAGIOS_OK && cst >= tst) {
    if (days < 0)
      fprintf(out, "the certificate expired %d day%s ago", -days, days == -1 ? "" : "s");
    else
      fprintf(out, "the certificate expires in %d day%s", days, days == 1 ? "" : "s");
    fprintf(out, " (%s threshold %d days)", cst == RD_NAGIOS_CRITICAL ? "critical" : "warning",
            cst == RD_NAGIOS_CRITICAL ? o->cert_crit_days : o->cert_warn_days);
  } else if (tst != RD_NAGIOS_OK) {
    fprintf(out, "the check took %.3f s (%s threshold %g s)", (double)f->total_us / 1e6,
            tst == RD_NAGIOS_CRITICAL ? "critical" : "warning",
            tst == RD_NAGIOS_CRITICAL ? o->time_crit_s : o->time_warn_s);
  } else {
    fputs("no problem found in the phases tested", out);
  }
  fputs(" on ", out);
  put_text(out, f->host);
  fprintf(out, ":%u", f->port);
  perfdata(out, f, d, o);
  fputc('\n', out);
  /* Long output: every warning and critical finding, one a line (Nagios 3+, Icinga 2). */
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
    if (def->severity == RD_SEV_INFO)
      continue;
    char detail[512];
    rd_report_finding_detail(f, &d->items[i], detail, sizeof detail);
    fprintf(out, "%s %s: ", rd_severity_name(def->severity), def->slug);
    put_text(out, detail);
    fputc('\n', out);
  }
  fflush(out);
  return ferror(out) ? RD_E_IO : 0;
}
