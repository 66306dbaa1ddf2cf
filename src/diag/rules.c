/* The rules of `rdpdoctor check`. Each reads facts, with the request that produced them, and adds
 * findings with their evidence; the verdict then names where a default client's connection ends
 * and the root cause. Facts → findings only: nothing here does I/O or prints. */
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/cert.h"
#include "core/hexfmt.h"
#include "core/rdtime.h"
#include "core/x224.h"
#include "diag.h"
#include "kb/kb.h"

#define RD_FINDING(id, slug, sev, title, cause, client, conf, phase) \
  {RD_F_##id, slug, RD_SEV_##sev, title, cause, client, RD_CONF_FLAG_##conf, RD_PH_##phase},
#define RD_CONF_FLAG_C false
#define RD_CONF_FLAG_I true
static const rd_finding_def finding_defs[] = {
#include "findings.def"
};
#undef RD_FINDING

/* A certificate this close to its end is worth a warning (DESIGN.md: "expires soon"). */
#define CLOCK_SKEW_LIMIT_S 300 /* Kerberos' default tolerance: five minutes */

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

static bool has(const rd_diagnosis *d, rd_finding_id id) {
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].id == id)
      return true;
  return false;
}

__attribute__((format(printf, 4, 5))) static void add(rd_diagnosis *d, rd_finding_id id, int probe,
                                                      const char *fmt, ...) {
  if (has(d, id) || d->n == RD_MAX_FINDINGS)
    return;
  rd_finding *fd = &d->items[d->n++];
  fd->id = id;
  fd->probe = probe;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fd->evidence, sizeof fd->evidence, fmt, ap);
  va_end(ap);
}

static double ms(rd_us us) { return (double)us / 1000.0; }

/* The slowest of n durations when it stands far above their median, as a retransmission (200 ms
 * and more) does over sub-millisecond jitter; 0 otherwise. Sorts v. */
static rd_us retransmit_outlier(rd_us *v, size_t n) {
  if (n < 3)
    return 0;
  rd_us median = rd_us_sort_median(v, n), max = v[n - 1];
  return max > 5 * median && max - median > 200000 ? max : 0;
}

static void hex(char *buf, size_t size, const uint8_t *p, size_t n) { rd_hex_format(buf, size, p, n, true); }

/* The primary probes: the full set, on the address that connected (the first one when none did). */
static bool primary(const rd_check_facts *f, const rd_probe_facts *p) {
  return p->req.addr_index == (f->reach.chosen >= 0 ? f->reach.chosen : 0) && p->req.kind != RD_PROBE_CONNECT;
}

static int find_nego(const rd_check_facts *f, bool legacy, uint32_t requested) {
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (primary(f, p) && p->req.kind == RD_PROBE_NEGO && p->req.legacy == legacy &&
        (legacy || p->req.protocols == requested))
      return (int)i;
  }
  return -1;
}

/* ---- Name ---------------------------------------------------------------------------------- */

static void rule_name(const rd_check_facts *f, rd_diagnosis *d) {
  const rd_name_facts *n = &f->name;
  switch (n->status) {
  case RD_NAME_NXDOMAIN:
    add(d, RD_F_DNS_NXDOMAIN, -1, "DNS answers NXDOMAIN for %s (%s)", f->host, n->detail);
    break;
  case RD_NAME_NODATA:
  case RD_NAME_SERVFAIL:
  case RD_NAME_REFUSED:
  case RD_NAME_TIMEOUT:
  case RD_NAME_ERROR:
    add(d, RD_F_DNS_FAILURE, -1, "looking up %s: %s (%s)", f->host, rd_name_status_name(n->status), n->detail);
    break;
  default:
    break;
  }
}

/* ---- Reach ---------------------------------------------------------------------------------- */

