/* `rdpdoctor check HOST[:PORT]`: the live diagnosis of one server. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "console.h"
#include "credentials.h"
#include "core/err.h"
#include "diag/diag.h"
#include "kb/codearg.h"
#include "kb/explain.h"
#include "net/dns.h"
#include "net/engine.h"
#include "report/report.h"
#include "target.h"

static const char check_usage[] =
    "Usage: rdpdoctor check [OPTIONS] HOST[:PORT]\n"
    "\n"
    "Tests a Remote Desktop server layer by layer, the way a client connects: name\n"
    "lookup, TCP, security negotiation (every protocol set, at once), TLS (versions,\n"
    "certificate), CredSSP (who the server is; with --user, one authentication),\n"
    "and the session phase (MCS, licensing, the server's own reason when it refuses:\n"
    "errorInfo 0x7 is \"0x904, extended 0x7\"), then a clean disconnect. Then names\n"
    "the root cause with its evidence, the fix, and the error a Windows client would\n"
    "show. When the port does not speak RDP, one more connection names what does.\n"
    "\n"
    "HOST is a name or an address; IPv6 as [::1]:3389. PORT defaults to 3389.\n"
    "\n"
    "  --json             one JSON document (docs/json.md)\n"
    "  --html FILE        also write a self-contained HTML report to FILE\n"
    "  --nagios           monitoring-plugin output: one status line with perfdata\n"
    "                     (docs/nagios.md)\n"
    "  --cert-warn DAYS   with --nagios: WARNING when the certificate has fewer days\n"
    "                     left\n"
    "  --cert-crit DAYS   with --nagios: CRITICAL likewise (both replace the fixed\n"
    "                     14 days)\n"
    "  --time-warn SEC    with --nagios: WARNING when the whole check takes longer\n"
    "  --time-crit SEC    with --nagios: CRITICAL likewise\n"
    "  --codes CODE[,EXT] the codes your client showed (0x904,0x7): does the live\n"
    "                     evidence match?\n"
    "  --timeout SEC      deadline for the whole check (default 10)\n"
    "  --step-timeout SEC deadline for each step of a connection (default 3)\n"
    "  --no-side-ports    when the RDP port is silent, do not try ports 22/80/443/445\n"
    "  --no-session       stop after the security phase (no MCS, licensing, Demand\n"
    "                     Active, nor the Standard RDP Security enumeration)\n"
    "  --quick            only the request a Windows client sends and its TLS: one\n"
    "                     connection\n"
    "  -4, -6             use only IPv4 / IPv6 addresses\n"
    "  --user USER        also authenticate once (NLA/CredSSP, NTLMv2) as\n"
    "                     DOMAIN\\name, name@domain or name; never retried, so no\n"
    "                     account can be locked out by rdpdoctor\n"
    "  --password-file F  the password is the first line of F; otherwise\n"
    "                     RDPDOCTOR_PASSWORD, otherwise a prompt on the terminal\n"
    "                     (never on the command line)\n"
    "  --logon            with --user: go on through the user's logon as a client\n"
    "                     does, wait for the server's logon report, then log off or\n"
    "                     disconnect (see the man page: this creates a real user\n"
    "                     session; default timeout 30)\n"
    "\n"
    "Exit codes: 0 healthy, 1 warning, 2 critical (a client fails to connect),\n"
    "3 could not check, 64 usage error.\n";



/* Whole days, 0 to 36500. */
static bool parse_days(const char *s, int *out) {
  char *end;
  if (s == NULL || !isdigit((unsigned char)s[0]))
    return false;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || v < 0 || v > 36500)
    return false;
  *out = (int)v;
  return true;
}

/* `--codes 0x904,0x7`: read as `explain` reads an error code and its extended code. 0, or the
 * usage error already reported. */
static int parse_codes(const char *list, rd_explanation *ex, FILE *err) {
  char buf[2 * RD_CODEARG_MAX_TOKEN + 2];
  rd_code_arg args[2];
  rd_code_role roles[2] = {RD_ROLE_ERROR_CODE, RD_ROLE_EXTENDED};
  size_t n = 0;
  if (strlen(list) >= sizeof buf)
    return rd_cli_usage_error(err, "check: --codes: too long (an error code and its extended code)");
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
    if (n == 2)
      return rd_cli_usage_error(err, "check: --codes takes an error code and its extended code, no more");
    int r = rd_codearg_parse(tok, &args[n]);
    if (r != 0) {
      char shown[48];
      return rd_cli_usage_error(err, "check: --codes: '%s' is not a code", rd_cli_printable(shown, sizeof shown, tok));
    }
    n++;
  }
  if (n == 0)
    return rd_cli_usage_error(err, "check: --codes needs a code (e.g. --codes 0x904,0x7)");
  if (n == 1)
    roles[0] = RD_ROLE_ANY;
  rd_explain(args, roles, n, ex);
  return 0;
}

