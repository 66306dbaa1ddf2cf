/* `rdpdoctor exporter --listen ADDR:PORT [--config FILE]`: a Prometheus multi-target probe in
 * blackbox_exporter's style (docs/exporter.md). GET /probe?target=HOST:PORT&module=NAME runs one
 * check and answers its metrics; GET /metrics answers the exporter's own.
 *
 * Threads: libmicrohttpd runs a thread per HTTP connection; the checks run on the main thread's
 * libuv loop, where the engine and every check's facts live. A request thread queues a job under
 * a mutex, wakes the loop with uv_async_send and waits on the job's condition; the loop starts the
 * check, and when it completes renders the metrics text and signals. Only strings cross threads. */
#include <ctype.h>
#ifndef _WIN32
#include <dlfcn.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <uv.h>

#include "auth/ntlmcrypto.h"
#include "cli.h"
#include "core/err.h"
#include "core/hostname.h"
#include "credentials.h"
#include "diag/diag.h"
#include "memstream.h"
#include "net/dns.h"
#include "net/engine.h"
#include "report/report.h"
#include "target.h"

/* On Linux libmicrohttpd is opened when the exporter starts, not linked: Debian's brings GnuTLS,
 * whose start-up would cost every `check` and `explain` about 3 MB and its configuration reads
 * (measured: explain 3.8 -> 6.8 MB peak RSS when linked). Only the header's types and constants
 * are used here. rdpdoctor.exe links the library statically (scripts/build-windows.sh builds it
 * without HTTPS, so it brings nothing else and starts nothing before the exporter calls it). */
static struct {
  struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                     MHD_AccessHandlerCallback, void *, ...);
  void (*stop_daemon)(struct MHD_Daemon *);
  struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
  enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
  enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
  void (*destroy_response)(struct MHD_Response *);
  const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
} mhd;

#ifdef _WIN32
static const char *mhd_open(void) {
  mhd.start_daemon = MHD_start_daemon;
  mhd.stop_daemon = MHD_stop_daemon;
  mhd.create_response_from_buffer = MHD_create_response_from_buffer;
  mhd.add_response_header = MHD_add_response_header;
  mhd.queue_response = MHD_queue_response;
  mhd.destroy_response = MHD_destroy_response;
  mhd.lookup_connection_value = MHD_lookup_connection_value;
  return NULL;
}
#else
/* 0, or a one-line reason. The handle stays open for the process's life (the daemon's threads). */
static const char *mhd_open(void) {
  void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return "libmicrohttpd is not installed (Debian: libmicrohttpd12)";
  *(void **)&mhd.start_daemon = dlsym(h, "MHD_start_daemon");
  *(void **)&mhd.stop_daemon = dlsym(h, "MHD_stop_daemon");
  *(void **)&mhd.create_response_from_buffer = dlsym(h, "MHD_create_response_from_buffer");
  *(void **)&mhd.add_response_header = dlsym(h, "MHD_add_response_header");
  *(void **)&mhd.queue_response = dlsym(h, "MHD_queue_response");
  *(void **)&mhd.destroy_response = dlsym(h, "MHD_destroy_response");
  *(void **)&mhd.lookup_connection_value = dlsym(h, "MHD_lookup_connection_value");
  if (mhd.start_daemon == NULL || mhd.stop_daemon == NULL || mhd.create_response_from_buffer == NULL ||
      mhd.add_response_header == NULL || mhd.queue_response == NULL || mhd.destroy_response == NULL ||
      mhd.lookup_connection_value == NULL)
    return "libmicrohttpd lacks a function the exporter needs";
  return NULL;
}
#endif

#ifdef _WIN32
/* Windows raises no SIGTERM (libuv never delivers it there; TerminateProcess runs no handler):
 * Ctrl-Break is the console's other way to stop a program, beside Ctrl-C. */
#define STOP_SIGNAL SIGBREAK
#else
#define STOP_SIGNAL SIGTERM
#endif

