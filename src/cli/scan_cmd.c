/* `rdpdoctor scan TARGET…`: many checks on one libuv loop and one engine, bounded in flight and
 * paced, each result printed as one JSON line (the check document) as soon as it is complete, its
 * facts freed at once (docs/scan.md). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "cli.h"
#include "console.h"
#include "core/err.h"
#include "credentials.h"
#include "diag/diag.h"
#include "net/dns.h"
#include "net/engine.h"
#include "report/report.h"
#include "targets.h"

static const char scan_usage[] =
    "Usage: rdpdoctor scan [OPTIONS] TARGET... | --file FILE | -\n"
    "\n"
    "Checks many Remote Desktop servers at once, on one event loop, and prints each\n"
    "result as one line of JSON (the `check --json` document) in the order the\n"
    "checks complete.\n"
    "\n"
    "TARGET is HOST, HOST:PORT, [IPv6]:PORT, or a block 192.0.2.0/24 (at most a /16;\n"
    "IPv6 /112).\n"
    "\n"
    "  --file FILE        targets from FILE, whitespace-separated, '#' comments\n"
    "                     ('-': stdin)\n"
    "  --ports LIST       ports for targets without one: 3389,3390 or 3389-3392\n"
    "                     (default 3389)\n"
    "  --max-in-flight N  checks running at once (default 256; capped by the\n"
    "                     open-file limit)\n"
    "  --rate N           checks started per second at most (default 200; 0: no\n"
    "                     limit)\n"
    "  --timeout SEC      deadline for each whole check (default 10)\n"
    "  --step-timeout SEC deadline for each step of a connection (default 3)\n"
    "  --no-side-ports    when an RDP port is silent, do not try ports 22/80/443/445\n"
    "  --no-session       stop after the security phase (no MCS, licensing, Demand\n"
    "                     Active, nor the Standard RDP Security enumeration)\n"
    "  --quick            only the request a Windows client sends and its TLS (one\n"
    "                     connection per target, no side ports): the certificate\n"
    "                     and the selected protocol, fast\n"
    "  -4, -6             use only IPv4 / IPv6 addresses\n"
    "  --summary          the closing summary on stderr even when it is not a\n"
    "                     terminal\n"
    "  --quiet            no progress line and no summary\n"
    "\n"
    "Exit codes: the worst over all targets: 2 a critical finding somewhere, else\n"
    "1 a warning, else 3 a target could not be checked, else 0; 3 also when the\n"
    "output fails; 64 usage error.\n";

/* Descriptors kept for the loop, the resolver's sockets and stdio, outside the checks' budget. */
#define FDS_RESERVED 64

typedef struct scan scan;

typedef struct scan_run {
  scan *sc;
  rd_run *run;
  unsigned fds;         /* descriptors budgeted for this check (rd_check_max_conns) */
  rd_check_facts facts;
  char host[256];
} scan_run;

struct scan {
  uv_loop_t loop;
  rd_engine *eng;
  rd_target_list targets;
  rd_check_config base;
  FILE *out, *err;
  unsigned max_in_flight, in_flight;
  /* Descriptors: what the open-file limit leaves for checks, and what the running ones may hold.
   * A check is started only when its most (rd_check_max_conns: 16 on an address, 30 on a name of
   * eight) still fits, so no connect meets EMFILE whatever the checks go on to open. */
  unsigned fd_room, fds_held;
  rd_target next;       /* the target the next check runs on, taken ahead to size its budget */
  bool have_next;
  double rate;
  uint64_t next_slot_us;
  uv_timer_t pacer, progress;
  bool progress_on, summary_on, exhausted, out_failed;
  uint64_t launched, done, start_us;
  /* summary */
  uint64_t by_exit[4];
  uint64_t by_finding[RD_F_COUNT];
  uint64_t cert_bins[6];
  rd_diagnosis diag; /* one, reused: only the loop thread touches it */
  int worst;
};

static uint64_t now_us(void) { return uv_hrtime() / 1000u; }


