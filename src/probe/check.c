/* The check's policy over its probes (check.h). Every decision about what to ask the server, and
 * every fact, is made here or in a probe; the driver only carries out the actions. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cert.h"
#include "core/err.h"
#include "core/wipe.h"
#include "core/gcc.h"
#include "core/x224.h"

/* Ports that answer on most Windows hosts or their firewalls: SSH, HTTP, HTTPS, SMB. A reset or
 * an accept from any of them proves the host is up while the RDP port stays silent. */
const uint16_t rd_side_ports[RD_MAX_SIDE_PORTS] = {22, 80, 443, 445};

#define CLIENT_LIKE (RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID | RD_X224_PROTOCOL_HYBRID_EX)

/* The probe set run against the first address that connects (DESIGN.md "Negotiate", "TLS"). What
 * current Windows clients request comes first (reference §3.4): it stands for the client. */
static const rd_probe_request plan[] = {
    {RD_PROBE_NEGO, false, CLIENT_LIKE, 0, 0, true, false}, /* goes on into the session */
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0, 0, false, false},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_SSL, 0, 0, false, false},
    /* Also into the session: Standard RDP Security, which a client falls back to when the
     * server refuses TLS (SSL_NOT_ALLOWED_BY_SERVER) and which the "security layer: RDP" fix forces. */
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_RDP, 0, 0, true, false},
    {RD_PROBE_NEGO, true, 0, 0, 0, false, false}, /* legacy: no RDP_NEG_REQ */
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_HYBRID, 0, 0, false, false},
    {RD_PROBE_NEGO, false, RD_X224_PROTOCOL_RDSTLS, 0, 0, false, false},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0303, 0, false, false},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0304, 0, false, false},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0302, 0, false, false},
    {RD_PROBE_TLS_VERSION, false, RD_X224_PROTOCOL_SSL | RD_X224_PROTOCOL_HYBRID, 0x0301, 0, false, false},
};
#define N_PLAN (sizeof plan / sizeof plan[0])

typedef enum slot_kind { SLOT_PROBE, SLOT_SIDE } slot_kind;

typedef struct slot {
  slot_kind kind;
  rd_probe probe;        /* SLOT_PROBE */
  rd_side_port *side;    /* SLOT_SIDE */
  rd_us side_deadline;
  bool connect_sent, close_sent;
} slot;

typedef enum auth_token { TOKEN_NONE, TOKEN_AVAILABLE, TOKEN_GRANTED } auth_token;

struct rd_check {
  rd_check_config cfg;
  char host[256];
  rd_check_facts *facts;
  rd_us t0, deadline;
  bool resolve_sent, resolving, cancel_sent, resolved, cut, finalized;
  int plan_addr;        /* the address the probe set runs on */
  bool plan_moved;      /* it moved once, to an address that connected */
  bool side_started;
  bool identify_added;  /* the one follow-up connection that names what is on the port */
  uint32_t enum_assigned; /* encryption methods some connection offered alone (or will) */
  bool enum_extra_added;  /* the one round of connections opened only to enumerate */
  /* One per connection the check can open (rd_check_max_conns), allocated when the name resolves
   * and never moved: a check waiting on its name holds none, one on an address holds 16, not 36. */
  slot *slots;
  size_t n_slots, cap_slots;
  size_t scan;          /* where rd_check_next_action resumes */
  uint8_t *sent;        /* the data of the last SEND action, wiped and freed at the next call (an
                           auto-logon Client Info holds the password) */
  size_t sent_len;
  /* The check's one authentication: granted to at most one probe, never retried. */
  auth_token token;
  rd_credssp_auth auth;
};

static void drop_sent(rd_check *chk) {
  if (chk->sent != NULL)
    rd_wipe(chk->sent, chk->sent_len);
  free(chk->sent);
  chk->sent = NULL;
  chk->sent_len = 0;
}

static rd_us since(const rd_check *chk, rd_us now) { return now > chk->t0 ? now - chk->t0 : 0; }

rd_check *rd_check_new(const rd_check_config *cfg, rd_check_facts *facts, rd_us now) {
  if (cfg->host == NULL || cfg->host[0] == '\0' || strlen(cfg->host) >= sizeof facts->host)
    return NULL;
  rd_check *chk = calloc(1, sizeof *chk);
  if (chk == NULL)
    return NULL;
  chk->cfg = *cfg;
  snprintf(chk->host, sizeof chk->host, "%s", cfg->host);
  chk->cfg.host = chk->host;
  if (chk->cfg.timeout_us == 0)
    chk->cfg.timeout_us = 10 * 1000000u;
  if (chk->cfg.step_us == 0)
    chk->cfg.step_us = 3 * 1000000u;
  if (chk->cfg.step_us > chk->cfg.timeout_us)
    chk->cfg.step_us = chk->cfg.timeout_us;
  chk->facts = facts;
  chk->t0 = now;
  chk->deadline = now + chk->cfg.timeout_us;
  chk->plan_addr = 0;
  memset(facts, 0, sizeof *facts); /* the caller freed what an earlier check left there */
  snprintf(facts->host, sizeof facts->host, "%s", cfg->host);
  facts->port = cfg->port;
  facts->started_unix = cfg->started_unix;
  facts->reach.chosen = -1;
  facts->cert_probe = -1;
  facts->auth_requested = cfg->auth != NULL;
  if (cfg->auth != NULL) {
    chk->token = TOKEN_AVAILABLE;
    chk->auth.in = cfg->auth;
  }
  return chk;
}

