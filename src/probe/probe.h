/* A probe: one connection's protocol steps, as a state machine fed events and time and asked for
 * actions (STYLE.md §4). Sans-I/O: it never touches a socket, a clock or a TLS object. The check
 * (check.h) owns the probes and the policy across them; the engine (src/net) moves the bytes.
 *
 *   CONNECTING -> X224_SEND_REQUEST -> X224_WAIT_CONFIRM -> TLS_UPGRADE -> CREDSSP_… -> DONE
 *                                                       \-> DONE (failure, legacy, RDP selected…)
 * Every state but CONNECTING-before-launch and DONE has a deadline (step_us after it began); a
 * server that drips bytes cannot stretch it, since bytes do not move the deadline.
 *
 * Framing first (STYLE.md §2): the driver asks rd_probe_need how many bytes the next frame needs
 * and hands rd_probe_feed exactly one whole frame, in the transport the probe is on (plaintext
 * before TLS, decrypted application data after). A PDU that may come in any state (an X.224
 * Disconnect Request) is filtered once, before the dispatch. Each sub-protocol is its own file:
 * probe_x224.c, probe_tls.c, probe_credssp.c, probe_session.c, probe_identify.c.
 *
 * An identify probe (kind IDENTIFY, added by the check when no connection got an RDP answer)
 * sends no Connection Request: CONNECTING -> IDENT_WAIT_GREETING (a short wait for a server that
 * speaks first) -> IDENT_TLS -> IDENT_SEND_HTTP -> IDENT_WAIT_HTTP -> DONE, or straight to
 * IDENT_SEND_HTTP in clear when the check asks for plain HTTP. */
#ifndef RD_PROBE_PROBE_H
#define RD_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cur.h"
#include "core/phase.h"
#include "core/rdtime.h"
#include "probe/credssp_auth.h"
#include "probe/facts.h"

#define RD_PROBE_STATES(X)                                                        \
  X(CONNECTING, "connecting", REACH)                                              \
  X(X224_SEND_REQUEST, "x224-send-request", NEGOTIATE)                            \
  X(X224_WAIT_CONFIRM, "x224-wait-confirm", NEGOTIATE)                            \
  X(TLS_UPGRADE, "tls-upgrade", TLS)                                              \
  X(CREDSSP_SEND_NEGOTIATE, "credssp-send-negotiate", CREDSSP)                    \
  X(CREDSSP_WAIT_CHALLENGE, "credssp-wait-challenge", CREDSSP)                    \
  X(CREDSSP_WAIT_GRANT, "credssp-wait-grant", CREDSSP)                            \
  X(CREDSSP_SEND_AUTHENTICATE, "credssp-send-authenticate", CREDSSP)              \
  X(CREDSSP_WAIT_PUBKEY, "credssp-wait-pubkey-auth", CREDSSP)                     \
  X(CREDSSP_SEND_CREDENTIALS, "credssp-send-credentials", CREDSSP)                \
  X(CREDSSP_WAIT_EARLY_AUTHZ, "credssp-wait-early-authz", CREDSSP)                \
  X(MCS_SEND_CONNECT_INITIAL, "mcs-send-connect-initial", SESSION)                \
  X(MCS_WAIT_CONNECT_RESPONSE, "mcs-wait-connect-response", SESSION)              \
  X(MCS_SEND_ATTACH_USER, "mcs-send-attach-user", SESSION)                        \
  X(MCS_WAIT_ATTACH_CONFIRM, "mcs-wait-attach-user-confirm", SESSION)             \
  X(MCS_SEND_CHANNEL_JOIN, "mcs-send-channel-join", SESSION)                      \
  X(MCS_WAIT_CHANNEL_JOIN, "mcs-wait-channel-join-confirm", SESSION)              \
  X(INFO_WAIT_GRANT, "info-wait-credentials", SESSION)                            \
  X(INFO_SEND_CLIENT_INFO, "info-send-client-info", SESSION)                      \
  X(LICENSE_WAIT, "licensing", SESSION)                                           \
  X(LICENSE_SEND_RESPONSE, "licensing-send-response", SESSION)                    \
  X(CAPS_WAIT_DEMAND_ACTIVE, "caps-wait-demand-active", SESSION)                  \
  X(CAPS_SEND_CONFIRM_ACTIVE, "caps-send-confirm-active", SESSION)                \
  X(FINAL_WAIT, "finalization", SESSION)                                          \
  X(LOGON_WAIT, "logon-wait", SESSION)                                            \
  X(SESSION_SEND_SHUTDOWN, "session-send-shutdown", SESSION)                      \
  X(SESSION_WAIT_SHUTDOWN, "session-wait-shutdown", SESSION)                      \
  X(SESSION_SEND_DISCONNECT, "session-send-disconnect", SESSION)                  \
  X(IDENT_WAIT_GREETING, "identify-wait-greeting", NEGOTIATE)                     \
  X(IDENT_TLS, "identify-tls", TLS)                                               \
  X(IDENT_SEND_HTTP, "identify-send-http", NEGOTIATE)                             \
  X(IDENT_WAIT_HTTP, "identify-wait-http", NEGOTIATE)                             \
  X(DONE, "done", ANY)