static void rule_reach(const rd_check_facts *f, rd_diagnosis *d) {
  unsigned tried = 0, ok = 0, refused = 0, timeout = 0, unreach = 0;
  int first_failed = -1;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!primary(f, p) || p->connect == RD_CONN_NOT_TRIED)
      continue;
    tried++;
    ok += p->connect == RD_CONN_OK;
    refused += p->connect == RD_CONN_REFUSED;
    timeout += p->connect == RD_CONN_TIMEOUT;
    unreach += p->connect == RD_CONN_HOST_UNREACH || p->connect == RD_CONN_NET_UNREACH;
    if (p->connect != RD_CONN_OK && first_failed < 0)
      first_failed = (int)i;
  }
  if (tried == 0)
    return;
  const char *addr = f->name.addrs[0];
  if (ok == 0) {
    if (refused > 0 && refused >= timeout) {
      add(d, RD_F_TCP_REFUSED, first_failed, "%s port %u: connection refused (TCP reset) in %u of %u attempts",
          addr, f->port, refused, tried);
    } else if (unreach > 0 && unreach >= timeout) {
      add(d, RD_F_TCP_UNREACHABLE, first_failed, "%s port %u: %s (ICMP) in %u of %u attempts", addr, f->port,
          rd_conn_outcome_name(f->probes[first_failed].connect), unreach, tried);
    } else if (timeout > 0) {
      const rd_side_port *answered = NULL;
      for (size_t i = 0; i < f->reach.n_side; i++)
        if (f->reach.side[i].outcome == RD_CONN_OK || f->reach.side[i].outcome == RD_CONN_REFUSED)
          answered = &f->reach.side[i];
      double waited = ms(f->probes[first_failed].connect_us);
      if (answered != NULL)
        add(d, RD_F_TCP_FILTERED, first_failed,
            "%s port %u: no answer to %u connection attempts within %.0f ms, while port %u answered (%s): "
            "the host is up and this port is filtered", addr, f->port, timeout, waited, answered->port,
            answered->outcome == RD_CONN_OK ? "open" : "refused");
      else if (f->reach.n_side > 0)
        add(d, RD_F_HOST_DOWN, first_failed,
            "%s: no answer on port %u nor on ports 22, 80, 443, 445 within %.0f ms", addr, f->port, waited);
      else
        add(d, RD_F_TCP_FILTERED, first_failed,
            "%s port %u: no answer to %u connection attempts within %.0f ms (other ports not probed)", addr,
            f->port, timeout, waited);
    }
    return;
  }
  const rd_reach_facts *r = &f->reach;
  bool lossy = ok < tried;
  /* Loopback and LAN jitter is sub-millisecond; only a slow outlier far above the median, such as
   * a retransmission (200 ms and more), says the path loses packets. Connects that needed a
   * replacement SYN are left out: our own probes can overflow a small listen queue (xrdp's holds
   * 2), and then the server drops SYNs that a lone client would never send. */
  rd_us connects[RD_MAX_PROBES], replies[RD_MAX_PROBES];
  size_t nc = 0, nr = 0;
  for (size_t i = 0; i < f->n_probes && i < RD_MAX_PROBES; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!primary(f, p))
      continue;
    if (p->connect == RD_CONN_OK && p->connect_retries == 0)
      connects[nc++] = p->connect_attempt_us;
    if (p->nego == RD_NEGO_RSP || p->nego == RD_NEGO_FAILURE || p->nego == RD_NEGO_LEGACY)
      replies[nr++] = p->reply_us;
  }
  rd_us slow_connect = retransmit_outlier(connects, nc), slow_reply = retransmit_outlier(replies, nr);
  char why[120] = "";
  if (slow_connect)
    snprintf(why, sizeof why, "; a connect took %.0f ms (a retransmitted SYN)", ms(slow_connect));
  else if (slow_reply)
    snprintf(why, sizeof why, "; a negotiation reply took %.0f ms (retransmitted data)", ms(slow_reply));
  if (lossy || slow_connect || slow_reply)
    add(d, RD_F_NETWORK_UNSTABLE, -1, "%u of %u connects failed; connect time min %.1f / median %.1f / max %.1f ms%s",
        tried - ok, tried, ms(r->rtt_min_us), ms(r->rtt_median_us), ms(r->rtt_max_us), why);
}

