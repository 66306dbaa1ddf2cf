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
    cap += hl + pl + 4; /* generous: every byte could start a replacement (brackets, colon) */
  char *out = malloc(cap), *o = out;
  if (out == NULL)
    return NULL;
  bool v6 = strchr(host, ':') != NULL;
  for (const char *p = text; *p;) {
    bool our_check = o - out >= 16 && memcmp(o - 16, "rdpdoctor check ", 16) == 0;
    if (strncmp(p, "SERVER", 6) == 0 && our_check && port != 3389 && p[6] != ':') {
      /* Our own command is given the port the check ran on, so it reaches the same listener. */
      o += sprintf(o, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port_text), p += 6;
    } else if (strncmp(p, "SERVER", 6) == 0) {
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

/* The length of the valid UTF-8 sequence at p (2-4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p) {
  size_t n;
  unsigned cp;
  if (p[0] >= 0xC2 && p[0] <= 0xDF)
    n = 2, cp = p[0] & 0x1F;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF)
    n = 3, cp = p[0] & 0x0F;
  else if (p[0] >= 0xF0 && p[0] <= 0xF4)
    n = 4, cp = p[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

char *rd_text_escape(const char *in, char *out, size_t size) {
  size_t o = 0;
  if (size == 0)
    return out;
  for (const unsigned char *p = (const unsigned char *)in; *p != '\0';) {
    char tmp[8];
    size_t n, step;
    if (*p >= 0x20 && *p < 0x7F) {
      tmp[0] = (char)*p, n = 1, step = 1;
    } else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) { /* a C1 control, CSI among them */
      n = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", p[1]), step = 2;
    } else if (*p >= 0x80 && (step = utf8_len(p)) != 0) {
      memcpy(tmp, p, step), n = step;
    } else {
      n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p), step = 1;
    }
    if (o + n + 1 > size)
      break;
    memcpy(out + o, tmp, n);
    o += n;
    p += step;
  }
  out[o] = '\0';
  return out;
}

/* Display width of a word: one column per UTF-8 character (no East Asian width tables). */
static unsigned display_width(const char *p, size_t len) {
  unsigned w = 0;
  for (size_t i = 0; i < len; i++)
    w += ((unsigned char)p[i] & 0xC0) != 0x80;
  return w;
}

void rd_text_wrap_hanging(FILE *f, const char *first, unsigned first_w, const char *text, unsigned indent,
                          unsigned width) {
  fputs(first, f);
  unsigned col = first_w, start = first_w;
  bool fresh = true; /* nothing written on this line yet after its indent */
  for (const char *p = text; *p != '\0';) {
    if (*p == ' ') {
      p++;
      continue;
    }
    if (*p == '\n') {
      fprintf(f, "\n%*s", (int)indent, "");
      col = start = indent, fresh = true;
      p++;
      continue;
    }
    size_t len = strcspn(p, " \n");
    unsigned w = display_width(p, len);
    if (!fresh && col + 1 + w > width) {
      fprintf(f, "\n%*s", (int)indent, "");
      col = start = indent, fresh = true;
    }
    if (!fresh)
      fputc(' ', f), col++;
    fwrite(p, 1, len, f);
    col += w;
    fresh = false;
    p += len;
  }
  (void)start;
  fputc('\n', f);
}

/* Whether a line of the kb is a command to paste (its first word a PowerShell Verb-Noun, a
 * variable, or a known tool) rather than prose. */
static bool is_command(const char *p, size_t len) {
  static const char *const tools[] = {"netstat", "rdpdoctor", "systemctl", "mstsc", "qwinsta", "quser", "logoff",
                                      "reg", "cmdkey", "certutil", "ipconfig", "nslookup", "wevtutil", "openssl",
                                      "xfreerdp", "gpupdate", "netsh", "sc", "shutdown", "klist", "w32tm",
                                      "icacls", "takeown", "tnc", "Get-WinEvent", "xrdp"};
  size_t w = strcspn(p, " ");
  if (w > len)
    w = len;
  if (w > 0 && p[0] == '$')
    return true;
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    if (strlen(tools[i]) == w && strncmp(p, tools[i], w) == 0)
      return true;
  const char *dash = memchr(p, '-', w);
  return dash != NULL && p[0] >= 'A' && p[0] <= 'Z' && dash + 1 < p + w && dash[1] >= 'A' && dash[1] <= 'Z';
}

/* The kb's confirm and fix texts, one line each: prose wraps; a command keeps its line however
 * long, and starts on a line of its own ("On the server: Get-Service …" puts the command under
 * its prose), so it copies cleanly. */
void rd_text_kb_lines(FILE *f, const char *first, const char *text, unsigned indent, unsigned width) {
  char pad[32];
  snprintf(pad, sizeof pad, "%*s", (int)(indent < sizeof pad ? indent : sizeof pad - 1), "");
  for (const char *p = text; *p != '\0'; first = pad) {
    size_t len = strcspn(p, "\n");
    char ln[2048];
    snprintf(ln, sizeof ln, "%.*s", (int)(len < sizeof ln - 1 ? len : sizeof ln - 1), p);
    if (indent + len <= width || is_command(ln, strlen(ln))) {
      fprintf(f, "%s%s\n", first, ln);
    } else {
      /* prose, perhaps ending in a command after its last ": " */
      char *colon = NULL;
      for (char *c = strstr(ln, ": "); c != NULL; c = strstr(c + 2, ": "))
        if (is_command(c + 2, strlen(c + 2)))
          colon = c;
      if (colon != NULL)
        colon[1] = '\0';
      rd_text_wrap_hanging(f, first, indent, ln, indent, width);
      if (colon != NULL)
        fprintf(f, "%s%s\n", pad, colon + 2);
    }
    p += len;
    if (*p == '\n')
      p++;
  }
}

