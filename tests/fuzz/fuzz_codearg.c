/* Fuzzes what users paste into `rdpdoctor explain`: token and dialog-line parsing, then the
 * explanation and both renderers, so no input can crash or overrun any of them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "kb/codearg.h"
#include "kb/explain.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void) {
  static FILE *f;
  if (f == NULL)
    f = fopen("/dev/null", "w");
  return f;
}

static void render(const rd_code_arg *args, const rd_code_role *roles, size_t n) {
  rd_explanation ex;
  rd_explain(args, roles, n, &ex);
  rd_text_opts opts = {false, 100, false};
  const char *input[] = {args[0].text};
  rd_report_explain_text(sink(), &ex, &opts);
  rd_report_explain_json(sink(), &ex, input, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0'; /* argv strings end at the first NUL, as here */

  rd_code_arg args[2];
  rd_code_role roles[2] = {RD_ROLE_ERROR_CODE, RD_ROLE_EXTENDED};
  int r = rd_codearg_parse(text, &args[0]);
  if (r == 0 || r == RD_E_UNKNOWN)
    render(args, NULL, 1);

  bool has_disc, has_ext;
  if (rd_codearg_is_line(text) && rd_codearg_parse_line(text, &args[0], &has_disc, &args[1], &has_ext) == 0) {
    if (has_disc && has_ext)
      render(args, roles, 2);
    else
      render(has_disc ? &args[0] : &args[1], has_disc ? &roles[0] : &roles[1], 1);
  }
  /* The dialog's own sentences and a code printed in them. */
  bool found;
  const rd_kb_dialog *d = rd_codearg_find_dialog(text);
  if (rd_codearg_parse_dialog_code(text, &args[0], &found) == 0 && found) {
    rd_explanation ex;
    rd_explain(args, NULL, 1, &ex);
    ex.dialog = d;
    rd_text_opts opts = {false, 100, false};
    const char *input[] = {text};
    rd_report_explain_text(sink(), &ex, &opts);
    rd_report_explain_json(sink(), &ex, input, 1);
  }
  free(text);
  return 0;
}