static bool parse_uint(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  if (s == NULL || !isdigit((unsigned char)s[0]))
    return false;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*end != '\0' || errno != 0 || v > max)
    return false;
  *out = v;
  return true;
}

/* 2 > 1 > 3 > 0: a critical host outranks everything; "could not check" outranks only healthy. */
static int rank(int code) { return code == 2 ? 3 : code == 1 ? 2 : code == 3 ? 1 : 0; }

static void pump(scan *sc);

static void print_progress(scan *sc, bool final) {
  double secs = (double)(now_us() - sc->start_us) / 1e6;
  fprintf(sc->err, "\rscan: %llu/%llu done, %u in flight, %.1f checks/s, %llu critical, %llu warning, %llu unchecked%s",
          (unsigned long long)sc->done, (unsigned long long)sc->targets.total, sc->in_flight,
          secs > 0 ? (double)sc->done / secs : 0.0, (unsigned long long)sc->by_exit[2],
          (unsigned long long)sc->by_exit[1], (unsigned long long)sc->by_exit[3], final ? "\n" : "\033[K");
  fflush(sc->err);
}

static void on_progress(uv_timer_t *t) { print_progress(t->data, false); }

static void count(scan *sc, const rd_check_facts *f, const rd_diagnosis *d, int code) {
  sc->by_exit[code]++;
  bool seen[RD_F_COUNT] = {false};
  for (size_t i = 0; i < d->n; i++)
    if (!seen[d->items[i].id]) {
      seen[d->items[i].id] = true;
      sc->by_finding[d->items[i].id]++;
    }
  if (f->have_cert) {
    int days = rd_cert_days_left(&f->cert, f->started_unix);
    int bin = days < 0 ? 0 : days < 14 ? 1 : days < 30 ? 2 : days < 90 ? 3 : days < 365 ? 4 : 5;
    sc->cert_bins[bin]++;
  }
}

static void on_done(void *arg, rd_run *run) {
  scan_run *sr = arg;
  scan *sc = sr->sc;
  rd_diagnose(&sr->facts, &sc->diag);
  int code = rd_diagnosis_exit_code(&sc->diag);
  if (!sc->out_failed) {
    json_t *doc = rd_report_check_document(&sr->facts, &sc->diag);
    int r = rd_report_json_print(sc->out, doc, RD_JSON_LINE);
    json_decref(doc);
    if (r != 0) {
      sc->out_failed = true; /* stop launching; the running checks drain */
      fprintf(sc->err, "\nrdpdoctor: scan: cannot write the results: %s\n", rd_err_str(r));
    }
  }
  count(sc, &sr->facts, &sc->diag, code);
  if (rank(code) > rank(sc->worst))
    sc->worst = code;
  rd_check_facts_free(&sr->facts);
  rd_run_free(run);
  sc->fds_held -= sr->fds;
  free(sr);
  sc->in_flight--;
  sc->done++;
  pump(sc);
}

static void on_pacer(uv_timer_t *t) { pump(t->data); }

/* The descriptors a check of host may hold: an address literal has one address, a name up to
 * RD_MAX_ADDRS. */
static unsigned fds_for(const scan *sc, const char *host) {
  unsigned char a[16];
  bool literal = uv_inet_pton(AF_INET, host, a) == 0 || uv_inet_pton(AF_INET6, host, a) == 0;
  size_t n = rd_check_max_conns(&sc->base, literal ? 1 : RD_MAX_ADDRS);
  return n > 0 ? (unsigned)n : 1;
}

