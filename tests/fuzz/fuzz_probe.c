/* Fuzzes the probe state machine as the engine drives it: a request chosen by the first byte,
 * then the server's reply in chunks of random size at synthetic times, then a close, a reset or
 * the deadline. Framing, hostile lengths and deadlines are all in play. */
#include <stdint.h>
#include <string.h>

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t requests[] = {0, 1, 2, 3, 11, 4};
  rd_probe_facts facts;
  rd_probe probe;
  uint8_t out[512];
  if (size < 2)
    return 0;
  memset(&facts, 0, sizeof facts);
  facts.req.kind = data[0] & 0x80 ? RD_PROBE_TLS_VERSION : RD_PROBE_NEGO;
  facts.req.legacy = (data[0] & 0x40) != 0;
  facts.req.protocols = requests[(data[0] & 0x0f) % 6];
  rd_us now = 1000, step = 3000000;
  rd_probe_init(&probe, &facts, step, now);
  rd_probe_connected(&probe, RD_CONN_OK, 0, now += 100);
  rd_probe_pull(&probe, out, sizeof out, now);

  size_t i = 2;
  while (i < size && !rd_probe_done(&probe)) {
    size_t chunk = (size_t)(data[i] & 0x3f) + 1;
    now += (rd_us)(data[i] >> 6) * 500000; /* up to 1.5 s between chunks */
    i++;
    if (now >= rd_probe_deadline(&probe)) {
      rd_probe_expire(&probe, now);
      break;
    }
    if (chunk > size - i)
      chunk = size - i;
    rd_probe_feed(&probe, data + i, chunk, now);
    i += chunk;
    int version;
    if (rd_probe_wants_tls(&probe, &version)) {
      rd_tls_facts t;
      memset(&t, 0, sizeof t);
      t.alert = -1;
      t.outcome = (rd_tls_outcome)(data[1] % 8);
      rd_probe_tls_done(&probe, &t, now);
    }
  }
  if (!rd_probe_done(&probe)) {
    if (data[1] & 0x80)
      rd_probe_expire(&probe, rd_probe_deadline(&probe));
    else
      rd_probe_eof(&probe, (data[1] & 0x40) != 0, now + 1);
  }
  if (!rd_probe_done(&probe) || facts.reply_len > sizeof facts.reply || facts.bytes_received > sizeof probe.in)
    __builtin_trap();
  return 0;
}
