/* The engine: drives sans-I/O checks (probe/check.h) on one libuv loop. It owns the sockets, the
 * timers, the c-ares transport, the TLS objects over memory BIOs, the replacement of a SYN that
 * went unanswered and the pacing of connects. It carries out the check's actions and reports
 * what happened, with the time; it never reads a probe's state, writes a fact or decides what a
 * reply means (STYLE.md §4).
 *
 * One engine per loop holds what every check on that loop shares: the TLS context, the DNS
 * resolver (one c-ares channel: one socket per DNS server, not per host) and the read buffers.
 * Any number of checks may run on one engine at once (`scan` and the exporter will). */
#ifndef RD_NET_ENGINE_H
#define RD_NET_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "probe/check.h"
#include "probe/facts.h"

typedef struct rd_engine_opts {
  unsigned dns_timeout_ms; /* default 3000 */
  unsigned burst;          /* probes launched at once before pacing (both 0: the defaults) */
  unsigned pace_ms;        /* interval between the later probes; 0 with a burst: all at once */
} rd_engine_opts;

/* Measured on xrdp (listen backlog 2): 11 connects at once lose SYNs to the full accept queue and
 * wait 1 s for the retransmission; 3 at once and one every 2 ms lose none, and cost 16 ms. */
#define RD_ENGINE_DEFAULT_BURST 3
#define RD_ENGINE_DEFAULT_PACE_MS 2

typedef struct rd_engine rd_engine;
typedef struct rd_run rd_run;
typedef void (*rd_run_done_cb)(void *arg, rd_run *run);

/* NULL when OpenSSL, c-ares or memory fails. `opts` may be NULL (defaults). Creates the loop's
 * one DNS resolver (reading /etc/resolv.conf); its handles never keep the loop alive alone. */
rd_engine *rd_engine_new(uv_loop_t *loop, const rd_engine_opts *opts);
/* After every run on it has called its done callback and been freed, and outside the loop's
 * callbacks: closes the engine's libuv handles (turning the loop until their close callbacks ran),
 * so the caller may close its own handles and the loop afterwards. */
void rd_engine_free(rd_engine *e);

/* Starts a check; `facts` (caller-owned) is complete when `done` runs, from the loop. Returns 0, or
 * RD_E_INVALID / RD_E_NOMEM without calling `done`. */
int rd_engine_start(rd_engine *e, const rd_check_config *cfg, rd_check_facts *facts, rd_run_done_cb done, void *arg,
                    rd_run **out);
/* Releases a run after its done callback ran (every handle is closed by then). */
void rd_run_free(rd_run *run);

/* Runs one check on a loop and engine of its own until it is complete. Returns 0 or RD_E_*. */
int rd_check_run(const rd_check_config *cfg, const rd_engine_opts *opts, rd_check_facts *facts);

#endif