#define RD_PS_ENUM(id, name, phase) RD_PS_##id,
typedef enum rd_probe_state { RD_PROBE_STATES(RD_PS_ENUM) } rd_probe_state;
#undef RD_PS_ENUM

/* Where the probe's bytes travel: what it pulls is sent, and what it is fed was received, in the
 * clear or inside the connection's TLS session. */
typedef enum rd_transport { RD_TRANSPORT_PLAIN, RD_TRANSPORT_TLS } rd_transport;

/* What the probe asks of the driver's TLS: a handshake pinned to `version` (0 = any). With
 * facts_only, the driver may report the handshake done as soon as version, cipher and certificate
 * are known (TLS 1.2: our Finished sent), a round trip before the server's Finished. */
typedef struct rd_tls_request {
  int version;
  bool facts_only;
} rd_tls_request;

/* How a handshake ended, as the driver saw it; the probe classifies it into rd_tls_outcome. */
typedef enum rd_tls_end { RD_TLS_END_OK, RD_TLS_END_FAILED, RD_TLS_END_CLOSED, RD_TLS_END_RESET } rd_tls_end;

typedef struct rd_tls_event {
  rd_tls_end end;
  int version;           /* 0x0301 … 0x0304 when agreed, 0 otherwise */
  const char *version_name;
  const char *cipher;
  int alert;             /* the alert the server sent, -1 none */
  const char *alert_name;
  const char *reason;    /* OpenSSL's one-line reason on failure, "" */
  const uint8_t *cert_der; /* the server's leaf certificate, NULL when none arrived */
  size_t cert_len;
} rd_tls_event;

typedef struct rd_probe {
  rd_probe_state state;
  rd_transport transport;
  rd_probe_facts *facts; /* where this probe records; owned by the check */
  rd_us step_us;         /* each step's allowance */
  rd_us started;         /* the connect began (RD_US_NONE before launch) */
  rd_us step_started;
  rd_us deadline;
  bool tls_requested;    /* the TLS request was handed out */
  uint8_t negotiate[64]; /* the NTLM NEGOTIATE we sent (the MIC covers it) */
  size_t negotiate_len;
  uint8_t *pubkey;       /* the server certificate's SubjectPublicKey (malloc'd) */
  size_t pubkey_len;
  uint8_t *challenge;    /* the CHALLENGE message as received, until the check decides (malloc'd) */
  size_t challenge_len;
  int64_t challenge_version;
  /* The check's one authentication, granted to at most one probe (check.c). NULL otherwise. */
  rd_credssp_auth *auth;
  uint8_t *pending;      /* the next message, built when the previous reply was read (malloc'd) */
  size_t pending_len;
  /* Session phase: the channels to join (user, I/O, message), all requested in one flight, and
   * which of them a confirm granted (bit i for join[i]). */
  uint16_t join[3];
  uint8_t n_join, joined;
  rd_us session_started;
  /* --logon: the credentials were decided (the check granted them, or none), when activation
   * came, and the end of the logon wait (the check's deadline less a margin, set by the check). */
  bool logon_granted;
  rd_us logon_activated;
  rd_us logon_until;
  struct rd_probe_license *license; /* the licensing exchange's keys (probe_license.c) */
  struct rd_probe_rdpsec *rdpsec;   /* Standard RDP Security: the server's key, the layer (probe_rdpsec.c) */
  rd_crypto_once *crypto; /* the check's computations context, borrowed; NULL: licensing makes one */
  /* Standard RDP Security enumeration (the check's choice, before the Confirm is fed): when the
   * server selects RDP or answers a legacy Confirm, the probe offers only these encryption
   * methods in an MCS Connect Initial and stops after the Connect Response. 0: no enumeration. */
  uint32_t enum_offer;
  /* Identify: the name and port for the HTTP Host header (the check's, borrowed), whether to ask
   * HTTP in clear rather than TLS first (the check's choice), and when the connection opened. */
  const char *host;
  uint16_t port;
  bool plain_http;
  rd_us ident_started;
} rd_probe;

