/* Target lists for `rdpdoctor scan` and the exporter: HOST, HOST:PORT, [IPv6]:PORT, a bare IPv6
 * address, an IPv4 or IPv6 CIDR block (size capped), and port lists ("3389,3390", "3389-3391").
 * A list is parsed and checked whole before anything runs (a bad line is a usage error, not a
 * surprise half-way through), and expands lazily: a /16 over two ports is 131070 targets but a
 * few bytes of state. */
#ifndef RD_CLI_TARGETS_H
#define RD_CLI_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RD_TARGETS_MAX_PORTS 64
/* The largest block: an IPv4 /16 (65536 addresses), an IPv6 /112 likewise. */
#define RD_TARGETS_MIN_PREFIX4 16
#define RD_TARGETS_MIN_PREFIX6 112
/* Targets (address × port) in one scan, at most. */
#define RD_TARGETS_MAX_TOTAL (1u << 20)

typedef struct rd_target_spec {
  char *host;        /* a name or an address (owned), for a single host */
  bool cidr;
  int family;        /* 4 or 6 for a block */
  uint8_t base[16];  /* the block's first address (host bits cleared) */
  unsigned prefix;
  uint16_t port;     /* 0: every port of the list's port set */
} rd_target_spec;

typedef struct rd_target_list {
  rd_target_spec *specs;
  size_t n, cap;
  uint16_t ports[RD_TARGETS_MAX_PORTS]; /* for specs without a port */
  size_t n_ports;
  uint64_t total;    /* targets the list expands to (after rd_targets_finish) */
  /* expansion cursor */
  size_t at_spec;
  uint64_t at_addr;
  size_t at_port;
} rd_target_list;

/* One target: the host text the check gets (no brackets) and the port. */
typedef struct rd_target {
  char host[256];
  uint16_t port;
} rd_target;

void rd_targets_init(rd_target_list *l);
void rd_targets_free(rd_target_list *l);
/* "3389", "3389,3390", "3389-3392,4000": sets the port set (replaces the default 3389).
 * 0 or RD_E_MALFORMED with *why. */
int rd_targets_set_ports(rd_target_list *l, const char *text, const char **why);
/* Adds one target text. 0, RD_E_MALFORMED (*why says why), RD_E_TOO_BIG (a block larger than
 * the cap) or RD_E_NOMEM. */
int rd_targets_add(rd_target_list *l, const char *text, const char **why);
/* Adds every whitespace-separated word of every line of f; '#' starts a comment. On an error,
 * *line_no says which line (1-based) and *bad holds its word, cut for an error message. */
int rd_targets_add_file(rd_target_list *l, FILE *f, const char **why, unsigned long *line_no, char *bad,
                        size_t bad_size);
/* Counts the expansion; RD_E_TOO_BIG beyond RD_TARGETS_MAX_TOTAL, RD_E_INVALID for an empty list. */
int rd_targets_finish(rd_target_list *l, const char **why);
/* The next target in order (spec by spec, address by address, port by port); false at the end. */
bool rd_targets_next(rd_target_list *l, rd_target *out);

#endif
