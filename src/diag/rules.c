/* The rules of `rdpdoctor check`. Each reads facts, with the request that produced them, and adds
 * findings: an id, the kb sentence that words it, the probe that shows it, JSON pointers to the
 * facts it rests on and the few numbers it computed. Facts → findings only: nothing here does
 * I/O, prints or formats a word. Which probes count, which one stands for the client, how many
 * answered: src/diag/query.c, shared with the verdict and the renderers. */
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/cert.h"
#include "core/rdtime.h"
#include "core/gcc.h"
#include "core/x224.h"
#include "diag.h"
#include "kb/cause.h"
#include "kb/kb.h"
#include "diag_internal.h"
#include "query.h"

#define RD_FINDING(id, slug, sev, title, cause, client, conf, phase) \
  {RD_F_##id, slug, RD_SEV_##sev, title, cause, client, RD_CONF_FLAG_##conf, RD_PH_##phase},
#define RD_CONF_FLAG_C false
#define RD_CONF_FLAG_I true
static const rd_finding_def finding_defs[] = {
#include "findings.def"
};
#undef RD_FINDING

#define CLOCK_SKEW_LIMIT_S 300 /* Kerberos' default tolerance: five minutes */
/* A certificate this close to its end is worth a warning (DESIGN.md: "expires soon"). */
#define EXPIRES_SOON_DAYS 14

const rd_finding_def *rd_finding_def_get(rd_finding_id id) {
  return (unsigned)id < RD_F_COUNT ? &finding_defs[id] : NULL;
}

const char *rd_severity_name(rd_severity s) {
  switch (s) {
  case RD_SEV_CRITICAL:
    return "critical";
  case RD_SEV_WARNING:
    return "warning";
  case RD_SEV_INFO:
    break;
  }
  return "info";
}

bool rd_finding_param_get(const rd_finding *fd, const char *name, double *value) {
  for (size_t i = 0; i < fd->n_params; i++)
    if (strcmp(fd->params[i].name, name) == 0) {
      *value = fd->params[i].value;
      return true;
    }
  return false;
}

const char *rd_finding_client_code(const rd_finding *fd, char *buf, size_t size) {
  double v;
  if (size == 0)
    return buf;
  if (rd_finding_param_get(fd, "errinfo_code", &v) && v >= 0 && v <= 4294967295.0) {
    uint32_t code = (uint32_t)v;
    if (rd_kb_find(RD_TAB_EXT, code) != NULL)
      snprintf(buf, size, "0x904, extended 0x%X", code);
    else
      snprintf(buf, size, "0x904, extended code unknown");
    return buf;
  }
  const rd_finding_def *def = rd_finding_def_get(fd->id);
  snprintf(buf, size, "%s", def ? def->client_code : "");
  return buf;
}

const struct rd_kb_cause *rd_finding_cause(const rd_finding *fd) {
  const rd_finding_def *def = rd_finding_def_get(fd->id);
  double v;
  if (def == NULL)
    return NULL;
  if (def->cause[0])
    return rd_kb_cause_by_slug(def->cause);
  if (fd->id == RD_F_SERVER_ERROR_INFO && rd_finding_param_get(fd, "errinfo_code", &v) && v >= 0 &&
      v <= 4294967295.0) {
    rd_cause_id first;
    if (rd_kb_causes_for(RD_TAB_ERRINFO, (uint32_t)v, &first, 1) > 0)
      return rd_kb_cause_get(first);
  }
  return NULL;
}

bool rd_diag_has(const rd_diagnosis *d, rd_finding_id id) {
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].id == id)
      return true;
  return false;
}

/* A new finding, or NULL when it is already there (or the list is full): every helper below takes
 * NULL and does nothing, so a rule never tests. */
static rd_finding *add(rd_diagnosis *d, rd_finding_id id, rd_ftext text, int probe) {
  if (rd_diag_has(d, id) || d->n == RD_MAX_FINDINGS)
    return NULL;
  rd_finding *fd = &d->items[d->n++];
  memset(fd, 0, sizeof *fd);
  fd->id = id;
  fd->text = text;
  fd->probe = probe;
  return fd;
}

/* Evidence: a JSON pointer into the check document (docs/json.md). Dropped when the finding has
 * its fill of evidence. */
__attribute__((format(printf, 2, 3))) static void ev(rd_finding *fd, const char *fmt, ...) {
  if (fd == NULL || fd->n_evidence == RD_MAX_EVIDENCE)
    return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(fd->evidence[fd->n_evidence], RD_POINTER_LEN, fmt, ap);
  va_end(ap);
  if (w > 0 && w < RD_POINTER_LEN)
    fd->n_evidence++;
}

/* A fact of one probe: "/facts/probes/<i>/<field>" ("negotiation/failure_code"). */
static void ev_probe(rd_finding *fd, int i, const char *field) {
  if (i >= 0)
    ev(fd, "/facts/probes/%d/%s", i, field);
}

static void param(rd_finding *fd, const char *name, double value) {
  if (fd == NULL || fd->n_params == RD_MAX_PARAMS)
    return;
  fd->params[fd->n_params++] = (rd_finding_param){name, value};
}

static double ms(rd_us us) { return (double)us / 1000.0; }

/* ---- Name ---------------------------------------------------------------------------------- */

static void rule_name(const rd_check_facts *f, rd_diagnosis *d) {
  rd_finding *fd = NULL;
  switch (f->name.status) {
  case RD_NAME_NXDOMAIN:
    fd = add(d, RD_F_DNS_NXDOMAIN, RD_FT_DNS_NXDOMAIN, -1);
    break;
  case RD_NAME_NODATA:
    if (rd_query_family_forced_missing(f))
      return; /* ours: the user's -4/-6, the verdict says it could not check */
    fd = add(d, RD_F_DNS_FAILURE, RD_FT_DNS_FAILURE, -1);
    break;
  case RD_NAME_SERVFAIL:
  case RD_NAME_REFUSED:
  case RD_NAME_TIMEOUT:
  case RD_NAME_ERROR:
    fd = add(d, RD_F_DNS_FAILURE, RD_FT_DNS_FAILURE, -1);
    break;
  case RD_NAME_NOT_TRIED:
  case RD_NAME_OK:
  case RD_NAME_LITERAL:
  case RD_NAME_NO_SERVERS: /* ours: the verdict says it could not check */
  case RD_NAME_CANCELLED:  /* ours: the whole-check deadline */
    return;
  }
  ev(fd, "/facts/name/status");
  ev(fd, "/facts/name/status_a");
  ev(fd, "/facts/name/status_aaaa");
  ev(fd, "/facts/name/detail");
}

/* ---- Reach ---------------------------------------------------------------------------------- */

/* The index of the slowest of n durations when it stands far above their median, as a
 * retransmission (200 ms and more) does over sub-millisecond jitter; -1 otherwise. */
static int retransmit_outlier(const rd_us *v, const int *probe, size_t n) {
  if (n < 3)
    return -1;
  rd_us sorted[RD_MAX_PROBES];
  memcpy(sorted, v, n * sizeof *v);
  rd_us median = rd_us_sort_median(sorted, n);
  size_t max = 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] > v[max])
      max = i;
  return v[max] > 5 * median && v[max] - median > 200000 ? probe[max] : -1;
}

static void reach_none_connected(const rd_check_facts *f, rd_diagnosis *d, const rd_reach_count *rc) {
  int ff = rc->first_failed, a = rd_query_primary_addr(f);
  rd_finding *fd = NULL;
  if (rc->refused > 0 && rc->refused >= rc->timeout) {
    fd = add(d, RD_F_TCP_REFUSED, RD_FT_TCP_REFUSED, ff);
    param(fd, "refused", rc->refused);
  } else if (rc->unreachable > 0 && rc->unreachable >= rc->timeout) {
    fd = add(d, RD_F_TCP_UNREACHABLE, RD_FT_TCP_UNREACHABLE, ff);
    param(fd, "unreachable", rc->unreachable);
  } else if (rc->timeout > 0) {
    int answered = -1;
    for (size_t i = 0; i < f->reach.n_side; i++)
      if (f->reach.side[i].outcome == RD_CONN_OK || f->reach.side[i].outcome == RD_CONN_REFUSED)
        answered = (int)i;
    if (answered >= 0) {
      fd = add(d, RD_F_TCP_FILTERED, RD_FT_TCP_FILTERED_SIDE_OPEN, ff);
      param(fd, "side", answered);
      ev(fd, "/facts/reach/other_ports/%d/outcome", answered);
    } else if (f->reach.n_side > 0) {
      fd = add(d, RD_F_HOST_DOWN, RD_FT_HOST_DOWN, ff);
      for (size_t i = 0; i < f->reach.n_side; i++)
        ev(fd, "/facts/reach/other_ports/%zu/outcome", i);
    } else {
      fd = add(d, RD_F_TCP_FILTERED, RD_FT_TCP_FILTERED, ff);
    }
    param(fd, "timeouts", rc->timeout);
    ev_probe(fd, ff, "connect/duration_ms");
  } else {
    /* Any other socket error: the path, not the port, failed. */
    fd = add(d, RD_F_TCP_UNREACHABLE, RD_FT_TCP_UNREACHABLE, ff);
    param(fd, "unreachable", rc->tried - rc->refused - rc->timeout);
  }
  param(fd, "tried", rc->tried);
  ev_probe(fd, ff, "connect/outcome");
  ev(fd, "/facts/reach/addresses/%d/outcome", a);
}

