/* Fuzz target for the GCC Conference Create Response decoder and the server data block walk
 * (STYLE.md §10). There is no server-side GCC encoder, so instead of a round trip: a failed decode
 * leaves the cursor unmoved; a decoded response has what it claims (the blocks it counted, a
 * certificate inside the input, a channel count within bounds); the block walk over the same
 * bytes agrees with rd_gcc_get_block; and a client request built from the decoded facts (the
 * selected protocol the server echoed) always encodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/gcc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_unmoved(const rd_cur *c, const uint8_t *d, size_t n) {
  if (rd_cur_data(c) != d || rd_cur_len(c) != n)
    abort();
}

static void check_facts(const rd_gcc_server_data *sd, const uint8_t *d, size_t n) {
  size_t known = sd->core_present + sd->security_present + sd->net_present +
                 sd->msgchannel_present + sd->multitransport_present;
  if (known + sd->unknown_count != sd->block_count)
    abort();
  if (sd->net_present && sd->net.channel_count > RD_GCC_MAX_CHANNELS)
    abort();
  if (sd->security.random_present) {
    const uint8_t *p = rd_cur_data(&sd->security.server_cert);
    size_t len = rd_cur_len(&sd->security.server_cert);
    if (len != sd->security.server_cert_len || (len > 0 && (p < d || p + len > d + n)))
      abort();
  }
  if (sd->core_present && sd->core.early_capability_flags_present &&
      !sd->core.client_requested_protocols_present)
    abort();
  rd_gcc_client_data cd;
  rd_bld b;
  uint8_t *out;
  size_t len;
  rd_gcc_client_data_init(&cd, sd->core.client_requested_protocols);
  rd_bld_init(&b, 4096);
  if (rd_gcc_encode_ccrq(&cd, &b) != 0 || !rd_bld_finish(&b, &out, &len))
    abort();
  free(out);
}

static void check_ccrsp(const uint8_t *d, size_t n) {
  rd_cur c;
  rd_gcc_server_data sd;
  rd_cur_init(&c, d, n);
  if (rd_gcc_decode_ccrsp(&c, &sd) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  if (!rd_cur_is_empty(&c) || sd.result > 4 || sd.node_id < 1001)
    abort();
  check_facts(&sd, d, n);
}

static void check_blocks(const uint8_t *d, size_t n) {
  rd_cur c, body;
  rd_gcc_server_data sd;
  uint16_t type;
  size_t count = 0;
  rd_cur_init(&c, d, n);
  while (!rd_cur_is_empty(&c) && rd_gcc_get_block(&c, &type, &body))
    count++;
  bool whole = rd_cur_is_empty(&c);
  rd_cur_init(&c, d, n);
  if (rd_gcc_decode_server_blocks(&c, &sd) != 0) {
    check_unmoved(&c, d, n);
    return;
  }
  /* Accepted blocks are exactly the ones rd_gcc_get_block finds back to back. */
  if (!whole || !rd_cur_is_empty(&c) || sd.block_count != count)
    abort();
  check_facts(&sd, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  check_ccrsp(d, n);
  check_blocks(d, n);
  return 0;
}
