#include "engine.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <linux/tcp.h> /* struct tcp_info with tcpi_dsack_dups, which glibc's copy lacks */
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "core/err.h"
#include "net/dns.h"
#include "net/tls.h"

/* A frame the engine will assemble for a probe; a probe never asks for more (a TPKT is at most
 * 64 KiB, a TSRequest is capped below that), so this only bounds a hostile stream. */
#define MAX_FRAME (1u << 20)
/* The replacement SYN goes out after a few times the fastest connect of the check, never sooner
 * than this: below it, a slow connect is jitter, not a lost SYN. */
#define REPLACE_FLOOR_US 250000u

struct rd_engine {
  uv_loop_t *loop;
  rd_engine_opts opts;
  rd_tls_ctx *tls_ctx;
  rd_crypto_once crypto; /* licensing's computations, made when a check first needs them */
  rd_dns_resolver *dns; /* one c-ares channel for every run's Name phase */
  uint8_t rbuf[65536];  /* every read on the loop lands here, then moves to its connection */
  uint8_t plain[16384]; /* decrypted application data, on its way to a connection's frame buffer */
  unsigned runs;
};

typedef enum conn_state { C_QUEUED, C_CONNECTING, C_OPEN, C_CLOSING } conn_state;

/* A connection's socket. Allocated when the connect is launched (a queued probe holds none) and
 * freed by its close callback, so a replaced socket can finish closing while its successor
 * connects: a check holds sockets only for what it has launched. */
typedef struct sock {
  uv_tcp_t tcp;
  uv_connect_t creq;
  struct conn *conn;
} sock;

typedef struct conn {
  rd_run *run;
  int id;
  bool probe;           /* a probe (paced) or a side-port connect */
  conn_state st;
  /* A connect still pending after a few times the fastest connect of this check is replaced once
   * with a fresh socket (a lost SYN otherwise costs the kernel's 1 s retransmission). */
  sock *s;
  bool replaced;
  rd_us attempt_started;
  int addr_index;       /* into run->addrs */
  uint16_t port;
  rd_tls *tls;
  bool tls_facts_only, tls_ended;
  uint8_t *buf;         /* bytes received, not yet a whole frame */
  size_t len, cap;
  long retrans_at_connect; /* the kernel's retransmission count when the connect completed, -1 unknown */
  long retrans_at_reply;   /* … when the first bytes arrived, -1 none yet */
  bool answered;           /* bytes arrived: the server has accepted this connection */
} conn;

struct rd_run {
  rd_engine *eng;
  rd_check *chk;
  rd_check_facts *facts;
  rd_run_done_cb done;
  void *arg;
  uv_timer_t timer;
  unsigned handles;     /* open libuv handles of this run (the timer and every socket) */
  rd_dns_req *dns;
  /* The resolved addresses, port 0 (an IPv4 or IPv6 address: not a whole sockaddr_storage each). */
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
  } addrs[RD_MAX_ADDRS];
  size_t n_addrs;
  conn *conns[RD_CHECK_MAX_CONNS];
  int queue[RD_CHECK_MAX_CONNS]; /* probe connects waiting for the pacer, in the check's order */
  size_t q_len;
  unsigned launched;    /* probe connects launched so far */
  rd_us last_launch;
  rd_us fastest_connect; /* of any probe so far, 0 = none yet */
  rd_us last_answer;     /* when a probe connection last got its first bytes, 0 = never */
  bool in_drive, again, finished, timer_closing;
};

static rd_us now_us(void) { return uv_hrtime() / 1000u; }

static void drive(rd_run *run);

/* ---- handles and closing ------------------------------------------------------------------ */

static void on_closed(uv_handle_t *h) {
  rd_run *run = h->data;
  run->handles--;
  if (run->finished && run->handles == 0)
    run->done(run->arg, run);
}

static void on_tcp_closed(uv_handle_t *h) {
  sock *k = h->data;
  rd_run *run = k->conn->run;
  free(k);
  run->handles--;
  if (run->finished && run->handles == 0)
    run->done(run->arg, run);
}

