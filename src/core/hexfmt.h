/* Raw bytes as text for evidence: lowercase hex, optionally spaced, always NUL-terminated and
 * bounded by the buffer (what does not fit is left out). */
#ifndef RD_CORE_HEXFMT_H
#define RD_CORE_HEXFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

const char *rd_hex_format(char *buf, size_t size, const uint8_t *p, size_t n, bool spaced);

#endif
