/* `rdpdoctor check --html FILE`: one self-contained page (inline CSS and script; nothing is
 * fetched), for a ticket or a mail: the verdict, the phases as a timeline where the one that ended
 * a client's connection stands out, the certificate, the findings with their fix and copy
 * buttons. Everything from the facts is HTML-escaped; the renderer decides nothing (diag did). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "diag/query.h"
#include "kb/cause.h"
#include "report.h"

/* Text as HTML: controls shown as \xNN first (rd_text_escape), then & < > " ' as entities. */
static void h(FILE *f, const char *s) {
  char safe[2200];
  rd_text_escape(s, safe, sizeof safe);
  for (const char *p = safe; *p; p++) {
    switch (*p) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      fputc(*p, f);
    }
  }
}

/* Lines of text (the kb's commands): each escaped, the line breaks kept. */
static void h_lines(FILE *f, const char *text) {
  char line[2048];
  for (const char *p = text; *p != '\0';) {
    size_t len = strcspn(p, "\n");
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), p);
    h(f, line);
    p += len;
    if (*p == '\n') {
      fputc('\n', f);
      p++;
    }
  }
}

__attribute__((format(printf, 2, 3))) static void hf(FILE *f, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  h(f, buf);
}

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".verdict{padding:.8em 1em;border-radius:6px;font-weight:600}"
    ".critical{background:#fde2e1;color:#8a1010}.warning{background:#fff4d6;color:#6b4a00}"
    ".healthy{background:#e3f6e5;color:#125c1a}.unchecked{background:#eee;color:#333}"
    "ol.timeline{list-style:none;display:flex;gap:.4em;padding:0;flex-wrap:wrap}"
    "ol.timeline li{flex:1;min-width:8em;padding:.6em;border-radius:6px;border:2px solid #ccc;background:#fafafa}"
    "ol.timeline li.ok{border-color:#2e9b3a}ol.timeline li.warning{border-color:#d9a400}"
    "ol.timeline li.failed{border-color:#c62020;background:#fde2e1}"
    "ol.timeline li.ends{outline:4px solid #c62020;font-weight:600}"
    "ol.timeline .state{display:block;font-size:.85em;text-transform:uppercase}"
    ".finding{border-left:5px solid #ccc;padding:.2em .8em;margin:.8em 0}"
    ".finding.critical{border-color:#c62020;background:none;color:inherit}"
    ".finding.warning{border-color:#d9a400;background:none;color:inherit}"
    "code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f4f4;padding:.6em;overflow-x:auto;"
    "white-space:pre}"
    "button.copy{float:right;font-size:.8em}table{border-collapse:collapse}td,th{padding:.2em .6em;"
    "text-align:left;vertical-align:top}th{color:#555;font-weight:500}";

static const char script[] =
    "document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',function(){"
    "var t=document.getElementById(b.dataset.target).innerText;"
    "if(navigator.clipboard){navigator.clipboard.writeText(t).then(function(){b.textContent='Copied';});}"
    "else{var r=document.createRange();r.selectNodeContents(document.getElementById(b.dataset.target));"
    "var s=window.getSelection();s.removeAllRanges();s.addRange(r);document.execCommand('copy');"
    "b.textContent='Copied';}});});";

static const char *sev_class(rd_severity s) {
  return s == RD_SEV_CRITICAL ? "critical" : s == RD_SEV_WARNING ? "warning" : "info";
}

static void block(FILE *f, const char *id, const char *title, const char *text, const rd_check_facts *c) {
  char *filled = rd_text_for_target(text, c->host, c->port);
  fprintf(f, "<h3>%s <button class=\"copy\" data-target=\"%s\">Copy</button></h3><pre id=\"%s\">", title, id, id);
  h_lines(f, filled ? filled : text);
  fputs("</pre>\n", f);
  free(filled);
}

