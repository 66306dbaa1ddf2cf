/* responder — rdpdoctor's scriptable fault responder (TEST ONLY, never installed).
 *
 * A small TCP server that plays, byte for byte, the server behaviours no real server in the test
 * lab produces: silence after the X.224 Connection Request, FIN or RST at an exact byte, another
 * service's banner, a one-byte-a-second drip, garbage, hostile TPKT lengths, a legacy Connection
 * Confirm, captured replies, and real TLS after the negotiation so that TLS-phase faults (alert,
 * close or plaintext after the ClientHello, stall) can be scripted too.
 *
 *   responder --listen 127.0.0.1:PORT|[::1]:PORT --script FILE [--cert CRT --key KEY]
 *             [--port-file F] [--log F] [--once] [--cap S] [--lifetime S] [--exit-with-parent]
 *   responder --selftest-client HOST:PORT [--cr HEX] [--app-hex HEX] [--tls-versions MIN MAX]
 *             [--no-tls] [--timeout MS]
 *
 * The bound port is printed as the first line of stdout (and written to --port-file) once the
 * socket listens. Each accepted connection runs the whole script in a forked child; every byte
 * received is logged in hex with timestamps (stderr or --log). Every wait is bounded by the
 * per-connection cap (--cap, 60 s), and the server itself ends after --lifetime (600 s).
 * The script language is described in tests/servers/README.md and in usage() below.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_KIDS       256
#define MAX_BLOB       (16u * 1024u * 1024u) /* largest send-zeros / send-file / read N */
#define SCRATCH        65536
#define CLOSE_DRAIN_MS 5000 /* after our FIN, how long we still read what the peer sends */

/* ---------------------------------------------------------------------------------------------
 * Time and logging. One write() per line, so lines of concurrent children never interleave. */

static int64_t g_start_ms;
static int g_log_fd = 2;
static unsigned g_conn_id;      /* 0 in the parent */
static int64_t g_conn_start_ms; /* accept time of this process's connection */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all_fd(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

__attribute__((format(printf, 1, 2))) static void logmsg(const char *fmt, ...) {
  char line[1024];
  int64_t t = now_ms();
  int64_t up = t - g_start_ms;
  int n;
  if (g_conn_id != 0) {
    int64_t ct = t - g_conn_start_ms;
    n = snprintf(line, sizeof line, "responder %lld.%03lld c%u +%lld.%03lld ",
                 (long long)(up / 1000),
                 (long long)(up % 1000), g_conn_id, (long long)(ct / 1000), (long long)(ct % 1000));
  } else {
    n = snprintf(line, sizeof line, "responder %lld.%03lld ", (long long)(up / 1000),
                 (long long)(up % 1000));
  }
  if (n < 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0)
    m = 0;
  n += m;
  if ((size_t)n > sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  write_all_fd(g_log_fd, line, (size_t)n);
}

static void hex_into(char *out, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    *out++ = digits[p[i] >> 4];
    *out++ = digits[p[i] & 15];
    if (i + 1 < n)
      *out++ = ' ';
  }
  *out = '\0';
}

/* "recv 19 bytes: 03 00 …" on one line up to 32 bytes; longer data goes on indented lines. */
static void log_hex(const char *what, const uint8_t *p, size_t n) {
  char hex[32 * 3 + 1];
  if (n <= 32) {
    hex_into(hex, p, n);
    logmsg("%s %zu bytes: %s", what, n, hex);
    return;
  }
  logmsg("%s %zu bytes:", what, n);
  for (size_t off = 0; off < n; off += 32) {
    size_t k = n - off < 32 ? n - off : 32;
    hex_into(hex, p + off, k);
    logmsg("  %04zx: %s", off, hex);
  }
}

static void log_ssl_errors(const char *what) {
  unsigned long e;
  bool any = false;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    logmsg("%s: %s", what, buf);
    any = true;
  }
  if (!any)
    logmsg("%s: %s", what, errno != 0 ? strerror(errno) : "no error detail");
}

/* ---------------------------------------------------------------------------------------------
 * The script. */

enum op {
  OP_READ, OP_READ_TPKT, OP_READ_ANY, OP_EXPECT, OP_SEND, OP_DRIP, OP_SLEEP, OP_SILENCE, OP_CLOSE,
  OP_RESET, OP_TLS_VERSIONS, OP_TLS_CIPHERS, OP_TLS_ACCEPT, OP_TLS_READ_HELLO, OP_TLS_ALERT,
  OP_TLS_SHUTDOWN,
};

struct action {
  enum op op;
  int line;
  char *src;     /* the line as written, for the log */
  uint8_t *data; /* send, expect and drip bytes */
  size_t len;
  long n;        /* read count; tls-alert description */
  long ms;       /* sleep, drip interval, optional wait bound (-1: until the cap) */
  int vmin, vmax;
  char *str;     /* tls-ciphers */
  uint8_t rec_ver[2];
};

struct script {
  struct action *a;
  size_t n, cap;
  bool needs_cert;
};

static const char *g_script_path;

__attribute__((format(printf, 2, 3))) static bool perr(int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "responder: %s:%d: %s\n", g_script_path, line, msg);
  return false;
}

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Decimal or 0x-hex, within [lo, hi]. */
static bool parse_num(const char *s, long lo, long hi, long *out) {
  char *end;
  int base = 10;
  if (s == NULL || *s == '\0')
    return false;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    base = 16;
  errno = 0;
  long v = strtol(s, &end, base);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

struct buf {
  uint8_t *p;
  size_t n, cap;
};

static bool buf_add(struct buf *b, const uint8_t *p, size_t n) {
  if (b->n + n > MAX_BLOB)
    return false;
  if (b->n + n > b->cap) {
    size_t nc = b->cap ? b->cap : 64;
    while (nc < b->n + n)
      nc *= 2;
    uint8_t *q = realloc(b->p, nc);
    if (q == NULL)
      return false;
    b->p = q;
    b->cap = nc;
  }
  if (n > 0)
    memcpy(b->p + b->n, p, n);
  b->n += n;
  return true;
}

/* Hex digits with any whitespace between bytes (or inside: "0300 0013" is fine). */
static bool parse_hex_tokens(char **tok, int ntok, struct buf *b) {
  int hi = -1;
  for (int i = 0; i < ntok; i++) {
    for (const char *s = tok[i]; *s; s++) {
      int v = hexval((unsigned char)*s);
      if (v < 0)
        return false;
      if (hi < 0) {
        hi = v;
      } else {
        uint8_t byte = (uint8_t)(hi << 4 | v);
        if (!buf_add(b, &byte, 1))
          return false;
        hi = -1;
      }
    }
  }
  return hi < 0;
}

/* A "…" string with \r \n \t \0 \\ \" \xNN. Sets *rest past the closing quote. */
static bool parse_text(char *s, struct buf *b, char **rest) {
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s++ != '"')
    return false;
  for (;;) {
    uint8_t ch;
    if (*s == '\0')
      return false;
    if (*s == '"') {
      *rest = s + 1;
      return true;
    }
    if (*s != '\\') {
      ch = (uint8_t)*s++;
    } else {
      s++;
      switch (*s) {
      case 'r': ch = '\r'; s++; break;
      case 'n': ch = '\n'; s++; break;
      case 't': ch = '\t'; s++; break;
      case '0': ch = 0; s++; break;
      case '\\': ch = '\\'; s++; break;
      case '"': ch = '"'; s++; break;
      case 'x': {
        int h = hexval((unsigned char)s[1]), l = h < 0 ? -1 : hexval((unsigned char)s[2]);
        if (h < 0 || l < 0)
          return false;
        ch = (uint8_t)(h << 4 | l);
        s += 3;
        break;
      }
      default:
        return false;
      }
    }
    if (!buf_add(b, &ch, 1))
      return false;
  }
}

