/* Time as the engine passes it to sans-I/O code: monotonic microseconds. Nothing below src/net
 * reads a clock; it is told the time. */
#ifndef RD_CORE_RDTIME_H
#define RD_CORE_RDTIME_H

#include <stdint.h>

typedef uint64_t rd_us;
#define RD_US_NONE UINT64_MAX /* no deadline */
#define RD_US_PER_MS 1000u

#include <stddef.h>

/* Sorts v[0..n) ascending and returns its median (n > 0). RTT and reply-time figures use it. */
rd_us rd_us_sort_median(rd_us *v, size_t n);

/* Formats Unix seconds as "2020-01-31 00:00:00 UTC" (any year, before 1970 too). */
const char *rd_format_utc(int64_t unix_seconds, char *buf, size_t size);

#endif
