#include "codearg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

static bool is_hex_digit(char c) { return isxdigit((unsigned char)c) != 0; }
static bool is_dec_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  return (tolower((unsigned char)c) - 'a') + 10;
}

/* Accumulates digits of `base` into a 64-bit value, stopping at 2^32 so that no input overflows. */
static int read_digits(const char *s, size_t n, unsigned base, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0)
    return RD_E_MALFORMED;
  for (size_t i = 0; i < n; i++) {
    bool ok = base == 16 ? is_hex_digit(s[i]) : is_dec_digit(s[i]);
    if (!ok)
      return RD_E_MALFORMED;
    v = v * base + (uint64_t)(base == 16 ? hex_value(s[i]) : s[i] - '0');
    if (v > UINT32_MAX + (uint64_t)1)
      v = UINT32_MAX + (uint64_t)2; /* saturate: "too big" is all we need to know */
  }
  *out = v;
  return 0;
}

static bool has_hex_letter(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isalpha((unsigned char)s[i]))
      return true;
  return false;
}

static bool all_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_hex_digit(s[i]))
      return false;
  return n > 0;
}

static bool is_name(const char *s, size_t n) {
  if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
      return false;
  return true;
}

static const rd_kb_code *find_name(const char *s, size_t n) {
  size_t count;
  const rd_kb_code *rows = rd_kb_codes(&count);
  for (size_t i = 0; i < count; i++) {
    const char *name = rows[i].name;
    if (strlen(name) == n && strncasecmp(name, s, n) == 0)
      return &rows[i];
  }
  return NULL;
}

/* Parses the token s[0..n), already trimmed. */
static int parse_span(const char *s, size_t n, rd_code_arg *out) {
  uint64_t v;
  int r;
  memset(out, 0, sizeof *out);
  if (n == 0 || n > RD_CODEARG_MAX_TOKEN)
    return RD_E_MALFORMED;
  memcpy(out->text, s, n);
  out->text[n] = '\0';

  if (s[0] == '-') {
    /* Event logs print NTSTATUS as a signed 32-bit decimal; a negative hex has no such reading. */
    if (n > 2 && s[1] == '0' && (s[2] == 'x' || s[2] == 'X'))
      return RD_E_MALFORMED;
    if ((r = read_digits(s + 1, n - 1, 10, &v)) != 0)
      return r;
    if (v == 0 || v > (uint64_t)1 << 31)
      return RD_E_MALFORMED;
    out->value = (uint32_t)(((uint64_t)1 << 32) - v);
    out->form = RD_FORM_NEG_DEC;
    return 0;
  }
  if (s[0] == '+')
    return RD_E_MALFORMED;
  if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if ((r = read_digits(s + 2, n - 2, 16, &v)) != 0)
      return r;
    out->form = RD_FORM_HEX;
  } else if (is_dec_digit(s[0]) && !has_hex_letter(s, n)) {
    if ((r = read_digits(s, n, 10, &v)) != 0)
      return r;
    out->form = RD_FORM_DEC;
    uint64_t hex;
    /* "904" is 904 or 0x904: keep both, explain says which it took (docs/explain.md). */
    if (n >= 2 && n <= 8 && v <= UINT32_MAX && read_digits(s, n, 16, &hex) == 0) {
      out->has_alt = true;
      out->alt_value = (uint32_t)hex;
    }
  } else if (all_hex(s, n) && (is_dec_digit(s[0]) || n >= 5)) {
    /* Bare hex with a letter, as some logs print it (C000006D, 8009030c). All-digit text is
     * decimal; short letter-only words such as "bad" or "face" are not taken for numbers. */
    if ((r = read_digits(s, n, 16, &v)) != 0)
      return r;
    out->form = RD_FORM_HEX;
  } else if (is_name(s, n)) {
    out->form = RD_FORM_NAME;
    out->named = find_name(s, n);
    if (out->named == NULL)
      return RD_E_UNKNOWN;
    out->value = out->named->value;
    return 0;
  } else {
    return RD_E_MALFORMED;
  }
  if (v > UINT32_MAX)
    return RD_E_TOO_BIG;
  out->value = (uint32_t)v;
  return 0;
}

static void trim(const char **s, size_t *n) {
  while (*n > 0 && isspace((unsigned char)(*s)[0])) {
    (*s)++;
    (*n)--;
  }
  while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
    (*n)--;
}

int rd_codearg_parse(const char *token, rd_code_arg *out) {
  size_t n = strnlen(token, RD_CODEARG_MAX_TOKEN + 2);
  const char *s = token;
  memset(out, 0, sizeof *out);
  if (n > RD_CODEARG_MAX_TOKEN)
    return RD_E_MALFORMED;
  trim(&s, &n);
  return parse_span(s, n, out);
}

