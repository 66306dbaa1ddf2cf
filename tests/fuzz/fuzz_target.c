/* Fuzzes the check's command-line target reader (HOST, HOST:PORT, [IPv6]:PORT). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1), host[256];
  uint16_t port;
  const char *why;
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (rd_target_parse(text, host, sizeof host, &port, &why) == 0 && (strlen(host) > 253 || port == 0))
    __builtin_trap();
  free(text);
  return 0;
}