static void sock_close(sock *k) { uv_close((uv_handle_t *)&k->tcp, on_tcp_closed); }

/* The kernel's count of segments this socket sent again and the receiver had not already got (the
 * SYN's included), -1 when unknown. A tail-loss probe sent while a slow server delays its ACK is a
 * retransmission too, but the receiver reports the duplicate (D-SACK): those are taken off, so
 * what remains was lost. */
static long tcp_retransmits(conn *c) {
#ifdef __linux__
  uv_os_fd_t fd;
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (uv_fileno((const uv_handle_t *)&c->s->tcp, &fd) != 0 ||
      getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
    return -1;
  if (len < offsetof(struct tcp_info, tcpi_dsack_dups) + sizeof ti.tcpi_dsack_dups)
    return -1; /* a kernel that cannot tell spurious from real: no claim */
  return ti.tcpi_total_retrans >= ti.tcpi_dsack_dups ? (long)(ti.tcpi_total_retrans - ti.tcpi_dsack_dups) : 0;
#else
  (void)c;
  return -1;
#endif
}

static void dequeue(rd_run *run, int id) {
  for (size_t i = 0; i < run->q_len; i++)
    if (run->queue[i] == id) {
      memmove(&run->queue[i], &run->queue[i + 1], (run->q_len - i - 1) * sizeof run->queue[0]);
      run->q_len--;
      return;
    }
}

static void conn_close(conn *c) {
  if (c->st == C_CLOSING)
    return;
  /* What a connection holds goes at once, not at the end of the check: many checks share a loop. */
  rd_tls_free(c->tls);
  c->tls = NULL;
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
  if (c->st == C_QUEUED) {
    dequeue(c->run, c->id);
  } else {
    long at_close = c->st == C_OPEN ? tcp_retransmits(c) : -1;
    long at_reply = c->retrans_at_reply >= 0 ? c->retrans_at_reply : at_close;
    if (at_close >= at_reply && at_reply >= c->retrans_at_connect && c->retrans_at_connect >= 0)
      rd_check_retransmits(c->run->chk, c->id, (unsigned)(at_reply - c->retrans_at_connect),
                           (unsigned)(at_close - at_reply));
    sock_close(c->s);
    c->s = NULL;
  }
  c->st = C_CLOSING;
}

/* ---- sending -------------------------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status) {
  conn *c = req->data;
  free(req);
  if (status == 0 || status == UV_ECANCELED || c->st == C_CLOSING)
    return;
  rd_us now = now_us();
  /* A reset while our bytes were on their way is the server's doing; anything else is ours. */
  if (status == UV_ECONNRESET || status == UV_EPIPE)
    rd_check_eof(c->run->chk, c->id, true, now);
  else
    rd_check_local_error(c->run->chk, c->id, RD_E_IO, now);
  drive(c->run);
}

static int send_raw(conn *c, const uint8_t *p, size_t n) {
  if (n == 0 || c->st != C_OPEN)
    return 0;
  uv_write_t *req = malloc(sizeof *req + n);
  if (req == NULL)
    return RD_E_NOMEM;
  uint8_t *copy = (uint8_t *)(req + 1);
  memcpy(copy, p, n);
  req->data = c;
  uv_buf_t buf = uv_buf_init((char *)copy, (unsigned)n);
  if (uv_write(req, (uv_stream_t *)&c->s->tcp, &buf, 1, on_write) != 0) {
    free(req);
    return RD_E_IO;
  }
  return 0;
}

static int flush_tls(conn *c) {
  uint8_t out[4096];
  while (c->tls != NULL && rd_tls_pending(c->tls) > 0) {
    size_t n = rd_tls_pull(c->tls, out, sizeof out);
    if (n == 0)
      break;
    int r = send_raw(c, out, n);
    if (r != 0)
      return r;
  }
  return 0;
}

/* ---- receiving: framing ------------------------------------------------------------------- */

