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
typedef enum rd_name_status {
  RD_NAME_NOT_TRIED,
  RD_NAME_OK,
  RD_NAME_LITERAL, /* the target was an IP address */
  RD_NAME_NXDOMAIN,
  RD_NAME_NODATA, /* the name exists but has no address of the family asked */
  RD_NAME_SERVFAIL,
  RD_NAME_REFUSED,
  RD_NAME_TIMEOUT,
  RD_NAME_NO_SERVERS,
  RD_NAME_ERROR,
} rd_name_status;

typedef struct rd_name_facts {
  rd_name_status status, status_a, status_aaaa;
  char addrs[RD_MAX_ADDRS][RD_ADDR_TEXT];
  int families[RD_MAX_ADDRS];
  size_t n_addrs;
  bool from_hosts_file;
  rd_us took_us;
  char detail[96];
} rd_name_facts;

/* ---- Reach ---- */
typedef enum rd_conn_outcome {
  RD_CONN_NOT_TRIED,
  RD_CONN_OK,
  RD_CONN_REFUSED,     /* RST: nothing listens, or a firewall rejects with a reset */
  RD_CONN_TIMEOUT,     /* no answer to SYN: dropped */
  RD_CONN_HOST_UNREACH, /* ICMP host unreachable or administratively prohibited */
  RD_CONN_NET_UNREACH,
  RD_CONN_LOCAL_DENIED, /* our own host refused to send (EACCES/EPERM) */
  RD_CONN_ERROR,
} rd_conn_outcome;

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
typedef enum rd_nego_outcome {
  RD_NEGO_NOT_TRIED,   /* the probe never sent its request (connect failed) */
  RD_NEGO_RSP,         /* RDP_NEG_RSP: the server selected `selected` */
  RD_NEGO_FAILURE,     /* RDP_NEG_FAILURE `failure_code` */
  RD_NEGO_LEGACY,      /* a Connection Confirm without negotiation data */
  RD_NEGO_DISCONNECT,  /* an X.224 Disconnect Request */
  RD_NEGO_CLOSED,      /* FIN before a whole reply */
  RD_NEGO_RESET,       /* RST before a whole reply */
  RD_NEGO_SILENT,      /* no whole reply before the deadline */
  RD_NEGO_NOT_RDP,     /* the first byte cannot start a TPKT: another service */
  RD_NEGO_MALFORMED,   /* a TPKT, but not a valid Connection Confirm */
} rd_nego_outcome;

typedef enum rd_service {
  RD_SVC_UNKNOWN,
  RD_SVC_HTTP,
  RD_SVC_SSH,
  RD_SVC_TLS,  /* a TLS record: a TLS server that expects a ClientHello first */
  RD_SVC_TEXT, /* a printable banner (SMTP, FTP, …) */
} rd_service;

/* ---- TLS ---- */
typedef enum rd_tls_outcome {
  RD_TLSO_NOT_TRIED,
  RD_TLSO_OK,
  RD_TLSO_ALERT,     /* the server sent a fatal alert */
  RD_TLSO_CLOSED,    /* FIN after our ClientHello, without an alert */
  RD_TLSO_RESET,     /* RST after our ClientHello */
  RD_TLSO_PLAINTEXT, /* the answer to our ClientHello was not TLS (an RDP/X.224 PDU in clear) */
  RD_TLSO_STALL,     /* no handshake progress before the deadline */
  RD_TLSO_ERROR,     /* anything else: bad records, our side refused the parameters */
} rd_tls_outcome;

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
typedef enum rd_credssp_outcome {
  RD_CSSP_NOT_TRIED,
  RD_CSSP_CHALLENGE,  /* a TSRequest carrying an NTLM CHALLENGE */
  RD_CSSP_ERROR_CODE, /* a TSRequest carrying an errorCode */
  RD_CSSP_NO_NTLM,    /* a TSRequest without an NTLM message (Kerberos only, empty) */
  RD_CSSP_CLOSED,
  RD_CSSP_RESET,
  RD_CSSP_SILENT,
  RD_CSSP_MALFORMED,
} rd_credssp_outcome;

