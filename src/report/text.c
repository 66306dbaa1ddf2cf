#include "report.h"

#include <stdio.h>
#include <stdlib.h>
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

char *rd_text_for_target(const char *text, const char *host, unsigned port) {
  char port_text[8];
  snprintf(port_text, sizeof port_text, "%u", port);
  size_t hl = strlen(host), pl = strlen(port_text), cap = 1;
  for (const char *p = text; *p; p++)
    cap += hl + pl + 1; /* generous: every byte could start a replacement */
  char *out = malloc(cap), *o = out;
  if (out == NULL)
    return NULL;
  for (const char *p = text; *p;) {
    if (strncmp(p, "SERVER", 6) == 0) {
      memcpy(o, host, hl), o += hl, p += 6;
    } else if (port != 3389 && (strncmp(p, ":3389", 5) == 0 || strncmp(p, "-Port 3389", 10) == 0)) {
      /* Only where the port is what a command connects to or looks for; "-Value 3389" that sets
       * the registry back to the default stays. */
      size_t lead = *p == ':' ? 1 : 6;
      memcpy(o, p, lead), o += lead, p += lead;
      memcpy(o, port_text, pl), o += pl, p += 4;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}