void rd_check_free(rd_check *chk) {
  if (chk == NULL)
    return;
  for (size_t i = 0; i < chk->n_slots; i++)
    if (chk->slots[i].kind == SLOT_PROBE)
      rd_probe_cleanup(&chk->slots[i].probe);
  free(chk->slots);
  rd_credssp_auth_clear(&chk->auth);
  drop_sent(chk);
  free(chk);
}

/* ---- the plan ---------------------------------------------------------------------------- */

static slot *new_slot(rd_check *chk, slot_kind kind) {
  if (chk->n_slots == chk->cap_slots)
    return NULL;
  slot *s = &chk->slots[chk->n_slots++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  return s;
}

static void add_probe(rd_check *chk, const rd_probe_request *req, int addr_index) {
  rd_check_facts *f = chk->facts;
  if (f->n_probes == f->cap_probes)
    return;
  slot *s = new_slot(chk, SLOT_PROBE);
  if (s == NULL)
    return;
  rd_probe_facts *pf = &f->probes[f->n_probes++];
  memset(pf, 0, sizeof *pf);
  pf->req = *req;
  pf->req.addr_index = addr_index;
  if (chk->cfg.no_session || chk->cfg.quick)
    pf->req.session = false;
  pf->req.logon = pf->req.session && chk->cfg.logon && chk->cfg.auth != NULL;
  rd_probe_init(&s->probe, pf, chk->cfg.step_us);
  s->probe.crypto = chk->cfg.crypto;
  /* The logon wait ends before the check's deadline by a margin, so the probe still ends the
   * session itself (Shutdown Request, Disconnect Provider Ultimatum) rather than being cut. */
  rd_us margin = chk->cfg.step_us < chk->cfg.timeout_us / 4 ? chk->cfg.step_us : chk->cfg.timeout_us / 4;
  s->probe.logon_until = chk->deadline - margin;
}

/* Grows the probes' facts; they may move, so every probe is pointed at its own again. */
static int reserve(rd_check *chk, size_t n) {
  int r = rd_check_facts_reserve(chk->facts, n);
  size_t k = 0;
  for (size_t i = 0; i < chk->n_slots; i++)
    if (chk->slots[i].kind == SLOT_PROBE)
      chk->slots[i].probe.facts = &chk->facts->probes[k++];
  return r;
}

static size_t plan_rows(const rd_check *chk) { return chk->cfg.quick ? 1 : N_PLAN; }

size_t rd_check_max_conns(const rd_check_config *cfg, size_t n_addrs) {
  if (n_addrs == 0)
    return 0;
  if (n_addrs > RD_MAX_ADDRS)
    n_addrs = RD_MAX_ADDRS;
  size_t rows = cfg->quick ? 1 : N_PLAN;
  size_t n = (n_addrs - 1) + rows; /* a connect to each other address, the set on the first */
  if (n_addrs > 1)
    n += rows;                     /* the set again, once, on another address that connected */
  if (!cfg->quick)
    n += 1;                        /* the follow-up that names what is on the port */
  if (n_addrs == 1 && !cfg->quick && !cfg->no_side_ports)
    n += RD_MAX_SIDE_PORTS;        /* the side ports, when the only address is silent */
  return n < RD_CHECK_MAX_CONNS ? n : RD_CHECK_MAX_CONNS;
}

static void add_plan(rd_check *chk, int addr_index) {
  for (size_t i = 0; i < plan_rows(chk); i++)
    add_probe(chk, &plan[i], addr_index);
}

void rd_check_resolved(rd_check *chk, const rd_name_facts *answer, rd_us now) {
  if (chk->resolved)
    return;
  rd_name_facts *n = &chk->facts->name;
  *n = *answer;
  if (n->n_addrs > RD_MAX_ADDRS)
    n->n_addrs = RD_MAX_ADDRS;
  chk->resolving = false;
  chk->resolved = true;
  if (chk->cut || n->n_addrs == 0)
    return;
  size_t cap = rd_check_max_conns(&chk->cfg, n->n_addrs);
  if ((chk->slots = calloc(cap, sizeof *chk->slots)) == NULL)
    return; /* no probe: the facts say no connection was made, the verdict that we could not check */
  chk->cap_slots = cap;
  /* Room for a connect to each other address and the set on the first; a move adds the set. */
  if (reserve(chk, (n->n_addrs - 1) + plan_rows(chk)) != 0)
    return;
  /* A connect only to each of the other addresses (so the report can say which of them are
   * dead); the full probe set on the first, which most clients try first. */
  static const rd_probe_request connect_only = {RD_PROBE_CONNECT, false, 0, 0, 0, false, false};
  for (size_t k = 1; k < n->n_addrs; k++)
    add_probe(chk, &connect_only, (int)k);
  add_plan(chk, 0);
}

/* ---- reach: addresses, the move, side ports ------------------------------------------------ */

static int conn_index(const rd_check *chk, const slot *s) { return (int)(s - chk->slots); }

static slot *slot_of(rd_check *chk, int conn) {
  return conn >= 0 && (size_t)conn < chk->n_slots ? &chk->slots[conn] : NULL;
}

/* Whether every probe of the set on the plan address failed to connect. */
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
 * connects. The set starts on the first address; when all its connects failed and another address
 * connected, it starts over there, once. */
static void maybe_move_plan(rd_check *chk) {
  rd_check_facts *f = chk->facts;
  if (f->reach.chosen >= 0 || chk->plan_moved || chk->cut || !plan_address_failed(chk))
    return;
  for (size_t k = 0; k < f->name.n_addrs; k++) {
    if ((int)k == chk->plan_addr || f->reach.addr_outcome[k] != RD_CONN_OK)
      continue;
    chk->plan_moved = true;
    chk->plan_addr = (int)k;
    f->reach.chosen = (int)k;
    if (reserve(chk, f->n_probes + plan_rows(chk)) == 0)
      add_plan(chk, (int)k);
    return;
  }
}

static void start_side_ports(rd_check *chk, rd_us now) {
  rd_check_facts *f = chk->facts;
  if (chk->side_started || chk->cfg.no_side_ports || chk->cfg.quick || f->reach.chosen >= 0 || chk->cut)
    return;
  chk->side_started = true;
  for (size_t i = 0; i < RD_MAX_SIDE_PORTS && f->reach.n_side < RD_MAX_SIDE_PORTS; i++) {
    if (rd_side_ports[i] == chk->cfg.port)
      continue;
    slot *s = new_slot(chk, SLOT_SIDE);
    if (s == NULL)
      break;
    rd_side_port *sp = &f->reach.side[f->reach.n_side++];
    sp->port = rd_side_ports[i];
    sp->outcome = RD_CONN_NOT_TRIED;
    s->side = sp;
    s->side_deadline = now + chk->cfg.step_us;
  }
}

/* The first connect outcome per address, the chosen address, the move and the side ports. */
static void record_address(rd_check *chk, const rd_probe_facts *pf, rd_us now) {
  rd_check_facts *f = chk->facts;
  int a = pf->req.addr_index;
  if (a < 0 || (size_t)a >= f->name.n_addrs || pf->connect == RD_CONN_NOT_TRIED)
    return;
  if (f->reach.addr_outcome[a] != RD_CONN_OK) { /* once an address connected, it did */
    f->reach.addr_outcome[a] = pf->connect;
    f->reach.addr_connect_us[a] = pf->connect_us;
  }
  if (pf->connect == RD_CONN_OK && f->reach.chosen < 0 && a == chk->plan_addr)
    f->reach.chosen = a;
  bool silent = pf->connect == RD_CONN_TIMEOUT && a == chk->plan_addr;
  maybe_move_plan(chk); /* may move the probes' facts: pf is not read after it */
  if (silent && f->name.n_addrs == 1)
    start_side_ports(chk, now);
}

/* RTT samples: every probe's connect to the chosen address. */
static void summarize_reach(rd_check_facts *f) {
  rd_us samples[RD_MAX_PROBES];
  size_t n = 0;
  int addr = f->reach.chosen >= 0 ? f->reach.chosen : 0;
  f->reach.samples = f->reach.failures = f->reach.retries = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->req.addr_index != addr || p->connect == RD_CONN_NOT_TRIED || p->connect == RD_CONN_CUT ||
        p->connect == RD_CONN_LOCAL_ERROR)
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

/* ---- certificate and the one authentication ------------------------------------------------ */

/* Which certificate speaks for the server: that of an unpinned handshake, which is what a client
 * sees, else the first one any handshake delivered. */
static void keep_certificate(rd_check *chk, const rd_probe_facts *pf, const rd_tls_event *ev) {
  rd_check_facts *f = chk->facts;
  bool better = !f->have_cert || (f->probes[f->cert_probe].req.tls_pin != 0 && pf->req.tls_pin == 0);
  if (!better || ev->cert_der == NULL || ev->cert_len == 0)
    return;
  uint8_t *der = malloc(ev->cert_len);
  if (der == NULL)
    return;
  memcpy(der, ev->cert_der, ev->cert_len);
  free(f->cert_der);
  f->cert_der = der;
  f->cert_der_len = ev->cert_len;
  f->cert_probe = (int)(pf - f->probes);
  f->have_cert = rd_cert_facts_from_der(der, ev->cert_len, &f->cert) == 0;
}

/* The first probe of the set on the plan address requests what a Windows client requests. */
static slot *client_slot(rd_check *chk) {
  for (size_t i = 0; i < chk->n_slots; i++) {
    slot *s = &chk->slots[i];
    const rd_probe_request *r = s->kind == SLOT_PROBE ? &s->probe.facts->req : NULL;
    if (r != NULL && r->kind == RD_PROBE_NEGO && !r->legacy && r->protocols == CLIENT_LIKE &&
        r->addr_index == chk->plan_addr)
      return s;
  }
  return NULL;
}

/* One attempt per check, never retried (DESIGN.md): the probe that requests what a client requests
 * makes it when it reaches a CHALLENGE; only when it cannot (it ended elsewhere) the first other
 * probe that can. Every other probe waiting for it ends with the identity it recorded. */
static void settle_auth(rd_check *chk, rd_us now) {
  slot *chosen = NULL;
  if (chk->token == TOKEN_AVAILABLE) {
    slot *client = client_slot(chk);
    if (client != NULL && rd_probe_wants_auth(&client->probe))
      chosen = client;
    else if (client == NULL || rd_probe_done(&client->probe))
      for (size_t i = 0; i < chk->n_slots && chosen == NULL; i++)
        if (chk->slots[i].kind == SLOT_PROBE && rd_probe_wants_auth(&chk->slots[i].probe))
          chosen = &chk->slots[i];
    if (chosen != NULL) {
      chk->token = TOKEN_GRANTED;
      rd_probe_grant_auth(&chosen->probe, &chk->auth, now);
    }
  }
  if (chk->token == TOKEN_AVAILABLE)
    return;
  for (size_t i = 0; i < chk->n_slots; i++)
    if (chk->slots[i].kind == SLOT_PROBE && rd_probe_wants_auth(&chk->slots[i].probe))
      rd_probe_grant_auth(&chk->slots[i].probe, NULL, now);
}

/* ---- what is on the port, when it is not RDP (issue #13) ------------------------------------ */

/* An X.224 answer: a Confirm (RSP, FAILURE, legacy) or a Disconnect Request. The server speaks
 * RDP, however badly: no follow-up. Every usable answer (diag's rd_query_usable) is one of these. */
static bool rdp_spoke(const rd_probe_facts *p) {
  return p->nego == RD_NEGO_RSP || p->nego == RD_NEGO_FAILURE || p->nego == RD_NEGO_LEGACY ||
         p->nego == RD_NEGO_DISCONNECT;
}

/* Once every probe of the set on the plan address has ended, at least one connected, and none got
 * an RDP answer (each was not-rdp, silent, closed, reset or malformed), one more connection names
 * the service: 11 + 1 within the budget of a dozen. A plaintext line protocol (HTTP) waits for a
 * line our Connection Request never ends, while a TLS server rejects its first byte (content type
 * 3) at once: when every request met silence, or an HTTP answer came, it asks HTTP in clear;
 * otherwise TLS first, where an RD Gateway lives. */
static void maybe_identify(rd_check *chk) {
  rd_check_facts *f = chk->facts;
  if (chk->identify_added || chk->cut || chk->cfg.quick || !chk->resolved)
    return;
  bool connected = false, all_silent = true, http = false;
  for (size_t i = 0; i < chk->n_slots; i++) {
    const slot *s = &chk->slots[i];
    if (s->kind != SLOT_PROBE || s->probe.facts->req.kind == RD_PROBE_CONNECT ||
        s->probe.facts->req.addr_index != chk->plan_addr)
      continue;
    const rd_probe_facts *p = s->probe.facts;
    if (!rd_probe_done(&s->probe) || rdp_spoke(p))
      return;
    if (p->connect != RD_CONN_OK || p->nego == RD_NEGO_LOCAL_ERROR || p->nego == RD_NEGO_CUT)
      continue;
    connected = true;
    all_silent = all_silent && p->nego == RD_NEGO_SILENT;
    http = http || (p->nego == RD_NEGO_NOT_RDP && p->service == RD_SVC_HTTP);
  }
  if (!connected)
    return;
  chk->identify_added = true;
  if (reserve(chk, f->n_probes + 1) != 0)
    return;
  static const rd_probe_request req = {RD_PROBE_IDENTIFY, false, 0, 0, 0, false, false};
  size_t before = chk->n_slots;
  add_probe(chk, &req, chk->plan_addr);
  if (chk->n_slots > before) {
    chk->slots[before].probe.host = chk->host;
    chk->slots[before].probe.port = chk->cfg.port;
    chk->slots[before].probe.plain_http = all_silent || http;
  }
}

/* ---- Standard RDP Security: which encryption methods, at which level (issue #12) ----------- */

/* DESIGN.md: a dozen connections per check at most. */
#define CONN_BUDGET 12

static bool enum_wanted(const rd_check *chk) { return !chk->cfg.no_session && !chk->cfg.quick; }

/* The connection negotiated Standard RDP Security: RDP selected, or a legacy Confirm (a server
 * that predates negotiation speaks nothing else). */
static bool standard_security(const rd_probe_facts *p) {
  return (p->nego == RD_NEGO_RSP && p->selected == RD_X224_PROTOCOL_RDP) || p->nego == RD_NEGO_LEGACY;
}

/* The level of the first Connect Response under Standard RDP Security on the plan address, -1
 * while none came. */
static int known_level(const rd_check *chk) {
  const rd_check_facts *f = chk->facts;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->req.addr_index == chk->plan_addr && standard_security(p) && p->session.connect_response &&
        p->session.security_present)
      return (int)p->session.encryption_level;
  }
  return -1;
}

