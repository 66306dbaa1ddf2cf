/* Questions over the facts that rules, the verdict and the renderers all ask, answered once here
 * so they can never disagree: which probes are primary, which one stands for the client, which one
 * carries the identity or the authentication, how many requests were answered, which TLS versions
 * the server accepts. Pure functions over rd_check_facts. */
#ifndef RD_DIAG_QUERY_H
#define RD_DIAG_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/phase.h"
#include "probe/facts.h"

/* The request a current Windows client sends (reference §3.4): SSL|HYBRID|HYBRID_EX. */
#define RD_QUERY_CLIENT_PROTOCOLS 0x0000000Bu

/* The address the probes ran on: reach.chosen, or the first one when none connected. */
int rd_query_primary_addr(const rd_check_facts *f);
/* A primary probe: one of the full set (not a bare connect, not the identify follow-up), on the
 * primary address. */
bool rd_query_primary(const rd_check_facts *f, size_t i);
/* The primary negotiate probe with this request (protocols ignored when legacy), -1 none. */
int rd_query_find_nego(const rd_check_facts *f, bool legacy, uint32_t protocols);
/* The probe that stands for a current Windows client (its request is RD_QUERY_CLIENT_PROTOCOLS). */
int rd_query_client_probe(const rd_check_facts *f);
/* The probe whose NTLM CHALLENGE speaks for the server: the client's when it has one, else the
 * first primary probe with one; -1 none. */
int rd_query_identity_probe(const rd_check_facts *f);
/* The first probe that tried CredSSP (its NEGOTIATE went out), the identity probe first; -1 none. */
int rd_query_credssp_probe(const rd_check_facts *f);
/* The probe that made the check's one authentication attempt, -1 none. */
int rd_query_auth_probe(const rd_check_facts *f);
/* The probe that went on into the session phase (its request asked for it: req.session), the
 * client's first; -1 none. Whether it got there: its session.outcome. When the client's request
 * was refused with SSL_NOT_ALLOWED_BY_SERVER, a client connects again with PROTOCOL_RDP: then the
 * RDP-only probe's session (Standard RDP Security) stands for it, once it got there. */
int rd_query_session_probe(const rd_check_facts *f);
/* The errorInfo the server's Set Error Info PDUs leave standing: the last one, a 0 clearing those
 * before it; -1 none. Returns its index into session.error_info. */
int rd_query_error_info(const rd_session_facts *s);

/* The server answered the Connection Request (a Confirm: RSP, FAILURE, or without negotiation). */
bool rd_query_nego_answered(const rd_probe_facts *p);
/* FIN, RST or an X.224 Disconnect before a Confirm. */
bool rd_query_nego_ended(const rd_probe_facts *p);
/* Our side ended this probe (a local error, or the whole-check deadline): whatever it lacks is no
 * fact about the server. */
bool rd_query_probe_ours(const rd_probe_facts *p);

/* Connects of the primary probes, ours left out. */
typedef struct rd_reach_count {
  unsigned tried, ok, refused, timeout, unreachable, ours;
  int first_failed; /* the first primary probe whose connect the server failed, -1 none */
} rd_reach_count;
void rd_query_reach(const rd_check_facts *f, rd_reach_count *out);

/* Connection Requests of the primary probes that connected, ours left out. */
typedef struct rd_nego_count {
  unsigned asked, answered, silent, ended, not_rdp, ours;
  int first;         /* the first primary probe that connected (and was not ours), -1 none */
  int not_rdp_probe; /* the last one that met another service, -1 none */
} rd_nego_count;
void rd_query_nego(const rd_check_facts *f, rd_nego_count *out);

/* TLS handshakes of the primary probes, ours left out. */
typedef struct rd_tls_count {
  unsigned tried, ok, ours;
  int first_ok;       /* the first negotiate probe whose handshake completed, -1 none */
  int first_failed;   /* the first negotiate probe whose handshake the server failed, -1 none */
  unsigned versions_tried, versions_ok; /* bit (v & 0xf) for each pinned version: 1<<1 TLS 1.0 … 1<<4 TLS 1.3 */
  int best_version;   /* the highest version any handshake completed with (0x0301 …), 0 none */
} rd_tls_count;
void rd_query_tls(const rd_check_facts *f, rd_tls_count *out);

/* ---- Usable answers (docs/verdict.md) ----
 * A usable answer is one that lets a client go on to the next phase. The verdict is healthy only
 * when the client's probe got one at every phase tested; the rules, the verdict and the fuzz oracle
 * of the rules all ask this one function. */

/* RDP_NEG_FAILURE codes [MS-RDPBCGR] 2.2.1.2.2 defines (1 to 6). */
bool rd_query_failure_known(uint32_t code);
/* An RDP_NEG_RSP whose selection is one protocol the request offered (PROTOCOL_RDP always
 * counts: a server without TLS may select it for any request). False for any other answer. */
bool rd_query_selection_valid(const rd_probe_facts *p);
/* The reply is our own Connection Request sent back (an echo service on the port). */
bool rd_query_reply_is_echo(const rd_probe_facts *p);
/* Whether the probe got a usable answer at this phase:
 *   RD_PH_REACH      the connect succeeded;
 *   RD_PH_NEGOTIATE  a Confirm without negotiation data, or an RDP_NEG_RSP with a valid selection;
 *   RD_PH_TLS        the handshake completed;
 *   RD_PH_CREDSSP    an NTLM CHALLENGE, and (when this probe authenticated) an accepted
 *                    authentication without an Early User Authorization denial;
 *   RD_PH_SESSION    Demand Active (session.outcome active).
 * Any other phase: false. Says nothing about whose fault a missing answer is (rd_query_probe_ours). */
bool rd_query_usable(const rd_probe_facts *p, rd_phase ph);
/* The phases the client's probe was tested at, as a bit set (1u << rd_phase): Reach and Negotiate
 * once it was tried, TLS when the server selected a TLS-based protocol, CredSSP when it selected
 * HYBRID or HYBRID_EX and a NEGOTIATE went out, Session when the probe went on into it and took
 * every step up to its end (not-tried and not-supported are not tested). */
unsigned rd_query_phases_tested(const rd_probe_facts *p);
/* Our side ended this phase of the probe (a local error, the deadline, or a step never taken):
 * nothing it lacks there is the server's. For the session: local-error and cut. */
bool rd_query_phase_ours(const rd_probe_facts *p, rd_phase ph);
/* True for 127.0.0.0/8 and ::1: no packet is lost there, so no loss is the network's. */
bool rd_query_addr_loopback(const char *addr);
/* The user forced a family (-4/-6) and the name has no address of it: our choice, not the
 * server's. Read from the facts: one family's lookup was not made and the other had no data. */
bool rd_query_family_forced_missing(const rd_check_facts *f);

/* Does the certificate name the host typed? Proven either way, or unknown: the kept SANs do not
 * name it, some were cut (san_total > san_count) and the DER is not at hand to read them all. */
typedef enum rd_cert_name_answer { RD_CERT_NAME_MATCH, RD_CERT_NAME_MISMATCH, RD_CERT_NAME_UNKNOWN } rd_cert_name_answer;
rd_cert_name_answer rd_query_cert_names_host(const rd_check_facts *f);
/* Whether the certificate has an IP address SAN (all of them, when the DER is at hand). */
bool rd_query_cert_has_ip_san(const rd_check_facts *f);

#endif
