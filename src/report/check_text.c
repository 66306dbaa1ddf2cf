/* The check report for people. The first line is the verdict; then what was tested and how long
 * it took (timeline, with the phase where a client's connection ends marked), what the server did
 * (facts), what that means (findings, worst first), and the verdict with the fix. Everything is
 * wrapped at the width asked, never inside a word; commands keep their line. Everything the
 * server sent (names, banners, certificate fields) is escaped (rd_text_escape): no control
 * character reaches the terminal raw. Colour only when asked (opts->colour: the command line
 * decides it from its terminal and NO_COLOR). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hexfmt.h"
#include "core/x224.h"
#include "diag/query.h"
#include "kb/cause.h"
#include "kb/kb.h"
#include "report.h"

typedef struct out {
  FILE *f;
  unsigned width;
  bool colour;
} out;

static double ms(rd_us us) { return (double)us / 1000.0; }

static void hex(char *buf, size_t size, const uint8_t *p, size_t n) { rd_hex_format(buf, size, p, n, false); }

/* Escaped copies of server text, in a small ring so one printf may use several. */
static const char *E(const char *s) {
  static char ring[8][1100];
  static unsigned next;
  char *b = ring[next++ % 8];
  return rd_text_escape(s, b, sizeof ring[0]);
}

/* A paragraph: `first` (visible width first_w) then the text, wrapped with a hanging indent. */
__attribute__((format(printf, 5, 6))) static void para(const out *o, const char *first, unsigned first_w,
                                                       unsigned indent, const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  rd_text_wrap_hanging(o->f, first, first_w, text, indent, o->width);
}

/* ---- colour ---- */

static const char *sgr(const out *o, rd_severity s, bool ok) {
  if (!o->colour)
    return "";
  if (ok)
    return "\033[32m";
  return s == RD_SEV_CRITICAL ? "\033[1;31m" : s == RD_SEV_WARNING ? "\033[33m" : "";
}
static const char *reset(const out *o) { return o->colour ? "\033[0m" : ""; }

/* ---- the first line ---- */