/* A level that admits one method at most settles every method without a connection of its own
 * ([MS-RDPBCGR] 5.3.2): High only 128-bit, FIPS only FIPS, None no encryption at all. At Low and
 * Client Compatible what a server accepts differs (xrdp's "medium" selects 40-bit whatever the
 * client offers), so each method is offered alone. */
static bool level_settles(int level) {
  return level == RD_GCC_ENCRYPTION_LEVEL_HIGH || level == RD_GCC_ENCRYPTION_LEVEL_FIPS ||
         level == RD_GCC_ENCRYPTION_LEVEL_NONE;
}

/* The next method no connection offered alone yet, in the order 40, 56, 128-bit, FIPS (the weak
 * ones first: they are what a finding rests on); 0 when none is left to probe. */
/* Methods a Connect Response under Standard RDP Security already selected (the session probes
 * offer every method): accepted, no connection of their own needed. */
static uint32_t selected_methods(const rd_check *chk) {
  const rd_check_facts *f = chk->facts;
  uint32_t seen = 0;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    if (p->req.addr_index == chk->plan_addr && standard_security(p) && p->session.connect_response &&
        p->session.security_present)
      seen |= p->session.encryption_method;
  }
  return seen;
}

static uint32_t next_offer(const rd_check *chk) {
  if (level_settles(known_level(chk)))
    return 0;
  uint32_t settled = chk->enum_assigned | selected_methods(chk);
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    if (!(settled & rd_rdpsec_methods[m]))
      return rd_rdpsec_methods[m];
  return 0;
}

