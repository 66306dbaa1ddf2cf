#include "target.h"

#include <ctype.h>
#include <string.h>

#include "core/err.h"
#include "core/hostname.h"

static int parse_port(const char *s, uint16_t *port, const char **why) {
  unsigned long v = 0;
  if (*s == '\0') {
    *why = "the port after ':' is empty";
    return RD_E_MALFORMED;
  }
  for (const char *p = s; *p; p++) {
    if (!isdigit((unsigned char)*p) || p - s >= 5) {
      *why = "the port must be a number from 1 to 65535";
      return RD_E_MALFORMED;
    }
    v = v * 10 + (unsigned long)(*p - '0');
  }
  if (v == 0 || v > 65535) {
    *why = "the port must be a number from 1 to 65535";
    return RD_E_MALFORMED;
  }
  *port = (uint16_t)v;
  return 0;
}

int rd_target_parse(const char *text, char *host, size_t host_size, uint16_t *port, const char **why) {
  const char *h = text, *end, *port_text = NULL;
  *port = RD_DEFAULT_PORT;
  size_t n = strnlen(text, 300);
  if (n == 0 || n >= 300) {
    *why = n == 0 ? "the host is empty" : "the host is too long";
    return RD_E_MALFORMED;
  }
  if (text[0] == '[') {
    end = strchr(text, ']');
    if (end == NULL) {
      *why = "'[' without ']'";
      return RD_E_MALFORMED;
    }
    h = text + 1;
    if (end[1] == ':')
      port_text = end + 2;
    else if (end[1] != '\0') {
      *why = "unexpected text after ']'";
      return RD_E_MALFORMED;
    }
  } else {
    const char *colon = strchr(text, ':');
    /* One colon separates a port; several make a bare IPv6 address. */
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
      end = colon;
      port_text = colon + 1;
    } else {
      end = text + n;
    }
  }
  size_t len = (size_t)(end - h);
  if (len == 0) {
    *why = "the host is empty";
    return RD_E_MALFORMED;
  }
  if (len > 253 || len >= host_size) {
    *why = "the host is longer than a DNS name can be (253 characters)";
    return RD_E_MALFORMED;
  }
  uint8_t ip[16];
  if (memchr(h, ':', len) != NULL) {
    if (rd_hostname_parse_ip(h, len, ip) != 16) {
      *why = "not a valid IPv6 address";
      return RD_E_MALFORMED;
    }
  } else if (rd_hostname_parse_ip(h, len, ip) != 4 && rd_hostname_check(h, len, why) != 0) {
    return RD_E_MALFORMED;
  }
  if (port_text != NULL && parse_port(port_text, port, why) != 0)
    return RD_E_MALFORMED;
  memcpy(host, h, len);
  host[len] = '\0';
  return 0;
}