/* Prepares a probe; `facts->req` says what to request. Its clock starts at rd_probe_launch. */
void rd_probe_init(rd_probe *p, rd_probe_facts *facts, rd_us step_us);
/* The driver sent the SYN: the connect step's deadline starts now. */
void rd_probe_launch(rd_probe *p, rd_us now);
/* The connect finished: RD_CONN_OK or how it failed; error names the failure the same way on
 * every platform (libuv's error name, "ECONNREFUSED"), NULL when there is none. attempt_us is
 * the last attempt alone (the RTT sample), retries the replacement connects the driver made. */
void rd_probe_connected(rd_probe *p, rd_conn_outcome outcome, const char *error, rd_us attempt_us, unsigned retries,
                        rd_us now);

/* Bytes the next frame needs, judged from the first `have` bytes received in the probe's transport:
 * 0 when that cannot be told yet. A probe that expects nothing, or bytes that cannot start the
 * frame it expects, asks for what is there, so they reach rd_probe_feed as evidence at once. */
size_t rd_probe_need(const rd_probe *p, const uint8_t *head, size_t have);
/* Bytes received in the probe's transport that do not yet make a whole frame: kept as evidence, so
 * a close or a deadline can say what had arrived (the first bytes, how many, what service). */
void rd_probe_partial(rd_probe *p, const uint8_t *head, size_t have, rd_us now);
/* One whole frame (rd_probe_need bytes). Returns 0, or RD_E_MALFORMED when the frame was not what
 * the state expects (recorded as a fact; the probe is then DONE). */
int rd_probe_feed(rd_probe *p, const uint8_t *frame, size_t n, rd_us now);
/* Appends what is due to be sent now to `out` (any size). 0, or RD_E_* on our own failure (the
 * probe records it as a local error and is DONE). */
int rd_probe_pull(rd_probe *p, rd_bld *out, rd_us now);
/* True when rd_probe_pull has bytes to give. */
bool rd_probe_wants_send(const rd_probe *p);
/* The server closed (reset=false: FIN, true: RST) outside a TLS handshake. */
void rd_probe_eof(rd_probe *p, bool reset, rd_us now);
/* Our side failed on this connection (a write, memory): recorded as ours, never as the server's. */
void rd_probe_local_error(rd_probe *p, int err, rd_us now);

rd_us rd_probe_deadline(const rd_probe *p);
/* Time passed: when the deadline has, record silence or a stall and finish. */
void rd_probe_expire(rd_probe *p, rd_us now);
/* The whole-check deadline: whatever is under way is recorded as cut short by us. */
void rd_probe_cut(rd_probe *p, rd_us now);

/* True (once) when the driver should now start a TLS handshake on this connection. */
bool rd_probe_wants_tls(rd_probe *p, rd_tls_request *req);
/* Ciphertext that arrived during the handshake, kept as evidence (the first bytes, the count). */
void rd_probe_tls_bytes(rd_probe *p, const uint8_t *in, size_t n);
/* The handshake ended. The probe classifies it, keeps the server's public key for CredSSP and,
 * after an NLA selection, continues inside the TLS session. */
void rd_probe_tls_done(rd_probe *p, const rd_tls_event *ev, rd_us now);

/* True while the probe holds a CHALLENGE and waits for the check to grant or refuse it the
 * check's one authentication. */
bool rd_probe_wants_auth(const rd_probe *p);
/* The check's answer: auth (the probe authenticates with it) or NULL (it ends with the identity). */
void rd_probe_grant_auth(rd_probe *p, rd_credssp_auth *auth, rd_us now);

bool rd_probe_done(const rd_probe *p);
rd_transport rd_probe_transport(const rd_probe *p);
/* Frees what the probe holds (the credentials message is wiped); safe in any state. */
void rd_probe_cleanup(rd_probe *p);

const char *rd_probe_state_name(rd_probe_state s);
rd_phase rd_probe_state_phase(rd_probe_state s);

/* Classifies the first bytes of a reply that is not a TPKT (exposed for tests). */
rd_service rd_probe_guess_service(const uint8_t *p, size_t n, char *banner, size_t banner_size);

