#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/cert.h"
#include "core/err.h"
#include "core/x224.h"
#include "net/dns.h"
#include "net/tls.h"
#include "probe/probe.h"

/* Ports that answer on most Windows hosts or their firewalls: SSH, HTTP, HTTPS, SMB. A reset or
 * an accept from any of them proves the host is up while the RDP port stays silent. */
const uint16_t rd_side_ports[RD_MAX_SIDE_PORTS] = {22, 80, 443, 445};

/* The probe set run against the first address that connects (DESIGN.md "Negotiate", "TLS"). */
static const rd_probe_request probe_plan[] = {
    /* What current Windows clients request first (reference §3.4), then the rest. */
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID | RD_X224_PROTOCOL_HYBRID_EX, 0, 0},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0, 0},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_SSL, 0, 0},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_RDP, 0, 0},
    {RD_PROBE_NEGO, true, 0, 0, 0}, /* legacy: no RDP_NEG_REQ */
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_HYBRID, 0, 0},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_RDSTLS, 0, 0},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0303, 0},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0304, 0},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0302, 0},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0301, 0},
};
#define N_PLAN (sizeof probe_plan / sizeof probe_plan[0])
#define MAX_CONNS (RD_MAX_PROBES + RD_MAX_SIDE_PORTS)

typedef struct conn {
  rd_check *chk;
  /* Two sockets: a connect still pending after a few times the fastest connect of this check is
   * replaced once (a lost SYN otherwise costs the kernel's 1 s retransmission). */
  uv_tcp_t tcp[2];
  uv_connect_t creq[2];
  int cur;
  bool retried;
  rd_us attempt_started;
  struct sockaddr_storage dest;
  uv_timer_t timer;
  int open_handles;
  bool closing, connected;
  rd_probe probe;
  rd_probe_facts *facts;   /* NULL for a side-port connect */
  rd_side_port *side;
  rd_tls *tls;
  bool tls_session; /* the handshake completed: reads and writes go through TLS */
  uint8_t rbuf[16384];
} conn;

struct rd_check {
  uv_loop_t *loop;
  rd_check_opts opts;
  rd_check_facts *facts;
  rd_check_done_cb done;
  void *done_arg;
  rd_dns_req *dns;
  bool dns_pending;
  uv_timer_t deadline;
  bool deadline_open;
  rd_tls_ctx *tls_ctx;
  conn *conns[MAX_CONNS];
  size_t n_conns, live_conns;
  bool side_started, finished;
  rd_us t0;
  struct sockaddr_storage addrs[RD_MAX_ADDRS];
  uv_timer_t pacer; /* launches the probes that did not go in the first burst */
  bool pacer_open, pacer_closing;
  size_t next_plan;
  int plan_addr;    /* the address the probe plan runs on */
  rd_us fastest_connect; /* of any probe so far, 0 = none yet */
  bool plan_moved;  /* it moved once, to an address that connected */
};

static rd_us now_us(const rd_check *chk) { return uv_hrtime() / 1000u - chk->t0 + 1; }

static rd_conn_outcome outcome_of(int status) {
  switch (status) {
  case 0:
    return RD_CONN_OK;
  case UV_ECONNREFUSED:
    return RD_CONN_REFUSED;
  case UV_ETIMEDOUT:
  case UV_ECANCELED:
    return RD_CONN_TIMEOUT;
  case UV_EHOSTUNREACH:
  case UV_EHOSTDOWN:
    return RD_CONN_HOST_UNREACH;
  case UV_ENETUNREACH:
  case UV_ENETDOWN:
    return RD_CONN_NET_UNREACH;
  case UV_EACCES:
  case UV_EPERM:
    return RD_CONN_LOCAL_DENIED;
  default:
    return RD_CONN_ERROR;
  }
}

/* ---- finishing ---------------------------------------------------------------------------- */

