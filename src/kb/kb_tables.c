/* The code tables of the knowledge base: every row of every .def file in one array, in the order
 * of tables.def. Each .def holds rows only; this file says which table they belong to. */
#include "kb.h"

#define RD_TABLE(id, json, title, file) json,
static const char *const table_ids[] = {
#include "tables.def"
};
#undef RD_TABLE

#define RD_TABLE(id, json, title, file) title,
static const char *const table_titles[] = {
#include "tables.def"
};
#undef RD_TABLE

_Static_assert(sizeof table_ids / sizeof table_ids[0] == RD_TAB_COUNT, "one id per table");

#define RD_CODE(value, name, phase, conf, meaning, source) \
  {RD_KB_CUR_TABLE, (value), (name), RD_PH_##phase, RD_CONF_##conf, (meaning), (source)},

/* Same order as tables.def; the unit test checks that rows come out sorted by table. */
static const rd_kb_code codes[] = {
#define RD_KB_CUR_TABLE RD_TAB_DISC
#include "disc_reason.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_EXT
#include "ext_reason.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_ERRINFO
#include "errinfo.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_STATUS
#include "status.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_NEGF
#include "neg_failure.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_ERRCONNECT
#include "errconnect.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_EVENT
#include "event.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_LICERR
#include "license_error.def"
#undef RD_KB_CUR_TABLE
#define RD_KB_CUR_TABLE RD_TAB_LOGON
#include "logon_error.def"
#undef RD_KB_CUR_TABLE
};
#undef RD_CODE

#define N_CODES (sizeof codes / sizeof codes[0])

#define RD_DIALOG(phrase, table, value, source) {phrase, false, RD_TAB_##table, value, source},
#define RD_DIALOG_CODE(phrase, source) {phrase, true, RD_TAB_COUNT, 0, source},
static const rd_kb_dialog dialogs[] = {
#include "dialog.def"
};
#undef RD_DIALOG_CODE
#undef RD_DIALOG

const rd_kb_dialog *rd_kb_dialogs(size_t *n) {
  *n = sizeof dialogs / sizeof dialogs[0];
  return dialogs;
}

const char *rd_kb_table_id(rd_kb_table t) {
  return (unsigned)t < RD_TAB_COUNT ? table_ids[t] : "unknown";
}

const char *rd_kb_table_title(rd_kb_table t) {
  return (unsigned)t < RD_TAB_COUNT ? table_titles[t] : "Unknown table";
}

const char *rd_kb_conf_name(rd_conf c) {
  switch (c) {
  case RD_CONF_C: return "documented";
  case RD_CONF_I: return "inferred";
  case RD_CONF_U: return "unconfirmed";
  }
  return "unknown";
}

/* A linear scan: a few hundred rows, looked up a handful of times per run. */
const rd_kb_code *rd_kb_find(rd_kb_table t, uint32_t value) {
  for (size_t i = 0; i < N_CODES; i++)
    if (codes[i].table == t && codes[i].value == value)
      return &codes[i];
  return NULL;
}

const rd_kb_code *rd_kb_codes(size_t *n) {
  if (n)
    *n = N_CODES;
  return codes;
}
