/* The words of a finding: its kb template (kb/finding_text.def) filled from the facts and the
 * finding's parameters. The one place both check renderers get a finding's sentence from. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/hexfmt.h"
#include "core/rdtime.h"
#include "kb/kb.h"
#include "report.h"

typedef struct out {
  char *buf;
  size_t size, used;
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...) {
  if (o->used >= o->size)
    return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
  va_end(ap);
  if (w > 0)
    o->used = o->used + (size_t)w < o->size ? o->used + (size_t)w : o->size - 1;
}

static void put_ms(out *o, rd_us us, int decimals) { put(o, "%.*f", decimals, (double)us / 1000.0); }

static void put_hex(out *o, const uint8_t *p, size_t n) {
  char bytes[3 * 16 + 1];
  rd_hex_format(bytes, sizeof bytes, p, n < 16 ? n : 16, true);
  put(o, "%s", bytes);
}

static void put_dash(out *o, const char *s) { put(o, "%s", s[0] ? s : "-"); }

static void put_skew(out *o, double skew_s) {
  long long skew = (long long)skew_s, a = skew < 0 ? -skew : skew;
  const char *dir = skew > 0 ? "ahead of" : "behind";
  if (a >= 2 * 86400)
    put(o, "%lld days %s", a / 86400, dir);
  else if (a >= 2 * 3600)
    put(o, "%lld hours %s", a / 3600, dir);
  else
    put(o, "%lld minutes %s", a / 60, dir);
}

const char *rd_report_session_step(const char *step) {
  static const struct {
    const char *step, *words;
  } steps[] = {
      {"mcs-send-connect-initial", "at the MCS Connect Initial"},
      {"mcs-wait-connect-response", "after the MCS Connect Initial (no Connect Response yet)"},
      {"mcs-send-attach-user", "after the Connect Response"},
      {"mcs-wait-attach-user-confirm", "after Erect Domain and Attach User"},
      {"mcs-send-channel-join", "during the channel joins"},
      {"mcs-wait-channel-join-confirm", "during the channel joins"},
      {"info-send-client-info", "at the Client Info"},
      {"licensing", "after Client Info, during licensing"},
      {"licensing-send-response", "during licensing"},
      {"caps-wait-demand-active", "after licensing"},
      {"info-wait-credentials", "after the channel joins"},
      {"caps-send-confirm-active", "after Demand Active"},
      {"finalization", "after Confirm Active, during the connection finalization"},
      {"logon-wait", "after activation, while the user logged on"},
      {"session-send-shutdown", "at our Shutdown Request"},
      {"session-wait-shutdown", "after our Shutdown Request"},
      {"session-send-disconnect", "at our clean disconnect"},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (strcmp(step, steps[i].step) == 0)
      return steps[i].words;
  return step[0] ? step : "before the session started";
}

const char *rd_report_logon_info_type(uint32_t t) {
  switch (t) {
  case 0:
    return "INFOTYPE_LOGON";
  case 1:
    return "INFOTYPE_LOGON_LONG";
  case 2:
    return "INFOTYPE_LOGON_PLAINNOTIFY";
  case 3:
    return "INFOTYPE_LOGON_EXTENDED_INFO";
  default:
    return "an infoType no specification names";
  }
}

/* The errorInfo a finding rests on (its parameter errinfo_index), else the one standing. */
static int finding_error_info(const rd_finding *fd, const rd_session_facts *s) {
  double v;
  if (rd_finding_param_get(fd, "errinfo_index", &v) && v >= 0 && v < (double)s->n_error_info &&
      v < RD_MAX_ERROR_INFOS)
    return (int)v;
  for (size_t i = s->n_error_info < RD_MAX_ERROR_INFOS ? s->n_error_info : RD_MAX_ERROR_INFOS; i-- > 0;)
    if (s->error_info[i] != 0)
      return (int)i;
  return -1;
}

/* "ERR_NO_LICENSE_SERVER (0x6)": a code with its name in a kb table. */
static void put_code(out *o, rd_kb_table t, uint32_t code) {
  const rd_kb_code *row = rd_kb_find(t, code);
  put(o, "%s (0x%X)", row && row->name[0] ? row->name : "an unknown code", code);
}