/* Splits at whitespace, up to a '#' comment. */
static int split_args(char *s, char **argv, int max) {
  int n = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s == '\0' || *s == '#')
      return n;
    if (n == max)
      return -1;
    argv[n++] = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '#')
      s++;
    if (*s == '#') {
      *s = '\0';
      return n;
    }
    if (*s)
      *s++ = '\0';
  }
}

/* A hex string given on the command line, spaces allowed. */
static bool parse_hex_string(const char *s, struct buf *b) {
  char *dup = strdup(s), *tok[256];
  int n = dup ? split_args(dup, tok, 256) : -1;
  bool ok = n >= 0 && parse_hex_tokens(tok, n, b);
  free(dup);
  return ok;
}

static bool only_comment(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return *s == '\0' || *s == '#';
}

static int parse_tls_version(const char *s) {
  static const struct {
    const char *name;
    int v;
  } t[] = {{"TLS1", TLS1_VERSION},     {"TLS1.0", TLS1_VERSION},   {"TLSv1", TLS1_VERSION},
           {"TLSv1.0", TLS1_VERSION},  {"TLS1.1", TLS1_1_VERSION}, {"TLSv1.1", TLS1_1_VERSION},
           {"TLS1.2", TLS1_2_VERSION}, {"TLSv1.2", TLS1_2_VERSION}, {"TLS1.3", TLS1_3_VERSION},
           {"TLSv1.3", TLS1_3_VERSION}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcasecmp(s, t[i].name) == 0)
      return t[i].v;
  return 0;
}

/* The X.224 Connection Confirm of `cc rsp FLAGS PROTOCOL`, `cc failure CODE`, `cc legacy`
 * (MS-RDPBCGR 2.2.1.2; src-ref 0x1234 like Windows and xrdp). */
static bool build_cc(int line, char **argv, int argc, struct buf *b) {
  uint8_t cc[19] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
                    0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  long flags = 0, v;
  if (argc == 1 && strcmp(argv[0], "legacy") == 0) {
    static const uint8_t legacy[11] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0,
                                       0x00, 0x00, 0x12, 0x34, 0x00};
    return buf_add(b, legacy, sizeof legacy);
  }
  if (argc == 3 && strcmp(argv[0], "rsp") == 0) {
    if (!parse_num(argv[1], 0, 255, &flags) || !parse_num(argv[2], 0, 0x7fffffffL, &v))
      return perr(line, "cc rsp FLAGS PROTOCOL: numbers expected");
    cc[11] = 0x02;
  } else if (argc == 2 && strcmp(argv[0], "failure") == 0) {
    if (!parse_num(argv[1], 0, 0x7fffffffL, &v))
      return perr(line, "cc failure CODE: a number expected");
    cc[11] = 0x03;
  } else {
    return perr(line, "cc: expected 'rsp FLAGS PROTOCOL', 'failure CODE' or 'legacy'");
  }
  cc[12] = (uint8_t)flags;
  for (int i = 0; i < 4; i++)
    cc[15 + i] = (uint8_t)((unsigned long)v >> (8 * i)); /* little-endian */
  return buf_add(b, cc, sizeof cc);
}

