/* The knowledge base's code tables (src/kb/kb_tables.c and the .def files): every code of the
 * reference tables is found under its documented name, the rows are well formed, and the codes
 * with no source stay unknown.
 * Expected lists are transcribed from shared/reference/rdp-protocol.md (§1.1 disconnect reasons,
 * §2.1 extended reasons, §2.4 errorInfo, §2.5 licensing and logon errors, §3.6 RDP_NEG_FAILURE,
 * §4.3/§4.4 status values, §6.3 events) and, for ERRCONNECT, from FreeRDP
 * include/freerdp/error.h @9626564 (CONNECT class 2 << 16 | code). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "kb/kb.h"

struct expect {
  uint32_t value;
  const char *name; /* "" where the code has no documented name */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Reference §1.1 (with the RD Gateway codes it names), §2.1, §2.4, §3.6, §2.5; FreeRDP
 * error.h. */
static const struct expect disc_expect[] = {
  {0x0, "disconnectReasonNoInfo"},
  {0x1, "disconnectReasonLocalNotError"},
  {0x2, "disconnectReasonRemoteByUser"},
  {0x3, "disconnectReasonByServer"},
  {0x4, ""},
  {0x104, "disconnectReasonDNSLookupFailed"},
  {0x106, "disconnectReasonOutOfMemory"},
  {0x107, ""},
  {0x108, "disconnectReasonConnectionTimedOut"},
  {0x10A, ""},
  {0x204, "disconnectReasonSocketConnectFailed"},
  {0x206, "disconnectReasonOutOfMemory2"},
  {0x208, "disconnectReasonHostNotFound"},
  {0x20A, ""},
  {0x304, "disconnectReasonWinsockSendFailed"},
  {0x306, "disconnectReasonOutOfMemory3"},
  {0x308, "disconnectReasonInvalidIPAddr"},
  {0x30A, ""},
  {0x404, "disconnectReasonSocketRecvFailed"},
  {0x406, "disconnectReasonInvalidSecurityData"},
  {0x408, "disconnectReasonInternalError"},
  {0x40A, ""},
  {0x506, "disconnectReasonInvalidEncryption"},
  {0x508, "disconnectReasonDNSLookupFailed2"},
  {0x509, ""},
  {0x604, "disconnectReasonGetHostByNameFailed"},
  {0x606, "disconnectReasonInvalidServerSecurityInfo"},
  {0x608, "disconnectReasonTimerError"},
  {0x704, "disconnectReasonTimeoutOccurred"},
  {0x706, "disconnectReasonServerCertificateUnpackErr"},
  {0x708, ""},
  {0x804, "disconnectReasonInvalidIP"},
  {0x807, "SSL_ERR_LOGON_FAILURE"},
  {0x808, "disconnectReasonLicensingFailed"},
  {0x904, "disconnectReasonAtClientWinsockFDCLOSE"},
  {0x906, "disconnectReasonInternalSecurityError"},
  {0x907, ""},
  {0x908, "disconnectReasonLicensingTimeout"},
  {0xA06, "disconnectReasonInternalSecurityError2"},
  {0xA07, "SSL_ERR_NO_SUCH_USER"},
  {0xB04, ""},
  {0xB06, "disconnectReasonEncryptionError"},
  {0xB07, "SSL_ERR_ACCOUNT_DISABLED"},
  {0xB08, ""},
  {0xB09, ""},
  {0xC06, "disconnectReasonDecryptionError"},
  {0xC07, "SSL_ERR_ACCOUNT_RESTRICTION"},
  {0xC08, "disconnectReasonClientDecompressionError"},
  {0xD07, "SSL_ERR_ACCOUNT_LOCKED_OUT"},
  {0xD09, ""},
  {0xE06, ""},
  {0xE07, "SSL_ERR_ACCOUNT_EXPIRED"},
  {0xE08, ""},
  {0xE09, ""},
  {0xF07, "SSL_ERR_PASSWORD_EXPIRED"},
  {0xF08, ""},
  {0x1007, ""},
  {0x1008, ""},
  {0x1107, ""},
  {0x1207, "SSL_ERR_PASSWORD_MUST_CHANGE"},
  {0x1307, ""},
  {0x1407, ""},
  {0x1607, "SSL_ERR_DELEGATION_POLICY"},
  {0x1707, "SSL_ERR_POLICY_NTLM_ONLY"},
  {0x1807, "SSL_ERR_NO_AUTHENTICATING_AUTHORITY"},
  {0x1B07, "SSL_ERR_CERT_EXPIRED"},
  {0x1C07, "SSL_ERR_SMARTCARD_WRONG_PIN"},
  {0x1D07, ""},
  {0x1F07, ""},
  {0x2107, "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER"},
  {0x2207, "SSL_ERR_SMARTCARD_CARD_BLOCKED"},
  {0x2507, ""},
  {0x2604, ""},
  {0x2000001, ""},
  {0x2000002, ""},
  {0x3000001, ""},
  {0x3000002, ""},
  {0x3000003, ""},
  {0x3000006, ""},
  {0x3000007, ""},
  {0x300000C, ""},
  {0x300000D, ""},
  {0x300001B, ""},
  {0x300001C, ""},
};
static const struct expect ext_expect[] = {
  {0x0, "exDiscReasonNoInfo"},
  {0x1, "exDiscReasonAPIInitiatedDisconnect"},
  {0x2, "exDiscReasonAPIInitiatedLogoff"},
  {0x3, "exDiscReasonServerIdleTimeout"},
  {0x4, "exDiscReasonServerLogonTimeout"},
  {0x5, "exDiscReasonReplacedByOtherConnection"},
  {0x6, "exDiscReasonOutOfMemory"},
  {0x7, "exDiscReasonServerDeniedConnection"},
  {0x8, "exDiscReasonServerDeniedConnectionFips"},
  {0x9, "exDiscReasonServerInsufficientPrivileges"},
  {0xA, "exDiscReasonServerFreshCredsRequired"},
  {0xB, "exDiscReasonRpcInitiatedDisconnectByUser"},
  {0xC, "exDiscReasonLogoffByUser"},
  {0x19, "exDiscReasonShutdown"},
  {0x1A, "exDiscReasonReboot"},
  {0x100, "exDiscReasonLicenseInternal"},
  {0x101, "exDiscReasonLicenseNoLicenseServer"},
  {0x102, "exDiscReasonLicenseNoLicense"},
  {0x103, "exDiscReasonLicenseErrClientMsg"},
  {0x104, "exDiscReasonLicenseHwidDoesntMatchLicense"},
  {0x105, "exDiscReasonLicenseErrClientLicense"},
  {0x106, "exDiscReasonLicenseCantFinishProtocol"},
  {0x107, "exDiscReasonLicenseClientEndedProtocol"},
  {0x108, "exDiscReasonLicenseErrClientEncryption"},
  {0x109, "exDiscReasonLicenseCantUpgradeLicense"},
  {0x10A, "exDiscReasonLicenseNoRemoteConnections"},
  {0x10B, "exDiscReasonLicenseCreatingLicStoreAccDenied"},
  {0x300, "exDiscReasonRdpEncInvalidCredentials"},
  {0x1000, "exDiscReasonProtocolRangeStart"},
  {0x7FFF, "exDiscReasonProtocolRangeEnd"},
};
static const struct expect errinfo_expect[] = {
  {0x0, "ERRINFO_NONE"},
  {0x1, "ERRINFO_RPC_INITIATED_DISCONNECT"},
  {0x2, "ERRINFO_RPC_INITIATED_LOGOFF"},
  {0x3, "ERRINFO_IDLE_TIMEOUT"},
  {0x4, "ERRINFO_LOGON_TIMEOUT"},
  {0x5, "ERRINFO_DISCONNECTED_BY_OTHERCONNECTION"},
  {0x6, "ERRINFO_OUT_OF_MEMORY"},
  {0x7, "ERRINFO_SERVER_DENIED_CONNECTION"},
  {0x9, "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES"},
  {0xA, "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED"},
  {0xB, "ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER"},
  {0xC, "ERRINFO_LOGOFF_BY_USER"},
  {0xF, "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY"},
  {0x10, "ERRINFO_SERVER_DWM_CRASH"},
  {0x11, "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE"},
  {0x12, "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE"},
  {0x17, "ERRINFO_SERVER_WINLOGON_CRASH"},
  {0x18, "ERRINFO_SERVER_CSRSS_CRASH"},
  {0x19, "ERRINFO_SERVER_SHUTDOWN"},
  {0x1A, "ERRINFO_SERVER_REBOOT"},
  {0x100, "ERRINFO_LICENSE_INTERNAL"},
  {0x101, "ERRINFO_LICENSE_NO_LICENSE_SERVER"},
  {0x102, "ERRINFO_LICENSE_NO_LICENSE"},
  {0x103, "ERRINFO_LICENSE_BAD_CLIENT_MSG"},
  {0x104, "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE"},
  {0x105, "ERRINFO_LICENSE_BAD_CLIENT_LICENSE"},
  {0x106, "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL"},
  {0x107, "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL"},
  {0x108, "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION"},
  {0x109, "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE"},
  {0x10A, "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS"},
  {0x400, "ERRINFO_CB_DESTINATION_NOT_FOUND"},
  {0x402, "ERRINFO_CB_LOADING_DESTINATION"},
  {0x404, "ERRINFO_CB_REDIRECTING_TO_DESTINATION"},
  {0x405, "ERRINFO_CB_SESSION_ONLINE_VM_WAKE"},
  {0x406, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT"},
  {0x407, "ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS"},
  {0x408, "ERRINFO_CB_DESTINATION_POOL_NOT_FREE"},
  {0x409, "ERRINFO_CB_CONNECTION_CANCELLED"},
  {0x410, "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS"},
  {0x411, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT"},
  {0x412, "ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED"},
  {0x10C9, "ERRINFO_UNKNOWNPDUTYPE2"},
  {0x10CA, "ERRINFO_UNKNOWNPDUTYPE"},
  {0x10CB, "ERRINFO_DATAPDUSEQUENCE"},
  {0x10CD, "ERRINFO_CONTROLPDUSEQUENCE"},
  {0x10CE, "ERRINFO_INVALIDCONTROLPDUACTION"},
  {0x10CF, "ERRINFO_INVALIDINPUTPDUTYPE"},
  {0x10D0, "ERRINFO_INVALIDINPUTPDUMOUSE"},
  {0x10D1, "ERRINFO_INVALIDREFRESHRECTPDU"},
  {0x10D2, "ERRINFO_CREATEUSERDATAFAILED"},
  {0x10D3, "ERRINFO_CONNECTFAILED"},
  {0x10D4, "ERRINFO_CONFIRMACTIVEWRONGSHAREID"},
  {0x10D5, "ERRINFO_CONFIRMACTIVEWRONGORIGINATOR"},
  {0x10DA, "ERRINFO_PERSISTENTKEYPDUBADLENGTH"},
  {0x10DB, "ERRINFO_PERSISTENTKEYPDUILLEGALFIRST"},
  {0x10DC, "ERRINFO_PERSISTENTKEYPDUTOOMANYTOTALKEYS"},
  {0x10DD, "ERRINFO_PERSISTENTKEYPDUTOOMANYCACHEKEYS"},
  {0x10DE, "ERRINFO_INPUTPDUBADLENGTH"},
  {0x10DF, "ERRINFO_BITMAPCACHEERRORPDUBADLENGTH"},
  {0x10E0, "ERRINFO_SECURITYDATATOOSHORT"},
  {0x10E1, "ERRINFO_VCHANNELDATATOOSHORT"},
  {0x10E2, "ERRINFO_SHAREDATATOOSHORT"},
  {0x10E3, "ERRINFO_BADSUPRESSOUTPUTPDU"},
  {0x10E5, "ERRINFO_CONFIRMACTIVEPDUTOOSHORT"},
  {0x10E7, "ERRINFO_CAPABILITYSETTOOSMALL"},
  {0x10E8, "ERRINFO_CAPABILITYSETTOOLARGE"},
  {0x10E9, "ERRINFO_NOCURSORCACHE"},
  {0x10EA, "ERRINFO_BADCAPABILITIES"},
  {0x10EC, "ERRINFO_VIRTUALCHANNELDECOMPRESSIONERR"},
  {0x10ED, "ERRINFO_INVALIDVCCOMPRESSIONTYPE"},
  {0x10EF, "ERRINFO_INVALIDCHANNELID"},
  {0x10F0, "ERRINFO_VCHANNELSTOOMANY"},
  {0x10F3, "ERRINFO_REMOTEAPPSNOTENABLED"},
  {0x10F4, "ERRINFO_CACHECAPNOTSET"},
  {0x10F5, "ERRINFO_BITMAPCACHEERRORPDUBADLENGTH2"},
  {0x10F6, "ERRINFO_OFFSCRCACHEERRORPDUBADLENGTH"},
  {0x10F7, "ERRINFO_DNGCACHEERRORPDUBADLENGTH"},
  {0x10F8, "ERRINFO_GDIPLUSPDUBADLENGTH"},
  {0x1111, "ERRINFO_SECURITYDATATOOSHORT2"},
  {0x1112, "ERRINFO_SECURITYDATATOOSHORT3"},
  {0x1113, "ERRINFO_SECURITYDATATOOSHORT4"},
  {0x1114, "ERRINFO_SECURITYDATATOOSHORT5"},
  {0x1115, "ERRINFO_SECURITYDATATOOSHORT6"},
  {0x1116, "ERRINFO_SECURITYDATATOOSHORT7"},
  {0x1117, "ERRINFO_SECURITYDATATOOSHORT8"},
  {0x1118, "ERRINFO_SECURITYDATATOOSHORT9"},
  {0x1119, "ERRINFO_SECURITYDATATOOSHORT10"},
  {0x111A, "ERRINFO_SECURITYDATATOOSHORT11"},
  {0x111B, "ERRINFO_SECURITYDATATOOSHORT12"},
  {0x111C, "ERRINFO_SECURITYDATATOOSHORT13"},
  {0x111D, "ERRINFO_SECURITYDATATOOSHORT14"},
  {0x111E, "ERRINFO_SECURITYDATATOOSHORT15"},
  {0x111F, "ERRINFO_SECURITYDATATOOSHORT16"},
  {0x1120, "ERRINFO_SECURITYDATATOOSHORT17"},
  {0x1121, "ERRINFO_SECURITYDATATOOSHORT18"},
  {0x1122, "ERRINFO_SECURITYDATATOOSHORT19"},
  {0x1123, "ERRINFO_SECURITYDATATOOSHORT20"},
  {0x1124, "ERRINFO_SECURITYDATATOOSHORT21"},
  {0x1125, "ERRINFO_SECURITYDATATOOSHORT22"},
  {0x1126, "ERRINFO_SECURITYDATATOOSHORT23"},
  {0x1129, "ERRINFO_BADMONITORDATA"},
  {0x112A, "ERRINFO_VCDECOMPRESSEDREASSEMBLEFAILED"},
  {0x112B, "ERRINFO_VCDATATOOLONG"},
  {0x112C, "ERRINFO_BAD_FRAME_ACK_DATA"},
  {0x112D, "ERRINFO_GRAPHICSMODENOTSUPPORTED"},
  {0x112E, "ERRINFO_GRAPHICSSUBSYSTEMRESETFAILED"},
  {0x112F, "ERRINFO_GRAPHICSSUBSYSTEMFAILED"},
  {0x1130, "ERRINFO_TIMEZONEKEYNAMELENGTHTOOSHORT"},
  {0x1131, "ERRINFO_TIMEZONEKEYNAMELENGTHTOOLONG"},
  {0x1132, "ERRINFO_DYNAMICDSTDISABLEDFIELDMISSING"},
  {0x1133, "ERRINFO_VCDECODINGERROR"},
  {0x1134, "ERRINFO_VIRTUALDESKTOPTOOLARGE"},
  {0x1135, "ERRINFO_MONITORGEOMETRYVALIDATIONFAILED"},
  {0x1136, "ERRINFO_INVALIDMONITORCOUNT"},
  {0x1191, "ERRINFO_UPDATESESSIONKEYFAILED"},
  {0x1192, "ERRINFO_DECRYPTFAILED"},
  {0x1193, "ERRINFO_ENCRYPTFAILED"},
  {0x1194, "ERRINFO_ENCPKGMISMATCH"},
  {0x1195, "ERRINFO_DECRYPTFAILED2"},
};
static const struct expect negf_expect[] = {
  {0x1, "SSL_REQUIRED_BY_SERVER"},
  {0x2, "SSL_NOT_ALLOWED_BY_SERVER"},
  {0x3, "SSL_CERT_NOT_ON_SERVER"},
  {0x4, "INCONSISTENT_FLAGS"},
  {0x5, "HYBRID_REQUIRED_BY_SERVER"},
  {0x6, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"},
};
static const struct expect licerr_expect[] = {
  {0x1, "ERR_INVALID_SERVER_CERTIFICATE"},
  {0x2, "ERR_NO_LICENSE"},
  {0x3, "ERR_INVALID_MAC"},
  {0x4, "ERR_INVALID_SCOPE"},
  {0x6, "ERR_NO_LICENSE_SERVER"},
  {0x7, "STATUS_VALID_CLIENT"},
  {0x8, "ERR_INVALID_CLIENT"},
  {0xB, "ERR_INVALID_PRODUCTID"},
  {0xC, "ERR_INVALID_MESSAGE_LEN"},
};
static const struct expect logon_expect[] = {
  {0x0, "LOGON_FAILED_BAD_PASSWORD"},
  {0x1, "LOGON_FAILED_UPDATE_PASSWORD"},
  {0x2, "LOGON_FAILED_OTHER"},
  {0x3, "LOGON_WARNING"},
  {0xFFFFFFF9, "LOGON_MSG_DISCONNECT_REFUSED"},
  {0xFFFFFFFA, "LOGON_MSG_NO_PERMISSION"},
  {0xFFFFFFFB, "LOGON_MSG_BUMP_OPTIONS"},
  {0xFFFFFFFC, "LOGON_MSG_RECONNECT_OPTIONS"},
  {0xFFFFFFFD, "LOGON_MSG_SESSION_TERMINATE"},
  {0xFFFFFFFE, "LOGON_MSG_SESSION_CONTINUE"},
};
static const struct expect errconnect_expect[] = {
  {0x00020001, "ERRCONNECT_PRE_CONNECT_FAILED"},
  {0x00020002, "ERRCONNECT_CONNECT_UNDEFINED"},
  {0x00020003, "ERRCONNECT_POST_CONNECT_FAILED"},
  {0x00020004, "ERRCONNECT_DNS_ERROR"},
  {0x00020005, "ERRCONNECT_DNS_NAME_NOT_FOUND"},
  {0x00020006, "ERRCONNECT_CONNECT_FAILED"},
  {0x00020007, "ERRCONNECT_MCS_CONNECT_INITIAL_ERROR"},
  {0x00020008, "ERRCONNECT_TLS_CONNECT_FAILED"},
  {0x00020009, "ERRCONNECT_AUTHENTICATION_FAILED"},
  {0x0002000A, "ERRCONNECT_INSUFFICIENT_PRIVILEGES"},
  {0x0002000B, "ERRCONNECT_CONNECT_CANCELLED"},
  {0x0002000C, "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED"},
  {0x0002000D, "ERRCONNECT_CONNECT_TRANSPORT_FAILED"},
  {0x0002000E, "ERRCONNECT_PASSWORD_EXPIRED"},
  {0x0002000F, "ERRCONNECT_PASSWORD_CERTAINLY_EXPIRED"},
  {0x00020010, "ERRCONNECT_CLIENT_REVOKED"},
  {0x00020011, "ERRCONNECT_KDC_UNREACHABLE"},
  {0x00020012, "ERRCONNECT_ACCOUNT_DISABLED"},
  {0x00020013, "ERRCONNECT_PASSWORD_MUST_CHANGE"},
  {0x00020014, "ERRCONNECT_LOGON_FAILURE"},
  {0x00020015, "ERRCONNECT_WRONG_PASSWORD"},
  {0x00020016, "ERRCONNECT_ACCESS_DENIED"},
  {0x00020017, "ERRCONNECT_ACCOUNT_RESTRICTION"},
  {0x00020018, "ERRCONNECT_ACCOUNT_LOCKED_OUT"},
  {0x00020019, "ERRCONNECT_ACCOUNT_EXPIRED"},
  {0x0002001A, "ERRCONNECT_LOGON_TYPE_NOT_GRANTED"},
  {0x0002001B, "ERRCONNECT_NO_OR_MISSING_CREDENTIALS"},
  {0x0002001C, "ERRCONNECT_ACTIVATION_TIMEOUT"},
  {0x0002001D, "ERRCONNECT_TARGET_BOOTING"},
  {0x0002001E, "ERRCONNECT_HYBRID_REQUIRED_BY_SERVER"},
};
static const struct expect status_expect[] = {
  {0x00000000, "STATUS_SUCCESS"},
  {0x00090312, "SEC_I_CONTINUE_NEEDED"},
  {0x80004005, "E_FAIL"},             /* MS-ERREF 2.1.1 */
  {0x80090302, "SEC_E_UNSUPPORTED_FUNCTION"},
  {0x80090304, "SEC_E_INTERNAL_ERROR"},
  {0x80090308, "SEC_E_INVALID_TOKEN"},
  {0x8009030C, "SEC_E_LOGON_DENIED"},
  {0x8009030D, "SEC_E_UNKNOWN_CREDENTIALS"},
  {0x8009030E, "SEC_E_NO_CREDENTIALS"},
  {0x80090311, "SEC_E_NO_AUTHENTICATING_AUTHORITY"},
  {0x80090318, "SEC_E_INCOMPLETE_MESSAGE"},
  {0x80090322, "SEC_E_WRONG_PRINCIPAL"},
  {0x80090324, "SEC_E_TIME_SKEW"},
  {0x80090325, "SEC_E_UNTRUSTED_ROOT"},
  {0x80090328, "SEC_E_CERT_EXPIRED"},
  {0x80090331, "SEC_E_ALGORITHM_MISMATCH"},
  {0x80090350, "SEC_E_DOWNGRADE_DETECTED"},
  {0x8009035E, "SEC_E_DELEGATION_POLICY"},
  {0x8009035F, "SEC_E_POLICY_NLTM_ONLY"},
  {0x80090363, "SEC_E_MUTUAL_AUTH_FAILED"},
  {0xC0000022, "STATUS_ACCESS_DENIED"},
  {0xC000005E, "STATUS_NO_LOGON_SERVERS"},
  {0xC0000064, "STATUS_NO_SUCH_USER"},
  {0xC000006A, "STATUS_WRONG_PASSWORD"},
  {0xC000006D, "STATUS_LOGON_FAILURE"},
  {0xC000006E, "STATUS_ACCOUNT_RESTRICTION"},
  {0xC000006F, "STATUS_INVALID_LOGON_HOURS"},
  {0xC0000070, "STATUS_INVALID_WORKSTATION"},
  {0xC0000071, "STATUS_PASSWORD_EXPIRED"},
  {0xC0000072, "STATUS_ACCOUNT_DISABLED"},
  {0xC0000133, "STATUS_TIME_DIFFERENCE_AT_DC"},
  {0xC000015B, "STATUS_LOGON_TYPE_NOT_GRANTED"},
  {0xC000018B, "STATUS_NO_TRUST_SAM_ACCOUNT"}, /* MS-ERREF 2.3.1 */
  {0xC000018D, "STATUS_TRUSTED_RELATIONSHIP_FAILURE"},
  {0xC0000192, "STATUS_NETLOGON_NOT_STARTED"},
  {0xC0000193, "STATUS_ACCOUNT_EXPIRED"},
  {0xC0000203, "STATUS_USER_SESSION_DELETED"},
  {0xC0000224, "STATUS_PASSWORD_MUST_CHANGE"},
  {0xC0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
};
static const struct expect event_expect[] = {
  {40, "LocalSessionManager-40"},
  {1026, "RDPClient-1026"},
  {1050, "TermService-1050"},
  {1051, "TermService-1051"},
  {1052, "TermService-1052"},
  {1053, "TermService-1053"},
  {1055, "TermService-1055"},
  {1057, "TermService-1057"},
  {1058, "TermService-1058"},
  {1059, "TermService-1059"},
  {1063, "TermService-1063"},
  {1064, "TermService-1064"},
  {1065, "TermService-1065"},
  {1149, "RemoteConnectionManager-1149"},
  {4625, "Security-4625"},
  {36870, "Schannel-36870"},
  {36871, "Schannel-36871"},
  {36874, "Schannel-36874"},
  {36887, "Schannel-36887"},
  {36888, "Schannel-36888"},
};

/* Every expected (value, name) is in its table under that name, and the table holds nothing
 * else: a row missing from the reference or a code the reference lacks both fail. */
static void check_table(rd_kb_table t, const struct expect *e, size_t n) {
  size_t count, in_table = 0;
  const rd_kb_code *rows = rd_kb_codes(&count);
  for (size_t i = 0; i < n; i++) {
    const rd_kb_code *row = rd_kb_find(t, e[i].value);
    if (row == NULL)
      fail_msg("%s: 0x%X (%s) missing", rd_kb_table_id(t), e[i].value, e[i].name);
    assert_int_equal(row->table, t);
    assert_int_equal(row->value, e[i].value);
    if (strcmp(row->name, e[i].name) != 0)
      fail_msg("%s 0x%X: name \"%s\", expected \"%s\"", rd_kb_table_id(t), e[i].value, row->name,
               e[i].name);
  }
  for (size_t i = 0; i < count; i++)
    if (rows[i].table == t)
      in_table++;
  if (in_table != n)
    fail_msg("%s: %zu rows, expected %zu", rd_kb_table_id(t), in_table, n);
}

static void test_rd_kb_find_disc(void **state) {
  (void)state;
  check_table(RD_TAB_DISC, disc_expect, N(disc_expect));
}
static void test_rd_kb_find_ext(void **state) {
  (void)state;
  check_table(RD_TAB_EXT, ext_expect, N(ext_expect));
}
static void test_rd_kb_find_errinfo(void **state) {
  (void)state;
  check_table(RD_TAB_ERRINFO, errinfo_expect, N(errinfo_expect));
}
static void test_rd_kb_find_status(void **state) {
  (void)state;
  check_table(RD_TAB_STATUS, status_expect, N(status_expect));
}
static void test_rd_kb_find_negf(void **state) {
  (void)state;
  check_table(RD_TAB_NEGF, negf_expect, N(negf_expect));
}
static void test_rd_kb_find_errconnect(void **state) {
  (void)state;
  check_table(RD_TAB_ERRCONNECT, errconnect_expect, N(errconnect_expect));
}
static void test_rd_kb_find_event(void **state) {
  (void)state;
  check_table(RD_TAB_EVENT, event_expect, N(event_expect));
}
static void test_rd_kb_find_licerr(void **state) {
  (void)state;
  check_table(RD_TAB_LICERR, licerr_expect, N(licerr_expect));
}
static void test_rd_kb_find_logon(void **state) {
  (void)state;
  check_table(RD_TAB_LOGON, logon_expect, N(logon_expect));
}

/* A few rows whose details matter to the rules and to explain: phase and confidence. */
static void test_rd_kb_find_details(void **state) {
  const rd_kb_code *r;
  (void)state;
  r = rd_kb_find(RD_TAB_DISC, 0x904);
  assert_non_null(r);
  assert_int_equal(r->phase, RD_PH_ANY);
  assert_int_equal(r->conf, RD_CONF_C);
  r = rd_kb_find(RD_TAB_DISC, 0x104);
  assert_int_equal(r->phase, RD_PH_NAME);
  r = rd_kb_find(RD_TAB_DISC, 0x204);
  assert_int_equal(r->phase, RD_PH_REACH);
  r = rd_kb_find(RD_TAB_DISC, 0x807);
  assert_int_equal(r->phase, RD_PH_CREDSSP);
  r = rd_kb_find(RD_TAB_DISC, 0x808);
  assert_int_equal(r->phase, RD_PH_SESSION);
  /* RDCMan-only or conflicting sources stay unconfirmed; the GETERR-only 0x4 is inferred. */
  static const uint32_t disc_u[] = {0x107, 0x509, 0xB08, 0x1F07};
  for (size_t i = 0; i < N(disc_u); i++)
    assert_int_equal(rd_kb_find(RD_TAB_DISC, disc_u[i])->conf, RD_CONF_U);
  assert_int_equal(rd_kb_find(RD_TAB_DISC, 0x4)->conf, RD_CONF_I);
  /* GETERR-only codes are documented (the dialog text) but have no API name. */
  r = rd_kb_find(RD_TAB_DISC, 0xB09);
  assert_int_equal(r->conf, RD_CONF_C);
  assert_string_equal(r->name, "");
  assert_string_equal(r->source, "GETERR; RDCMAN");
  assert_int_equal(rd_kb_find(RD_TAB_EVENT, 1053)->conf, RD_CONF_I);
  assert_int_equal(rd_kb_find(RD_TAB_EVENT, 1026)->conf, RD_CONF_I);
  r = rd_kb_find(RD_TAB_NEGF, 5);
  assert_int_equal(r->phase, RD_PH_NEGOTIATE);
  r = rd_kb_find(RD_TAB_ERRINFO, 0x111F);
  assert_non_null(strstr(r->meaning, "128"));
  r = rd_kb_find(RD_TAB_ERRCONNECT, 0x0002000D);
  assert_string_equal(r->name, "ERRCONNECT_CONNECT_TRANSPORT_FAILED");
}

/* The structure every consumer relies on. */
static void test_rd_kb_codes_well_formed(void **state) {
  size_t n;
  const rd_kb_code *rows = rd_kb_codes(&n);
  (void)state;
  assert_non_null(rows);
  assert_true(n > 300);
  for (size_t i = 0; i < n; i++) {
    const rd_kb_code *r = &rows[i];
    assert_true((unsigned)r->table < RD_TAB_COUNT);
    if ((unsigned)r->phase >= RD_PH_COUNT)
      fail_msg("%s 0x%X: phase %d out of range", rd_kb_table_id(r->table), r->value, r->phase);
    assert_true(r->conf == RD_CONF_C || r->conf == RD_CONF_I || r->conf == RD_CONF_U);
    assert_non_null(r->name);
    assert_non_null(r->meaning);
    assert_non_null(r->source);
    if (r->meaning[0] == '\0' || r->source[0] == '\0')
      fail_msg("%s 0x%X: empty meaning or source", rd_kb_table_id(r->table), r->value);
    for (const char *p = r->name; *p; p++)
      if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
        fail_msg("%s 0x%X: bad character in name \"%s\"", rd_kb_table_id(r->table), r->value,
                 r->name);
    /* Rows come in table order, so rd_kb_codes() lists tables as tables.def does. */
    if (i > 0)
      assert_true(rows[i - 1].table <= r->table);
  }
}

static void test_rd_kb_codes_no_duplicates(void **state) {
  size_t n;
  const rd_kb_code *rows = rd_kb_codes(&n);
  (void)state;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      if (rows[i].table == rows[j].table && rows[i].value == rows[j].value)
        fail_msg("%s 0x%X listed twice", rd_kb_table_id(rows[i].table), rows[i].value);
      /* Symbolic names are looked up case-insensitively across all tables (explain), so a
       * non-empty name must be unique everywhere, not just within its table. */
      if (rows[i].name[0] != '\0' && strcasecmp(rows[i].name, rows[j].name) == 0)
        fail_msg("name %s used twice (%s 0x%X, %s 0x%X)", rows[i].name,
                 rd_kb_table_id(rows[i].table), rows[i].value, rd_kb_table_id(rows[j].table),
                 rows[j].value);
    }
}

/* Codes people cite with no source anywhere must read as unknown, never as an invented row. */
static void test_rd_kb_find_unsourced_disc_unknown(void **state) {
  static const uint32_t unsourced[] = {0x1104, 0x1108, 0x1204, 0x1308, 0x1604, 0x1708, 0x1808,
                                       0x1A07, 0x2407, 0x2607, 0x2707, 0xA04,  0xC04};
  (void)state;
  for (size_t i = 0; i < N(unsourced); i++)
    if (rd_kb_find(RD_TAB_DISC, unsourced[i]) != NULL)
      fail_msg("DISC 0x%X has a row but no source", unsourced[i]);
}

static void test_rd_kb_find_errinfo_gaps(void **state) {
  (void)state;
  /* exDiscReason 8 exists, errorInfo 8 does not. */
  assert_null(rd_kb_find(RD_TAB_ERRINFO, 0x8));
  assert_non_null(rd_kb_find(RD_TAB_EXT, 0x8));
  /* FreeRDP-internal values never on the wire. */
  assert_null(rd_kb_find(RD_TAB_ERRINFO, 0x1196));
  assert_null(rd_kb_find(RD_TAB_ERRINFO, 0xFFFFFFFF));
  /* Inside the protocol range, unlisted codes stay unknown. */
  assert_null(rd_kb_find(RD_TAB_ERRINFO, 0x10CC));
  assert_null(rd_kb_find(RD_TAB_ERRINFO, 0x1127));
}

static void test_rd_kb_find_out_of_range(void **state) {
  (void)state;
  assert_null(rd_kb_find(RD_TAB_COUNT, 0x904));
  assert_null(rd_kb_find((rd_kb_table)-1, 0));
  assert_null(rd_kb_find(RD_TAB_DISC, 0xFFFFFFFF));
}

/* RD_TAB_* and the id/title accessors follow tables.def row by row. */
#define RD_TABLE(id, json, title, file) {RD_TAB_##id, json, title, file},
static const struct {
  rd_kb_table t;
  const char *json, *title, *file;
} tables[] = {
#include "kb/tables.def"
};
#undef RD_TABLE

static void test_rd_kb_table_id_order(void **state) {
  static const char *const want[] = {"disconnect-reason", "extended-reason", "errinfo",
                                     "status", "neg-failure", "freerdp-errconnect",
                                     "server-event", "license-error", "logon-error"};
  (void)state;
  assert_int_equal(N(tables), RD_TAB_COUNT);
  assert_int_equal(N(want), RD_TAB_COUNT);
  for (size_t i = 0; i < N(tables); i++) {
    assert_int_equal(tables[i].t, (rd_kb_table)i);
    assert_string_equal(rd_kb_table_id(tables[i].t), tables[i].json);
    assert_string_equal(rd_kb_table_id(tables[i].t), want[i]);
    assert_string_equal(rd_kb_table_title(tables[i].t), tables[i].title);
  }
  assert_int_equal(RD_TAB_DISC, 0);
  assert_int_equal(RD_TAB_EXT, 1);
  assert_int_equal(RD_TAB_ERRINFO, 2);
  assert_int_equal(RD_TAB_STATUS, 3);
  assert_int_equal(RD_TAB_NEGF, 4);
  assert_int_equal(RD_TAB_ERRCONNECT, 5);
  assert_int_equal(RD_TAB_EVENT, 6);
  assert_int_equal(RD_TAB_LICERR, 7);
  assert_int_equal(RD_TAB_LOGON, 8);
  assert_string_equal(rd_kb_table_id(RD_TAB_COUNT), "unknown");
  assert_string_equal(rd_kb_table_title(RD_TAB_COUNT), "Unknown table");
}

static void test_rd_kb_conf_name_all(void **state) {
  (void)state;
  assert_string_equal(rd_kb_conf_name(RD_CONF_C), "documented");
  assert_string_equal(rd_kb_conf_name(RD_CONF_I), "inferred");
  assert_string_equal(rd_kb_conf_name(RD_CONF_U), "unconfirmed");
  assert_string_equal(rd_kb_conf_name((rd_conf)7), "unknown");
}

/* Every dialog sentence stands for a code its table has, or takes the code from its text; each
 * phrase is stored as it is matched (lower case, single spaces) and carries a source. */
static void test_rd_kb_dialogs_point_at_known_codes(void **state) {
  size_t n;
  const rd_kb_dialog *d = rd_kb_dialogs(&n);
  assert_true(n >= 30);
  for (size_t i = 0; i < n; i++) {
    assert_true(d[i].source[0] != '\0');
    for (const char *p = d[i].phrase; *p; p++)
      if (isupper((unsigned char)*p) || (p[0] == ' ' && p[1] == ' '))
        fail_msg("phrase '%s' is not normalised", d[i].phrase);
    if (d[i].code_in_text)
      continue;
    if (rd_kb_find(d[i].table, d[i].value) == NULL)
      fail_msg("'%s' -> %s 0x%X: not in the table", d[i].phrase, rd_kb_table_id(d[i].table), d[i].value);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_kb_find_disc),
      cmocka_unit_test(test_rd_kb_find_ext),
      cmocka_unit_test(test_rd_kb_find_errinfo),
      cmocka_unit_test(test_rd_kb_find_status),
      cmocka_unit_test(test_rd_kb_find_negf),
      cmocka_unit_test(test_rd_kb_find_errconnect),
      cmocka_unit_test(test_rd_kb_find_event),
      cmocka_unit_test(test_rd_kb_find_licerr),
      cmocka_unit_test(test_rd_kb_find_logon),
      cmocka_unit_test(test_rd_kb_find_details),
      cmocka_unit_test(test_rd_kb_codes_well_formed),
      cmocka_unit_test(test_rd_kb_codes_no_duplicates),
      cmocka_unit_test(test_rd_kb_find_unsourced_disc_unknown),
      cmocka_unit_test(test_rd_kb_find_errinfo_gaps),
      cmocka_unit_test(test_rd_kb_find_out_of_range),
      cmocka_unit_test(test_rd_kb_table_id_order),
      cmocka_unit_test(test_rd_kb_dialogs_point_at_known_codes),
      cmocka_unit_test(test_rd_kb_conf_name_all),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