/* Starts checks while the cap and the rate allow; arms the pacer for the next slot. */
static void pump(scan *sc) {
  while (!sc->exhausted && !sc->out_failed && sc->in_flight < sc->max_in_flight) {
    if (!sc->have_next && !rd_targets_next(&sc->targets, &sc->next)) {
      sc->exhausted = true;
      break;
    }
    sc->have_next = true;
    unsigned fds = fds_for(sc, sc->next.host);
    if (sc->in_flight > 0 && sc->fds_held + fds > sc->fd_room)
      break; /* a check that ends gives its descriptors back and pumps again */
    uint64_t now = now_us();
    if (sc->rate > 0) {
      uint64_t interval = (uint64_t)(1e6 / sc->rate);
      if (sc->next_slot_us + interval < now)
        sc->next_slot_us = now; /* no burst to catch up after an idle spell */
      if (now < sc->next_slot_us) {
        uint64_t wait_ms = (sc->next_slot_us - now + 999) / 1000;
        uv_timer_start(&sc->pacer, on_pacer, wait_ms, 0);
        return;
      }
      sc->next_slot_us += interval;
    }
    scan_run *sr = calloc(1, sizeof *sr);
    if (sr == NULL) {
      fprintf(sc->err, "rdpdoctor: scan: out of memory\n");
      sc->out_failed = true;
      break;
    }
    rd_target t = sc->next;
    sc->have_next = false;
    sr->sc = sc;
    memcpy(sr->host, t.host, sizeof sr->host);
    rd_check_config cfg = sc->base;
    cfg.host = sr->host;
    cfg.port = t.port;
    cfg.started_unix = (int64_t)time(NULL);
    sr->fds = fds;
    sc->fds_held += fds;
    int r = rd_engine_start(sc->eng, &cfg, &sr->facts, on_done, sr, &sr->run);
    sc->launched++;
    if (r != 0) {
      sc->fds_held -= fds;
      fprintf(sc->err, "rdpdoctor: scan: %s:%u: cannot start the check: %s\n", t.host, t.port, rd_err_str(r));
      free(sr);
      sc->done++;
      sc->by_exit[3]++;
      if (rank(3) > rank(sc->worst))
        sc->worst = 3;
      continue;
    }
    sc->in_flight++;
  }
  if ((sc->exhausted || sc->out_failed) && sc->in_flight == 0) {
    uv_timer_stop(&sc->pacer);
    uv_timer_stop(&sc->progress);
  }
}

static void print_summary(scan *sc) {
  FILE *e = sc->err;
  double secs = (double)(now_us() - sc->start_us) / 1e6;
  fprintf(e, "\nscan: %llu targets in %.1f s (%.1f checks/s)\n", (unsigned long long)sc->done, secs,
          secs > 0 ? (double)sc->done / secs : 0.0);
  fprintf(e, "  %-28s %8s\n", "verdict", "targets");
  static const char *const names[4] = {"ok", "warning", "critical", "could not check"};
  for (int i = 0; i < 4; i++)
    fprintf(e, "  %-28s %8llu\n", names[i], (unsigned long long)sc->by_exit[i]);
  /* Findings, most frequent first (a selection sort over a small table). */
  bool shown[RD_F_COUNT] = {false};
  bool header = false;
  for (;;) {
    int best = -1;
    for (int i = 0; i < RD_F_COUNT; i++)
      if (!shown[i] && sc->by_finding[i] > 0 && (best < 0 || sc->by_finding[i] > sc->by_finding[best]))
        best = i;
    if (best < 0)
      break;
    shown[best] = true;
    if (!header) {
      fprintf(e, "  %-28s %8s  %s\n", "finding", "targets", "severity");
      header = true;
    }
    const rd_finding_def *def = rd_finding_def_get((rd_finding_id)best);
    fprintf(e, "  %-28s %8llu  %s\n", def->slug, (unsigned long long)sc->by_finding[best],
            rd_severity_name(def->severity));
  }
  uint64_t certs = 0;
  for (int i = 0; i < 6; i++)
    certs += sc->cert_bins[i];
  if (certs > 0) {
    static const char *const bins[6] = {"expired", "< 14 days", "14-29 days", "30-89 days", "90-364 days",
                                        ">= 365 days"};
    fprintf(e, "  %-28s %8s\n", "certificate days left", "targets");
    for (int i = 0; i < 6; i++)
      fprintf(e, "  %-28s %8llu\n", bins[i], (unsigned long long)sc->cert_bins[i]);
  }
  fflush(e);
}