static bool read_file_blob(int line, const char *path, struct buf *b) {
  char full[4096];
  if (path[0] != '/') { /* relative to the script's folder */
    const char *slash = strrchr(g_script_path, '/');
    int dl = slash ? (int)(slash - g_script_path) : 1;
    snprintf(full, sizeof full, "%.*s/%s", dl, slash ? g_script_path : ".", path);
  } else {
    snprintf(full, sizeof full, "%s", path);
  }
  FILE *f = fopen(full, "rb");
  if (f == NULL)
    return perr(line, "send-file %s: %s", full, strerror(errno));
  uint8_t chunk[4096];
  size_t k;
  bool ok = true;
  while (ok && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
    ok = buf_add(b, chunk, k);
  fclose(f);
  return ok ? true : perr(line, "send-file %s: too large (max %u bytes)", full, MAX_BLOB);
}

static bool parse_line(struct script *sc, int line, char *text, bool *tls_on, bool *hello_read) {
  char *src = strdup(text);
  char *s = text, *word, *rest;
  char *argv[4096];
  struct action a;
  struct buf b = {0};
  int argc;
  long v;

  memset(&a, 0, sizeof a);
  a.line = line;
  a.ms = -1;
  while (*s == ' ' || *s == '\t')
    s++;
  word = s;
  while (*s && *s != ' ' && *s != '\t')
    s++;
  if (*s)
    *s++ = '\0';
  rest = s;

  bool ok = true;
  if (strcmp(word, "send-text") == 0 || strcmp(word, "drip-text") == 0) {
    char *after;
    if (!parse_text(rest, &b, &after)) {
      ok = perr(line, "%s: a \"quoted string\" expected (escapes \\r \\n \\t \\0 \\\\ \\\" \\xNN)",
                word);
    } else if (word[0] == 's') {
      a.op = OP_SEND;
      ok = only_comment(after) || perr(line, "send-text: unexpected text after the string");
    } else {
      a.op = OP_DRIP;
      argc = split_args(after, argv, 4096);
      ok = (argc == 1 && parse_num(argv[0], 0, 3600000, &a.ms)) ||
           perr(line, "drip-text \"…\" MS: the interval in ms expected");
    }
  } else {
    argc = split_args(rest, argv, 4096);
    ok = argc >= 0 || perr(line, "too many arguments");
#define NEED(cond, msg) ok = (cond) || perr(line, "%s", msg)
    if (!ok) {
      /* reported */
    } else if (strcmp(word, "read") == 0) {
      a.op = OP_READ;
      NEED((argc == 1 || argc == 2) && parse_num(argv[0], 0, MAX_BLOB, &a.n) &&
               (argc == 1 || parse_num(argv[1], 0, 3600000, &a.ms)),
           "read N [TIMEOUT_MS]");
    } else if (strcmp(word, "read-tpkt") == 0 || strcmp(word, "read-any") == 0 ||
               strcmp(word, "silence") == 0) {
      a.op = word[5] == 't' ? OP_READ_TPKT : word[5] == 'a' ? OP_READ_ANY : OP_SILENCE;
      NEED(argc == 0 || (argc == 1 && parse_num(argv[0], 0, 3600000, &a.ms)),
           "expected an optional TIMEOUT_MS only");
    } else if (strcmp(word, "expect-hex") == 0 || strcmp(word, "send-hex") == 0) {
      a.op = word[0] == 'e' ? OP_EXPECT : OP_SEND;
      NEED(argc > 0 && parse_hex_tokens(argv, argc, &b), "hex bytes expected");
    } else if (strcmp(word, "drip-hex") == 0) {
      a.op = OP_DRIP;
      NEED(argc > 1 && parse_num(argv[argc - 1], 0, 3600000, &a.ms) &&
               parse_hex_tokens(argv, argc - 1, &b),
           "drip-hex HEX MS");
    } else if (strcmp(word, "send-zeros") == 0) {
      a.op = OP_SEND;
      NEED(argc == 1 && parse_num(argv[0], 1, MAX_BLOB, &v), "send-zeros N");
      if (ok) {
        b.p = calloc(1, (size_t)v);
        b.n = b.cap = (size_t)v;
        NEED(b.p != NULL, "out of memory");
      }
    } else if (strcmp(word, "send-file") == 0) {
      a.op = OP_SEND;
      NEED(argc == 1, "send-file PATH (relative to the script's folder)");
      ok = ok && read_file_blob(line, argv[0], &b);
    } else if (strcmp(word, "cc") == 0) {
      a.op = OP_SEND;
      ok = build_cc(line, argv, argc, &b);
    } else if (strcmp(word, "sleep") == 0) {
      a.op = OP_SLEEP;
      NEED(argc == 1 && parse_num(argv[0], 0, 3600000, &a.ms), "sleep MS");
    } else if (strcmp(word, "close") == 0 || strcmp(word, "reset") == 0) {
      a.op = word[0] == 'c' ? OP_CLOSE : OP_RESET;
      NEED(argc == 0, "no arguments expected");
    } else if (strcmp(word, "tls-versions") == 0) {
      a.op = OP_TLS_VERSIONS;
      NEED(argc == 2 && (a.vmin = parse_tls_version(argv[0])) != 0 &&
               (a.vmax = parse_tls_version(argv[1])) != 0 && a.vmin <= a.vmax,
           "tls-versions MIN MAX, each TLS1, TLS1.1, TLS1.2 or TLS1.3");
    } else if (strcmp(word, "tls-ciphers") == 0) {
      a.op = OP_TLS_CIPHERS;
      NEED(argc == 1, "tls-ciphers OPENSSL-CIPHER-STRING (no spaces)");
      if (ok)
        a.str = strdup(argv[0]);
    } else if (strcmp(word, "tls-accept") == 0) {
      a.op = OP_TLS_ACCEPT;
      NEED(argc == 0, "no arguments expected");
      NEED(!*tls_on, "tls-accept twice");
      NEED(!*hello_read, "tls-accept after tls-read-hello/tls-alert: the ClientHello is gone");
      *tls_on = true;
      sc->needs_cert = true;
    } else if (strcmp(word, "tls-read-hello") == 0 || strcmp(word, "tls-alert") == 0) {
      a.op = word[4] == 'r' ? OP_TLS_READ_HELLO : OP_TLS_ALERT;
      NEED(!*tls_on, "raw TLS records after tls-accept");
      if (a.op == OP_TLS_READ_HELLO) {
        NEED(argc == 0, "no arguments expected");
      } else {
        a.rec_ver[0] = 0x03; /* record version of xrdp's captured alert: 15 03 01 00 02 02 50 */
        a.rec_ver[1] = 0x01;
        NEED((argc == 1 || argc == 2) && parse_num(argv[0], 0, 255, &a.n),
             "tls-alert DESCRIPTION [RECORD-VERSION-HEX, default 0301]");
        if (ok && argc == 2) {
          struct buf rv = {0};
          NEED(parse_hex_tokens(&argv[1], 1, &rv) && rv.n == 2, "record version: 4 hex digits");
          if (ok)
            memcpy(a.rec_ver, rv.p, 2);
          free(rv.p);
        }
      }
      *hello_read = true;
    } else if (strcmp(word, "tls-shutdown") == 0) {
      a.op = OP_TLS_SHUTDOWN;
      NEED(argc == 0, "no arguments expected");
      NEED(*tls_on, "tls-shutdown before tls-accept");
    } else {
      ok = perr(line, "unknown action '%s'", word);
    }
#undef NEED
  }
  if (!ok) {
    free(b.p);
    free(src);
    free(a.str);
    return false;
  }
  a.src = src;
  a.data = b.p;
  a.len = b.n;
  if (sc->n == sc->cap) {
    size_t nc = sc->cap ? sc->cap * 2 : 16;
    struct action *q = realloc(sc->a, nc * sizeof *q);
    if (q == NULL)
      return perr(line, "out of memory");
    sc->a = q;
    sc->cap = nc;
  }
  sc->a[sc->n++] = a;
  return true;
}

static bool load_script(const char *path, struct script *sc) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0;
  bool ok = true, tls_on = false, hello_read = false;

  g_script_path = path;
  if (f == NULL) {
    fprintf(stderr, "responder: cannot open script %s: %s\n", path, strerror(errno));
    return false;
  }
  while (ok && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (only_comment(line))
      continue;
    ok = parse_line(sc, lineno, line, &tls_on, &hello_read);
  }
  free(line);
  fclose(f);
  return ok;
}

static void free_script(struct script *sc) {
  for (size_t i = 0; i < sc->n; i++) {
    free(sc->a[i].src);
    free(sc->a[i].data);
    free(sc->a[i].str);
  }
  free(sc->a);
}

/* ---------------------------------------------------------------------------------------------
 * One connection. */

enum { IO_EOF = 0, IO_ERR = -1, IO_TIMEOUT = -2 };
enum step { STEP_NEXT, STEP_END };

struct conn {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
  int64_t deadline; /* the per-connection cap */
  int vmin, vmax;
  const char *ciphers;
  bool eof, closed, hello_read;
  int mismatches;
};

static const char *g_cert, *g_key;
static long g_cap_s = 60;
static uint8_t g_scratch[SCRATCH];

/* 1 ready, 0 deadline passed, -1 poll failed. */
static int wait_fd(int fd, short ev, int64_t dl) {
  for (;;) {
    int64_t left = dl - now_ms();
    if (left <= 0)
      return 0;
    struct pollfd p = {.fd = fd, .events = ev};
    int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
    if (r > 0)
      return 1;
    if (r == 0)
      return 0;
    if (errno != EINTR)
      return -1;
  }
}

static int64_t bound(const struct conn *c, long ms) {
  if (ms < 0)
    return c->deadline;
  int64_t t = now_ms() + ms;
  return t < c->deadline ? t : c->deadline;
}

static bool cap_reached(const struct conn *c) {
  if (now_ms() < c->deadline)
    return false;
  logmsg("the cap of %ld s per connection is reached: ending", g_cap_s);
  return true;
}