/* ---- Negotiate ------------------------------------------------------------------------------ */

static bool ended_without_reply(rd_nego_outcome o) {
  return o == RD_NEGO_CLOSED || o == RD_NEGO_RESET || o == RD_NEGO_DISCONNECT;
}

static void describe_probe(char *buf, size_t size, const rd_probe_facts *p) {
  char protos[64];
  if (p->req.legacy)
    snprintf(buf, size, "a request without negotiation data");
  else
    snprintf(buf, size, "a request for %s", rd_protocols_name(p->req.protocols, protos, sizeof protos));
}

static void rule_negotiate(const rd_check_facts *f, rd_diagnosis *d) {
  unsigned connected = 0, silent = 0, closed = 0, not_rdp = 0, answered = 0;
  int example = -1, not_rdp_probe = -1;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!primary(f, p) || p->connect != RD_CONN_OK)
      continue;
    connected++;
    silent += p->nego == RD_NEGO_SILENT;
    closed += ended_without_reply(p->nego);
    if (p->nego == RD_NEGO_NOT_RDP) {
      not_rdp++;
      not_rdp_probe = (int)i;
    }
    answered += p->nego == RD_NEGO_RSP || p->nego == RD_NEGO_FAILURE || p->nego == RD_NEGO_LEGACY;
    if (example < 0)
      example = (int)i;
  }
  if (connected == 0)
    return;
  if (not_rdp > 0 && answered == 0) {
    const rd_probe_facts *p = &f->probes[not_rdp_probe];
    char bytes[3 * 16 + 1];
    hex(bytes, sizeof bytes, p->reply, p->reply_len < 16 ? p->reply_len : 16);
    add(d, RD_F_NOT_RDP_SERVICE, not_rdp_probe, "port %u answers like %s%s%s%s (first bytes %s)", f->port,
        p->service == RD_SVC_UNKNOWN ? "something that is not RDP" : rd_service_name(p->service),
        p->banner[0] ? ": \"" : "", p->banner, p->banner[0] ? "\"" : "", bytes);
    return;
  }
  if (answered == 0 && silent == connected) {
    add(d, RD_F_RDP_NO_ANSWER, example, "TCP connects, but %u Connection Requests got no reply within %.0f ms",
        connected, ms(f->probes[example].reply_us));
    return;
  }
  if (answered == 0 && closed + silent == connected && closed > 0) {
    const rd_probe_facts *p = &f->probes[example];
    add(d, RD_F_RDP_CLOSED_AFTER_REQUEST, example,
        "the server ended %u of %u connections right after the Connection Request (%s after %.1f ms, %zu bytes "
        "received)", closed, connected, rd_nego_outcome_name(p->nego), ms(p->reply_us), p->bytes_received);
    return;
  }

  /* Answers exist: read them together with the request that produced them. */
  int legacy = find_nego(f, true, 0);
  int rdp = find_nego(f, false, RD_X224_PROTOCOL_RDP);
  int ssl = find_nego(f, false, RD_X224_PROTOCOL_SSL);
  int ssl_hybrid = find_nego(f, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID);
  const rd_probe_facts *P = f->probes;

  if (legacy >= 0 && P[legacy].nego == RD_NEGO_LEGACY) {
    bool all_legacy = true;
    for (size_t i = 0; i < f->n_probes; i++)
      if (primary(f, &P[i]) && P[i].req.kind == RD_PROBE_NEGO && !P[i].req.legacy && P[i].connect == RD_CONN_OK &&
          !(P[i].nego == RD_NEGO_LEGACY || ended_without_reply(P[i].nego)))
        all_legacy = false;
    if (all_legacy)
      add(d, RD_F_RDP_LEGACY_SERVER, legacy,
          "requests with negotiation data got a Confirm without it (or a close): the server predates "
          "security negotiation and speaks Standard RDP Security only");
  }
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &P[i];
    if (primary(f, p) && p->nego == RD_NEGO_FAILURE && p->failure_code == RD_X224_FAIL_SSL_CERT_NOT_ON_SERVER) {
      char req[96];
      describe_probe(req, sizeof req, p);
      add(d, RD_F_TLS_CERT_NOT_ON_SERVER, (int)i, "%s got RDP_NEG_FAILURE 3 (SSL_CERT_NOT_ON_SERVER)", req);
    }
  }
  int nla_probe = -1;
  if (rdp >= 0 && P[rdp].nego == RD_NEGO_FAILURE && P[rdp].failure_code == RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER)
    nla_probe = rdp;
  if (ssl >= 0 && P[ssl].nego == RD_NEGO_FAILURE && P[ssl].failure_code == RD_X224_FAIL_HYBRID_REQUIRED_BY_SERVER)
    nla_probe = ssl;
  if (nla_probe >= 0)
    add(d, RD_F_NLA_REQUIRED, nla_probe, "a request without HYBRID got RDP_NEG_FAILURE 5 (HYBRID_REQUIRED_BY_SERVER)");
  if (rdp >= 0 && P[rdp].nego == RD_NEGO_FAILURE && P[rdp].failure_code == RD_X224_FAIL_SSL_REQUIRED_BY_SERVER)
    add(d, RD_F_TLS_REQUIRED, rdp, "a request for Standard RDP Security got RDP_NEG_FAILURE 1 (SSL_REQUIRED_BY_SERVER)");

  bool ssl_refused = ssl >= 0 && P[ssl].nego == RD_NEGO_FAILURE &&
                     P[ssl].failure_code == RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER;
  bool tls_never_selected = true, tls_asked = false;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &P[i];
    if (!primary(f, p) || p->req.kind != RD_PROBE_NEGO || p->req.legacy || !(p->req.protocols & RD_X224_PROTOCOL_SSL) ||
        p->connect != RD_CONN_OK)
      continue;
    tls_asked = true;
    if (p->nego == RD_NEGO_RSP && p->selected != RD_X224_PROTOCOL_RDP)
      tls_never_selected = false;
    if (p->nego == RD_NEGO_FAILURE && p->failure_code != RD_X224_FAIL_SSL_NOT_ALLOWED_BY_SERVER)
      tls_never_selected = false;
  }
  bool cert_missing = has(d, RD_F_TLS_CERT_NOT_ON_SERVER);
  if (!cert_missing && tls_asked && tls_never_selected && (ssl_refused || (ssl >= 0 && P[ssl].nego == RD_NEGO_RSP)))
    add(d, RD_F_TLS_NOT_ALLOWED, ssl,
        ssl_refused ? "a request for SSL got RDP_NEG_FAILURE 2 (SSL_NOT_ALLOWED_BY_SERVER)"
                    : "every request offering TLS got PROTOCOL_RDP selected (Standard RDP Security)");

  /* A client without NLA gets in when a request without HYBRID is accepted. */
  if (!has(d, RD_F_TLS_NOT_ALLOWED) && !has(d, RD_F_NLA_REQUIRED)) {
    if (ssl >= 0 && P[ssl].nego == RD_NEGO_RSP && P[ssl].selected == RD_X224_PROTOCOL_SSL) {
      bool hybrid = ssl_hybrid >= 0 && P[ssl_hybrid].nego == RD_NEGO_RSP &&
                    (P[ssl_hybrid].selected & RD_X224_PROTOCOL_HYBRID);
      add(d, RD_F_NLA_NOT_ENFORCED, ssl, "a request for TLS without HYBRID was accepted (SSL selected)%s",
          hybrid ? "; NLA is offered but not required" : "; the server does not offer NLA at all");
    } else if (rdp >= 0 && P[rdp].nego == RD_NEGO_RSP) {
      add(d, RD_F_NLA_NOT_ENFORCED, rdp, "a request for Standard RDP Security was accepted");
    }
  }
  for (size_t i = 0; i < f->n_probes; i++)
    if (primary(f, &P[i]) && P[i].nego == RD_NEGO_RSP && (P[i].rsp_flags & RD_X224_RSP_RESTRICTED_ADMIN_MODE_SUPPORTED)) {
      add(d, RD_F_RESTRICTED_ADMIN_AVAILABLE, (int)i, "RDP_NEG_RSP flags 0x%02x include RESTRICTED_ADMIN_MODE_SUPPORTED",
          P[i].rsp_flags);
      break;
    }
}

