#include "memstream.h"

#include <stdlib.h>

#ifdef _WIN32

#include <windows.h>

int rd_memstream_open(rd_memstream *m) {
  wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
  m->f = NULL;
  m->buf = NULL;
  m->len = 0;
  DWORD n = GetTempPathW(MAX_PATH + 1, dir);
  /* GetTempFileNameW makes the file, with a name no other stream has; "D" deletes it at close,
   * "T" asks to keep it in the cache rather than write it out. */
  if (n == 0 || n > MAX_PATH || GetTempFileNameW(dir, L"rdm", 0, name) == 0)
    return -1;
  m->f = _wfopen(name, L"w+bTD");
  if (m->f == NULL) {
    DeleteFileW(name);
    return -1;
  }
  return 0;
}

int rd_memstream_close(rd_memstream *m) {
  FILE *f = m->f;
  m->f = NULL;
  m->buf = NULL;
  m->len = 0;
  if (f == NULL)
    return -1;
  long n = fflush(f) == 0 && !ferror(f) && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (b == NULL || fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    fclose(f);
    return -1;
  }
  b[n] = '\0';
  fclose(f);
  m->buf = b;
  m->len = (size_t)n;
  return 0;
}

#else

int rd_memstream_open(rd_memstream *m) {
  m->buf = NULL;
  m->len = 0;
  m->f = open_memstream(&m->buf, &m->len);
  return m->f != NULL ? 0 : -1;
}

int rd_memstream_close(rd_memstream *m) {
  FILE *f = m->f;
  m->f = NULL;
  if (f == NULL || (ferror(f) | fclose(f)) != 0 || m->buf == NULL) {
    free(m->buf);
    m->buf = NULL;
    m->len = 0;
    return -1;
  }
  return 0;
}

#endif