static bool is_unexpected_eof(void) {
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
  unsigned long e = ERR_peek_last_error();
  return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#else
  return false;
#endif
}

/* Reads what is there (at most cap bytes), waiting until dl. Logs every byte. raw bypasses TLS.
 * Returns the count, IO_EOF, IO_ERR or IO_TIMEOUT. */
static ssize_t conn_read(struct conn *c, uint8_t *buf, size_t cap, int64_t dl, bool raw) {
  if (c->closed)
    return IO_ERR;
  if (c->eof)
    return IO_EOF;
  for (;;) {
    int w;
    if (c->ssl != NULL && !raw) {
      size_t n = 0;
      ERR_clear_error();
      errno = 0;
      int r = SSL_read_ex(c->ssl, buf, cap, &n);
      if (r == 1) {
        log_hex("recv-tls", buf, n);
        return (ssize_t)n;
      }
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, dl);
      } else if (e == SSL_ERROR_ZERO_RETURN) {
        logmsg("peer sent close_notify");
        c->eof = true;
        return IO_EOF;
      } else if ((e == SSL_ERROR_SYSCALL && errno == 0) || is_unexpected_eof()) {
        logmsg("peer closed (FIN without close_notify)");
        c->eof = true;
        return IO_EOF;
      } else {
        log_ssl_errors("tls read failed");
        return IO_ERR;
      }
    } else {
      ssize_t r = recv(c->fd, buf, cap, 0);
      if (r > 0) {
        log_hex(c->ssl != NULL ? "recv-raw" : "recv", buf, (size_t)r);
        return r;
      }
      if (r == 0) {
        logmsg("peer closed (FIN)");
        c->eof = true;
        return IO_EOF;
      }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        logmsg("recv failed: %s", strerror(errno));
        return IO_ERR;
      }
      w = wait_fd(c->fd, POLLIN, dl);
    }
    if (w == 0)
      return IO_TIMEOUT;
    if (w < 0) {
      logmsg("poll failed: %s", strerror(errno));
      return IO_ERR;
    }
  }
}

/* Reads exactly n bytes into buf (or the scratch buffer when buf is NULL and n fits it; otherwise
 * discards). Returns 1 when complete, else IO_EOF/IO_ERR/IO_TIMEOUT; *got says how many came. */
static int read_exact(struct conn *c, uint8_t *buf, size_t n, int64_t dl, bool raw, size_t *got) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got;
    uint8_t *dst = buf ? buf + *got : g_scratch;
    if (buf == NULL && want > SCRATCH)
      want = SCRATCH;
    ssize_t r = conn_read(c, dst, want, dl, raw);
    if (r <= 0)
      return (int)r;
    *got += (size_t)r;
  }
  return 1;
}

static int conn_write(struct conn *c, const uint8_t *p, size_t n, bool raw) {
  size_t off = 0;
  if (c->closed) {
    logmsg("send skipped: the socket is closed");
    return IO_ERR;
  }
  while (off < n) {
    int w;
    if (c->ssl != NULL && !raw) {
      size_t k = 0;
      ERR_clear_error();
      errno = 0;
      int r = SSL_write_ex(c->ssl, p + off, n - off, &k);
      if (r == 1) {
        off += k;
        continue;
      }
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        log_ssl_errors("tls write failed");
        return IO_ERR;
      }
      w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, c->deadline);
    } else {
      ssize_t r = send(c->fd, p + off, n - off, MSG_NOSIGNAL);
      if (r > 0) {
        off += (size_t)r;
        continue;
      }
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        logmsg("send failed after %zu of %zu bytes: %s", off, n, strerror(errno));
        return IO_ERR;
      }
      w = wait_fd(c->fd, POLLOUT, c->deadline);
    }
    if (w <= 0) {
      logmsg("send stalled after %zu of %zu bytes", off, n);
      return w == 0 ? IO_TIMEOUT : IO_ERR;
    }
  }
  log_hex(c->ssl != NULL && !raw ? "send-tls" : "send", p, n);
  return 1;
}

/* FIN first (shutdown), then read until the peer closes, so close() cannot turn into a reset
 * because of unread data. */
static void do_close(struct conn *c) {
  if (c->closed)
    return;
  shutdown(c->fd, SHUT_WR);
  logmsg("close: FIN sent");
  int64_t dl = bound(c, CLOSE_DRAIN_MS);
  while (!c->eof && conn_read(c, g_scratch, SCRATCH, dl, true) > 0)
    ;
  close(c->fd);
  c->closed = true;
}

static void do_reset(struct conn *c) {
  if (c->closed)
    return;
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->fd);
  c->closed = true;
  logmsg("reset: RST sent");
}

/* Sleeps ms, bounded by the cap. false when the cap cut it short. */
static bool sleep_bounded(struct conn *c, long ms) {
  int64_t dl = bound(c, ms);
  for (;;) {
    int64_t left = dl - now_ms();
    if (left <= 0)
      break;
    struct timespec ts = {.tv_sec = (time_t)(left / 1000),
                          .tv_nsec = (long)(left % 1000) * 1000000};
    nanosleep(&ts, NULL);
  }
  return !cap_reached(c);
}

static const char *hs_name(int t) {
  switch (t) {
  case 1: return "ClientHello";
  case 2: return "ServerHello";
  case 4: return "NewSessionTicket";
  case 8: return "EncryptedExtensions";
  case 11: return "Certificate";
  case 12: return "ServerKeyExchange";
  case 13: return "CertificateRequest";
  case 14: return "ServerHelloDone";
  case 15: return "CertificateVerify";
  case 16: return "ClientKeyExchange";
  case 20: return "Finished";
  default: return "handshake";
  }
}

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg) {
  const uint8_t *p = buf;
  (void)version, (void)ssl, (void)arg;
  if (content_type == SSL3_RT_HANDSHAKE && len > 0)
    logmsg("tls %s %s (%zu bytes)", write_p ? "sent" : "received", hs_name(p[0]), len);
  else if (content_type == SSL3_RT_ALERT && len == 2)
    logmsg("tls %s alert level %u description %u", write_p ? "sent" : "received", p[0], p[1]);
}

static bool g_log_raw_tls; /* log the raw bytes OpenSSL reads while the handshake runs */

static long bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                   size_t *processed) {
  (void)b, (void)len, (void)argi, (void)argl;
  if (g_log_raw_tls && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL &&
      *processed > 0)
    log_hex("recv-raw", (const uint8_t *)argp, *processed);
  return ret;
}

