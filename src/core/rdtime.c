#include "rdtime.h"

#include <stdio.h>
#include <stdlib.h>

/* Days from 1970-01-01 to a civil date and back (proleptic Gregorian), so that dates outside
 * time_t's or gmtime's comfortable range still print: certificates carry years 1950 to 9999. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

const char *rd_format_utc(int64_t t, char *buf, size_t size) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t secs = t - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, size, "%04lld-%02u-%02u %02lld:%02lld:%02lld UTC", (long long)y, m, d, (long long)(secs / 3600),
           (long long)(secs / 60 % 60), (long long)(secs % 60));
  return buf;
}

static int cmp_us(const void *a, const void *b) {
  rd_us x = *(const rd_us *)a, y = *(const rd_us *)b;
  return x < y ? -1 : x > y;
}

rd_us rd_us_sort_median(rd_us *v, size_t n) {
  qsort(v, n, sizeof v[0], cmp_us);
  return v[n / 2];
}
