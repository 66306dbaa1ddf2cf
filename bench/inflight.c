/* The memory of checks in flight: N checks of one target started at once on one engine (as
 * `scan` runs them), the heap in use sampled at every loop iteration (glibc mallinfo2), the peak
 * above the idle engine divided by N. Also reports the same for one check alone.
 *   usage: inflight HOST PORT [N=50]
 * Prints: checks, peak heap bytes in use above the baseline, bytes per check, wall ms. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/engine.h"

static size_t baseline, peak;
static unsigned done_count;

static size_t in_use(void) { return mallinfo2().uordblks; }

static void on_prepare(uv_prepare_t *h) {
  size_t now = in_use();
  if (now > peak)
    peak = now;
}

static void on_done(void *arg, rd_run *run) { done_count++; }

static double run_batch(uv_loop_t *loop, rd_engine *e, const rd_check_config *cfg, unsigned n) {
  rd_check_facts *facts = calloc(n, sizeof *facts);
  rd_run **runs = calloc(n, sizeof *runs);
  struct timespec t0, t1;
  done_count = 0;
  baseline = peak = in_use();
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (unsigned i = 0; i < n; i++)
    if (rd_engine_start(e, cfg, &facts[i], on_done, NULL, &runs[i]) != 0)
      runs[i] = NULL;
  on_prepare(NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (unsigned i = 0; i < n; i++) {
    rd_run_free(runs[i]);
    rd_check_facts_free(&facts[i]);
  }
  free(runs);
  free(facts);
  return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: inflight HOST PORT [N]\n");
    return 64;
  }
  unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 50;
  uv_loop_t loop;
  uv_prepare_t prep;
  uv_loop_init(&loop);
  uv_prepare_init(&loop, &prep);
  uv_prepare_start(&prep, on_prepare);
  uv_unref((uv_handle_t *)&prep);
  rd_engine *e = rd_engine_new(&loop, NULL);
  rd_check_config cfg = {.host = argv[1], .port = (uint16_t)atoi(argv[2]), .started_unix = (int64_t)time(NULL)};
  /* facts are calloc'd by the caller in both batches; they count as the check's memory. */
  double ms1 = run_batch(&loop, e, &cfg, 1);
  size_t one = peak - baseline + sizeof(rd_check_facts);
  double msn = run_batch(&loop, e, &cfg, n);
  size_t all = peak - baseline + n * sizeof(rd_check_facts);
  printf("one check: %zu bytes in use at peak (facts %zu), %.1f ms\n", one, sizeof(rd_check_facts), ms1);
  printf("%u checks at once: %zu bytes at peak, %zu bytes per check, %u done, %.1f ms\n", n, all, all / n,
         done_count, msn);
  rd_engine_free(e);
  uv_close((uv_handle_t *)&prep, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}