static enum step tls_accept(struct conn *c) {
  c->ctx = SSL_CTX_new(TLS_server_method());
  if (c->ctx == NULL || SSL_CTX_use_certificate_chain_file(c->ctx, g_cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(c->ctx, g_key, SSL_FILETYPE_PEM) != 1) {
    log_ssl_errors("tls setup failed");
    return STEP_END;
  }
  if (c->vmin)
    SSL_CTX_set_min_proto_version(c->ctx, c->vmin);
  if (c->vmax)
    SSL_CTX_set_max_proto_version(c->ctx, c->vmax);
  /* TLS 1.0/1.1 need SHA-1 signatures: OpenSSL 3 allows them only at security level 0. */
  if ((c->vmin && c->vmin < TLS1_2_VERSION) || c->ciphers) {
    SSL_CTX_set_security_level(c->ctx, 0);
    if (SSL_CTX_set_cipher_list(c->ctx, c->ciphers ? c->ciphers : "DEFAULT:@SECLEVEL=0") != 1) {
      log_ssl_errors("tls cipher list rejected");
      return STEP_END;
    }
  }
  c->ssl = SSL_new(c->ctx);
  if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
    log_ssl_errors("tls setup failed");
    return STEP_END;
  }
  SSL_set_msg_callback(c->ssl, msg_cb);
  BIO_set_callback_ex(SSL_get_rbio(c->ssl), bio_cb);
  g_log_raw_tls = true;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(c->ssl);
    if (r == 1)
      break;
    int e = SSL_get_error(c->ssl, r), w;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, c->deadline);
      if (w == 0 && cap_reached(c))
        goto fail;
      if (w > 0)
        continue;
    }
    if (e == SSL_ERROR_SYSCALL && errno == 0)
      logmsg("tls handshake failed: the peer closed the connection");
    else
      log_ssl_errors("tls handshake failed");
    goto fail;
  }
  g_log_raw_tls = false;
  logmsg("tls handshake done: %s %s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
  return STEP_NEXT;
fail:
  g_log_raw_tls = false;
  SSL_free(c->ssl); /* the transport closes at the end of the script, without TLS */
  c->ssl = NULL;
  return STEP_END;
}

/* Logs the versions a ClientHello offers (RFC 8446 4.1.2, 4.2.1); every read bounds-checked. */
static void log_client_hello(const uint8_t *p, size_t n) {
  size_t off = 0, len;
#define NEED_BYTES(k) \
  if (n - off < (size_t)(k)) \
    goto short_hello
  NEED_BYTES(4);
  if (p[0] != 1) {
    logmsg("tls record is not a ClientHello (handshake type %u)", p[0]);
    return;
  }
  off = 4;
  NEED_BYTES(2 + 32 + 1);
  unsigned legacy = (unsigned)p[off] << 8 | p[off + 1];
  off += 34;
  len = p[off++];
  NEED_BYTES(len + 2);
  off += len;
  len = (size_t)p[off] << 8 | p[off + 1];
  off += 2;
  NEED_BYTES(len + 1);
  size_t nsuites = len / 2;
  off += len;
  len = p[off++];
  NEED_BYTES(len);
  off += len;
  char sv[128] = "none";
  if (n - off >= 2) {
    size_t ext_end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
    off += 2;
    if (ext_end > n)
      ext_end = n;
    while (ext_end - off >= 4) {
      unsigned type = (unsigned)p[off] << 8 | p[off + 1];
      size_t elen = (size_t)p[off + 2] << 8 | p[off + 3];
      off += 4;
      if (ext_end - off < elen)
        break;
      if (type == 43 && elen >= 1) { /* supported_versions */
        size_t k = 0, m = p[off];
        for (size_t i = 1; i + 1 <= m && i + 1 < elen && k + 6 < sizeof sv; i += 2)
          k += (size_t)snprintf(sv + k, sizeof sv - k, "%s%02x%02x", k ? "," : "", p[off + i],
                                p[off + i + 1]);
      }
      off += elen;
    }
  }
  logmsg("ClientHello: legacy_version %04x, %zu cipher suites, supported_versions %s", legacy,
         nsuites, sv);
  return;
short_hello:
  logmsg("ClientHello: truncated in this record");
#undef NEED_BYTES
}

/* Reads one TLS record raw (normally the ClientHello). */
static enum step tls_read_hello(struct conn *c) {
  uint8_t hdr[5];
  size_t got;
  int r = read_exact(c, hdr, 5, c->deadline, true, &got);
  c->hello_read = true;
  if (r != 1)
    return r == IO_EOF ? STEP_NEXT : STEP_END;
  size_t len = (size_t)hdr[3] << 8 | hdr[4];
  logmsg("tls record: type %u, version %02x%02x, length %zu%s", hdr[0], hdr[1], hdr[2], len,
         hdr[0] == 0x16 ? "" : " (not a handshake record)");
  r = read_exact(c, g_scratch, len, c->deadline, true, &got);
  if (r == 1 && hdr[0] == 0x16)
    log_client_hello(g_scratch, len);
  if (r == IO_TIMEOUT && cap_reached(c))
    return STEP_END;
  return r == IO_ERR ? STEP_END : STEP_NEXT;
}

static enum step run_action(struct conn *c, const struct action *a) {
  int64_t dl = bound(c, a->ms);
  size_t got;
  int r = 1;

  switch (a->op) {
  case OP_READ:
    r = read_exact(c, NULL, (size_t)a->n, dl, false, &got);
    if (r != 1)
      logmsg("read: %zu of %ld bytes came", got, a->n);
    break;
  case OP_READ_TPKT: {
    uint8_t hdr[4];
    r = read_exact(c, hdr, 4, dl, false, &got);
    if (r != 1) {
      logmsg("read-tpkt: %zu bytes of a header came", got);
      break;
    }
    size_t len = (size_t)hdr[2] << 8 | hdr[3];
    if (hdr[0] != 0x03 || len < 4) {
      logmsg("read-tpkt: not a TPKT header (version 0x%02x, length %zu); reading on", hdr[0], len);
      r = 1;
      break;
    }
    r = read_exact(c, NULL, len - 4, dl, false, &got);
    logmsg(r == 1 ? "read-tpkt: TPKT of %zu bytes" : "read-tpkt: TPKT of %zu bytes cut short",
           len);
    break;
  }
  case OP_READ_ANY: {
    ssize_t k = conn_read(c, g_scratch, SCRATCH, dl, false);
    r = k > 0 ? 1 : (int)k;
    break;
  }
  case OP_EXPECT: {
    uint8_t *buf = malloc(a->len);
    if (buf == NULL)
      return STEP_END;
    r = read_exact(c, buf, a->len, dl, false, &got);
    if (r == 1 && memcmp(buf, a->data, a->len) == 0) {
      logmsg("expect-hex: match");
    } else {
      c->mismatches++;
      log_hex("expect-hex MISMATCH, expected", a->data, a->len);
      log_hex("expect-hex MISMATCH, got", buf, got);
    }
    free(buf);
    break;
  }
  case OP_SEND:
    return conn_write(c, a->data, a->len, false) == 1 ? STEP_NEXT : STEP_END;
  case OP_DRIP:
    for (size_t i = 0; i < a->len; i++) {
      if (conn_write(c, a->data + i, 1, false) != 1)
        return STEP_END;
      if (i + 1 < a->len && !sleep_bounded(c, a->ms))
        return STEP_END;
    }
    return STEP_NEXT;
  case OP_SLEEP:
    return sleep_bounded(c, a->ms) ? STEP_NEXT : STEP_END;
  case OP_SILENCE:
    while ((r = (int)conn_read(c, g_scratch, SCRATCH, dl, false)) > 0)
      ;
    break;
  case OP_CLOSE:
    do_close(c);
    return STEP_END;
  case OP_RESET:
    do_reset(c);
    return STEP_END;
  case OP_TLS_VERSIONS:
    c->vmin = a->vmin;
    c->vmax = a->vmax;
    return STEP_NEXT;
  case OP_TLS_CIPHERS:
    c->ciphers = a->str;
    return STEP_NEXT;
  case OP_TLS_ACCEPT:
    return tls_accept(c);
  case OP_TLS_READ_HELLO:
    return tls_read_hello(c);
  case OP_TLS_ALERT: {
    if (!c->hello_read && tls_read_hello(c) == STEP_END)
      return STEP_END;
    const uint8_t alert[7] = {0x15, a->rec_ver[0], a->rec_ver[1], 0x00, 0x02, 0x02, (uint8_t)a->n};
    logmsg("tls-alert: fatal, description %ld", a->n);
    return conn_write(c, alert, sizeof alert, true) == 1 ? STEP_NEXT : STEP_END;
  }
  case OP_TLS_SHUTDOWN:
    if (c->ssl == NULL)
      return STEP_END;
    for (;;) {
      ERR_clear_error();
      int k = SSL_shutdown(c->ssl);
      if (k >= 0) {
        logmsg("tls close_notify sent");
        return STEP_NEXT;
      }
      int e = SSL_get_error(c->ssl, k);
      if (e != SSL_ERROR_WANT_WRITE || wait_fd(c->fd, POLLOUT, c->deadline) <= 0) {
        log_ssl_errors("tls-shutdown failed");
        return STEP_END;
      }
    }
  }
  /* Reads: an explicit TIMEOUT_MS that ran out goes on; the cap, a reset or an error ends. */
  if (r == IO_TIMEOUT) {
    if (cap_reached(c))
      return STEP_END;
    logmsg("waited %ld ms: going on", a->ms);
    return STEP_NEXT;
  }
  return r == IO_ERR ? STEP_END : STEP_NEXT;
}

