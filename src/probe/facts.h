/* Facts: what a check saw, phase by phase — bytes, codes, times — and never what it means.
 * Rules in src/diag read these; reports print them; JSON carries them beside the findings so a
 * reader can disagree with a verdict and still use the facts (docs/json.md "check").
 *
 * Facts are plain structs rather than a list of tagged values: every rule and renderer then reads
 * a named field, and the compiler checks it. */
#ifndef RD_PROBE_FACTS_H
#define RD_PROBE_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"
#include "core/rdtime.h"

#define RD_MAX_ADDRS 8
/* A check opens 11 probe connections (DESIGN.md: a dozen at most) plus a connect to each other
 * address of the name; when the first address does not connect at all, the probe set runs again
 * on one that did, so the facts have room for both. */
#define RD_MAX_PROBES 32
#define RD_MAX_SIDE_PORTS 4
#define RD_ADDR_TEXT 46
#define RD_REPLY_KEEP 64 /* raw bytes kept as evidence of a reply */

/* ---- Name ---- */
#define RD_NAME_STATUS(id, name, what) RD_NAME_##id,
typedef enum rd_name_status {
#include "facts.def"
} rd_name_status;
#undef RD_NAME_STATUS

typedef struct rd_name_facts {
  rd_name_status status, status_a, status_aaaa;
  char addrs[RD_MAX_ADDRS][RD_ADDR_TEXT];
  int families[RD_MAX_ADDRS]; /* 4 or 6 */
  size_t n_addrs;
  bool from_hosts_file;
  rd_us took_us;
  char detail[96];
} rd_name_facts;

/* ---- Reach ---- */
#define RD_CONN_OUTCOME(id, name, what) RD_CONN_##id,
typedef enum rd_conn_outcome {
#include "facts.def"
} rd_conn_outcome;
#undef RD_CONN_OUTCOME

typedef struct rd_side_port {
  uint16_t port;
  rd_conn_outcome outcome;
  rd_us connect_us;
} rd_side_port;

typedef struct rd_reach_facts {
  int chosen; /* index into name.addrs of the address the probes ran on, -1 when none connected */
  rd_conn_outcome addr_outcome[RD_MAX_ADDRS]; /* first connect per address */
  rd_us addr_connect_us[RD_MAX_ADDRS];
  unsigned samples, failures; /* connects made by all probes to the chosen address */
  unsigned retries;           /* connects that needed a replacement SYN */
  rd_us rtt_min_us, rtt_median_us, rtt_max_us;
  rd_side_port side[RD_MAX_SIDE_PORTS];
  size_t n_side;
} rd_reach_facts;

/* ---- Negotiate ---- */
#define RD_NEGO_OUTCOME(id, name, what) RD_NEGO_##id,
typedef enum rd_nego_outcome {
#include "facts.def"
} rd_nego_outcome;
#undef RD_NEGO_OUTCOME

#define RD_SERVICE(id, name, what) RD_SVC_##id,
typedef enum rd_service {
#include "facts.def"
} rd_service;
#undef RD_SERVICE

/* ---- TLS ---- */
#define RD_TLS_OUTCOME(id, name, what) RD_TLSO_##id,
typedef enum rd_tls_outcome {
#include "facts.def"
} rd_tls_outcome;
#undef RD_TLS_OUTCOME

typedef struct rd_tls_facts {
  rd_tls_outcome outcome;
  int version;          /* 0x0301 … 0x0304 when OK */
  char version_name[16];
  char cipher[64];
  int alert;            /* TLS alert description received, -1 none */
  char alert_name[32];
  char reason[128];     /* OpenSSL's one-line reason on failure */
  uint8_t first_bytes[RD_REPLY_KEEP]; /* raw bytes received after the ClientHello */
  size_t n_first_bytes;
  size_t bytes_after_hello;
  rd_us took_us;        /* ClientHello sent -> handshake done or failed */
} rd_tls_facts;