static const char exporter_usage[] =
    "Usage: rdpdoctor exporter --listen ADDR:PORT [--config FILE]\n"
    "\n"
    "A Prometheus multi-target probe, in blackbox_exporter's style:\n"
    "  GET /probe?target=HOST:PORT&module=NAME  one check, its metrics\n"
    "                                           (docs/exporter.md)\n"
    "  GET /metrics                             the exporter's own metrics\n"
    "\n"
    "  --listen ADDR:PORT  address to serve on: 127.0.0.1:9389, [::1]:9389,\n"
    "                      0.0.0.0:9389\n"
    "  --config FILE       modules (JSON), for example\n"
    "                      {\"modules\": {\"NAME\": {\"timeout\": 10,\n"
    "                      \"step_timeout\": 3, \"side_ports\": true, \"family\": 0,\n"
    "                      \"user\": \"DOM\\\\name\",\n"
    "                      \"password_file\": \"/etc/rdpdoctor/pw\"}}};\n"
    "                      without it, module \"default\"\n"
    "  --max-in-flight N   checks running at once (default 64); more wait their\n"
    "                      turn\n";

#define MAX_MODULES 32
#define MAX_CONNECTIONS 128

typedef struct module {
  char name[64];
  unsigned timeout_ms, step_ms;
  bool no_side_ports;
  int family;
  bool auth;
  rd_credentials creds; /* wiped at exit; the password never leaves this struct but for the check */
  rd_crypto *crypto;    /* used on the loop thread only */
} module;

struct exporter;
typedef struct job {
  struct job *next;
  struct exporter *x;
  const module *mod;
  char host[256];
  uint16_t port;
  /* filled on the loop thread */
  rd_run *run;
  rd_check_facts facts;
  rd_auth_input auth;
  char *text;   /* the metrics, malloc'd; NULL when the check could not start */
  bool done;
  pthread_cond_t cond;
} job;

typedef struct exporter {
  uv_loop_t loop;
  uv_async_t wake;
  uv_signal_t sigstop, sigint;
  rd_engine *eng;
  struct MHD_Daemon *mhd;
  module mods[MAX_MODULES];
  size_t n_mods;
  unsigned max_in_flight;
  pthread_mutex_t mu; /* guards everything below */
  job *queue, *queue_tail;
  unsigned in_flight;
  bool stopping;
  bool closing; /* the loop's handles are closing: it ends */
  /* own metrics */
  unsigned long long req_probe_ok, req_probe_bad, req_metrics, req_other, probes_total;
  double probe_seconds_sum;
  int64_t started_unix;
  rd_diagnosis diag; /* loop thread only */
} exporter;

/* ---- the loop thread ------------------------------------------------------------------------ */

static void start_queued(exporter *x);

static void finish_job(exporter *x, job *j, char *text) {
  pthread_mutex_lock(&x->mu);
  j->text = text;
  j->done = true;
  x->in_flight--;
  pthread_cond_signal(&j->cond);
  pthread_mutex_unlock(&x->mu);
}

static void maybe_stop(exporter *x);

static void on_check_done(void *arg, rd_run *run) {
  job *j = arg;
  exporter *ex = j->x;
  rd_run_free(run);
  j->run = NULL;
  double secs = (double)j->facts.total_us / 1e6;
  rd_diagnose(&j->facts, &ex->diag);
  char *buf = NULL;
  rd_memstream ms;
  if (rd_memstream_open(&ms) == 0) {
    int r = rd_report_prom(ms.f, &j->facts, &ex->diag);
    if (rd_memstream_close(&ms) == 0 && r == 0)
      buf = ms.buf;
    else
      free(ms.buf);
  }
  rd_check_facts_free(&j->facts);
  pthread_mutex_lock(&ex->mu);
  ex->probes_total++;
  ex->probe_seconds_sum += secs;
  pthread_mutex_unlock(&ex->mu);
  finish_job(ex, j, buf);
  start_queued(ex);
  maybe_stop(ex); /* after a stop signal, the last check to end ends the loop */
}

/* Starts queued jobs while fewer than max_in_flight run. Loop thread. */
static void start_queued(exporter *x) {
  for (;;) {
    pthread_mutex_lock(&x->mu);
    job *j = x->queue;
    if (j == NULL || x->in_flight >= x->max_in_flight) {
      pthread_mutex_unlock(&x->mu);
      return;
    }
    x->queue = j->next;
    if (x->queue == NULL)
      x->queue_tail = NULL;
    x->in_flight++;
    pthread_mutex_unlock(&x->mu);

    const module *m = j->mod;
    rd_check_config cfg = {0};
    cfg.host = j->host;
    cfg.port = j->port;
    cfg.family = m->family;
    cfg.timeout_us = (rd_us)m->timeout_ms * 1000u;
    cfg.step_us = (rd_us)m->step_ms * 1000u;
    cfg.no_side_ports = m->no_side_ports;
    cfg.started_unix = (int64_t)time(NULL);
    if (m->auth) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      if (rd_auth_input_init(&j->auth, m->creds.user, m->creds.domain, m->creds.password, j->host,
                             (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, m->crypto) == 0)
        cfg.auth = &j->auth;
    }
    if (rd_engine_start(x->eng, &cfg, &j->facts, on_check_done, j, &j->run) != 0)
      finish_job(x, j, NULL);
  }
}