static void verdict_line(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  char first[64];
  const char *word;
  rd_severity sev = v->worst;
  bool ok = false;
  if (!v->checked)
    word = "NOT CHECKED", sev = RD_SEV_WARNING;
  else if (v->root < 0)
    word = "HEALTHY", ok = true;
  else
    word = sev == RD_SEV_CRITICAL ? "CRITICAL" : "WARNING";
  snprintf(first, sizeof first, "%s%s%s: ", sgr(o, sev, ok), word, reset(o));
  unsigned w = (unsigned)strlen(word) + 2;
  if (!v->checked)
    para(o, first, w, 2, "%s (exit %d)", rd_report_verdict_summary(d), rd_diagnosis_exit_code(d));
  else if (v->root < 0)
    para(o, first, w, 2, "no problem found in the phases tested on %s (exit 0)", E(c->host));
  else
    para(o, first, w, 2, "%s (%s; exit %d)", rd_report_verdict_summary(d),
         rd_finding_def_get(d->items[v->root].id)->slug, rd_diagnosis_exit_code(d));
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

#define TL_INDENT 36 /* "  Name       not checked   123.4 ms  " */

static void line(const out *o, const rd_verdict *v, rd_phase ph, double at_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void line(const out *o, const rd_verdict *v, rd_phase ph, double at_ms, const char *fmt, ...) {
  static const char *const names[] = {"Name", "Reach", "Negotiate", "TLS", "CredSSP", "Session"};
  rd_phase_state s = v->phases[ph];
  char text[1024], when[16] = "", first[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (at_ms >= 0)
    snprintf(when, sizeof when, "%.1f ms", at_ms);
  const char *col = s == RD_STATE_FAILED    ? sgr(o, RD_SEV_CRITICAL, false)
                    : s == RD_STATE_WARNING ? sgr(o, RD_SEV_WARNING, false)
                    : s == RD_STATE_OK      ? sgr(o, RD_SEV_INFO, true)
                                            : "";
  snprintf(first, sizeof first, "  %-10s %s%-11s%s %9s  ", names[ph], col, state_word(s), *col ? reset(o) : "",
           when);
  rd_text_wrap_hanging(o->f, first, TL_INDENT, text, TL_INDENT, o->width);
  if (v->ends_at == ph)
    fprintf(o->f, "%13s%s^ a Windows client's connection ends here%s\n", "", sgr(o, RD_SEV_CRITICAL, false),
            reset(o));
}

static rd_us slowest(const rd_check_facts *f, int which) {
  rd_us m = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    rd_us before_session = p->total_us - (p->session.took_us < p->total_us ? p->session.took_us : 0);
    rd_us v = which == 0 ? p->connect_us : which == 1 ? p->connect_us + p->reply_us : before_session;
    if (v > m)
      m = v;
  }
  return m;
}

/* The Session line: what happened on the connection that went on into the session, or why it
 * did not get there. */
static void session_line(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  int sp = rd_query_session_probe(c);
  if (sp < 0) {
    line(o, v, RD_PH_SESSION, -1, "no probe went on into the session");
    return;
  }
  const rd_probe_facts *p = &c->probes[sp];
  const rd_session_facts *s = &p->session;
  const char *step = rd_report_session_step(s->step);
  double at = ms(c->name.took_us) + ms(p->total_us);
  char what[256];
  int k = rd_query_error_info(s);
  switch (s->outcome) {
  case RD_SESS_NOT_TRIED:
    if (p->connect != RD_CONN_OK || !rd_query_usable(p, RD_PH_NEGOTIATE) ||
        ((rd_query_phases_tested(p) & (1u << RD_PH_TLS)) && !rd_query_usable(p, RD_PH_TLS)))
      line(o, v, RD_PH_SESSION, -1, "not reached: the connection ended before it");
    else if ((p->selected == RD_X224_PROTOCOL_HYBRID || p->selected == RD_X224_PROTOCOL_HYBRID_EX) && p->auth.outcome == RD_AUTH_NOT_TRIED)
      line(o, v, RD_PH_SESSION, -1, "not reached; NLA: the session needs credentials (--user)");
    else if (p->auth.outcome != RD_AUTH_NOT_TRIED && !rd_query_usable(p, RD_PH_CREDSSP))
      line(o, v, RD_PH_SESSION, -1, "not reached: the authentication did not succeed");
    else
      line(o, v, RD_PH_SESSION, -1, "not reached");
    return;
  case RD_SESS_ACTIVE:
    line(o, v, RD_PH_SESSION, at, "Demand Active %s (%s); RDP version 0x%08X, %u capability sets", step,
         s->license_valid_client ? "valid client" : s->license_seen ? "a license issued" : "no licensing",
         s->server_version, s->n_capabilities);
    return;
  case RD_SESS_NOT_SUPPORTED:
    line(o, v, RD_PH_SESSION, at, "stopped %s: a step rdpdoctor does not take (an encryption method no client "
         "offers, or a licensing key that is not RSA)", step);
    return;
  case RD_SESS_LOCAL_ERROR:
  case RD_SESS_CUT:
    line(o, v, RD_PH_SESSION, at, "our side ended it %s (%s)", step, rd_session_outcome_name(s->outcome));
    return;
  case RD_SESS_ERROR_INFO:
  case RD_SESS_DISCONNECTED:
  case RD_SESS_LICENSE_ERROR:
  case RD_SESS_REFUSED:
  case RD_SESS_CLOSED:
  case RD_SESS_RESET:
  case RD_SESS_SILENT:
  case RD_SESS_MALFORMED:
  case RD_SESS_ENUMERATED: /* an enumeration connection's, never the client's */
    break;
  }
  if (k >= 0) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_ERRINFO, s->error_info[k]);
    line(o, v, RD_PH_SESSION, at, "the server said why: %s (0x%X) %s", row && row->name[0] ? row->name : "an unknown errorInfo",
         s->error_info[k], rd_report_session_step(s->error_info_step[k]));
    return;
  }
  if (s->license_error_present) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_LICERR, s->license_error);
    line(o, v, RD_PH_SESSION, at, "licensing error %s (0x%X) %s", row ? row->name : "(unknown)", s->license_error, step);
    return;
  }
  switch (s->outcome) {
  case RD_SESS_DISCONNECTED:
    snprintf(what, sizeof what, "Disconnect Provider Ultimatum (reason %u) %s, no errorInfo", s->dpu_reason, step);
    break;
  case RD_SESS_REFUSED:
    if (s->join_refused)
      snprintf(what, sizeof what, "refused %s (channel %u: MCS result %u)", step, s->join_refused_channel,
               s->join_result);
    else
      snprintf(what, sizeof what, "refused %s (MCS result %u, GCC result %u)", step, s->mcs_result, s->gcc_result);
    break;
  case RD_SESS_SILENT:
    snprintf(what, sizeof what, "no answer %s", step);
    break;
  default:
    snprintf(what, sizeof what, "%s %s, no errorInfo", rd_session_outcome_name(s->outcome), step);
    break;
  }
  line(o, v, RD_PH_SESSION, at, "%s", what);
}