/* A probe of the set that may carry an enumeration once its Confirm selects Standard RDP Security:
 * every request but the client's own (which goes on into the session offering every method). Its
 * negotiation facts are recorded first; the connection then goes on instead of closing. */
static bool enum_carrier(const rd_check *chk, const slot *s) {
  const rd_probe_request *r = &s->probe.facts->req;
  return enum_wanted(chk) && (r->kind == RD_PROBE_NEGO || r->kind == RD_PROBE_TLS_VERSION) && !r->session &&
         r->addr_index == chk->plan_addr && s->probe.state == RD_PS_X224_WAIT_CONFIRM;
}

/* Once every probe of the set has its Confirm and every enumeration has ended, while Standard RDP
 * Security was selected and methods are left unsettled (too few connections selected it: a
 * Windows server with TLS offers RDP only to RDP-only and legacy requests), one round of
 * connections that request RDP and offer one method each, within the budget. */
static void maybe_enumerate_more(rd_check *chk) {
  rd_check_facts *f = chk->facts;
  if (chk->enum_extra_added || !enum_wanted(chk) || chk->cut || !chk->resolved)
    return;
  bool standard = false, answered = false, tried = chk->enum_assigned != 0;
  for (size_t i = 0; i < chk->n_slots; i++) {
    const slot *s = &chk->slots[i];
    if (s->kind != SLOT_PROBE || s->probe.facts->req.kind == RD_PROBE_CONNECT ||
        s->probe.facts->req.addr_index != chk->plan_addr)
      continue;
    rd_probe_state st = s->probe.state;
    if (st == RD_PS_CONNECTING || st == RD_PS_X224_SEND_REQUEST || st == RD_PS_X224_WAIT_CONFIRM)
      return;
    if (s->probe.facts->session.enumeration && !rd_probe_done(&s->probe))
      return;
    /* A session probe under Standard RDP Security (the RDP-only request) offers every method: its
     * Connect Response gives the level first, and its silence counts as an unanswered offer. */
    if (st == RD_PS_MCS_SEND_CONNECT_INITIAL || st == RD_PS_MCS_WAIT_CONNECT_RESPONSE)
      return;
    const rd_session_facts *ss = &s->probe.facts->session;
    const rd_probe_request *r = &s->probe.facts->req;
    tried = tried || (standard_security(s->probe.facts) && ss->outcome != RD_SESS_NOT_TRIED);
    /* The connections added request RDP: when the set's own RDP request got no RDP Confirm (xrdp in
     * tls mode refuses it, yet answers a legacy request with a legacy Confirm), they would not. */
    if (r->kind == RD_PROBE_NEGO && !r->legacy && r->protocols == RD_X224_PROTOCOL_RDP &&
        !standard_security(s->probe.facts))
      return;
    standard = standard || standard_security(s->probe.facts);
    answered = answered || (standard_security(s->probe.facts) &&
                            (ss->connect_response || ss->outcome == RD_SESS_REFUSED || ss->outcome == RD_SESS_CLOSED ||
                             ss->outcome == RD_SESS_RESET || ss->outcome == RD_SESS_DISCONNECTED));
  }
  /* A server that selected Standard RDP Security but left every Connect Initial so far without an
   * answer (silent, malformed) would leave more the same way: no more connections for it. */
  if (!standard || (tried && !answered))
    return;
  chk->enum_extra_added = true;
  uint32_t pending[RD_RDPSEC_N_METHODS];
  size_t n = 0;
  for (uint32_t m = next_offer(chk); m != 0 && n < RD_RDPSEC_N_METHODS; m = next_offer(chk)) {
    pending[n++] = m;
    chk->enum_assigned |= m; /* taken now, so next_offer moves on */
  }
  size_t room = chk->n_slots < CONN_BUDGET ? CONN_BUDGET - chk->n_slots : 0;
  if (n > room)
    n = room;
  if (n == 0 || reserve(chk, f->n_probes + n) != 0)
    return;
  static const rd_probe_request req = {RD_PROBE_RDP_SECURITY, false, RD_X224_PROTOCOL_RDP, 0, 0, false, false};
  for (size_t k = 0; k < n; k++) {
    size_t before = chk->n_slots;
    add_probe(chk, &req, chk->plan_addr);
    if (chk->n_slots > before)
      chk->slots[before].probe.enum_offer = pending[k];
  }
}

