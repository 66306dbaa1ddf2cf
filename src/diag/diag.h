/* Rules: facts -> findings and a verdict. Pure functions over rd_check_facts: no I/O, no output,
 * no clock (the check's own start time is in the facts), so each rule is tested on hand-built
 * facts. The words of a finding come from findings.def and the kb's causes. */
#ifndef RD_DIAG_DIAG_H
#define RD_DIAG_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/phase.h"
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
#define RD_EVIDENCE_LEN 240

typedef struct rd_finding {
  rd_finding_id id;
  char evidence[RD_EVIDENCE_LEN]; /* the facts that triggered it, in words and numbers */
  int probe;                      /* the probe that shows it best, -1 for none */
} rd_finding;

typedef struct rd_verdict {
  bool checked;          /* false: our side could not check (exit 3) */
  rd_phase ends_at;      /* where a default client's connection ends (RD_PH_ANY: not before the
                            phases tested) */
  int root;              /* index of the root-cause finding, -1 when healthy */
  rd_severity worst;
  bool any_finding_above_info;
  char summary[200];
} rd_verdict;

typedef struct rd_diagnosis {
  rd_finding items[RD_MAX_FINDINGS];
  size_t n;
  rd_verdict verdict;
} rd_diagnosis;

const rd_finding_def *rd_finding_def_get(rd_finding_id id);
const char *rd_severity_name(rd_severity s); /* "critical" */

/* Runs every rule over the facts. */
void rd_diagnose(const rd_check_facts *f, rd_diagnosis *out);

/* The process exit code for this diagnosis (docs/exit-codes.md). */
int rd_diagnosis_exit_code(const rd_diagnosis *d);

#endif