static void timeline(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  const rd_name_facts *n = &c->name;
  double t_name = ms(n->took_us);
  fprintf(o->f, "\nTimeline (from the start of the check; probes run at once)\n");
  if (n->status == RD_NAME_LITERAL)
    line(o, v, RD_PH_NAME, t_name, "%s is an IP address", E(c->host));
  else if (n->n_addrs > 0)
    line(o, v, RD_PH_NAME, t_name, "%s -> %s%s%s", E(c->host), n->addrs[0],
         n->n_addrs > 1 ? " (and more, below)" : "", n->from_hosts_file ? " (hosts file)" : "");
  else
    line(o, v, RD_PH_NAME, t_name, "%s: %s", E(c->host), rd_name_status_name(n->status));
  if (n->n_addrs == 0) {
    line(o, v, RD_PH_REACH, -1, "no address to connect to");
    return;
  }
  const rd_reach_facts *r = &c->reach;
  double t_reach = t_name + ms(slowest(c, 0));
  int a = rd_query_primary_addr(c);
  if (r->chosen < 0)
    line(o, v, RD_PH_REACH, t_reach, "%s port %u: %s", n->addrs[a], c->port, rd_conn_outcome_name(r->addr_outcome[a]));
  else
    line(o, v, RD_PH_REACH, t_reach, "TCP connect %.1f / %.1f / %.1f ms (min/median/max), %u of %u ok",
         ms(r->rtt_min_us), ms(r->rtt_median_us), ms(r->rtt_max_us), r->samples - r->failures, r->samples);
  if (r->chosen < 0) {
    line(o, v, RD_PH_NEGOTIATE, -1, "no connection");
    return;
  }
  rd_nego_count nc;
  rd_query_nego(c, &nc);
  line(o, v, RD_PH_NEGOTIATE, t_name + ms(slowest(c, 1)), "%u of %u security requests answered", nc.answered,
       nc.asked);
  rd_tls_count tc;
  rd_query_tls(c, &tc);
  if (tc.tried == 0)
    line(o, v, RD_PH_TLS, -1, "%s",
         tc.ours > 0 ? "our side ended every handshake" : "the server selected no TLS-based protocol");
  else
    line(o, v, RD_PH_TLS, t_name + ms(slowest(c, 2)), "%u of %u handshakes completed%s%s", tc.ok, tc.tried,
         c->have_cert ? "; certificate " : "", c->have_cert ? E(c->cert.common_name) : "");
  rd_us t_cssp = 0;
  for (size_t i = 0; i < c->n_probes; i++)
    if (c->probes[i].credssp.outcome != RD_CSSP_NOT_TRIED &&
        c->probes[i].total_us - c->probes[i].session.took_us > t_cssp)
      t_cssp = c->probes[i].total_us - c->probes[i].session.took_us;
  int cp = rd_query_credssp_probe(c);
  if (cp < 0) {
    line(o, v, RD_PH_CREDSSP, -1, "the server selected no NLA protocol (HYBRID)");
  } else if (v->identity_probe >= 0) {
    const rd_credssp_facts *k = &c->probes[v->identity_probe].credssp;
    const rd_auth_facts *au = v->auth_probe >= 0 ? &c->probes[v->auth_probe].auth : NULL;
    if (au == NULL)
      line(o, v, RD_PH_CREDSSP, t_name + ms(t_cssp), "server %s, CredSSP v%lld%s", E(RD_FACT_STR(k->nb_computer)),
           (long long)k->ts_version, c->auth_requested ? "" : " (no credentials tried)");
    else
      line(o, v, RD_PH_CREDSSP, t_name + ms(t_cssp), "server %s, CredSSP v%lld; %s%s%s: %s", E(RD_FACT_STR(k->nb_computer)),
           (long long)au->version, E(RD_FACT_STR(au->domain)), au->domain != NULL ? "\\" : "", E(RD_FACT_STR(au->user)),
           rd_auth_outcome_name(au->outcome));
  } else {
    line(o, v, RD_PH_CREDSSP, t_name + ms(t_cssp), "NTLM NEGOTIATE answered: %s",
         rd_credssp_outcome_name(c->probes[cp].credssp.outcome));
  }
  session_line(o, c, d);
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
  /* An enumeration connection says what it offered: its answer line then reads as the method's. */
  if (p->session.enumeration) {
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, ", %s offered alone", rd_rdpsec_method_name(p->session.offered_methods));
  }
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
    snprintf(buf, size, "not RDP: %s \"%s\"", rd_service_name(p->service), E(p->banner));
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
    snprintf(buf, size, "; %s %s", E(t->version_name), E(t->cipher));
    break;
  case RD_TLSO_ALERT:
    snprintf(buf, size, "; TLS alert %s", E(t->alert_name));
    break;
  case RD_TLSO_PLAINTEXT:
    hex(bytes, sizeof bytes, t->first_bytes, t->n_first_bytes < 12 ? t->n_first_bytes : 12);
    snprintf(buf, size, "; TLS answered in plaintext %s", bytes);
    break;
  default:
    snprintf(buf, size, "; TLS %s%s%s", rd_tls_outcome_name(t->outcome), t->reason[0] ? ": " : "", E(t->reason));
    break;
  }
}