static int serve(int fd, const struct script *sc, const char *peer) {
  struct conn c = {.fd = fd};
  int one = 1;

  c.deadline = now_ms() + g_cap_s * 1000;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* drips and exact bytes go now */
  logmsg("accepted from %s (pid %ld)", peer, (long)getpid());
  for (size_t i = 0; i < sc->n; i++) {
    logmsg("line %d: %s", sc->a[i].line, sc->a[i].src);
    if (run_action(&c, &sc->a[i]) == STEP_END)
      break;
  }
  if (!c.closed) {
    logmsg("end of script");
    do_close(&c);
  }
  SSL_free(c.ssl);
  SSL_CTX_free(c.ctx);
  logmsg("connection done%s", c.mismatches ? " with expect-hex mismatches" : "");
  return c.mismatches ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Addresses. */

static bool parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sl) {
  char host[128];
  const char *colon;
  long port;
  memset(ss, 0, sizeof *ss);
  if (s[0] == '[') {
    const char *rb = strchr(s, ']');
    if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
      return false;
    memcpy(host, s + 1, (size_t)(rb - s - 1));
    host[rb - s - 1] = '\0';
    colon = rb + 1;
  } else {
    colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof host)
      return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
  }
  if (!parse_num(colon + 1, 0, 65535, &port))
    return false;
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *sl = sizeof *a4;
    return true;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *sl = sizeof *a6;
    return true;
  }
  return false;
}

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t cap) {
  char h[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
    snprintf(out, cap, "%s:%u", h, ntohs(a->sin_port));
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
    snprintf(out, cap, "[%s]:%u", h, ntohs(a->sin6_port));
  }
}

/* ---------------------------------------------------------------------------------------------
 * --selftest-client: a minimal RDP-like client for the smoke test, since neither nc nor
 * openssl s_client can send the plaintext X.224 prefix before TLS. Prints one fact a line; exits 0
 * when it ran (the output says what happened), 3 when it could not connect, 64 on a usage error. */

struct client_opts {
  const char *target;
  const char *cr_hex, *app_hex;
  int vmin, vmax;
  bool no_tls;
  long timeout_ms;
};

static void client_msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
                          SSL *ssl, void *arg) {
  const uint8_t *p = buf;
  (void)version, (void)ssl, (void)arg;
  if (!write_p && content_type == SSL3_RT_ALERT && len == 2)
    printf("alert-received level=%u desc=%u\n", p[0], p[1]);
}

static void print_hex_line(const char *what, const uint8_t *p, size_t n) {
  printf("%s %zu", what, n);
  for (size_t i = 0; i < n; i++)
    printf("%s%02x", i ? " " : ": ", p[i]);
  printf("\n");
}

static const char *ssl_reason(void) {
  const char *r = ERR_reason_error_string(ERR_peek_last_error());
  return r ? r : (errno ? strerror(errno) : "peer closed");
}

/* Reads until the peer closes, resets, or dl; prints the bytes and how it ended. */
static void client_read_to_end(int fd, SSL *ssl, int64_t dl, size_t *total, const char *what) {
  static uint8_t buf[SCRATCH];
  const char *end = "timeout";
  for (;;) {
    ssize_t k;
    int w = 1;
    if (ssl) {
      size_t n = 0;
      ERR_clear_error();
      errno = 0;
      int r = SSL_read_ex(ssl, buf, sizeof buf, &n);
      if (r == 1) {
        *total += n;
        print_hex_line(what, buf, n);
        continue;
      }
      int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_READ) {
        w = wait_fd(fd, POLLIN, dl);
      } else if (e == SSL_ERROR_ZERO_RETURN) {
        end = "close-notify";
        break;
      } else if ((e == SSL_ERROR_SYSCALL && errno == 0) || is_unexpected_eof()) {
        end = "eof";
        break;
      } else if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) {
        end = "reset";
        break;
      } else {
        printf("tls-read-error %s\n", ssl_reason());
        end = "error";
        break;
      }
    } else {
      k = recv(fd, buf, sizeof buf, 0);
      if (k > 0) {
        *total += (size_t)k;
        print_hex_line(what, buf, (size_t)k);
        continue;
      }
      if (k == 0) {
        end = "eof";
        break;
      }
      if (errno == ECONNRESET) {
        end = "reset";
        break;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        end = "error";
        break;
      }
      w = wait_fd(fd, POLLIN, dl);
    }
    if (w <= 0)
      break;
  }
  printf("end %s after %zu bytes\n", end, *total);
}

