/* A check as Prometheus text exposition (format 0.0.4), for the exporter's /probe (docs/exporter.md).
 * Names follow Prometheus conventions: base units (seconds), _timestamp_seconds for times, _info
 * for an info metric whose labels carry the value. Every number comes from the facts or the
 * verdict; a measurement that did not happen has no series. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "diag/query.h"
#include "report.h"

/* A label value: backslash, double quote and line feed escaped (exposition format). */
static void label(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    if (*s == '\\' || *s == '"')
      fputc('\\', f), fputc(*s, f);
    else if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double v) {
  head(f, name, "gauge", help);
  fprintf(f, "%s %.9g\n", name, v);
}

/* Whole numbers (timestamps, days) exactly: %g would round a 10-digit timestamp. */
static void gauge_int(FILE *f, const char *name, const char *help, long long v) {
  head(f, name, "gauge", help);
  fprintf(f, "%s %lld\n", name, v);
}

static int timing_probe(const rd_check_facts *c) {
  int p = rd_query_client_probe(c);
  for (size_t i = 0; p < 0 && i < c->n_probes; i++)
    if (rd_query_primary(c, i))
      p = (int)i;
  return p;
}

int rd_report_prom(FILE *f, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  int code = rd_diagnosis_exit_code(d);
  gauge(f, "rdp_probe_success",
        "1 when rdpdoctor checked the server and a default client gets through (no critical finding)",
        v->checked && code < 2 ? 1 : 0);
  gauge(f, "rdp_probe_duration_seconds", "How long the whole check took", (double)c->total_us / 1e6);
  gauge(f, "rdp_checked", "1 when rdpdoctor could check (0: our side or our deadline decided; see rdp_exit_code 3)",
        v->checked ? 1 : 0);
  gauge(f, "rdp_exit_code", "The check's exit code: 0 healthy, 1 warning, 2 critical, 3 could not check", code);
  head(f, "rdp_verdict", "gauge", "The verdict as a state set: one series per status, 1 for the current one");
  static const char *const st[4] = {"ok", "warning", "critical", "unknown"};
  for (int i = 0; i < 4; i++)
    fprintf(f, "rdp_verdict{status=\"%s\"} %d\n", st[i], i == code ? 1 : 0);

  head(f, "rdp_phase_duration_seconds", "gauge",
       "Phase times of the probe that stands for a client (absent: the phase did not happen)");
  if (c->name.status == RD_NAME_OK)
    fprintf(f, "rdp_phase_duration_seconds{phase=\"dns\"} %.9g\n", (double)c->name.took_us / 1e6);
  int p = timing_probe(c);
  if (p >= 0) {
    const rd_probe_facts *pf = &c->probes[p];
    if (pf->connect == RD_CONN_OK)
      fprintf(f, "rdp_phase_duration_seconds{phase=\"connect\"} %.9g\n", (double)pf->connect_attempt_us / 1e6);
    if (rd_query_nego_answered(pf))
      fprintf(f, "rdp_phase_duration_seconds{phase=\"negotiate\"} %.9g\n", (double)pf->reply_us / 1e6);
    if (pf->tls.outcome == RD_TLSO_OK)
      fprintf(f, "rdp_phase_duration_seconds{phase=\"tls\"} %.9g\n", (double)pf->tls.took_us / 1e6);
    if (pf->credssp.outcome == RD_CSSP_CHALLENGE)
      fprintf(f, "rdp_phase_duration_seconds{phase=\"credssp\"} %.9g\n", (double)pf->credssp.took_us / 1e6);
  }
  head(f, "rdp_phase_state", "gauge", "Each phase's state in the verdict (docs/json.md verdict.phases)");
  for (int i = 0; i < RD_VERDICT_PHASES; i++)
    fprintf(f, "rdp_phase_state{phase=\"%s\",state=\"%s\"} 1\n", rd_phase_name((rd_phase)i),
            rd_phase_state_name(v->phases[i]));

  /* What a current client's request (SSL|HYBRID|HYBRID_EX) got. */
  int cp = rd_query_client_probe(c);
  if (cp >= 0 && c->probes[cp].nego == RD_NEGO_RSP) {
    char sel[64];
    head(f, "rdp_selected_protocol_info", "gauge", "The protocol the server selected for a current client's request");
    fprintf(f, "rdp_selected_protocol_info{protocol=\"%s\"} 1\n",
            rd_protocols_name(c->probes[cp].selected, sel, sizeof sel));
  }
  rd_tls_count tc;
  rd_query_tls(c, &tc);
  if (tc.versions_tried != 0) {
    static const char *const names[5] = {"", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    head(f, "rdp_tls_version_accepted", "gauge", "1 when a handshake pinned to this TLS version completed");
    for (int b = 1; b <= 4; b++)
      if (tc.versions_tried & (1u << b))
        fprintf(f, "rdp_tls_version_accepted{version=\"%s\"} %d\n", names[b], (tc.versions_ok >> b) & 1u ? 1 : 0);
  }
  if (c->have_cert) {
    /* Whether or not the certificate is valid: an expired one is exactly what alerts need. */
    gauge_int(f, "rdp_cert_not_after_timestamp_seconds", "The server certificate's notAfter",
              (long long)c->cert.not_after);
    gauge_int(f, "rdp_cert_not_before_timestamp_seconds", "The server certificate's notBefore",
              (long long)c->cert.not_before);
    gauge_int(f, "rdp_cert_days_left", "Whole days until notAfter, negative once expired",
          rd_cert_days_left(&c->cert, c->started_unix));
    char fp[65];
    rd_cert_format_sha256(c->cert.sha256, false, fp, sizeof fp);
    head(f, "rdp_cert_info", "gauge", "The server certificate");
    fputs("rdp_cert_info{subject=", f);
    label(f, c->cert.subject);
    fputs(",issuer=", f);
    label(f, c->cert.issuer);
    fprintf(f, ",sha256=\"%s\",self_signed=\"%s\"} 1\n", fp, c->cert.self_signed ? "true" : "false");
  }
  head(f, "rdp_finding", "gauge", "Findings of the check by id and severity (docs/findings.md), counted");
  for (size_t i = 0; i < d->n; i++) {
    bool first = true;
    for (size_t j = 0; j < i; j++)
      first &= d->items[j].id != d->items[i].id;
    if (!first)
      continue;
    unsigned n = 0;
    for (size_t j = i; j < d->n; j++)
      n += d->items[j].id == d->items[i].id;
    const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
    fprintf(f, "rdp_finding{id=\"%s\",severity=\"%s\"} %u\n", def->slug, rd_severity_name(def->severity), n);
  }
  if (c->auth_requested) {
    int ap = rd_query_auth_probe(c);
    const char *outcome = ap >= 0 ? rd_auth_outcome_name(c->probes[ap].auth.outcome) : "not-tried";
    head(f, "rdp_auth_success", "gauge", "1 when the module's credentials were accepted (one attempt per probe)");
    fprintf(f, "rdp_auth_success %d\n", ap >= 0 && c->probes[ap].auth.outcome == RD_AUTH_ACCEPTED ? 1 : 0);
    head(f, "rdp_auth_outcome_info", "gauge", "The authentication outcome (docs/json.md authentication.outcome)");
    fprintf(f, "rdp_auth_outcome_info{outcome=\"%s\"} 1\n", outcome);
  }
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}
