/* The Client Info PDU's payload ([MS-RDPBCGR] 2.2.1.11.1.1 TS_INFO_PACKET with
 * 2.2.1.11.1.1.1 TS_EXTENDED_INFO_PACKET): the client's code page and flags, the domain, user name
 * and password the server may log on with (auto-logon), the shell and working directory, then the
 * client's address, directory, time zone (2.2.1.11.1.1.1.1 TS_TIME_ZONE_INFORMATION), session id and
 * performance flags. It is the first PDU after the channel joins; 0x7/0x9/0xA errorInfo answers to
 * it come from the server's logon policy (test-lab §10).
 *
 * Strings are always sent as UTF-16LE (INFO_UNICODE is always set). For the five strings of
 * TS_INFO_PACKET the cb fields count the bytes without the two-byte terminator that follows each;
 * for clientAddress and clientDir of TS_EXTENDED_INFO_PACKET the cb fields include it. All integers
 * are little-endian.
 *
 * The password. The encoder reads the caller's UTF-8 password and writes its UTF-16LE form straight
 * into the builder's buffer; it keeps no copy and allocates nothing else. It reserves the whole
 * packet in one step before writing any string, so no regrowth of the builder while encoding moves a
 * copy into freed memory. The builder's buffer then holds the password: the caller wipes the
 * finished bytes with rd_wipe (core/wipe.h) before freeing them (also when sending failed), and
 * appends nothing to that builder tree after rd_info_encode (a regrowth would leave a copy behind in
 * freed memory); closing children (the TPKT, the MCS and security headers written before) does not
 * grow it. */
#ifndef RD_CORE_INFO_H
#define RD_CORE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"

/* TS_INFO_PACKET flags (2.2.1.11.1.1). */
#define RD_INFO_MOUSE                  0x00000001u
#define RD_INFO_DISABLECTRLALTDEL      0x00000002u
#define RD_INFO_AUTOLOGON              0x00000008u
#define RD_INFO_UNICODE                0x00000010u
#define RD_INFO_MAXIMIZESHELL          0x00000020u
#define RD_INFO_LOGONNOTIFY            0x00000040u
#define RD_INFO_COMPRESSION            0x00000080u
#define RD_INFO_ENABLEWINDOWSKEY       0x00000100u
#define RD_INFO_REMOTECONSOLEAUDIO     0x00002000u
#define RD_INFO_FORCE_ENCRYPTED_CS_PDU 0x00004000u
#define RD_INFO_RAIL                   0x00008000u
#define RD_INFO_LOGONERRORS            0x00010000u
#define RD_INFO_MOUSE_HAS_WHEEL        0x00020000u
#define RD_INFO_PASSWORD_IS_SC_PIN     0x00040000u
#define RD_INFO_NOAUDIOPLAYBACK        0x00080000u
#define RD_INFO_USING_SAVED_CREDS      0x00100000u
#define RD_INFO_AUDIOCAPTURE           0x00200000u
#define RD_INFO_VIDEO_DISABLE          0x00400000u
#define RD_INFO_HIDEF_RAIL_SUPPORTED   0x02000000u
/* CompressionTypeMask (bits 9-12): 0 8K, 1 64K, 2 RDP 6.0, 3 RDP 6.1. */
#define RD_INFO_COMPRESSION_TYPE_MASK  0x00001E00u

/* What a diagnosing client asks for: no compression, no audio; logon notifications and logon
 * errors (the Save Session Info PDUs that say whether the logon went through) wanted. */
#define RD_INFO_FLAGS_PROBE                                                                       \
  (RD_INFO_MOUSE | RD_INFO_DISABLECTRLALTDEL | RD_INFO_UNICODE | RD_INFO_MAXIMIZESHELL |          \
   RD_INFO_LOGONNOTIFY | RD_INFO_ENABLEWINDOWSKEY | RD_INFO_LOGONERRORS |                        \
   RD_INFO_NOAUDIOPLAYBACK)

/* clientAddressFamily (2.2.1.11.1.1.1). */
#define RD_INFO_AF_INET  0x0002
#define RD_INFO_AF_INET6 0x0017