static void addresses_section(const out *o, const rd_check_facts *c) {
  const rd_name_facts *n = &c->name;
  if (n->n_addrs < 2)
    return;
  fprintf(o->f, "\nAddresses of %s (a client may pick any)\n", E(c->host));
  for (size_t a = 0; a < n->n_addrs && a < RD_MAX_ADDRS; a++) {
    rd_conn_outcome oc = c->reach.addr_outcome[a];
    bool dead = oc != RD_CONN_OK && oc != RD_CONN_NOT_TRIED;
    para(o, "    ", 4, 6, "%s %s%s%s%s", n->addrs[a], dead ? sgr(o, RD_SEV_WARNING, false) : "",
         rd_conn_outcome_name(oc), dead ? reset(o) : "",
         (int)a == c->reach.chosen ? " (the probes ran here)" : "");
  }
}

/* The session facts of the probe that went on into the session. */
static void session_facts(const out *o, const rd_check_facts *c) {
  int sp = rd_query_session_probe(c);
  if (sp < 0 || c->probes[sp].session.outcome == RD_SESS_NOT_TRIED)
    return;
  const rd_probe_facts *p = &c->probes[sp];
  const rd_session_facts *s = &p->session;
  char protos[64];
  fprintf(o->f, "\nSession (the Windows client's request, after the security phase)\n");
  para(o, "  outcome   ", 12, 12, "%s %s (step %s)", rd_session_outcome_name(s->outcome),
       rd_report_session_step(s->step), E(s->step));
  if (s->connect_response) {
    para(o, "  mcs/gcc   ", 12, 12, "MCS result %u, GCC result %u; RDP version 0x%08X; echo of the request %s",
         s->mcs_result, s->gcc_result, s->server_version,
         s->requested_echo_present ? rd_protocols_name(s->requested_echo, protos, sizeof protos) : "(none)");
    para(o, "  security  ", 12, 12, "encryption %s at level %s%s; I/O channel %u, %u static channels",
         rd_rdpsec_method_name(s->encryption_method), rd_rdpsec_level_name(s->encryption_level),
         s->encryption_level == 0 ? " (TLS protects the session, or nothing does)" : "", s->io_channel,
         s->n_channels);
  }
  if (s->joins_skipped)
    para(o, "  joins     ", 12, 12, "skipped: both sides support skipping the channel joins");
  else if (s->joins_sent > 0)
    para(o, "  joins     ", 12, 12, "%u of %u Channel Join Requests confirmed (sent in one flight)%s",
         s->joins_confirmed, s->joins_sent, s->join_refused ? "; one refused" : "");
  const rd_rdpsec_facts *r = &s->rdpsec;
  if (r->used) {
    para(o, "  rdp sec   ", 12, 12, "Standard RDP Security: certificate %s (%s%s, %u-bit RSA key); %s",
         rd_rdpsec_cert_name(r->cert),
         r->cert_version == 2 ? "X.509 chain" : r->cert_version == 1 ? "proprietary" : "unread",
         r->cert_temporary ? ", temporary" : "", r->key_bits,
         r->exchange_sent ? "client random sent" : "no security exchange");
    if (r->exchange_sent)
      para(o, "            ", 12, 12, "%u PDU%s sent encrypted; from the server %u decrypted (%u with a salted "
           "MAC), %u in clear%s", r->sent_encrypted, r->sent_encrypted == 1 ? "" : "s", r->received_encrypted,
           r->received_salted, r->received_clear, r->license_encrypted ? "; licensing encrypted" : "");
    if (r->mac_failed)
      para(o, "            ", 12, 12, "a server PDU's MAC did not verify (step %s)", E(r->mac_failed_step));
  }
  if (s->license_seen) {
    const rd_kb_code *row = s->license_error_present ? rd_kb_find(RD_TAB_LICERR, s->license_error) : NULL;
    if (s->license_valid_client)
      para(o, "  licensing ", 12, 12, "valid client (STATUS_VALID_CLIENT)");
    else if (s->license_error_present)
      para(o, "  licensing ", 12, 12, "error %s (0x%X), state transition %u", row ? row->name : "(unknown)",
           s->license_error, s->license_state);
    else
      para(o, "  licensing ", 12, 12, "last message type 0x%02X", s->license_msg);
  }
  for (size_t i = 0; i < s->n_error_info && i < RD_MAX_ERROR_INFOS; i++) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_ERRINFO, s->error_info[i]);
    para(o, "  errorInfo ", 12, 12, "0x%X %s %s, at %.1f ms", s->error_info[i],
         row && row->name[0] ? row->name : "(unknown)", rd_report_session_step(s->error_info_step[i]),
         ms(s->error_info_us[i]));
  }
  if (s->dpu_present)
    para(o, "  ultimatum ", 12, 12, "Disconnect Provider Ultimatum, reason %u", s->dpu_reason);
  if (s->logon_error_present)
    para(o, "  logon     ", 12, 12, "logon error type 0x%08X, data 0x%08X", s->logon_error_type, s->logon_error_data);
  if (s->demand_active)
    para(o, "  demand    ", 12, 12, "Demand Active, share 0x%X, %u capability sets", s->share_id, s->n_capabilities);
  const rd_logon_facts *l = &s->logon;
  if (p->req.logon && l->confirm_active_sent) {
    para(o, "  logon     ", 12, 12, "%s; credentials in %s (%s%s%s); finalization%s%s%s%s; %zu graphics updates; "
         "waited %.1f ms after activation",
         rd_logon_outcome_name(l->outcome), rd_logon_creds_name(l->credentials), E(l->domain), l->domain[0] ? "\\" : "",
         E(l->user), l->fin_synchronize ? " synchronize" : "", l->fin_cooperate ? " cooperate" : "",
         l->fin_granted ? " granted-control" : "", l->fin_font_map ? " font-map" : " (no font map)", l->n_updates,
         ms(l->wait_us));
    if (l->save_session_info && l->session_id_present)
      para(o, "  report    ", 12, 12, "Save Session Info %s, session id %u", rd_report_logon_info_type(l->info_type),
           l->session_id);
    else if (l->save_session_info)
      para(o, "  report    ", 12, 12, "Save Session Info %s", rd_report_logon_info_type(l->info_type));
    para(o, "  ended     ", 12, 12, "%s%s", rd_logon_end_name(l->ended_by),
         l->shutdown_sent ? " (after our Shutdown Request)" : "");
  }
}