/* ---- TLS ------------------------------------------------------------------------------------- */

static void rule_tls(const rd_check_facts *f, rd_diagnosis *d) {
  int ok = -1, failed = -1;
  unsigned versions_ok = 0, versions_tried = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!primary(f, p) || p->tls.outcome == RD_TLSO_NOT_TRIED)
      continue;
    if (p->req.kind == RD_PROBE_TLS_VERSION) {
      versions_tried |= 1u << (p->req.tls_pin & 0xf);
      if (p->tls.outcome == RD_TLSO_OK)
        versions_ok |= 1u << (p->req.tls_pin & 0xf);
      continue;
    }
    if (p->tls.outcome == RD_TLSO_OK && ok < 0)
      ok = (int)i;
    else if (p->tls.outcome != RD_TLSO_OK && failed < 0)
      failed = (int)i;
  }
  if (ok < 0 && failed >= 0) {
    const rd_probe_facts *p = &f->probes[failed];
    const rd_tls_facts *t = &p->tls;
    char protos[64], bytes[3 * 16 + 1];
    rd_protocols_name(p->selected, protos, sizeof protos);
    hex(bytes, sizeof bytes, t->first_bytes, t->n_first_bytes < 16 ? t->n_first_bytes : 16);
    switch (t->outcome) {
    case RD_TLSO_PLAINTEXT:
      add(d, RD_F_TLS_KEY_UNUSABLE, failed,
          "the server selected %s, then answered our TLS ClientHello in plaintext (%s) and ended the connection",
          protos, bytes);
      break;
    case RD_TLSO_CLOSED:
    case RD_TLSO_RESET:
      add(d, RD_F_TLS_KEY_UNUSABLE, failed,
          "the server selected %s, then %s the connection after our TLS ClientHello (%zu bytes received)", protos,
          t->outcome == RD_TLSO_CLOSED ? "closed" : "reset", t->bytes_after_hello);
      break;
    case RD_TLSO_ALERT:
      add(d, RD_F_TLS_HANDSHAKE_FAILED, failed, "the server selected %s, then sent TLS alert %s (%d)", protos,
          t->alert_name, t->alert);
      break;
    case RD_TLSO_STALL:
      add(d, RD_F_TLS_HANDSHAKE_FAILED, failed,
          "the server selected %s, then the TLS handshake made no progress for %.0f ms (%zu bytes received)", protos,
          ms(t->took_us), t->bytes_after_hello);
      break;
    default:
      add(d, RD_F_TLS_HANDSHAKE_FAILED, failed, "the server selected %s, then the TLS handshake failed: %s", protos,
          t->reason[0] ? t->reason : "no reason given");
      break;
    }
  }
  if (ok >= 0) {
    const rd_tls_facts *t = &f->probes[ok].tls;
    bool modern = t->version >= 0x0303 || (versions_ok & ((1u << 3) | (1u << 4)));
    if (!modern)
      add(d, RD_F_TLS_LEGACY_VERSIONS_ONLY, ok, "the best TLS version the server accepts is %s%s", t->version_name,
          versions_tried ? "; pinned handshakes to TLS 1.2 and 1.3 failed" : "");
  }
}

