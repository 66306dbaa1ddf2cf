/* The identify probe: what is on the port when no connection got an RDP answer (issue #13). It
 * sends no Connection Request. It waits briefly for a server that speaks first (SSH, SMTP, FTP,
 * POP3, IMAP, VNC); when none does, it starts TLS at once and asks, inside it, what an RD Gateway
 * client asks first ([MS-TSGU] 2.2.3.1.2 RDG_OUT_DATA with the 2.2.3.2.1 RDG-Connection-Id header,
 * on "/remoteDesktopGateway/", HTTP/1.1, no caching, "*" "/" "*" accepted: 4.2.1). A gateway answers
 * 401 with its authentication schemes in WWW-Authenticate (3.3.5.1); any other web server answers
 * with its own status line, to it or to the "GET / HTTP/1.1" pipelined behind it (the first
 * response head is what is read). When the check saw the port behave like a plaintext line protocol
 * (every Connection Request met silence, or an HTTP answer), the request is "GET / HTTP/1.0" in
 * clear instead. One request, one connection: the check's budget of connections holds.
 *
 * Facts only: the bytes, the status line, the Server and WWW-Authenticate headers as printable
 * text. What they mean (a gateway, a web site) is the rules' business. */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

#define GREETING_WAIT_US 500000u /* a server-first protocol greets as soon as it accepts */
#define GREETING_MAX 256         /* a greeting line longer than this is handed over as it is */
#define HEAD_MAX 4096            /* the response head we wait for at most */

static const char rdg_line[] = "RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1";
static const char get_line[] = "GET / HTTP/1.0";
/* Pipelined after RDG_OUT_DATA (answers come in order, RFC 9112 9.3.2): a web server that ignores
 * a method it does not know (openssl s_server -www) still answers this one. */
static const char tls_get_line[] = "GET / HTTP/1.1";

void rd_probe_start_ident(rd_probe *p, rd_us now) {
  p->ident_started = now;
  rd_probe_enter(p, RD_PS_IDENT_WAIT_GREETING, now);
  p->deadline = now + (p->step_us < GREETING_WAIT_US ? p->step_us : GREETING_WAIT_US);
}

/* Printable ASCII of at most n bytes into out (size), '.' for anything else; stops at CR or LF. */
static void printable_line(const uint8_t *in, size_t n, char *out, size_t size) {
  size_t k = 0;
  for (; k + 1 < size && k < n && in[k] != '\r' && in[k] != '\n'; k++)
    out[k] = in[k] >= 0x20 && in[k] < 0x7f ? (char)in[k] : '.';
  if (size > 0)
    out[k] = '\0';
}

static bool starts(const uint8_t *p, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && memcmp(p, prefix, k) == 0;
}

/* rd_probe_guess_service, with the greetings only a connection that waited for them can tell. */
static rd_service classify(const uint8_t *p, size_t n, char *banner, size_t size) {
  rd_service s = rd_probe_guess_service(p, n, banner, size);
  if (s != RD_SVC_TEXT)
    return s;
  if (starts(p, n, "RFB "))
    return RD_SVC_VNC; /* RFC 6143 7.1.1 ProtocolVersion: "RFB 003.008\n" */
  if (starts(p, n, "220") || starts(p, n, "+OK") || starts(p, n, "* OK"))
    return RD_SVC_SMTP_LIKE; /* SMTP and FTP (RFC 5321, 959), POP3 (1939), IMAP (9051) */
  return s;
}

static void keep(rd_ident_facts *id, const uint8_t *head, size_t have) {
  size_t n = have < RD_REPLY_KEEP ? have : RD_REPLY_KEEP;
  memcpy(id->first_bytes, head, n);
  id->n_first_bytes = n;
  id->bytes_received = have;
}

size_t rd_probe_need_ident(const rd_probe *p, const uint8_t *head, size_t have) {
  if (have == 0)
    return 0;
  if (p->state == RD_PS_IDENT_WAIT_GREETING) {
    const uint8_t *nl = memchr(head, '\n', have);
    if (nl != NULL)
      return (size_t)(nl - head) + 1;
    /* Binary bytes (a TLS record, anything unprintable) or a long line: the evidence, now. */
    if (head[0] < 0x20 || head[0] >= 0x7f || have >= GREETING_MAX)
      return have;
    return 0;
  }
  if (p->state != RD_PS_IDENT_SEND_HTTP && p->state != RD_PS_IDENT_WAIT_HTTP)
    return have;
  size_t cmp = have < 5 ? have : 5;
  if (memcmp(head, "HTTP/", cmp) != 0)
    return have; /* not an HTTP response: what came is the answer */
  for (size_t i = 0; i + 1 < have; i++) {
    if (head[i] == '\n' && head[i + 1] == '\n')
      return i + 2;
    if (i + 3 < have && memcmp(head + i, "\r\n\r\n", 4) == 0)
      return i + 4;
  }
  return have >= HEAD_MAX ? have : 0;
}