/* Every address of the name counts: a client may pick any of them. The probes ran on one that
 * connected; the others got a connect each (reach.addresses). */
static void rule_addresses(const rd_check_facts *f, rd_diagnosis *d) {
  const rd_reach_facts *r = &f->reach;
  if (f->name.n_addrs < 2 || r->chosen < 0)
    return;
  unsigned dead = 0, tried = 0;
  int first = -1;
  for (size_t a = 0; a < f->name.n_addrs && a < RD_MAX_ADDRS; a++) {
    rd_conn_outcome o = r->addr_outcome[a];
    if (o == RD_CONN_NOT_TRIED || o == RD_CONN_LOCAL_ERROR || o == RD_CONN_CUT || o == RD_CONN_LOCAL_DENIED)
      continue;
    tried++;
    if (o != RD_CONN_OK) {
      dead++;
      if (first < 0)
        first = (int)a;
    }
  }
  if (dead == 0)
    return;
  rd_finding *fd = add(d, RD_F_SOME_ADDRESSES_DEAD, RD_FT_SOME_ADDRESSES_DEAD, -1);
  param(fd, "dead", dead);
  param(fd, "addresses", (double)f->name.n_addrs);
  for (size_t a = 0; a < f->name.n_addrs && a < RD_MAX_ADDRS; a++) {
    rd_conn_outcome o = r->addr_outcome[a];
    if (o != RD_CONN_OK && o != RD_CONN_NOT_TRIED && o != RD_CONN_LOCAL_ERROR && o != RD_CONN_CUT &&
        o != RD_CONN_LOCAL_DENIED)
      ev(fd, "/facts/reach/addresses/%zu/outcome", a);
  }
  ev(fd, "/facts/reach/address");
}

static void rule_reach(const rd_check_facts *f, rd_diagnosis *d) {
  rd_reach_count rc;
  rd_query_reach(f, &rc);
  rule_addresses(f, d);
  if (rc.tried == 0)
    return;
  if (rc.ok == 0) {
    reach_none_connected(f, d, &rc);
    return;
  }
  /* Loopback and LAN jitter is sub-millisecond; only a slow outlier far above the median, such as
   * a retransmission (200 ms and more), says the path loses packets. Connects that needed a
   * replacement SYN are left out: our own probes can overflow a small listen queue (xrdp's holds
   * 2), and then the server drops SYNs that a lone client would never send. */
  rd_us connects[RD_MAX_PROBES], replies[RD_MAX_PROBES];
  int connect_probe[RD_MAX_PROBES], reply_probe[RD_MAX_PROBES];
  size_t nc = 0, nr = 0;
  /* Our TCP's own count of what it sent again once the server had answered: a segment lost on the
   * path, whatever the server's speed. Before the first answer a full accept queue does the same
   * (the server drops the handshake's last ACK), so those are left out. */
  unsigned resent = 0, resent_conns = 0;
  int resent_probe = -1;
  for (size_t i = 0; i < f->n_probes && i < RD_MAX_PROBES; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!rd_query_primary(f, i))
      continue;
    if (p->retransmits_after_reply > 0) {
      resent += (unsigned)p->retransmits_after_reply;
      resent_conns++;
      if (resent_probe < 0)
        resent_probe = (int)i;
    }
    if (p->connect == RD_CONN_OK && p->connect_retries == 0)
      connect_probe[nc] = (int)i, connects[nc++] = p->connect_attempt_us;
    if (rd_query_nego_answered(p))
      reply_probe[nr] = (int)i, replies[nr++] = p->reply_us;
  }
  /* A reset is the server's answer, not loss: a server that ends every connection it accepts is
   * the server's fault (the negotiation rules say which), whatever the timings around it. */
  rd_nego_count n;
  rd_query_nego(f, &n);
  if (n.asked > 0 && n.answered == 0 && n.ended > 0)
    return;
  int slow_connect = retransmit_outlier(connects, connect_probe, nc);
  int slow_reply = retransmit_outlier(replies, reply_probe, nr);
  rd_finding *fd = NULL;
  if (slow_connect >= 0) {
    fd = add(d, RD_F_NETWORK_UNSTABLE, RD_FT_NETWORK_SLOW_CONNECT, slow_connect);
    param(fd, "slow_ms", ms(f->probes[slow_connect].connect_attempt_us));
    ev_probe(fd, slow_connect, "connect/duration_ms");
  } else if (slow_reply >= 0) {
    fd = add(d, RD_F_NETWORK_UNSTABLE, RD_FT_NETWORK_SLOW_REPLY, slow_reply);
    param(fd, "slow_ms", ms(f->probes[slow_reply].reply_us));
    ev_probe(fd, slow_reply, "negotiation/duration_ms");
  } else if (resent > 0) {
    fd = add(d, RD_F_NETWORK_UNSTABLE, RD_FT_NETWORK_RETRANSMITS, resent_probe);
    param(fd, "retransmits", resent);
    param(fd, "connections", resent_conns);
    ev_probe(fd, resent_probe, "connect/retransmits_after_reply");
  } else if (rc.timeout + rc.unreachable > 0 && nr > 0) {
    /* Some connects failed while others got the server's answer: the path loses packets. With no
     * answer at all the listener is the question (a backlog nobody accepts from also times out
     * connects), and the negotiation rules name it. */
    fd = add(d, RD_F_NETWORK_UNSTABLE, RD_FT_NETWORK_LOSSY, rc.first_failed);
    ev_probe(fd, rc.first_failed, "connect/outcome");
  }
  param(fd, "failed", rc.tried - rc.ok);
  param(fd, "tried", rc.tried);
  ev(fd, "/facts/reach/rtt_min_ms");
  ev(fd, "/facts/reach/rtt_median_ms");
  ev(fd, "/facts/reach/rtt_max_ms");
}

/* ---- Negotiate: one question each ------------------------------------------------------------ */

/* The identify follow-up on the primary address (check.c adds it when no probe got an RDP
 * answer), -1 none. */
static int identify_probe(const rd_check_facts *f) {
  for (size_t i = 0; i < f->n_probes; i++)
    if (f->probes[i].req.kind == RD_PROBE_IDENTIFY && f->probes[i].req.addr_index == rd_query_primary_addr(f))
      return (int)i;
  return -1;
}

/* [MS-TSGU] 4.2.1: a gateway answers RDG_OUT_DATA on /remoteDesktopGateway/ with 401 and the
 * schemes it accepts in WWW-Authenticate. */
static bool answered_like_gateway(const rd_probe_facts *p) {
  return p->service == RD_SVC_HTTPS && p->ident.http_status == 401 && p->ident.authenticate[0] != '\0' &&
         strncmp(p->ident.request, "RDG_OUT_DATA ", 13) == 0;
}

/* Is it RDP at all? No Confirm on any connection, and the follow-up named what is there: the
 * specific finding, and what the user most likely meant. False when it named nothing. */
static bool nego_identified(const rd_check_facts *f, rd_diagnosis *d, const rd_nego_count *n) {
  int i = identify_probe(f);
  if (n->answered > 0 || i < 0)
    return false;
  const rd_probe_facts *p = &f->probes[i];
  rd_finding *fd = NULL;
  if (p->ident.tls && answered_like_gateway(p)) {
    fd = add(d, RD_F_RD_GATEWAY_ON_PORT, RD_FT_RD_GATEWAY_ON_PORT, i);
    ev_probe(fd, i, "identify/request");
    ev_probe(fd, i, "identify/http_status");
    ev_probe(fd, i, "identify/www_authenticate");
  } else if (p->ident.tls && p->service == RD_SVC_HTTPS) {
    fd = add(d, RD_F_HTTPS_NOT_RDP, RD_FT_HTTPS_NOT_RDP, i);
    ev_probe(fd, i, "identify/status_line");
    ev_probe(fd, i, "identify/server");
  } else if (p->ident.tls) {
    fd = add(d, RD_F_TLS_SERVICE_NOT_RDP, RD_FT_TLS_SERVICE_NOT_RDP, i);
    ev_probe(fd, i, "identify/outcome");
    ev_probe(fd, i, "tls/version");
  } else if (p->ident.n_first_bytes == 0 && p->tls.n_first_bytes == 0) {
    return false; /* nothing came to name a service: the negotiation's own findings say what did */
  } else if (p->service == RD_SVC_HTTP) {
    fd = add(d, RD_F_HTTP_NOT_RDP, RD_FT_HTTP_NOT_RDP, i);
    ev_probe(fd, i, "identify/status_line");
    ev_probe(fd, i, "identify/server");
  } else if (p->service == RD_SVC_SSH) {
    fd = add(d, RD_F_SSH_NOT_RDP, RD_FT_SSH_NOT_RDP, i);
    ev_probe(fd, i, "identify/banner");
  } else if (p->service == RD_SVC_VNC) {
    fd = add(d, RD_F_VNC_NOT_RDP, RD_FT_VNC_NOT_RDP, i);
    ev_probe(fd, i, "identify/banner");
  } else if (p->service == RD_SVC_TLS) {
    fd = add(d, RD_F_TLS_SERVICE_NOT_RDP, RD_FT_TLS_SERVICE_RECORD, i);
  } else if (p->banner[0] != '\0') {
    fd = add(d, RD_F_NOT_RDP_SERVICE, RD_FT_NOT_RDP_GREETING, i);
    ev_probe(fd, i, "identify/banner");
  } else {
    return false;
  }
  ev_probe(fd, i, "identify/service");
  ev_probe(fd, i, "identify/first_bytes_hex");
  return true;
}

