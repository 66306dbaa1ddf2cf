/* Reading the check's target: HOST, HOST:PORT, [IPv6], [IPv6]:PORT, or a bare IPv6 address. */
#ifndef RD_CLI_TARGET_H
#define RD_CLI_TARGET_H

#include <stddef.h>
#include <stdint.h>

#define RD_DEFAULT_PORT 3389

/* Splits text into host (no brackets) and port (default_port when absent). Returns 0, or
 * RD_E_MALFORMED with *why set to a short reason for the one-line error. */
int rd_target_parse(const char *text, char *host, size_t host_size, uint16_t *port, const char **why);

#endif