/* ---- Certificate ------------------------------------------------------------------------------ */

static bool is_ip_literal(const rd_check_facts *f) { return f->name.status == RD_NAME_LITERAL; }

static bool has_ip_san(const rd_cert_facts *c) {
  for (size_t i = 0; i < c->san_count; i++)
    if (strncmp(c->san[i], "IP:", 3) == 0)
      return true;
  return false;
}

static void rule_cert(const rd_check_facts *f, rd_diagnosis *d) {
  if (!f->have_cert)
    return;
  const rd_cert_facts *c = &f->cert;
  int days = rd_cert_days_left(c, f->started_unix);
  char when[40];
  if (c->not_after < f->started_unix)
    add(d, RD_F_CERT_EXPIRED, f->cert_probe, "notAfter %s: expired %d days ago (subject %s)",
        rd_format_utc(c->not_after, when, sizeof when), -days, c->subject);
  else if (days <= EXPIRES_SOON_DAYS)
    add(d, RD_F_CERT_EXPIRES_SOON, f->cert_probe, "notAfter %s: %d days left",
        rd_format_utc(c->not_after, when, sizeof when), days);
  if (c->not_before > f->started_unix)
    add(d, RD_F_CERT_NOT_YET_VALID, f->cert_probe, "notBefore %s is in the future",
        rd_format_utc(c->not_before, when, sizeof when));
  /* A Windows default certificate names the computer, never an IP: connecting by IP always
   * mismatches, which is no finding unless the certificate does list IP addresses. */
  if ((!is_ip_literal(f) || has_ip_san(c)) && !rd_cert_name_matches(c, f->host))
    add(d, RD_F_CERT_NAME_MISMATCH, f->cert_probe, "you typed %s; the certificate names CN=%s%s%s", f->host,
        c->common_name, c->san_count ? ", SAN " : "", c->san_count ? c->san[0] : "");
  if (c->self_signed)
    add(d, RD_F_CERT_SELF_SIGNED, f->cert_probe, "issuer equals subject (%s) and the signature verifies with its own key",
        c->subject);
  bool weak_key = (strcmp(c->key_type, "RSA") == 0 && c->key_bits < 2048) ||
                  (strcmp(c->key_type, "EC") == 0 && c->key_bits < 224);
  if (weak_key || c->sig_hash_weak)
    add(d, RD_F_CERT_WEAK, f->cert_probe, "%s %d-bit key, signature %s", c->key_type, c->key_bits, c->sig_alg);
}