/* Is it RDP at all? Another service's greeting, and no Confirm on any connection. Without the
 * follow-up (a quick check, the deadline), the reply alone names SSH, HTTP or bare TLS. */
static bool nego_not_rdp(const rd_check_facts *f, rd_diagnosis *d, const rd_nego_count *n) {
  if (n->not_rdp == 0 || n->answered > 0)
    return false;
  const rd_probe_facts *p = &f->probes[n->not_rdp_probe];
  rd_finding *fd;
  if (p->service == RD_SVC_SSH)
    fd = add(d, RD_F_SSH_NOT_RDP, RD_FT_SSH_NOT_RDP, n->not_rdp_probe);
  else if (p->service == RD_SVC_HTTP)
    fd = add(d, RD_F_HTTP_NOT_RDP, RD_FT_HTTP_NOT_RDP, n->not_rdp_probe);
  else if (p->service == RD_SVC_TLS)
    fd = add(d, RD_F_TLS_SERVICE_NOT_RDP, RD_FT_TLS_SERVICE_ALERT, n->not_rdp_probe);
  else
    fd = add(d, RD_F_NOT_RDP_SERVICE, p->banner[0] ? RD_FT_NOT_RDP_SERVICE_BANNER : RD_FT_NOT_RDP_SERVICE,
             n->not_rdp_probe);
  ev_probe(fd, n->not_rdp_probe, "negotiation/outcome");
  ev_probe(fd, n->not_rdp_probe, "negotiation/service");
  ev_probe(fd, n->not_rdp_probe, "negotiation/banner");
  ev_probe(fd, n->not_rdp_probe, "negotiation/reply_hex");
  return true;
}

/* Silent: TCP connects, no Connection Request gets any reply. */
static bool nego_silent(const rd_check_facts *f, rd_diagnosis *d, const rd_nego_count *n) {
  if (n->answered > 0 || n->silent != n->asked)
    return false;
  rd_finding *fd = add(d, RD_F_RDP_NO_ANSWER, RD_FT_RDP_NO_ANSWER, n->first);
  param(fd, "silent", n->silent);
  ev_probe(fd, n->first, "negotiation/outcome");
  ev_probe(fd, n->first, "negotiation/duration_ms");
  return true;
}

/* Closed: the server ends connections right after the Connection Request, and answers none. */
static bool nego_closed(const rd_check_facts *f, rd_diagnosis *d, const rd_nego_count *n) {
  if (n->answered > 0 || n->ended + n->silent != n->asked || n->ended == 0)
    return false;
  rd_finding *fd = add(d, RD_F_RDP_CLOSED_AFTER_REQUEST, RD_FT_RDP_CLOSED_AFTER_REQUEST, n->first);
  param(fd, "closed", n->ended);
  param(fd, "connected", n->asked);
  ev_probe(fd, n->first, "negotiation/outcome");
  ev_probe(fd, n->first, "negotiation/duration_ms");
  ev_probe(fd, n->first, "negotiation/bytes_received");
  return true;
}

static bool neg_failed(const rd_check_facts *f, int i, uint32_t code) {
  return i >= 0 && f->probes[i].nego == RD_NEGO_FAILURE && f->probes[i].failure_code == code;
}

static void ev_failure(rd_finding *fd, int i) {
  ev_probe(fd, i, "request/protocols");
  ev_probe(fd, i, "negotiation/failure_code");
  ev_probe(fd, i, "negotiation/failure_name");
}

/* A reply that is no Confirm: our own bytes echoed, or a TPKT that does not decode. */
static rd_finding *malformed_reply(const rd_check_facts *f, rd_diagnosis *d, int i) {
  rd_finding *fd = add(d, RD_F_RDP_MALFORMED_REPLY,
                       rd_query_reply_is_echo(&f->probes[i]) ? RD_FT_RDP_ECHO : RD_FT_RDP_MALFORMED_REPLY, i);
  ev_probe(fd, i, "negotiation/outcome");
  ev_probe(fd, i, "negotiation/reply_hex");
  ev_probe(fd, i, "negotiation/bytes_received");
  return fd;
}

/* An answer that contradicts the request: a selection it did not offer, or a failure that says
 * the server requires what the request offered. */
static bool failure_contradicts(const rd_probe_facts *p) {
  uint32_t offered = p->req.legacy ? 0 : p->req.protocols;
  return p->nego == RD_NEGO_FAILURE &&
         ((p->failure_code == RD_X224_FAIL_SSL_REQUIRED_BY_SERVER && (offered & RD_X224_PROTOCOL_SSL)) ||
          (p->failure_code == RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER && (offered & RD_X224_PROTOCOL_HYBRID)));
}

static rd_finding *violation(const rd_check_facts *f, rd_diagnosis *d, int i) {
  const rd_probe_facts *p = &f->probes[i];
  rd_finding *fd;
  if (p->nego == RD_NEGO_RSP) {
    fd = add(d, RD_F_RDP_PROTOCOL_VIOLATION, RD_FT_RDP_SELECTED_NOT_OFFERED, i);
    ev_probe(fd, i, "request/protocols");
    ev_probe(fd, i, "negotiation/selected");
  } else {
    fd = add(d, RD_F_RDP_PROTOCOL_VIOLATION, RD_FT_RDP_FAILURE_CONTRADICTS, i);
    ev_failure(fd, i);
  }
  return fd;
}

static rd_finding *unknown_failure(const rd_check_facts *f, rd_diagnosis *d, int i) {
  (void)f;
  rd_finding *fd = add(d, RD_F_RDP_UNKNOWN_FAILURE_CODE, RD_FT_RDP_UNKNOWN_FAILURE, i);
  ev_probe(fd, i, "request/protocols");
  ev_probe(fd, i, "negotiation/failure_code");
  return fd;
}

/* No request got a usable answer (rd_query_usable), and the connections were not simply silent,
 * closed or another service's (above): the most specific reason among the answers. */
static void nego_none_usable(const rd_check_facts *f, rd_diagnosis *d, const rd_nego_count *n) {
  int malformed = -1, selected_bad = -1, unknown = -1, refused = -1, contradicts = -1;
  unsigned failures = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!rd_query_primary(f, i) || p->connect != RD_CONN_OK)
      continue;
    if (rd_query_usable(p, RD_PH_NEGOTIATE))
      return;
    if (p->nego == RD_NEGO_MALFORMED && malformed < 0)
      malformed = (int)i;
    if (p->nego == RD_NEGO_RSP && selected_bad < 0)
      selected_bad = (int)i;
    if (p->nego == RD_NEGO_FAILURE) {
      failures++;
      if (!rd_query_failure_known(p->failure_code) && unknown < 0)
        unknown = (int)i;
      if (failure_contradicts(p) && contradicts < 0)
        contradicts = (int)i;
      if (refused < 0 || (int)i == rd_query_client_probe(f))
        refused = (int)i;
    }
  }
  if (rd_diag_has(d, RD_F_TLS_CERT_NOT_ON_SERVER))
    return; /* SSL_CERT_NOT_ON_SERVER already names the cause */
  if (malformed >= 0)
    malformed_reply(f, d, malformed);
  else if (selected_bad >= 0)
    violation(f, d, selected_bad);
  else if (unknown >= 0)
    unknown_failure(f, d, unknown);
  else if (refused >= 0) {
    rd_finding *fd = add(d, RD_F_RDP_REFUSES_EVERY_PROTOCOL, RD_FT_RDP_REFUSES_EVERY, refused);
    param(fd, "refused", failures);
    param(fd, "asked", n->answered);
    ev_failure(fd, refused);
    (void)contradicts;
  }
}

/* Legacy: requests with negotiation data get a Confirm without it (or a close). */
static void nego_legacy(const rd_check_facts *f, rd_diagnosis *d) {
  int legacy = rd_query_find_nego(f, true, 0);
  if (legacy < 0 || f->probes[legacy].nego != RD_NEGO_LEGACY)
    return;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (rd_query_primary(f, i) && p->req.kind == RD_PROBE_NEGO && !p->req.legacy && p->connect == RD_CONN_OK &&
        !(p->nego == RD_NEGO_LEGACY || rd_query_nego_ended(p)))
      return;
  }
  rd_finding *fd = add(d, RD_F_RDP_LEGACY_SERVER, RD_FT_RDP_LEGACY_SERVER, legacy);
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && f->probes[i].req.kind == RD_PROBE_NEGO)
      ev_probe(fd, (int)i, "negotiation/outcome");
}

/* Certificate missing: SSL_CERT_NOT_ON_SERVER to any request. */
static void nego_cert_missing(const rd_check_facts *f, rd_diagnosis *d) {
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && neg_failed(f, (int)i, RD_X224_FAIL_SSL_CERT_NOT_ON_SERVER)) {
      ev_failure(add(d, RD_F_TLS_CERT_NOT_ON_SERVER, RD_FT_NEG_FAILURE, (int)i), (int)i);
      return;
    }
}