/* The summary (facts.h rd_rdpsec_enum_facts), once every connection ended: each method accepted or
 * refused by a connection that offered it (alone, or the client's with every method, whose answer
 * proves the one it selected), else inferred from a level that admits one method, else not tested. */
static void summarize_rdpsec(rd_check_facts *f, int addr) {
  rd_rdpsec_enum_facts *r = &f->rdp_security;
  memset(r, 0, sizeof *r);
  r->level_probe = -1;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++)
    r->methods[m].probe = -1;
  for (size_t i = 0; i < f->n_probes; i++) {
    const rd_probe_facts *p = &f->probes[i];
    const rd_session_facts *s = &p->session;
    if (p->req.addr_index != addr || !standard_security(p) || s->outcome == RD_SESS_NOT_TRIED)
      continue;
    r->tested = true;
    r->connections++;
    r->extra_connections += p->req.kind == RD_PROBE_RDP_SECURITY;
    bool answered = s->connect_response && s->security_present;
    if (answered && !r->level_present) {
      r->level_present = true;
      r->level = s->encryption_level;
      r->level_probe = (int)i;
    } else if (answered && s->encryption_level != r->level) {
      r->level_varies = true;
    }
    for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
      rd_rdpsec_method *x = &r->methods[m];
      uint32_t bit = rd_rdpsec_methods[m];
      if (!(s->offered_methods & bit) || x->basis == RD_RDPSEC_BASIS_PROBED)
        continue;
      bool alone = s->offered_methods == bit;
      if (answered && s->encryption_method == bit) {
        x->status = RD_RDPSEC_ACCEPTED;
      } else if (alone && (answered || s->outcome == RD_SESS_REFUSED || s->outcome == RD_SESS_CLOSED ||
                           s->outcome == RD_SESS_RESET || s->outcome == RD_SESS_DISCONNECTED ||
                           s->outcome == RD_SESS_ERROR_INFO)) {
        x->status = RD_RDPSEC_REFUSED; /* another method, a refusal, or the end, right after the offer */
      } else {
        continue; /* offered with others and not selected, or no answer: says nothing */
      }
      x->basis = RD_RDPSEC_BASIS_PROBED;
      x->probe = (int)i;
      x->answered_present = answered;
      x->answered_method = answered ? s->encryption_method : 0;
    }
  }
  if (!r->level_present || !level_settles((int)r->level))
    return;
  for (size_t m = 0; m < RD_RDPSEC_N_METHODS; m++) {
    rd_rdpsec_method *x = &r->methods[m];
    if (x->basis != RD_RDPSEC_BASIS_NONE)
      continue;
    uint32_t bit = rd_rdpsec_methods[m];
    bool only = (r->level == RD_GCC_ENCRYPTION_LEVEL_HIGH && bit == RD_GCC_ENCRYPTION_METHOD_128BIT) ||
                (r->level == RD_GCC_ENCRYPTION_LEVEL_FIPS && bit == RD_GCC_ENCRYPTION_METHOD_FIPS);
    x->status = only ? RD_RDPSEC_ACCEPTED : RD_RDPSEC_REFUSED;
    x->basis = RD_RDPSEC_BASIS_INFERRED;
  }
}

