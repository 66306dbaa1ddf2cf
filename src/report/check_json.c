/* `rdpdoctor check --json`: facts and findings as separate parts (docs/json.md "check"). */
#include <stdlib.h>
#include <string.h>

#include "core/hexfmt.h"
#include "core/rdtime.h"
#include "core/x224.h"
#include "core/err.h"
#include "kb/cause.h"
#include "kb/finding_text.h"
#include "kb/kb.h"
#include "json_common.h"
#include "report.h"

static json_t *ms(rd_us us) { return json_real((double)us / 1000.0); }

static json_t *hex(const uint8_t *p, size_t n) {
  char buf[2 * RD_REPLY_KEEP + 1];
  return json_string(rd_hex_format(buf, sizeof buf, p, n, false));
}

static json_t *name_json(const rd_check_facts *c) {
  const rd_name_facts *n = &c->name;
  json_t *addrs = json_array();
  for (size_t i = 0; i < n->n_addrs; i++)
    json_array_append_new(addrs, json_pack("{s:s, s:i}", "address", n->addrs[i], "family", n->families[i]));
  return json_pack("{s:s, s:s, s:s, s:o, s:b, s:o, s:s}", "status", rd_name_status_name(n->status), "status_a",
                   rd_name_status_name(n->status_a), "status_aaaa", rd_name_status_name(n->status_aaaa),
                   "addresses", addrs, "from_hosts_file", n->from_hosts_file, "duration_ms", ms(n->took_us),
                   "detail", n->detail);
}

static json_t *reach_json(const rd_check_facts *c) {
  const rd_reach_facts *r = &c->reach;
  json_t *side = json_array(), *per_addr = json_array();
  for (size_t i = 0; i < r->n_side; i++)
    json_array_append_new(side, json_pack("{s:i, s:s}", "port", r->side[i].port, "outcome",
                                          rd_conn_outcome_name(r->side[i].outcome)));
  for (size_t i = 0; i < c->name.n_addrs; i++)
    json_array_append_new(per_addr, json_pack("{s:s, s:s, s:o}", "address", c->name.addrs[i], "outcome",
                                              rd_conn_outcome_name(r->addr_outcome[i]), "connect_ms",
                                              ms(r->addr_connect_us[i])));
  return json_pack("{s:s?, s:o, s:i, s:i, s:o, s:o, s:o, s:o}", "address",
                   r->chosen >= 0 ? c->name.addrs[r->chosen] : NULL, "addresses", per_addr, "samples", r->samples,
                   "failures", r->failures, "rtt_min_ms", ms(r->rtt_min_us), "rtt_median_ms", ms(r->rtt_median_us),
                   "rtt_max_ms", ms(r->rtt_max_us), "other_ports", side);
}

static json_t *tls_json(const rd_tls_facts *t) {
  if (t->outcome == RD_TLSO_NOT_TRIED)
    return json_null();
  return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:I, s:o}", "outcome", rd_tls_outcome_name(t->outcome),
                   "version", t->version_name, "cipher", t->cipher, "alert", t->alert, "alert_name", t->alert_name,
                   "reason", t->reason, "first_bytes_hex", hex(t->first_bytes, t->n_first_bytes),
                   "bytes_after_hello", (json_int_t)t->bytes_after_hello, "duration_ms", ms(t->took_us));
}

static json_t *credssp_json(const rd_credssp_facts *c) {
  if (c->outcome == RD_CSSP_NOT_TRIED)
    return json_null();
  char os[32] = "", when[40] = "";
  if (c->os_version_present)
    snprintf(os, sizeof os, "%u.%u.%u", c->os_major, c->os_minor, c->os_build);
  if (c->timestamp_present)
    rd_format_utc(c->server_time_unix, when, sizeof when);
  return json_pack("{s:s, s:I, s:b, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:o, s:o}", "outcome",
                   rd_credssp_outcome_name(c->outcome), "version", (json_int_t)c->ts_version, "error_code_present",
                   c->error_code_present, "error_code", (json_int_t)c->error_code, "target_name",
                   RD_FACT_STR(c->target_name), "netbios_computer", RD_FACT_STR(c->nb_computer), "netbios_domain",
                   RD_FACT_STR(c->nb_domain), "dns_computer", RD_FACT_STR(c->dns_computer), "dns_domain",
                   RD_FACT_STR(c->dns_domain), "dns_tree", RD_FACT_STR(c->dns_tree), "os_version", os,
                   "server_time", c->timestamp_present ? when : NULL, "server_time_unix",
                   (json_int_t)(c->timestamp_present ? c->server_time_unix : 0), "first_bytes_hex",
                   hex(c->first_bytes, c->n_first_bytes), "duration_ms", ms(c->took_us));
}

