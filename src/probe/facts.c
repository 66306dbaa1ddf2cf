#include "facts.h"

#include <stdio.h>
#include <stdlib.h>

void rd_check_facts_free(rd_check_facts *f) {
  free(f->cert_der);
  f->cert_der = NULL;
  f->cert_der_len = 0;
}

const char *rd_name_status_name(rd_name_status s) {
  static const char *const names[] = {"not-tried", "ok",       "literal", "nxdomain",   "nodata",
                                      "servfail",  "refused",  "timeout", "no-servers", "error"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *rd_conn_outcome_name(rd_conn_outcome o) {
  static const char *const names[] = {"not-tried",       "ok",          "refused",      "timeout",
                                      "host-unreachable", "net-unreachable", "local-denied", "error"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

const char *rd_nego_outcome_name(rd_nego_outcome o) {
  static const char *const names[] = {"not-tried", "rsp",   "failure", "legacy",  "disconnect",
                                      "closed",    "reset", "silent",  "not-rdp", "malformed"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

const char *rd_service_name(rd_service s) {
  static const char *const names[] = {"unknown", "http", "ssh", "tls", "text"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *rd_tls_outcome_name(rd_tls_outcome o) {
  static const char *const names[] = {"not-tried", "ok",        "alert", "closed",
                                      "reset",     "plaintext", "stall", "error"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

const char *rd_credssp_outcome_name(rd_credssp_outcome o) {
  static const char *const names[] = {"not-tried", "challenge", "error-code", "no-ntlm",
                                      "closed",    "reset",     "silent",     "malformed"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

const char *rd_auth_outcome_name(rd_auth_outcome o) {
  static const char *const names[] = {"not-tried", "accepted", "error-code", "closed",     "reset",
                                      "silent",    "malformed", "key-mismatch", "local-error"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

const char *rd_protocols_name(uint32_t protocols, char *buf, size_t size) {
  static const struct {
    uint32_t bit;
    const char *name;
  } bits[] = {{0x1, "SSL"}, {0x2, "HYBRID"}, {0x4, "RDSTLS"}, {0x8, "HYBRID_EX"}, {0x10, "RDSAAD"}};
  if (protocols == 0) {
    snprintf(buf, size, "RDP");
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
    if ((protocols & bits[i].bit) == 0)
      continue;
    int w = snprintf(buf + used, size - used, "%s%s", used ? "|" : "", bits[i].name);
    if (w < 0 || (size_t)w >= size - used)
      break;
    used += (size_t)w;
    protocols &= ~bits[i].bit;
  }
  if (protocols != 0 && used + 12 < size)
    snprintf(buf + used, size - used, "%s0x%X", used ? "|" : "", protocols);
  return buf;
}