/* Standard RDP Security: the level and each method, probed or inferred from the level. */
static void rdpsec_facts(const out *o, const rd_check_facts *c) {
  const rd_rdpsec_enum_facts *r = &c->rdp_security;
  if (!r->tested)
    return;
  char methods[400] = "";
  size_t used = 0;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS && used < sizeof methods; m++) {
    const rd_rdpsec_method *x = &r->methods[m];
    char answered[48] = "";
    if (x->status == RD_RDPSEC_REFUSED && x->answered_present)
      snprintf(answered, sizeof answered, ", answered %s", rd_rdpsec_method_name(x->answered_method));
    else if (x->status == RD_RDPSEC_REFUSED && x->basis == RD_RDPSEC_BASIS_PROBED && x->probe >= 0 &&
             (size_t)x->probe < c->n_probes)
      snprintf(answered, sizeof answered, ", %s", rd_session_outcome_name(c->probes[x->probe].session.outcome));
    int w = snprintf(methods + used, sizeof methods - used, "%s%s %s%s%s%s", m ? "; " : "",
                     rd_rdpsec_method_name(rd_rdpsec_methods[m]),
                     x->status == RD_RDPSEC_NOT_TESTED ? "not tested" : rd_rdpsec_status_name(x->status),
                     x->basis == RD_RDPSEC_BASIS_INFERRED ? " (inferred from the level" : answered[0] ? " (" : "",
                     x->basis == RD_RDPSEC_BASIS_INFERRED ? "" : answered[0] ? answered + 2 : "",
                     x->basis == RD_RDPSEC_BASIS_INFERRED || answered[0] ? ")" : "");
    if (w < 0)
      break;
    used += (size_t)w;
  }
  fprintf(o->f, "\nStandard RDP Security (each encryption method offered alone)\n");
  if (r->level_present)
    para(o, "  level     ", 12, 12, "%s (%u)%s; Connect Initials on %u connection%s, %u opened for them",
         rd_rdpsec_level_name(r->level), r->level, r->level_varies ? ", varies between connections" : "",
         r->connections, r->connections == 1 ? "" : "s", r->extra_connections);
  else
    para(o, "  level     ", 12, 12, "no Connect Response; Connect Initials on %u connection%s, %u opened for them",
         r->connections, r->connections == 1 ? "" : "s", r->extra_connections);
  para(o, "  methods   ", 12, 12, "%s", methods);
}

