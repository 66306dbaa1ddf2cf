/* `rdpdoctor explain CODE [EXTCODE]` and `rdpdoctor explain "Error code: … Extended error code: …"`. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "console.h"
#include "core/err.h"
#include "kb/explain.h"
#include "report/report.h"

static const char explain_usage[] =
    "Usage: rdpdoctor explain [--json] [--brief] CODE [EXTCODE]\n"
    "       rdpdoctor explain [--json] [--brief] \"TEXT OF THE DIALOG\"\n"
    "\n"
    "Decodes the codes a Remote Desktop user sees, offline: what each means, at\n"
    "which phase of the connection it arises, the likely causes (most likely\n"
    "first), how to confirm each and the fix.\n"
    "\n"
    "CODE is hex (0x904), decimal (2308), a negative decimal as event logs print it\n"
    "(-1073741715), or a name (ERRINFO_SERVER_DENIED_CONNECTION,\n"
    "STATUS_LOGON_FAILURE). Given two codes, the first is the dialog's \"Error code\"\n"
    "and the second its \"Extended error code\". TEXT is what the dialog says, e.g.\n"
    "\"Error code: 0x904 Extended error code: 0x7\" or \"An authentication error has\n"
    "occurred ... (Code: 0x80090322)\".\n"
    "\n"
    "  --json    one JSON document (docs/json.md)\n"
    "  --brief   causes as titles only\n"
    "\n"
    "Exit codes: 0 every code explained, 1 a code is unknown, 64 usage error or\n"
    "malformed code.\n";

/* Longest command line explain reads; longer is a usage error, not something to truncate. */
#define MAX_OPERANDS 64


static int bad_code(FILE *err, const char *token, int r) {
  char shown[48];
  rd_cli_printable(shown, sizeof shown, token);
  if (r == RD_E_TOO_BIG)
    return rd_cli_usage_error(err, "explain: '%s' does not fit in 32 bits; RDP codes are 32-bit numbers", shown);
  return rd_cli_usage_error(err, "explain: '%s' is not a code (use hex 0x904, decimal 2308, a name such as "
                                 "STATUS_LOGON_FAILURE, or the dialog line)", shown);
}

/* Whether a word names where an event ID comes from: "event", or a log provider. */
static bool event_source(const char *word) {
  static const char *const words[] = {"event", "eventid", "id", "schannel", "termservice",
                                      "localsessionmanager", "rdpclient", "TerminalServices-RemoteConnectionManager",
                                      "RemoteConnectionManager", "security"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasecmp(word, words[i]) == 0)
      return true;
  return false;
}

/* Joins the operands with spaces into buf; false when they do not fit. */
static bool join(char *buf, size_t size, char **ops, int n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n; i++) {
    size_t len = strlen(ops[i]);
    if (used + len + 2 > size)
      return false;
    if (i > 0)
      buf[used++] = ' ';
    memcpy(buf + used, ops[i], len + 1);
    used += len;
  }
  return true;
}

