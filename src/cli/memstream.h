/* A FILE whose text ends up in memory: the reports write to a FILE, the exporter serves buffers.
 * POSIX has open_memstream; Windows' C runtime has none, so there the text goes through a
 * temporary file in the user's temp folder, deleted when closed, and is read back on close.
 * No shared state: each stream is its caller's (the exporter renders on several threads). */
#ifndef RD_CLI_MEMSTREAM_H
#define RD_CLI_MEMSTREAM_H

#include <stddef.h>
#include <stdio.h>

typedef struct rd_memstream {
  FILE *f;   /* write here between open and close */
  char *buf; /* after a successful close: the text, malloc'd and NUL-terminated; the caller frees it */
  size_t len;
} rd_memstream;

/* 0, or -1 when no stream could be made (m->f NULL). */
int rd_memstream_open(rd_memstream *m);
/* Closes m->f. 0 with m->buf set, or -1 with m->buf NULL (a write or the read-back failed). */
int rd_memstream_close(rd_memstream *m);

#endif