/* NLA required: HYBRID_REQUIRED_BY_SERVER to a request without HYBRID. */
static void nego_nla_required(const rd_check_facts *f, rd_diagnosis *d) {
  int rdp = rd_query_find_nego(f, false, RD_X224_PROTOCOL_RDP);
  int ssl = rd_query_find_nego(f, false, RD_X224_PROTOCOL_SSL);
  int i = neg_failed(f, ssl, RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER)   ? ssl
          : neg_failed(f, rdp, RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER) ? rdp
                                                                       : -1;
  if (i >= 0)
    ev_failure(add(d, RD_F_NLA_REQUIRED, RD_FT_NLA_REQUIRED, i), i);
}

/* TLS required: SSL_REQUIRED_BY_SERVER to a request for Standard RDP Security. */
static void nego_tls_required(const rd_check_facts *f, rd_diagnosis *d) {
  int rdp = rd_query_find_nego(f, false, RD_X224_PROTOCOL_RDP);
  if (neg_failed(f, rdp, RD_X224_FAIL_SSL_REQUIRED_BY_SERVER))
    ev_failure(add(d, RD_F_TLS_REQUIRED, RD_FT_TLS_REQUIRED, rdp), rdp);
}

/* TLS not allowed: SSL_NOT_ALLOWED_BY_SERVER, or PROTOCOL_RDP selected for every request that
 * offers TLS. A missing certificate says more and comes first. */
static void nego_tls_not_allowed(const rd_check_facts *f, rd_diagnosis *d) {
  int ssl = rd_query_find_nego(f, false, RD_X224_PROTOCOL_SSL);
  if (ssl < 0 || rd_diag_has(d, RD_F_TLS_CERT_NOT_ON_SERVER))
    return;
  bool refused = neg_failed(f, ssl, RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER);
  unsigned asked = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!rd_query_primary(f, i) || p->req.kind != RD_PROBE_NEGO || p->req.legacy ||
        !(p->req.protocols & RD_X224_PROTOCOL_SSL) || p->connect != RD_CONN_OK)
      continue;
    asked++;
    if (p->nego == RD_NEGO_RSP && p->selected != RD_X224_PROTOCOL_RDP)
      return;
    if (p->nego == RD_NEGO_FAILURE && p->failure_code != RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER)
      return;
  }
  if (asked == 0 || !(refused || f->probes[ssl].nego == RD_NEGO_RSP))
    return;
  if (refused) {
    ev_failure(add(d, RD_F_TLS_NOT_ALLOWED, RD_FT_NEG_FAILURE, ssl), ssl);
    return;
  }
  rd_finding *fd = add(d, RD_F_TLS_NOT_ALLOWED, RD_FT_TLS_NEVER_SELECTED, ssl);
  param(fd, "requests", asked);
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (rd_query_primary(f, i) && p->req.kind == RD_PROBE_NEGO && !p->req.legacy &&
        (p->req.protocols & RD_X224_PROTOCOL_SSL) && p->connect == RD_CONN_OK)
      ev_probe(fd, (int)i, "negotiation/selected");
  }
}

/* NLA not enforced: a client without NLA gets in when a request without HYBRID is accepted. */
static void nego_nla_not_enforced(const rd_check_facts *f, rd_diagnosis *d) {
  if (rd_diag_has(d, RD_F_TLS_NOT_ALLOWED) || rd_diag_has(d, RD_F_NLA_REQUIRED))
    return;
  int rdp = rd_query_find_nego(f, false, RD_X224_PROTOCOL_RDP);
  int ssl = rd_query_find_nego(f, false, RD_X224_PROTOCOL_SSL);
  int ssl_hybrid = rd_query_find_nego(f, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID);
  const rd_probe_facts *P = f->probes;
  if (ssl >= 0 && P[ssl].nego == RD_NEGO_RSP && P[ssl].selected == RD_X224_PROTOCOL_SSL) {
    bool hybrid =
        ssl_hybrid >= 0 && P[ssl_hybrid].nego == RD_NEGO_RSP && (P[ssl_hybrid].selected & RD_X224_PROTOCOL_HYBRID);
    rd_finding *fd = add(d, RD_F_NLA_NOT_ENFORCED, hybrid ? RD_FT_NLA_OFFERED_NOT_REQUIRED : RD_FT_NLA_NOT_OFFERED, ssl);
    ev_probe(fd, ssl, "request/protocols");
    ev_probe(fd, ssl, "negotiation/selected");
    ev_probe(fd, ssl_hybrid, "negotiation/selected");
  } else if (rdp >= 0 && P[rdp].nego == RD_NEGO_RSP) {
    rd_finding *fd = add(d, RD_F_NLA_NOT_ENFORCED, RD_FT_RDP_SECURITY_ACCEPTED, rdp);
    ev_probe(fd, rdp, "request/protocols");
    ev_probe(fd, rdp, "negotiation/selected");
  }
}

/* Restricted admin: an RDP_NEG_RSP flag. */
static void nego_restricted_admin(const rd_check_facts *f, rd_diagnosis *d) {
  for (size_t i = 0; i < f->n_probes; i++)
    if (rd_query_primary(f, i) && f->probes[i].nego == RD_NEGO_RSP &&
        (f->probes[i].rsp_flags & RD_X224_RSP_RESTRICTED_ADMIN_MODE_SUPPORTED)) {
      ev_probe(add(d, RD_F_RESTRICTED_ADMIN_AVAILABLE, RD_FT_RESTRICTED_ADMIN, (int)i), (int)i, "negotiation/flags");
      return;
    }
}

static void rule_negotiate(const rd_check_facts *f, rd_diagnosis *d) {
  rd_nego_count n;
  rd_query_nego(f, &n);
  if (n.asked == 0)
    return;
  if (nego_identified(f, d, &n) || nego_not_rdp(f, d, &n) || nego_silent(f, d, &n) || nego_closed(f, d, &n))
    return;
  /* Answers exist: each question reads them together with the request that produced them. */
  nego_legacy(f, d);
  nego_cert_missing(f, d);
  nego_none_usable(f, d, &n);
  nego_nla_required(f, d);
  nego_tls_required(f, d);
  nego_tls_not_allowed(f, d);
  nego_nla_not_enforced(f, d);
  nego_restricted_admin(f, d);
}

/* ---- TLS ------------------------------------------------------------------------------------- */

static void rule_tls(const rd_check_facts *f, rd_diagnosis *d) {
  rd_tls_count t;
  rd_query_tls(f, &t);
  /* The client's own handshake failing is what a client meets, even when others completed. */
  int client = rd_query_client_probe(f);
  bool client_failed = client >= 0 && (rd_query_phases_tested(&f->probes[client]) & (1u << RD_PH_TLS)) &&
                       !rd_query_usable(&f->probes[client], RD_PH_TLS) &&
                       f->probes[client].tls.outcome != RD_TLSO_LOCAL_ERROR &&
                       f->probes[client].tls.outcome != RD_TLSO_CUT && f->probes[client].tls.outcome != RD_TLSO_NOT_TRIED;
  if (client_failed || (t.first_ok < 0 && t.first_failed >= 0)) {
    int i = client_failed ? client : t.first_failed;
    rd_finding *fd = NULL;
    switch (f->probes[i].tls.outcome) {
    case RD_TLSO_PLAINTEXT:
      fd = add(d, RD_F_TLS_KEY_UNUSABLE, RD_FT_TLS_PLAINTEXT, i);
      ev_probe(fd, i, "tls/first_bytes_hex");
      break;
    case RD_TLSO_CLOSED:
    case RD_TLSO_RESET:
      fd = add(d, RD_F_TLS_KEY_UNUSABLE, RD_FT_TLS_ENDED, i);
      ev_probe(fd, i, "tls/bytes_after_hello");
      break;
    case RD_TLSO_ALERT:
      fd = add(d, RD_F_TLS_HANDSHAKE_FAILED, RD_FT_TLS_ALERT, i);
      ev_probe(fd, i, "tls/alert");
      ev_probe(fd, i, "tls/alert_name");
      break;
    case RD_TLSO_STALL:
      fd = add(d, RD_F_TLS_HANDSHAKE_FAILED, RD_FT_TLS_STALL, i);
      ev_probe(fd, i, "tls/duration_ms");
      ev_probe(fd, i, "tls/bytes_after_hello");
      break;
    case RD_TLSO_ERROR:
    case RD_TLSO_NOT_TRIED:   /* not counted as failed */
    case RD_TLSO_OK:          /* not counted as failed */
    case RD_TLSO_LOCAL_ERROR: /* ours: not counted */
    case RD_TLSO_CUT:         /* ours: not counted */
      fd = add(d, RD_F_TLS_HANDSHAKE_FAILED, RD_FT_TLS_FAILED, i);
      ev_probe(fd, i, "tls/reason");
      break;
    }
    ev_probe(fd, i, "negotiation/selected");
    ev_probe(fd, i, "tls/outcome");
  }
  if (t.first_ok >= 0 && t.best_version < 0x0303 && !(t.versions_ok & ((1u << 3) | (1u << 4)))) {
    rd_finding *fd = add(d, RD_F_TLS_LEGACY_VERSIONS_ONLY,
                         t.versions_tried ? RD_FT_TLS_LEGACY_ONLY_PINNED : RD_FT_TLS_LEGACY_ONLY, t.first_ok);
    ev_probe(fd, t.first_ok, "tls/version");
    for (size_t i = 0; i < f->n_probes; i++)
      if (rd_query_primary(f, i) && f->probes[i].req.kind == RD_PROBE_TLS_VERSION &&
          f->probes[i].tls.outcome != RD_TLSO_NOT_TRIED)
        ev_probe(fd, (int)i, "tls/outcome");
  }
}