/* RTT samples: every probe's connect time to the chosen address. */
static void summarize_reach(rd_check_facts *f) {
  rd_us samples[RD_MAX_PROBES];
  size_t n = 0;
  int addr = f->reach.chosen >= 0 ? f->reach.chosen : 0;
  f->reach.samples = f->reach.failures = f->reach.retries = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->req.addr_index != addr || p->connect == RD_CONN_NOT_TRIED)
      continue;
    f->reach.samples++;
    f->reach.retries += p->connect_retries;
    if (p->connect == RD_CONN_OK)
      samples[n++] = p->connect_attempt_us;
    else
      f->reach.failures++;
  }
  if (n == 0)
    return;
  f->reach.rtt_median_us = rd_us_sort_median(samples, n);
  f->reach.rtt_min_us = samples[0];
  f->reach.rtt_max_us = samples[n - 1];
}

static void maybe_finish(rd_check *chk) {
  if (chk->finished || chk->dns_pending || chk->live_conns > 0)
    return;
  chk->finished = true;
  rd_check_facts *f = chk->facts;
  summarize_reach(f);
  f->total_us = now_us(chk);
  if (chk->deadline_open) {
    uv_timer_stop(&chk->deadline);
    uv_close((uv_handle_t *)&chk->deadline, NULL);
    chk->deadline_open = false;
  }
  chk->done(chk->done_arg, chk);
}

static void on_pacer_closed(uv_handle_t *h) {
  rd_check *chk = h->data;
  chk->pacer_closing = false;
  chk->live_conns--;
  maybe_finish(chk);
}

static void on_handle_closed_keep(uv_handle_t *h) {
  conn *c = h->data;
  c->open_handles--;
}

static void on_handle_closed(uv_handle_t *h) {
  conn *c = h->data;
  if (--c->open_handles > 0)
    return;
  rd_check *chk = c->chk;
  chk->live_conns--;
  maybe_finish(chk);
}

static void conn_close(conn *c) {
  if (c->closing)
    return;
  c->closing = true;
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->tcp[c->cur], on_handle_closed);
}

static void pump(conn *c);

/* ---- TLS ---------------------------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status) {
  free(req->data);
  free(req);
}

static void send_bytes(conn *c, const uint8_t *p, size_t n) {
  if (n == 0 || c->closing)
    return;
  uv_write_t *req = malloc(sizeof *req);
  uint8_t *copy = malloc(n);
  if (req == NULL || copy == NULL) {
    free(req);
    free(copy);
    return;
  }
  memcpy(copy, p, n);
  req->data = copy;
  uv_buf_t buf = uv_buf_init((char *)copy, (unsigned)n);
  if (uv_write(req, (uv_stream_t *)&c->tcp[c->cur], &buf, 1, on_write) != 0) {
    free(copy);
    free(req);
  }
}

static void flush_tls(conn *c) {
  uint8_t out[4096];
  while (c->tls != NULL && rd_tls_pending(c->tls) > 0) {
    size_t n = rd_tls_pull(c->tls, out, sizeof out);
    if (n == 0)
      break;
    send_bytes(c, out, n);
  }
}

static void keep_certificate(rd_check *chk, conn *c, const rd_tls_result *res) {
  rd_check_facts *f = chk->facts;
  /* Prefer the certificate of an unpinned handshake: it is what a client sees. */
  bool better = !f->have_cert || (f->probes[f->cert_probe].req.tls_pin != 0 && c->facts->req.tls_pin == 0);
  if (!better || res->peer_cert_der == NULL || res->peer_cert_len == 0)
    return;
  uint8_t *der = malloc(res->peer_cert_len);
  if (der == NULL)
    return;
  memcpy(der, res->peer_cert_der, res->peer_cert_len);
  free(f->cert_der);
  f->cert_der = der;
  f->cert_der_len = res->peer_cert_len;
  f->cert_probe = (int)(c->facts - f->probes);
  f->have_cert = rd_cert_facts_from_der(der, res->peer_cert_len, &f->cert) == 0;
}

