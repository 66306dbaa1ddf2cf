#include "credentials.h"
#include "core/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "console.h"
#include "core/err.h"

#ifdef _WIN32
#define O_CLOEXEC _O_NOINHERIT
/* Removes the variable from the C runtime's copy and from the process environment block. */
#define unsetenv(name) _putenv_s((name), "")
#endif

void rd_credentials_wipe(rd_credentials *c) { rd_wipe(c, sizeof *c); }

static int copy_bounded(char *dst, size_t size, const char *src, size_t n) {
  if (n >= size)
    return RD_E_TOO_BIG;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return 0;
}

int rd_credentials_parse_user(const char *spec, rd_credentials *c, const char **why) {
  const char *bs = strchr(spec, '\\'), *at = strrchr(spec, '@');
  size_t n = strlen(spec);
  int r;
  memset(c->user, 0, sizeof c->user);
  memset(c->domain, 0, sizeof c->domain);
  for (const char *p = spec; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      *why = "the user name holds control characters";
      return RD_E_MALFORMED;
    }
  if (bs != NULL) {
    r = copy_bounded(c->domain, sizeof c->domain, spec, (size_t)(bs - spec));
    if (r == 0)
      r = copy_bounded(c->user, sizeof c->user, bs + 1, n - (size_t)(bs - spec) - 1);
  } else if (at != NULL) {
    r = copy_bounded(c->user, sizeof c->user, spec, (size_t)(at - spec));
    if (r == 0)
      r = copy_bounded(c->domain, sizeof c->domain, at + 1, n - (size_t)(at - spec) - 1);
  } else {
    r = copy_bounded(c->user, sizeof c->user, spec, n);
  }
  if (r != 0) {
    *why = "the user or domain name is too long";
    return RD_E_MALFORMED;
  }
  if (c->user[0] == '\0' || (bs != NULL && strchr(c->user, '\\') != NULL)) {
    *why = "give the user as DOMAIN\\name, name@domain or name";
    return RD_E_MALFORMED;
  }
  c->present = true;
  return 0;
}

/* Keeps the first line of buf (up to the first CR or LF). */
static void first_line(char *buf) { buf[strcspn(buf, "\r\n")] = '\0'; }

static int from_file(rd_credentials *c, const char *file, const char **why) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = errno == ENOENT ? "the password file does not exist" : "the password file cannot be read";
    return RD_E_IO;
  }
  ssize_t n = read(fd, c->password, sizeof c->password - 1);
  char extra;
  bool longer = n == (ssize_t)sizeof c->password - 1 && read(fd, &extra, 1) == 1;
  close(fd);
  if (n < 0) {
    *why = "the password file cannot be read";
    return RD_E_IO;
  }
  c->password[n] = '\0';
  first_line(c->password);
  if (longer && strlen(c->password) == (size_t)n) {
    rd_wipe(c->password, sizeof c->password);
    *why = "the password in the file is too long";
    return RD_E_INVALID;
  }
  return 0;
}

void rd_credentials_no_dump(void) {
#ifdef __linux__
  /* No core file, no ptrace by other processes of the same user, /proc/PID/mem closed to them.
   * Never undone: copies of the password and of keys derived from it may outlive the wipe. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* Copies RDPDOCTOR_PASSWORD into c->password when `use` (else only wipes it), then overwrites
 * the environment block itself (unsetenv only unlinks it) and removes the variable.
 * Returns 1 when the variable was not set, 0, or RD_E_INVALID with *why. */
static int take_environment(rd_credentials *c, bool use, const char **why) {
  char *env = getenv("RDPDOCTOR_PASSWORD");
  if (env == NULL)
    return 1;
  rd_credentials_no_dump();
  size_t n = strlen(env);
  int r = use ? copy_bounded(c->password, sizeof c->password, env, n) : 0;
  rd_wipe(env, n);
  unsetenv("RDPDOCTOR_PASSWORD");
  if (r != 0) {
    *why = "RDPDOCTOR_PASSWORD is too long";
    return RD_E_INVALID;
  }
  return 0;
}

void rd_credentials_forget_environment(void) {
  const char *why;
  (void)take_environment(NULL, false, &why);
}

static int from_prompt(rd_credentials *c, const char **why) {
  if (rd_console_read_secret("Password (not echoed): ", c->password, sizeof c->password) != 0) {
    *why = "no password: set RDPDOCTOR_PASSWORD, use --password-file, or run on a terminal";
    return RD_E_INVALID;
  }
  return 0;
}

int rd_credentials_read_password(rd_credentials *c, const char *file, const char **why) {
  rd_credentials_no_dump();
  if (file != NULL) {
    /* The file wins, but the variable must not stay readable in /proc/PID/environ either. */
    rd_credentials_forget_environment();
    return from_file(c, file, why);
  }
  int r = take_environment(c, true, why);
  if (r <= 0)
    return r;
  return from_prompt(c, why);
}