/* ---- Certificate ------------------------------------------------------------------------------ */

static void rule_cert(const rd_check_facts *f, rd_diagnosis *d) {
  if (!f->have_cert)
    return;
  const rd_cert_facts *c = &f->cert;
  int days = rd_cert_days_left(c, f->started_unix), p = f->cert_probe;
  rd_finding *fd;
  if (c->not_after < f->started_unix) {
    fd = add(d, RD_F_CERT_EXPIRED, RD_FT_CERT_EXPIRED, p);
    param(fd, "days", -days);
    ev(fd, "/facts/certificate/not_after");
    ev(fd, "/facts/certificate/days_left");
    ev(fd, "/facts/certificate/subject");
  } else if (days <= EXPIRES_SOON_DAYS) {
    fd = add(d, RD_F_CERT_EXPIRES_SOON, RD_FT_CERT_EXPIRES_SOON, p);
    param(fd, "days", days);
    ev(fd, "/facts/certificate/not_after");
    ev(fd, "/facts/certificate/days_left");
  }
  if (c->not_before > f->started_unix)
    ev(add(d, RD_F_CERT_NOT_YET_VALID, RD_FT_CERT_NOT_YET_VALID, p), "/facts/certificate/not_before");
  /* A Windows default certificate names the computer, never an IP: connecting by IP always
   * mismatches, which is no finding unless the certificate does list IP addresses. */
  /* SANs beyond the kept ones are read from the whole certificate; a mismatch that cannot be
   * proven is not claimed. */
  if ((f->name.status != RD_NAME_LITERAL || rd_query_cert_has_ip_san(f)) &&
      rd_query_cert_names_host(f) == RD_CERT_NAME_MISMATCH) {
    fd = add(d, RD_F_CERT_NAME_MISMATCH, c->san_count ? RD_FT_CERT_NAME_MISMATCH_SAN : RD_FT_CERT_NAME_MISMATCH, p);
    ev(fd, "/target/host");
    ev(fd, "/facts/certificate/common_name");
    ev(fd, "/facts/certificate/san");
  }
  if (c->self_signed) {
    fd = add(d, RD_F_CERT_SELF_SIGNED, RD_FT_CERT_SELF_SIGNED, p);
    ev(fd, "/facts/certificate/self_signed");
    ev(fd, "/facts/certificate/subject");
    ev(fd, "/facts/certificate/issuer");
  }
  bool weak_key = (strcmp(c->key_type, "RSA") == 0 && c->key_bits < 2048) ||
                  (strcmp(c->key_type, "EC") == 0 && c->key_bits < 224);
  if (weak_key || c->sig_hash_weak) {
    fd = add(d, RD_F_CERT_WEAK, RD_FT_CERT_WEAK, p);
    ev(fd, "/facts/certificate/key_type");
    ev(fd, "/facts/certificate/key_bits");
    ev(fd, "/facts/certificate/signature_algorithm");
  }
}

/* ---- CredSSP ------------------------------------------------------------------------------------ */

