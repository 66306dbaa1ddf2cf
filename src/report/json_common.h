/* Pieces every JSON document of rdpdoctor shares (docs/json.md). */
#ifndef RD_REPORT_JSON_COMMON_H
#define RD_REPORT_JSON_COMMON_H

#include <jansson.h>
#include <stdio.h>

#include "report.h"

/* A new document: {"tool", "version", "schema_version", "command"}. NULL when out of memory. */
json_t *rd_json_document(const char *command);
/* Splits "\n"-separated text into a JSON array of lines. */
json_t *rd_json_lines(const char *text);
/* Splits space-separated words into a JSON array. */
json_t *rd_json_words(const char *text);
/* Prints the document with a final newline (rd_report_json_print) and releases it; 0 or RD_E_IO /
 * RD_E_NOMEM. */
int rd_json_emit(FILE *f, json_t *doc, rd_json_style style);

#endif