/* The handshake ended (ok, failed, closed, reset or timed out): record what was seen. */
static void tls_finish(conn *c, rd_tls_outcome hint) {
  rd_tls_facts t = c->facts->tls;
  const rd_tls_result *res = rd_tls_get_result(c->tls);
  if (res != NULL) {
    t.version = res->version;
    snprintf(t.version_name, sizeof t.version_name, "%s", res->version_name);
    snprintf(t.cipher, sizeof t.cipher, "%s", res->cipher);
    t.alert = res->alert_received;
    snprintf(t.alert_name, sizeof t.alert_name, "%s", t.alert >= 0 ? rd_tls_alert_name(t.alert) : "");
    snprintf(t.reason, sizeof t.reason, "%s", res->reason);
  }
  if (hint == RD_TLSO_OK)
    t.outcome = RD_TLSO_OK;
  else if (t.alert >= 0)
    t.outcome = RD_TLSO_ALERT;
  else if (t.n_first_bytes > 0 && (t.first_bytes[0] < 0x14 || t.first_bytes[0] > 0x17))
    t.outcome = RD_TLSO_PLAINTEXT; /* not a TLS record type: the server answered in clear */
  else
    t.outcome = hint;
  if (hint == RD_TLSO_OK && res != NULL) {
    keep_certificate(c->chk, c, res);
    if (res->peer_cert_der != NULL)
      rd_probe_set_server_cert(&c->probe, res->peer_cert_der, res->peer_cert_len);
  }
  rd_probe_tls_done(&c->probe, &t, now_us(c->chk));
}

static void tls_drive(conn *c) {
  int r = rd_tls_step(c->tls);
  flush_tls(c);
  /* A probe that only records TLS facts stops as soon as it has them (DESIGN.md: the TLS facts
   * within 3 round trips, in TLS 1.2 as in 1.3). */
  if (r == RD_TLS_WANT && !rd_probe_needs_tls_session(&c->probe) && rd_tls_facts_ready(c->tls))
    r = RD_TLS_DONE;
  if (r == RD_TLS_DONE) {
    tls_finish(c, RD_TLSO_OK);
    c->tls_session = true;
    if (rd_probe_done(&c->probe))
      conn_close(c);
    else
      pump(c);
  } else if (r == RD_TLS_FAILED) {
    tls_finish(c, RD_TLSO_ERROR);
    conn_close(c);
  }
}

static void tls_start(conn *c, int version) {
  const char *host = c->chk->opts.host;
  bool literal = c->chk->facts->name.status == RD_NAME_LITERAL;
  c->tls = rd_tls_new(c->chk->tls_ctx, version, version, literal ? NULL : host);
  if (c->tls == NULL) {
    rd_tls_facts t = c->facts->tls;
    t.outcome = RD_TLSO_ERROR;
    snprintf(t.reason, sizeof t.reason, "cannot create a TLS connection");
    rd_probe_tls_done(&c->probe, &t, now_us(c->chk));
    conn_close(c);
    return;
  }
  tls_drive(c);
}

/* ---- probe pumping ------------------------------------------------------------------------ */

static void on_timer(uv_timer_t *t);
static void on_connect(uv_connect_t *req, int status);
static void on_handle_closed_keep(uv_handle_t *h);
static void conn_retry(conn *c);
static void record_address(conn *c);
static void maybe_move_plan(rd_check *chk);
static void launch_probes(rd_check *chk);

/* When a pending connect gets its replacement: a few times the fastest connect this check has
 * seen, never before 250 ms; RD_US_NONE until a connect has completed (then the path's delay is
 * unknown, and a second SYN would only add load). */
static rd_us retry_at(const conn *c) {
  rd_us fastest = c->chk->fastest_connect;
  if (c->retried || fastest == 0 || c->probe.state != RD_PS_CONNECTING)
    return RD_US_NONE;
  rd_us wait = 4 * fastest > 250000 ? 4 * fastest : 250000;
  return c->attempt_started + wait;
}