static bool same_name(const char *a, size_t alen, const char *b) {
  size_t blen = strcspn(b, ".");
  if (alen == 0 || alen != blen)
    return false;
  for (size_t i = 0; i < alen; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
      return false;
  return true;
}

/* Whether the name typed designates the machine the CHALLENGE describes: its full DNS name, or
 * its first label as the NetBIOS or DNS computer name. An alias (a CNAME, a load-balancer name) is
 * accepted when the certificate names it. */
static bool names_this_host(const rd_check_facts *f, const rd_credssp_facts *c) {
  size_t len = strlen(f->host);
  while (len > 0 && f->host[len - 1] == '.')
    len--;
  const char *dns = RD_FACT_STR(c->dns_computer), *nb = RD_FACT_STR(c->nb_computer);
  if (strlen(dns) == len && strncasecmp(f->host, dns, len) == 0)
    return true;
  size_t label = strcspn(f->host, ".");
  if (label > len)
    label = len;
  if (same_name(f->host, label, nb) || same_name(f->host, label, dns))
    return true;
  return f->have_cert && rd_cert_name_matches(&f->cert, f->host);
}

static void rule_credssp(const rd_check_facts *f, rd_diagnosis *d) {
  int i = rd_query_identity_probe(f);
  if (i < 0)
    return;
  const rd_credssp_facts *c = &f->probes[i].credssp;
  rd_finding *fd = add(d, RD_F_HOST_IDENTITY, c->os_version_present ? RD_FT_HOST_IDENTITY_OS : RD_FT_HOST_IDENTITY, i);
  ev_probe(fd, i, "credssp/netbios_domain");
  ev_probe(fd, i, "credssp/netbios_computer");
  ev_probe(fd, i, "credssp/dns_computer");
  ev_probe(fd, i, "credssp/dns_domain");
  ev_probe(fd, i, "credssp/os_version");
  ev_probe(fd, i, "credssp/version");
  if (c->ts_version < 5)
    ev_probe(add(d, RD_F_CREDSSP_OUTDATED, RD_FT_CREDSSP_OUTDATED, i), i, "credssp/version");
  if (c->timestamp_present) {
    int64_t skew = c->server_time_unix - f->started_unix;
    if (skew > CLOCK_SKEW_LIMIT_S || skew < -CLOCK_SKEW_LIMIT_S) {
      fd = add(d, RD_F_CLOCK_SKEW, RD_FT_CLOCK_SKEW, i);
      param(fd, "skew_s", (double)skew);
      ev_probe(fd, i, "credssp/server_time");
      ev(fd, "/started");
    }
  }
  bool typed_name = f->name.status == RD_NAME_OK && strcasecmp(f->host, "localhost") != 0;
  if (typed_name && (c->nb_computer != NULL || c->dns_computer != NULL) && !names_this_host(f, c)) {
    fd = add(d, RD_F_DNS_WRONG_HOST, f->have_cert ? RD_FT_DNS_WRONG_HOST_CERT : RD_FT_DNS_WRONG_HOST, i);
    ev(fd, "/target/host");
    ev(fd, "/facts/name/addresses/%d/address", rd_query_primary_addr(f));
    ev_probe(fd, i, "credssp/netbios_computer");
    ev_probe(fd, i, "credssp/dns_computer");
    if (f->have_cert)
      ev(fd, "/facts/certificate/common_name");
  }
}

/* ---- Authentication ------------------------------------------------------------------------------ */

/* What an errorCode in the server's TSRequest says about the account ([MS-CSSP] 2.2.1, reference §4.4). */
static rd_finding_id finding_for_status(uint32_t status) {
  switch (status) {
  case 0xC0000071:
    return RD_F_PASSWORD_EXPIRED;
  case 0xC0000224:
    return RD_F_PASSWORD_MUST_CHANGE;
  case 0xC0000234:
    return RD_F_ACCOUNT_LOCKED;
  case 0xC0000072:
    return RD_F_ACCOUNT_DISABLED;
  case 0xC0000193:
    return RD_F_ACCOUNT_EXPIRED;
  case 0xC000006F:
    return RD_F_LOGON_HOURS;
  case 0xC0000070:
    return RD_F_WORKSTATION_RESTRICTED;
  case 0xC000015B:
    return RD_F_REMOTE_LOGON_NOT_GRANTED;
  default:
    return RD_F_AUTH_FAILED; /* LOGON_FAILURE, WRONG_PASSWORD, NO_SUCH_USER, SEC_E_LOGON_DENIED… */
  }
}

static void rule_auth(const rd_check_facts *f, rd_diagnosis *d) {
  int pi = rd_query_auth_probe(f);
  if (!f->auth_requested && pi < 0)
    return; /* an authentication in the facts is read, whatever the flag says */
  rd_finding *fd;
  if (pi < 0) {
    int sp = rd_query_session_probe(f);
    if (sp >= 0 && f->probes[sp].session.logon.credentials == RD_LOGON_CREDS_CLIENT_INFO)
      return; /* no NLA: the auto-logon Client Info carried them, and the logon rule says what came */
    int id = rd_query_identity_probe(f), client = rd_query_client_probe(f);
    if (id >= 0) {
      ev_probe(add(d, RD_F_AUTH_NOT_CHECKED, RD_FT_AUTH_NOT_ATTEMPTED, -1), id, "credssp/outcome");
    } else {
      fd = add(d, RD_F_AUTH_NOT_CHECKED, RD_FT_AUTH_NO_NLA, -1);
      if (client >= 0 && f->probes[client].nego == RD_NEGO_RSP)
        ev_probe(fd, client, "negotiation/selected");
    }
    return;
  }
  const rd_auth_facts *a = &f->probes[pi].auth;
  switch (a->outcome) {
  case RD_AUTH_ACCEPTED:
    if (a->early_authz_present && a->early_authz != 0) {
      fd = add(d, RD_F_EARLY_AUTHORIZATION_DENIED, RD_FT_AUTH_EARLY_DENIED, pi);
      ev_probe(fd, pi, "authentication/early_authz");
    } else {
      fd = add(d, RD_F_AUTH_OK, a->early_authz_present ? RD_FT_AUTH_OK_EARLY : RD_FT_AUTH_OK, pi);
      ev_probe(fd, pi, "authentication/version");
    }
    break;
  case RD_AUTH_ERROR_CODE:
    fd = add(d, finding_for_status(a->error_code), RD_FT_AUTH_ERROR_CODE, pi);
    ev_probe(fd, pi, "authentication/error_code");
    ev_probe(fd, pi, "authentication/error_name");
    break;
  case RD_AUTH_CLOSED:
  case RD_AUTH_RESET:
    fd = add(d, RD_F_AUTH_FAILED, RD_FT_AUTH_ENDED, pi);
    break;
  case RD_AUTH_KEY_MISMATCH:
    fd = add(d, RD_F_CREDSSP_BINDING_MISMATCH, RD_FT_AUTH_BINDING_MISMATCH, pi);
    break;
  case RD_AUTH_SILENT:
  case RD_AUTH_MALFORMED:
    fd = add(d, RD_F_CREDSSP_FAILED, RD_FT_AUTH_NO_VERDICT, pi);
    break;
  case RD_AUTH_NOT_TRIED:
  case RD_AUTH_LOCAL_ERROR: /* ours: nothing was checked, and the verdict says so */
  case RD_AUTH_CUT:
  default:
    fd = add(d, RD_F_AUTH_NOT_CHECKED, RD_FT_AUTH_UNFINISHED, pi);
    break;
  }
  ev_probe(fd, pi, "authentication/outcome");
  ev_probe(fd, pi, "authentication/user");
  ev_probe(fd, pi, "authentication/domain");
}

/* ---- Session ------------------------------------------------------------------------------------ */

/* Which finding an errorInfo leads to ([MS-RDPBCGR] 2.2.5.1.1; kb/errinfo.def names every code). */
static rd_finding_id finding_for_error_info(uint32_t code) {
  switch (code) {
  case 0x7:
    return RD_F_SERVER_DENIED_CONNECTION;
  case 0x9:
    return RD_F_INSUFFICIENT_PRIVILEGES;
  case 0xA:
    return RD_F_FRESH_CREDENTIALS_REQUIRED;
  case 0x5:
    return RD_F_SESSION_REPLACED;
  case 0x6:
    return RD_F_SERVER_OUT_OF_MEMORY;
  case 0x19:
  case 0x1A:
    return RD_F_SERVER_SHUTTING_DOWN;
  case 0x101:
    return RD_F_LICENSE_NO_SERVER;
  case 0x102:
    return RD_F_LICENSE_NO_CAL;
  default:
    return code >= 0x100 && code <= 0x10A ? RD_F_LICENSE_OTHER : RD_F_SERVER_ERROR_INFO;
  }
}

static bool logon_msg(uint32_t v) { return v >= 0xFFFFFFF9u && v <= 0xFFFFFFFEu; }

/* The logon error info of a Save Session Info: its LOGON_FAILED_* kind (0-2, -1 none) and its
 * LOGON_MSG_* value (0 none). The specification and FreeRDP disagree on which field carries which
 * set (kb/logon_error.def), so either set is read from either field; a field next to a LOGON_MSG_*
 * holds a session ID or an NTSTATUS, never a LOGON_FAILED_* kind. */
static void logon_error(const rd_session_facts *s, int *kind, uint32_t *msg) {
  uint32_t t = s->logon_error_type, v = s->logon_error_data;
  *msg = logon_msg(t) ? t : logon_msg(v) ? v : 0;
  *kind = t <= 2 ? (int)t : (!logon_msg(t) && v <= 2) ? (int)v : -1;
}

/* The server demands encryption a client cannot meet: under Standard RDP Security, an encryption
 * level without a method, or a method no client offers (40, 56, 128-bit and FIPS are all there
 * are, [MS-RDPBCGR] 2.2.1.4.3). */
static bool encryption_unmet(const rd_probe_facts *p) {
  const rd_session_facts *s = &p->session;
  const uint32_t known = RD_GCC_ENCRYPTION_METHOD_40BIT | RD_GCC_ENCRYPTION_METHOD_56BIT |
                         RD_GCC_ENCRYPTION_METHOD_128BIT | RD_GCC_ENCRYPTION_METHOD_FIPS;
  if (!s->connect_response || !s->security_present || p->selected != RD_X224_PROTOCOL_RDP)
    return false;
  return (s->encryption_level != RD_GCC_ENCRYPTION_LEVEL_NONE && s->encryption_method == 0) ||
         (s->encryption_method & ~known) != 0 || s->encryption_level > RD_GCC_ENCRYPTION_LEVEL_FIPS;
}

/* The client's Connect Response selected a method its Connect Initial did not offer (xrdp selects
 * its configured method whatever the client offers): a client that offers what ours did fails. */
static bool encryption_not_offered(const rd_probe_facts *p) {
  const rd_session_facts *s = &p->session;
  return s->connect_response && s->security_present && p->selected == RD_X224_PROTOCOL_RDP &&
         s->offered_methods != 0 && s->encryption_method != 0 && (s->encryption_method & s->offered_methods) == 0;
}

static bool rdpsec_is(const rd_rdpsec_enum_facts *r, uint32_t method, rd_rdpsec_status status) {
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    if (rd_rdpsec_methods[m] == method)
      return r->methods[m].status == status;
  return false;
}

static void ev_methods(rd_finding *fd, const rd_rdpsec_enum_facts *r, rd_rdpsec_status status) {
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    if (r->methods[m].status == status)
      ev(fd, "/facts/rdp_security/methods/%zu/status", m);
}

/* Standard RDP Security as the enumeration found it (facts.rdp_security): weak encryption a client
 * that requests RDP gets, and encryption no client of a kind can meet. */
static void rule_rdp_security(const rd_check_facts *f, rd_diagnosis *d) {
  const rd_rdpsec_enum_facts *r = &f->rdp_security;
  if (!r->tested)
    return;
  rd_finding *fd;
  bool weak_method = rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_40BIT, RD_RDPSEC_ACCEPTED) ||
                     rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_56BIT, RD_RDPSEC_ACCEPTED);
  bool weak_level = r->level_present &&
                    (r->level == RD_GCC_ENCRYPTION_LEVEL_LOW || r->level == RD_GCC_ENCRYPTION_LEVEL_NONE);
  if (weak_method || weak_level) {
    fd = add(d, RD_F_RDP_SECURITY_WEAK, RD_FT_RDPSEC_WEAK, r->level_probe);
    if (r->level_present)
      ev(fd, "/facts/rdp_security/level");
    ev_methods(fd, r, RD_RDPSEC_ACCEPTED);
  }
  if (!r->level_present || r->level == RD_GCC_ENCRYPTION_LEVEL_NONE)
    return;
  bool none_accepted = true, all_refused = true;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
    none_accepted = none_accepted && r->methods[m].status != RD_RDPSEC_ACCEPTED;
    all_refused = all_refused && r->methods[m].status == RD_RDPSEC_REFUSED;
  }
  if (none_accepted && all_refused) {
    fd = add(d, RD_F_ENCRYPTION_MISMATCH, RD_FT_ENCRYPTION_NONE_SHARED, r->level_probe);
    ev(fd, "/facts/rdp_security/level");
    ev_methods(fd, r, RD_RDPSEC_REFUSED);
    return;
  }
  /* FIPS required, where a client's own request gets Standard RDP Security (no TLS to fall back
   * on): 40, 56 and 128-bit refused, so a client that does not offer FIPS cannot connect. A
   * Windows client offers FIPS ([MS-RDPBCGR] 4.1.3: 0x1b), as our session probe does: when the
   * server selected FIPS for that offer, a Windows client gets through and this is no mismatch
   * (whatever ends its session later: require_credentials, licensing). */
  int c = rd_query_client_probe(f);
  const rd_session_facts *cs = c >= 0 ? &f->probes[c].session : NULL;
  bool client_got_fips = cs != NULL && cs->connect_response && cs->security_present &&
                         cs->encryption_method == RD_GCC_ENCRYPTION_METHOD_FIPS;
  if (c >= 0 && f->probes[c].nego == RD_NEGO_RSP && f->probes[c].selected == RD_X224_PROTOCOL_RDP && !client_got_fips &&
      r->level == RD_GCC_ENCRYPTION_LEVEL_FIPS && rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_FIPS, RD_RDPSEC_ACCEPTED) &&
      rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_40BIT, RD_RDPSEC_REFUSED) &&
      rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_56BIT, RD_RDPSEC_REFUSED) &&
      rdpsec_is(r, RD_GCC_ENCRYPTION_METHOD_128BIT, RD_RDPSEC_REFUSED)) {
    fd = add(d, RD_F_ENCRYPTION_MISMATCH, RD_FT_ENCRYPTION_FIPS_ONLY, c);
    ev_probe(fd, c, "negotiation/selected");
    ev(fd, "/facts/rdp_security/level");
    ev_methods(fd, r, RD_RDPSEC_REFUSED);
  }
}

/* The session phase of the probe that went on into it: what the server said or did after the
 * security phase. The server's own reason (an errorInfo) comes first; then a licensing error; then
 * how it ended. */
