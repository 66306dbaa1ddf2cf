/* The probe's licensing exchange ([MS-RDPELE] 1.3.3, 3.2.5; [MS-RDPBCGR] 2.2.1.12): a server in
 * a licensing mode (Windows with a license server, xrdp) sends a License Request; a client answers
 * with a New License Request (a premaster secret under the server's licensing key), then a
 * Platform Challenge Response; the server ends with a license or "valid client". A server without
 * licensing sends "valid client" at once. The crypto is auth/rdpsec's (OpenSSL). */
#define RD_PROBE_INTERNAL
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "auth/rdpsec.h"
#include "core/err.h"
#include "core/license.h"
#include "core/sec.h"
#include "core/wipe.h"

#define HWID_LEN 20 /* PlatformId then 16 bytes ([MS-RDPELE] 2.2.2.3.1) */
#define CLIENT_NAME "rdpdoctor"

struct rd_probe_license {
  rd_rdpsec_lib *lib;   /* the check's (borrowed) or, without one, our own */
  bool own_lib;
  uint8_t mac_salt_key[RD_RDPSEC_LICENSE_KEY_LEN];
  uint8_t license_key[RD_RDPSEC_LICENSE_KEY_LEN];
};

void rd_probe_license_free(rd_probe *p) {
  if (p->license == NULL)
    return;
  if (p->license->own_lib)
    rd_rdpsec_lib_free(p->license->lib);
  rd_wipe(p->license, sizeof *p->license);
  free(p->license);
  p->license = NULL;
}

/* The licensing PDU behind a basic security header with SEC_LICENSE_PKT, into p->pending. */
static int hold_pdu(rd_probe *p, rd_bld *msg_bld) {
  uint8_t *msg = NULL, *pdu = NULL;
  size_t msg_len = 0, pdu_len = 0;
  rd_bld b;
  if (!rd_bld_finish(msg_bld, &msg, &msg_len))
    return RD_E_NOMEM;
  rd_sec_header h = {.flags = RD_SEC_LICENSE_PKT};
  rd_bld_init(&b, 1u << 16);
  int r = rd_sec_encode_header(&h, RD_SEC_HDR_BASIC, &b);
  if (r == 0 && !rd_bld_add_bytes(&b, msg, msg_len))
    r = RD_E_NOMEM;
  free(msg);
  if (r != 0 || !rd_bld_finish(&b, &pdu, &pdu_len)) {
    rd_bld_cleanup(&b);
    return r != 0 ? r : RD_E_NOMEM;
  }
  rd_probe_drop_pending(p);
  p->pending = pdu;
  p->pending_len = pdu_len;
  return 0;
}

/* The server's licensing key: the certificate in the License Request — a proprietary one's RSA1
 * key, or the RSA key of an X.509 chain's last certificate (what a server with an activated
 * license server sends; the chain is not validated, as a client takes it on trust) — else (an
 * empty blob, as Windows sends under Standard RDP Security) the key of its security data. An
 * X.509 key's modulus goes to `modulus` (cap bytes), which cert->key then points at. */
static int licensing_key(const rd_probe *p, const rd_license_msg *m, rd_sec_server_cert *cert, uint8_t *modulus,
                         size_t cap) {
  rd_cur c = m->certificate.data, leaf;
  if (rd_cur_len(&c) == 0 && rd_probe_rdpsec_key(p) != NULL) {
    memset(cert, 0, sizeof *cert);
    cert->version = RD_SEC_CERT_CHAIN_VERSION_1;
    cert->key = *rd_probe_rdpsec_key(p);
    return 0;
  }
  if (rd_cur_len(&c) == 0 || rd_sec_decode_server_cert(&c, cert) != 0)
    return RD_E_MALFORMED;
  if (cert->version == RD_SEC_CERT_CHAIN_VERSION_1)
    return 0;
  if (!rd_sec_server_cert_leaf(cert, &leaf))
    return RD_E_MALFORMED;
  int r = rd_rdpsec_x509_key(p->license->lib, rd_cur_data(&leaf), rd_cur_len(&leaf), modulus, cap, &cert->key);
  return r == RD_E_TOO_BIG ? RD_E_UNSUPPORTED : r;
}