/* Case-insensitive search for needle in hay[0..n). */
static const char *find_ci(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (strncasecmp(hay + i, needle, k) == 0)
      return hay + i;
  return NULL;
}

/* The number after a label: optional spaces, an optional ':' or '=', spaces, then a token that
 * ends at a space, comma, ')' or ';' or the end of the line. */
static int number_after(const char *p, const char *end, rd_code_arg *out) {
  while (p < end && isspace((unsigned char)*p))
    p++;
  if (p < end && (*p == ':' || *p == '='))
    p++;
  while (p < end && isspace((unsigned char)*p))
    p++;
  const char *start = p;
  while (p < end && !isspace((unsigned char)*p) && *p != ',' && *p != ')' && *p != ';')
    p++;
  /* A trailing period ends the dialog's sentence, it is not part of the number. */
  if (p > start && p[-1] == '.')
    p--;
  int r = parse_span(start, (size_t)(p - start), out);
  if (r == RD_E_UNKNOWN || (r == 0 && out->form == RD_FORM_NAME))
    return RD_E_MALFORMED; /* the dialog prints numbers, never names */
  return r;
}

int rd_codearg_parse_line(const char *line, rd_code_arg *disc, bool *has_disc,
                          rd_code_arg *ext, bool *has_ext) {
  size_t n = strnlen(line, RD_CODEARG_MAX_LINE + 1);
  const char *end = line + n;
  int r;
  *has_disc = *has_ext = false;
  if (n > RD_CODEARG_MAX_LINE)
    return RD_E_MALFORMED;

  const char *ext_at = find_ci(line, n, "extended error code");
  if (ext_at != NULL) {
    if ((r = number_after(ext_at + strlen("extended error code"), end, ext)) != 0)
      return r;
    *has_ext = true;
  }
  /* The first "error code" that is not the tail of "extended error code". */
  const char *p = line;
  while ((p = find_ci(p, (size_t)(end - p), "error code")) != NULL) {
    if (ext_at == NULL || p != ext_at + strlen("extended "))
      break;
    p += strlen("error code");
  }
  if (p != NULL) {
    if ((r = number_after(p + strlen("error code"), end, disc)) != 0)
      return r;
    *has_disc = true;
  }
  return (*has_disc || *has_ext) ? 0 : RD_E_MALFORMED;
}

bool rd_codearg_is_line(const char *text) {
  size_t n = strnlen(text, RD_CODEARG_MAX_LINE + 1);
  return find_ci(text, n, "error code") != NULL;
}

/* Lower case, one space for each run of white space, typographic apostrophes (U+2018, U+2019)
 * as "'"; the result is cut at size - 1 bytes. */
static size_t normalise(const char *in, char *out, size_t size) {
  size_t k = 0;
  bool space = false;
  for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && k + 1 < size; p++) {
    if (isspace(*p)) {
      space = k > 0;
      continue;
    }
    if (space && k + 2 < size)
      out[k++] = ' ';
    space = false;
    if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
      out[k++] = '\'';
      p += 2;
    } else {
      out[k++] = (char)tolower(*p);
    }
  }
  out[k] = '\0';
  return k;
}

const rd_kb_dialog *rd_codearg_find_dialog(const char *text) {
  char norm[RD_CODEARG_MAX_LINE + 1];
  size_t n = normalise(text, norm, sizeof norm), count, best_len = 0;
  const rd_kb_dialog *rows = rd_kb_dialogs(&count), *best = NULL;
  for (size_t i = 0; i < count; i++) {
    size_t len = strlen(rows[i].phrase);
    if (len > best_len && find_ci(norm, n, rows[i].phrase) != NULL) {
      best = &rows[i];
      best_len = len;
    }
  }
  return best;
}

int rd_codearg_parse_dialog_code(const char *text, rd_code_arg *out, bool *found) {
  size_t n = strnlen(text, RD_CODEARG_MAX_LINE + 1);
  *found = false;
  if (n > RD_CODEARG_MAX_LINE)
    return RD_E_MALFORMED;
  const char *p = find_ci(text, n, "(code");
  if (p == NULL)
    return 0;
  int r = number_after(p + strlen("(code"), text + n, out);
  if (r != 0)
    return r;
  *found = true;
  return 0;
}

bool rd_codearg_is_dialog(const char *text) {
  size_t n = strnlen(text, RD_CODEARG_MAX_LINE + 1);
  return find_ci(text, n, "(code") != NULL || rd_codearg_find_dialog(text) != NULL;
}
