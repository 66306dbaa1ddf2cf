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

/* Reads the password: from `file` when given, else from RDPDOCTOR_PASSWORD, else from a no-echo
 * prompt on /dev/tty. RDPDOCTOR_PASSWORD is overwritten in place and removed whichever source
 * is used, and the process is made non-dumpable (Linux) before any password is read. Returns
 * 0, or RD_E_IO / RD_E_INVALID with *why (one line, never containing the password). */
int rd_credentials_read_password(rd_credentials *c, const char *file, const char **why);

/* Overwrites RDPDOCTOR_PASSWORD in place and removes it, if set: for runs that read no password
 * (no --user), so that it does not stay readable in /proc/PID/environ for the whole check. */
void rd_credentials_forget_environment(void);

/* Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0) on Linux; nothing elsewhere. */
void rd_credentials_no_dump(void);

/* Overwrites everything; safe to call twice. */
void rd_credentials_wipe(rd_credentials *c);

#endif