static void facts_section(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  fprintf(o->f, "\nWhat the server did (request -> answer)\n");
  for (size_t i = 0; i < c->n_probes; i++) {
    const rd_probe_facts *p = &c->probes[i];
    char req[64], ans[200], tls[300];
    if (p->req.kind == RD_PROBE_CONNECT) {
      para(o, "  ", 2, 6, "connect %s -> %s", c->name.addrs[p->req.addr_index], rd_conn_outcome_name(p->connect));
      continue;
    }
    if (p->req.kind == RD_PROBE_IDENTIFY) {
      /* The follow-up sends no RDP request: what it asked and what answered (banner escaped). */
      const rd_ident_facts *k = &p->ident;
      if (p->connect != RD_CONN_OK) { /* it asked nothing: the connect is the answer */
        para(o, "  ", 2, 6, "follow-up -> connect %s", rd_conn_outcome_name(p->connect));
        continue;
      }
      para(o, "  ", 2, 6, "follow-up, %s -> %s%s%s%s%s%s", k->request[0] ? k->request : "waiting for a greeting",
           p->banner[0] ? "\"" : rd_ident_outcome_name(k->outcome), p->banner, p->banner[0] ? "\"" : "",
           k->server[0] ? " (Server: " : "", k->server, k->server[0] ? ")" : "");
      continue;
    }
    request_name(p, req, sizeof req);
    answer_text(p, ans, sizeof ans);
    tls_text(&p->tls, tls, sizeof tls);
    if (p->session.enumeration) { /* what the Connect Response selected for the one method offered */
      const rd_session_facts *s = &p->session;
      if (s->connect_response && s->security_present)
        snprintf(tls, sizeof tls, "; the server chose %s at level %s", rd_rdpsec_method_name(s->encryption_method),
                 rd_rdpsec_level_name(s->encryption_level));
      else
        snprintf(tls, sizeof tls, "; then %s", rd_session_outcome_name(s->outcome));
    }
    if (p->req.kind == RD_PROBE_TLS_VERSION && p->nego == RD_NEGO_RSP && p->tls.outcome != RD_TLSO_NOT_TRIED)
      para(o, "  ", 2, 6, "%s -> %s", req, p->tls.outcome == RD_TLSO_OK ? "accepted" : tls + 2);
    else
      para(o, "  ", 2, 6, "%s -> %s%s%s", req, ans, tls, (int)i == d->verdict.client_probe ? " (a Windows client's request)" : "");
  }
  if (c->reach.n_side > 0) {
    char sides[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->reach.n_side && used < sizeof sides; i++)
      used += (size_t)snprintf(sides + used, sizeof sides - used, "%s%u %s", i ? ", " : "", c->reach.side[i].port,
                               rd_conn_outcome_name(c->reach.side[i].outcome));
    para(o, "  ", 2, 6, "other ports: %s", sides);
  }
  session_facts(o, c);
  rdpsec_facts(o, c);
  if (d->verdict.identity_probe >= 0) {
    const rd_credssp_facts *k = &c->probes[d->verdict.identity_probe].credssp;
    char when[40] = "-";
    if (k->timestamp_present)
      rd_format_utc(k->server_time_unix, when, sizeof when);
    fprintf(o->f, "\nServer identity (its NTLM CHALLENGE, no credentials sent)\n");
    para(o, "  computer  ", 12, 12, "%s (DNS %s)", E(RD_FACT_STR(k->nb_computer)), k->dns_computer != NULL ? E(k->dns_computer) : "-");
    para(o, "  domain    ", 12, 12, "%s (DNS %s, forest %s)", E(RD_FACT_STR(k->nb_domain)), k->dns_domain != NULL ? E(k->dns_domain) : "-",
         k->dns_tree != NULL ? E(k->dns_tree) : "-");
    if (k->os_version_present)
      para(o, "  windows   ", 12, 12, "%u.%u build %u", k->os_major, k->os_minor, k->os_build);
    para(o, "  clock     ", 12, 12, "%s", when);
    para(o, "  credssp   ", 12, 12, "version %lld", (long long)k->ts_version);
  }
  if (!c->have_cert)
    return;
  const rd_cert_facts *x = &c->cert;
  char nb[40], na[40], fp[RD_CERT_FP_HEX_MAX];
  rd_cert_format_sha256(x->sha256, true, fp, sizeof fp);
  fprintf(o->f, "\nCertificate\n");
  para(o, "  subject   ", 12, 12, "%s", E(x->subject));
  para(o, "  issuer    ", 12, 12, "%s%s", E(x->issuer), x->self_signed ? " (self-signed)" : "");
  int days = rd_cert_days_left(x, c->started_unix);
  char left[40];
  if (days < 0)
    snprintf(left, sizeof left, "expired %d days ago", -days);
  else
    snprintf(left, sizeof left, "%d days left", days);
  para(o, "  valid     ", 12, 12, "%s -> %s (%s)", rd_format_utc(x->not_before, nb, sizeof nb),
       rd_format_utc(x->not_after, na, sizeof na), left);
  if (x->san_count > 0) {
    char names[RD_CERT_SAN_MAX * 80 + 64];
    size_t used = 0;
    for (size_t i = 0; i < x->san_count && used < sizeof names; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? " " : "", E(x->san[i]));
    if (x->san_total > x->san_count && used < sizeof names)
      snprintf(names + used, sizeof names - used, " (and %zu more)", x->san_total - x->san_count);
    para(o, "  names     ", 12, 12, "%s", names);
  }
  para(o, "  key       ", 12, 12, "%s %d bits, signature %s", E(x->key_type), x->key_bits, E(x->sig_alg));
  /* 95 characters: at a colon into two halves of 16 bytes when the line would not fit. */
  if (12 + strlen(fp) > o->width && strlen(fp) == 95) {
    fprintf(o->f, "  sha256    %.48s\n            %s\n", fp, fp + 48);
  } else {
    para(o, "  sha256    ", 12, 12, "%s", fp);
  }
}