int rd_cli_check(int argc, char **argv, FILE *out, FILE *err) {
  rd_check_config opts = {0};
  bool json = false, nagios = false;
  rd_nagios_opts nopts = {false, -1, -1, 0, 0};
  unsigned time_warn_ms = 0, time_crit_ms = 0;
  const char *target_text = NULL, *user = NULL, *password_file = NULL, *html_path = NULL, *codes = NULL;
  char shown[48];
  unsigned timeout_ms = 10000, step_ms = 3000;
  bool timeout_given = false;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(check_usage, out);
      return RD_EXIT_OK;
    } else if (strcmp(a, "--json") == 0) {
      json = true;
    } else if (strcmp(a, "--nagios") == 0) {
      nagios = true;
    } else if (strcmp(a, "--cert-warn") == 0 || strcmp(a, "--cert-crit") == 0) {
      if (!parse_days(i + 1 < argc ? argv[i + 1] : NULL, a[7] == 'w' ? &nopts.cert_warn_days : &nopts.cert_crit_days))
        return rd_cli_usage_error(err, "check: %s needs a number of days from 0 to 36500", a);
      nopts.cert_thresholds = true;
      i++;
    } else if (strcmp(a, "--time-warn") == 0 || strcmp(a, "--time-crit") == 0) {
      if (!rd_cli_parse_seconds(i + 1 < argc ? argv[i + 1] : NULL, a[7] == 'w' ? &time_warn_ms : &time_crit_ms))
        return rd_cli_usage_error(err, "check: %s needs a number of seconds from 0.05 to 3600", a);
      i++;
    } else if (strcmp(a, "--timeout") == 0 || strcmp(a, "--step-timeout") == 0) {
      unsigned *dst = a[2] == 't' ? &timeout_ms : &step_ms;
      if (!rd_cli_parse_seconds(i + 1 < argc ? argv[i + 1] : NULL, dst))
        return rd_cli_usage_error(err, "check: %s needs a number of seconds from 0.05 to 3600", a);
      timeout_given |= a[2] == 't';
      i++;
    } else if (strcmp(a, "--user") == 0 || strcmp(a, "--password-file") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0')
        return rd_cli_usage_error(err, "check: %s needs a value", a);
      *(a[2] == 'u' ? &user : &password_file) = argv[++i];
    } else if (rd_cli_is_password_option(a)) {
      /* Deliberately not its value: it must not be echoed anywhere. */
      return rd_cli_usage_error(err, "check: a password is never taken on the command line (other users can read "
                                     "it); use RDPDOCTOR_PASSWORD, --password-file or the prompt");
    } else if (strcmp(a, "--html") == 0 || strcmp(a, "--codes") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0')
        return rd_cli_usage_error(err, "check: %s needs a value", a);
      *(a[2] == 'h' ? &html_path : &codes) = argv[++i];
    } else if (strcmp(a, "--no-side-ports") == 0) {
      opts.no_side_ports = true;
    } else if (strcmp(a, "--no-session") == 0) {
      opts.no_session = true;
    } else if (strcmp(a, "--logon") == 0) {
      opts.logon = true;
    } else if (strcmp(a, "--quick") == 0) {
      opts.quick = true;
    } else if (strcmp(a, "-4") == 0) {
      opts.family = 4;
    } else if (strcmp(a, "-6") == 0) {
      opts.family = 6;
    } else if (a[0] == '-' && a[1] != '\0') {
      return rd_cli_usage_error(err, "check: unknown option '%s' (try 'rdpdoctor check --help')",
                                rd_cli_option_shown(shown, sizeof shown, a));
    } else if (target_text != NULL) {
      char second[48];
      return rd_cli_usage_error(err, "check: one server at a time (got '%s' and '%s')",
                                rd_cli_printable(shown, sizeof shown, target_text),
                                rd_cli_printable(second, sizeof second, a));
    } else {
      target_text = a;
    }
  }
  if (nagios && json)
    return rd_cli_usage_error(err, "check: --nagios and --json exclude each other");
  if (!nagios && (nopts.cert_thresholds || time_warn_ms || time_crit_ms))
    return rd_cli_usage_error(err, "check: --cert-warn, --cert-crit, --time-warn and --time-crit need --nagios");
  nopts.time_warn_s = time_warn_ms / 1000.0;
  nopts.time_crit_s = time_crit_ms / 1000.0;
  if (opts.logon && (opts.no_session || opts.quick))
    return rd_cli_usage_error(err, "check: --logon needs the session phase (not with %s)",
                              opts.no_session ? "--no-session" : "--quick");
  if (opts.logon && user == NULL)
    return rd_cli_usage_error(err, "check: --logon needs --user (the account to log on with)");
  /* A logon takes the server seconds (a profile to load, a session to start): the default
   * deadline grows; the logon wait ends before it by a margin (check.c). */
  if (opts.logon && !timeout_given)
    timeout_ms = 30000;
  if (target_text == NULL)
    return rd_cli_usage_error(err, "check: no server given (try 'rdpdoctor check 192.0.2.10' or 'host:3389')");

  char host[256];
  uint16_t port;
  const char *why = "";
  if (rd_target_parse(target_text, host, sizeof host, &port, &why) != 0)
    return rd_cli_usage_error(err, "check: '%s' is not a server: %s", rd_cli_printable(shown, sizeof shown, target_text), why);
  if (rd_dns_check_host(host, &why) != 0)
    return rd_cli_usage_error(err, "check: '%s' is not a server: %s", rd_cli_printable(shown, sizeof shown, target_text), why);
  opts.host = host;
  opts.port = port;
  if (step_ms > timeout_ms)
    step_ms = timeout_ms;
  opts.timeout_us = (rd_us)timeout_ms * 1000u;
  opts.step_us = (rd_us)step_ms * 1000u;
  opts.started_unix = (int64_t)time(NULL);

  if (password_file != NULL && user == NULL)
    return rd_cli_usage_error(err, "check: --password-file needs --user");
  rd_explanation codes_ex;
  if (codes != NULL && parse_codes(codes, &codes_ex, err) != 0)
    return RD_EXIT_USAGE;
  /* Opened before the check, so a path that cannot be written costs no probe. */
  FILE *html = NULL;
  if (html_path != NULL && (html = fopen(html_path, "w")) == NULL) {
    fprintf(err, "rdpdoctor: check: cannot write '%s'\n", rd_cli_printable(shown, sizeof shown, html_path));
    return RD_EXIT_CANNOT_CHECK;
  }
  if (user == NULL)
    rd_credentials_forget_environment(); /* unused, so not left in /proc/PID/environ */

  rd_credentials creds;
  rd_auth_input input;
  rd_crypto *crypto = NULL;
  memset(&creds, 0, sizeof creds);
  if (user != NULL) {
    if (rd_credentials_parse_user(user, &creds, &why) != 0)
      return rd_cli_usage_error(err, "check: --user: %s", why);
    if (rd_credentials_read_password(&creds, password_file, &why) != 0) {
      rd_credentials_wipe(&creds);
      return rd_cli_usage_error(err, "check: %s", why);
    }
    crypto = rd_crypto_new(&why);
    if (crypto == NULL) {
      rd_credentials_wipe(&creds);
      fprintf(err, "rdpdoctor: check: %s\n", why);
      return RD_EXIT_CANNOT_CHECK;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (rd_auth_input_init(&input, creds.user, creds.domain, creds.password, host,
                           (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, crypto) != 0) {
      rd_crypto_free(crypto);
      rd_credentials_wipe(&creds);
      return rd_cli_usage_error(err, "check: --user needs a user name and a password");
    }
    opts.auth = &input;
  }

  rd_check_facts facts;
  int r = rd_check_run(&opts, NULL, &facts);
  if (user != NULL) {
    rd_crypto_free(crypto);
    rd_credentials_wipe(&creds);
  }
  if (r != 0) {
    if (nagios)
      fprintf(out, "RDP UNKNOWN - could not run the check: %s\n", rd_err_str(r));
    fprintf(err, "rdpdoctor: check: could not run the check: %s\n", rd_err_str(r));
    if (html != NULL)
      fclose(html);
    return RD_EXIT_CANNOT_CHECK;
  }
  rd_diagnosis diag;
  rd_diagnose(&facts, &diag);
  if (codes != NULL)
    rd_diag_codes(&diag, &codes_ex);
  int code = rd_diagnosis_exit_code(&diag);
  if (nagios) {
    code = rd_nagios_state(&facts, &diag, &nopts);
    r = rd_report_nagios(out, &facts, &diag, &nopts);
  } else {
    rd_text_opts topts = {false, rd_console_width(out), rd_console_colour(out)};
    r = json ? rd_report_check_json(out, &facts, &diag) : rd_report_check_text(out, &facts, &diag, &topts);
  }
  if (html != NULL) {
    int hr = rd_report_check_html(html, &facts, &diag);
    if (fclose(html) != 0 || hr != 0) {
      fprintf(err, "rdpdoctor: check: cannot write the HTML report\n");
      rd_check_facts_free(&facts);
      return RD_EXIT_CANNOT_CHECK;
    }
  }
  rd_check_facts_free(&facts);
  if (r != 0) {
    fprintf(err, "rdpdoctor: check: cannot write the report: %s\n", rd_err_str(r));
    return RD_EXIT_CANNOT_CHECK;
  }
  return code;
}
