/* The engine: one libuv loop that runs a check's probes concurrently — c-ares for the name,
 * non-blocking TCP, TLS through memory BIOs — and feeds the sans-I/O probes bytes and time.
 * No global state: several checks may run on one loop (the fleet scan will). */
#ifndef RD_NET_ENGINE_H
#define RD_NET_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "probe/credssp_auth.h"
#include "probe/facts.h"

typedef struct rd_check_opts {
  const char *host;        /* name or address, without brackets */
  uint16_t port;
  unsigned timeout_ms;     /* the whole check; default 10000 */
  unsigned step_ms;        /* each step of a connection (connect, reply, handshake); default 3000 */
  unsigned dns_timeout_ms; /* default 3000 */
  bool no_side_ports;      /* do not probe other ports when the RDP port is silent */
  int family;              /* AF_UNSPEC (default), AF_INET, AF_INET6 */
  rd_credssp_auth *auth;   /* with credentials: the check's one authentication, else NULL */
  unsigned burst;          /* probes launched at once before pacing (both 0: the defaults) */
  unsigned pace_ms;        /* interval between the later probes; 0 with a burst: all at once */
} rd_check_opts;

/* Measured on xrdp (listen backlog 2): 11 connects at once lose SYNs to the full accept queue and
 * wait 1 s for the retransmission; 3 at once and one every 2 ms lose none, and cost 16 ms. */
#define RD_CHECK_DEFAULT_BURST 3
#define RD_CHECK_DEFAULT_PACE_MS 2

typedef struct rd_check rd_check;
typedef void (*rd_check_done_cb)(void *arg, rd_check *chk);

/* Starts a check on `loop`; `facts` (caller-owned) is filled as it goes and is complete when
 * `done` runs. Returns 0, or RD_E_INVALID / RD_E_NOMEM without calling `done`. */
int rd_check_start(uv_loop_t *loop, const rd_check_opts *opts, rd_check_facts *facts,
                   rd_check_done_cb done, void *arg, rd_check **out);
/* Releases a check after its done callback ran. */
void rd_check_free(rd_check *chk);

/* Runs one check on a loop of its own until it is complete. Returns 0 or RD_E_*. */
int rd_check_run(const rd_check_opts *opts, rd_check_facts *facts);

/* The ports tried when the RDP port is silent, to tell "host down" from "port filtered". */
extern const uint16_t rd_side_ports[RD_MAX_SIDE_PORTS];

#endif