/* ---- findings and verdict ---- */

static void findings_section(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  fprintf(o->f, "\nFindings (worst first)\n");
  if (d->n == 0)
    fprintf(o->f, "  none\n");
  for (int sev = RD_SEV_CRITICAL; sev >= RD_SEV_INFO; sev--)
    for (size_t i = 0; i < d->n; i++) {
      const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
      if ((int)def->severity != sev)
        continue;
      const char *word = sev == RD_SEV_CRITICAL ? "CRITICAL" : sev == RD_SEV_WARNING ? "WARNING" : "info";
      char first[64], detail[1024], safe[1100];
      snprintf(first, sizeof first, "  %s%-8s%s ", sgr(o, (rd_severity)sev, false), word, reset(o));
      para(o, first, 11, 11, "%s: %s", def->slug, def->title);
      rd_report_finding_detail(c, &d->items[i], detail, sizeof detail);
      para(o, "           ", 11, 11, "%s", rd_text_escape(detail, safe, sizeof safe));
    }
}

/* The kb's confirm and fix texts: report.h rd_text_kb_lines. */
static void print_lines(const out *o, const char *text, unsigned indent) {
  char pad[16];
  snprintf(pad, sizeof pad, "%*s", (int)indent, "");
  rd_text_kb_lines(o->f, pad, text, indent, o->width);
}