int rd_report_check_html(FILE *f, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  int exit_code = rd_diagnosis_exit_code(d);
  const char *vclass = !v->checked ? "unchecked" : v->root < 0 ? "healthy" : sev_class(v->worst);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\"><title>rdpdoctor check ",
        f);
  h(f, c->host);
  fprintf(f, "</title><style>%s</style></head>\n<body data-exit-code=\"%d\">\n<h1>rdpdoctor check ", css,
          exit_code);
  hf(f, "%s:%u", c->host, c->port);
  fputs("</h1>\n", f);
  char when[40];
  fprintf(f, "<p id=\"verdict\" class=\"verdict %s\" data-root-cause=\"", vclass);
  h(f, v->root >= 0 ? rd_finding_def_get(d->items[v->root].id)->slug : "");
  fputs("\">", f);
  h(f, rd_report_verdict_summary(d));
  fprintf(f, " (exit %d)</p>\n<p>Checked %s, %.0f ms, %zu connections.</p>\n", exit_code,
          rd_format_utc(c->started_unix, when, sizeof when), (double)c->total_us / 1000.0,
          c->n_probes + c->reach.n_side);
  if (d->codes.result != RD_CODES_NONE) {
    char sum[512];
    rd_report_codes_summary(d, sum, sizeof sum);
    fprintf(f, "<p id=\"codes\" data-match=\"%s\">", rd_codes_result_name(d->codes.result));
    h(f, sum);
    fputs("</p>\n", f);
  }

  /* The timeline: one item per phase; the one where a client's connection ends stands out. */
  fputs("<h2>Timeline</h2>\n<ol class=\"timeline\">\n", f);
  for (int ph = RD_PH_NAME; ph < RD_VERDICT_PHASES; ph++) {
    rd_phase_state s = v->phases[ph];
    const char *cls = s == RD_STATE_OK        ? "ok"
                      : s == RD_STATE_WARNING ? "warning"
                      : s == RD_STATE_FAILED  ? "failed"
                                              : "other";
    bool ends = v->ends_at == (rd_phase)ph;
    fprintf(f, "<li class=\"%s%s\" data-phase=\"%s\" data-state=\"%s\"%s>", cls, ends ? " ends" : "",
            rd_phase_name((rd_phase)ph), rd_phase_state_name(s), ends ? " data-ends=\"true\"" : "");
    h(f, rd_phase_title((rd_phase)ph));
    fprintf(f, "<span class=\"state\">%s</span>", rd_phase_state_name(s));
    if (ends)
      fputs("<strong>A Windows client's connection ends here</strong>", f);
    fputs("</li>\n", f);
  }
  fputs("</ol>\n", f);
  if (c->name.n_addrs > 1) {
    fputs("<h2>Addresses</h2>\n<table id=\"addresses\">\n", f);
    for (size_t a = 0; a < c->name.n_addrs && a < RD_MAX_ADDRS; a++) {
      fputs("<tr><td><code>", f);
      h(f, c->name.addrs[a]);
      fprintf(f, "</code></td><td data-outcome=\"%s\">%s%s</td></tr>\n", rd_conn_outcome_name(c->reach.addr_outcome[a]),
              rd_conn_outcome_name(c->reach.addr_outcome[a]), (int)a == c->reach.chosen ? " (the probes ran here)" : "");
    }
    fputs("</table>\n", f);
  }

  /* Findings, the primary cause first, each with its evidence and the kb's fix. */
  fputs("<h2>Findings</h2>\n", f);
  if (d->n == 0)
    fputs("<p>None.</p>\n", f);
  for (int sev = RD_SEV_CRITICAL; sev >= RD_SEV_INFO; sev--)
    for (size_t i = 0; i < d->n; i++) {
      const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
      if ((int)def->severity != sev)
        continue;
      char detail[1024];
      rd_report_finding_detail(c, &d->items[i], detail, sizeof detail);
      fprintf(f, "<section class=\"finding %s\" data-finding=\"%s\" data-severity=\"%s\"%s>\n<h3>%s: ",
              sev_class(def->severity), def->slug, rd_severity_name(def->severity),
              (int)i == v->root ? " data-primary=\"true\"" : "", rd_severity_name(def->severity));
      h(f, def->title);
      fprintf(f, " <code>%s</code></h3>\n<p>", def->slug);
      h(f, detail);
      fputs("</p>\n", f);
      if (def->client_code[0]) {
        fputs("<p>A Windows client would most likely show: ", f);
        h(f, def->client_code);
        fputs(def->inferred ? " (inferred)" : "", f);
        fputs("</p>\n", f);
      }
      const rd_kb_cause *cause = def->cause[0] && def->severity != RD_SEV_INFO ? rd_kb_cause_by_slug(def->cause) : NULL;
      if (cause != NULL) {
        char id[64];
        fputs("<p>", f);
        h(f, cause->why);
        fputs("</p>\n", f);
        snprintf(id, sizeof id, "confirm-%zu", i);
        block(f, id, "Confirm", cause->confirm, c);
        snprintf(id, sizeof id, "fix-%zu", i);
        block(f, id, "Fix", cause->fix, c);
      }
      fputs("</section>\n", f);
    }

  if (c->have_cert) {
    const rd_cert_facts *x = &c->cert;
    char nb[40], na[40], fp[RD_CERT_FP_HEX_MAX];
    rd_cert_format_sha256(x->sha256, true, fp, sizeof fp);
    fputs("<h2>Certificate</h2>\n<table id=\"certificate\">\n<tr><th>subject</th><td>", f);
    h(f, x->subject);
    fputs("</td></tr>\n<tr><th>issuer</th><td>", f);
    h(f, x->issuer);
    fprintf(f, "%s</td></tr>\n<tr><th>valid</th><td>%s &rarr; %s (%d days left)</td></tr>\n<tr><th>names</th><td>",
            x->self_signed ? " (self-signed)" : "", rd_format_utc(x->not_before, nb, sizeof nb),
            rd_format_utc(x->not_after, na, sizeof na), rd_cert_days_left(x, c->started_unix));
    for (size_t i = 0; i < x->san_count; i++) {
      fputs(i ? ", " : "", f);
      h(f, x->san[i]);
    }
    if (x->san_total > x->san_count)
      fprintf(f, " (and %zu more)", x->san_total - x->san_count);
    fputs("</td></tr>\n<tr><th>key</th><td>", f);
    hf(f, "%s %d bits, signature %s", x->key_type, x->key_bits, x->sig_alg);
    fprintf(f, "</td></tr>\n<tr><th>sha256</th><td><code>%s</code></td></tr>\n</table>\n", fp);
  }
  fprintf(f, "<script>%s</script>\n</body></html>\n", script);
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}
