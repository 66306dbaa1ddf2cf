#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: rdpdoctor COMMAND [OPTIONS] ARGS\n"
    "\n"
    "Tells why a Remote Desktop connection fails and what to do.\n"
    "\n"
    "Commands:\n"
    "  explain CODE [EXTCODE]  decode an RDP error code (offline), e.g.\n"
    "      rdpdoctor explain 0x904 0x7\n"
    "      rdpdoctor explain \"Error code: 0x904 Extended error code: 0x7\"\n"
    "  check HOST[:PORT]       test a server layer by layer and name the root cause:\n"
    "      rdpdoctor check rdp.example.com\n"
    "      rdpdoctor check --nagios --cert-warn 30 rdp.example.com\n"
    "  scan TARGET...          check many servers at once, one JSON line each:\n"
    "      rdpdoctor scan 192.0.2.0/24 --ports 3389,3390\n"
    "  exporter --listen A:P   a Prometheus multi-target probe\n"
    "                          (/probe?target=HOST:PORT)\n"
    "\n"
    "Options:\n"
    "  -h, --help              this text (rdpdoctor COMMAND --help: its options)\n"
    "  -V, --version           print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 warning / unknown code, 2 critical, 3 could not check,\n"
    "64 usage error.\n"
    "See rdpdoctor(1).\n";

const char *rd_cli_printable(char *buf, size_t size, const char *s) {
  size_t i = 0, n = strlen(s);
  for (; i + 1 < size && i < 40 && i < n; i++)
    buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
  buf[i] = '\0';
  if (i < n && i + 4 < size)
    strcat(buf, "...");
  return buf;
}

bool rd_cli_is_password_option(const char *arg) {
  if (arg[0] != '-')
    return false;
  if (arg[1] != '-')
    return arg[1] == 'p'; /* -p, -pSecret */
  size_t n = strcspn(arg + 2, "=");
  char name[64];
  if (n >= sizeof name)
    n = sizeof name - 1;
  for (size_t i = 0; i < n; i++)
    name[i] = (char)tolower((unsigned char)arg[2 + i]);
  name[n] = '\0';
  /* --password, --passwd, --pasword, --pass, --pwd, --secret and their typos */
  return strstr(name, "pas") != NULL || strstr(name, "pw") != NULL || strstr(name, "secret") != NULL;
}

const char *rd_cli_option_shown(char *buf, size_t size, const char *arg) {
  char name[48];
  size_t n;
  if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0' && arg[2] != '\0')
    n = 2; /* -xVALUE: the letter only */
  else
    n = strcspn(arg, "="); /* --name=VALUE: the name only */
  if (n >= sizeof name)
    n = sizeof name - 1;
  memcpy(name, arg, n);
  name[n] = '\0';
  rd_cli_printable(buf, size, name);
  if (arg[n] != '\0' && strlen(buf) + 4 < size)
    strcat(buf, "...");
  return buf;
}

int rd_cli_usage_error(FILE *err, const char *fmt, ...) {
  va_list ap;
  fputs("rdpdoctor: ", err);
  va_start(ap, fmt);
  vfprintf(err, fmt, ap);
  va_end(ap);
  fputc('\n', err);
  return RD_EXIT_USAGE;
}

int rd_cli_main(int argc, char **argv, FILE *out, FILE *err) {
  if (argc < 2)
    return rd_cli_usage_error(err, "no command given (try 'rdpdoctor --help')");
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, out);
    return RD_EXIT_OK;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    fprintf(out, "rdpdoctor %s\n", RD_VERSION);
    return RD_EXIT_OK;
  }
  if (strcmp(cmd, "explain") == 0)
    return rd_cli_explain(argc - 1, argv + 1, out, err);
  if (strcmp(cmd, "check") == 0)
    return rd_cli_check(argc - 1, argv + 1, out, err);
  if (strcmp(cmd, "scan") == 0)
    return rd_cli_scan(argc - 1, argv + 1, out, err);
  if (strcmp(cmd, "exporter") == 0)
    return rd_cli_exporter(argc - 1, argv + 1, out, err);
  char shown[48];
  if (cmd[0] == '-')
    return rd_cli_usage_error(err, "unknown option '%s' (try 'rdpdoctor --help')",
                              rd_cli_option_shown(shown, sizeof shown, cmd));
  return rd_cli_usage_error(err, "unknown command '%s' (try 'rdpdoctor --help')",
                            rd_cli_printable(shown, sizeof shown, cmd));
}

bool rd_cli_parse_seconds(const char *s, unsigned *ms_out) {
  char *end;
  if (s == NULL || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
    return false;
  double v = strtod(s, &end);
  if (*end != '\0' || !(v >= 0.05 && v <= 3600))
    return false;
  *ms_out = (unsigned)(v * 1000.0 + 0.5);
  return true;
}
