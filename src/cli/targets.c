#include "targets.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hostname.h"
#include "target.h"

void rd_targets_init(rd_target_list *l) {
  memset(l, 0, sizeof *l);
  l->ports[0] = RD_DEFAULT_PORT;
  l->n_ports = 1;
}

void rd_targets_free(rd_target_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->specs[i].host);
  free(l->specs);
  memset(l, 0, sizeof *l);
}

static bool read_uint(const char **p, unsigned long max, unsigned long *out) {
  const char *s = *p;
  unsigned long v = 0;
  if (!isdigit((unsigned char)*s))
    return false;
  for (; isdigit((unsigned char)*s); s++) {
    v = v * 10 + (unsigned long)(*s - '0');
    if (v > max)
      return false;
  }
  *p = s;
  *out = v;
  return true;
}

int rd_targets_set_ports(rd_target_list *l, const char *text, const char **why) {
  size_t n = 0;
  const char *p = text;
  *why = "a port list is numbers from 1 to 65535 and ranges (3389,3390 or 3389-3392)";
  while (true) {
    unsigned long a, b;
    if (!read_uint(&p, 65535, &a) || a == 0)
      return RD_E_MALFORMED;
    b = a;
    if (*p == '-') {
      p++;
      if (!read_uint(&p, 65535, &b) || b < a)
        return RD_E_MALFORMED;
    }
    for (unsigned long v = a; v <= b; v++) {
      bool seen = false;
      for (size_t i = 0; i < n; i++)
        seen |= l->ports[i] == v;
      if (seen)
        continue;
      if (n == RD_TARGETS_MAX_PORTS) {
        *why = "at most 64 ports";
        return RD_E_MALFORMED;
      }
      l->ports[n++] = (uint16_t)v;
    }
    if (*p == '\0')
      break;
    if (*p++ != ',')
      return RD_E_MALFORMED;
  }
  l->n_ports = n;
  return 0;
}

static int push(rd_target_list *l, const rd_target_spec *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    rd_target_spec *ns = realloc(l->specs, cap * sizeof *ns);
    if (ns == NULL)
      return RD_E_NOMEM;
    l->specs = ns;
    l->cap = cap;
  }
  l->specs[l->n++] = *s;
  return 0;
}

/* The addresses a block expands to: an IPv4 block of /30 or wider leaves out its network and
 * broadcast addresses (nothing answers there); /31, /32 and IPv6 blocks keep every address. */
static uint64_t block_size(const rd_target_spec *s) {
  unsigned bits = (s->family == 4 ? 32u : 128u) - s->prefix;
  uint64_t n = (uint64_t)1 << bits;
  return s->family == 4 && bits >= 2 ? n - 2 : n;
}

static int add_cidr(rd_target_list *l, const char *text, const char *slash, const char **why) {
  rd_target_spec s;
  memset(&s, 0, sizeof s);
  size_t len = (size_t)(slash - text);
  const char *p = slash + 1;
  unsigned long prefix;
  size_t fam = rd_hostname_parse_ip(text, len, s.base);
  if (fam == 0) {
    *why = "a block is ADDRESS/PREFIX (192.0.2.0/24, 2001:db8::/120)";
    return RD_E_MALFORMED;
  }
  s.family = fam == 4 ? 4 : 6;
  if (!read_uint(&p, fam == 4 ? 32 : 128, &prefix) || *p != '\0') {
    *why = fam == 4 ? "an IPv4 prefix length is 0 to 32" : "an IPv6 prefix length is 0 to 128";
    return RD_E_MALFORMED;
  }
  if (prefix < (fam == 4 ? RD_TARGETS_MIN_PREFIX4 : RD_TARGETS_MIN_PREFIX6)) {
    *why = fam == 4 ? "the block is larger than a /16 (65536 addresses), the most one scan takes"
                    : "the block is larger than a /112 (65536 addresses), the most one scan takes";
    return RD_E_TOO_BIG;
  }
  s.prefix = (unsigned)prefix;
  /* Clear the host bits: 192.0.2.77/24 is 192.0.2.0/24. */
  for (unsigned i = 0; i < fam; i++) {
    unsigned keep = s.prefix > i * 8 ? s.prefix - i * 8 : 0;
    if (keep < 8)
      s.base[i] &= (uint8_t)(0xff00u >> keep);
  }
  s.cidr = true;
  return push(l, &s);
}