void rd_probe_partial_ident(rd_probe *p, const uint8_t *head, size_t have) { keep(&p->facts->ident, head, have); }

/* The value of one header line "Name: value" when its name is `name`, else NULL. */
static const uint8_t *header_value(const uint8_t *line, size_t len, const char *name, size_t *vlen) {
  size_t k = strlen(name);
  if (len <= k || line[k] != ':' || strncasecmp((const char *)line, name, k) != 0)
    return NULL;
  size_t i = k + 1;
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  *vlen = len - i;
  return line + i;
}

/* Appends the scheme of one WWW-Authenticate value (its first token) to the list. */
static void add_scheme(rd_ident_facts *id, const uint8_t *v, size_t vlen) {
  char scheme[32];
  size_t k = 0;
  while (k < vlen && k + 1 < sizeof scheme && v[k] != ' ' && v[k] != ',')
    k++;
  printable_line(v, k, scheme, sizeof scheme);
  size_t used = strlen(id->authenticate);
  if (scheme[0] == '\0' || used + strlen(scheme) + 3 > sizeof id->authenticate)
    return;
  snprintf(id->authenticate + used, sizeof id->authenticate - used, "%s%s", used ? ", " : "", scheme);
}

/* An HTTP response head: the status code, the Server header, the WWW-Authenticate schemes. */
static void read_head(rd_ident_facts *id, const uint8_t *h, size_t n) {
  const uint8_t *sp = memchr(h, ' ', n);
  if (sp != NULL && (size_t)(h + n - sp) >= 4) {
    int code = 0;
    for (int d = 1; d <= 3; d++)
      code = sp[d] >= '0' && sp[d] <= '9' && code >= 0 ? code * 10 + (sp[d] - '0') : -1;
    id->http_status = code;
  }
  size_t i = 0;
  while (i < n && h[i] != '\n') /* the status line */
    i++;
  while (++i < n) {
    size_t start = i;
    while (i < n && h[i] != '\n')
      i++;
    size_t len = i - start;
    if (len > 0 && h[start + len - 1] == '\r')
      len--;
    if (len == 0)
      break; /* the end of the head */
    const uint8_t *v;
    size_t vlen;
    if ((v = header_value(h + start, len, "Server", &vlen)) != NULL && id->server[0] == '\0')
      printable_line(v, vlen, id->server, sizeof id->server);
    else if ((v = header_value(h + start, len, "WWW-Authenticate", &vlen)) != NULL)
      add_scheme(id, v, vlen);
  }
}

/* What came (a greeting, or the answer to our request) named as a service. */
static void record(rd_probe *p, const uint8_t *bytes, size_t n, size_t total) {
  rd_probe_facts *f = p->facts;
  rd_ident_facts *id = &f->ident;
  keep(id, bytes, total > n ? n : total);
  id->bytes_received = total;
  f->service = classify(bytes, n, f->banner, sizeof f->banner);
  if (f->service == RD_SVC_HTTP && p->state != RD_PS_IDENT_WAIT_GREETING) {
    read_head(id, bytes, n);
    if (id->tls)
      f->service = RD_SVC_HTTPS;
  }
}

int rd_probe_feed_ident(rd_probe *p, const uint8_t *frame, size_t n, rd_us now) {
  rd_ident_facts *id = &p->facts->ident;
  switch (p->state) {
  case RD_PS_IDENT_WAIT_GREETING:
    record(p, frame, n, n);
    id->outcome = RD_IDENT_GREETING;
    break;
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    record(p, frame, n, n);
    id->outcome = RD_IDENT_ANSWER;
    break;
  default:
    return 0;
  }
  id->took_us = now - p->ident_started;
  rd_probe_finish(p, now);
  return 0;
}

/* A GUID for RDG-Connection-Id: unique enough from the time we were handed (no clock here). */
static void connection_id(rd_us now, char *out, size_t size) {
  uint64_t x = (uint64_t)now * 0x9E3779B97F4A7C15ull;
  uint64_t y = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
  snprintf(out, size, "{%08X-%04X-4%03X-%04X-%012llX}", (unsigned)(x >> 32), (unsigned)(x >> 16) & 0xffffu,
           (unsigned)x & 0xfffu, 0x8000u | ((unsigned)(y >> 48) & 0x3fffu),
           (unsigned long long)(y & 0xffffffffffffull));
}

