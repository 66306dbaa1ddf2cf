/* The NTLM messages: NEGOTIATE_MESSAGE out, CHALLENGE_MESSAGE in, and with credentials the
 * AUTHENTICATE_MESSAGE out ([MS-NLMP] 2.2.1.1-2.2.1.3, 2.2.2.1, 2.2.2.10; reference §4.5, §4.6).
 * The CHALLENGE tells the server's names, domain, OS build and clock before any authentication,
 * as nmap's rdp-ntlm-info reads them. The cryptography of an authentication is src/auth's.
 *
 * All integers are little-endian. Payload fields (TargetName, TargetInfo) are Len(2) MaxLen(2)
 * BufferOffset(4) triples whose offsets count from the "NTLMSSP\0" signature; MaxLen is ignored as
 * MS-NLMP says a receiver should. */
#ifndef RD_CORE_NTLM_H
#define RD_CORE_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* "NTLMSSP\0": 8 bytes that start every NTLM message. */
#define RD_NTLM_SSP_ID     "NTLMSSP"
#define RD_NTLM_SSP_ID_LEN 8

/* MessageType. */
#define RD_NTLM_MSG_NEGOTIATE    1u
#define RD_NTLM_MSG_CHALLENGE    2u
#define RD_NTLM_MSG_AUTHENTICATE 3u

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define RD_NTLM_NEGOTIATE_56                       0x80000000u
#define RD_NTLM_NEGOTIATE_KEY_EXCH                 0x40000000u
#define RD_NTLM_NEGOTIATE_128                      0x20000000u
#define RD_NTLM_NEGOTIATE_VERSION                  0x02000000u
#define RD_NTLM_NEGOTIATE_TARGET_INFO              0x00800000u
#define RD_NTLM_REQUEST_NON_NT_SESSION_KEY         0x00400000u
#define RD_NTLM_NEGOTIATE_IDENTIFY                 0x00100000u
#define RD_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define RD_NTLM_TARGET_TYPE_SERVER                 0x00020000u
#define RD_NTLM_TARGET_TYPE_DOMAIN                 0x00010000u
#define RD_NTLM_NEGOTIATE_ALWAYS_SIGN              0x00008000u
#define RD_NTLM_NEGOTIATE_WORKSTATION_SUPPLIED     0x00002000u
#define RD_NTLM_NEGOTIATE_DOMAIN_SUPPLIED          0x00001000u
#define RD_NTLM_NEGOTIATE_ANONYMOUS                0x00000800u
#define RD_NTLM_NEGOTIATE_NTLM                     0x00000200u
#define RD_NTLM_NEGOTIATE_LM_KEY                   0x00000080u
#define RD_NTLM_NEGOTIATE_DATAGRAM                 0x00000040u
#define RD_NTLM_NEGOTIATE_SEAL                     0x00000020u
#define RD_NTLM_NEGOTIATE_SIGN                     0x00000010u
#define RD_NTLM_REQUEST_TARGET                     0x00000004u
#define RD_NTLM_NEGOTIATE_OEM                      0x00000002u
#define RD_NTLM_NEGOTIATE_UNICODE                  0x00000001u

/* What nmap's rdp-ntlm-info sends (reference §4.5): 56, KEY_EXCH, 128, VERSION, extended session
 * security, ALWAYS_SIGN, NTLM, LM_KEY, SEAL, SIGN, REQUEST_TARGET, OEM, UNICODE. */
#define RD_NTLM_NEGOTIATE_FLAGS_DEFAULT 0xE20882B7u

/* AvId of an AV_PAIR (MS-NLMP 2.2.2.1). */
#define RD_NTLM_AV_EOL              0
#define RD_NTLM_AV_NB_COMPUTER      1
#define RD_NTLM_AV_NB_DOMAIN        2
#define RD_NTLM_AV_DNS_COMPUTER     3
#define RD_NTLM_AV_DNS_DOMAIN       4
#define RD_NTLM_AV_DNS_TREE         5
#define RD_NTLM_AV_FLAGS            6
#define RD_NTLM_AV_TIMESTAMP        7
#define RD_NTLM_AV_SINGLE_HOST      8
#define RD_NTLM_AV_TARGET_NAME      9
#define RD_NTLM_AV_CHANNEL_BINDINGS 10

/* The VERSION structure (MS-NLMP 2.2.2.10): the OS version, for debugging only, which is exactly
 * what a diagnosis wants. On the wire: major(1) minor(1) build(2) reserved(3) = 0, revision(1). */
typedef struct rd_ntlm_version {
  uint8_t major, minor;
  uint16_t build;
  uint8_t revision; /* NTLMRevisionCurrent: 15 (NTLMSSP_REVISION_W2K3) */
} rd_ntlm_version;

/* Initializer for the version nmap announces: Windows 10.0 build 17763, revision 15. */
#define RD_NTLM_VERSION_DEFAULT {10, 0, 17763, 15}