/* After every event: the decisions that span probes. */
static void advance(rd_check *chk, rd_us now) {
  settle_auth(chk, now);
  maybe_identify(chk);
  maybe_enumerate_more(chk);
}

/* ---- events -------------------------------------------------------------------------------- */

void rd_check_launched(rd_check *chk, int conn, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s != NULL && s->kind == SLOT_PROBE)
    rd_probe_launch(&s->probe, now);
}

void rd_check_connected(rd_check *chk, int conn, rd_conn_outcome outcome, const char *error, rd_us attempt_us,
                        unsigned retries, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s == NULL)
    return;
  if (s->kind == SLOT_SIDE) {
    if (s->side->outcome == RD_CONN_NOT_TRIED) {
      s->side->outcome = outcome;
      s->side->connect_us = since(chk, now);
    }
    return;
  }
  if (s->probe.state != RD_PS_CONNECTING)
    return;
  rd_probe_connected(&s->probe, outcome, error, attempt_us, retries, now);
  record_address(chk, s->probe.facts, now);
  advance(chk, now);
}

size_t rd_check_need(const rd_check *chk, int conn, const uint8_t *head, size_t have) {
  const slot *s = conn >= 0 && (size_t)conn < chk->n_slots ? &chk->slots[conn] : NULL;
  if (s == NULL || s->kind != SLOT_PROBE)
    return have;
  return rd_probe_need(&s->probe, head, have);
}