static int selftest_client(const struct client_opts *o) {
  struct sockaddr_storage ss;
  socklen_t sl;
  struct buf cr = {0}, app = {0};

  if (!parse_hostport(o->target, &ss, &sl)) {
    fprintf(stderr, "responder: --selftest-client wants IP:PORT or [IPv6]:PORT\n");
    return 64;
  }
  if (!parse_hex_string(o->cr_hex, &cr) || !parse_hex_string(o->app_hex, &app)) {
    fprintf(stderr, "responder: --cr / --app-hex: hex bytes expected\n");
    free(cr.p);
    free(app.p);
    return 64;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) {
    printf("connect-error %s\n", strerror(errno));
    return 3;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int64_t dl = now_ms() + o->timeout_ms;
  int soerr = 0;
  socklen_t el = sizeof soerr;
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
      (errno != EINPROGRESS || wait_fd(fd, POLLOUT, dl) != 1 ||
       getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 || soerr != 0)) {
    printf("connect-error %s\n", strerror(soerr ? soerr : errno ? errno : ETIMEDOUT));
    close(fd);
    free(cr.p);
    free(app.p);
    return 3;
  }
  printf("connected %s\n", o->target);

  /* The X.224 Connection Request, then the reply: one TPKT, or what comes before EOF/timeout. */
  bool ok = send(fd, cr.p, cr.n, MSG_NOSIGNAL) == (ssize_t)cr.n;
  printf("sent %zu\n", ok ? cr.n : 0);
  uint8_t reply[SCRATCH];
  size_t n = 0;
  const char *end = NULL;
  while (ok && end == NULL) {
    size_t want = sizeof reply - n;
    if (n >= 4 && reply[0] == 0x03) {
      size_t tl = (size_t)reply[2] << 8 | reply[3];
      if (n >= tl) {
        end = "tpkt";
        break;
      }
      want = tl - n;
    }
    ssize_t k = recv(fd, reply + n, want, 0);
    if (k > 0) {
      n += (size_t)k;
      continue;
    }
    if (k == 0)
      end = "eof";
    else if (errno == ECONNRESET)
      end = "reset";
    else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (wait_fd(fd, POLLIN, dl) <= 0)
        end = "timeout";
    } else
      end = "error";
  }
  if (n > 0)
    print_hex_line("reply", reply, n);
  printf("reply-end %s\n", end ? end : "error");

  uint32_t proto = 0;
  bool tls = false;
  if (n == 19 && reply[0] == 3 && reply[5] == 0xd0 && (reply[11] == 2 || reply[11] == 3)) {
    proto = (uint32_t)reply[15] | (uint32_t)reply[16] << 8 | (uint32_t)reply[17] << 16 |
            (uint32_t)reply[18] << 24;
    if (reply[11] == 2) {
      printf("cc rsp flags=0x%02x protocol=%u\n", reply[12], proto);
      tls = (proto & 3u) != 0;
    } else {
      printf("cc failure code=%u\n", proto);
    }
  } else if (n == 11 && reply[0] == 3 && reply[4] == 6 && reply[5] == 0xd0) {
    printf("cc legacy\n");
  } else {
    printf("cc none\n");
  }

  size_t total = n;
  if (!tls || o->no_tls || (end && strcmp(end, "tpkt") != 0)) {
    if (end && strcmp(end, "tpkt") == 0)
      client_read_to_end(fd, NULL, now_ms() + o->timeout_ms, &total, "recv");
    else
      printf("end %s after %zu bytes\n", end ? end : "error", total);
    close(fd);
    free(cr.p);
    free(app.p);
    return 0;
  }

  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *ssl = NULL;
  if (ctx == NULL) {
    printf("tls-failed setup\n");
    goto out;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  if (o->vmin)
    SSL_CTX_set_min_proto_version(ctx, o->vmin);
  if (o->vmax)
    SSL_CTX_set_max_proto_version(ctx, o->vmax);
  if (o->vmin && o->vmin < TLS1_2_VERSION) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  }
  ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_msg_callback(ssl, client_msg_cb);
  dl = now_ms() + o->timeout_ms;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(ssl);
    if (r == 1) {
      printf("tls-ok %s %s\n", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
      break;
    }
    int e = SSL_get_error(ssl, r);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
        wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, dl) > 0)
      continue;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      printf("tls-failed timeout\n");
    else if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET)
      printf("tls-failed reset\n");
    else if ((e == SSL_ERROR_SYSCALL && errno == 0) || is_unexpected_eof())
      printf("tls-failed eof\n");
    else
      printf("tls-failed %s\n", ssl_reason());
    goto out;
  }
  if (app.n > 0) {
    size_t w = 0;
    dl = now_ms() + o->timeout_ms;
    while (SSL_write_ex(ssl, app.p, app.n, &w) != 1) {
      int e = SSL_get_error(ssl, 0);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
          wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, dl) <= 0)
        break;
    }
    printf("sent-tls %zu\n", w);
  }
  total = 0;
  client_read_to_end(fd, ssl, now_ms() + o->timeout_ms, &total, "recv-tls");
out:
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  free(cr.p);
  free(app.p);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The server. */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

struct kid {
  pid_t pid;
  unsigned id;
};
static struct kid g_kids[MAX_KIDS];
static size_t g_nkids;

static void reap(bool block) {
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, block ? 0 : WNOHANG);
    if (p <= 0)
      return;
    for (size_t i = 0; i < g_nkids; i++) {
      if (g_kids[i].pid != p)
        continue;
      if (WIFEXITED(st))
        logmsg("c%u (pid %ld) exited with status %d", g_kids[i].id, (long)p, WEXITSTATUS(st));
      else if (WIFSIGNALED(st))
        logmsg("c%u (pid %ld) killed by signal %d", g_kids[i].id, (long)p, WTERMSIG(st));
      g_kids[i] = g_kids[--g_nkids];
      break;
    }
  }
}

static void stop_kids(void) {
  for (size_t i = 0; i < g_nkids; i++)
    kill(g_kids[i].pid, SIGTERM);
  int64_t dl = now_ms() + 2000;
  while (g_nkids > 0 && now_ms() < dl) {
    reap(false);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < g_nkids; i++)
    kill(g_kids[i].pid, SIGKILL);
  while (g_nkids > 0) {
    size_t before = g_nkids;
    reap(true);
    if (g_nkids == before)
      break; /* waitpid failed: nothing left to wait for */
  }
}

static bool write_port_file(const char *path, unsigned port) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return false;
  fprintf(f, "%u\n", port);
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    unlink(tmp);
    return false;
  }
  return true;
}

static void usage(FILE *f) {
  fputs(
      "usage: responder --listen ADDR:PORT --script FILE [--cert CRT --key KEY] [--port-file F]\n"
      "                 [--log F] [--once] [--cap SECONDS] [--lifetime SECONDS]\n"
      "                 [--exit-with-parent]\n"
      "       responder --selftest-client ADDR:PORT [--cr HEX] [--app-hex HEX] [--no-tls]\n"
      "                 [--tls-versions MIN MAX] [--timeout MS]\n"
      "ADDR is 127.0.0.1 or [::1]; PORT 0 picks one. The port is printed on stdout's first line.\n"
      "Script actions, one a line, '#' comments (TEST ONLY server; see tests/servers/README.md):\n"
      "  read N [T]  read-tpkt [T]  read-any [T]  silence [T]  expect-hex HEX     (T: ms bound)\n"
      "  send-hex HEX  send-text \"..\"  send-zeros N  send-file PATH  cc rsp FLAGS PROTO\n"
      "  cc failure CODE  cc legacy  drip-hex HEX MS  drip-text \"..\" MS  sleep MS  close  reset\n"
      "  tls-versions MIN MAX  tls-ciphers STR  tls-accept  tls-shutdown\n"
      "  tls-read-hello  tls-alert DESC [RECVER]\n",
      f);
}