static void rule_session(const rd_check_facts *f, rd_diagnosis *d) {
  int i = rd_query_session_probe(f);
  if (i < 0)
    return;
  const rd_probe_facts *p = &f->probes[i];
  const rd_session_facts *s = &p->session;
  if (s->outcome == RD_SESS_NOT_TRIED)
    return;
  rd_finding *fd;
  /* [MS-RDPBCGR] 2.2.1.4.2: the server echoes the protocols of the client's RDP_NEG_REQ; a
   * different value means something rewrote the request (reference §3.8). */
  uint32_t asked = p->req.legacy ? 0 : p->req.protocols;
  if (s->connect_response && s->requested_echo_present && s->requested_echo != asked) {
    fd = add(d, RD_F_PROTOCOL_MISMATCH, RD_FT_PROTOCOL_MISMATCH, i);
    ev_probe(fd, i, "request/protocols");
    ev_probe(fd, i, "session/requested_echo");
  }
  if (s->outcome == RD_SESS_REFUSED) {
    fd = add(d, RD_F_ENCRYPTION_MISMATCH, RD_FT_MCS_REFUSED, i);
    ev_probe(fd, i, "session/outcome");
    ev_probe(fd, i, "session/step");
    ev_probe(fd, i, "session/mcs_result");
    ev_probe(fd, i, "session/gcc_result");
  } else if (encryption_unmet(p)) {
    fd = add(d, RD_F_ENCRYPTION_MISMATCH, RD_FT_ENCRYPTION_UNMET, i);
    ev_probe(fd, i, "negotiation/selected");
    ev_probe(fd, i, "session/encryption_method");
    ev_probe(fd, i, "session/encryption_level");
  } else if (encryption_not_offered(p)) {
    fd = add(d, RD_F_ENCRYPTION_MISMATCH, RD_FT_ENCRYPTION_NOT_OFFERED, i);
    ev_probe(fd, i, "session/offered_methods");
    ev_probe(fd, i, "session/encryption_method");
    ev_probe(fd, i, "session/encryption_level");
  }
  /* Standard RDP Security: a certificate a client cannot use, or a MAC that does not verify,
   * ends a client's connection ([MS-RDPBCGR] 5.3.3.1.2, 5.3.6): its own finding, with the facts
   * it rests on, and not also "closed during setup". */
  const rd_rdpsec_facts *rs = &s->rdpsec;
  bool rdpsec_broke = false;
  if (rs->used && (rs->cert == RD_RDPSEC_CERT_BAD_SIGNATURE || rs->cert == RD_RDPSEC_CERT_MALFORMED ||
                   rs->cert == RD_RDPSEC_CERT_UNUSABLE_KEY)) {
    fd = add(d, RD_F_RDP_SECURITY_CERT_INVALID, RD_FT_RDPSEC_CERT_INVALID, i);
    ev_probe(fd, i, "session/rdp_security/certificate");
    ev_probe(fd, i, "session/rdp_security/certificate_version");
    ev_probe(fd, i, "session/encryption_method");
    rdpsec_broke = rs->cert != RD_RDPSEC_CERT_BAD_SIGNATURE;
  }
  if (rs->used && rs->mac_failed) {
    fd = add(d, RD_F_RDP_SECURITY_MAC_INVALID, RD_FT_RDPSEC_MAC_INVALID, i);
    ev_probe(fd, i, "session/rdp_security/mac_failed");
    ev_probe(fd, i, "session/rdp_security/mac_failed_step");
    ev_probe(fd, i, "session/rdp_security/received_encrypted");
    rdpsec_broke = true;
  }
  if (s->logon_error_present) {
    int kind;
    uint32_t msg;
    logon_error(s, &kind, &msg);
    fd = NULL;
    if (kind >= 0)
      fd = add(d, RD_F_LOGON_FAILED, RD_FT_LOGON_ERROR, i);
    else if (msg == 0xFFFFFFF9u || msg == 0xFFFFFFFAu || msg == 0xFFFFFFFDu)
      fd = add(d, RD_F_SESSION_START_FAILED, RD_FT_LOGON_ERROR, i);
    ev_probe(fd, i, "session/logon/error_type");
    ev_probe(fd, i, "session/logon/error_data");
  }
  int k = rd_query_error_info(s);
  if (s->outcome == RD_SESS_ACTIVE) {
    fd = add(d, RD_F_SESSION_OK, RD_FT_SESSION_OK, i);
    ev_probe(fd, i, "session/outcome");
    ev_probe(fd, i, "session/demand_active/seen");
    ev_probe(fd, i, "session/license/valid_client");
    ev_probe(fd, i, "session/server_version");
    return;
  }
  if (k >= 0) {
    fd = add(d, finding_for_error_info(s->error_info[k]), RD_FT_SESSION_ERROR_INFO, i);
    param(fd, "errinfo_index", k);
    param(fd, "errinfo_code", s->error_info[k]);
    ev(fd, "/facts/probes/%d/session/error_info/%d/code", i, k);
    ev(fd, "/facts/probes/%d/session/error_info/%d/name", i, k);
    ev(fd, "/facts/probes/%d/session/error_info/%d/step", i, k);
    ev_probe(fd, i, "session/outcome");
    return;
  }
  if (s->license_error_present && !s->license_valid_client) {
    rd_finding_id id = s->license_error == 0x6   ? RD_F_LICENSE_NO_SERVER /* ERR_NO_LICENSE_SERVER */
                       : s->license_error == 0x2 ? RD_F_LICENSE_NO_CAL    /* ERR_NO_LICENSE */
                                                 : RD_F_LICENSE_OTHER;
    fd = add(d, id, RD_FT_SESSION_LICENSE_ERROR, i);
    ev_probe(fd, i, "session/license/error_code");
    ev_probe(fd, i, "session/license/error_name");
    ev_probe(fd, i, "session/license/state_transition");
    ev_probe(fd, i, "session/step");
    return;
  }
  rd_ftext form;
  switch (s->outcome) {
  case RD_SESS_DISCONNECTED:
    form = RD_FT_SESSION_DPU;
    break;
  case RD_SESS_CLOSED:
  case RD_SESS_RESET:
    form = RD_FT_SESSION_ENDED;
    break;
  case RD_SESS_SILENT:
    form = RD_FT_SESSION_SILENT;
    break;
  case RD_SESS_MALFORMED:
    if (rdpsec_broke)
      return; /* rdp-security-cert-invalid or rdp-security-mac-invalid says it */
    form = RD_FT_SESSION_MALFORMED;
    break;
  case RD_SESS_ERROR_INFO:    /* an errorInfo later cleared by a 0: the server said nothing standing */
  case RD_SESS_LICENSE_ERROR: /* "valid client" as an error alert: not an error */
    form = RD_FT_SESSION_UNUSABLE;
    break;
  case RD_SESS_REFUSED:       /* encryption-mismatch says it */
  case RD_SESS_NOT_TRIED:
  case RD_SESS_ACTIVE:
  case RD_SESS_NOT_SUPPORTED: /* a method no client offers (encryption-mismatch), a licensing key that is not RSA */
  case RD_SESS_LOCAL_ERROR:
  case RD_SESS_CUT:
  default:
    return;
  }
  fd = add(d, RD_F_SESSION_CLOSED_DURING_SETUP, form, i);
  ev_probe(fd, i, "session/outcome");
  ev_probe(fd, i, "session/step");
  if (s->dpu_present)
    ev_probe(fd, i, "session/disconnect_ultimatum");
  ev_probe(fd, i, "session/duration_ms");
}

/* --logon: what the server said about the user's logon after activation. The session rule has
 * said what it could up to Demand Active (and any logon error info); this one reads the logon
 * wait: a report, an end without one (after a proven authentication it is the session that could
 * not start), or silence (xrdp reports nothing: said as such, never taken for a success). */