/* Appends a 40-byte NEGOTIATE_MESSAGE to b: flags, no domain and no workstation (their fields are
 * all zero, as nmap and sspi-rs send them), and version when flags carry
 * RD_NTLM_NEGOTIATE_VERSION (zeros otherwise, as 2.2.1.1 requires). version NULL means
 * RD_NTLM_VERSION_DEFAULT (10.0.17763, revision 15). RD_E_INVALID if flags announce a domain or
 * workstation (this message carries neither); RD_E_NOMEM if the builder has failed. */
int rd_ntlm_encode_negotiate(uint32_t flags, const rd_ntlm_version *version, rd_bld *b);

/* AvFlags bit (MS-NLMP 2.2.2.1): the AUTHENTICATE message carries a MIC. */
#define RD_NTLM_AV_FLAG_MIC_PRESENT 0x00000002u

/* Offsets in an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): the fixed part ends at 64, the Version
 * follows, then the MIC, then (at 88) the payload. */
#define RD_NTLM_AUTHENTICATE_VERSION_OFFSET 64
#define RD_NTLM_AUTHENTICATE_MIC_OFFSET     72
#define RD_NTLM_AUTHENTICATE_HEADER_LEN     88
#define RD_NTLM_MIC_LEN                     16

/* What an AUTHENTICATE_MESSAGE carries. Byte spans are borrowed (NULL with length 0 for an empty
 * one). Names are NUL-terminated UTF-8 (NULL means empty), sent as UTF-16LE and not uppercased:
 * the uppercasing NTOWFv2 does to the user name is its own business. */
typedef struct rd_ntlm_authenticate {
  uint32_t flags;                /* NegotiateFlags: the server's, as the client accepts them */
  const uint8_t *lm_response;    /* LmChallengeResponse (24 bytes for LMv2, or Z(24)) */
  size_t lm_len;
  const uint8_t *nt_response;    /* NtChallengeResponse: NTProofStr ‖ temp */
  size_t nt_len;
  const char *domain, *user, *workstation;
  const uint8_t *encrypted_session_key; /* EncryptedRandomSessionKey, with KEY_EXCH (16 bytes) */
  size_t esk_len;
  rd_ntlm_version version;       /* written with RD_NTLM_NEGOTIATE_VERSION, zeros otherwise */
  bool with_mic;                 /* reserve the 16-byte MIC */
} rd_ntlm_authenticate;

/* Appends the AUTHENTICATE_MESSAGE for a to b. The header is 64 bytes, then the Version (8) when
 * flags carry RD_NTLM_NEGOTIATE_VERSION or with_mic is set (all zero without the flag, since the
 * MIC sits behind it), then with with_mic 16 zero bytes for the MIC: 88 bytes with both, 72 with
 * the Version alone (as in MS-NLMP 4.2.4.3's example). The payload follows in the order Windows
 * writes it: domain, user, workstation, LM response, NT response, session key; every field's
 * BufferOffset points at its bytes even when it is empty. *mic_offset (when not NULL) gets the
 * MIC's offset from the message's first byte, RD_NTLM_AUTHENTICATE_MIC_OFFSET, or 0 without
 * with_mic: the caller computes the MIC over the finished message with these zeros in place
 * (rd_ntlm_mic) and copies it there. Returns 0; RD_E_INVALID for a NULL a, a NULL span with a
 * length, flags without RD_NTLM_NEGOTIATE_UNICODE (names are always UTF-16LE), or a field over
 * 65535 bytes; RD_E_MALFORMED for a name that is not well-formed UTF-8 (see utf16.h); RD_E_NOMEM
 * if the builder has failed. On an argument error nothing is appended. */
int rd_ntlm_encode_authenticate(const rd_ntlm_authenticate *a, rd_bld *b, size_t *mic_offset);

/* Appends the AV_PAIR list a client puts into its NTLMv2 response (MS-NLMP 3.1.5.1.2): the
 * server's pairs from its CHALLENGE's TargetInfo (rd_ntlm_challenge.target_info) in their order,
 * without the MsvAvEOL and what follows it; one MsvAvFlags, the server's first with
 * RD_NTLM_AV_FLAG_MIC_PRESENT set (a repeat is dropped), added after the copied pairs when the
 * server sent none; then, when spn_or_null is neither NULL nor empty, MsvAvTargetName with its
 * UTF-16LE (e.g. "TERMSRV/host"), replacing any the server sent; then MsvAvEOL. An empty
 * server_target_info (an old server) yields the added pairs only. The list is checked as
 * rd_ntlm_decode_challenge checks it, so what that accepted is accepted here. Returns 0;
 * RD_E_MALFORMED for a non-empty list that runs past its end, has no MsvAvEOL or an EOL with a
 * non-zero AvLen, or whose first MsvAvFlags is not 4 bytes, and for an SPN
 * that is not well-formed UTF-8; RD_E_INVALID for an SPN over 65535 bytes of UTF-16LE; RD_E_NOMEM
 * if the builder has failed. Nothing is appended unless it returns 0 or RD_E_NOMEM. */
int rd_ntlm_target_info_for_authenticate(rd_cur server_target_info, const char *spn_or_null,
                                         rd_bld *b);

