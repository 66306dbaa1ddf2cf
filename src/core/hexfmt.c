#include "hexfmt.h"

const char *rd_hex_format(char *buf, size_t size, const uint8_t *p, size_t n, bool spaced) {
  static const char digits[] = "0123456789abcdef";
  size_t used = 0, step = spaced ? 3 : 2;
  if (size == 0)
    return buf;
  for (size_t i = 0; i < n; i++) {
    size_t sep = spaced && i > 0;
    if (used + sep + 2 + 1 > size || (spaced && used + step > size))
      break;
    if (sep)
      buf[used++] = ' ';
    buf[used++] = digits[p[i] >> 4];
    buf[used++] = digits[p[i] & 0xf];
  }
  buf[used] = '\0';
  return buf;
}
