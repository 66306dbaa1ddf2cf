/* Causes and fixes: the part of the knowledge base that explain prints for a code and that the
 * live diagnosis (diag) attaches to its findings. Each cause says why it happens, how to confirm
 * it (the `rdpdoctor check` findings that show it, and a command to run on the server), and the
 * fix as exact commands. Rows live in causes.def; which codes point at which causes, ranked, in
 * code_causes.def. */
#ifndef RD_KB_CAUSE_H
#define RD_KB_CAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "kb/kb.h"

#define RD_CAUSE(id, slug, phase, title, why, check, confirm, fix) RD_CAUSE_##id,
typedef enum rd_cause_id {
#include "causes.def"
  RD_CAUSE_COUNT
} rd_cause_id;
#undef RD_CAUSE

typedef struct rd_kb_cause {
  rd_cause_id id;
  const char *slug;    /* stable kebab-case id, used in JSON */
  rd_phase phase;      /* where the connection ends when this is the cause */
  const char *title;
  const char *why;     /* what goes wrong, in a few sentences */
  const char *check;   /* space-separated finding ids of `rdpdoctor check` that show it, or "" */
  const char *confirm; /* what to run on the server (or client) to confirm it; lines split by \n */
  const char *fix;     /* exact commands or policy paths; lines split by \n */
} rd_kb_cause;

const rd_kb_cause *rd_kb_cause_get(rd_cause_id id);
/* The cause with this slug, or NULL. */
const rd_kb_cause *rd_kb_cause_by_slug(const char *slug);

/* The causes of (table, value), most likely first. Returns how many there are (which may exceed
 * cap: only the first cap are written). 0 when the code has no causes on record. */
size_t rd_kb_causes_for(rd_kb_table t, uint32_t value, rd_cause_id *out, size_t cap);

#ifdef RD_KB_INTERNAL
/* For tests: every (table, value) -> causes row of code_causes.def. */
typedef struct rd_kb_cause_link {
  rd_kb_table table;
  uint32_t value;
  const rd_cause_id *ids;
  size_t n;
} rd_kb_cause_link;
size_t rd_kb_cause_links(const rd_kb_cause_link **out);
#endif

#endif
