/* The check report for people. Order: what was tested and how long it took (timeline), what the
 * server did (facts), what that means (findings, worst first), then the verdict with the fix, so
 * an admin reading from the bottom finds the answer first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hexfmt.h"
#include "kb/cause.h"
#include "diag/query.h"
#include "kb/kb.h"
#include "report.h"

static double ms(rd_us us) { return (double)us / 1000.0; }

static void hex(char *buf, size_t size, const uint8_t *p, size_t n) { rd_hex_format(buf, size, p, n, false); }

static const char *target(const rd_check_facts *f, char *buf, size_t size) {
  bool v6 = strchr(f->host, ':') != NULL;
  snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", f->host, v6 ? "]" : "", f->port);
  return buf;
}

/* ---- timeline: each phase's state is the verdict's; the counts are the query module's ---- */

static const char *state_word(rd_phase_state s) {
  switch (s) {
  case RD_STATE_OK:
    return "ok";
  case RD_STATE_WARNING:
    return "warning";
  case RD_STATE_FAILED:
    return "FAILED";
  case RD_STATE_SKIPPED:
    return "skipped";
  case RD_STATE_NOT_TESTED:
    return "not tested";
  case RD_STATE_NOT_CHECKED:
    return "not checked";
  }
  return "?";
}

static void line(FILE *f, const char *phase, rd_phase_state s, double at_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void line(FILE *f, const char *phase, rd_phase_state s, double at_ms, const char *fmt, ...) {
  char text[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (at_ms >= 0)
    fprintf(f, "  %-10s %-10s %-66s %8.1f ms\n", phase, state_word(s), text, at_ms);
  else
    fprintf(f, "  %-10s %-10s %s\n", phase, state_word(s), text);
}

static rd_us slowest(const rd_check_facts *f, int which) {
  rd_us m = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    rd_us v = which == 0 ? p->connect_us : which == 1 ? p->connect_us + p->reply_us : p->total_us;
    if (v > m)
      m = v;
  }
  return m;
}

static void timeline(FILE *f, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  const rd_phase_state *ps = v->phases;
  const rd_name_facts *n = &c->name;
  double t_name = ms(n->took_us);
  fprintf(f, "Timeline (times from the start of the check; probes run at once)\n");
  if (n->status == RD_NAME_LITERAL)
    line(f, "Name", ps[RD_PH_NAME], t_name, "%s is an IP address", c->host);
  else if (n->n_addrs > 0)
    line(f, "Name", ps[RD_PH_NAME], t_name, "%s -> %s%s%s", c->host, n->addrs[0], n->n_addrs > 1 ? " (+ more)" : "",
         n->from_hosts_file ? " (hosts file)" : "");
  else
    line(f, "Name", ps[RD_PH_NAME], t_name, "%s: %s", c->host, rd_name_status_name(n->status));
  if (n->n_addrs == 0) {
    line(f, "Reach", ps[RD_PH_REACH], -1, "no address to connect to");
    return;
  }
  const rd_reach_facts *r = &c->reach;
  double t_reach = t_name + ms(slowest(c, 0));
  if (r->chosen < 0)
    line(f, "Reach", ps[RD_PH_REACH], t_reach, "%s port %u: %s", n->addrs[0], c->port,
         rd_conn_outcome_name(r->addr_outcome[0]));
  else
    line(f, "Reach", ps[RD_PH_REACH], t_reach, "TCP connect %.1f / %.1f / %.1f ms (min/median/max), %u of %u ok",
         ms(r->rtt_min_us), ms(r->rtt_median_us), ms(r->rtt_max_us), r->samples - r->failures, r->samples);
  if (r->chosen < 0) {
    line(f, "Negotiate", ps[RD_PH_NEGOTIATE], -1, "%s", "no connection");
    return;
  }
  rd_nego_count nc;
  rd_query_nego(c, &nc);
  line(f, "Negotiate", ps[RD_PH_NEGOTIATE], t_name + ms(slowest(c, 1)), "%u of %u security requests answered",
       nc.answered, nc.asked);
  rd_tls_count tc;
  rd_query_tls(c, &tc);
  if (tc.tried == 0)
    line(f, "TLS", ps[RD_PH_TLS], -1, "%s",
         tc.ours > 0 ? "our side ended every handshake" : "the server selected no TLS-based protocol");
  else
    line(f, "TLS", ps[RD_PH_TLS], t_name + ms(slowest(c, 2)), "%u of %u handshakes completed%s%s", tc.ok, tc.tried,
         c->have_cert ? "; certificate " : "", c->have_cert ? c->cert.common_name : "");
  rd_us t_cssp = 0;
  for (size_t i = 0; i < c->n_probes; i++)
    if (c->probes[i].credssp.outcome != RD_CSSP_NOT_TRIED && c->probes[i].total_us > t_cssp)
      t_cssp = c->probes[i].total_us;
  int cp = rd_query_credssp_probe(c);
  if (cp < 0) {
    line(f, "CredSSP", ps[RD_PH_CREDSSP], -1, "%s", "the server selected no NLA protocol (HYBRID)");
  } else if (v->identity_probe >= 0) {
    const rd_credssp_facts *k = &c->probes[v->identity_probe].credssp;
    const rd_auth_facts *au = v->auth_probe >= 0 ? &c->probes[v->auth_probe].auth : NULL;
    if (au == NULL)
      line(f, "CredSSP", ps[RD_PH_CREDSSP], t_name + ms(t_cssp), "server %s, CredSSP v%lld%s", k->nb_computer,
           (long long)k->ts_version, c->auth_requested ? "" : " (no credentials tried)");
    else
      line(f, "CredSSP", ps[RD_PH_CREDSSP], t_name + ms(t_cssp), "server %s, CredSSP v%lld; %s%s%s: %s",
           k->nb_computer, (long long)au->version, au->domain, au->domain[0] ? "\\" : "", au->user,
           rd_auth_outcome_name(au->outcome));
  } else {
    line(f, "CredSSP", ps[RD_PH_CREDSSP], t_name + ms(t_cssp), "NTLM NEGOTIATE answered: %s",
         rd_credssp_outcome_name(c->probes[cp].credssp.outcome));
  }
  line(f, "Session", ps[RD_PH_SESSION], -1, "(MCS, licensing, logon: coming in a later version)");
}

/* ---- facts ---- */

static void request_name(const rd_probe_facts *p, char *buf, size_t size) {
  char protos[64];
  if (p->req.legacy)
    snprintf(buf, size, "(no negotiation)");
  else if (p->req.kind == RD_PROBE_TLS_VERSION)
    snprintf(buf, size, "%s, TLS 1.%d only", rd_protocols_name(p->req.protocols, protos, sizeof protos),
             (p->req.tls_pin & 0xff) - 1);
  else
    snprintf(buf, size, "%s", rd_protocols_name(p->req.protocols, protos, sizeof protos));
}

static void answer_text(const rd_probe_facts *p, char *buf, size_t size) {
  char protos[64], bytes[2 * 16 + 1];
  const rd_kb_code *row;
  switch (p->nego) {
  case RD_NEGO_RSP:
    snprintf(buf, size, "selected %s (flags 0x%02x)", rd_protocols_name(p->selected, protos, sizeof protos),
             p->rsp_flags);
    break;
  case RD_NEGO_FAILURE:
    row = rd_kb_find(RD_TAB_NEGF, p->failure_code);
    snprintf(buf, size, "FAILURE %u %s", p->failure_code, row ? row->name : "(unknown code)");
    break;
  case RD_NEGO_LEGACY:
    snprintf(buf, size, "confirm without negotiation data");
    break;
  case RD_NEGO_NOT_RDP:
    snprintf(buf, size, "not RDP: %s %s", rd_service_name(p->service), p->banner);
    break;
  case RD_NEGO_MALFORMED:
    hex(bytes, sizeof bytes, p->reply, p->reply_len < 16 ? p->reply_len : 16);
    snprintf(buf, size, "malformed reply %s", bytes);
    break;
  case RD_NEGO_NOT_TRIED:
    snprintf(buf, size, "connect %s", rd_conn_outcome_name(p->connect));
    break;
  default:
    snprintf(buf, size, "%s (%zu bytes)", rd_nego_outcome_name(p->nego), p->bytes_received);
    break;
  }
}

static void tls_text(const rd_tls_facts *t, char *buf, size_t size) {
  char bytes[2 * 12 + 1];
  switch (t->outcome) {
  case RD_TLSO_NOT_TRIED:
    buf[0] = '\0';
    break;
  case RD_TLSO_OK:
    snprintf(buf, size, "%s %s", t->version_name, t->cipher);
    break;
  case RD_TLSO_ALERT:
    snprintf(buf, size, "TLS alert %s", t->alert_name);
    break;
  case RD_TLSO_PLAINTEXT:
    hex(bytes, sizeof bytes, t->first_bytes, t->n_first_bytes < 12 ? t->n_first_bytes : 12);
    snprintf(buf, size, "TLS answered in plaintext %s", bytes);
    break;
  default:
    snprintf(buf, size, "TLS %s%s%s", rd_tls_outcome_name(t->outcome), t->reason[0] ? ": " : "", t->reason);
    break;
  }
}

static void facts_section(FILE *f, const rd_check_facts *c, const rd_diagnosis *d) {
  fprintf(f, "\nWhat the server did (request -> answer)\n");
  for (size_t i = 0; i < c->n_probes; i++) {
    const rd_probe_facts *p = &c->probes[i];
    char req[64], ans[120], tls[140];
    if (p->req.kind == RD_PROBE_CONNECT) {
      fprintf(f, "  connect %-28s %s\n", c->name.addrs[p->req.addr_index], rd_conn_outcome_name(p->connect));
      continue;
    }
    request_name(p, req, sizeof req);
    answer_text(p, ans, sizeof ans);
    tls_text(&p->tls, tls, sizeof tls);
    if (p->req.kind == RD_PROBE_TLS_VERSION && p->nego == RD_NEGO_RSP && p->tls.outcome != RD_TLSO_NOT_TRIED)
      fprintf(f, "  %-36s %s\n", req, p->tls.outcome == RD_TLSO_OK ? "accepted" : tls);
    else
      fprintf(f, "  %-36s %-40s %s\n", req, ans, tls);
  }
  if (c->reach.n_side > 0) {
    fprintf(f, "  other ports:");
    for (size_t i = 0; i < c->reach.n_side; i++)
      fprintf(f, " %u %s%s", c->reach.side[i].port, rd_conn_outcome_name(c->reach.side[i].outcome),
              i + 1 < c->reach.n_side ? "," : "\n");
  }
  if (d->verdict.identity_probe >= 0) {
    const rd_credssp_facts *k = &c->probes[d->verdict.identity_probe].credssp;
    char when[40] = "-";
    if (k->timestamp_present)
      rd_format_utc(k->server_time_unix, when, sizeof when);
    fprintf(f, "\nServer identity (its NTLM CHALLENGE, no credentials sent)\n");
    fprintf(f, "  computer  %s (DNS %s)\n  domain    %s (DNS %s, forest %s)\n", k->nb_computer,
            k->dns_computer[0] ? k->dns_computer : "-", k->nb_domain, k->dns_domain[0] ? k->dns_domain : "-",
            k->dns_tree[0] ? k->dns_tree : "-");
    if (k->os_version_present)
      fprintf(f, "  windows   %u.%u build %u\n", k->os_major, k->os_minor, k->os_build);
    fprintf(f, "  clock     %s\n  credssp   version %lld\n", when, (long long)k->ts_version);
  }
  if (!c->have_cert)
    return;
  const rd_cert_facts *x = &c->cert;
  char nb[40], na[40], fp[RD_CERT_FP_HEX_MAX];
  rd_cert_format_sha256(x->sha256, true, fp, sizeof fp);
  fprintf(f, "\nCertificate\n");
  fprintf(f, "  subject   %s\n  issuer    %s%s\n", x->subject, x->issuer, x->self_signed ? "  (self-signed)" : "");
  int days = rd_cert_days_left(x, c->started_unix);
  char left[40];
  if (days < 0)
    snprintf(left, sizeof left, "expired %d days ago", -days);
  else
    snprintf(left, sizeof left, "%d days left", days);
  fprintf(f, "  valid     %s -> %s  (%s)\n", rd_format_utc(x->not_before, nb, sizeof nb),
          rd_format_utc(x->not_after, na, sizeof na), left);
  if (x->san_count > 0) {
    fprintf(f, "  names    ");
    for (size_t i = 0; i < x->san_count; i++)
      fprintf(f, " %s", x->san[i]);
    fputc('\n', f);
  }
  fprintf(f, "  key       %s %d bits, signature %s\n  sha256    %s\n", x->key_type, x->key_bits, x->sig_alg, fp);
}

/* ---- findings and verdict ---- */

static void findings_section(FILE *f, const rd_check_facts *c, const rd_diagnosis *d, unsigned width) {
  fprintf(f, "\nFindings\n");
  if (d->n == 0)
    fprintf(f, "  none\n");
  for (int sev = RD_SEV_CRITICAL; sev >= RD_SEV_INFO; sev--)
    for (size_t i = 0; i < d->n; i++) {
      const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
      if ((int)def->severity != sev)
        continue;
      char head[300];
      snprintf(head, sizeof head, "%-8s %s: %s", sev == RD_SEV_CRITICAL ? "CRITICAL" : sev == RD_SEV_WARNING ? "WARNING" : "info",
               def->slug, def->title);
      fprintf(f, "  %s\n", head);
      char detail[512];
      rd_report_finding_detail(c, &d->items[i], detail, sizeof detail);
      rd_text_wrap(f, detail, 11, width);
    }
}

static void print_lines(FILE *f, const char *text, unsigned indent) {
  const char *p = text;
  while (*p != '\0') {
    size_t len = strcspn(p, "\n");
    fprintf(f, "%*s%.*s\n", (int)indent, "", (int)len, p);
    p += len;
    if (*p == '\n')
      p++;
  }
}

static void verdict_section(FILE *f, const rd_check_facts *c, const rd_diagnosis *d, unsigned width) {
  const rd_verdict *v = &d->verdict;
  fprintf(f, "\nVerdict\n");
  if (!v->checked) {
    fprintf(f, "  %s\n", rd_report_verdict_summary(d));
    return;
  }
  if (v->root < 0) {
    fprintf(f, "  %s: every phase tested (name, TCP, negotiation%s%s) works.\n", rd_report_verdict_summary(d),
            v->phases[RD_PH_TLS] == RD_STATE_OK ? ", TLS" : "", v->identity_probe >= 0 ? ", CredSSP identity" : "");
    return;
  }
  const rd_finding_def *def = rd_finding_def_get(d->items[v->root].id);
  if (v->ends_at != RD_PH_ANY)
    fprintf(f, "  A Windows client's connection ends at: %s\n", rd_phase_title(v->ends_at));
  fprintf(f, "  Root cause: %s (%s)\n", def->title, def->slug);
  if (def->client_code[0])
    fprintf(f, "  A Windows client would most likely show: %s%s\n", def->client_code,
            def->inferred ? " (inferred, not documented)" : "");
  const rd_kb_cause *cause = def->cause[0] ? rd_kb_cause_by_slug(def->cause) : NULL;
  if (cause == NULL)
    return;
  fprintf(f, "\n  Why:\n");
  rd_text_wrap(f, cause->why, 4, width);
  char *confirm = rd_text_for_target(cause->confirm, c->host, c->port);
  char *fix = rd_text_for_target(cause->fix, c->host, c->port);
  fprintf(f, "  Confirm:\n");
  print_lines(f, confirm ? confirm : cause->confirm, 4);
  fprintf(f, "  Fix:\n");
  print_lines(f, fix ? fix : cause->fix, 4);
  free(confirm);
  free(fix);
  fprintf(f, "  (rdpdoctor explain shows the same causes for an error code.)\n");
}

int rd_report_check_text(FILE *f, const rd_check_facts *c, const rd_diagnosis *d, const rd_text_opts *opts) {
  unsigned width = opts != NULL && opts->width ? opts->width : 100;
  char tgt[300], when[40];
  fprintf(f, "rdpdoctor check %s  (%s, %.0f ms, %zu connections)\n\n", target(c, tgt, sizeof tgt),
          rd_format_utc(c->started_unix, when, sizeof when), ms(c->total_us), c->n_probes + c->reach.n_side);
  timeline(f, c, d);
  if (c->deadline_hit)
    fprintf(f, "  (the whole-check deadline cut the check short)\n");
  if (c->name.n_addrs > 0 && c->reach.chosen >= 0)
    facts_section(f, c, d);
  else if (c->reach.n_side > 0)
    facts_section(f, c, d);
  findings_section(f, c, d, width);
  verdict_section(f, c, d, width);
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}
