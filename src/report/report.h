/* Rendering results for people (text) and machines (JSON). Renderers only format: every decision
 * was made in kb (explain) or diag (check). */
#ifndef RD_REPORT_REPORT_H
#define RD_REPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "diag/diag.h"
#include "kb/explain.h"
#include "probe/facts.h"

/* The JSON schema version of every document rdpdoctor prints (docs/json.md). It changes only when
 * something is removed or changes meaning; new keys do not change it. Version 2: a check's
 * findings[].evidence became JSON pointers (the prose moved to findings[].detail). */
#define RD_JSON_SCHEMA_VERSION 2

/* How text is laid out. The command line decides width and colour from its terminal
 * (src/cli/console.h: rd_console_width, rd_console_colour); renderers never look at one. */
typedef struct rd_text_opts {
  bool brief;     /* causes as one line each, without why/confirm/fix */
  unsigned width; /* wrap prose at this column */
  bool colour;    /* check text: ANSI colour for severities and phase states */
} rd_text_opts;

/* How a JSON document is printed: indented for people (`--json`), or on one line for a stream of
 * documents (JSON lines). */
typedef enum rd_json_style { RD_JSON_PRETTY, RD_JSON_LINE } rd_json_style;

/* Prints the explanation; returns 0 or RD_E_IO when the stream failed. */
int rd_report_explain_text(FILE *f, const rd_explanation *ex, const rd_text_opts *opts);
/* The explain document; `input` is the command line as given, for the document's record. NULL
 * when out of memory; the caller owns the reference. */
json_t *rd_report_explain_document(const rd_explanation *ex, const char *const *input, size_t n_input);
/* Prints rd_report_explain_document pretty; 0, RD_E_IO or RD_E_NOMEM. */
int rd_report_explain_json(FILE *f, const rd_explanation *ex, const char *const *input, size_t n_input);

/* `rdpdoctor check` for people: timeline, facts, findings by severity, verdict and fix; in
 * colour when opts->colour. */
int rd_report_check_text(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d, const rd_text_opts *opts);
/* The check document (docs/json.md): facts, findings with their evidence pointers, verdict. NULL
 * when out of memory; the caller owns the reference. */
json_t *rd_report_check_document(const rd_check_facts *facts, const rd_diagnosis *d);
/* Prints the check document pretty (`check --json`); 0, RD_E_IO or RD_E_NOMEM. */
int rd_report_check_json(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d);
/* Prints a document with a final newline, in the style asked; the document stays the caller's.
 * 0, RD_E_IO, or RD_E_NOMEM when doc is NULL. */
int rd_report_json_print(FILE *f, const json_t *doc, rd_json_style style);

/* A finding's sentence: its kb template filled from the facts and its parameters. Both check
 * renderers use it. Writes at most size bytes (NUL included) and returns the length written. */
size_t rd_report_finding_detail(const rd_check_facts *facts, const rd_finding *fd, char *buf, size_t size);
/* The name of a Save Session Info infoType ([MS-RDPBCGR] 2.2.10.1.1): "INFOTYPE_LOGON_LONG". */
const char *rd_report_logon_info_type(uint32_t info_type);
/* The session step a probe ended in ("licensing"), in words ("after Client Info, during
 * licensing"); an unknown step as it is. */
const char *rd_report_session_step(const char *step);
/* `--codes`: whether the live evidence matches the codes the user gave, in one sentence. */
size_t rd_report_codes_summary(const rd_diagnosis *d, char *buf, size_t size);
/* `check --html FILE`: a self-contained page (inline CSS and script, nothing fetched). 0 or RD_E_IO. */
int rd_report_check_html(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d);
/* The verdict in one sentence: why it could not check, the root cause's title, or healthy. */
const char *rd_report_verdict_summary(const rd_diagnosis *d);

/* The kb's commands name the server "SERVER" and the default port: a check knows both, so the
 * commands it prints are ready to paste. Returns a malloc'd copy (NULL when out of memory). */
char *rd_text_for_target(const char *text, const char *host, unsigned port);

/* Copies what a server sent (a name, a banner) so that it is safe on a terminal: no C0 or C1
 * control and no ESC reaches it raw. Printable ASCII and valid UTF-8 (other than U+0080-U+009F)
 * stay; a control byte, an invalid UTF-8 byte and a C1 character become \xNN (C1 as
 * \u0080-\u009f). Cuts on a character boundary to fit size; returns out. */
char *rd_text_escape(const char *in, char *out, size_t size);

/* Writes `first` (whose visible width is first_w), then `text` wrapped at width, every further
 * line indented by `indent`. Never breaks a word: a word longer than a line gets a line of its
 * own. */
void rd_text_wrap_hanging(FILE *f, const char *first, unsigned first_w, const char *text, unsigned indent,
                          unsigned width);

/* The kb's confirm and fix texts, a line each, the first after `first` (visible width indent, the
 * others indented as much): prose wraps at width; a command to paste keeps its line whatever its
 * length, so it copies cleanly. */
void rd_text_kb_lines(FILE *f, const char *first, const char *text, unsigned indent, unsigned width);

/* Writes `text` wrapped at opts->width, every line starting with `indent` spaces (the first
 * after `first_prefix` when given). Exposed for the check report and for tests. */
void rd_text_wrap(FILE *f, const char *text, unsigned indent, unsigned width);

/* ---- Monitoring plugin (`check --nagios`, docs/nagios.md) ---- */
enum { RD_NAGIOS_OK = 0, RD_NAGIOS_WARNING = 1, RD_NAGIOS_CRITICAL = 2, RD_NAGIOS_UNKNOWN = 3 };

typedef struct rd_nagios_opts {
  bool cert_thresholds;  /* the two below apply, and replace the fixed cert-expires-soon/cert-expired */
  int cert_warn_days;    /* WARNING when fewer days are left; -1 none */
  int cert_crit_days;    /* CRITICAL when fewer days are left; -1 none */
  double time_warn_s;    /* WARNING when the whole check takes longer; 0 none */
  double time_crit_s;    /* CRITICAL likewise; 0 none */
} rd_nagios_opts;

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *rd_nagios_state_name(int state);
/* The plugin state (RD_NAGIOS_*): the diagnosis's exit code, raised (never lowered, but for the
 * certificate findings thresholds replace) by the thresholds in opts. */
int rd_nagios_state(const rd_check_facts *facts, const rd_diagnosis *d, const rd_nagios_opts *opts);
/* "RDP STATE - text | perfdata" and one line per warning or critical finding; 0 or RD_E_IO. */
int rd_report_nagios(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d, const rd_nagios_opts *opts);

/* ---- Prometheus text exposition (the exporter's /probe, docs/exporter.md) ---- */
/* Writes the check's metrics (format 0.0.4); 0 or RD_E_IO. */
int rd_report_prom(FILE *f, const rd_check_facts *facts, const rd_diagnosis *d);

#endif