void rd_check_partial(rd_check *chk, int conn, const uint8_t *head, size_t have, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s != NULL && s->kind == SLOT_PROBE)
    rd_probe_partial(&s->probe, head, have, now);
}

void rd_check_frame(rd_check *chk, int conn, const uint8_t *frame, size_t n, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s == NULL || s->kind != SLOT_PROBE)
    return;
  /* The check's choice for a Confirm that selects Standard RDP Security; kept only if it does. */
  bool carrier = enum_carrier(chk, s);
  if (carrier)
    s->probe.enum_offer = next_offer(chk);
  rd_probe_feed(&s->probe, frame, n, now);
  if (carrier && s->probe.facts->session.enumeration)
    chk->enum_assigned |= s->probe.enum_offer;
  else if (carrier)
    s->probe.enum_offer = 0;
  advance(chk, now);
}

void rd_check_tls_bytes(rd_check *chk, int conn, const uint8_t *in, size_t n) {
  slot *s = slot_of(chk, conn);
  if (s != NULL && s->kind == SLOT_PROBE)
    rd_probe_tls_bytes(&s->probe, in, n);
}

void rd_check_tls_done(rd_check *chk, int conn, const rd_tls_event *ev, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s == NULL || s->kind != SLOT_PROBE ||
      (s->probe.state != RD_PS_TLS_UPGRADE && s->probe.state != RD_PS_IDENT_TLS))
    return;
  rd_probe_tls_done(&s->probe, ev, now);
  if (s->probe.facts->tls.outcome == RD_TLSO_OK)
    keep_certificate(chk, s->probe.facts, ev);
  advance(chk, now);
}

void rd_check_eof(rd_check *chk, int conn, bool reset, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s == NULL)
    return;
  if (s->kind == SLOT_PROBE) {
    bool connecting = s->probe.state == RD_PS_CONNECTING;
    rd_probe_eof(&s->probe, reset, now);
    if (connecting)
      record_address(chk, s->probe.facts, now);
  }
  advance(chk, now);
}

void rd_check_local_error(rd_check *chk, int conn, int err, rd_us now) {
  slot *s = slot_of(chk, conn);
  if (s == NULL)
    return;
  if (s->kind == SLOT_SIDE) {
    if (s->side->outcome == RD_CONN_NOT_TRIED)
      s->side->outcome = RD_CONN_LOCAL_ERROR;
    return;
  }
  rd_probe_local_error(&s->probe, err, now);
  advance(chk, now);
}

void rd_check_retransmits(rd_check *chk, int conn, unsigned before_reply, unsigned after_reply) {
  slot *s = slot_of(chk, conn);
  if (s == NULL || s->kind != SLOT_PROBE)
    return;
  s->probe.facts->retransmits_before_reply = (int)before_reply;
  s->probe.facts->retransmits_after_reply = (int)after_reply;
}

void rd_check_expire(rd_check *chk, rd_us now) {
  if (!chk->cut && now >= chk->deadline) {
    /* The whole-check deadline: everything under way is cut short by us, not by the server. */
    chk->cut = true;
    chk->facts->deadline_hit = true;
    for (size_t i = 0; i < chk->n_slots; i++) {
      slot *s = &chk->slots[i];
      if (s->kind == SLOT_SIDE && s->side->outcome == RD_CONN_NOT_TRIED)
        s->side->outcome = RD_CONN_CUT;
      else if (s->kind == SLOT_PROBE && !rd_probe_done(&s->probe))
        rd_probe_cut(&s->probe, now);
    }
    return;
  }
  for (size_t i = 0; i < chk->n_slots; i++) {
    slot *s = &chk->slots[i];
    if (s->kind == SLOT_SIDE) {
      if (s->side->outcome == RD_CONN_NOT_TRIED && now >= s->side_deadline)
        s->side->outcome = RD_CONN_TIMEOUT;
      continue;
    }
    if (rd_probe_done(&s->probe) || rd_probe_deadline(&s->probe) > now)
      continue;
    bool connecting = s->probe.state == RD_PS_CONNECTING;
    rd_probe_expire(&s->probe, now);
    if (connecting)
      record_address(chk, s->probe.facts, now);
  }
  advance(chk, now);
}

