#include "report.h"

#include <string.h>

void rd_text_wrap(FILE *f, const char *text, unsigned indent, unsigned width) {
  unsigned col = 0;
  const char *p = text;
  if (width < indent + 20)
    width = indent + 20;
  while (*p != '\0') {
    while (*p == ' ')
      p++;
    if (*p == '\0')
      break;
    size_t len = strcspn(p, " \n");
    if (col > indent && col + 1 + len > width) {
      fputc('\n', f);
      col = 0;
    }
    if (col == 0) {
      fprintf(f, "%*s", (int)indent, "");
      col = indent;
    } else {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, len, f);
    col += (unsigned)len;
    p += len;
    if (*p == '\n') {
      fputc('\n', f);
      col = 0;
      p++;
    }
  }
  if (col > 0)
    fputc('\n', f);
}
