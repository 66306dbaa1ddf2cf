/* The command line: parses arguments, runs a command, returns the process exit code.
 * Exit codes are a public contract (docs/exit-codes.md). */
#ifndef RD_CLI_CLI_H
#define RD_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum rd_exit {
  RD_EXIT_OK = 0,            /* check: healthy; explain: every code explained */
  RD_EXIT_WARNING = 1,       /* check: warnings; explain: a code is unknown */
  RD_EXIT_CRITICAL = 2,      /* check: a client would fail to connect */
  RD_EXIT_CANNOT_CHECK = 3,  /* check: our side failed (no network, bad local config) */
  RD_EXIT_USAGE = 64,        /* bad command line or input (EX_USAGE) */
};
#define RD_EXIT_EXPLAIN_UNKNOWN RD_EXIT_WARNING

/* Which standard descriptors rd_cli_reopen_stdio found closed. */
#define RD_STDIO_IN (1u << 0)
#define RD_STDIO_OUT (1u << 1)
#define RD_STDIO_ERR (1u << 2)

/* Reopens each closed one of fds 0, 1, 2 on /dev/null, so that no file or socket opened later
 * takes its number, and ignores SIGPIPE. *closed receives RD_STDIO_* bits. Returns 0, or -1 when
 * /dev/null cannot be opened. Does nothing on Windows. */
int rd_cli_reopen_stdio(unsigned *closed);

/* The process entry: makes stdio safe, then runs rd_cli_main on stdout and stderr. A closed
 * standard output is exit 3 (nothing could be reported); a closed stdin or stderr is not an
 * error. */
int rd_cli_run(int argc, char **argv);

/* Runs `rdpdoctor argv[1..]`, printing results to out and errors to err. */
int rd_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Subcommands; argv[0] is the subcommand name. */
int rd_cli_explain(int argc, char **argv, FILE *out, FILE *err);
int rd_cli_check(int argc, char **argv, FILE *out, FILE *err);
int rd_cli_scan(int argc, char **argv, FILE *out, FILE *err);
int rd_cli_exporter(int argc, char **argv, FILE *out, FILE *err);

/* Copies at most 40 characters of s into buf with control bytes replaced by '?' and "..." when cut,
 * for error messages that must stay one readable line whatever the user typed or pasted. */
const char *rd_cli_printable(char *buf, size_t size, const char *s);

/* True for an argument that looks like a password given on the command line, including typos
 * (-p, -pSecret, --password=x, --pasword=x, --passwd, --pwd): such a value is never echoed. */
bool rd_cli_is_password_option(const char *arg);

/* An unknown option as error messages may show it: the option's name without its value
 * ("--pasword=x" -> "--pasword...", "-pSecret" -> "-p..."), control bytes replaced. */
const char *rd_cli_option_shown(char *buf, size_t size, const char *arg);

/* Prints "rdpdoctor: <what>" as the single line of a usage error and returns RD_EXIT_USAGE. */
int rd_cli_usage_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds as a decimal with up to 3 fractional digits, 0.05 to 3600, into milliseconds: the
 * deadlines of check, scan and the exporter's modules. False for anything else. */
bool rd_cli_parse_seconds(const char *s, unsigned *ms_out);

#endif
