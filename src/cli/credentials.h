/* Credentials for the one authentication a check may attempt (DESIGN.md: never retried, so an
 * account can never be locked out by rdpdoctor). The password comes from the RDPDOCTOR_PASSWORD
 * environment variable, a file, or a no-echo prompt on the terminal — never from the command line,
 * where every user of the machine could read it. It is wiped from memory (and from the environment
 * block, which /proc/PID/environ would otherwise expose) as soon as it is no longer needed. */
#ifndef RD_CLI_CREDENTIALS_H
#define RD_CLI_CREDENTIALS_H

#include <stdbool.h>

#define RD_CRED_MAX 256
#define RD_PASSWORD_MAX 512

typedef struct rd_credentials {
  bool present;
  char user[RD_CRED_MAX];
  char domain[RD_CRED_MAX]; /* "" for a local or UPN-less account */
  char password[RD_PASSWORD_MAX];
} rd_credentials;

/* Splits DOMAIN\user, user@domain or user. Returns 0 or RD_E_MALFORMED with *why. */
int rd_credentials_parse_user(const char *spec, rd_credentials *c, const char **why);

/* Reads the password: from `file` when given, else from RDPDOCTOR_PASSWORD (then overwritten in
 * place and removed), else from a no-echo prompt on /dev/tty. Returns 0, or RD_E_IO /
 * RD_E_INVALID with *why (one line, never containing the password). */
int rd_credentials_read_password(rd_credentials *c, const char *file, const char **why);

/* Overwrites everything; safe to call twice. */
void rd_credentials_wipe(rd_credentials *c);

#endif
