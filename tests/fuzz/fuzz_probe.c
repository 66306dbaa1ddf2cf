/* Fuzzes one probe through a whole connection, as the engine drives it: a request chosen by the
 * first byte; the server's bytes in chunks of random size at synthetic times, framed by
 * rd_probe_need exactly as the engine frames them; a pull after every event; the TLS hand-off with
 * a real server certificate, so CredSSP runs inside the "session" on the chunks that follow; the
 * check's one authentication granted or refused; then a close, a reset, the deadline or the
 * whole-check cut. Framing, hostile lengths, deadlines and every state are in play.
 *
 * Standard RDP Security (request RDP, the session bit) runs its security exchange under the key of
 * the Connect Response in the input; what the input claims is encrypted fails its MAC.
 *
 * Input: byte 0 the request (bit 7 a TLS-version probe, bit 6 legacy, bit 5 goes on into the
 * session phase, bit 3 --logon: Confirm Active, finalization and the logon wait (with the session
 * bit) or else the check's Standard RDP Security enumeration offer, 40-bit or with bit 4 FIPS,
 * taken when the Confirm selects RDP or is legacy; the low 3 bits pick the protocols); byte 1 how
 * the handshake ends (bits 0-1), whether the authentication is granted
 * (bit 2), how the connection ends (bits 6-7); then chunks, each a header byte (low 6 bits: the
 * length - 1; high 2 bits: half-seconds before it) and its bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/selfsigned.h"

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *cert_der;
static int cert_len;
static rd_crypto *crypto;
static rd_crypto_once crypto_once; /* the computations context a check lends its probes */

static uint8_t stream[1 << 16];
static size_t stream_len;

static void pull(rd_probe *p, rd_us now) {
  rd_bld b;
  uint8_t *bytes = NULL;
  size_t len = 0;
  rd_bld_init(&b, 1 << 20);
  if (rd_probe_wants_send(p))
    rd_probe_pull(p, &b, now);
  if (rd_bld_finish(&b, &bytes, &len))
    free(bytes);
}

static void receive(rd_probe *p, const uint8_t *in, size_t n, rd_us now) {
  if (stream_len + n > sizeof stream)
    n = sizeof stream - stream_len;
  memcpy(stream + stream_len, in, n);
  stream_len += n;
  size_t off = 0;
  while (off < stream_len) {
    size_t need = rd_probe_need(p, stream + off, stream_len - off);
    if (need == 0 || need > stream_len - off)
      break;
    rd_probe_feed(p, stream + off, need, now);
    pull(p, now);
    off += need;
  }
  memmove(stream, stream + off, stream_len - off);
  stream_len -= off;
  if (stream_len > 0)
    rd_probe_partial(p, stream, stream_len, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t requests[] = {0, 1, 2, 3, 11, 4, 8, 10};
  static const rd_tls_end ends[] = {RD_TLS_END_OK, RD_TLS_END_FAILED, RD_TLS_END_CLOSED, RD_TLS_END_RESET};
  rd_probe_facts facts;
  rd_probe probe;
  rd_auth_input input;
  rd_credssp_auth auth;
  if (size < 2)
    return 0;
  if (cert_der == NULL) {
    if ((cert_len = rd_test_selfsigned("fuzz", 1, &cert_der)) == 0)
      abort();
    crypto = rd_crypto_new(NULL);
  }
  memset(&facts, 0, sizeof facts);
  memset(&auth, 0, sizeof auth);
  facts.req.kind = data[0] & 0x80 ? RD_PROBE_TLS_VERSION : RD_PROBE_NEGO;
  facts.req.legacy = (data[0] & 0x40) != 0;
  facts.req.session = (data[0] & 0x20) != 0;
  facts.req.protocols = requests[data[0] & 0x07];
  facts.req.logon = facts.req.session && (data[0] & 0x08) != 0;
  stream_len = 0;
  rd_us now = 1000, step = 3000000;
  rd_probe_init(&probe, &facts, step);
  probe.crypto = &crypto_once;
  probe.logon_until = now + 4 * step; /* as the check sets it: its deadline less a margin */
  if ((data[0] & 0x08) && !facts.req.session) /* the check never enumerates on a session probe */
    probe.enum_offer = data[0] & 0x10 ? 0x10 : 0x01;
  rd_probe_launch(&probe, now);
  rd_probe_connected(&probe, RD_CONN_OK, NULL, 100, 0, now += 100);
  pull(&probe, now);

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
    rd_tls_request tls;
    if (rd_probe_wants_tls(&probe, &tls)) {
      /* This chunk is the handshake's ciphertext; then the handshake ends. */
      rd_probe_tls_bytes(&probe, data + i, chunk);
      rd_tls_event ev = {.end = ends[data[1] & 3], .alert = -1, .version = 0x0303, .version_name = "TLSv1.2",
                         .cipher = "fuzz", .cert_der = cert_der, .cert_len = (size_t)cert_len};
      rd_probe_tls_done(&probe, &ev, now);
      pull(&probe, now);
    } else {
      receive(&probe, data + i, chunk, now);
    }
    i += chunk;
    if (rd_probe_wants_auth(&probe)) {
      bool grant = (data[1] & 0x04) && crypto != NULL &&
                   rd_auth_input_init(&input, "user", "DOMAIN", "Passw0rd!", "fuzz.test", 1700000000000, crypto) == 0;
      auth.in = &input;
      rd_probe_grant_auth(&probe, grant ? &auth : NULL, now);
      pull(&probe, now);
    }
  }
  if (!rd_probe_done(&probe)) {
    switch (data[1] >> 6) {
    case 0:
      /* Deadlines in turn, a pull after each, as the engine does: a --logon probe whose wait ran
       * out still sends its Shutdown Request and, unanswered, its ultimatum. */
      for (int k = 0; k < 8 && !rd_probe_done(&probe); k++) {
        rd_probe_expire(&probe, rd_probe_deadline(&probe));
        pull(&probe, rd_probe_deadline(&probe) != RD_US_NONE ? rd_probe_deadline(&probe) : now);
      }
      break;
    case 1:
      rd_probe_eof(&probe, false, now + 1);
      break;
    case 2:
      rd_probe_eof(&probe, true, now + 1);
      break;
    default:
      rd_probe_cut(&probe, now + 1);
      break;
    }
  }
  bool bad = !rd_probe_done(&probe) || facts.reply_len > sizeof facts.reply ||
             facts.tls.n_first_bytes > sizeof facts.tls.first_bytes || rd_probe_deadline(&probe) != RD_US_NONE;
  rd_probe_cleanup(&probe);
  rd_probe_facts_clear_names(&facts);
  rd_credssp_auth_clear(&auth);
  if (bad)
    __builtin_trap();
  return 0;
}
