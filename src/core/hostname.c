/* Host-name and IP-literal syntax: see hostname.h. */
#include "core/hostname.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}

int rd_hostname_check(const char *host, size_t len, const char **why) {
  static const char *unused;
  if (why == NULL)
    why = &unused;
  if (host == NULL || len == 0) {
    *why = "empty host name";
    return RD_E_INVALID;
  }
  if (len > 1 && host[len - 1] == '.')
    len--; /* one trailing dot: the name is absolute */
  if (len > RD_HOSTNAME_MAX) {
    *why = "host name longer than 253 characters";
    return RD_E_INVALID;
  }
  size_t label_start = 0;
  bool all_digits = true;
  for (size_t i = 0; i <= len; i++) {
    char c = i < len ? host[i] : '.';
    if (c == '.') {
      size_t label_len = i - label_start;
      if (label_len == 0) {
        *why = "empty label in host name";
        return RD_E_INVALID;
      }
      if (label_len > 63) {
        *why = "label longer than 63 characters in host name";
        return RD_E_INVALID;
      }
      if (host[label_start] == '-' || host[i - 1] == '-') {
        *why = "label starts or ends with '-' in host name";
        return RD_E_INVALID;
      }
      if (i < len) {
        label_start = i + 1;
        all_digits = true;
      }
      continue;
    }
    if (!is_label_char(c)) {
      *why = c == '%' ? "a zone ('%') is only valid after an IPv6 address"
                      : "invalid character in host name (letters, digits, '-', '_', '.')";
      return RD_E_INVALID;
    }
    if (!is_digit(c))
      all_digits = false;
  }
  if (all_digits) {
    /* "10.0.0.256" or "10.1": getaddrinfo would guess, we say it is not an address. */
    *why = "looks like an IPv4 address but is not a valid one";
    return RD_E_INVALID;
  }
  return 0;
}

static bool parse_v4(const char *s, size_t len, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    unsigned v = 0, digits = 0;
    if (part > 0) {
      if (i >= len || s[i] != '.')
        return false;
      i++;
    }
    for (; i < len && is_digit(s[i]); i++, digits++) {
      if (digits == 1 && v == 0) /* "01": octal to some parsers, refused by inet_pton */
        return false;
      v = v * 10 + (unsigned)(s[i] - '0');
      if (v > 255)
        return false;
    }
    if (digits == 0)
      return false;
    out[part] = (uint8_t)v;
  }
  return i == len;
}

static int hex_value(char c) {
  if (is_digit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool parse_v6(const char *s, size_t len, uint8_t out[16]) {
  uint8_t b[16] = {0};
  size_t at = 0, i = 0, gap = SIZE_MAX; /* gap: the byte offset "::" stands at */
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  } else if (len == 0 || s[0] == ':') {
    return false;
  }
  while (i < len) {
    size_t start = i;
    unsigned v = 0, digits = 0;
    for (; i < len && digits <= 4 && hex_value(s[i]) >= 0; i++, digits++)
      v = (v << 4) | (unsigned)hex_value(s[i]);
    if (i < len && s[i] == '.') { /* an IPv4 tail ends the address */
      if (at + 4 > 16 || !parse_v4(s + start, len - start, b + at))
        return false;
      at += 4;
      break;
    }
    if (digits == 0 || digits > 4 || at + 2 > 16)
      return false;
    b[at++] = (uint8_t)(v >> 8);
    b[at++] = (uint8_t)v;
    if (i == len)
      break;
    if (s[i] != ':' || ++i == len) /* a single trailing ':' */
      return false;
    if (s[i] == ':') {
      if (gap != SIZE_MAX)
        return false;
      gap = at;
      i++;
    }
  }
  if (gap != SIZE_MAX) {
    size_t tail = at - gap;
    if (at == 16) /* "::" stands for at least one group */
      return false;
    memmove(b + 16 - tail, b + gap, tail);
    memset(b + gap, 0, 16 - tail - gap);
  } else if (at != 16) {
    return false;
  }
  memcpy(out, b, 16);
  return true;
}

size_t rd_hostname_parse_ip(const char *s, size_t len, uint8_t out[16]) {
  if (s == NULL || out == NULL)
    return 0;
  if (parse_v4(s, len, out))
    return 4;
  return parse_v6(s, len, out) ? 16 : 0;
}