#ifdef RD_PROBE_INTERNAL
/* Shared by the probe's files; not for the driver. */
void rd_probe_enter(rd_probe *p, rd_probe_state s, rd_us now);
void rd_probe_drop_pending(rd_probe *p);
void rd_probe_finish(rd_probe *p, rd_us now);
int rd_probe_pull_x224(rd_probe *p, rd_bld *out, rd_us now);
size_t rd_probe_need_x224(const rd_probe *p, const uint8_t *head, size_t have);
int rd_probe_feed_x224(rd_probe *p, const uint8_t *frame, size_t n, rd_us now);
void rd_probe_end_x224(rd_probe *p, rd_nego_outcome how, rd_us now);
void rd_probe_partial_x224(rd_probe *p, const uint8_t *head, size_t have);
int rd_probe_pull_credssp(rd_probe *p, rd_bld *out, rd_us now);
size_t rd_probe_need_credssp(const rd_probe *p, const uint8_t *head, size_t have);
int rd_probe_feed_credssp(rd_probe *p, const uint8_t *frame, size_t n, rd_us now);
void rd_probe_end_credssp(rd_probe *p, bool reset, rd_us now);
void rd_probe_expire_credssp(rd_probe *p, rd_us now, bool cut);
void rd_probe_start_session(rd_probe *p, rd_us now);
int rd_probe_pull_session(rd_probe *p, rd_bld *out, rd_us now);
size_t rd_probe_need_session(const rd_probe *p, const uint8_t *head, size_t have);
int rd_probe_feed_session(rd_probe *p, const uint8_t *frame, size_t n, rd_us now);
void rd_probe_end_session(rd_probe *p, rd_session_outcome how, rd_us now);
void rd_probe_expire_session(rd_probe *p, rd_us now, bool cut);
void rd_probe_grant_logon(rd_probe *p, rd_credssp_auth *auth, rd_us now);
struct rd_license_msg;
int rd_probe_license_request(rd_probe *p, const struct rd_license_msg *m);
int rd_probe_license_challenge(rd_probe *p, const struct rd_license_msg *m);
void rd_probe_license_free(rd_probe *p);
/* Standard RDP Security (probe_rdpsec.c). prepare: the Connect Response's TS_UD_SC_SEC1 (method,
 * random, certificate) read, the certificate's facts recorded; 0, RD_E_MALFORMED (a certificate or
 * key a client cannot use), RD_E_UNSUPPORTED (no method a client offers), RD_E_NOMEM. exchange:
 * the Security Exchange PDU data (malloc'd), the session keys derived. wrap/unwrap: the layer
 * (seclayer.h); unwrap's RD_E_STATE is a MAC that did not verify (recorded). */
typedef struct rd_probe_rdpsec rd_probe_rdpsec;
struct rd_gcc_sc_security;
struct rd_sec_header;
struct rd_sec_rsa_key;
int rd_probe_rdpsec_prepare(rd_probe *p, const struct rd_gcc_sc_security *sec);
int rd_probe_rdpsec_exchange(rd_probe *p, uint8_t **pdu, size_t *len);
int rd_probe_rdpsec_wrap(rd_probe *p, uint16_t flags, bool encrypt, const uint8_t *payload, size_t n, rd_bld *out);
int rd_probe_rdpsec_unwrap(rd_probe *p, const rd_cur *user_data, struct rd_sec_header *h, rd_cur *body);
int rd_probe_rdpsec_fastpath(rd_probe *p, const uint8_t *pdu, size_t n);
bool rd_probe_rdpsec_active(const rd_probe *p);
const struct rd_sec_rsa_key *rd_probe_rdpsec_key(const rd_probe *p);
void rd_probe_rdpsec_free(rd_probe *p);
void rd_probe_start_ident(rd_probe *p, rd_us now);
size_t rd_probe_need_ident(const rd_probe *p, const uint8_t *head, size_t have);
void rd_probe_partial_ident(rd_probe *p, const uint8_t *head, size_t have);
int rd_probe_feed_ident(rd_probe *p, const uint8_t *frame, size_t n, rd_us now);
int rd_probe_pull_ident(rd_probe *p, rd_bld *out, rd_us now);
void rd_probe_end_ident(rd_probe *p, rd_ident_outcome how, rd_us now);
void rd_probe_expire_ident(rd_probe *p, rd_us now, bool cut);
void rd_probe_tls_done_ident(rd_probe *p, rd_us now);
#endif

#endif
