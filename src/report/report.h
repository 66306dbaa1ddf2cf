/* Rendering results for people (text) and machines (JSON). Renderers only format: every decision
 * was made in kb (explain) or diag (check). */
#ifndef RD_REPORT_REPORT_H
#define RD_REPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag/diag.h"
#include "kb/explain.h"
#include "probe/facts.h"

/* The JSON schema version of every document rdpdoctor prints (docs/json.md). It changes only when
 * something is removed or changes meaning; new keys do not change it. */
#define RD_JSON_SCHEMA_VERSION 1

typedef struct rd_text_opts {
  bool brief;     /* causes as one line each, without why/confirm/fix */
  unsigned width; /* wrap prose at this column */
} rd_text_opts;

/* Prints the explanation; returns 0 or RD_E_IO when the stream failed. */
int rd_report_explain_text(FILE *f, const rd_explanation *ex, const rd_text_opts *opts);
/* Prints one JSON document; `input` is the command line as given, for the document's record. */
int rd_report_explain_json(FILE *f, const rd_explanation *ex, const char *const *input, size_t n_input);

/* `rdpdoctor check` for people: timeline, facts, findings by severity, verdict and fix. */
int rd_report_check_text(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d, const rd_text_opts *opts);
/* `rdpdoctor check --json`: facts and findings as separate parts (docs/json.md). */
int rd_report_check_json(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d);

/* The kb's commands name the server "SERVER" and the default port: a check knows both, so the
 * commands it prints are ready to paste. Returns a malloc'd copy (NULL when out of memory). */
char *rd_text_for_target(const char *text, const char *host, unsigned port);

/* Writes `text` wrapped at opts->width, every line starting with `indent` spaces (the first
 * after `first_prefix` when given). Exposed for the check report and for tests. */
void rd_text_wrap(FILE *f, const char *text, unsigned indent, unsigned width);

#endif