#define RD_NAME_LEN 256
typedef struct rd_credssp_facts {
  rd_credssp_outcome outcome;
  int64_t ts_version; /* the TSRequest version the server speaks */
  bool error_code_present;
  uint32_t error_code;
  char target_name[RD_NAME_LEN], nb_computer[RD_NAME_LEN], nb_domain[RD_NAME_LEN];
  char dns_computer[RD_NAME_LEN], dns_domain[RD_NAME_LEN], dns_tree[RD_NAME_LEN];
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
typedef enum rd_auth_outcome {
  RD_AUTH_NOT_TRIED,
  RD_AUTH_ACCEPTED,     /* the server's pubKeyAuth proved it accepted the NTLM authentication */
  RD_AUTH_ERROR_CODE,   /* the server answered with an errorCode (NTSTATUS) */
  RD_AUTH_CLOSED,       /* the server closed after our AUTHENTICATE (FreeRDP's way of saying no) */
  RD_AUTH_RESET,
  RD_AUTH_SILENT,
  RD_AUTH_MALFORMED,
  RD_AUTH_KEY_MISMATCH, /* the server's binding does not match its certificate: not the server */
  RD_AUTH_LOCAL_ERROR,  /* our side could not compute the messages */
} rd_auth_outcome;

typedef struct rd_auth_facts {
  rd_auth_outcome outcome;
  char user[RD_NAME_LEN];   /* who we authenticated as (never the password) */
  char domain[RD_NAME_LEN];
  int64_t version;          /* the CredSSP version both sides used */
  bool error_code_present;
  uint32_t error_code;
  bool early_authz_present; /* HYBRID_EX: the Early User Authorization Result */
  uint32_t early_authz;     /* 0 AUTHZ_SUCCESS, 5 AUTHZ_ACCESS_DENIED */
  rd_us took_us;
} rd_auth_facts;

/* ---- One probe connection ---- */
typedef enum rd_probe_kind {
  RD_PROBE_NEGO,        /* one protocol set; TLS when the server selects SSL or HYBRID */
  RD_PROBE_TLS_VERSION, /* requests SSL|HYBRID, then a handshake pinned to one TLS version */
  RD_PROBE_CONNECT,     /* TCP connect only (other addresses of the name) */
} rd_probe_kind;

typedef struct rd_probe_facts {
  rd_probe_kind kind;
  bool legacy_request;  /* a Connection Request without RDP_NEG_REQ */
  uint32_t requested;   /* requestedProtocols */
  int tls_pin;          /* TLS version this probe allows, 0 = any */
  int addr_index;
  rd_conn_outcome connect;
  int connect_errno;
  rd_us connect_us;     /* connect() -> connected or failed, replacements included */
  rd_us connect_attempt_us; /* the last attempt alone: the RTT sample */
  unsigned connect_retries; /* replacement connects after a SYN went unanswered */

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
  rd_us total_us;
} rd_probe_facts;

typedef struct rd_check_facts {
  char host[256]; /* as typed, without port or brackets */
  uint16_t port;
  int64_t started_unix; /* wall-clock start, for certificate dates */
  rd_name_facts name;
  rd_reach_facts reach;
  rd_probe_facts probes[RD_MAX_PROBES];
  size_t n_probes;
  bool have_cert;
  int cert_probe;       /* the probe whose handshake gave `cert` */
  rd_cert_facts cert;
  uint8_t *cert_der;    /* owned; freed by rd_check_facts_free */
  size_t cert_der_len;
  rd_us total_us;
  bool deadline_hit;    /* the whole-check deadline cut something short */
  bool auth_requested;  /* credentials were given (the outcome is in one probe's auth) */
} rd_check_facts;

void rd_check_facts_free(rd_check_facts *f);

const char *rd_name_status_name(rd_name_status s);   /* "nxdomain" */
const char *rd_conn_outcome_name(rd_conn_outcome o); /* "refused" */
const char *rd_nego_outcome_name(rd_nego_outcome o); /* "rsp" */
const char *rd_service_name(rd_service s);           /* "http" */
const char *rd_tls_outcome_name(rd_tls_outcome o);   /* "alert" */
const char *rd_credssp_outcome_name(rd_credssp_outcome o); /* "challenge" */
const char *rd_auth_outcome_name(rd_auth_outcome o);       /* "accepted" */
/* "RDP", "SSL", "SSL|HYBRID", "SSL|HYBRID|HYBRID_EX" … for a protocol bit set. */
const char *rd_protocols_name(uint32_t protocols, char *buf, size_t size);

#endif