int rd_targets_add(rd_target_list *l, const char *text, const char **why) {
  const char *slash = strchr(text, '/');
  if (slash != NULL)
    return add_cidr(l, text, slash, why);
  char host[256];
  uint16_t port;
  int r = rd_target_parse(text, host, sizeof host, &port, why);
  if (r != 0)
    return r;
  rd_target_spec s;
  memset(&s, 0, sizeof s);
  /* A port only when the text names one: otherwise the list's port set applies. */
  bool has_port = text[0] == '[' ? strstr(text, "]:") != NULL
                                 : (strchr(text, ':') != NULL && strchr(text, ':') == strrchr(text, ':'));
  s.port = has_port ? port : 0;
  s.host = strdup(host);
  if (s.host == NULL)
    return RD_E_NOMEM;
  if ((r = push(l, &s)) != 0)
    free(s.host);
  return r;
}

int rd_targets_add_file(rd_target_list *l, FILE *f, const char **why, unsigned long *line_no, char *bad,
                        size_t bad_size) {
  char line[1024];
  *line_no = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    (*line_no)++;
    size_t n = strlen(line);
    if (n == sizeof line - 1 && line[n - 1] != '\n') {
      *why = "the line is longer than 1023 characters";
      snprintf(bad, bad_size, "%.20s", line);
      return RD_E_MALFORMED;
    }
    char *hash = strchr(line, '#');
    if (hash != NULL)
      *hash = '\0';
    for (char *save = NULL, *w = strtok_r(line, " \t\r\n,;", &save); w != NULL; w = strtok_r(NULL, " \t\r\n,;", &save)) {
      int r = rd_targets_add(l, w, why);
      if (r != 0) {
        snprintf(bad, bad_size, "%s", w);
        return r;
      }
    }
  }
  if (ferror(f)) {
    *why = "read error";
    return RD_E_IO;
  }
  return 0;
}

int rd_targets_finish(rd_target_list *l, const char **why) {
  uint64_t total = 0;
  for (size_t i = 0; i < l->n; i++) {
    const rd_target_spec *s = &l->specs[i];
    total += (s->cidr ? block_size(s) : 1) * (s->port ? 1 : l->n_ports);
    if (total > RD_TARGETS_MAX_TOTAL) {
      *why = "more than 1048576 targets (addresses × ports) in one scan";
      return RD_E_TOO_BIG;
    }
  }
  if (total == 0) {
    *why = "no targets";
    return RD_E_INVALID;
  }
  l->total = total;
  l->at_spec = 0;
  l->at_addr = 0;
  l->at_port = 0;
  return 0;
}

static void block_addr(const rd_target_spec *s, uint64_t index, char *out, size_t size) {
  uint8_t a[16];
  unsigned n = s->family == 4 ? 4 : 16;
  memcpy(a, s->base, n);
  if (s->family == 4 && 32 - s->prefix >= 2)
    index++; /* past the network address */
  /* Add the index to the low bytes (at most 16 bits of host part for the blocks we take, but
   * carry anyway). */
  for (int i = (int)n - 1; i >= 0 && index != 0; i--) {
    uint64_t v = a[i] + (index & 0xff);
    a[i] = (uint8_t)v;
    index = (index >> 8) + (v >> 8);
  }
  if (n == 4) {
    snprintf(out, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  } else {
    /* Full form, lowercase; the check and its JSON take any valid text. */
    int len = 0;
    for (unsigned i = 0; i < 16; i += 2)
      len += snprintf(out + len, size - (size_t)len, "%s%x", i ? ":" : "", (unsigned)(a[i] << 8 | a[i + 1]));
  }
}

bool rd_targets_next(rd_target_list *l, rd_target *out) {
  while (l->at_spec < l->n) {
    const rd_target_spec *s = &l->specs[l->at_spec];
    uint64_t n_addr = s->cidr ? block_size(s) : 1;
    size_t n_port = s->port ? 1 : l->n_ports;
    if (l->at_addr >= n_addr) {
      l->at_spec++;
      l->at_addr = 0;
      l->at_port = 0;
      continue;
    }
    if (s->cidr)
      block_addr(s, l->at_addr, out->host, sizeof out->host);
    else
      snprintf(out->host, sizeof out->host, "%s", s->host);
    out->port = s->port ? s->port : l->ports[l->at_port];
    if (++l->at_port >= n_port) {
      l->at_port = 0;
      l->at_addr++;
    }
    return true;
  }
  return false;
}