static json_t *auth_json(const rd_auth_facts *a) {
  if (a->outcome == RD_AUTH_NOT_TRIED)
    return json_null();
  const rd_kb_code *row = a->error_code_present ? rd_kb_find(RD_TAB_STATUS, a->error_code) : NULL;
  /* The user is reported so the reader knows which account was tried; the password never is. */
  return json_pack("{s:s, s:s, s:s, s:I, s:b, s:I, s:s?, s:b, s:I, s:o}", "outcome", rd_auth_outcome_name(a->outcome),
                   "user", RD_FACT_STR(a->user), "domain", RD_FACT_STR(a->domain), "version", (json_int_t)a->version, "error_code_present",
                   a->error_code_present, "error_code", (json_int_t)a->error_code, "error_name",
                   row ? row->name : NULL, "early_authz_present", a->early_authz_present, "early_authz",
                   (json_int_t)a->early_authz, "duration_ms", ms(a->took_us));
}

/* Standard RDP Security on the session's connection (docs/json.md "rdp_security"); null when the
 * server did not ask for it. */
static json_t *rdpsec_json(const rd_rdpsec_facts *r) {
  if (!r->used)
    return json_null();
  return json_pack("{s:s, s:I, s:b, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:b, s:b, s:s?}", "certificate",
                   rd_rdpsec_cert_name(r->cert), "certificate_version", (json_int_t)r->cert_version,
                   "certificate_temporary", r->cert_temporary, "chain_length", (json_int_t)r->chain_len, "key_bits",
                   (json_int_t)r->key_bits, "key_exponent", (json_int_t)r->key_exponent, "exchange_sent",
                   r->exchange_sent, "sent_encrypted", (json_int_t)r->sent_encrypted, "received_encrypted",
                   (json_int_t)r->received_encrypted, "received_salted", (json_int_t)r->received_salted,
                   "received_clear", (json_int_t)r->received_clear, "license_encrypted", r->license_encrypted,
                   "mac_failed", r->mac_failed, "mac_failed_step", r->mac_failed ? r->mac_failed_step : NULL);
}

/* --logon's facts, added to the session's "logon" object (docs/json.md): where the credentials
 * went (the account named, never the password), finalization, the wait and how it ended. */
static void logon_json(json_t *o, const rd_logon_facts *l) {
  const rd_logon_outcome out = l->outcome;
  bool ended = out == RD_LOGON_ENDED;
  json_object_set_new(o, "outcome", json_string(rd_logon_outcome_name(out)));
  json_object_set_new(o, "credentials", json_string(rd_logon_creds_name(l->credentials)));
  json_object_set_new(o, "user", json_string(l->user));
  json_object_set_new(o, "domain", json_string(l->domain));
  json_object_set_new(o, "confirm_active_sent", json_boolean(l->confirm_active_sent));
  json_object_set_new(o, "capability_sets", json_integer(l->n_capabilities));
  json_object_set_new(o, "finalization",
                      json_pack("{s:b, s:b, s:b, s:b}", "synchronize", l->fin_synchronize, "cooperate",
                                l->fin_cooperate, "granted_control", l->fin_granted, "font_map", l->fin_font_map));
  json_object_set_new(o, "report_info_type",
                      l->save_session_info ? json_integer((json_int_t)l->info_type) : json_null());
  json_object_set_new(o, "session_id", l->session_id_present ? json_integer((json_int_t)l->session_id) : json_null());
  json_object_set_new(o, "updates", json_integer((json_int_t)l->n_updates));
  json_object_set_new(o, "end", ended ? json_string(rd_session_outcome_name((rd_session_outcome)l->end_how))
                                      : json_null());
  json_object_set_new(o, "shutdown_sent", json_boolean(l->shutdown_sent));
  json_object_set_new(o, "ended_by", json_string(rd_logon_end_name(l->ended_by)));
  json_object_set_new(o, "activated_ms", ms(l->activated_us));
  json_object_set_new(o, "wait_ms", ms(l->wait_us));
}