/* ---- CredSSP ------------------------------------------------------------------------------------ */

/* The probe whose CHALLENGE speaks for the server: the one requesting what Windows clients request. */
static int identity_probe(const rd_check_facts *f) {
  int best = -1;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (!primary(f, p) || p->credssp.outcome != RD_CSSP_CHALLENGE)
      continue;
    if (best < 0 || p->req.protocols == (RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID | RD_X224_PROTOCOL_HYBRID_EX))
      best = (int)i;
  }
  return best;
}

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
  if (strlen(c->dns_computer) == len && strncasecmp(f->host, c->dns_computer, len) == 0)
    return true;
  size_t label = strcspn(f->host, ".");
  if (label > len)
    label = len;
  if (same_name(f->host, label, c->nb_computer) || same_name(f->host, label, c->dns_computer))
    return true;
  return f->have_cert && rd_cert_name_matches(&f->cert, f->host);
}

static void describe_skew(char *buf, size_t size, int64_t skew) {
  int64_t a = skew < 0 ? -skew : skew;
  const char *dir = skew > 0 ? "ahead of" : "behind";
  if (a >= 2 * 86400)
    snprintf(buf, size, "%lld days %s", (long long)(a / 86400), dir);
  else if (a >= 2 * 3600)
    snprintf(buf, size, "%lld hours %s", (long long)(a / 3600), dir);
  else
    snprintf(buf, size, "%lld minutes %s", (long long)(a / 60), dir);
}