/* Once stopping and nothing runs or waits, the loop's own handles close and it ends. Checked on
 * every wake and after every check that completes: the last one may end after the signal. */
static void maybe_stop(exporter *x) {
  pthread_mutex_lock(&x->mu);
  bool idle = x->stopping && x->in_flight == 0 && x->queue == NULL && !x->closing;
  if (idle)
    x->closing = true;
  pthread_mutex_unlock(&x->mu);
  if (idle) {
    uv_close((uv_handle_t *)&x->wake, NULL);
    uv_close((uv_handle_t *)&x->sigstop, NULL);
    uv_close((uv_handle_t *)&x->sigint, NULL);
  }
}

static void on_wake(uv_async_t *a) {
  exporter *x = a->data;
  start_queued(x);
  maybe_stop(x);
}

static void on_signal(uv_signal_t *s, int signum) {
  exporter *x = s->data;
  pthread_mutex_lock(&x->mu);
  x->stopping = true; /* new probes get 503; queued and running ones finish */
  pthread_mutex_unlock(&x->mu);
  uv_signal_stop(&x->sigstop);
  uv_signal_stop(&x->sigint);
  uv_async_send(&x->wake);
}

/* ---- the HTTP threads ----------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body, bool owned) {
  struct MHD_Response *r = mhd.create_response_from_buffer(strlen(body), body,
                                                           owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (r == NULL) {
    if (owned)
      free(body);
    return MHD_NO;
  }
  mhd.add_response_header(r, "Content-Type", type);
  enum MHD_Result ret = mhd.queue_response(c, status, r);
  mhd.destroy_response(r);
  return ret;
}

static enum MHD_Result error_reply(exporter *x, struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum MHD_Result error_reply(exporter *x, struct MHD_Connection *c, unsigned status, const char *fmt, ...) {
  char *msg = malloc(512);
  if (msg == NULL)
    return MHD_NO;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, 510, fmt, ap);
  va_end(ap);
  strcat(msg, "\n");
  pthread_mutex_lock(&x->mu);
  x->req_probe_bad++;
  pthread_mutex_unlock(&x->mu);
  return reply(c, status, "text/plain; charset=utf-8", msg, true);
}

static const char prom_type[] = "text/plain; version=0.0.4; charset=utf-8";

static enum MHD_Result own_metrics(exporter *x, struct MHD_Connection *c) {
  rd_memstream ms;
  if (rd_memstream_open(&ms) != 0)
    return MHD_NO;
  pthread_mutex_lock(&x->mu);
  x->req_metrics++;
  fprintf(ms.f,
          "# HELP rdpdoctor_exporter_requests_total HTTP requests by path and outcome\n"
          "# TYPE rdpdoctor_exporter_requests_total counter\n"
          "rdpdoctor_exporter_requests_total{path=\"/probe\",code=\"200\"} %llu\n"
          "rdpdoctor_exporter_requests_total{path=\"/probe\",code=\"4xx\"} %llu\n"
          "rdpdoctor_exporter_requests_total{path=\"/metrics\",code=\"200\"} %llu\n"
          "rdpdoctor_exporter_requests_total{path=\"other\",code=\"404\"} %llu\n"
          "# HELP rdpdoctor_exporter_probes_in_flight Checks running now\n"
          "# TYPE rdpdoctor_exporter_probes_in_flight gauge\n"
          "rdpdoctor_exporter_probes_in_flight %u\n"
          "# HELP rdpdoctor_exporter_probe_duration_seconds Time the completed checks took\n"
          "# TYPE rdpdoctor_exporter_probe_duration_seconds summary\n"
          "rdpdoctor_exporter_probe_duration_seconds_sum %.6f\n"
          "rdpdoctor_exporter_probe_duration_seconds_count %llu\n"
          "# HELP rdpdoctor_exporter_start_time_seconds When the exporter started\n"
          "# TYPE rdpdoctor_exporter_start_time_seconds gauge\n"
          "rdpdoctor_exporter_start_time_seconds %lld\n"
          "# HELP rdpdoctor_exporter_build_info The exporter's version\n"
          "# TYPE rdpdoctor_exporter_build_info gauge\n"
          "rdpdoctor_exporter_build_info{version=\"%s\"} 1\n",
          x->req_probe_ok, x->req_probe_bad, x->req_metrics, x->req_other, x->in_flight, x->probe_seconds_sum,
          x->probes_total, (long long)x->started_unix, RD_VERSION);
  pthread_mutex_unlock(&x->mu);
  if (rd_memstream_close(&ms) != 0)
    return MHD_NO;
  return reply(c, 200, prom_type, ms.buf, true);
}

static enum MHD_Result probe(exporter *x, struct MHD_Connection *c) {
  const char *target = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "target");
  const char *mname = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "module");
  const char *why = "";
  char shown[48];
  if (target == NULL || target[0] == '\0')
    return error_reply(x, c, 400, "rdpdoctor exporter: the target parameter is missing (/probe?target=HOST:PORT)");
  job *j = calloc(1, sizeof *j);
  if (j == NULL)
    return MHD_NO;
  if (rd_target_parse(target, j->host, sizeof j->host, &j->port, &why) != 0 || rd_dns_check_host(j->host, &why) != 0) {
    free(j);
    return error_reply(x, c, 400, "rdpdoctor exporter: '%s' is not a target: %s",
                       rd_cli_printable(shown, sizeof shown, target), why);
  }
  if (mname == NULL || mname[0] == '\0')
    mname = "default";
  for (size_t i = 0; i < x->n_mods; i++)
    if (strcmp(x->mods[i].name, mname) == 0)
      j->mod = &x->mods[i];
  if (j->mod == NULL) {
    free(j);
    return error_reply(x, c, 400, "rdpdoctor exporter: unknown module '%s'", rd_cli_printable(shown, sizeof shown, mname));
  }
  j->x = x;
  pthread_cond_init(&j->cond, NULL);
  pthread_mutex_lock(&x->mu);
  if (x->stopping) {
    pthread_mutex_unlock(&x->mu);
    pthread_cond_destroy(&j->cond);
    free(j);
    return error_reply(x, c, 503, "rdpdoctor exporter: shutting down");
  }
  if (x->queue_tail != NULL)
    x->queue_tail->next = j;
  else
    x->queue = j;
  x->queue_tail = j;
  uv_async_send(&x->wake);
  /* The check has its own deadline (the module's timeout): the loop always signals. */
  while (!j->done)
    pthread_cond_wait(&j->cond, &x->mu);
  char *text = j->text;
  if (text != NULL)
    x->req_probe_ok++;
  pthread_mutex_unlock(&x->mu);
  pthread_cond_destroy(&j->cond);
  free(j);
  if (text == NULL)
    return error_reply(x, c, 500, "rdpdoctor exporter: the check could not run (out of memory)");
  return reply(c, 200, prom_type, text, true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  exporter *x = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return error_reply(x, c, 405, "rdpdoctor exporter: only GET");
  if (strcmp(url, "/probe") == 0)
    return probe(x, c);
  if (strcmp(url, "/metrics") == 0)
    return own_metrics(x, c);
  if (strcmp(url, "/") == 0)
    return reply(c, 200, "text/plain; charset=utf-8",
                 "rdpdoctor exporter: /probe?target=HOST:PORT&module=NAME, /metrics\n", false);
  pthread_mutex_lock(&x->mu);
  x->req_other++;
  pthread_mutex_unlock(&x->mu);
  return reply(c, 404, "text/plain; charset=utf-8", "not found\n", false);
}