/* The session phase: every errorInfo by number and by its kb name (ERRINFO_…). */
static json_t *session_json(const rd_session_facts *s) {
  if (s->outcome == RD_SESS_NOT_TRIED)
    return json_null();
  json_t *infos = json_array();
  for (size_t i = 0; i < s->n_error_info; i++) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_ERRINFO, s->error_info[i]);
    json_array_append_new(infos, json_pack("{s:I, s:s?, s:s, s:o}", "code", (json_int_t)s->error_info[i], "name",
                                           row ? row->name : NULL, "step", s->error_info_step[i], "at_ms",
                                           ms(s->error_info_us[i])));
  }
  const rd_kb_code *lic = s->license_error_present ? rd_kb_find(RD_TAB_LICERR, s->license_error) : NULL;
  json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:s?, s:s?, s:I, s:I, s:i, s:i, s:i, s:i}",
                        "outcome", rd_session_outcome_name(s->outcome), "step", s->step, "connect_response",
                        s->connect_response, "mcs_result", (json_int_t)s->mcs_result, "gcc_result",
                        (json_int_t)s->gcc_result, "server_version", (json_int_t)s->server_version,
                        "requested_echo", NULL, "early_capabilities", NULL, "encryption_method",
                        (json_int_t)s->encryption_method, "encryption_level", (json_int_t)s->encryption_level,
                        "io_channel", s->io_channel, "message_channel", s->msg_channel, "user_channel",
                        s->user_channel, "channels", s->n_channels);
  json_object_set_new(o, "offered_methods", json_integer((json_int_t)s->offered_methods));
  json_object_set_new(o, "enumeration", json_boolean(s->enumeration));
  if (s->requested_echo_present)
    json_object_set_new(o, "requested_echo", json_integer((json_int_t)s->requested_echo));
  if (s->early_caps_present)
    json_object_set_new(o, "early_capabilities", json_integer((json_int_t)s->early_caps));
  json_object_set_new(o, "early_capabilities_sent", json_integer(s->early_caps_sent));
  json_object_set_new(o, "channel_joins",
                      json_pack("{s:b, s:i, s:i, s:o, s:o}", "skipped", s->joins_skipped, "sent", s->joins_sent,
                                "confirmed", s->joins_confirmed, "refused_channel",
                                s->join_refused ? json_integer(s->join_refused_channel) : json_null(),
                                "refused_result", s->join_refused ? json_integer(s->join_result) : json_null()));
  json_object_set_new(o, "rdp_security", rdpsec_json(&s->rdpsec));
  json_object_set_new(o, "error_info", infos);
  json_object_set_new(o, "license", json_pack("{s:b, s:i, s:b, s:b, s:I, s:s?, s:I}", "seen", s->license_seen,
                                              "message_type", s->license_msg, "valid_client",
                                              s->license_valid_client, "error_present", s->license_error_present,
                                              "error_code", (json_int_t)s->license_error, "error_name",
                                              lic ? lic->name : NULL, "state_transition",
                                              (json_int_t)s->license_state));
  json_object_set_new(o, "disconnect_ultimatum", s->dpu_present ? json_integer(s->dpu_reason) : json_null());
  json_t *logon = json_pack("{s:b, s:I, s:b, s:I, s:I}", "info_present", s->logon_info_present, "info_type",
                            (json_int_t)s->logon_info_type, "error_present", s->logon_error_present, "error_type",
                            (json_int_t)s->logon_error_type, "error_data", (json_int_t)s->logon_error_data);
  logon_json(logon, &s->logon);
  json_object_set_new(o, "logon", logon);
  json_object_set_new(o, "demand_active", json_pack("{s:b, s:I, s:i}", "seen", s->demand_active, "share_id",
                                                    (json_int_t)s->share_id, "capabilities", s->n_capabilities));
  json_object_set_new(o, "unknown_pdus", json_pack("{s:I, s:i, s:o}", "count", (json_int_t)s->n_unknown, "last_type",
                                                   s->unknown_type, "last_first_hex",
                                                   hex(s->unknown_first, s->unknown_len)));
  json_object_set_new(o, "duration_ms", ms(s->took_us));
  return o;
}

