#include "json_common.h"

#include <string.h>

#include "core/err.h"
#include "report.h"

json_t *rd_json_document(const char *command) {
  return json_pack("{s:s, s:s, s:i, s:s}", "tool", "rdpdoctor", "version", RD_VERSION,
                   "schema_version", RD_JSON_SCHEMA_VERSION, "command", command);
}

static json_t *split(const char *text, const char *sep) {
  json_t *arr = json_array();
  const char *p = text;
  while (arr != NULL && *p != '\0') {
    size_t len = strcspn(p, sep);
    if (len > 0)
      json_array_append_new(arr, json_stringn(p, len));
    p += len;
    while (*p != '\0' && strchr(sep, *p) != NULL)
      p++;
  }
  return arr;
}

json_t *rd_json_lines(const char *text) { return split(text, "\n"); }
json_t *rd_json_words(const char *text) { return split(text, " "); }

int rd_report_json_print(FILE *f, const json_t *doc, rd_json_style style) {
  if (doc == NULL)
    return RD_E_NOMEM;
  size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) | (style == RD_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT);
  if (json_dumpf(doc, f, flags) != 0)
    return RD_E_IO;
  fputc('\n', f);
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}

int rd_json_emit(FILE *f, json_t *doc, rd_json_style style) {
  int r = rd_report_json_print(f, doc, style);
  json_decref(doc);
  return r;
}
