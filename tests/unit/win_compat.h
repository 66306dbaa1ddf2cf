/* The Windows build of the unit tests only (tests/CMakeLists.txt force-includes it there): the
 * POSIX environment calls the tests use, on the C runtime's _putenv_s. */
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
#endif
#endif