/* ---- CredSSP (without credentials: the server's NTLM CHALLENGE tells who it is) ---- */
#define RD_CREDSSP_OUTCOME(id, name, what) RD_CSSP_##id,
typedef enum rd_credssp_outcome {
#include "facts.def"
} rd_credssp_outcome;
#undef RD_CREDSSP_OUTCOME

/* Names (the server's, ours for authentication) are kept whole up to this many bytes, NUL included.
 * Each is an owned string sized to what came, NULL when there was none: read through RD_FACT_STR,
 * set with rd_facts_set_name; rd_check_facts_free frees them. Fixed arrays of this size took 2 KB
 * in every probe's facts, most of a scan's memory in flight, for names few probes ever see. */
#define RD_NAME_LEN 256
#define RD_FACT_STR(s) ((s) != NULL ? (const char *)(s) : "")

typedef struct rd_credssp_facts {
  rd_credssp_outcome outcome;
  int64_t ts_version; /* the TSRequest version the server speaks */
  bool error_code_present;
  uint32_t error_code;
  /* Owned names (see RD_NAME_LEN), NULL when the CHALLENGE had none. */
  char *target_name, *nb_computer, *nb_domain;
  char *dns_computer, *dns_domain, *dns_tree;
  bool os_version_present;
  uint8_t os_major, os_minor;
  uint16_t os_build;
  bool timestamp_present;
  int64_t server_time_unix; /* MsvAvTimestamp */
  uint8_t first_bytes[RD_REPLY_KEEP];
  size_t n_first_bytes;
  rd_us took_us;
} rd_credssp_facts;

/* ---- Authentication (with --user: one attempt per check, never retried) ---- */
#define RD_AUTH_OUTCOME(id, name, what) RD_AUTH_##id,
typedef enum rd_auth_outcome {
#include "facts.def"
} rd_auth_outcome;
#undef RD_AUTH_OUTCOME

typedef struct rd_auth_facts {
  rd_auth_outcome outcome;
  char *user;               /* who we authenticated as (never the password); owned, NULL none */
  char *domain;             /* owned, NULL when none was given */
  int64_t version;          /* the CredSSP version both sides used */
  bool error_code_present;
  uint32_t error_code;
  bool early_authz_present; /* HYBRID_EX: the Early User Authorization Result */
  uint32_t early_authz;     /* 0 AUTHZ_SUCCESS, 5 AUTHZ_ACCESS_DENIED */
  rd_us took_us;
} rd_auth_facts;

/* ---- Session (MCS, GCC, licensing, capabilities: the server's own reason) ---- */
#define RD_SESSION_OUTCOME(id, name, what) RD_SESS_##id,
typedef enum rd_session_outcome {
#include "facts.def"
} rd_session_outcome;
#undef RD_SESSION_OUTCOME

#define RD_LOGON_OUTCOME(id, name, what) RD_LOGON_##id,
typedef enum rd_logon_outcome {
#include "facts.def"
} rd_logon_outcome;
#undef RD_LOGON_OUTCOME
#define RD_LOGON_CREDS(id, name, what) RD_LOGON_CREDS_##id,
typedef enum rd_logon_creds {
#include "facts.def"
} rd_logon_creds;
#undef RD_LOGON_CREDS
#define RD_LOGON_END(id, name, what) RD_LOGON_END_##id,
typedef enum rd_logon_end {
#include "facts.def"
} rd_logon_end;
#undef RD_LOGON_END

/* --logon ([MS-RDPBCGR] 1.3.1.1 phases 9-10, 2.2.1.13.2-2.2.1.22, 2.2.10.1, 1.3.1.4.1): after
 * Demand Active, Confirm Active and the client's finalization PDUs, the server's finalization
 * answers, then the wait for what the server says about the logon, and how the probe ended it. */