/* Raises the soft open-file limit to the hard one and returns the descriptors it leaves for checks. */
static unsigned fd_room(void) {
#ifdef _WIN32
  /* Winsock sockets are handles, not C runtime descriptors: no open-file limit to respect. */
  return 100000u * RD_CHECK_MAX_CONNS;
#else
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 16;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
    if (want > rl.rlim_cur) {
      rl.rlim_cur = want;
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        getrlimit(RLIMIT_NOFILE, &rl);
    }
  }
  if (rl.rlim_cur <= FDS_RESERVED)
    return 1;
  rlim_t n = rl.rlim_cur - FDS_RESERVED;
  return n > 100000u * RD_CHECK_MAX_CONNS ? 100000u * RD_CHECK_MAX_CONNS : (unsigned)n;
#endif
}

static int add_file(rd_target_list *l, const char *path, FILE *err) {
  char bad[48], shown[48];
  const char *why = "";
  unsigned long line = 0;
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (f == NULL)
    return rd_cli_usage_error(err, "scan: cannot read '%s': %s", rd_cli_printable(shown, sizeof shown, path),
                              strerror(errno));
  bad[0] = '\0';
  int r = rd_targets_add_file(l, f, &why, &line, bad, sizeof bad);
  if (f != stdin)
    fclose(f);
  if (r == RD_E_NOMEM) {
    fprintf(err, "rdpdoctor: scan: out of memory\n");
    return RD_EXIT_CANNOT_CHECK;
  }
  if (r != 0) {
    char b[48];
    return rd_cli_usage_error(err, "scan: %s line %lu: '%s' is not a target: %s",
                              strcmp(path, "-") == 0 ? "stdin" : rd_cli_printable(shown, sizeof shown, path), line,
                              rd_cli_printable(b, sizeof b, bad), why);
  }
  return 0;
}

