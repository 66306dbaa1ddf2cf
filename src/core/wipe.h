/* Overwriting secrets (passwords, keys) so that they do not outlive their use in memory. */
#ifndef RD_CORE_WIPE_H
#define RD_CORE_WIPE_H

#include <stddef.h>

/* Zeroes n bytes through volatile stores, which the compiler may not drop although the buffer is
 * never read again (a plain memset before free may be). */
void rd_wipe(void *p, size_t n);

#endif