/* The methods of facts.rdp_security with one status, ", " between them ("40-bit, 128-bit (inferred
 * from the level)"), "none" when there is none; a refused one says what the server answered. */
static void put_methods(out *o, const rd_rdpsec_enum_facts *r, rd_rdpsec_status status) {
  bool any = false;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
    const rd_rdpsec_method *x = &r->methods[m];
    if (x->status != status)
      continue;
    put(o, "%s%s", any ? ", " : "", rd_rdpsec_method_name(rd_rdpsec_methods[m]));
    if (x->basis == RD_RDPSEC_BASIS_INFERRED)
      put(o, " (inferred from the level)");
    else if (status == RD_RDPSEC_REFUSED && x->answered_present)
      put(o, " (answered %s)", rd_rdpsec_method_name(x->answered_method));
    else if (status == RD_RDPSEC_REFUSED)
      put(o, " (the server ended the connection)");
    any = true;
  }
  if (!any)
    put(o, "none");
}

/* An encryptionMethods bit set by name: "40-bit|128-bit". */
static void put_method_set(out *o, uint32_t set) {
  bool any = false;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    if (set & rd_rdpsec_methods[m]) {
      put(o, "%s%s", any ? "|" : "", rd_rdpsec_method_name(rd_rdpsec_methods[m]));
      any = true;
    }
  if (!any)
    put(o, "no method");
}