int rd_probe_pull_ident(rd_probe *p, rd_bld *out, rd_us now) {
  rd_ident_facts *id = &p->facts->ident;
  char req[512], host[300], guid[48];
  const char *h = p->host != NULL ? p->host : "localhost";
  bool v6 = strchr(h, ':') != NULL;
  if (p->port != 0)
    snprintf(host, sizeof host, "%s%s%s:%u", v6 ? "[" : "", h, v6 ? "]" : "", p->port);
  else
    snprintf(host, sizeof host, "%s%s%s", v6 ? "[" : "", h, v6 ? "]" : "");
  id->tls = p->transport == RD_TRANSPORT_TLS;
  int w;
  if (id->tls) {
    connection_id(now, guid, sizeof guid);
    w = snprintf(req, sizeof req,
                 "%s\r\nHost: %s\r\nAccept: */*\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n"
                 "RDG-Connection-Id: %s\r\nUser-Agent: rdpdoctor\r\n\r\n"
                 "%s\r\nHost: %s\r\nAccept: */*\r\nUser-Agent: rdpdoctor\r\nConnection: close\r\n\r\n",
                 rdg_line, host, guid, tls_get_line, host);
  } else {
    w = snprintf(req, sizeof req, "%s\r\nHost: %s\r\nAccept: */*\r\nUser-Agent: rdpdoctor\r\n\r\n", get_line, host);
  }
  snprintf(id->request, sizeof id->request, "%s", id->tls ? rdg_line : get_line);
  if (w <= 0 || (size_t)w >= sizeof req || !rd_bld_add_bytes(out, (const uint8_t *)req, (size_t)w)) {
    rd_probe_local_error(p, RD_E_NOMEM, now);
    return RD_E_NOMEM;
  }
  rd_probe_enter(p, RD_PS_IDENT_WAIT_HTTP, now);
  return 0;
}

/* Ends without a whole greeting or answer: what had arrived still names the service. */
void rd_probe_end_ident(rd_probe *p, rd_ident_outcome how, rd_us now) {
  rd_ident_facts *id = &p->facts->ident;
  if (id->n_first_bytes > 0 && how != RD_IDENT_LOCAL_ERROR) {
    record(p, id->first_bytes, id->n_first_bytes, id->bytes_received);
    how = p->state == RD_PS_IDENT_WAIT_GREETING ? RD_IDENT_GREETING : RD_IDENT_ANSWER;
  } else if (id->tls && (how == RD_IDENT_CLOSED || how == RD_IDENT_RESET || how == RD_IDENT_SILENT)) {
    how = RD_IDENT_TLS_ONLY;
  }
  id->outcome = how;
  id->took_us = now - p->ident_started;
  rd_probe_finish(p, now);
}

void rd_probe_expire_ident(rd_probe *p, rd_us now, bool cut) {
  rd_probe_facts *f = p->facts;
  switch (p->state) {
  case RD_PS_IDENT_WAIT_GREETING:
    if (cut || f->ident.n_first_bytes > 0) { /* part of a greeting came: it is the evidence */
      rd_probe_end_ident(p, cut ? RD_IDENT_CUT : RD_IDENT_SILENT, now);
      return;
    }
    /* Nothing spoke first: ask. */
    rd_probe_enter(p, p->plain_http ? RD_PS_IDENT_SEND_HTTP : RD_PS_IDENT_TLS, now);
    return;
  case RD_PS_IDENT_TLS:
    f->tls.outcome = cut ? RD_TLSO_CUT : RD_TLSO_STALL;
    f->tls.took_us = now - p->step_started;
    f->ident.outcome = cut ? RD_IDENT_CUT : RD_IDENT_TLS_FAILED;
    f->ident.took_us = now - p->ident_started;
    rd_probe_finish(p, now);
    return;
  case RD_PS_IDENT_SEND_HTTP:
  case RD_PS_IDENT_WAIT_HTTP:
    rd_probe_end_ident(p, cut ? RD_IDENT_CUT : RD_IDENT_SILENT, now);
    return;
  default:
    return;
  }
}

void rd_probe_tls_done_ident(rd_probe *p, rd_us now) {
  rd_probe_facts *f = p->facts;
  if (f->tls.outcome == RD_TLSO_OK) {
    p->transport = RD_TRANSPORT_TLS;
    rd_probe_enter(p, RD_PS_IDENT_SEND_HTTP, now);
    return;
  }
  /* A plaintext server may answer a ClientHello in clear (an HTTP 400): its bytes still name it. */
  if (f->tls.outcome == RD_TLSO_PLAINTEXT)
    record(p, f->tls.first_bytes, f->tls.n_first_bytes, f->tls.bytes_after_hello);
  f->ident.outcome = RD_IDENT_TLS_FAILED;
  f->ident.took_us = now - p->ident_started;
  rd_probe_finish(p, now);
}