static void slugs(const rd_diagnosis *d, const int *idx, size_t n, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < n && used < size; k++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", k ? ", " : "", rd_finding_def_get(d->items[idx[k]].id)->slug);
}

static void verdict_section(const out *o, const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  fprintf(o->f, "\nVerdict\n");
  if (d->codes.result != RD_CODES_NONE) {
    char sum[512];
    rd_report_codes_summary(d, sum, sizeof sum);
    para(o, "  Your client's code: ", 21, 4, "%s", sum);
  }
  if (!v->checked) {
    para(o, "  ", 2, 2, "%s", rd_report_verdict_summary(d));
    return;
  }
  char list[1024];
  if (v->root < 0) {
    para(o, "  ", 2, 2, "%s: every phase tested (name, TCP, negotiation%s%s%s) works.", rd_report_verdict_summary(d),
         v->phases[RD_PH_TLS] == RD_STATE_OK ? ", TLS" : "", v->identity_probe >= 0 ? ", CredSSP identity" : "",
         v->phases[RD_PH_SESSION] == RD_STATE_OK ? ", session up to Demand Active" : "");
    if (v->n_informational > 0) {
      slugs(d, v->informational, v->n_informational, list, sizeof list);
      para(o, "  Informational: ", 17, 4, "%s", list);
    }
    return;
  }
  const rd_finding_def *def = rd_finding_def_get(d->items[v->root].id);
  if (v->ends_at != RD_PH_ANY)
    para(o, "  ", 2, 4, "A Windows client's connection ends at: %s", rd_phase_title(v->ends_at));
  para(o, "  ", 2, 4, "Primary cause: %s (%s)", def->title, def->slug);
  char code[64];
  if (rd_finding_client_code(&d->items[v->root], code, sizeof code)[0])
    para(o, "  ", 2, 4, "A Windows client would most likely show: %s%s", code,
         def->inferred ? " (inferred, not documented)" : "");
  if (v->n_contributing > 0) {
    slugs(d, v->contributing, v->n_contributing, list, sizeof list);
    para(o, "  ", 2, 4, "Contributing: %s", list);
  }
  if (v->n_informational > 0) {
    slugs(d, v->informational, v->n_informational, list, sizeof list);
    para(o, "  ", 2, 4, "Informational: %s", list);
  }
  const rd_kb_cause *cause = rd_finding_cause(&d->items[v->root]);
  if (cause == NULL)
    return;
  fprintf(o->f, "\n  Why:\n");
  rd_text_wrap_hanging(o->f, "    ", 4, cause->why, 4, o->width);
  char *confirm = rd_text_for_target(cause->confirm, E(c->host), c->port);
  char *fix = rd_text_for_target(cause->fix, E(c->host), c->port);
  fprintf(o->f, "  Confirm:\n");
  print_lines(o, confirm ? confirm : cause->confirm, 4);
  fprintf(o->f, "  Fix:\n");
  print_lines(o, fix ? fix : cause->fix, 4);
  free(confirm);
  free(fix);
  para(o, "  ", 2, 2, "(rdpdoctor explain shows the same causes for an error code.)");
}

int rd_report_check_text(FILE *f, const rd_check_facts *c, const rd_diagnosis *d, const rd_text_opts *opts) {
  out o = {f, opts != NULL && opts->width >= 40 ? opts->width : 80, opts != NULL && opts->colour};
  char tgt[300], when[40];
  bool v6 = strchr(c->host, ':') != NULL;
  snprintf(tgt, sizeof tgt, "%s%s%s:%u", v6 ? "[" : "", E(c->host), v6 ? "]" : "", c->port);
  verdict_line(&o, c, d);
  para(&o, "", 0, 2, "rdpdoctor check %s (%s, %.0f ms, %zu connections)", tgt,
       rd_format_utc(c->started_unix, when, sizeof when), ms(c->total_us), c->n_probes + c->reach.n_side);
  timeline(&o, c, d);
  if (c->deadline_hit)
    para(&o, "  ", 2, 2, "(the whole-check deadline cut the check short)");
  addresses_section(&o, c);
  if ((c->name.n_addrs > 0 && c->reach.chosen >= 0) || c->reach.n_side > 0)
    facts_section(&o, c, d);
  findings_section(&o, c, d);
  verdict_section(&o, c, d);
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}