static void rule_credssp(const rd_check_facts *f, rd_diagnosis *d) {
  int i = identity_probe(f);
  if (i < 0)
    return;
  const rd_credssp_facts *c = &f->probes[i].credssp;
  char os[40] = "";
  if (c->os_version_present)
    snprintf(os, sizeof os, ", Windows version %u.%u build %u", c->os_major, c->os_minor, c->os_build);
  add(d, RD_F_HOST_IDENTITY, i, "NetBIOS %s\\%s, DNS name %s (domain %s)%s; CredSSP version %lld", c->nb_domain,
      c->nb_computer, c->dns_computer[0] ? c->dns_computer : "-", c->dns_domain[0] ? c->dns_domain : "-", os,
      (long long)c->ts_version);
  if (c->ts_version < 5)
    add(d, RD_F_CREDSSP_OUTDATED, i,
        "the server answers with TSRequest version %lld; the March 2018 update (CVE-2018-0886) brought version 5, "
        "and updated clients refuse older servers unless their policy is Vulnerable", (long long)c->ts_version);
  if (c->timestamp_present) {
    int64_t skew = c->server_time_unix - f->started_unix;
    if (skew > CLOCK_SKEW_LIMIT_S || skew < -CLOCK_SKEW_LIMIT_S) {
      char how[64], when[40];
      describe_skew(how, sizeof how, skew);
      add(d, RD_F_CLOCK_SKEW, i, "the server's clock reads %s, %s this machine's", rd_format_utc(c->server_time_unix, when, sizeof when), how);
    }
  }
  bool typed_name = f->name.status == RD_NAME_OK && strcasecmp(f->host, "localhost") != 0;
  if (typed_name && (c->nb_computer[0] || c->dns_computer[0]) && !names_this_host(f, c))
    add(d, RD_F_DNS_WRONG_HOST, i, "%s resolves to %s, but the machine there calls itself %s (DNS %s)%s", f->host,
        f->name.addrs[f->reach.chosen >= 0 ? f->reach.chosen : 0], c->nb_computer,
        c->dns_computer[0] ? c->dns_computer : "-", f->have_cert ? " and its certificate names another host" : "");
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
  const rd_probe_facts *p = NULL;
  int pi = -1;
  for (size_t i = 0; i < f->n_probes; i++)
    if (f->probes[i].auth.outcome != RD_AUTH_NOT_TRIED) {
      p = &f->probes[i];
      pi = (int)i;
      break;
    }
  if (!f->auth_requested)
    return;
  if (p == NULL) {
    bool nla = identity_probe(f) >= 0;
    add(d, RD_F_AUTH_NOT_CHECKED, -1, "%s",
        nla ? "the server's CredSSP answered, but no authentication could be attempted"
            : "the server never selected NLA (HYBRID): it checks no credentials before the session, so rdpdoctor "
              "could not either, and sent none");
    return;
  }
  const rd_auth_facts *a = &p->auth;
  char who[RD_NAME_LEN * 2 + 2];
  snprintf(who, sizeof who, "%s%s%s", a->domain, a->domain[0] ? "\\" : "", a->user);
  const rd_kb_code *row;
  switch (a->outcome) {
  case RD_AUTH_ACCEPTED:
    if (a->early_authz_present && a->early_authz != 0)
      add(d, RD_F_EARLY_AUTHORIZATION_DENIED, pi, "%s authenticated, then the Early User Authorization Result was %u "
          "(ACCESS_DENIED): the user may not log on to this server", who, a->early_authz);
    else
      add(d, RD_F_AUTH_OK, pi, "%s: the server accepted the NTLMv2 authentication and proved it with CredSSP v%lld "
          "pubKeyAuth bound to its certificate%s", who, (long long)a->version,
          a->early_authz_present ? "; Early User Authorization: success" : "");
    break;
  case RD_AUTH_ERROR_CODE:
    row = rd_kb_find(RD_TAB_STATUS, a->error_code);
    add(d, finding_for_status(a->error_code), pi, "%s: the server answered errorCode 0x%08X %s", who, a->error_code,
        row ? row->name : "(unknown status)");
    break;
  case RD_AUTH_CLOSED:
  case RD_AUTH_RESET:
    add(d, RD_F_AUTH_FAILED, pi, "%s: the server %s the connection right after our AUTHENTICATE, without a reason "
        "(FreeRDP-based servers do this for a wrong user or password; Windows sends an errorCode)", who,
        a->outcome == RD_AUTH_CLOSED ? "closed" : "reset");
    break;
  case RD_AUTH_KEY_MISMATCH:
    add(d, RD_F_CREDSSP_BINDING_MISMATCH, pi, "the pubKeyAuth the server returned does not match the public key of "
        "the certificate our TLS session saw: a TLS-inspecting device sits between this machine and the server");
    break;
  default:
    add(d, RD_F_AUTH_NOT_CHECKED, pi, "%s: the authentication ended with %s before the server gave a verdict", who,
        rd_auth_outcome_name(a->outcome));
    break;
  }
}