typedef struct rd_logon_facts {
  rd_logon_outcome outcome;
  rd_logon_creds credentials;
  char user[RD_NAME_LEN];      /* the account the Client Info named (never the password) */
  char domain[RD_NAME_LEN];
  bool confirm_active_sent;
  uint16_t n_capabilities;     /* capability sets in our Confirm Active */
  bool fin_synchronize, fin_cooperate, fin_granted, fin_font_map; /* the server's finalization PDUs */
  bool save_session_info;      /* a Save Session Info came during finalization or the wait */
  uint32_t info_type;          /* its infoType (the first one that reported the logon) */
  bool session_id_present;
  uint32_t session_id;         /* LOGON / LOGON_LONG: the server's session id */
  size_t n_updates;            /* graphics updates (fast-path or slow-path) after Confirm Active: the
                                  server draws something, a logon screen or a desktop */
  bool shutdown_sent;
  rd_logon_end ended_by;
  int end_how;                 /* ENDED: how the server ended it (an rd_session_outcome: closed, reset,
                                  disconnected) */
  rd_us activated_us;          /* session start -> the server's Font Map (activation) */
  rd_us wait_us;               /* activation (or Confirm Active) -> the report or the end of the wait */
} rd_logon_facts;

#define RD_MAX_ERROR_INFOS 4
#define RD_STEP_LEN 32

#define RD_RDPSEC_CERT(id, name, what) RD_RDPSEC_CERT_##id,
typedef enum rd_rdpsec_cert {
#include "facts.def"
} rd_rdpsec_cert;
#undef RD_RDPSEC_CERT

/* Standard RDP Security on this connection (the server selected PROTOCOL_RDP with an encryption
 * level above NONE): the server's certificate, the exchange and what was encrypted either way. */
typedef struct rd_rdpsec_facts {
  bool used;                  /* the Connect Response asked for it (level above NONE under PROTOCOL_RDP) */
  rd_rdpsec_cert cert;
  uint32_t cert_version;      /* 1 proprietary, 2 X.509 chain, 0 unread */
  bool cert_temporary;        /* dwVersion's high bit */
  uint32_t chain_len;         /* X.509: certificates in the chain */
  uint32_t key_bits;          /* the server's RSA modulus */
  uint32_t key_exponent;
  bool exchange_sent;         /* the Security Exchange PDU went out and the session keys were derived */
  unsigned sent_encrypted;    /* PDUs we sent encrypted (the Client Info) */
  unsigned received_encrypted; /* server PDUs decrypted with a MAC that verified */
  unsigned received_salted;   /* of those, with a salted MAC (SEC_SECURE_CHECKSUM) */
  unsigned received_clear;    /* server PDUs in the I/O channel sent without SEC_ENCRYPT */
  bool license_encrypted;     /* the server encrypted a licensing PDU (after our SEC_LICENSE_ENCRYPT_SC) */
  bool mac_failed;            /* a server PDU's MAC did not verify: nothing after it can be read */
  char mac_failed_step[RD_STEP_LEN];
} rd_rdpsec_facts;
typedef struct rd_session_facts {
  rd_session_outcome outcome;
  char step[RD_STEP_LEN];     /* the probe state in which it ended ("mcs-wait-connect-response") */
  /* MCS Connect Response and its GCC Conference Create Response */
  bool connect_response;
  uint32_t mcs_result;        /* T.125 Result, 0 rt-successful */
  uint32_t gcc_result;
  bool core_present;
  uint32_t server_version;    /* SC_CORE version: 0x00080004 RDP 5-8.1, 0x00080005… RDP 10.x */
  bool requested_echo_present;
  uint32_t requested_echo;    /* the server's echo of the protocols our Connection Request asked */
  bool early_caps_present;
  uint32_t early_caps;
  bool security_present;
  uint32_t encryption_method, encryption_level;
  rd_rdpsec_facts rdpsec;
  uint32_t offered_methods;   /* what our Connect Initial's CS_SECURITY offered (RD_GCC_ENCRYPTION_METHOD_*) */
  bool enumeration;           /* an enumeration connection: one method offered, stops after the Connect Response */
  uint16_t io_channel, msg_channel, user_channel;
  uint16_t n_channels;
  /* Channel joins (2.2.1.8, 2.2.1.9): what our core data announced (earlyCapabilityFlags, with
   * RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN), whether the joins were skipped (the server's core data
   * answered RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED), else the requests sent in one flight and the
   * confirms that granted them; a refused join's channel and result. */
  uint16_t early_caps_sent;
  bool joins_skipped;
  uint8_t joins_sent, joins_confirmed;
  bool join_refused;
  uint16_t join_refused_channel;
  uint8_t join_result;        /* T.125 Result of the refused join */
  /* Licensing */
  bool license_seen;
  uint8_t license_msg;        /* bMsgType of the last licensing PDU */
  bool license_valid_client;
  bool license_error_present;
  uint32_t license_error, license_state;
  /* What the server said about why (every Set Error Info, in order; 0 clears) */
  uint32_t error_info[RD_MAX_ERROR_INFOS];
  char error_info_step[RD_MAX_ERROR_INFOS][RD_STEP_LEN];
  rd_us error_info_us[RD_MAX_ERROR_INFOS];
  size_t n_error_info;
  bool dpu_present;
  uint8_t dpu_reason;         /* T.125 Reason of the Disconnect Provider Ultimatum */
  bool logon_info_present;
  uint32_t logon_info_type;   /* Save Session Info infoType */
  bool logon_error_present;
  uint32_t logon_error_type, logon_error_data;
  /* Demand Active */
  bool demand_active;
  uint32_t share_id;
  uint16_t n_capabilities;
  /* A PDU we do not model: the last one, kept as evidence */
  size_t n_unknown;
  uint16_t unknown_type;
  uint8_t unknown_first[16];
  size_t unknown_len;
  rd_logon_facts logon;       /* --logon only */
  rd_us took_us;              /* the session phase, from its first PDU sent to its end */
} rd_session_facts;