int rd_cli_explain(int argc, char **argv, FILE *out, FILE *err) {
  bool json = false, brief = false, options_done = false;
  char *ops[MAX_OPERANDS];
  int n_ops = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    /* A leading '-' followed by a digit is a negative code, not an option. */
    bool option = !options_done && a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1]);
    if (option && strcmp(a, "--") == 0) {
      options_done = true;
    } else if (option && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      fputs(explain_usage, out);
      return RD_EXIT_OK;
    } else if (option && strcmp(a, "--json") == 0) {
      json = true;
    } else if (option && strcmp(a, "--brief") == 0) {
      brief = true;
    } else if (option) {
      char shown[48];
      return rd_cli_usage_error(err, "explain: unknown option '%s' (try 'rdpdoctor explain --help')",
                                rd_cli_option_shown(shown, sizeof shown, a));
    } else if (n_ops == MAX_OPERANDS) {
      return rd_cli_usage_error(err, "explain: too many arguments (%d); give one code, or an error code "
                                     "and its extended code", argc - 1);
    } else {
      ops[n_ops++] = argv[i];
    }
  }
  if (n_ops == 0)
    return rd_cli_usage_error(err, "explain: no code given (try 'rdpdoctor explain 0x904 0x7')");

  rd_code_arg args[2];
  rd_code_role roles[2];
  const rd_kb_dialog *dialog = NULL;
  size_t n = 0;
  char line[RD_CODEARG_MAX_LINE + 1];
  if (!join(line, sizeof line, ops, n_ops))
    return rd_cli_usage_error(err, "explain: input too long (at most %d characters)", RD_CODEARG_MAX_LINE);

  if (rd_codearg_is_line(line)) {
    bool has_disc, has_ext;
    int r = rd_codearg_parse_line(line, &args[0], &has_disc, &args[1], &has_ext);
    if (r != 0)
      return rd_cli_usage_error(err, "explain: found \"error code\" but no valid number after it%s",
                                r == RD_E_TOO_BIG ? " (larger than 32 bits)" : "");
    if (has_disc)
      roles[n++] = RD_ROLE_ERROR_CODE;
    if (has_ext) {
      if (n == 0)
        args[0] = args[1];
      roles[n++] = RD_ROLE_EXTENDED;
    }
  } else if (rd_codearg_is_dialog(line)) {
    /* The dialog's own sentences: "The function requested is not supported", "Because of a
     * protocol error (code: 0x112f) ...", "(Code: 0x80090322)". */
    bool found;
    dialog = rd_codearg_find_dialog(line);
    int r = rd_codearg_parse_dialog_code(line, &args[0], &found);
    if (r != 0)
      return rd_cli_usage_error(err, "explain: found \"(code\" but no valid number after it%s",
                                r == RD_E_TOO_BIG ? " (larger than 32 bits)" : "");
    if (!found && (dialog == NULL || dialog->code_in_text))
      return rd_cli_usage_error(err, "explain: this dialog prints a code in its text; paste the line with "
                                     "its \"(code: 0x...)\"");
    roles[0] = RD_ROLE_ANY;
    if (!found) {
      memset(&args[0], 0, sizeof args[0]);
      args[0].value = dialog->value;
      args[0].form = RD_FORM_HEX;
      snprintf(args[0].text, sizeof args[0].text, "0x%X", dialog->value);
      if (dialog->table == RD_TAB_DISC)
        roles[0] = RD_ROLE_ERROR_CODE;
      else if (dialog->table == RD_TAB_EXT)
        roles[0] = RD_ROLE_EXTENDED;
    }
    n = 1;
  } else if (n_ops == 2 && event_source(ops[0])) {
    /* "Schannel 36870", "event 1057": an event ID as the event viewer shows it. */
    int r = rd_codearg_parse(ops[1], &args[0]);
    if (r != 0 || args[0].form != RD_FORM_DEC)
      return rd_cli_usage_error(err, "explain: an event ID is a decimal number (e.g. 'explain event 1057')");
    args[0].named = rd_kb_find(RD_TAB_EVENT, args[0].value);
    args[0].form = RD_FORM_NAME;
    snprintf(args[0].text, sizeof args[0].text, "%s", args[0].named ? args[0].named->name : ops[1]);
    roles[0] = RD_ROLE_ANY;
    n = 1;
  } else {
    if (n_ops > 2)
      return rd_cli_usage_error(err, "explain: %d codes given; give one code, or an error code and its "
                                     "extended code", n_ops);
    for (int i = 0; i < n_ops; i++) {
      int r = rd_codearg_parse(ops[i], &args[i]);
      if (r != 0 && r != RD_E_UNKNOWN)
        return bad_code(err, ops[i], r);
    }
    n = (size_t)n_ops;
    roles[0] = n == 2 ? RD_ROLE_ERROR_CODE : RD_ROLE_ANY;
    roles[1] = RD_ROLE_EXTENDED;
  }

  rd_explanation ex;
  rd_explain(args, roles, n, &ex);
  ex.dialog = dialog;
  rd_text_opts opts = {brief, rd_console_width(out), false};
  int r = json ? rd_report_explain_json(out, &ex, (const char *const *)ops, (size_t)n_ops)
               : rd_report_explain_text(out, &ex, &opts);
  if (r != 0) {
    fprintf(err, "rdpdoctor: explain: cannot write the report: %s\n", rd_err_str(r));
    return RD_EXIT_CANNOT_CHECK;
  }
  return ex.all_known ? RD_EXIT_OK : RD_EXIT_EXPLAIN_UNKNOWN;
}