/* ---- Verdict ------------------------------------------------------------------------------------ */

/* Where a default client's connection ends. A current Windows client requests
 * SSL|HYBRID|HYBRID_EX (reference §3.4), so that probe stands for it. */
static rd_phase where_it_ends(const rd_check_facts *f) {
  if (f->name.n_addrs == 0)
    return RD_PH_NAME;
  int p = find_nego(f, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID | RD_X224_PROTOCOL_HYBRID_EX);
  if (p < 0 || f->probes[p].connect != RD_CONN_OK)
    return RD_PH_REACH;
  const rd_probe_facts *c = &f->probes[p];
  if (c->nego != RD_NEGO_RSP && c->nego != RD_NEGO_LEGACY)
    return RD_PH_NEGOTIATE;
  if (c->tls.outcome != RD_TLSO_NOT_TRIED && c->tls.outcome != RD_TLSO_OK)
    return RD_PH_TLS;
  /* With credentials, a refused authentication ends the connection inside CredSSP. */
  for (size_t i = 0; i < f->n_probes; i++) {
    rd_auth_outcome a = f->probes[i].auth.outcome;
    if (a != RD_AUTH_NOT_TRIED && (a != RD_AUTH_ACCEPTED || (f->probes[i].auth.early_authz_present &&
                                                              f->probes[i].auth.early_authz != 0)))
      return RD_PH_CREDSSP;
  }
  return RD_PH_ANY;
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

static void verdict(const rd_check_facts *f, rd_diagnosis *d) {
  rd_verdict *v = &d->verdict;
  v->checked = f->name.status != RD_NAME_NO_SERVERS;
  for (size_t i = 0; i < f->n_probes; i++)
    if (f->probes[i].connect == RD_CONN_LOCAL_DENIED)
      v->checked = false;
  v->ends_at = where_it_ends(f);
  v->root = pick_root(d, v->ends_at);
  v->worst = RD_SEV_INFO;
  for (size_t i = 0; i < d->n; i++) {
    rd_severity s = rd_finding_def_get(d->items[i].id)->severity;
    if (s > v->worst)
      v->worst = s;
  }
  v->any_finding_above_info = v->worst > RD_SEV_INFO;
  if (!v->checked)
    snprintf(v->summary, sizeof v->summary, "rdpdoctor could not check: the problem is on this machine (%s)",
             f->name.status == RD_NAME_NO_SERVERS ? "no DNS servers configured" : "sending was refused locally");
  else if (v->root >= 0)
    snprintf(v->summary, sizeof v->summary, "%s", rd_finding_def_get(d->items[v->root].id)->title);
  else
    snprintf(v->summary, sizeof v->summary, "No problem found in the phases tested");
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
  }
  verdict(f, out);
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