/* ---- configuration -------------------------------------------------------------------------- */

static void module_defaults(module *m, const char *name) {
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  m->timeout_ms = 10000;
  m->step_ms = 3000;
}

static bool seconds_ms(json_t *v, unsigned *out) {
  if (!json_is_number(v))
    return false;
  double s = json_number_value(v);
  if (!(s >= 0.05 && s <= 3600))
    return false;
  *out = (unsigned)(s * 1000.0 + 0.5);
  return true;
}

/* Reads the modules; on error writes a one-line reason into why (static or buf). */
static int load_config(exporter *x, const char *path, char *buf, size_t size) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  char shown[48];
  if (root == NULL) {
    snprintf(buf, size, "config '%s': %s (line %d)", rd_cli_printable(shown, sizeof shown, path), je.text, je.line);
    return -1;
  }
  json_t *mods = json_object_get(root, "modules");
  const char *name;
  json_t *val;
  int r = -1;
  if (!json_is_object(root) || !json_is_object(mods) || json_object_size(root) != 1) {
    snprintf(buf, size, "config: the file is {\"modules\": {\"NAME\": {...}}}");
    goto out;
  }
  json_object_foreach(mods, name, val) {
    if (x->n_mods == MAX_MODULES) {
      snprintf(buf, size, "config: at most %d modules", MAX_MODULES);
      goto out;
    }
    module *m = &x->mods[x->n_mods++];
    module_defaults(m, name);
    if (strlen(name) == 0 || strlen(name) >= sizeof m->name || !json_is_object(val)) {
      snprintf(buf, size, "config: a module is a name of 1-63 characters and an object");
      goto out;
    }
    const char *key, *user = NULL, *pwfile = NULL;
    json_t *kv;
    json_object_foreach(val, key, kv) {
      bool ok = true;
      if (strcmp(key, "timeout") == 0)
        ok = seconds_ms(kv, &m->timeout_ms);
      else if (strcmp(key, "step_timeout") == 0)
        ok = seconds_ms(kv, &m->step_ms);
      else if (strcmp(key, "side_ports") == 0)
        ok = json_is_boolean(kv), m->no_side_ports = !json_is_true(kv);
      else if (strcmp(key, "family") == 0)
        ok = json_is_integer(kv) && (json_integer_value(kv) == 0 || json_integer_value(kv) == 4 ||
                                     json_integer_value(kv) == 6),
        m->family = (int)json_integer_value(kv);
      else if (strcmp(key, "user") == 0)
        ok = json_is_string(kv), user = json_string_value(kv);
      else if (strcmp(key, "password_file") == 0)
        ok = json_is_string(kv), pwfile = json_string_value(kv);
      else if (rd_cli_is_password_option(key[0] == '-' ? key : "--x") || strstr(key, "pass") != NULL) {
        snprintf(buf, size, "config: module '%s': no password in the config; use password_file", m->name);
        goto out;
      } else {
        snprintf(buf, size, "config: module '%s': unknown key '%s'", m->name, rd_cli_printable(shown, sizeof shown, key));
        goto out;
      }
      if (!ok) {
        snprintf(buf, size, "config: module '%s': bad value for '%s'", m->name, key);
        goto out;
      }
    }
    if (m->step_ms > m->timeout_ms)
      m->step_ms = m->timeout_ms;
    if ((user != NULL) != (pwfile != NULL)) {
      snprintf(buf, size, "config: module '%s': user and password_file go together", m->name);
      goto out;
    }
    if (user != NULL) {
      const char *why = "";
      if (rd_credentials_parse_user(user, &m->creds, &why) != 0 ||
          rd_credentials_read_password(&m->creds, pwfile, &why) != 0) {
        snprintf(buf, size, "config: module '%s': %s", m->name, why);
        goto out;
      }
      m->crypto = rd_crypto_new(&why);
      if (m->crypto == NULL) {
        snprintf(buf, size, "config: module '%s': %s", m->name, why);
        goto out;
      }
      m->auth = true;
    }
  }
  r = 0;