/* One placeholder from the check's facts; false when the name is none of the catalogue. */
static bool fact(out *o, const rd_check_facts *f, const rd_finding *fd, const char *name, int decimals) {
  const rd_probe_facts *p = fd->probe >= 0 && (size_t)fd->probe < f->n_probes ? &f->probes[fd->probe] : NULL;
  static const rd_probe_facts none; /* a finding without a probe renders probe facts as empty */
  if (p == NULL)
    p = &none;
  const rd_cert_facts *x = &f->cert;
  const rd_reach_facts *r = &f->reach;
  char tmp[64], when[40];
  double v;
#define IS(s) (strcmp(name, s) == 0)
  /* check */
  if (IS("host"))
    put(o, "%s", f->host);
  else if (IS("port"))
    put(o, "%u", f->port);
  else if (IS("address")) {
    int a = fd->probe >= 0 ? p->req.addr_index : (r->chosen >= 0 ? r->chosen : 0);
    put(o, "%s", (size_t)a < f->name.n_addrs ? f->name.addrs[a] : "-");
  } else if (IS("name_status"))
    put(o, "%s", rd_name_status_name(f->name.status));
  else if (IS("name_detail"))
    put(o, "%s", f->name.detail);
  else if (IS("rtt_min_ms"))
    put_ms(o, r->rtt_min_us, decimals);
  else if (IS("rtt_median_ms"))
    put_ms(o, r->rtt_median_us, decimals);
  else if (IS("rtt_max_ms"))
    put_ms(o, r->rtt_max_us, decimals);
  else if (IS("side_ports"))
    for (size_t i = 0; i < r->n_side; i++)
      put(o, "%s%u", i ? ", " : "", r->side[i].port);
  else if (IS("side_port") || IS("side_state")) {
    size_t s = rd_finding_param_get(fd, "side", &v) && v >= 0 && v < (double)r->n_side ? (size_t)v : 0;
    if (IS("side_port"))
      put(o, "%u", r->side[s].port);
    else
      put(o, "%s", r->side[s].outcome == RD_CONN_OK ? "open" : rd_conn_outcome_name(r->side[s].outcome));
  }
  /* probe: request and negotiation */
  else if (IS("request")) {
    if (p->req.legacy)
      put(o, "a request without negotiation data");
    else
      put(o, "a request for %s", rd_protocols_name(p->req.protocols, tmp, sizeof tmp));
  } else if (IS("selected"))
    put(o, "%s", rd_protocols_name(p->selected, tmp, sizeof tmp));
  else if (IS("failure_code"))
    put(o, "%u", p->failure_code);
  else if (IS("failure_name")) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_NEGF, p->failure_code);
    put(o, "%s", row ? row->name : "unknown code");
  } else if (IS("nego_outcome"))
    put(o, "%s", rd_nego_outcome_name(p->nego));
  else if (IS("reply_ms"))
    put_ms(o, p->reply_us, decimals);
  else if (IS("bytes_received"))
    put(o, "%zu", p->bytes_received);
  else if (IS("reply_hex"))
    put_hex(o, p->reply, p->reply_len);
  else if (IS("service_like"))
    put(o, "%s", p->service == RD_SVC_UNKNOWN ? "something that is not RDP" : rd_service_name(p->service));
  else if (IS("banner"))
    put(o, "%s", p->banner);
  else if (IS("connect_outcome"))
    put(o, "%s", rd_conn_outcome_name(p->connect));
  else if (IS("connect_ms"))
    put_ms(o, p->connect_us, decimals);
  else if (IS("rsp_flags"))
    put(o, "0x%02x", p->rsp_flags);
  /* probe: TLS */
  else if (IS("tls_outcome"))
    put(o, "%s", rd_tls_outcome_name(p->tls.outcome));
  else if (IS("tls_first_bytes"))
    put_hex(o, p->tls.first_bytes, p->tls.n_first_bytes);
  else if (IS("tls_alert"))
    put(o, "%d", p->tls.alert);
  else if (IS("tls_alert_name"))
    put(o, "%s", p->tls.alert_name);
  else if (IS("tls_ms"))
    put_ms(o, p->tls.took_us, decimals);
  else if (IS("tls_bytes"))
    put(o, "%zu", p->tls.bytes_after_hello);
  else if (IS("tls_reason"))
    put(o, "%s", p->tls.reason[0] ? p->tls.reason : "no reason given");
  else if (IS("tls_version"))
    put(o, "%s", p->tls.version_name);
  /* probe: CredSSP */
  else if (IS("netbios_domain"))
    put(o, "%s", RD_FACT_STR(p->credssp.nb_domain));
  else if (IS("netbios_computer"))
    put(o, "%s", RD_FACT_STR(p->credssp.nb_computer));
  else if (IS("dns_computer"))
    put_dash(o, RD_FACT_STR(p->credssp.dns_computer));
  else if (IS("dns_domain"))
    put_dash(o, RD_FACT_STR(p->credssp.dns_domain));
  else if (IS("windows"))
    put(o, "%u.%u build %u", p->credssp.os_major, p->credssp.os_minor, p->credssp.os_build);
  else if (IS("credssp_version"))
    put(o, "%lld", (long long)p->credssp.ts_version);
  else if (IS("server_time"))
    put(o, "%s", rd_format_utc(p->credssp.server_time_unix, when, sizeof when));
  else if (IS("skew"))
    put_skew(o, rd_finding_param_get(fd, "skew_s", &v) ? v : 0);
  /* probe: authentication */
  else if (IS("who"))
    put(o, "%s%s%s", RD_FACT_STR(p->auth.domain), p->auth.domain != NULL ? "\\" : "", RD_FACT_STR(p->auth.user));
  else if (IS("auth_version"))
    put(o, "%lld", (long long)p->auth.version);
  else if (IS("auth_error_code"))
    put(o, "0x%08X", p->auth.error_code);
  else if (IS("auth_error_name")) {
    const rd_kb_code *row = rd_kb_find(RD_TAB_STATUS, p->auth.error_code);
    put(o, "%s", row ? row->name : "(unknown status)");
  } else if (IS("early_authz"))
    put(o, "%u", p->auth.early_authz);
  else if (IS("credssp_outcome"))
    put(o, "%s", rd_credssp_outcome_name(p->credssp.outcome));
  else if (IS("dead_addresses")) {
    const char *sep = "";
    for (size_t a = 0; a < f->name.n_addrs && a < RD_MAX_ADDRS; a++) {
      rd_conn_outcome c = r->addr_outcome[a];
      if (c == RD_CONN_OK || c == RD_CONN_NOT_TRIED || c == RD_CONN_LOCAL_ERROR || c == RD_CONN_CUT ||
          c == RD_CONN_LOCAL_DENIED)
        continue;
      put(o, "%s%s %s", sep, f->name.addrs[a], rd_conn_outcome_name(c));
      sep = ", ";
    }
  } else if (IS("auth_outcome"))
    put(o, "%s", rd_auth_outcome_name(p->auth.outcome));
  /* probe: session */
  else if (IS("session_outcome"))
    put(o, "%s", rd_session_outcome_name(p->session.outcome));
  else if (IS("session_step"))
    put(o, "%s", rd_report_session_step(p->session.step));
  else if (IS("session_ms"))
    put_ms(o, p->session.took_us, decimals);
  else if (IS("error_info") || IS("error_info_name") || IS("error_info_step")) {
    int k = finding_error_info(fd, &p->session);
    uint32_t code = k >= 0 ? p->session.error_info[k] : 0;
    const rd_kb_code *row = rd_kb_find(RD_TAB_ERRINFO, code);
    if (IS("error_info"))
      put(o, "0x%X", code);
    else if (IS("error_info_name"))
      put(o, "%s", row && row->name[0] ? row->name : "(an errorInfo no specification names)");
    else
      put(o, "%s", k >= 0 ? rd_report_session_step(p->session.error_info_step[k]) : "");
  } else if (IS("license_error"))
    put_code(o, RD_TAB_LICERR, p->session.license_error);
  else if (IS("license_state"))
    put(o, "%u", p->session.license_state);
  else if (IS("license_outcome"))
    put(o, "%s", p->session.license_valid_client ? "licensing: valid client"
                 : p->session.license_seen       ? "licensing: a license issued"
                                                 : "no licensing exchange");
  else if (IS("dpu_reason"))
    put(o, "%u", p->session.dpu_reason);
  else if (IS("server_version"))
    put(o, "0x%08X", p->session.server_version);
  else if (IS("capabilities"))
    put(o, "%u", p->session.n_capabilities);
  else if (IS("request_protocols"))
    put(o, "%s", p->req.legacy ? "no protocol (no negotiation data)" : rd_protocols_name(p->req.protocols, tmp, sizeof tmp));
  else if (IS("requested_echo"))
    put(o, "%s", rd_protocols_name(p->session.requested_echo, tmp, sizeof tmp));
  else if (IS("mcs_result"))
    put(o, "%u", p->session.mcs_result);
  else if (IS("gcc_result"))
    put(o, "%u", p->session.gcc_result);
  else if (IS("rdpsec_cert"))
    put(o, "%s", rd_rdpsec_cert_name(p->session.rdpsec.cert));
  else if (IS("rdpsec_cert_what"))
    put(o, "%s", rd_rdpsec_cert_what(p->session.rdpsec.cert));
  else if (IS("rdpsec_mac_step"))
    put(o, "%s", rd_report_session_step(p->session.rdpsec.mac_failed_step));
  else if (IS("encryption_method"))
    put(o, "0x%X", p->session.encryption_method);
  else if (IS("encryption_level"))
    put(o, "%u", p->session.encryption_level);
  else if (IS("encryption_method_name"))
    put(o, "%s", rd_rdpsec_method_name(p->session.encryption_method));
  else if (IS("offered_methods"))
    put_method_set(o, p->session.offered_methods);
  /* Standard RDP Security (facts.rdp_security) */
  else if (IS("rdpsec_level")) {
    if (f->rdp_security.level_present)
      put(o, "%s (%u)", rd_rdpsec_level_name(f->rdp_security.level), f->rdp_security.level);
    else
      put(o, "unknown");
  } else if (IS("rdpsec_level_meaning")) {
    static const char *const meaning[] = {
        "no encryption at all", "only client-to-server traffic is encrypted",
        "the strongest method the client offers", "128-bit both ways", "FIPS 140-1 both ways"};
    uint32_t l = f->rdp_security.level;
    put(o, "%s", f->rdp_security.level_present && l < 5 ? meaning[l] : "level unknown");
  } else if (IS("rdpsec_accepted"))
    put_methods(o, &f->rdp_security, RD_RDPSEC_ACCEPTED);
  else if (IS("rdpsec_refused"))
    put_methods(o, &f->rdp_security, RD_RDPSEC_REFUSED);
  else if (IS("logon_error")) {
    const rd_kb_code *t = rd_kb_find(RD_TAB_LOGON, p->session.logon_error_type);
    const rd_kb_code *v2 = rd_kb_find(RD_TAB_LOGON, p->session.logon_error_data);
    if (v2 == NULL)
      v2 = rd_kb_find(RD_TAB_STATUS, p->session.logon_error_data);
    put(o, "0x%08X %s, data 0x%08X %s", p->session.logon_error_type, t ? t->name : "",
        p->session.logon_error_data, v2 ? v2->name : "");
  }
  /* probe: --logon */
  else if (IS("logon_user")) {
    const rd_logon_facts *l = &p->session.logon;
    put(o, "%s%s%s", l->domain, l->domain[0] ? "\\" : "", l->user);
  } else if (IS("logon_credentials"))
    put(o, "%s", p->session.logon.credentials == RD_LOGON_CREDS_CLIENT_INFO ? "the auto-logon Client Info"
                 : p->session.logon.credentials == RD_LOGON_CREDS_CREDSSP   ? "the CredSSP TSCredentials"
                                                                            : "nothing");
  else if (IS("logon_wait_ms"))
    put_ms(o, p->session.logon.wait_us, decimals);
  else if (IS("logon_info"))
    put(o, "%s", rd_report_logon_info_type(p->session.logon.info_type));
  else if (IS("logon_session_id")) {
    if (p->session.logon.session_id_present)
      put(o, ", session id %u", p->session.logon.session_id);
  } else if (IS("logon_updates"))
    put(o, "%zu", p->session.logon.n_updates);
  else if (IS("logon_end"))
    put(o, "%s", rd_session_outcome_name((rd_session_outcome)p->session.logon.end_how));
  /* certificate */
  else if (IS("not_after"))
    put(o, "%s", rd_format_utc(x->not_after, when, sizeof when));
  else if (IS("not_before"))
    put(o, "%s", rd_format_utc(x->not_before, when, sizeof when));
  else if (IS("subject"))
    put(o, "%s", x->subject);
  else if (IS("common_name"))
    put(o, "%s", x->common_name);
  else if (IS("san0"))
    put(o, "%s", x->san_count ? x->san[0] : "");
  else if (IS("key_type"))
    put(o, "%s", x->key_type);
  else if (IS("key_bits"))
    put(o, "%d", x->key_bits);
  else if (IS("signature_algorithm"))
    put(o, "%s", x->sig_alg);
  else
    return false;
#undef IS
  return true;
}

size_t rd_report_finding_detail(const rd_check_facts *f, const rd_finding *fd, char *buf, size_t size) {
  out o = {buf, size, 0};
  if (size == 0)
    return 0;
  buf[0] = '\0';
  const char *t = rd_kb_finding_template(fd->text);
  while (*t != '\0') {
    const char *open = strchr(t, '{'), *close = open ? strchr(open, '}') : NULL;
    if (open == NULL || close == NULL) {
      put(&o, "%s", t);
      break;
    }
    put(&o, "%.*s", (int)(open - t), t);
    char name[40];
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof name)
      len = sizeof name - 1;
    memcpy(name, open + 1, len);
    name[len] = '\0';
    int decimals = 0;
    char *colon = strchr(name, ':');
    if (colon != NULL) {
      *colon = '\0';
      decimals = colon[1] >= '0' && colon[1] <= '9' ? colon[1] - '0' : 0;
    }
    double v;
    if (rd_finding_param_get(fd, name, &v))
      put(&o, "%.*f", decimals, v);
    else if (!fact(&o, f, fd, name, decimals))
      put(&o, "{?%s}", name); /* a template naming no fact: test_report_check fails on it */
    t = close + 1;
  }
  return o.used;
}