static json_t *probe_index(int i);

/* Standard RDP Security: each method accepted, refused or not tested, probed or inferred, and
 * the level (docs/json.md "rdp_security"). Always an object, so evidence pointers resolve. */
static json_t *rdpsec_enum_json(const rd_check_facts *c) {
  const rd_rdpsec_enum_facts *r = &c->rdp_security;
  json_t *methods = json_array();
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
    const rd_rdpsec_method *x = &r->methods[m];
    json_array_append_new(methods, json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:s?}", "method",
                                             rd_rdpsec_method_name(rd_rdpsec_methods[m]), "value",
                                             (int)rd_rdpsec_methods[m], "status", rd_rdpsec_status_name(x->status),
                                             "basis", rd_rdpsec_basis_name(x->basis), "probe",
                                             probe_index(x->basis == RD_RDPSEC_BASIS_PROBED ? x->probe : -1),
                                             "answered_method",
                                             x->answered_present ? json_integer(x->answered_method) : json_null(),
                                             "answered_name",
                                             x->answered_present ? rd_rdpsec_method_name(x->answered_method) : NULL));
  }
  return json_pack("{s:b, s:o, s:s?, s:o, s:b, s:o, s:i, s:i}", "tested", r->tested, "level",
                   r->level_present ? json_integer(r->level) : json_null(), "level_name",
                   r->level_present ? rd_rdpsec_level_name(r->level) : NULL, "level_probe",
                   probe_index(r->level_present ? r->level_probe : -1), "level_varies", r->level_varies, "methods", methods,
                   "connections", (int)r->connections, "extra_connections", (int)r->extra_connections);
}

/* The identify follow-up (docs/json.md "identify"): the service it names and what it rests on.
 * The text fields hold printable ASCII only (the probe replaced every other byte). */
static json_t *ident_json(const rd_probe_facts *p) {
  const rd_ident_facts *id = &p->ident;
  return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:s, s:s, s:s, s:o, s:I, s:o}", "outcome",
                   rd_ident_outcome_name(id->outcome), "service", rd_service_name(p->service), "request", id->request,
                   "tls", id->tls, "status_line", id->http_status >= 0 ? p->banner : "", "http_status",
                   id->http_status >= 0 ? json_integer(id->http_status) : json_null(), "banner", p->banner, "server",
                   id->server, "www_authenticate", id->authenticate, "first_bytes_hex",
                   hex(id->first_bytes, id->n_first_bytes), "bytes_received", (json_int_t)id->bytes_received,
                   "duration_ms", ms(id->took_us));
}

/* The connect's "errno": the POSIX number (as Linux numbers them) of the libuv error names the
 * connect outcomes come from, so that the document reads the same from every platform's build;
 * 0 for none or another name ("error" has the name). */
static int posix_errno(const char *error) {
  static const struct {
    const char *name;
    int number;
  } table[] = {
      {"EPERM", 1},         {"ENOENT", 2},        {"EINTR", 4},           {"EIO", 5},
      {"EBADF", 9},         {"EAGAIN", 11},       {"ENOMEM", 12},         {"EACCES", 13},
      {"EINVAL", 22},       {"ENFILE", 23},       {"EMFILE", 24},         {"EPIPE", 32},
      {"EADDRINUSE", 98},   {"EADDRNOTAVAIL", 99}, {"ENETDOWN", 100},     {"ENETUNREACH", 101},
      {"ECONNABORTED", 103}, {"ECONNRESET", 104}, {"ENOBUFS", 105},       {"ETIMEDOUT", 110},
      {"ECONNREFUSED", 111}, {"EHOSTDOWN", 112},  {"EHOSTUNREACH", 113},  {"ECANCELED", 125},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(error, table[i].name) == 0)
      return table[i].number;
  return 0;
}