/* ---- Identification (no usable RDP answer: what is on the port instead) ---- */
#define RD_IDENT_OUTCOME(id, name, what) RD_IDENT_##id,
typedef enum rd_ident_outcome {
#include "facts.def"
} rd_ident_outcome;
#undef RD_IDENT_OUTCOME

/* What the follow-up connection saw: a greeting, or the answer to its HTTP request (inside TLS
 * when the handshake completed: its facts are the probe's tls). Text is printable ASCII as it came,
 * any other byte replaced by '.'. The service and the status line are the probe's service and
 * banner, like another service's greeting on a negotiate probe. */
typedef struct rd_ident_facts {
  rd_ident_outcome outcome;
  bool tls;             /* the request went inside a TLS session */
  char request[64];     /* the first request line we sent ("RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1";
                           inside TLS a "GET / HTTP/1.1" follows it, pipelined) */
  int http_status;      /* the status code of an HTTP response, -1 none */
  char server[64];      /* its Server header */
  char authenticate[96]; /* the schemes of its WWW-Authenticate headers, ", " between them */
  uint8_t first_bytes[RD_REPLY_KEEP]; /* the first bytes of the greeting or answer, raw */
  size_t n_first_bytes;
  size_t bytes_received;
  rd_us took_us;        /* connected -> greeting, answer or end */
} rd_ident_facts;

/* ---- Standard RDP Security: which encryption methods the server accepts, at which level ---- */
#define RD_RDPSEC_STATUS(id, name, what) RD_RDPSEC_##id,
typedef enum rd_rdpsec_status {
#include "facts.def"
} rd_rdpsec_status;
#undef RD_RDPSEC_STATUS

#define RD_RDPSEC_BASIS(id, name, what) RD_RDPSEC_BASIS_##id,
typedef enum rd_rdpsec_basis {
#include "facts.def"
} rd_rdpsec_basis;
#undef RD_RDPSEC_BASIS

