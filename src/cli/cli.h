/* The command line: parses arguments, runs a command, returns the process exit code.
 * Exit codes are a public contract (docs/exit-codes.md). */
#ifndef RD_CLI_CLI_H
#define RD_CLI_CLI_H

#include <stdio.h>

enum rd_exit {
  RD_EXIT_OK = 0,            /* check: healthy; explain: every code explained */
  RD_EXIT_WARNING = 1,       /* check: warnings; explain: a code is unknown */
  RD_EXIT_CRITICAL = 2,      /* check: a client would fail to connect */
  RD_EXIT_CANNOT_CHECK = 3,  /* check: our side failed (no network, bad local config) */
  RD_EXIT_USAGE = 64,        /* bad command line or input (EX_USAGE) */
};
#define RD_EXIT_EXPLAIN_UNKNOWN RD_EXIT_WARNING

/* Runs `rdpdoctor argv[1..]`, printing results to out and errors to err. */
int rd_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Subcommands; argv[0] is the subcommand name. */
int rd_cli_explain(int argc, char **argv, FILE *out, FILE *err);
int rd_cli_check(int argc, char **argv, FILE *out, FILE *err);

/* Copies at most 40 characters of s into buf with control bytes replaced by '?' and "..." when cut,
 * for error messages that must stay one readable line whatever the user typed or pasted. */
const char *rd_cli_printable(char *buf, size_t size, const char *s);

/* Prints "rdpdoctor: <what>" as the single line of a usage error and returns RD_EXIT_USAGE. */
int rd_cli_usage_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