static json_t *probe_json(const rd_check_facts *c, const rd_probe_facts *p) {
  char protos[64], sel[64];
  const rd_kb_code *neg = p->nego == RD_NEGO_FAILURE ? rd_kb_find(RD_TAB_NEGF, p->failure_code) : NULL;
  json_t *req = json_pack("{s:b, s:I, s:s, s:i, s:b}", "legacy", p->req.legacy, "protocols",
                          (json_int_t)p->req.protocols, "protocols_name",
                          p->req.legacy ? "none" : rd_protocols_name(p->req.protocols, protos, sizeof protos),
                          "tls_version", p->req.tls_pin, "session", p->req.session);
  json_t *connect = json_pack("{s:s, s:i, s:s, s:o, s:i, s:i, s:i}", "outcome", rd_conn_outcome_name(p->connect),
                              "errno", posix_errno(p->connect_error), "error", p->connect_error, "duration_ms",
                              ms(p->connect_us), "retries", p->connect_retries,
                              "retransmits_before_reply", p->retransmits_before_reply, "retransmits_after_reply",
                              p->retransmits_after_reply);
  json_t *nego = json_pack("{s:s, s:I, s:s, s:i, s:I, s:s?, s:o, s:I, s:o, s:s, s:s}", "outcome",
                           rd_nego_outcome_name(p->nego), "selected", (json_int_t)p->selected, "selected_name",
                           p->nego == RD_NEGO_RSP ? rd_protocols_name(p->selected, sel, sizeof sel) : "",
                           "flags", p->rsp_flags, "failure_code", (json_int_t)p->failure_code, "failure_name",
                           neg ? neg->name : NULL, "reply_hex", hex(p->reply, p->reply_len), "bytes_received",
                           (json_int_t)p->bytes_received, "duration_ms", ms(p->reply_us), "service",
                           rd_service_name(p->service), "banner", p->banner);
  json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s?, s:o}", "kind", rd_probe_kind_name(p->req.kind),
                   "address", c->name.n_addrs > (size_t)p->req.addr_index ? c->name.addrs[p->req.addr_index] : "",
                   "request", req, "connect", connect, "negotiation", nego, "tls", tls_json(&p->tls), "credssp",
                   credssp_json(&p->credssp), "authentication", auth_json(&p->auth), "session",
                   session_json(&p->session), "local_error",
                   p->local_error != 0 ? rd_err_name(p->local_error) : NULL, "duration_ms", ms(p->total_us));
  if (o != NULL && p->req.kind == RD_PROBE_IDENTIFY)
    json_object_set_new(o, "identify", ident_json(p));
  return o;
}

static json_t *cert_json(const rd_check_facts *c) {
  if (!c->have_cert)
    return json_null();
  const rd_cert_facts *x = &c->cert;
  char nb[40], na[40], fp[RD_CERT_FP_HEX_MAX];
  rd_cert_format_sha256(x->sha256, false, fp, sizeof fp);
  json_t *sans = json_array();
  for (size_t i = 0; i < x->san_count; i++)
    json_array_append_new(sans, json_string(x->san[i]));
  json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:i, s:b, s:b, s:s, s:i, s:s, s:b, s:s, s:s}",
                        "subject", x->subject, "issuer", x->issuer, "common_name", x->common_name, "san", sans,
                        "not_before", rd_format_utc(x->not_before, nb, sizeof nb), "not_after",
                        rd_format_utc(x->not_after, na, sizeof na), "not_before_unix", (json_int_t)x->not_before,
                        "not_after_unix", (json_int_t)x->not_after, "days_left",
                        rd_cert_days_left(x, c->started_unix), "self_issued", x->self_issued, "self_signed",
                        x->self_signed, "key_type", x->key_type, "key_bits", x->key_bits, "signature_algorithm",
                        x->sig_alg, "eku_server_auth", x->eku_server_auth, "sha256", fp, "serial", x->serial);
  char *der = NULL;
  if (c->cert_der != NULL && (der = malloc(2 * c->cert_der_len + 1)) != NULL) {
    json_object_set_new(o, "der_hex", json_string(rd_hex_format(der, 2 * c->cert_der_len + 1, c->cert_der,
                                                                c->cert_der_len, false)));
    free(der);
  }
  return o;
}

/* A parameter as JSON: an integer when it is one (a count), a real otherwise. */
static json_t *number(double v) {
  return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
}