out:
  json_decref(root);
  return r;
}

/* "127.0.0.1:9389", "[::1]:9389", "0.0.0.0:9389": numeric addresses only (nothing to resolve). */
static bool parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len) {
  char host[256];
  uint16_t port;
  const char *why;
  uint8_t ip[16];
  if (rd_target_parse(text, host, sizeof host, &port, &why) != 0 || strrchr(text, ':') == NULL ||
      text[strlen(text) - 1] == ']')
    return false;
  size_t n = rd_hostname_parse_ip(host, strlen(host), ip);
  memset(ss, 0, sizeof *ss);
  if (n == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, ip, 4);
    *len = sizeof *a;
    return true;
  }
  if (n == 16) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    memcpy(&a->sin6_addr, ip, 16);
    *len = sizeof *a;
    return true;
  }
  return false;
}

int rd_cli_exporter(int argc, char **argv, FILE *out, FILE *err) {
  const char *listen_text = NULL, *config = NULL;
  char shown[48], why[400];
  unsigned long max_in_flight = 64;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(exporter_usage, out);
      return RD_EXIT_OK;
    } else if (strcmp(a, "--listen") == 0 || strcmp(a, "--config") == 0) {
      if (v == NULL || v[0] == '\0')
        return rd_cli_usage_error(err, "exporter: %s needs a value", a);
      *(a[2] == 'l' ? &listen_text : &config) = v;
      i++;
    } else if (strcmp(a, "--max-in-flight") == 0) {
      char *end;
      max_in_flight = v != NULL && isdigit((unsigned char)v[0]) ? strtoul(v, &end, 10) : 0;
      if (v == NULL || *end != '\0' || max_in_flight == 0 || max_in_flight > 1024)
        return rd_cli_usage_error(err, "exporter: --max-in-flight needs a number from 1 to 1024");
      i++;
    } else if (rd_cli_is_password_option(a)) {
      return rd_cli_usage_error(err, "exporter: no password on the command line; use a module's password_file");
    } else {
      return rd_cli_usage_error(err, "exporter: unknown argument '%s' (try 'rdpdoctor exporter --help')",
                                rd_cli_option_shown(shown, sizeof shown, a));
    }
  }
  if (listen_text == NULL)
    return rd_cli_usage_error(err, "exporter: --listen ADDR:PORT is needed (e.g. 127.0.0.1:9389)");
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!parse_listen(listen_text, &ss, &sslen))
    return rd_cli_usage_error(err, "exporter: --listen '%s' is not ADDR:PORT with a numeric address",
                              rd_cli_printable(shown, sizeof shown, listen_text));

  const char *no_http = mhd_open();
  if (no_http != NULL) {
    fprintf(err, "rdpdoctor: exporter: %s\n", no_http);
    return RD_EXIT_CANNOT_CHECK;
  }
  exporter *x = calloc(1, sizeof *x);
  if (x == NULL)
    return RD_EXIT_CANNOT_CHECK;
  int code = RD_EXIT_OK;
  rd_credentials_forget_environment();
  if (config != NULL) {
    if (load_config(x, config, why, sizeof why) != 0) {
      code = rd_cli_usage_error(err, "exporter: %s", why);
      goto done;
    }
  } else {
    module_defaults(&x->mods[0], "default");
    x->n_mods = 1;
  }
  rd_credentials_no_dump();
  x->max_in_flight = (unsigned)max_in_flight;
  x->started_unix = (int64_t)time(NULL);
  pthread_mutex_init(&x->mu, NULL);
  if (uv_loop_init(&x->loop) != 0 || (x->eng = rd_engine_new(&x->loop, NULL)) == NULL) {
    fprintf(err, "rdpdoctor: exporter: cannot start the event loop or TLS\n");
    code = RD_EXIT_CANNOT_CHECK;
    goto done;
  }
  uv_async_init(&x->loop, &x->wake, on_wake);
  x->wake.data = x;
  uv_signal_init(&x->loop, &x->sigstop);
  uv_signal_init(&x->loop, &x->sigint);
  x->sigstop.data = x->sigint.data = x;
  uv_signal_start(&x->sigstop, on_signal, STOP_SIGNAL);
  uv_signal_start(&x->sigint, on_signal, SIGINT);

  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
  if (ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  x->mhd = mhd.start_daemon(flags, ntohs(((struct sockaddr_in *)&ss)->sin_port), NULL, NULL, on_request, x,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3700u,
                            MHD_OPTION_END);
  if (x->mhd == NULL) {
    fprintf(err, "rdpdoctor: exporter: cannot listen on %s (in use, or not an address of this host)\n",
            rd_cli_printable(shown, sizeof shown, listen_text));
    code = RD_EXIT_CANNOT_CHECK;
    uv_close((uv_handle_t *)&x->wake, NULL);
    uv_close((uv_handle_t *)&x->sigstop, NULL);
    uv_close((uv_handle_t *)&x->sigint, NULL);
    uv_run(&x->loop, UV_RUN_DEFAULT);
  } else {
    fprintf(err, "rdpdoctor: exporter: listening on %s\n", rd_cli_printable(shown, sizeof shown, listen_text));
    fflush(err);
    uv_run(&x->loop, UV_RUN_DEFAULT);
    /* stopping is set and no job is left: request threads answer 503 without waiting. */
    mhd.stop_daemon(x->mhd);
  }
  rd_engine_free(x->eng);
  uv_loop_close(&x->loop);
  pthread_mutex_destroy(&x->mu);

done:
  for (size_t i = 0; i < x->n_mods; i++) {
    rd_credentials_wipe(&x->mods[i].creds);
    rd_crypto_free(x->mods[i].crypto);
  }
  free(x);
  return code;
}