rd_us rd_check_deadline(const rd_check *chk) {
  if (chk->finalized)
    return RD_US_NONE;
  rd_us d = chk->cut ? RD_US_NONE : chk->deadline;
  for (size_t i = 0; i < chk->n_slots; i++) {
    const slot *s = &chk->slots[i];
    rd_us t = RD_US_NONE;
    if (s->kind == SLOT_SIDE && s->side->outcome == RD_CONN_NOT_TRIED && s->connect_sent)
      t = s->side_deadline;
    else if (s->kind == SLOT_PROBE)
      t = rd_probe_deadline(&s->probe);
    if (t < d)
      d = t;
  }
  return d;
}

/* ---- actions ------------------------------------------------------------------------------- */

static bool slot_finished(const slot *s) {
  return s->kind == SLOT_SIDE ? s->side->outcome != RD_CONN_NOT_TRIED : rd_probe_done(&s->probe);
}

static bool pull_send(rd_check *chk, slot *s, rd_action *out, rd_us now) {
  if (!rd_probe_wants_send(&s->probe))
    return false;
  rd_bld b;
  uint8_t *bytes = NULL;
  size_t len = 0;
  rd_transport transport = rd_probe_transport(&s->probe);
  rd_bld_init(&b, 1u << 20);
  if (rd_probe_pull(&s->probe, &b, now) != 0 || !rd_bld_finish(&b, &bytes, &len)) {
    rd_bld_cleanup(&b);
    if (!rd_probe_done(&s->probe))
      rd_probe_local_error(&s->probe, RD_E_NOMEM, now);
    return false;
  }
  if (len == 0) {
    free(bytes);
    return false;
  }
  chk->sent = bytes;
  chk->sent_len = len;
  *out = (rd_action){.kind = RD_ACT_SEND, .conn = conn_index(chk, s), .transport = transport, .data = bytes, .len = len};
  return true;
}

/* The next action of one connection, if it has one due. */
static bool slot_action(rd_check *chk, slot *s, rd_action *out, rd_us now) {
  int conn = conn_index(chk, s);
  if (s->close_sent)
    return false;
  if (slot_finished(s)) {
    s->close_sent = true;
    *out = (rd_action){.kind = RD_ACT_CLOSE, .conn = conn};
    return true;
  }
  if (!s->connect_sent) {
    s->connect_sent = true;
    if (s->kind == SLOT_SIDE) {
      int addr = chk->facts->reach.chosen >= 0 ? chk->facts->reach.chosen : chk->plan_addr;
      *out = (rd_action){.kind = RD_ACT_CONNECT, .conn = conn, .addr_index = addr, .port = s->side->port};
    } else {
      *out = (rd_action){.kind = RD_ACT_CONNECT, .conn = conn, .addr_index = s->probe.facts->req.addr_index,
                         .port = chk->cfg.port, .probe = true};
    }
    return true;
  }
  if (s->kind == SLOT_SIDE)
    return false;
  rd_tls_request tls;
  if (rd_probe_wants_tls(&s->probe, &tls)) {
    bool literal = chk->facts->name.status == RD_NAME_LITERAL;
    *out = (rd_action){.kind = RD_ACT_START_TLS, .conn = conn, .tls = tls, .host = literal ? NULL : chk->host};
    return true;
  }
  if (pull_send(chk, s, out, now))
    return true;
  if (rd_probe_done(&s->probe)) { /* pulling failed on our side */
    s->close_sent = true;
    *out = (rd_action){.kind = RD_ACT_CLOSE, .conn = conn};
    return true;
  }
  return false;
}

static bool all_closed(const rd_check *chk) {
  if (!chk->resolved)
    return false;
  for (size_t i = 0; i < chk->n_slots; i++)
    if (!chk->slots[i].close_sent)
      return false;
  return true;
}

static void finalize(rd_check *chk, rd_us now) {
  if (chk->finalized)
    return;
  chk->finalized = true;
  summarize_reach(chk->facts);
  summarize_rdpsec(chk->facts, chk->plan_addr);
  chk->facts->total_us = since(chk, now);
}

bool rd_check_next_action(rd_check *chk, rd_action *out, rd_us now) {
  drop_sent(chk);
  if (!chk->resolve_sent) {
    chk->resolve_sent = chk->resolving = true;
    *out = (rd_action){.kind = RD_ACT_RESOLVE, .host = chk->host, .family = chk->cfg.family};
    return true;
  }
  if (chk->resolving && chk->cut && !chk->cancel_sent) {
    chk->cancel_sent = true;
    *out = (rd_action){.kind = RD_ACT_CANCEL_RESOLVE};
    return true;
  }
  /* Round-robin from where the last call stopped, so one chatty connection cannot starve the others. */
  for (size_t k = 0; k < chk->n_slots; k++) {
    size_t i = (chk->scan + k) % chk->n_slots;
    if (slot_action(chk, &chk->slots[i], out, now)) {
      chk->scan = i;
      advance(chk, now);
      return true;
    }
  }
  if (all_closed(chk))
    finalize(chk, now);
  return false;
}

bool rd_check_done(const rd_check *chk) { return chk->finalized; }