/* Locates an NTLM message inside a negoToken that is either a raw NTLMSSP message or a wrapper
 * around one (SPNEGO's NegTokenResp carries it in responseToken), by finding the first
 * "NTLMSSP\0", as nmap does. Sets *msg to the bytes from there to the end of p[0..n) (borrowed):
 * a wrapper's bytes after the message stay in it, which the CHALLENGE decoder tolerates. Returns 0,
 * or RD_E_MALFORMED when there is no signature (a Kerberos token, or not NTLM at all). */
int rd_ntlm_find(const uint8_t *p, size_t n, rd_cur *msg);

/* Bytes of a name in UTF-8 including its NUL. NetBIOS names have 15 characters and DNS names 255;
 * a longer name is cut at a character boundary and its truncated bit set. */
#define RD_NTLM_NAME_MAX 256

/* Bits of rd_ntlm_challenge.truncated: which names were cut to RD_NTLM_NAME_MAX. */
#define RD_NTLM_TRUNC_TARGET_NAME  0x01u
#define RD_NTLM_TRUNC_NB_COMPUTER  0x02u
#define RD_NTLM_TRUNC_NB_DOMAIN    0x04u
#define RD_NTLM_TRUNC_DNS_COMPUTER 0x08u
#define RD_NTLM_TRUNC_DNS_DOMAIN   0x10u
#define RD_NTLM_TRUNC_DNS_TREE     0x20u

/* A decoded CHALLENGE_MESSAGE. Names are NUL-terminated UTF-8, empty when absent; UTF-16 that is
 * not valid (an unpaired surrogate) and U+0000 (which would end the C string early) become U+FFFD.
 * Control characters are kept: escaping them for output is the report's business. */
typedef struct rd_ntlm_challenge {
  uint32_t flags;              /* NegotiateFlags the server chose */
  uint8_t server_challenge[8];
  char target_name[RD_NTLM_NAME_MAX]; /* TargetName: the domain, or the server without one */
  bool version_present;        /* RD_NTLM_NEGOTIATE_VERSION set and the field before the payload */
  rd_ntlm_version version;
  bool target_info_present;    /* a non-empty TargetInfo; the AV pairs below come from it */
  rd_cur target_info;          /* raw AV_PAIR list (borrowed) for the AUTHENTICATE message */
  char nb_computer[RD_NTLM_NAME_MAX];  /* MsvAvNbComputerName */
  char nb_domain[RD_NTLM_NAME_MAX];    /* MsvAvNbDomainName */
  char dns_computer[RD_NTLM_NAME_MAX]; /* MsvAvDnsComputerName */
  char dns_domain[RD_NTLM_NAME_MAX];   /* MsvAvDnsDomainName */
  char dns_tree[RD_NTLM_NAME_MAX];     /* MsvAvDnsTreeName (the forest) */
  bool av_flags_present;       /* MsvAvFlags */
  uint32_t av_flags;
  bool timestamp_present;      /* MsvAvTimestamp: the server's clock, see rd_ntlm_filetime_to_unix */
  uint64_t timestamp;          /* FILETIME: 100 ns since 1601-01-01 UTC */
  bool single_host_present;    /* MsvAvSingleHost */
  bool av_target_name_present; /* MsvAvTargetName */
  bool channel_bindings_present; /* MsvAvChannelBindings */
  unsigned truncated;          /* RD_NTLM_TRUNC_* */
} rd_ntlm_challenge;

/* Decodes the CHALLENGE_MESSAGE that starts at c (from rd_ntlm_find) and extends at most to its end.
 * The message has no length of its own, so every byte of c is taken as the message: offsets are
 * checked against it and it is consumed whole. Fixed part: signature, MessageType 2, TargetName
 * fields, flags and ServerChallenge (32 bytes) are required; as in very old servers' messages,
 * the TargetInfo fields (bytes 40..48) and the Version (48..56) exist only when the payload starts
 * after them, and the Version only with RD_NTLM_NEGOTIATE_VERSION. TargetName is UTF-16LE with
 * RD_NTLM_NEGOTIATE_UNICODE, otherwise OEM bytes of which only ASCII is kept (others become U+FFFD).
 * Returns 0, or RD_E_MALFORMED (c unchanged) for: a short message, a wrong signature or type; a
 * non-empty payload field outside the message (fields may overlap each other); an odd UTF-16
 * length (TargetName with UNICODE, string AV pairs); an AV_PAIR running past TargetInfo; an AV list
 * without MsvAvEOL, or an EOL with a non-zero AvLen; MsvAvFlags not 4 or MsvAvTimestamp not 8 bytes.
 * Bytes after the EOL are ignored; so are AvIds this struct has no field for. When an AvId repeats,
 * the first one counts. */
int rd_ntlm_decode_challenge(rd_cur *c, rd_ntlm_challenge *out);

/* Seconds since the Unix epoch for a FILETIME, rounded down: ft / 10^7 - 11644473600 (reference
 * §4.5). Negative before 1970. */
int64_t rd_ntlm_filetime_to_unix(uint64_t ft);

#endif
