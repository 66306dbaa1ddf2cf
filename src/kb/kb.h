/* The knowledge base: what each code users meet *is* (code tables), and the causes and fixes that
 * explain and diag share. All of it is compile-time data from the .def files in this folder.
 * A code table says what a code is; which finding it leads to is a rule's business. */
#ifndef RD_KB_KB_H
#define RD_KB_KB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/phase.h"

#define RD_TABLE(id, json, title, file) RD_TAB_##id,
typedef enum rd_kb_table {
#include "tables.def"
  RD_TAB_COUNT
} rd_kb_table;
#undef RD_TABLE

/* How sure we are of a row: documented (C), inferred from behaviour or naming (I), or resting on
 * a single or conflicting source (U). Reports mark I and U rows as such. */
typedef enum rd_conf { RD_CONF_C, RD_CONF_I, RD_CONF_U } rd_conf;

typedef struct rd_kb_code {
  rd_kb_table table;
  uint32_t value;
  const char *name;    /* symbolic name, "" where the code has none */
  rd_phase phase;      /* where in a connection the code arises */
  rd_conf conf;
  const char *meaning; /* our own words */
  const char *source;  /* where the number comes from (spec section or document) */
} rd_kb_code;

/* A sentence of a client dialog and the code it stands for (dialog.def). */
typedef struct rd_kb_dialog {
  const char *phrase;  /* lower case, single spaces, ASCII apostrophes */
  bool code_in_text;   /* the dialog prints its code: "(code: 0x112f)" */
  rd_kb_table table;   /* when !code_in_text: the code the sentence stands for */
  uint32_t value;
  const char *source;
} rd_kb_dialog;

/* Every row of dialog.def; *n receives the count. */
const rd_kb_dialog *rd_kb_dialogs(size_t *n);

const char *rd_kb_table_id(rd_kb_table t);    /* "disconnect-reason" */
const char *rd_kb_table_title(rd_kb_table t);
const char *rd_kb_conf_name(rd_conf c);       /* "documented", "inferred", "unconfirmed" */

/* The row for (table, value), or NULL. */
const rd_kb_code *rd_kb_find(rd_kb_table t, uint32_t value);
/* Every row of every table, in table order; *n receives the count. */
const rd_kb_code *rd_kb_codes(size_t *n);

#endif