/* The methods in the order they are enumerated: 40-bit, 56-bit, 128-bit, FIPS. */
#define RD_RDPSEC_N_METHODS 4
extern const uint32_t rd_rdpsec_methods[RD_RDPSEC_N_METHODS]; /* 0x01, 0x08, 0x02, 0x10 */

typedef struct rd_rdpsec_method {
  rd_rdpsec_status status;
  rd_rdpsec_basis basis;
  int probe;                 /* the connection that settled it, -1 none (inferred, not tested) */
  bool answered_present;     /* that connection got a Connect Response with server security data */
  uint32_t answered_method;  /* the method it selected (another one than offered: refused) */
} rd_rdpsec_method;

/* The summary the check writes once every connection ended, from the Connect Responses of the
 * connections that went on under Standard RDP Security: the client's (every method offered) and
 * the enumeration ones (one method each, docs/json.md "rdp_security"). */
typedef struct rd_rdpsec_enum_facts {
  bool tested;               /* some connection sent a Connect Initial under Standard RDP Security */
  bool level_present;
  uint32_t level;            /* RD_GCC_ENCRYPTION_LEVEL_* of the first Connect Response */
  int level_probe;           /* where it came from, -1 none */
  bool level_varies;         /* another Connect Response gave another level */
  rd_rdpsec_method methods[RD_RDPSEC_N_METHODS];
  unsigned connections;      /* connections that carried a Connect Initial under Standard RDP Security */
  unsigned extra_connections; /* of them, the ones opened only to enumerate (kind rdp-security) */
} rd_rdpsec_enum_facts;

/* ---- One probe connection ---- */
#define RD_PROBE_KIND(id, name, what) RD_PROBE_##id,
typedef enum rd_probe_kind {
#include "facts.def"
} rd_probe_kind;
#undef RD_PROBE_KIND

/* What the check asked of one connection: its plan row and the address. Never written by what the
 * server does, so a rule always reads an answer together with the request that produced it. */
typedef struct rd_probe_request {
  rd_probe_kind kind;
  bool legacy;          /* a Connection Request without RDP_NEG_REQ */
  uint32_t protocols;   /* requestedProtocols */
  int tls_pin;          /* TLS version this probe allows, 0 = any */
  int addr_index;       /* into rd_name_facts.addrs */
  bool session;         /* after the security phase, go on into the session phase as a client does */
  bool logon;           /* --logon: with the credentials, on through Confirm Active to the user's logon */
} rd_probe_request;

/* One connection: the request, then everything seen on it. */
typedef struct rd_probe_facts {
  rd_probe_request req;
  rd_conn_outcome connect;
  char connect_error[24]; /* how the connect failed, libuv's error name ("ECONNREFUSED"); "" when it did not */
  rd_us connect_us;     /* connect() -> connected or failed, replacements included */
  rd_us connect_attempt_us; /* the last attempt alone: the RTT sample */
  unsigned connect_retries; /* replacement connects after a SYN went unanswered */
  /* Segments our TCP sent again (the kernel's count), -1 when the platform could not say. Before
   * the server's first reply bytes they may mean its accept queue was full (it drops the handshake's
   * last ACK, so our first data goes again); after them, only a segment lost on the path. */
  int retransmits_before_reply, retransmits_after_reply;

  rd_nego_outcome nego;
  uint8_t rsp_flags;
  uint32_t selected;
  uint32_t failure_code;
  uint8_t reply[RD_REPLY_KEEP]; /* the first bytes of the server's reply, raw */
  size_t reply_len;
  size_t bytes_received;        /* before the reply ended or the connection did */
  rd_us reply_us;               /* request sent -> reply complete, close, or deadline */
  rd_service service;
  char banner[64];              /* printable start of another service's greeting */

  rd_tls_facts tls;
  rd_credssp_facts credssp;
  rd_auth_facts auth;
  rd_session_facts session;
  rd_ident_facts ident;
  int local_error;      /* RD_E_* of a failure on our side (memory, a write), 0 none: never the server's */
  rd_us total_us;
} rd_probe_facts;