int main(int argc, char **argv) {
  const char *listen_s = NULL, *script_s = NULL, *port_file = NULL, *log_s = NULL;
  bool once = false, exit_with_parent = false;
  long lifetime_s = 600;
  struct client_opts co = {
      .cr_hex = "030000130ee000000000000100080001000000", /* test-lab §3, requesting SSL */
      .app_hex = "0300000c02f0800401000100",                /* a Data TPDU (IronRDP vector) */
      .timeout_ms = 3000};

  g_start_ms = now_ms();
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    bool more = i + 1 < argc;
    if (strcmp(o, "--listen") == 0 && more) {
      listen_s = argv[++i];
    } else if (strcmp(o, "--script") == 0 && more) {
      script_s = argv[++i];
    } else if (strcmp(o, "--cert") == 0 && more) {
      g_cert = argv[++i];
    } else if (strcmp(o, "--key") == 0 && more) {
      g_key = argv[++i];
    } else if (strcmp(o, "--port-file") == 0 && more) {
      port_file = argv[++i];
    } else if (strcmp(o, "--log") == 0 && more) {
      log_s = argv[++i];
    } else if (strcmp(o, "--once") == 0) {
      once = true;
    } else if (strcmp(o, "--exit-with-parent") == 0) {
      exit_with_parent = true;
    } else if (strcmp(o, "--cap") == 0 && more) {
      if (!parse_num(argv[++i], 1, 86400, &g_cap_s))
        goto bad;
    } else if (strcmp(o, "--lifetime") == 0 && more) {
      if (!parse_num(argv[++i], 1, 86400, &lifetime_s))
        goto bad;
    } else if (strcmp(o, "--selftest-client") == 0 && more) {
      co.target = argv[++i];
    } else if (strcmp(o, "--cr") == 0 && more) {
      co.cr_hex = argv[++i];
    } else if (strcmp(o, "--app-hex") == 0 && more) {
      co.app_hex = argv[++i];
    } else if (strcmp(o, "--no-tls") == 0) {
      co.no_tls = true;
    } else if (strcmp(o, "--timeout") == 0 && more) {
      if (!parse_num(argv[++i], 1, 600000, &co.timeout_ms))
        goto bad;
    } else if (strcmp(o, "--tls-versions") == 0 && i + 2 < argc) {
      co.vmin = parse_tls_version(argv[++i]);
      co.vmax = parse_tls_version(argv[++i]);
      if (!co.vmin || !co.vmax)
        goto bad;
    } else if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      goto bad;
    }
  }
  if (co.target != NULL)
    return selftest_client(&co);
  if (listen_s == NULL || script_s == NULL)
    goto bad;

  struct script sc = {0};
  if (!load_script(script_s, &sc)) {
    free_script(&sc);
    return 2;
  }
  if (sc.needs_cert) {
    /* Fail now, not on the first connection, when the pair does not load. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    bool ok = g_cert && g_key && ctx && SSL_CTX_use_certificate_chain_file(ctx, g_cert) == 1 &&
              SSL_CTX_use_PrivateKey_file(ctx, g_key, SSL_FILETYPE_PEM) == 1 &&
              SSL_CTX_check_private_key(ctx) == 1;
    SSL_CTX_free(ctx);
    if (!ok) {
      fprintf(stderr, "responder: the script uses tls-accept: --cert and --key must load\n");
      ERR_print_errors_fp(stderr);
      free_script(&sc);
      return 2;
    }
  }
  if (log_s != NULL) {
    g_log_fd = open(log_s, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (g_log_fd < 0) {
      fprintf(stderr, "responder: cannot open log %s: %s\n", log_s, strerror(errno));
      free_script(&sc);
      return 2;
    }
  }

  struct sockaddr_storage ss;
  socklen_t sl;
  int one = 1;
  if (!parse_hostport(listen_s, &ss, &sl)) {
    fprintf(stderr, "responder: --listen wants IP:PORT or [IPv6]:PORT, got '%s'\n", listen_s);
    free_script(&sc);
    return 64;
  }
  int lfd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 64) != 0 ||
      getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0) {
    fprintf(stderr, "responder: cannot listen on %s: %s\n", listen_s, strerror(errno));
    free_script(&sc);
    return 2;
  }
  fcntl(lfd, F_SETFD, FD_CLOEXEC);
  fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK); /* a peer gone before accept() */
  unsigned port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
  printf("%u\n", port);
  fflush(stdout);
  if (port_file != NULL && !write_port_file(port_file, port)) {
    fprintf(stderr, "responder: cannot write %s: %s\n", port_file, strerror(errno));
    free_script(&sc);
    return 2;
  }
  char where[80];
  addr_str(&ss, where, sizeof where);
  logmsg("listening on %s, script %s (%zu actions), cap %ld s, pid %ld", where, script_s, sc.n,
         g_cap_s, (long)getpid());

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid_t ppid = getppid();
  int64_t end_of_life = g_start_ms + lifetime_s * 1000;
  unsigned next_id = 0;
  int status = 0;
  while (!g_stop) {
    reap(false);
    if (now_ms() >= end_of_life) {
      logmsg("lifetime of %ld s reached: exiting", lifetime_s);
      break;
    }
    if (exit_with_parent && getppid() != ppid) {
      logmsg("the parent process is gone: exiting");
      break;
    }
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, 200) <= 0)
      continue;
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
    if (fd < 0)
      continue;
    char peer_s[80];
    addr_str(&peer, peer_s, sizeof peer_s);
    next_id++;
    if (once) {
      close(lfd);
      lfd = -1;
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      g_conn_id = next_id;
      g_conn_start_ms = now_ms();
      alarm((unsigned)g_cap_s + 10); /* a backstop: the cap already bounds every wait */
      status = serve(fd, &sc, peer_s);
      break;
    }
    if (g_nkids == MAX_KIDS) {
      logmsg("%u connections at once: refusing %s", MAX_KIDS, peer_s);
      close(fd);
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      close(lfd);
      g_conn_id = next_id;
      g_conn_start_ms = now_ms();
      alarm((unsigned)g_cap_s + 10);
      _exit(serve(fd, &sc, peer_s));
    }
    close(fd);
    if (pid < 0) {
      logmsg("fork failed: %s", strerror(errno));
      continue;
    }
    g_kids[g_nkids].pid = pid;
    g_kids[g_nkids].id = next_id;
    g_nkids++;
  }
  if (lfd >= 0)
    close(lfd);
  stop_kids();
  if (g_stop)
    logmsg("stopped by a signal");
  free_script(&sc);
  return status;

bad:
  usage(stderr);
  return 64;
}