static json_t *findings_json(const rd_check_facts *c, const rd_diagnosis *d) {
  json_t *arr = json_array();
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding *fd = &d->items[i];
    const rd_finding_def *def = rd_finding_def_get(fd->id);
    char detail[512], code[64];
    rd_report_finding_detail(c, fd, detail, sizeof detail);
    rd_finding_client_code(fd, code, sizeof code);
    const rd_kb_cause *cause = rd_finding_cause(fd);
    json_t *evidence = json_array(), *params = json_object();
    for (size_t k = 0; k < fd->n_evidence; k++)
      json_array_append_new(evidence, json_string(fd->evidence[k]));
    for (size_t k = 0; k < fd->n_params; k++)
      json_object_set_new(params, fd->params[k].name, number(fd->params[k].value));
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s?, s:s?, s:b, s:i}", "id", def->slug,
                                         "severity", rd_severity_name(def->severity), "phase", rd_phase_name(def->phase),
                                         "title", def->title, "detail", detail, "evidence", evidence, "parameters",
                                         params, "cause", cause ? cause->slug : NULL, "client_error",
                                         code[0] ? code : NULL, "inferred", def->inferred,
                                         "probe", fd->probe));
  }
  return arr;
}

static json_t *lines_for_target(const char *text, const rd_check_facts *c) {
  char *filled = rd_text_for_target(text, c->host, c->port);
  json_t *lines = rd_json_lines(filled ? filled : text);
  free(filled);
  return lines;
}

static json_t *probe_index(int i) { return i >= 0 ? json_integer(i) : json_null(); }

static json_t *slug_list(const rd_diagnosis *d, const int *idx, size_t n);
static json_t *codes_json(const rd_diagnosis *d);

static json_t *verdict_json(const rd_check_facts *c, const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  const rd_finding_def *root = v->root >= 0 ? rd_finding_def_get(d->items[v->root].id) : NULL;
  const rd_kb_cause *cause = v->root >= 0 ? rd_finding_cause(&d->items[v->root]) : NULL;
  char code[64] = "";
  if (v->root >= 0)
    rd_finding_client_code(&d->items[v->root], code, sizeof code);
  json_t *phases = json_object();
  for (int ph = 0; ph < RD_VERDICT_PHASES; ph++)
    json_object_set_new(phases, rd_phase_name((rd_phase)ph), json_string(rd_phase_state_name(v->phases[ph])));
  json_t *vj = json_pack("{s:b, s:s?, s:s, s:s, s:s?, s:s, s:s?, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:i}", "checked",
                   v->checked, "unchecked", rd_kb_unchecked_name(v->unchecked), "status", rd_severity_name(v->worst),
                   "ends_at", v->ends_at == RD_PH_ANY ? "none" : rd_phase_name(v->ends_at), "root_cause",
                   root ? root->slug : NULL, "summary", rd_report_verdict_summary(d), "client_error",
                   code[0] ? code : NULL, "client_error_inferred",
                   root ? root->inferred : false, "phases", phases, "client_probe", probe_index(v->client_probe),
                   "identity_probe", probe_index(v->identity_probe), "auth_probe", probe_index(v->auth_probe),
                   "confirm", cause ? lines_for_target(cause->confirm, c) : json_array(), "fix",
                   cause ? lines_for_target(cause->fix, c) : json_array(), "exit_code", rd_diagnosis_exit_code(d));
  if (vj == NULL)
    return NULL;
  json_object_set_new(vj, "contributing", slug_list(d, v->contributing, v->n_contributing));
  json_object_set_new(vj, "informational", slug_list(d, v->informational, v->n_informational));
  json_object_set_new(vj, "client_error_code", v->client_code[0] ? json_string(v->client_code) : json_null());
  json_object_set_new(vj, "client_error_extended", v->client_ext[0] ? json_string(v->client_ext) : json_null());
  json_object_set_new(vj, "codes", codes_json(d));
  return vj;
}

static json_t *slug_list(const rd_diagnosis *d, const int *idx, size_t n) {
  json_t *a = json_array();
  for (size_t k = 0; k < n; k++)
    json_array_append_new(a, json_string(rd_finding_def_get(d->items[idx[k]].id)->slug));
  return a;
}

