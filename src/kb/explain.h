/* `rdpdoctor explain`: from parsed codes to readings and ranked causes. Pure: no I/O, no output;
 * src/report renders the result as text or JSON. */
#ifndef RD_KB_EXPLAIN_H
#define RD_KB_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "kb/cause.h"
#include "kb/codearg.h"
#include "kb/kb.h"

/* What the user said a code is. */
typedef enum rd_code_role {
  RD_ROLE_ANY,        /* a lone code: every table that has it is a reading */
  RD_ROLE_ERROR_CODE, /* the dialog's "Error code" (first of two codes) */
  RD_ROLE_EXTENDED,   /* the dialog's "Extended error code" (second of two codes) */
} rd_code_role;

/* How a number without "0x" that reads both ways ("904") was read (docs/explain.md). */
typedef enum rd_bare_reading {
  RD_BARE_NONE,       /* not such a number */
  RD_BARE_HEX_DIALOG, /* taken as hex: it is one of the dialog's codes, which it prints in hex */
  RD_BARE_DEC,        /* taken as decimal (logs and event IDs are decimal); hex offered */
  RD_BARE_HEX_NO_DEC, /* taken as hex: no table knows the decimal reading */
} rd_bare_reading;

typedef struct rd_explained_code {
  rd_code_arg arg; /* arg.alt_value is the reading not taken when bare != RD_BARE_NONE */
  rd_bare_reading bare;
  rd_code_role role;
  const rd_kb_code *readings[RD_TAB_COUNT]; /* most likely first */
  size_t n_readings;
  /* The role's own table lacks the code, so the readings come from other tables. */
  bool outside_role;
} rd_explained_code;

/* Statements explain adds about a combination of codes; each is inferred, and reports say so. */
typedef enum rd_explain_note {
  RD_NOTE_PAIR_INFERRED = 1u << 0,  /* 0x904 + extended: the extended code is likely the errorInfo */
  RD_NOTE_EXT_IS_ERRINFO = 1u << 1, /* extended and errorInfo share this number */
} rd_explain_note;

typedef struct rd_explanation {
  rd_explained_code codes[2];
  size_t n_codes;
  rd_cause_id causes[RD_CAUSE_COUNT]; /* ranked, no repeats */
  size_t n_causes;
  unsigned notes; /* rd_explain_note bits */
  bool all_known;
  const rd_kb_dialog *dialog; /* the dialog sentence the code came from, set by the caller */
} rd_explanation;

/* Explains one lone code (n == 1, role ANY) or an error code and its extended code (n == 2, or
 * n == 1 with `roles` naming the single role when only one of the dialog's codes was pasted). */
void rd_explain(const rd_code_arg *args, const rd_code_role *roles, size_t n, rd_explanation *out);

const char *rd_code_role_name(rd_code_role role); /* "any", "error-code", "extended-code" */
const char *rd_bare_reading_id(rd_bare_reading b);  /* "hex-as-dialog", "decimal", ... */
const char *rd_explain_note_id(rd_explain_note note);   /* "pair-inferred" */
const char *rd_explain_note_text(rd_explain_note note); /* one paragraph, our words */

#endif