static void arm_timer(conn *c) {
  if (c->closing)
    return;
  rd_us deadline = rd_probe_deadline(&c->probe);
  rd_us retry = retry_at(c);
  if (retry < deadline)
    deadline = retry;
  if (deadline == RD_US_NONE) {
    uv_timer_stop(&c->timer);
    return;
  }
  rd_us now = now_us(c->chk);
  uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* After any event: send what the probe wants to send, start TLS when it asks, close when done. */
static void pump(conn *c) {
  uint8_t out[1024];
  bool inside = rd_probe_in_tls(&c->probe);
  ssize_t n = rd_probe_pull(&c->probe, out, sizeof out, now_us(c->chk));
  if (n > 0 && inside && c->tls_session) {
    if (rd_tls_write(c->tls, out, (size_t)n) == (int)n)
      flush_tls(c);
  } else if (n > 0) {
    send_bytes(c, out, (size_t)n);
  }
  int version;
  if (c->tls == NULL && rd_probe_wants_tls(&c->probe, &version))
    tls_start(c, version);
  if (rd_probe_done(&c->probe))
    conn_close(c);
  else
    arm_timer(c);
}

static void on_timer(uv_timer_t *t) {
  conn *c = t->data;
  rd_us now = now_us(c->chk);
  if (retry_at(c) <= now && rd_probe_deadline(&c->probe) > now) {
    conn_retry(c);
    arm_timer(c);
    return;
  }
  if (rd_probe_deadline(&c->probe) > now) {
    arm_timer(c);
    return;
  }
  bool connecting = c->probe.state == RD_PS_CONNECTING;
  if (c->tls != NULL && !c->tls_session && !rd_probe_done(&c->probe)) {
    tls_finish(c, RD_TLSO_STALL);
  } else {
    rd_probe_expire(&c->probe, now);
  }
  conn_close(c);
  if (connecting && c->facts != NULL)
    record_address(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = h->data;
  *buf = uv_buf_init((char *)c->rbuf, sizeof c->rbuf);
}

/* Application data inside the TLS session (CredSSP). */
static void session_bytes(conn *c, const uint8_t *p, size_t n) {
  rd_us now = now_us(c->chk);
  if (rd_tls_feed(c->tls, p, n) != 0) {
    rd_probe_eof(&c->probe, true, now);
    conn_close(c);
    return;
  }
  uint8_t plain[4096];
  for (int guard = 0; guard < 64 && !rd_probe_done(&c->probe); guard++) {
    int r = rd_tls_read(c->tls, plain, sizeof plain);
    if (r > 0) {
      rd_probe_feed(&c->probe, plain, (size_t)r, now);
      continue;
    }
    if (r != RD_TLS_WANT)
      rd_probe_eof(&c->probe, r != 0, now); /* close_notify, or a broken session */
    break;
  }
  flush_tls(c); /* TLS may have answered something (a key update) */
  if (rd_probe_done(&c->probe))
    conn_close(c);
  else
    pump(c);
}

static void tls_bytes(conn *c, const uint8_t *p, size_t n) {
  if (c->tls_session) {
    session_bytes(c, p, n);
    return;
  }
  rd_tls_facts *t = &c->facts->tls;
  size_t room = sizeof t->first_bytes - t->n_first_bytes;
  size_t keep = n < room ? n : room;
  memcpy(t->first_bytes + t->n_first_bytes, p, keep);
  t->n_first_bytes += keep;
  t->bytes_after_hello += n;
  if (rd_tls_feed(c->tls, p, n) != 0) {
    tls_finish(c, RD_TLSO_ERROR);
    conn_close(c);
    return;
  }
  tls_drive(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  if (c->closing)
    return;
  rd_us now = now_us(c->chk);
  if (nread > 0) {
    if (c->tls != NULL)
      tls_bytes(c, (const uint8_t *)buf->base, (size_t)nread);
    else
      rd_probe_feed(&c->probe, (const uint8_t *)buf->base, (size_t)nread, now);
    if (!c->closing)
      pump(c);
    return;
  }
  if (nread == 0)
    return;
  bool reset = nread != UV_EOF;
  if (c->tls_session) {
    rd_probe_eof(&c->probe, reset, now);
  } else if (c->tls != NULL) {
    rd_tls_eof(c->tls);
    tls_finish(c, reset ? RD_TLSO_RESET : RD_TLSO_CLOSED);
  } else {
    rd_probe_eof(&c->probe, reset, now);
  }
  conn_close(c);
}

static void start_side_ports(rd_check *chk);
static void on_pacer_closed(uv_handle_t *h);

static void on_connect(uv_connect_t *req, int status) {
  conn *c = req->data;
  if (req != &c->creq[c->cur])
    return; /* the socket a retry replaced */
  if (status == UV_ECANCELED && c->closing)
    return; /* our own timeout closed it; the timer recorded the fact */
  rd_us now = now_us(c->chk);
  rd_conn_outcome outcome = outcome_of(status);
  if (c->side != NULL) {
    c->side->outcome = outcome;
    c->side->connect_us = now;
    conn_close(c);
    return;
  }
  rd_probe_connected(&c->probe, outcome, status == 0 ? 0 : -status, now);
  c->facts->connect_attempt_us = now - c->attempt_started;
  if (status == 0 && (c->chk->fastest_connect == 0 || c->facts->connect_attempt_us < c->chk->fastest_connect))
    c->chk->fastest_connect = c->facts->connect_attempt_us;
  record_address(c);
  if (status == 0) {
    c->connected = true;
    uv_read_start((uv_stream_t *)&c->tcp[c->cur], alloc_cb, on_read);
    pump(c);
  } else {
    conn_close(c);
  }
}

/* The first connect outcome per address, the chosen address, and the side-port trigger. */
static void record_address(conn *c) {
  rd_check_facts *f = c->chk->facts;
  const rd_probe_facts *pf = c->facts;
  int a = pf->req.addr_index;
  if (f->reach.addr_outcome[a] != RD_CONN_OK) { /* once an address connected, it did */
    f->reach.addr_outcome[a] = pf->connect;
    f->reach.addr_connect_us[a] = pf->connect_us;
  }
  rd_check *chk = c->chk;
  if (pf->connect == RD_CONN_OK && f->reach.chosen < 0 && a == chk->plan_addr)
    f->reach.chosen = a;
  maybe_move_plan(chk);
  if (pf->connect == RD_CONN_TIMEOUT && a == chk->plan_addr && f->name.n_addrs == 1)
    start_side_ports(chk);
}

/* Whether every probe of the plan launched so far on its address failed to connect. */
static bool plan_address_failed(const rd_check *chk) {
  const rd_check_facts *f = chk->facts;
  unsigned tried = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->req.kind == RD_PROBE_CONNECT || p->req.addr_index != chk->plan_addr)
      continue;
    if (p->connect == RD_CONN_OK || p->connect == RD_CONN_NOT_TRIED)
      return false;
    tried++;
  }
  return tried > 0;
}

/* DESIGN.md: where a name has several addresses, the full probe set runs on the first that
 * connects. The plan starts on the first address (most clients try it first); when all its
 * connects failed and another address connected, the plan starts over there. */
static void maybe_move_plan(rd_check *chk) {
  rd_check_facts *f = chk->facts;
  if (f->reach.chosen >= 0 || chk->plan_moved || chk->finished || !plan_address_failed(chk))
    return;
  for (size_t k = 0; k < f->name.n_addrs; k++) {
    if ((int)k == chk->plan_addr || f->reach.addr_outcome[k] != RD_CONN_OK)
      continue;
    chk->plan_moved = true;
    chk->plan_addr = (int)k;
    f->reach.chosen = (int)k;
    chk->next_plan = 0;
    launch_probes(chk);
    return;
  }
}

static void on_side_timer(uv_timer_t *t) {
  conn *c = t->data;
  c->side->outcome = RD_CONN_TIMEOUT;
  conn_close(c);
}

static conn *conn_new(rd_check *chk) {
  if (chk->n_conns == MAX_CONNS)
    return NULL;
  conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->chk = chk;
  if (uv_tcp_init(chk->loop, &c->tcp[0]) != 0) {
    free(c);
    return NULL;
  }
  uv_timer_init(chk->loop, &c->timer);
  c->tcp[0].data = c->tcp[1].data = c->timer.data = c->creq[0].data = c->creq[1].data = c;
  c->open_handles = 2;
  uv_tcp_nodelay(&c->tcp[0], 1);
  chk->conns[chk->n_conns++] = c;
  chk->live_conns++;
  return c;
}

/* Starts the connect of a prepared conn; a synchronous failure (no route, bad family) is
 * reported through the same callback as an asynchronous one. */
static void conn_connect(conn *c, const struct sockaddr *sa) {
  memcpy(&c->dest, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
  c->attempt_started = now_us(c->chk);
  int r = uv_tcp_connect(&c->creq[c->cur], &c->tcp[c->cur], sa, on_connect);
  if (r != 0)
    on_connect(&c->creq[c->cur], r);
}

/* The replacement connect: the pending socket closes (its connect callback then reports
 * UV_ECANCELED, which on_connect ignores) and a fresh one tries again. */
static void conn_retry(conn *c) {
  rd_check *chk = c->chk;
  c->retried = true;
  if (uv_tcp_init(chk->loop, &c->tcp[1]) != 0)
    return;
  c->open_handles++;
  uv_close((uv_handle_t *)&c->tcp[0], on_handle_closed_keep);
  c->cur = 1;
  uv_tcp_nodelay(&c->tcp[1], 1);
  if (c->facts != NULL)
    c->facts->connect_retries++;
  conn_connect(c, (const struct sockaddr *)&c->dest);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port) {
  if (ss->ss_family == AF_INET)
    ((struct sockaddr_in *)ss)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void start_probe(rd_check *chk, const rd_probe_request *plan, int addr_index) {
  rd_check_facts *f = chk->facts;
  if (f->n_probes == RD_MAX_PROBES)
    return;
  rd_probe_facts *pf = &f->probes[f->n_probes++];
  memset(pf, 0, sizeof *pf);
  pf->req = *plan;
  pf->req.addr_index = addr_index;
  conn *c = conn_new(chk);
  if (c == NULL) {
    rd_probe probe;
    rd_probe_init(&probe, pf, 0, now_us(chk));
    rd_probe_connected(&probe, RD_CONN_ERROR, ENOMEM, now_us(chk));
    return;
  }
  c->facts = pf;
  rd_probe_init(&c->probe, pf, (rd_us)chk->opts.step_ms * 1000u, now_us(chk));
  if (plan->kind == RD_PROBE_NEGO)
    rd_probe_set_auth(&c->probe, chk->opts.auth);
  arm_timer(c);
  struct sockaddr_storage ss = chk->addrs[addr_index];
  set_port(&ss, chk->opts.port);
  conn_connect(c, (const struct sockaddr *)&ss);
}

static void start_side_ports(rd_check *chk) {
  rd_check_facts *f = chk->facts;
  if (chk->side_started || chk->opts.no_side_ports || f->reach.chosen >= 0 || f->name.n_addrs == 0 ||
      chk->finished)
    return;
  chk->side_started = true;
  for (size_t i = 0; i < RD_MAX_SIDE_PORTS; i++) {
    if (rd_side_ports[i] == chk->opts.port)
      continue;
    conn *c = conn_new(chk);
    if (c == NULL)
      break;
    rd_side_port *sp = &f->reach.side[f->reach.n_side++];
    sp->port = rd_side_ports[i];
    sp->outcome = RD_CONN_NOT_TRIED;
    c->side = sp;
    uv_timer_start(&c->timer, on_side_timer, chk->opts.step_ms, 0);
    struct sockaddr_storage ss = chk->addrs[f->reach.chosen >= 0 ? f->reach.chosen : 0];
    set_port(&ss, sp->port);
    conn_connect(c, (const struct sockaddr *)&ss);
  }
}

/* ---- name, start, deadline ---------------------------------------------------------------- */

static void close_pacer(rd_check *chk) {
  if (!chk->pacer_open)
    return;
  chk->pacer_open = false;
  chk->pacer_closing = true;
  uv_timer_stop(&chk->pacer);
  uv_close((uv_handle_t *)&chk->pacer, on_pacer_closed);
}

/* Servers with a short listen backlog (xrdp listens with a backlog of 2) drop SYNs that arrive
 * together, and each dropped SYN costs a 1 s retransmission. So the probes most like a real
 * client go first, together, and the rest follow one per pace_ms. */
/* A connect pending for several times the fastest one means the server's listen queue is full
 * (or the path lost a SYN): launching more only adds to the queue. */
static bool server_backlogged(const rd_check *chk) {
  if (chk->fastest_connect == 0)
    return false;
  rd_us now = now_us(chk), limit = 3 * chk->fastest_connect > 5000 ? 3 * chk->fastest_connect : 5000;
  for (size_t i = 0; i < chk->n_conns; i++) {
    const conn *c = chk->conns[i];
    if (!c->closing && c->facts != NULL && c->probe.state == RD_PS_CONNECTING && now - c->attempt_started > limit)
      return true;
  }
  return false;
}

static void on_pacer(uv_timer_t *t) {
  rd_check *chk = t->data;
  if (server_backlogged(chk) && !chk->facts->deadline_hit)
    return;
  if (chk->next_plan < N_PLAN && !chk->facts->deadline_hit)
    start_probe(chk, &probe_plan[chk->next_plan++], chk->plan_addr);
  if (chk->next_plan >= N_PLAN || chk->facts->deadline_hit)
    close_pacer(chk);
}

static void launch_probes(rd_check *chk) {
  /* A pacer still closing cannot start again: launch the rest at once then. */
  size_t burst = chk->opts.burst && chk->opts.pace_ms && !chk->pacer_closing ? chk->opts.burst : N_PLAN;
  while (chk->next_plan < N_PLAN && chk->next_plan < burst)
    start_probe(chk, &probe_plan[chk->next_plan++], chk->plan_addr);
  if (chk->next_plan >= N_PLAN || chk->pacer_open)
    return;
  uv_timer_init(chk->loop, &chk->pacer);
  chk->pacer.data = chk;
  chk->pacer_open = true;
  chk->live_conns++; /* the pacer keeps the check open until it is done */
  uv_timer_start(&chk->pacer, on_pacer, chk->opts.pace_ms, chk->opts.pace_ms);
}

static rd_name_status name_status_of(rd_dns_status s) {
  switch (s) {
  case RD_DNS_OK:
    return RD_NAME_OK;
  case RD_DNS_LITERAL:
    return RD_NAME_LITERAL;
  case RD_DNS_NXDOMAIN:
    return RD_NAME_NXDOMAIN;
  case RD_DNS_NODATA:
    return RD_NAME_NODATA;
  case RD_DNS_SERVFAIL:
    return RD_NAME_SERVFAIL;
  case RD_DNS_REFUSED:
    return RD_NAME_REFUSED;
  case RD_DNS_TIMEOUT:
    return RD_NAME_TIMEOUT;
  case RD_DNS_NO_SERVERS:
    return RD_NAME_NO_SERVERS;
  case RD_DNS_SKIPPED:
    return RD_NAME_NOT_TRIED;
  case RD_DNS_CANCELLED: /* only the whole-check deadline cancels a lookup */
    return RD_NAME_TIMEOUT;
  default:
    return RD_NAME_ERROR;
  }
}

static void on_resolved(void *arg, const rd_dns_result *res) {
  rd_check *chk = arg;
  rd_check_facts *f = chk->facts;
  chk->dns_pending = false;
  chk->dns = NULL;
  f->name.status = name_status_of(res->status);
  f->name.status_a = name_status_of(res->status_a);
  f->name.status_aaaa = name_status_of(res->status_aaaa);
  f->name.from_hosts_file = res->from_hosts_file;
  f->name.took_us = (rd_us)res->duration_ms * 1000u;
  snprintf(f->name.detail, sizeof f->name.detail, "%s", res->detail);
  for (size_t i = 0; i < res->n_addrs && f->name.n_addrs < RD_MAX_ADDRS; i++) {
    size_t k = f->name.n_addrs++;
    snprintf(f->name.addrs[k], RD_ADDR_TEXT, "%s", res->addrs[i].text);
    f->name.families[k] = res->addrs[i].family;
    memcpy(&chk->addrs[k], &res->addrs[i].sa, sizeof chk->addrs[k]);
  }
  if (chk->finished || f->name.n_addrs == 0) {
    maybe_finish(chk);
    return;
  }
  /* A connect only to each of the other addresses; the full probe set on the first, paced. */
  static const rd_probe_request connect_only = {RD_PROBE_CONNECT, false, 0, 0, 0};
  for (size_t k = 1; k < f->name.n_addrs; k++)
    start_probe(chk, &connect_only, (int)k);
  launch_probes(chk);
  maybe_finish(chk);
}

static void on_deadline(uv_timer_t *t) {
  rd_check *chk = t->data;
  chk->facts->deadline_hit = true;
  close_pacer(chk);
  if (chk->dns != NULL)
    rd_dns_cancel(chk->dns);
  rd_us now = now_us(chk);
  for (size_t i = 0; i < chk->n_conns; i++) {
    conn *c = chk->conns[i];
    if (c->closing)
      continue;
    if (c->side != NULL) {
      c->side->outcome = RD_CONN_TIMEOUT;
    } else if (c->tls != NULL && !c->tls_session && !rd_probe_done(&c->probe)) {
      tls_finish(c, RD_TLSO_STALL);
    } else {
      rd_probe_expire(&c->probe, now);
    }
    conn_close(c);
  }
  maybe_finish(chk);
}

int rd_check_start(uv_loop_t *loop, const rd_check_opts *opts, rd_check_facts *facts,
                   rd_check_done_cb done, void *arg, rd_check **out) {
  if (opts->host == NULL || opts->host[0] == '\0' || strlen(opts->host) >= sizeof facts->host)
    return RD_E_INVALID;
  rd_check *chk = calloc(1, sizeof *chk);
  if (chk == NULL)
    return RD_E_NOMEM;
  chk->loop = loop;
  chk->opts = *opts;
  if (chk->opts.timeout_ms == 0)
    chk->opts.timeout_ms = 10000;
  if (chk->opts.step_ms == 0)
    chk->opts.step_ms = 3000;
  if (chk->opts.dns_timeout_ms == 0)
    chk->opts.dns_timeout_ms = 3000;
  if (chk->opts.burst == 0 && chk->opts.pace_ms == 0)
    chk->opts.burst = RD_CHECK_DEFAULT_BURST, chk->opts.pace_ms = RD_CHECK_DEFAULT_PACE_MS;
  chk->facts = facts;
  chk->done = done;
  chk->done_arg = arg;
  chk->t0 = uv_hrtime() / 1000u;
  memset(facts, 0, sizeof *facts);
  snprintf(facts->host, sizeof facts->host, "%s", opts->host);
  facts->port = opts->port;
  facts->started_unix = (int64_t)time(NULL);
  facts->reach.chosen = -1;
  facts->cert_probe = -1;
  facts->auth_requested = opts->auth != NULL;
  chk->tls_ctx = rd_tls_ctx_new();
  if (chk->tls_ctx == NULL) {
    free(chk);
    return RD_E_NOMEM;
  }
  uv_timer_init(loop, &chk->deadline);
  chk->deadline.data = chk;
  chk->deadline_open = true;
  uv_timer_start(&chk->deadline, on_deadline, chk->opts.timeout_ms, 0);

  rd_dns_opts dopts = {0};
  dopts.timeout_ms = chk->opts.dns_timeout_ms;
  dopts.family = chk->opts.family;
  chk->dns_pending = true;
  int r = rd_dns_resolve(loop, opts->host, &dopts, on_resolved, chk, &chk->dns);
  if (r != 0) {
    chk->dns_pending = false;
    uv_timer_stop(&chk->deadline);
    uv_close((uv_handle_t *)&chk->deadline, NULL);
    rd_tls_ctx_free(chk->tls_ctx);
    free(chk);
    return r;
  }
  *out = chk;
  return 0;
}

void rd_check_free(rd_check *chk) {
  if (chk == NULL)
    return;
  for (size_t i = 0; i < chk->n_conns; i++) {
    rd_probe_cleanup(&chk->conns[i]->probe);
    rd_tls_free(chk->conns[i]->tls);
    free(chk->conns[i]);
  }
  rd_tls_ctx_free(chk->tls_ctx);
  free(chk);
}

static void on_run_done(void *arg, rd_check *chk) { *(bool *)arg = true; }

int rd_check_run(const rd_check_opts *opts, rd_check_facts *facts) {
  uv_loop_t loop;
  bool done = false;
  rd_check *chk = NULL;
  if (uv_loop_init(&loop) != 0)
    return RD_E_NOMEM;
  int r = rd_check_start(&loop, opts, facts, on_run_done, &done, &chk);
  if (r == 0)
    uv_run(&loop, UV_RUN_DEFAULT);
  /* The deadline handle closes inside the run; let its close callback happen. */
  uv_run(&loop, UV_RUN_DEFAULT);
  rd_check_free(chk);
  uv_loop_close(&loop);
  return r != 0 ? r : (done ? 0 : RD_E_STATE);
}
