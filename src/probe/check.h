/* The check: the policy over one server's probes, sans-I/O (STYLE.md §4). It decides which
 * requests to send and on which address, moves the probe set to an address that connects, tries
 * side ports when the RDP port is silent, chooses which certificate speaks for the server, grants
 * its one authentication attempt to one probe, and summarises reach. It owns the facts: nothing
 * else writes them.
 *
 * It is fed events (the name resolved, a connect launched or finished, bytes, a TLS ending, a
 * close, a local failure, time) each with the monotonic time, and asked for actions (resolve,
 * connect, start TLS, send, close) and its next deadline. The engine in src/net drives it on
 * libuv; unit tests drive it with a fake driver; `check`, `scan` and the exporter share it.
 *
 *   drive:  rd_check_new -> loop { rd_check_next_action until false; wait for an event or
 *           rd_check_deadline; feed the event } until rd_check_done -> rd_check_free
 *
 * Connections are small integers (0 … RD_CHECK_MAX_CONNS-1) named by the actions. */
#ifndef RD_PROBE_CHECK_H
#define RD_PROBE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rdtime.h"
#include "probe/credssp_auth.h"
#include "probe/facts.h"
#include "probe/probe.h"

#define RD_CHECK_MAX_CONNS (RD_MAX_PROBES + RD_MAX_SIDE_PORTS)

typedef struct rd_check_config {
  const char *host;       /* name or address as typed, without port or brackets */
  uint16_t port;
  int family;             /* 0 any, 4 IPv4 only, 6 IPv6 only */
  rd_us timeout_us;       /* the whole check; 0 = 10 s */
  rd_us step_us;          /* each step of a connection (connect, reply, handshake); 0 = 3 s */
  bool no_side_ports;     /* do not try other ports when the RDP port is silent */
  bool no_session;        /* stop after the security phase: no MCS, licensing or Demand Active */
  bool quick;             /* only the request a client sends and its TLS (one connection per address),
                             no side ports: for very large ranges */
  bool logon;             /* --logon (needs auth): the session probe logs the user on, as a client does:
                             the credentials where a client puts them, Confirm Active, finalization,
                             the wait for the server's logon report, then a Shutdown Request */
  const rd_auth_input *auth; /* credentials for the one authentication attempt, NULL for none */
  rd_crypto_once *crypto; /* the computations' context (licensing), made on first use, shared and
                             borrowed; NULL: a probe that needs one makes its own */
  int64_t started_unix;   /* wall-clock start, for certificate dates and the clock comparison */
} rd_check_config;

typedef enum rd_action_kind {
  RD_ACT_RESOLVE,        /* look up host (family: 0, 4, 6); answer with rd_check_resolved */
  RD_ACT_CANCEL_RESOLVE, /* the lookup is no longer wanted; still answer rd_check_resolved */
  RD_ACT_CONNECT,        /* connect `conn` to address addr_index, port; report rd_check_launched
                            when the SYN goes out, then rd_check_connected */
  RD_ACT_START_TLS,      /* start a TLS client on `conn`: tls (version pin, facts only), sni */
  RD_ACT_SEND,           /* send data/len on `conn`, in clear or through its TLS session */
  RD_ACT_CLOSE,          /* close `conn` (also one still queued or connecting) */
} rd_action_kind;

typedef struct rd_action {
  rd_action_kind kind;
  int conn;
  const char *host;      /* RESOLVE; SNI for START_TLS (NULL: an IP literal, no SNI) */
  int family;            /* RESOLVE */
  int addr_index;        /* CONNECT: index into the resolved addresses */
  uint16_t port;         /* CONNECT */
  bool probe;            /* CONNECT: a probe the driver may pace; false: a side-port connect */
  rd_tls_request tls;    /* START_TLS */
  rd_transport transport; /* SEND */
  const uint8_t *data;   /* SEND: valid until the next call into the check */
  size_t len;
} rd_action;

typedef struct rd_check rd_check;

/* A check of cfg->host (copied) recording into *facts (caller-owned, complete once rd_check_done).
 * NULL when out of memory or the host is empty or too long. */
rd_check *rd_check_new(const rd_check_config *cfg, rd_check_facts *facts, rd_us now);
void rd_check_free(rd_check *chk);

/* The next thing to do, or false when nothing is due until the next event or deadline. */
bool rd_check_next_action(rd_check *chk, rd_action *out, rd_us now);
/* The earliest moment rd_check_expire has work, RD_US_NONE for none. */
rd_us rd_check_deadline(const rd_check *chk);
/* Every connection closed and the name settled: the facts are complete. */
bool rd_check_done(const rd_check *chk);

/* The name's answer (addresses in the order the driver will connect them by index). */
void rd_check_resolved(rd_check *chk, const rd_name_facts *answer, rd_us now);
void rd_check_launched(rd_check *chk, int conn, rd_us now);
void rd_check_connected(rd_check *chk, int conn, rd_conn_outcome outcome, const char *error, rd_us attempt_us,
                        unsigned retries, rd_us now);
/* Framing (see rd_probe_need): the size of the next frame on conn, 0 when unknown yet. */
size_t rd_check_need(const rd_check *chk, int conn, const uint8_t *head, size_t have);
void rd_check_partial(rd_check *chk, int conn, const uint8_t *head, size_t have, rd_us now);
void rd_check_frame(rd_check *chk, int conn, const uint8_t *frame, size_t n, rd_us now);
void rd_check_tls_bytes(rd_check *chk, int conn, const uint8_t *in, size_t n);
void rd_check_tls_done(rd_check *chk, int conn, const rd_tls_event *ev, rd_us now);
void rd_check_eof(rd_check *chk, int conn, bool reset, rd_us now);
void rd_check_local_error(rd_check *chk, int conn, int err, rd_us now);
/* The transport's own count for conn when it closes: segments sent again between the connect and
 * the first bytes received, and after them. */
void rd_check_retransmits(rd_check *chk, int conn, unsigned before_reply, unsigned after_reply);
void rd_check_expire(rd_check *chk, rd_us now);

/* The most connections a check of cfg opens on a name of n_addrs addresses: the probe set, a
 * connect to each other address and the set again after a move, the follow-up, the side ports.
 * The check holds room for this many once the name resolves; a scan budgets one file descriptor
 * each (the engine closes a replaced socket before it opens the next). */
size_t rd_check_max_conns(const rd_check_config *cfg, size_t n_addrs);

/* The ports tried when the RDP port is silent, to tell "host down" from "port filtered". */
extern const uint16_t rd_side_ports[RD_MAX_SIDE_PORTS];

#endif
