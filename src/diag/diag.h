/* Rules: facts -> findings and a verdict. Pure functions over rd_check_facts: no I/O, no output,
 * no clock (the check's own start time is in the facts), so each rule is tested on hand-built
 * facts. A rule formats no English: a finding names its kb template and points at its evidence;
 * titles come from findings.def, sentences from kb/finding_text.def, fixes from the kb's causes. */
#ifndef RD_DIAG_DIAG_H
#define RD_DIAG_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/phase.h"
#include "kb/finding_text.h"
#include "probe/facts.h"

typedef enum rd_severity { RD_SEV_INFO, RD_SEV_WARNING, RD_SEV_CRITICAL } rd_severity;

#define RD_FINDING(id, slug, sev, title, cause, client, conf, phase) RD_F_##id,
typedef enum rd_finding_id {
#include "findings.def"
  RD_F_COUNT
} rd_finding_id;
#undef RD_FINDING

typedef struct rd_finding_def {
  rd_finding_id id;
  const char *slug;
  rd_severity severity;
  const char *title;
  const char *cause;       /* kb cause slug, "" for none */
  const char *client_code; /* "" for none */
  bool inferred;
  rd_phase phase;
} rd_finding_def;

#define RD_MAX_FINDINGS 40
#define RD_MAX_EVIDENCE 6   /* facts a finding rests on */
#define RD_POINTER_LEN 64   /* "/facts/probes/31/authentication/early_authz_present" */
#define RD_MAX_PARAMS 4

/* A number a rule computed that is no fact by itself: a count ("3 of 11 connects failed"), an
 * outlier, a day count. `name` is a static identifier the templates use ("tried", "days"). */
typedef struct rd_finding_param {
  const char *name;
  double value;
} rd_finding_param;

/* A finding is data: which one, which sentence of the kb says it, the facts it rests on. */
typedef struct rd_finding {
  rd_finding_id id;
  rd_ftext text; /* the template that words it (kb/finding_text.def), filled at render time */
  int probe;     /* the probe that shows it best, -1 for none; the template's probe facts */
  /* JSON pointers (RFC 6901) into the check's JSON document (docs/json.md): "/facts/probes/3/
   * negotiation/failure_code", "/facts/certificate/not_after". Each resolves in that document. */
  char evidence[RD_MAX_EVIDENCE][RD_POINTER_LEN];
  size_t n_evidence;
  rd_finding_param params[RD_MAX_PARAMS];
  size_t n_params;
} rd_finding;

/* How far one phase got, as the verdict states it (docs/json.md "verdict.phases"). */
#define RD_PHASE_STATES(X)                                                                         \
  X(OK, "ok")                   /* it worked; nothing above info */                                \
  X(WARNING, "warning")         /* a warning finding in this phase */                              \
  X(FAILED, "failed")           /* the server failed it: a critical finding, or no answer */       \
  X(SKIPPED, "skipped")         /* not reached, or the server selected nothing that needs it */    \
  X(NOT_TESTED, "not-tested")   /* rdpdoctor does not test it (yet) */                             \
  X(NOT_CHECKED, "not-checked") /* our side (a local error, the deadline) ended it: no verdict */
#define RD_PHASE_STATE_ENUM(id, name) RD_STATE_##id,
typedef enum rd_phase_state { RD_PHASE_STATES(RD_PHASE_STATE_ENUM) } rd_phase_state;
#undef RD_PHASE_STATE_ENUM

/* The phases a verdict states, in order: RD_PH_NAME … RD_PH_SESSION. */
#define RD_VERDICT_PHASES (RD_PH_SESSION + 1)

typedef struct rd_verdict {
  bool checked;          /* false: our side could not check (exit 3) */
  rd_unchecked unchecked; /* why not (RD_UNCHECKED_NONE when checked) */
  rd_phase ends_at;      /* where a default client's connection ends (RD_PH_ANY: not before the
                            phases tested) */
  int root;              /* index of the root-cause finding, -1 when healthy */
  rd_severity worst;
  bool any_finding_above_info;
  rd_phase_state phases[RD_VERDICT_PHASES]; /* indexed by rd_phase */
  /* Ranking (docs/verdict.md "Ranking"): the primary cause is `root`; contributing causes are
   * the other warning and critical findings, informational ones are facts; indexes into items,
   * in rank order. */
  int contributing[RD_MAX_FINDINGS];
  size_t n_contributing;
  int informational[RD_MAX_FINDINGS];
  size_t n_informational;
  /* The client error predicted for the primary cause: code and extended code as the dialog
   * prints them ("0x904", "0x7"), "" when the finding predicts none or no code. */
  char client_code[16], client_ext[16];
  bool client_inferred;
  int client_probe;      /* the probe that stands for a current Windows client, -1 none */
  int identity_probe;    /* the probe whose NTLM CHALLENGE says who the server is, -1 none */
  int auth_probe;        /* the probe that made the check's one authentication, -1 none */
} rd_verdict;

/* `check --codes 0x904,0x7`: does the live evidence match what the user's client showed? */
typedef enum rd_codes_result {
  RD_CODES_NONE,         /* no codes given */
  RD_CODES_SAME_CODE,    /* the primary cause predicts the very code (and extended code) given */
  RD_CODES_CAUSE,        /* the primary cause is one of the causes the code points to */
  RD_CODES_CONTRIBUTING, /* a contributing finding predicts the code or is one of its causes */
  RD_CODES_HEALTHY,      /* nothing fails now: the code came from elsewhere (see the causes) */
  RD_CODES_OTHER,        /* the live evidence points elsewhere */
} rd_codes_result;

typedef struct rd_codes_match {
  rd_codes_result result;
  char given[2][24];     /* the codes as the user gave them */
  uint32_t value[2];
  size_t n_given;
  int finding;           /* index of the finding that matched, -1 none */
  int cause;             /* rd_cause_id the code points to first (or the matched one), -1 none */
} rd_codes_match;

typedef struct rd_diagnosis {
  rd_finding items[RD_MAX_FINDINGS];
  size_t n;
  rd_verdict verdict;
  rd_codes_match codes;  /* filled by rd_diag_codes; result RD_CODES_NONE otherwise */
} rd_diagnosis;

const rd_finding_def *rd_finding_def_get(rd_finding_id id);
const char *rd_severity_name(rd_severity s); /* "critical" */
const char *rd_phase_state_name(rd_phase_state s); /* "not-checked" */
/* A parameter of the finding by name; false when it has none. */
bool rd_finding_param_get(const rd_finding *fd, const char *name, double *value);

/* Runs every rule over the facts. */
void rd_diagnose(const rd_check_facts *f, rd_diagnosis *out);

struct rd_explanation;
/* Compares the codes a user's client showed (explained as `rdpdoctor explain` reads them) with
 * the live evidence: fills d->codes. The exit code does not change. */
void rd_diag_codes(rd_diagnosis *d, const struct rd_explanation *ex);
const char *rd_codes_result_name(rd_codes_result r); /* "same-code", "cause", … */

/* The process exit code for this diagnosis (docs/exit-codes.md). */
int rd_diagnosis_exit_code(const rd_diagnosis *d);

#endif