typedef struct rd_check_facts {
  char host[256]; /* as typed, without port or brackets */
  uint16_t port;
  int64_t started_unix; /* wall-clock start, for certificate dates */
  rd_name_facts name;
  rd_reach_facts reach;
  /* Every connection's facts: n_probes used of cap_probes, allocated once when the name resolved
   * (rd_check_facts_reserve) for what this check can open, so a check in flight holds no room it
   * cannot use (a scan holds thousands). */
  rd_probe_facts *probes;
  size_t n_probes, cap_probes;
  bool have_cert;
  int cert_probe;       /* the probe whose handshake gave `cert` */
  rd_cert_facts cert;
  uint8_t *cert_der;    /* owned; freed by rd_check_facts_free */
  size_t cert_der_len;
  rd_us total_us;
  bool deadline_hit;    /* the whole-check deadline cut something short */
  bool auth_requested;  /* credentials were given (the outcome is in one probe's auth) */
  rd_rdpsec_enum_facts rdp_security;
} rd_check_facts;

/* Makes room for n probes (at most RD_MAX_PROBES). It may move the array: call it before anything
 * points into it. 0, RD_E_TOO_BIG or RD_E_NOMEM. */
int rd_check_facts_reserve(rd_check_facts *f, size_t n);
/* Frees what the facts own (the probes and their names, the certificate's bytes); the struct may
 * then be reused. */
void rd_check_facts_free(rd_check_facts *f);
/* Frees the names one probe's facts own (rd_check_facts_free does it for every probe). */
void rd_probe_facts_clear_names(rd_probe_facts *p);
/* Replaces *dst with a copy of src's first RD_NAME_LEN - 1 bytes; NULL or "" leaves NULL.
 * 0 or RD_E_NOMEM (then *dst is NULL). */
int rd_facts_set_name(char **dst, const char *src);

const char *rd_name_status_name(rd_name_status s);   /* "nxdomain" */
const char *rd_conn_outcome_name(rd_conn_outcome o); /* "refused" */
const char *rd_nego_outcome_name(rd_nego_outcome o); /* "rsp" */
const char *rd_service_name(rd_service s);           /* "http" */
const char *rd_tls_outcome_name(rd_tls_outcome o);   /* "alert" */
const char *rd_credssp_outcome_name(rd_credssp_outcome o); /* "challenge" */
const char *rd_auth_outcome_name(rd_auth_outcome o);       /* "accepted" */
const char *rd_probe_kind_name(rd_probe_kind k);           /* "negotiate" */
const char *rd_session_outcome_name(rd_session_outcome o); /* "error-info" */
const char *rd_ident_outcome_name(rd_ident_outcome o);     /* "greeting" */
const char *rd_rdpsec_cert_name(rd_rdpsec_cert c);         /* "verified" */
const char *rd_rdpsec_cert_what(rd_rdpsec_cert c);         /* its facts.def sentence */
const char *rd_logon_outcome_name(rd_logon_outcome o);     /* "reported" */
const char *rd_logon_creds_name(rd_logon_creds c);         /* "client-info" */
const char *rd_logon_end_name(rd_logon_end e);             /* "shutdown-denied" */
const char *rd_rdpsec_status_name(rd_rdpsec_status s);     /* "accepted" */
const char *rd_rdpsec_basis_name(rd_rdpsec_basis b);       /* "inferred" */
/* "40-bit", "56-bit", "128-bit", "FIPS", "none" (0), "unknown" for an encryption method value. */
const char *rd_rdpsec_method_name(uint32_t method);
/* "None", "Low", "Client Compatible", "High", "FIPS", "unknown" for an encryption level. */
const char *rd_rdpsec_level_name(uint32_t level);
/* "RDP", "SSL", "SSL|HYBRID", "SSL|HYBRID|HYBRID_EX" … for a protocol bit set. */
const char *rd_protocols_name(uint32_t protocols, char *buf, size_t size);

#endif
