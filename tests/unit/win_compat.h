/* The Windows build of the unit tests only (tests/CMakeLists.txt force-includes it there): the
 * POSIX calls the tests use that the C runtime lacks: setenv/unsetenv on _putenv_s,
 * open_memstream and memmem. */
#ifndef RD_TESTS_WIN_COMPAT_H
#define RD_TESTS_WIN_COMPAT_H
#ifdef _WIN32
#include <stdlib.h>

static inline int setenv(const char *name, const char *value, int overwrite) {
  if (!overwrite && getenv(name) != NULL)
    return 0;
  return _putenv_s(name, value) == 0 ? 0 : -1;
}

/* _putenv_s with an empty value removes the variable (from the process environment too). */
static inline int unsetenv(const char *name) { return _putenv_s(name, "") == 0 ? 0 : -1; }

/* open_memstream, which the C runtime lacks: a temporary file (deleted when closed) whose
 * contents fclose hands over as POSIX's does (*bufp malloc'd and NUL-terminated, *sizep its
 * length). Only fclose updates them; the tests read the buffer after closing. */
#include <stdio.h>
#include <string.h>

typedef struct rd_win_memstream {
  FILE *f;
  char **bufp;
  size_t *sizep;
} rd_win_memstream;
#define RD_WIN_MEMSTREAMS 16
static inline rd_win_memstream *rd_win_memstreams(void) {
  static rd_win_memstream open[RD_WIN_MEMSTREAMS];
  return open;
}

static inline FILE *open_memstream(char **bufp, size_t *sizep) {
  rd_win_memstream *t = rd_win_memstreams();
  for (size_t i = 0; i < RD_WIN_MEMSTREAMS; i++) {
    if (t[i].f != NULL)
      continue;
    char *name = _tempnam(NULL, "rdms");
    FILE *f = name != NULL ? fopen(name, "w+bD") : NULL;
    free(name);
    if (f == NULL)
      return NULL;
    t[i] = (rd_win_memstream){f, bufp, sizep};
    *bufp = NULL;
    *sizep = 0;
    return f;
  }
  return NULL;
}

static inline int rd_win_fclose(FILE *f) {
  rd_win_memstream *t = rd_win_memstreams();
  for (size_t i = 0; i < RD_WIN_MEMSTREAMS; i++) {
    rd_win_memstream *m = &t[i];
    if (f == NULL || m->f != f)
      continue;
    m->f = NULL;
    long n = fflush(f) == 0 && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b == NULL || fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, (size_t)n, f) != (size_t)n) {
      free(b);
      (fclose)(f);
      return EOF;
    }
    b[n] = '\0';
    *m->bufp = b;
    *m->sizep = (size_t)n;
    return (fclose)(f);
  }
  return (fclose)(f);
}
#define fclose(f) rd_win_fclose(f)

/* memmem, a GNU extension (test_probe_session). */
static inline void *memmem(const void *hay, size_t n, const void *needle, size_t m) {
  const unsigned char *h = hay;
  if (m == 0)
    return (void *)h;
  for (size_t i = 0; m <= n && i <= n - m; i++)
    if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, m) == 0)
      return (void *)(h + i);
  return NULL;
}
#endif
#endif