static int append(conn *c, const uint8_t *p, size_t n) {
  if (c->len + n > MAX_FRAME)
    return RD_E_TOO_BIG;
  if (c->len + n > c->cap) {
    size_t cap = c->cap ? c->cap : 512;
    while (cap < c->len + n)
      cap *= 2;
    uint8_t *b = realloc(c->buf, cap);
    if (b == NULL)
      return RD_E_NOMEM;
    c->buf = b;
    c->cap = cap;
  }
  memcpy(c->buf + c->len, p, n);
  c->len += n;
  return 0;
}

/* Hands the check every whole frame buffered, as its probe frames them; what is left is partial. */
static void deliver(conn *c, rd_us now) {
  rd_check *chk = c->run->chk;
  size_t off = 0;
  while (off < c->len && c->st == C_OPEN) {
    size_t need = rd_check_need(chk, c->id, c->buf + off, c->len - off);
    if (need == 0 || need > c->len - off)
      break;
    rd_check_frame(chk, c->id, c->buf + off, need, now);
    off += need;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  if (c->len > 0)
    rd_check_partial(chk, c->id, c->buf, c->len, now);
}

static void received(conn *c, const uint8_t *p, size_t n, rd_us now) {
  int r = append(c, p, n);
  if (r != 0) {
    rd_check_local_error(c->run->chk, c->id, r, now);
    return;
  }
  deliver(c, now);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

static void tls_report(conn *c, rd_tls_end end, rd_us now) {
  const rd_tls_result *res = rd_tls_get_result(c->tls);
  rd_tls_event ev = {.end = end, .alert = -1};
  c->tls_ended = true;
  if (res != NULL) {
    ev.version = res->version;
    ev.version_name = res->version_name;
    ev.cipher = res->cipher;
    ev.alert = res->alert_received;
    ev.alert_name = res->alert_received >= 0 ? rd_tls_alert_name(res->alert_received) : "";
    ev.reason = res->reason;
    ev.cert_der = res->peer_cert_der;
    ev.cert_len = res->peer_cert_len;
  }
  rd_check_tls_done(c->run->chk, c->id, &ev, now);
}

/* Application data inside the session: decrypted into frames. */
static void session_read(conn *c, rd_us now) {
  uint8_t *plain = c->run->eng->plain;
  for (int guard = 0; guard < 1024 && c->st == C_OPEN; guard++) {
    int r = rd_tls_read(c->tls, plain, sizeof c->run->eng->plain);
    if (r > 0) {
      received(c, plain, (size_t)r, now);
      continue;
    }
    if (r != RD_TLS_WANT)
      rd_check_eof(c->run->chk, c->id, r != 0, now); /* close_notify, or a broken session */
    break;
  }
  if (flush_tls(c) != 0) /* TLS may have answered something (a key update) */
    rd_check_local_error(c->run->chk, c->id, RD_E_IO, now);
}

static void tls_drive(conn *c, rd_us now) {
  int r = rd_tls_step(c->tls);
  if (flush_tls(c) != 0) {
    rd_check_local_error(c->run->chk, c->id, RD_E_IO, now);
    return;
  }
  /* A probe that only wants the TLS facts stops as soon as it has them (DESIGN.md: the TLS facts
   * within 3 round trips, in TLS 1.2 as in 1.3). */
  if (r == RD_TLS_WANT && c->tls_facts_only && rd_tls_facts_ready(c->tls))
    r = RD_TLS_DONE;
  if (r == RD_TLS_DONE) {
    tls_report(c, RD_TLS_END_OK, now);
    if (!c->tls_facts_only)
      session_read(c, now); /* the server may have sent data right after its Finished */
  } else if (r == RD_TLS_FAILED) {
    tls_report(c, RD_TLS_END_FAILED, now);
  }
}

static void tls_start(conn *c, const rd_action *a, rd_us now) {
  c->tls = rd_tls_new(c->run->eng->tls_ctx, a->tls.version, a->tls.version, a->host);
  if (c->tls == NULL) {
    rd_check_local_error(c->run->chk, c->id, RD_E_NOMEM, now);
    return;
  }
  c->tls_facts_only = a->tls.facts_only;
  tls_drive(c, now);
}

static void tls_bytes(conn *c, const uint8_t *p, size_t n, rd_us now) {
  if (!c->tls_ended)
    rd_check_tls_bytes(c->run->chk, c->id, p, n);
  int r = rd_tls_feed(c->tls, p, n);
  if (r != 0) {
    if (!c->tls_ended)
      tls_report(c, RD_TLS_END_FAILED, now);
    else
      rd_check_local_error(c->run->chk, c->id, r, now);
    return;
  }
  if (!c->tls_ended)
    tls_drive(c, now);
  else if (!c->tls_facts_only)
    session_read(c, now);
}

/* ---- socket events ----------------------------------------------------------------------- */

static rd_conn_outcome outcome_of(int status) {
  switch (status) {
  case 0:
    return RD_CONN_OK;
  case UV_ECONNREFUSED:
    return RD_CONN_REFUSED;
  case UV_ETIMEDOUT:
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
  case UV_ENOMEM:
  case UV_ENOBUFS:
  case UV_EMFILE:
  case UV_ENFILE:
  case UV_EADDRNOTAVAIL:
    return RD_CONN_LOCAL_ERROR;
  default:
    return RD_CONN_ERROR;
  }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = ((sock *)h->data)->conn;
  *buf = uv_buf_init((char *)c->run->eng->rbuf, sizeof c->run->eng->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = ((sock *)s->data)->conn;
  if (c->st != C_OPEN || nread == 0)
    return;
  rd_us now = now_us();
  if (nread > 0 && !c->answered) {
    c->answered = true;
    if (c->probe)
      c->run->last_answer = now;
    if (c->retrans_at_connect >= 0)
      c->retrans_at_reply = tcp_retransmits(c);
  }
  if (nread > 0) {
    if (c->tls != NULL)
      tls_bytes(c, (const uint8_t *)buf->base, (size_t)nread, now);
    else
      received(c, (const uint8_t *)buf->base, (size_t)nread, now);
  } else if (c->tls != NULL && !c->tls_ended) {
    rd_tls_eof(c->tls);
    tls_report(c, nread == UV_EOF ? RD_TLS_END_CLOSED : RD_TLS_END_RESET, now);
  } else {
    rd_check_eof(c->run->chk, c->id, nread != UV_EOF, now);
  }
  drive(c->run);
}

static void on_connect(uv_connect_t *req, int status) {
  sock *k = req->data;
  conn *c = k->conn;
  if (k != c->s || c->st != C_CONNECTING)
    return; /* the socket a replacement superseded, or a connect we closed */
  rd_us now = now_us(), attempt = now - c->attempt_started;
  rd_run *run = c->run;
  if (status == 0) {
    c->st = C_OPEN;
    c->retrans_at_connect = tcp_retransmits(c);
    c->retrans_at_reply = -1;
    if (c->probe && (run->fastest_connect == 0 || attempt < run->fastest_connect))
      run->fastest_connect = attempt;
    if (uv_read_start((uv_stream_t *)&k->tcp, alloc_cb, on_read) != 0) {
      rd_check_connected(run->chk, c->id, RD_CONN_OK, NULL, attempt, c->replaced, now);
      rd_check_local_error(run->chk, c->id, RD_E_IO, now);
      drive(run);
      return;
    }
  }
  /* libuv's error name: the same on every platform (its numbers are the OS's errno values). */
  rd_check_connected(run->chk, c->id, outcome_of(status), status == 0 ? NULL : uv_err_name(status), attempt,
                     c->replaced, now);
  drive(run);
}

/* A fresh socket for c, counted among the run's handles (its close callback frees it). NULL when
 * libuv or memory fails. */
static sock *sock_new(conn *c) {
  sock *k = malloc(sizeof *k);
  if (k == NULL)
    return NULL;
  if (uv_tcp_init(c->run->eng->loop, &k->tcp) != 0) {
    free(k); /* no handle to close */
    return NULL;
  }
  k->conn = c;
  k->tcp.data = k->creq.data = k;
  c->run->handles++;
  uv_tcp_nodelay(&k->tcp, 1);
  return k;
}

/* Starts a connect on the current socket; a synchronous failure (no route, bad family) is reported
 * like an asynchronous one. */
static void conn_connect(conn *c, rd_us now) {
  struct sockaddr_storage dest;
  memset(&dest, 0, sizeof dest);
  if (c->run->addrs[c->addr_index].sa.sa_family == AF_INET) {
    memcpy(&dest, &c->run->addrs[c->addr_index].in4, sizeof(struct sockaddr_in));
    ((struct sockaddr_in *)&dest)->sin_port = htons(c->port);
  } else {
    memcpy(&dest, &c->run->addrs[c->addr_index].in6, sizeof(struct sockaddr_in6));
    ((struct sockaddr_in6 *)&dest)->sin6_port = htons(c->port);
  }
  c->st = C_CONNECTING;
  c->attempt_started = now;
  int r = uv_tcp_connect(&c->s->creq, &c->s->tcp, (const struct sockaddr *)&dest, on_connect);
  if (r != 0)
    on_connect(&c->s->creq, r);
}

static void launch(conn *c, rd_us now) {
  rd_run *run = c->run;
  if ((c->s = sock_new(c)) == NULL) {
    c->st = C_CLOSING; /* no handle to close */
    rd_check_local_error(run->chk, c->id, RD_E_NOMEM, now);
    return;
  }
  if (c->probe) {
    run->launched++;
    run->last_launch = now;
    rd_check_launched(run->chk, c->id, now);
  }
  conn_connect(c, now);
}

/* The replacement connect: the pending socket closes (its connect callback is then ignored) and a
 * fresh one tries again. */
static void replace_connect(conn *c, rd_us now) {
  c->replaced = true;
  sock *k = sock_new(c);
  if (k == NULL)
    return;
  sock_close(c->s);
  c->s = k;
  conn_connect(c, now);
}

/* When a pending connect gets its replacement. A SYN that a full accept queue dropped is sent again
 * as soon as the server has answered another connection since (its queue has room again), once
 * the connect is pending several times the fastest one (at least OVERDUE_FLOOR_US); otherwise after
 * a few times the fastest connect, never before REPLACE_FLOOR_US (below it a slow connect may be
 * jitter). RD_US_NONE until a connect has completed: the path's delay is unknown then. */
#define OVERDUE_FLOOR_US 5000u
static unsigned unanswered(const rd_run *run);
static rd_us replace_at(const conn *c) {
  const rd_run *run = c->run;
  rd_us fastest = run->fastest_connect;
  if (c->replaced || fastest == 0 || c->st != C_CONNECTING || !c->probe)
    return RD_US_NONE;
  rd_us overdue = c->attempt_started + (4 * fastest > OVERDUE_FLOOR_US ? 4 * fastest : OVERDUE_FLOOR_US);
  /* Room in the queue: an answer since this SYN, and fewer of ours waiting than a burst. */
  if (run->last_answer > c->attempt_started && unanswered(run) - 1 < run->eng->opts.burst)
    return overdue > run->last_answer ? overdue : run->last_answer;
  return c->attempt_started + (4 * fastest > REPLACE_FLOOR_US ? 4 * fastest : REPLACE_FLOOR_US);
}

/* ---- pacing ------------------------------------------------------------------------------- */

/* A connect pending for several times the fastest one means the server's listen queue is full
 * (or the path lost a SYN): launching more only adds to the queue. */
static bool server_backlogged(const rd_run *run, rd_us now) {
  if (run->fastest_connect == 0)
    return false;
  rd_us limit = 3 * run->fastest_connect > 5000 ? 3 * run->fastest_connect : 5000;
  for (size_t i = 0; i < RD_CHECK_MAX_CONNS; i++) {
    const conn *c = run->conns[i];
    if (c != NULL && c->probe && c->st == C_CONNECTING && now - c->attempt_started > limit)
      return true;
  }
  return false;
}

/* Our connections the server may still hold in its accept queue: connecting, or connected with
 * nothing received yet (a server answers the Connection Request only once it has accepted). */
static unsigned unanswered(const rd_run *run) {
  unsigned n = 0;
  for (size_t i = 0; i < RD_CHECK_MAX_CONNS; i++) {
    const conn *c = run->conns[i];
    n += c != NULL && c->probe && (c->st == C_CONNECTING || (c->st == C_OPEN && !c->answered));
  }
  return n;
}

/* Servers with a short listen backlog (xrdp listens with a backlog of 2, so its queue holds 3) drop
 * SYNs that arrive together, and each dropped SYN costs a retransmission. So the probes most like
 * a real client go first, `burst` of them together; then each answer clocks out the next probe,
 * so no more than `burst` of ours wait in a queue at once. A server that does not answer within
 * pace_ms (or four connects' time) is far away or slow: then one more goes every pace_ms anyway,
 * so a long path costs no extra round trip (connects are cheap where the accept queue is not the
 * limit). */
static rd_us next_launch_at(const rd_run *run, rd_us now) {
  const rd_engine_opts *o = &run->eng->opts;
  if (run->q_len == 0)
    return RD_US_NONE;
  if (o->pace_ms == 0 || run->launched < o->burst)
    return now;
  if (server_backlogged(run, now))
    return now + (rd_us)o->pace_ms * 1000u;
  if (unanswered(run) < o->burst)
    return now;
  rd_us hold = (rd_us)o->pace_ms * 1000u;
  if (4 * run->fastest_connect > hold)
    hold = 4 * run->fastest_connect;
  rd_us at = run->last_launch + hold;
  return at > now ? at : now;
}

static void launch_due(rd_run *run, rd_us now) {
  while (run->q_len > 0 && next_launch_at(run, now) <= now) {
    conn *c = run->conns[run->queue[0]];
    memmove(&run->queue[0], &run->queue[1], (run->q_len - 1) * sizeof run->queue[0]);
    run->q_len--;
    launch(c, now);
  }
}

/* ---- actions ------------------------------------------------------------------------------- */

static void on_resolved(void *arg, const rd_dns_result *res);

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
  case RD_DNS_CANCELLED:
    return RD_NAME_CANCELLED;
  case RD_DNS_SKIPPED:
    return RD_NAME_NOT_TRIED;
  case RD_DNS_ERROR:
    break;
  }
  return RD_NAME_ERROR;
}

static void resolve(rd_run *run, const rd_action *a, rd_us now) {
  rd_dns_opts o = {0};
  o.timeout_ms = run->eng->opts.dns_timeout_ms;
  o.family = a->family == 4 ? AF_INET : a->family == 6 ? AF_INET6 : AF_UNSPEC;
  int r = rd_dns_resolve(run->eng->dns, a->host, &o, on_resolved, run, &run->dns);
  if (r != 0) {
    rd_name_facts n;
    memset(&n, 0, sizeof n);
    n.status = n.status_a = n.status_aaaa = RD_NAME_ERROR;
    snprintf(n.detail, sizeof n.detail, "the lookup could not start: %s", rd_err_str(r));
    rd_check_resolved(run->chk, &n, now);
  }
}

static void on_resolved(void *arg, const rd_dns_result *res) {
  rd_run *run = arg;
  rd_name_facts n;
  memset(&n, 0, sizeof n);
  run->dns = NULL;
  n.status = name_status_of(res->status);
  n.status_a = name_status_of(res->status_a);
  n.status_aaaa = name_status_of(res->status_aaaa);
  n.from_hosts_file = res->from_hosts_file;
  n.took_us = (rd_us)res->duration_ms * 1000u;
  snprintf(n.detail, sizeof n.detail, "%s", res->detail);
  for (size_t i = 0; i < res->n_addrs && n.n_addrs < RD_MAX_ADDRS; i++) {
    size_t k = n.n_addrs++;
    snprintf(n.addrs[k], RD_ADDR_TEXT, "%s", res->addrs[i].text);
    n.families[k] = res->addrs[i].family == AF_INET6 ? 6 : 4;
    if (res->addrs[i].family == AF_INET)
      memcpy(&run->addrs[k].in4, &res->addrs[i].sa, sizeof run->addrs[k].in4);
    else
      memcpy(&run->addrs[k].in6, &res->addrs[i].sa, sizeof run->addrs[k].in6);
  }
  run->n_addrs = n.n_addrs;
  rd_check_resolved(run->chk, &n, now_us());
  drive(run);
}

static void connect_action(rd_run *run, const rd_action *a, rd_us now) {
  conn *c = a->conn >= 0 && a->conn < RD_CHECK_MAX_CONNS && run->conns[a->conn] == NULL ? calloc(1, sizeof *c) : NULL;
  if (c == NULL || a->addr_index < 0 || (size_t)a->addr_index >= run->n_addrs) {
    free(c);
    rd_check_local_error(run->chk, a->conn, RD_E_NOMEM, now);
    return;
  }
  run->conns[a->conn] = c;
  c->run = run;
  c->id = a->conn;
  c->probe = a->probe;
  c->addr_index = a->addr_index;
  c->port = a->port;
  c->st = C_QUEUED;
  if (c->probe)
    run->queue[run->q_len++] = c->id;
  else
    launch(c, now);
}

static void send_action(rd_run *run, const rd_action *a, rd_us now) {
  conn *c = run->conns[a->conn];
  int r;
  if (c == NULL || c->st != C_OPEN)
    return;
  if (a->transport == RD_TRANSPORT_TLS) {
    r = c->tls != NULL && c->tls_ended ? rd_tls_write(c->tls, a->data, a->len) : RD_E_STATE;
    r = r == (int)a->len ? flush_tls(c) : r < 0 ? r : RD_E_IO;
  } else {
    r = send_raw(c, a->data, a->len);
  }
  if (r != 0)
    rd_check_local_error(run->chk, c->id, r, now);
}

static void act(rd_run *run, const rd_action *a, rd_us now) {
  conn *c = a->conn >= 0 && a->conn < RD_CHECK_MAX_CONNS ? run->conns[a->conn] : NULL;
  switch (a->kind) {
  case RD_ACT_RESOLVE:
    resolve(run, a, now);
    return;
  case RD_ACT_CANCEL_RESOLVE:
    rd_dns_cancel(run->dns);
    return;
  case RD_ACT_CONNECT:
    connect_action(run, a, now);
    return;
  case RD_ACT_START_TLS:
    if (c != NULL && c->st == C_OPEN && c->tls == NULL)
      tls_start(c, a, now);
    return;
  case RD_ACT_SEND:
    send_action(run, a, now);
    return;
  case RD_ACT_CLOSE:
    if (c != NULL)
      conn_close(c);
    return;
  }
}

/* ---- the drive loop ------------------------------------------------------------------------ */

static void on_timer(uv_timer_t *t);

static void arm_timer(rd_run *run, rd_us now) {
  rd_us at = rd_check_deadline(run->chk);
  rd_us launch_at = next_launch_at(run, now);
  if (launch_at < at)
    at = launch_at;
  for (size_t i = 0; i < RD_CHECK_MAX_CONNS; i++)
    if (run->conns[i] != NULL) {
      rd_us r = replace_at(run->conns[i]);
      if (r < at)
        at = r;
    }
  if (at == RD_US_NONE) {
    uv_timer_stop(&run->timer);
    return;
  }
  uint64_t ms = at > now ? (at - now + 999) / 1000 : 0;
  uv_timer_start(&run->timer, on_timer, ms, 0);
}

static void finish(rd_run *run) {
  run->finished = true;
  uv_timer_stop(&run->timer);
  uv_close((uv_handle_t *)&run->timer, on_closed);
}

/* After every event: carry out what the check asks, launch what the pacer allows, re-arm. Events
 * raised while carrying out an action (a connect that fails at once) loop here, not recurse. */
static void drive(rd_run *run) {
  if (run->finished)
    return;
  if (run->in_drive) {
    run->again = true;
    return;
  }
  run->in_drive = true;
  do {
    run->again = false;
    rd_us now = now_us();
    rd_action a;
    for (unsigned guard = 0; guard < 100000 && rd_check_next_action(run->chk, &a, now); guard++)
      act(run, &a, now);
    launch_due(run, now);
  } while (run->again);
  run->in_drive = false;
  if (rd_check_done(run->chk))
    finish(run);
  else
    arm_timer(run, now_us());
}

static void on_timer(uv_timer_t *t) {
  rd_run *run = t->data;
  rd_us now = now_us();
  if (rd_check_deadline(run->chk) <= now)
    rd_check_expire(run->chk, now);
  for (size_t i = 0; i < RD_CHECK_MAX_CONNS; i++)
    if (run->conns[i] != NULL && replace_at(run->conns[i]) <= now)
      replace_connect(run->conns[i], now);
  drive(run);
}

/* ---- engine and runs ---------------------------------------------------------------------- */

rd_engine *rd_engine_new(uv_loop_t *loop, const rd_engine_opts *opts) {
  rd_engine *e = calloc(1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->loop = loop;
  if (opts != NULL)
    e->opts = *opts;
  if (e->opts.dns_timeout_ms == 0)
    e->opts.dns_timeout_ms = 3000;
  if (e->opts.burst == 0 && e->opts.pace_ms == 0) {
    e->opts.burst = RD_ENGINE_DEFAULT_BURST;
    e->opts.pace_ms = RD_ENGINE_DEFAULT_PACE_MS;
  }
  e->tls_ctx = rd_tls_ctx_new();
  rd_dns_resolver_opts dns = {.timeout_ms = e->opts.dns_timeout_ms};
  e->dns = e->tls_ctx != NULL ? rd_dns_resolver_new(loop, &dns) : NULL;
  if (e->dns == NULL) {
    rd_tls_ctx_free(e->tls_ctx);
    free(e);
    return NULL;
  }
  return e;
}

void rd_engine_free(rd_engine *e) {
  if (e == NULL)
    return;
  uv_loop_t *loop = e->loop;
  rd_dns_resolver_free(e->dns); /* its handles close on the loop's next turns */
  rd_tls_ctx_free(e->tls_ctx);
  rd_crypto_once_free(&e->crypto);
  free(e);
  /* Let those close callbacks run here, so no caller has to know: a few turns that never wait on
   * handles that are the caller's. */
  for (int turn = 0; turn < 8; turn++)
    uv_run(loop, UV_RUN_NOWAIT);
}

int rd_engine_start(rd_engine *e, const rd_check_config *cfg, rd_check_facts *facts, rd_run_done_cb done, void *arg,
                    rd_run **out) {
  rd_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return RD_E_NOMEM;
  rd_check_config c = *cfg;
  if (c.crypto == NULL)
    c.crypto = &e->crypto;
  run->chk = rd_check_new(&c, facts, now_us());
  if (run->chk == NULL) {
    free(run);
    return cfg->host == NULL || cfg->host[0] == '\0' ? RD_E_INVALID : RD_E_NOMEM;
  }
  run->eng = e;
  run->facts = facts;
  run->done = done;
  run->arg = arg;
  uv_timer_init(e->loop, &run->timer);
  run->timer.data = run;
  run->handles = 1;
  e->runs++;
  *out = run;
  drive(run);
  return 0;
}

void rd_run_free(rd_run *run) {
  if (run == NULL)
    return;
  for (size_t i = 0; i < RD_CHECK_MAX_CONNS; i++)
    if (run->conns[i] != NULL) {
      rd_tls_free(run->conns[i]->tls);
      free(run->conns[i]->buf);
      free(run->conns[i]);
    }
  run->eng->runs--;
  rd_check_free(run->chk);
  free(run);
}

static void on_run_done(void *arg, rd_run *run) { *(bool *)arg = true; }

int rd_check_run(const rd_check_config *cfg, const rd_engine_opts *opts, rd_check_facts *facts) {
  uv_loop_t loop;
  bool done = false;
  rd_run *run = NULL;
  if (uv_loop_init(&loop) != 0)
    return RD_E_NOMEM;
  rd_engine *e = rd_engine_new(&loop, opts);
  int r = e != NULL ? rd_engine_start(e, cfg, facts, on_run_done, &done, &run) : RD_E_NOMEM;
  uv_run(&loop, UV_RUN_DEFAULT);
  rd_run_free(run);
  rd_engine_free(e);
  uv_loop_close(&loop);
  return r != 0 ? r : (done ? 0 : RD_E_STATE);
}