/* performanceFlags (2.2.1.11.1.1.1). */
#define RD_INFO_PERF_DISABLE_WALLPAPER          0x00000001u
#define RD_INFO_PERF_DISABLE_FULLWINDOWDRAG     0x00000002u
#define RD_INFO_PERF_DISABLE_MENUANIMATIONS     0x00000004u
#define RD_INFO_PERF_DISABLE_THEMING            0x00000008u
#define RD_INFO_PERF_DISABLE_CURSOR_SHADOW      0x00000020u
#define RD_INFO_PERF_DISABLE_CURSORSETTINGS     0x00000040u
#define RD_INFO_PERF_ENABLE_FONT_SMOOTHING      0x00000080u
#define RD_INFO_PERF_ENABLE_DESKTOP_COMPOSITION 0x00000100u

/* Limits of 2.2.1.11.1.1 / 2.2.1.11.1.1.1 in bytes of UTF-16LE: the TS_INFO_PACKET strings without
 * their terminator, clientAddress and clientDir with it. */
#define RD_INFO_MAX_STRING  512
#define RD_INFO_MAX_ADDRESS 80
#define RD_INFO_MAX_DIR     512

#define RD_INFO_TIME_ZONE_LEN 172

/* TS_SYSTEMTIME (2.2.1.11.1.1.1.1.1): when daylight time starts or ends; all zero = none. */
typedef struct rd_info_systime {
  uint16_t year, month, day_of_week, day, hour, minute, second, milliseconds;
} rd_info_systime;

/* TS_TIME_ZONE_INFORMATION, 172 bytes on the wire. The names are 32 UTF-16 code units each,
 * NUL-padded, exactly as sent. */
typedef struct rd_info_time_zone {
  int32_t bias; /* minutes, UTC = local + bias */
  uint16_t standard_name[32];
  rd_info_systime standard_date;
  int32_t standard_bias;
  uint16_t daylight_name[32];
  rd_info_systime daylight_date;
  int32_t daylight_bias;
} rd_info_time_zone;

/* What the encoder sends. Strings are NUL-terminated UTF-8, NULL meaning empty; all are borrowed
 * and only read during rd_info_encode. */
typedef struct rd_info_client {
  uint32_t code_page; /* the active input locale identifier, e.g. 0x04090409 */
  uint32_t flags;     /* RD_INFO_*; INFO_UNICODE is always added, INFO_AUTOLOGON when a password is
                         given (it is never removed: a caller may ask for auto-logon without one) */
  const char *domain, *user, *password, *alt_shell, *work_dir;
  uint16_t address_family; /* RD_INFO_AF_INET (0 is taken as RD_INFO_AF_INET) */
  const char *client_address, *client_dir;
  rd_info_time_zone time_zone;
  uint32_t session_id; /* 0 for a new connection */
  uint32_t performance_flags;
} rd_info_client;

/* Appends the TS_INFO_PACKET (with the extended info up to and including cbAutoReconnectCookie = 0,
 * no cookie) to b; the caller writes the security header (SEC_INFO_PKT) before it. Returns 0;
 * RD_E_INVALID for a NULL argument, a string that is not well-formed UTF-8 or longer than the
 * RD_INFO_MAX_* limits; RD_E_NOMEM when the builder failed (then also sticky in b). */
int rd_info_encode(const rd_info_client *info, rd_bld *b);

/* The decoded packet. Strings are borrowed spans of UTF-16LE without their terminator. The optional
 * tail of TS_EXTENDED_INFO_PACKET is read field by field as far as it goes; what follows the
 * auto-reconnect cookie (reserved1/2 and the dynamic DST fields) is left in `rest`, not read. */
typedef struct rd_info_packet {
  uint32_t code_page, flags;
  rd_cur domain, user, password, alt_shell, work_dir;
  bool has_extended;
  uint16_t address_family;
  rd_cur client_address, client_dir;
  bool has_time_zone, has_session_id, has_performance_flags, has_auto_reconnect;
  rd_info_time_zone time_zone;
  uint32_t session_id, performance_flags;
  rd_cur auto_reconnect_cookie; /* cbAutoReconnectCookie bytes (at most 128) */
  rd_cur rest;
} rd_info_packet;

/* Reads a TS_INFO_PACKET that fills c (the payload after the security header) and consumes it.
 * Returns 0, or RD_E_MALFORMED (INFO_UNICODE not set: the ANSI form is not read; an odd string size,
 * a missing terminator, a field cut short, a size over its limit) leaving c where it was. */
int rd_info_decode(rd_cur *c, rd_info_packet *out);

#endif
