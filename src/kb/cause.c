#define RD_KB_INTERNAL
#include "cause.h"

#include <string.h>

#define RD_CAUSE(id, slug, phase, title, why, check, confirm, fix) \
  {RD_CAUSE_##id, slug, RD_PH_##phase, title, why, check, confirm, fix},
static const rd_kb_cause causes[] = {
#include "causes.def"
};
#undef RD_CAUSE

typedef rd_kb_cause_link code_causes;

/* Each row's cause list becomes a static array; its length is counted by the compiler. */
#define RD_CODE_CAUSES(table, value, ...)                                   \
  {RD_TAB_##table, value, (const rd_cause_id[]){__VA_ARGS__},               \
   sizeof((const rd_cause_id[]){__VA_ARGS__}) / sizeof(rd_cause_id)},
#define C(x) RD_CAUSE_##x
static const code_causes code_cause_rows[] = {
#include "code_causes.def"
};
#undef C
#undef RD_CODE_CAUSES

const rd_kb_cause *rd_kb_cause_get(rd_cause_id id) {
  return (unsigned)id < RD_CAUSE_COUNT ? &causes[id] : NULL;
}

const rd_kb_cause *rd_kb_cause_by_slug(const char *slug) {
  for (size_t i = 0; i < RD_CAUSE_COUNT; i++)
    if (strcmp(causes[i].slug, slug) == 0)
      return &causes[i];
  return NULL;
}

size_t rd_kb_causes_for(rd_kb_table t, uint32_t value, rd_cause_id *out, size_t cap) {
  for (size_t i = 0; i < sizeof code_cause_rows / sizeof code_cause_rows[0]; i++) {
    const code_causes *row = &code_cause_rows[i];
    if (row->table != t || row->value != value)
      continue;
    for (size_t k = 0; k < row->n && k < cap; k++)
      out[k] = row->ids[k];
    return row->n;
  }
  return 0;
}

size_t rd_kb_cause_links(const rd_kb_cause_link **out) {
  *out = code_cause_rows;
  return sizeof code_cause_rows / sizeof code_cause_rows[0];
}