int rd_cli_scan(int argc, char **argv, FILE *out, FILE *err) {
  scan *sc = calloc(1, sizeof *sc);
  if (sc == NULL) {
    fprintf(err, "rdpdoctor: scan: out of memory\n");
    return RD_EXIT_CANNOT_CHECK;
  }
  char shown[48];
  const char *why = "";
  unsigned timeout_ms = 10000, step_ms = 3000;
  unsigned long max_in_flight = 256, rate = 200;
  bool force_summary = false, quiet = false, from_stdin = false;
  const char *file = NULL;
  int code = 0;
  rd_targets_init(&sc->targets);

  for (int i = 1; i < argc && code == 0; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(scan_usage, out);
      goto done;
    } else if (strcmp(a, "--timeout") == 0 || strcmp(a, "--step-timeout") == 0) {
      if (!rd_cli_parse_seconds(v, a[2] == 't' ? &timeout_ms : &step_ms))
        code = rd_cli_usage_error(err, "scan: %s needs a number of seconds from 0.05 to 3600", a);
      i++;
    } else if (strcmp(a, "--max-in-flight") == 0) {
      if (!parse_uint(v, 100000, &max_in_flight) || max_in_flight == 0)
        code = rd_cli_usage_error(err, "scan: --max-in-flight needs a number from 1 to 100000");
      i++;
    } else if (strcmp(a, "--rate") == 0) {
      if (!parse_uint(v, 1000000, &rate))
        code = rd_cli_usage_error(err, "scan: --rate needs checks per second, 0 to 1000000 (0: no limit)");
      i++;
    } else if (strcmp(a, "--ports") == 0) {
      if (v == NULL || rd_targets_set_ports(&sc->targets, v, &why) != 0)
        code = rd_cli_usage_error(err, "scan: --ports: %s", why);
      i++;
    } else if (strcmp(a, "--file") == 0) {
      if (v == NULL || v[0] == '\0')
        code = rd_cli_usage_error(err, "scan: --file needs a file name ('-' for stdin)");
      else if (file != NULL)
        code = rd_cli_usage_error(err, "scan: one --file at a time");
      file = v;
      i++;
    } else if (strcmp(a, "-") == 0) {
      from_stdin = true;
    } else if (strcmp(a, "--no-side-ports") == 0) {
      sc->base.no_side_ports = true;
    } else if (strcmp(a, "--no-session") == 0) {
      sc->base.no_session = true;
    } else if (strcmp(a, "--quick") == 0) {
      sc->base.quick = true;
    } else if (strcmp(a, "-4") == 0 || strcmp(a, "-6") == 0) {
      sc->base.family = a[1] - '0';
    } else if (strcmp(a, "--summary") == 0) {
      force_summary = true;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else if (strcmp(a, "--user") == 0 || rd_cli_is_password_option(a)) {
      code = rd_cli_usage_error(err, "scan: no credentials in a scan (one attempt per host would add up across a "
                                     "fleet); use check --user or the exporter's module");
    } else if (a[0] == '-' && a[1] != '\0') {
      code = rd_cli_usage_error(err, "scan: unknown option '%s' (try 'rdpdoctor scan --help')",
                                rd_cli_option_shown(shown, sizeof shown, a));
    } else {
      int r = rd_targets_add(&sc->targets, a, &why);
      if (r == RD_E_NOMEM) {
        fprintf(err, "rdpdoctor: scan: out of memory\n");
        code = RD_EXIT_CANNOT_CHECK;
      } else if (r != 0) {
        code = rd_cli_usage_error(err, "scan: '%s' is not a target: %s", rd_cli_printable(shown, sizeof shown, a), why);
      }
    }
  }
  if (code != 0)
    goto done;
  if (file != NULL && (code = add_file(&sc->targets, file, err)) != 0)
    goto done;
  if (from_stdin && (file == NULL || strcmp(file, "-") != 0) && (code = add_file(&sc->targets, "-", err)) != 0)
    goto done;
  if (rd_targets_finish(&sc->targets, &why) != 0) {
    code = rd_cli_usage_error(err, "scan: %s (try 'rdpdoctor scan 192.0.2.0/24' or '--file hosts.txt')", why);
    goto done;
  }
  rd_credentials_forget_environment();

  /* N checks of addresses must fit (a name's budget is larger: fewer of them run at once). */
  sc->fd_room = fd_room();
  unsigned per_check = (unsigned)rd_check_max_conns(&sc->base, 1);
  unsigned budget = sc->fd_room / per_check > 0 ? sc->fd_room / per_check : 1;
  if (max_in_flight > budget) {
    fprintf(err, "rdpdoctor: scan: --max-in-flight %lu lowered to %u (open-file limit)\n", max_in_flight, budget);
    max_in_flight = budget;
  }
  sc->max_in_flight = (unsigned)max_in_flight;
  sc->rate = (double)rate;
  sc->out = out;
  sc->err = err;
  if (step_ms > timeout_ms)
    step_ms = timeout_ms;
  sc->base.timeout_us = (rd_us)timeout_ms * 1000u;
  sc->base.step_us = (rd_us)step_ms * 1000u;
  bool tty = rd_console_is_terminal(err);
  sc->progress_on = !quiet && tty;
  sc->summary_on = !quiet && (tty || force_summary);

  if (uv_loop_init(&sc->loop) != 0 || (sc->eng = rd_engine_new(&sc->loop, NULL)) == NULL) {
    fprintf(err, "rdpdoctor: scan: cannot start the event loop or TLS\n");
    code = RD_EXIT_CANNOT_CHECK;
    goto done;
  }
  uv_timer_init(&sc->loop, &sc->pacer);
  uv_timer_init(&sc->loop, &sc->progress);
  sc->pacer.data = sc->progress.data = sc;
  sc->start_us = sc->next_slot_us = now_us();
  if (sc->progress_on)
    uv_timer_start(&sc->progress, on_progress, 200, 200);
  pump(sc);
  uv_run(&sc->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&sc->pacer, NULL);
  uv_close((uv_handle_t *)&sc->progress, NULL);
  uv_run(&sc->loop, UV_RUN_DEFAULT);
  rd_engine_free(sc->eng);
  uv_loop_close(&sc->loop);
  if (sc->progress_on)
    print_progress(sc, true);
  if (sc->summary_on)
    print_summary(sc);
  code = sc->out_failed ? RD_EXIT_CANNOT_CHECK : sc->worst;

done:
  rd_targets_free(&sc->targets);
  free(sc);
  return code;
}
