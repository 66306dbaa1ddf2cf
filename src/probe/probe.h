/* A probe: one connection's steps as a state machine fed bytes and time, recording facts.
 * Sans-I/O: src/net owns the socket and the TLS object and tells the probe what happened; the probe
 * says what to send, when it wants TLS, and its deadline (STYLE.md §4).
 *
 *   CONNECTING -> X224_SEND_REQUEST -> X224_WAIT_CONFIRM -> TLS_UPGRADE -> DONE
 *                                                      \-> DONE (failure, legacy, RDP selected…)
 * Every state has a deadline (step_us after it began); a server that drips bytes cannot stretch
 * it, since bytes do not move the deadline. */
#ifndef RD_PROBE_PROBE_H
#define RD_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/phase.h"
#include "core/rdtime.h"
#include "probe/credssp_auth.h"
#include "probe/facts.h"

#define RD_PROBE_STATES(X)              \
  X(CONNECTING, "connecting", REACH)    \
  X(X224_SEND_REQUEST, "x224-send-request", NEGOTIATE) \
  X(X224_WAIT_CONFIRM, "x224-wait-confirm", NEGOTIATE) \
  X(TLS_UPGRADE, "tls-upgrade", TLS)    \
  X(CREDSSP_SEND_NEGOTIATE, "credssp-send-negotiate", CREDSSP) \
  X(CREDSSP_WAIT_CHALLENGE, "credssp-wait-challenge", CREDSSP) \
  X(CREDSSP_SEND_AUTHENTICATE, "credssp-send-authenticate", CREDSSP) \
  X(CREDSSP_WAIT_PUBKEY, "credssp-wait-pubkey-auth", CREDSSP) \
  X(CREDSSP_SEND_CREDENTIALS, "credssp-send-credentials", CREDSSP) \
  X(CREDSSP_WAIT_EARLY_AUTHZ, "credssp-wait-early-authz", CREDSSP) \
  X(DONE, "done", ANY)

#define RD_PS_ENUM(id, name, phase) RD_PS_##id,
typedef enum rd_probe_state { RD_PROBE_STATES(RD_PS_ENUM) } rd_probe_state;
#undef RD_PS_ENUM

typedef struct rd_probe {
  rd_probe_state state;
  rd_probe_facts *facts; /* where this probe records; owned by the caller */
  rd_us step_us;         /* each step's allowance */
  rd_us started;         /* connect began */
  rd_us step_started;
  rd_us deadline;
  uint8_t in[8192];      /* a Confirm is 11 or 19 bytes, a CHALLENGE TSRequest a few hundred */
  size_t in_len;
  uint8_t negotiate[64]; /* the NTLM NEGOTIATE we sent (the MIC covers it) */
  size_t negotiate_len;
  uint8_t pubkey[2048];  /* the server certificate's SubjectPublicKey */
  size_t pubkey_len;
  /* Shared by every probe of a check that may authenticate; the first CHALLENGE claims it, so one
   * check makes one attempt. NULL without credentials. */
  rd_credssp_auth *auth;
  bool auth_mine;
  uint8_t *pending;      /* the next message, built when the previous reply was read */
  size_t pending_len;
} rd_probe;

/* Starts a probe whose connect begins at `now`. `facts` says what to request (kind, requested,
 * legacy_request, tls_pin) and receives the rest. */
void rd_probe_init(rd_probe *p, rd_probe_facts *facts, rd_us step_us, rd_us now);

/* The connect finished: RD_CONN_OK or how it failed (errno for the record). */
void rd_probe_connected(rd_probe *p, rd_conn_outcome outcome, int sys_errno, rd_us now);

/* Bytes to send now, at most cap; 0 when nothing is due, RD_E_NOMEM/INVALID on failure. */
ssize_t rd_probe_pull(rd_probe *p, uint8_t *out, size_t cap, rd_us now);

/* Plaintext bytes from the server (before TLS). Returns 0 or a negative RD_E_* (the probe has
 * recorded the fact and is DONE; the caller closes). */
int rd_probe_feed(rd_probe *p, const uint8_t *in, size_t n, rd_us now);

/* The server closed (reset=false: FIN, true: RST) while no TLS was under way. */
void rd_probe_eof(rd_probe *p, bool reset, rd_us now);

rd_us rd_probe_deadline(const rd_probe *p);
/* The deadline passed: record silence or a stall and finish. */
void rd_probe_expire(rd_probe *p, rd_us now);

/* True when the caller should now start a TLS handshake on this connection, pinned to
 * *version (0 = any). */
bool rd_probe_wants_tls(const rd_probe *p, int *version);
/* The handshake ended; `tls` carries what the engine observed (outcome, version, alert, first
 * bytes…). The probe records it; when the server selected HYBRID or HYBRID_EX it continues with
 * CredSSP over the TLS session, else it finishes. */
void rd_probe_tls_done(rd_probe *p, const rd_tls_facts *tls, rd_us now);

/* Offers the check's authentication to this probe (see rd_probe.auth). */
void rd_probe_set_auth(rd_probe *p, rd_credssp_auth *auth);
/* The server's certificate, once the handshake delivered it (for the CredSSP binding). */
void rd_probe_set_server_cert(rd_probe *p, const uint8_t *der, size_t n);
/* Frees what the probe holds; safe on any state. */
void rd_probe_cleanup(rd_probe *p);

/* True when the TLS session must complete (a later phase speaks over it). */
bool rd_probe_needs_tls_session(const rd_probe *p);
/* True when rd_probe_pull/rd_probe_feed carry application data inside TLS. */
bool rd_probe_in_tls(const rd_probe *p);

bool rd_probe_done(const rd_probe *p);
const char *rd_probe_state_name(rd_probe_state s);
rd_phase rd_probe_state_phase(rd_probe_state s);

/* Classifies the first bytes of a reply that is not a TPKT (exposed for tests). */
rd_service rd_probe_guess_service(const uint8_t *p, size_t n, char *banner, size_t banner_size);

#endif
