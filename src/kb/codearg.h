/* Reading the codes users paste: hex (0x904), decimal (2308), a negative decimal as event logs
 * print NTSTATUS (-1073741715 = 0xC000006D), a symbolic name (ERRINFO_SERVER_DENIED_CONNECTION),
 * or a line copied from the client's dialog ("Error code: 0x904 Extended error code: 0x7").
 * Input is untrusted text: every function here is bounded and total (see fuzz_codearg.c). */
#ifndef RD_KB_CODEARG_H
#define RD_KB_CODEARG_H

#include <stdbool.h>
#include <stdint.h>

#include "kb/kb.h"

/* Longest token or line we read; longer input is malformed, not truncated. */
#define RD_CODEARG_MAX_TOKEN 96
#define RD_CODEARG_MAX_LINE 1024

typedef enum rd_code_form {
  RD_FORM_HEX,     /* 0x904, or bare hex with a letter: C000006D */
  RD_FORM_DEC,     /* 2308 */
  RD_FORM_NEG_DEC, /* -1073741715, read as its 32-bit two's complement */
  RD_FORM_NAME,    /* a symbolic name found in the knowledge base */
} rd_code_form;

typedef struct rd_code_arg {
  uint32_t value;
  rd_code_form form;
  /* Digits only, two or more, at most 8: the text also reads as hex. alt_value is the hex
   * reading while form is RD_FORM_DEC; explain may swap the two (then form is RD_FORM_HEX and
   * alt_value the decimal reading). */
  bool has_alt;
  uint32_t alt_value;
  const rd_kb_code *named;               /* the row a symbolic name names, else NULL */
  char text[RD_CODEARG_MAX_TOKEN + 1];   /* the token as given, for display */
} rd_code_arg;

/* Parses one token. Returns 0; RD_E_MALFORMED for text that is no code (empty, garbage, a
 * negative hex number, a negative beyond 32 bits, digit separators); RD_E_TOO_BIG for a number
 * beyond 32 bits; RD_E_UNKNOWN for a well-formed name that no table knows (out->text is set, out->form is
 * RD_FORM_NAME and out->named NULL: explain reports it as unknown). */
int rd_codearg_parse(const char *token, rd_code_arg *out);

/* Finds "Error code: X" and "Extended error code: Y" in a pasted dialog line (case-insensitive,
 * any spacing, colon optional). Returns 0 with *has_disc / *has_ext telling which were found
 * (at least one), RD_E_MALFORMED when the line names neither or a number after them is bad,
 * RD_E_TOO_BIG for an oversized number. */
int rd_codearg_parse_line(const char *line, rd_code_arg *disc, bool *has_disc,
                          rd_code_arg *ext, bool *has_ext);

/* True when the text looks like a dialog line rather than a bare code. */
bool rd_codearg_is_line(const char *text);

/* The dialog sentence (dialog.def) found in pasted text, the longest if several match; NULL
 * when none does. Case, runs of white space and typographic apostrophes do not matter. */
const rd_kb_dialog *rd_codearg_find_dialog(const char *text);

/* The code a dialog prints inside its sentence, "(code: 0x112f)" or "(Code: 0x80090322)".
 * Returns 0 with *found telling whether there was one, RD_E_MALFORMED / RD_E_TOO_BIG for a bad
 * number after "(code". */
int rd_codearg_parse_dialog_code(const char *text, rd_code_arg *out, bool *found);

/* True when explain should read the text as a dialog: a known sentence, or "(code". */
bool rd_codearg_is_dialog(const char *text);

#endif