/* `--codes`: what the user's client showed against the live evidence; null without --codes. */
static json_t *codes_json(const rd_diagnosis *d) {
  const rd_codes_match *m = &d->codes;
  if (m->result == RD_CODES_NONE)
    return json_null();
  json_t *given = json_array();
  for (size_t i = 0; i < m->n_given; i++)
    json_array_append_new(given, json_string(m->given[i]));
  const rd_kb_cause *cause = m->cause >= 0 ? rd_kb_cause_get((rd_cause_id)m->cause) : NULL;
  char summary[512];
  rd_report_codes_summary(d, summary, sizeof summary);
  return json_pack("{s:o, s:s, s:b, s:s?, s:s?, s:s}", "given", given, "match", rd_codes_result_name(m->result),
                   "matches", m->result == RD_CODES_SAME_CODE || m->result == RD_CODES_CAUSE ||
                                  m->result == RD_CODES_CONTRIBUTING,
                   "finding", m->finding >= 0 ? rd_finding_def_get(d->items[m->finding].id)->slug : NULL, "cause",
                   cause ? cause->slug : NULL, "summary", summary);
}

size_t rd_report_codes_summary(const rd_diagnosis *d, char *buf, size_t size) {
  const rd_codes_match *m = &d->codes;
  char codes[64];
  snprintf(codes, sizeof codes, "%s%s%s", m->given[0], m->n_given > 1 ? " / extended " : "",
           m->n_given > 1 ? m->given[1] : "");
  const char *slug = m->finding >= 0 ? rd_finding_def_get(d->items[m->finding].id)->slug : "";
  const rd_kb_cause *cause = m->cause >= 0 ? rd_kb_cause_get((rd_cause_id)m->cause) : NULL;
  const char *ctitle = cause ? cause->title : "no cause on record";
  int w = 0;
  switch (m->result) {
  case RD_CODES_NONE:
    w = snprintf(buf, size, "%s", "");
    break;
  case RD_CODES_SAME_CODE:
    w = snprintf(buf, size, "The live evidence matches %s: %s predicts exactly that code (cause: %s).", codes, slug,
                 ctitle);
    break;
  case RD_CODES_CAUSE:
    w = snprintf(buf, size, "The live evidence matches %s: %s is one of that code's causes (%s).", codes, slug,
                 ctitle);
    break;
  case RD_CODES_CONTRIBUTING:
    w = snprintf(buf, size, "The live evidence partly matches %s: not the primary cause, but %s points to it (%s).",
                 codes, slug, ctitle);
    break;
  case RD_CODES_HEALTHY:
    w = snprintf(buf, size,
                 "The live evidence does not show %s: every phase tested works now. The code came from another "
                 "moment, another path (a gateway, a VPN) or a phase not tested; its first cause is: %s.",
                 codes, ctitle);
    break;
  case RD_CODES_OTHER:
    w = snprintf(buf, size,
                 "The live evidence does not match %s: it points at %s instead; that code's first cause would be: %s.",
                 codes, slug, ctitle);
    break;
  }
  return w > 0 ? (size_t)w : 0;
}

const char *rd_report_verdict_summary(const rd_diagnosis *d) {
  const rd_verdict *v = &d->verdict;
  if (!v->checked)
    return rd_kb_unchecked_text(v->unchecked);
  if (v->root >= 0)
    return rd_finding_def_get(d->items[v->root].id)->title;
  return "No problem found in the phases tested";
}

json_t *rd_report_check_document(const rd_check_facts *c, const rd_diagnosis *d) {
  json_t *doc = rd_json_document("check");
  if (doc == NULL)
    return NULL;
  char when[40];
  json_t *probes = json_array();
  for (size_t i = 0; i < c->n_probes; i++)
    json_array_append_new(probes, probe_json(c, &c->probes[i]));
  json_object_set_new(doc, "target", json_pack("{s:s, s:i}", "host", c->host, "port", c->port));
  json_object_set_new(doc, "started", json_string(rd_format_utc(c->started_unix, when, sizeof when)));
  json_object_set_new(doc, "duration_ms", ms(c->total_us));
  json_object_set_new(doc, "connections", json_integer((json_int_t)(c->n_probes + c->reach.n_side)));
  json_object_set_new(doc, "facts", json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "name", name_json(c), "reach",
                                              reach_json(c), "probes", probes, "certificate", cert_json(c),
                                              "rdp_security", rdpsec_enum_json(c), "deadline_hit", c->deadline_hit));
  json_object_set_new(doc, "findings", findings_json(c, d));
  json_object_set_new(doc, "verdict", verdict_json(c, d));
  return doc;
}

int rd_report_check_json(FILE *f, const rd_check_facts *c, const rd_diagnosis *d) {
  return rd_json_emit(f, rd_report_check_document(c, d), RD_JSON_PRETTY);
}