static void rule_logon(const rd_check_facts *f, rd_diagnosis *d) {
  int i = rd_query_session_probe(f);
  if (i < 0)
    return;
  const rd_probe_facts *p = &f->probes[i];
  const rd_session_facts *s = &p->session;
  const rd_logon_facts *l = &s->logon;
  if (!p->req.logon || !l->confirm_active_sent)
    return;
  rd_finding *fd = NULL;
  bool authenticated = p->auth.outcome == RD_AUTH_ACCEPTED;
  int k = rd_query_error_info(s);
  switch (l->outcome) {
  case RD_LOGON_REPORTED:
    fd = add(d, RD_F_LOGON_OK, RD_FT_LOGON_OK, i);
    ev_probe(fd, i, "session/logon/outcome");
    ev_probe(fd, i, "session/logon/info_type");
    ev_probe(fd, i, "session/logon/wait_ms");
    return;
  case RD_LOGON_ERROR:
    /* The session rule named LOGON_FAILED_* and the dialogs that end a session; a contention or
     * reconnection dialog also stops an unattended logon. */
    if (!rd_diag_has(d, RD_F_LOGON_FAILED) && !rd_diag_has(d, RD_F_SESSION_START_FAILED)) {
      fd = add(d, RD_F_LOGON_FAILED, RD_FT_LOGON_ERROR, i);
      ev_probe(fd, i, "session/logon/error_type");
      ev_probe(fd, i, "session/logon/error_data");
    }
    return;
  case RD_LOGON_NOT_REPORTED:
    fd = add(d, RD_F_LOGON_NOT_REPORTED, RD_FT_LOGON_NOT_REPORTED, i);
    ev_probe(fd, i, "session/logon/outcome");
    ev_probe(fd, i, "session/logon/wait_ms");
    ev_probe(fd, i, "session/logon/updates");
    return;
  case RD_LOGON_ENDED:
    if (k >= 0) {
      uint32_t code = s->error_info[k];
      /* A logoff as the session starts (Winlogon cannot load the profile, the shell exits): the
       * session could not start. Any other errorInfo keeps its own finding. */
      bool logoff = code == 0x1 || code == 0x2 || code == 0xB || code == 0xC;
      fd = add(d, logoff ? RD_F_SESSION_START_FAILED : finding_for_error_info(code),
               logoff ? RD_FT_LOGON_LOGGED_OFF : RD_FT_SESSION_ERROR_INFO, i);
      param(fd, "errinfo_index", k);
      param(fd, "errinfo_code", code);
      ev(fd, "/facts/probes/%d/session/error_info/%d/code", i, k);
      ev(fd, "/facts/probes/%d/session/error_info/%d/step", i, k);
    } else if (authenticated) {
      fd = add(d, RD_F_SESSION_START_FAILED, RD_FT_LOGON_ENDED_AFTER_AUTH, i);
      ev_probe(fd, i, "authentication/outcome");
    } else {
      fd = add(d, RD_F_SESSION_CLOSED_DURING_SETUP, RD_FT_LOGON_ENDED, i);
      ev_probe(fd, i, "session/logon/credentials");
    }
    ev_probe(fd, i, "session/logon/outcome");
    ev_probe(fd, i, "session/logon/end");
    ev_probe(fd, i, "session/step");
    return;
  case RD_LOGON_SILENT:
    fd = add(d, RD_F_SESSION_CLOSED_DURING_SETUP, RD_FT_LOGON_FINAL_SILENT, i);
    ev_probe(fd, i, "session/logon/outcome");
    ev_probe(fd, i, "session/logon/finalization");
    return;
  case RD_LOGON_MALFORMED:
    fd = add(d, RD_F_SESSION_CLOSED_DURING_SETUP, RD_FT_LOGON_MALFORMED, i);
    ev_probe(fd, i, "session/logon/outcome");
    ev_probe(fd, i, "session/step");
    return;
  case RD_LOGON_NOT_TRIED:
  case RD_LOGON_LOCAL_ERROR: /* ours */
  case RD_LOGON_CUT:
    return;
  }
}

/* ---- The client's own path ------------------------------------------------------------------------ */

static bool critical_in(const rd_diagnosis *d, rd_phase ph) {
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding_def *def = rd_finding_def_get(d->items[i].id);
    if (def->severity == RD_SEV_CRITICAL && def->phase == ph)
      return true;
  }
  return false;
}

static void client_reach(const rd_check_facts *f, rd_diagnosis *d, int c) {
  if (critical_in(d, RD_PH_REACH) || rd_diag_has(d, RD_F_NETWORK_UNSTABLE))
    return; /* random loss is the network's, and already said */
  rd_reach_count rc;
  rd_query_reach(f, &rc);
  rd_finding *fd;
  switch (f->probes[c].connect) {
  case RD_CONN_REFUSED:
    fd = add(d, RD_F_TCP_REFUSED, RD_FT_TCP_REFUSED_SOME, c);
    param(fd, "refused", rc.refused);
    break;
  case RD_CONN_HOST_UNREACH:
  case RD_CONN_NET_UNREACH:
  case RD_CONN_ERROR:
    fd = add(d, RD_F_TCP_UNREACHABLE, RD_FT_TCP_UNREACHABLE, c);
    param(fd, "unreachable", rc.unreachable);
    break;
  default:
    fd = add(d, RD_F_TCP_FILTERED, RD_FT_TCP_FILTERED, c);
    param(fd, "timeouts", rc.timeout > 0 ? rc.timeout : 1);
    ev_probe(fd, c, "connect/duration_ms");
    break;
  }
  param(fd, "tried", rc.tried);
  ev_probe(fd, c, "connect/outcome");
}

static void client_negotiate(const rd_check_facts *f, rd_diagnosis *d, int c) {
  if (critical_in(d, RD_PH_NEGOTIATE))
    return;
  const rd_probe_facts *p = &f->probes[c];
  rd_finding *fd = NULL;
  switch (p->nego) {
  case RD_NEGO_SILENT:
    fd = add(d, RD_F_RDP_NO_ANSWER, RD_FT_RDP_CLIENT_NO_ANSWER, c);
    ev_probe(fd, c, "negotiation/outcome");
    ev_probe(fd, c, "negotiation/duration_ms");
    break;
  case RD_NEGO_CLOSED:
  case RD_NEGO_RESET:
  case RD_NEGO_DISCONNECT:
    fd = add(d, RD_F_RDP_CLOSED_AFTER_REQUEST, RD_FT_RDP_CLIENT_CLOSED, c);
    ev_probe(fd, c, "negotiation/outcome");
    ev_probe(fd, c, "negotiation/bytes_received");
    break;
  case RD_NEGO_NOT_RDP:
    fd = add(d, RD_F_NOT_RDP_SERVICE, p->banner[0] ? RD_FT_NOT_RDP_SERVICE_BANNER : RD_FT_NOT_RDP_SERVICE, c);
    ev_probe(fd, c, "negotiation/outcome");
    ev_probe(fd, c, "negotiation/reply_hex");
    break;
  case RD_NEGO_MALFORMED:
    malformed_reply(f, d, c);
    break;
  case RD_NEGO_RSP:
    violation(f, d, c);
    break;
  case RD_NEGO_FAILURE:
    if (!rd_query_failure_known(p->failure_code))
      unknown_failure(f, d, c);
    else if (failure_contradicts(p))
      violation(f, d, c);
    else if (p->failure_code == RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER && rd_diag_has(d, RD_F_TLS_NOT_ALLOWED))
      break; /* a Windows client retries with Standard RDP Security: the warning says it */
    else if (p->failure_code != RD_X224_FAIL_SSL_CERT_NOT_ON_SERVER || !rd_diag_has(d, RD_F_TLS_CERT_NOT_ON_SERVER))
      ev_failure(add(d, RD_F_RDP_CLIENT_REQUEST_REFUSED, RD_FT_RDP_CLIENT_REFUSED, c), c);
    break;
  case RD_NEGO_LEGACY:
  case RD_NEGO_NOT_TRIED:
  case RD_NEGO_LOCAL_ERROR:
  case RD_NEGO_CUT:
    break;
  }
}

static void client_credssp(const rd_check_facts *f, rd_diagnosis *d, int c) {
  if (critical_in(d, RD_PH_CREDSSP))
    return;
  const rd_probe_facts *p = &f->probes[c];
  rd_finding *fd;
  if (p->credssp.outcome != RD_CSSP_CHALLENGE) {
    fd = add(d, RD_F_CREDSSP_FAILED, RD_FT_CREDSSP_NO_CHALLENGE, c);
    ev_probe(fd, c, "negotiation/selected");
    ev_probe(fd, c, "credssp/outcome");
    ev_probe(fd, c, "credssp/first_bytes_hex");
  } else {
    fd = add(d, RD_F_CREDSSP_FAILED, RD_FT_AUTH_NO_VERDICT, c);
    ev_probe(fd, c, "authentication/outcome");
  }
}

/* Healthy only when the client's own request got a usable answer at every phase it was tested at
 * (docs/verdict.md): where it got none, and our side did not end it, a critical finding in that
 * phase says why, the most specific one the rules above did not already give. */
static void rule_client(const rd_check_facts *f, rd_diagnosis *d) {
  int c = rd_query_client_probe(f);
  if (c < 0)
    return;
  const rd_probe_facts *p = &f->probes[c];
  unsigned tested = rd_query_phases_tested(p);
  static const rd_phase order[] = {RD_PH_REACH, RD_PH_NEGOTIATE, RD_PH_TLS, RD_PH_CREDSSP, RD_PH_SESSION};
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    rd_phase ph = order[k];
    if (!(tested & (1u << ph)) || rd_query_usable(p, ph))
      continue;
    if (rd_query_phase_ours(p, ph))
      return; /* the verdict says not checked */
    switch (ph) {
    case RD_PH_REACH:
      client_reach(f, d, c);
      break;
    case RD_PH_NEGOTIATE:
      client_negotiate(f, d, c);
      break;
    case RD_PH_TLS:
      if (!critical_in(d, RD_PH_TLS))
        ev_probe(add(d, RD_F_TLS_HANDSHAKE_FAILED, RD_FT_TLS_FAILED, c), c, "tls/outcome");
      break;
    case RD_PH_CREDSSP:
      client_credssp(f, d, c);
      break;
    case RD_PH_SESSION:
      if (!critical_in(d, RD_PH_SESSION)) {
        rd_finding *fd = add(d, RD_F_SESSION_CLOSED_DURING_SETUP, RD_FT_SESSION_UNUSABLE, c);
        ev_probe(fd, c, "session/outcome");
        ev_probe(fd, c, "session/step");
      }
      break;
    default:
      break;
    }
    return;
  }
}

void rd_diagnose(const rd_check_facts *f, rd_diagnosis *out) {
  memset(out, 0, sizeof *out);
  rule_name(f, out);
  if (f->name.n_addrs > 0) {
    rule_reach(f, out);
    rule_negotiate(f, out);
    rule_tls(f, out);
    rule_cert(f, out);
    rule_credssp(f, out);
    rule_auth(f, out);
    rule_session(f, out);
    rule_logon(f, out);
    rule_rdp_security(f, out);
    rule_client(f, out);
  }
  rd_diag_verdict(f, out);
}