int rd_probe_license_request(rd_probe *p, const rd_license_msg *m) {
  rd_sec_server_cert cert;
  uint8_t client_random[RD_SEC_RANDOM_LEN], premaster[RD_RDPSEC_PREMASTER_LEN], enc[2048 / 8 + 8 + 512];
  uint8_t modulus[512]; /* an X.509 key up to 4096 bits */
  size_t enc_len = 0;
  const char *why = NULL;
  int r;
  if (p->license == NULL && (p->license = calloc(1, sizeof *p->license)) == NULL)
    return RD_E_NOMEM;
  if (p->license->lib == NULL && p->crypto != NULL)
    p->license->lib = rd_crypto_once_get(p->crypto);
  if (p->license->lib == NULL) {
    if ((p->license->lib = rd_rdpsec_lib_new(&why)) == NULL)
      return RD_E_NOMEM;
    p->license->own_lib = true;
  }
  if ((r = licensing_key(p, m, &cert, modulus, sizeof modulus)) != 0)
    return r;
  rd_rdpsec_lib *lib = p->license->lib;
  if ((r = rd_rdpsec_random(lib, client_random, sizeof client_random)) != 0 ||
      (r = rd_rdpsec_random(lib, premaster, sizeof premaster)) != 0 ||
      (r = rd_rdpsec_encrypt_random(lib, &cert.key, premaster, sizeof premaster, enc, sizeof enc - 8, &enc_len)) != 0 ||
      (r = rd_rdpsec_license_keys(lib, client_random, m->server_random, premaster, p->license->mac_salt_key,
                                  p->license->license_key)) != 0) {
    rd_wipe(premaster, sizeof premaster);
    return r;
  }
  rd_wipe(premaster, sizeof premaster);
  memset(enc + enc_len, 0, 8); /* the RSA result, then 8 zero bytes */
  enc_len += 8;
  rd_bld b;
  rd_bld_init(&b, 1u << 16);
  r = rd_license_encode_new_license_request(RD_LIC_PREAMBLE_VERSION_3_0 | RD_LIC_EXTENDED_ERROR_MSG_SUPPORTED,
                                            client_random, enc, enc_len, CLIENT_NAME, CLIENT_NAME, &b);
  if (r != 0) {
    rd_bld_cleanup(&b);
    return r;
  }
  return hold_pdu(p, &b);
}

int rd_probe_license_challenge(rd_probe *p, const rd_license_msg *m) {
  if (p->license == NULL || p->license->lib == NULL)
    return RD_E_STATE; /* a challenge before any request of ours */
  rd_rdpsec_lib *lib = p->license->lib;
  size_t n = rd_cur_len(&m->encrypted_challenge.data);
  uint8_t *challenge = malloc(n ? n : 1);
  uint8_t hwid[HWID_LEN] = {0};
  uint8_t *resp = NULL, *both = NULL, mac[RD_LIC_MAC_LEN];
  size_t resp_len = 0;
  rd_bld rb, out;
  int r = challenge == NULL ? RD_E_NOMEM : rd_rdpsec_license_rc4(lib, p->license->license_key,
                                                                   rd_cur_data(&m->encrypted_challenge.data), n,
                                                                   challenge);
  rd_bld_init(&rb, 4096);
  rd_bld_init(&out, 1u << 16);
  if (r == 0)
    r = rd_license_add_challenge_response_data(RD_LIC_OTHER_PLATFORM_CHALLENGE_TYPE, challenge, n, &rb);
  if (r == 0 && !rd_bld_finish(&rb, &resp, &resp_len))
    r = RD_E_NOMEM;
  hwid[0] = (uint8_t)(RD_LIC_PLATFORM_ID & 0xff), hwid[1] = (uint8_t)(RD_LIC_PLATFORM_ID >> 8 & 0xff);
  hwid[2] = (uint8_t)(RD_LIC_PLATFORM_ID >> 16 & 0xff), hwid[3] = (uint8_t)(RD_LIC_PLATFORM_ID >> 24);
  memcpy(hwid + 4, "rdpdoctor-probe!", 16);
  /* The MAC covers both plaintexts; each is then encrypted with a fresh RC4 stream. */
  if (r == 0 && (both = malloc(resp_len + HWID_LEN)) == NULL)
    r = RD_E_NOMEM;
  if (r == 0) {
    memcpy(both, resp, resp_len);
    memcpy(both + resp_len, hwid, HWID_LEN);
    r = rd_rdpsec_license_mac(lib, p->license->mac_salt_key, both, resp_len + HWID_LEN, mac);
  }
  if (r == 0)
    r = rd_rdpsec_license_rc4(lib, p->license->license_key, resp, resp_len, resp);
  if (r == 0)
    r = rd_rdpsec_license_rc4(lib, p->license->license_key, hwid, HWID_LEN, hwid);
  if (r == 0)
    r = rd_license_encode_platform_challenge_response(RD_LIC_PREAMBLE_VERSION_3_0 |
                                                          RD_LIC_EXTENDED_ERROR_MSG_SUPPORTED,
                                                      resp, resp_len, hwid, HWID_LEN, mac, &out);
  rd_bld_cleanup(&rb);
  free(challenge);
  free(resp);
  free(both);
  if (r != 0) {
    rd_bld_cleanup(&out);
    return r;
  }
  return hold_pdu(p, &out);
}
