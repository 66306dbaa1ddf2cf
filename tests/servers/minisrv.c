/* minisrv: a small RDP test server on FreeRDP 2's server library (test-only, never installed).
 *
 *   minisrv ADDR PORT CERT KEY nla|tls|rdp|any [SAMFILE] [OPTIONS]
 *
 * OPTIONS (faults, each produced by the library's own send functions where it has one):
 *   --error-info CODE@STEP   send a Set Error Info PDU with errorInfo CODE at STEP, then close
 *   --close-at STEP          close the TCP connection at STEP (no PDU)
 *   --license-error CODE     answer licensing with a License Error Message (dwErrorCode CODE,
 *                            ST_TOTAL_ABORT) instead of STATUS_VALID_CLIENT
 *   --logon-error TYPE:DATA  after activation, a Save Session Info PDU (INFOTYPE_LOGON_EXTENDED_INFO,
 *                            LOGON_EX_LOGONERRORS) with errorNotificationType/Data
 *   --logon-ok               after activation, a Save Session Info PDU (INFOTYPE_LOGON_LONG)
 * STEP: mcs attach join info license demand active.
 *
 * It offers exactly the security protocols of the mode (nla: HYBRID only, tls: SSL only, rdp:
 * standard RDP security only, any: all three), serves CERT/KEY for TLS (KEY is also the RSA key of
 * standard RDP security), and checks NTLM credentials against SAMFILE (the format `winpr-hash -f
 * sam` writes). Each connection runs in its own thread until the client is activated (or fails, or
 * 30 s pass); then the server disconnects it. No X display is needed. It prints nothing unless it
 * cannot start (FreeRDP's own log is limited to fatal errors unless WLOG_LEVEL is set, e.g.
 * WLOG_LEVEL=DEBUG). SIGTERM or SIGINT stop it within about 200 ms with exit status 0.
 * See MINISRV.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT, sigaction */
#endif

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <freerdp/freerdp.h>
#include <freerdp/license.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/session.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>
#include <winpr/ssl.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#define PEER_SECONDS 30
#define POLL_MS 200
#define LINGER_MS 2000 /* after a fault: how long to wait for the client to close first */

enum mode { MODE_NLA, MODE_TLS, MODE_RDP, MODE_ANY };

/* The connection sequence as minisrv's faults name it, in wire order. */
enum step { STEP_NONE, STEP_MCS, STEP_ATTACH, STEP_JOIN, STEP_INFO, STEP_LICENSE, STEP_DEMAND,
	        STEP_ACTIVE };
static const char* const step_names[] = { "", "mcs", "attach", "join", "info", "license",
	                                      "demand", "active" };

static const char *g_cert, *g_key, *g_sam;
static enum mode g_mode;
static volatile sig_atomic_t g_stop;

/* Faults, the same for every connection. */
static enum step g_err_step, g_close_step;
static UINT32 g_err_code;
static BOOL g_license_error, g_logon_error, g_logon_ok;
static UINT32 g_license_code, g_logon_type, g_logon_data;

/* One connection: FreeRDP's context first, so the library allocates ours (ContextSize). */
struct conn
{
	rdpContext base;
	enum step reached;  /* the last step passed */
	BOOL demand_sent;   /* the Capabilities callback ran: Demand Active goes out right after */
	BOOL done;          /* a fault ended the connection: stop the library, close */
};

/* FreeRDP 2 has no public call that writes a PDU the library does not build itself (a licensing
 * error other than STATUS_VALID_CLIENT). Its TLS layer writes through OpenSSL's SSL_write, which
 * this executable interposes: the wrapper remembers, per thread (one thread per connection), the
 * connection's SSL object and the MCS user id of the Attach User Confirm the library sent, so
 * raw_send() can write a whole PDU into the same TLS stream. */
typedef struct ssl_st SSL;
static __thread SSL* t_ssl;
static __thread UINT16 t_user_id;
static int (*real_ssl_write)(SSL*, const void*, int);

int SSL_write(SSL* ssl, const void* buf, int num)
{
	const unsigned char* b = buf;

	if (!real_ssl_write)
		real_ssl_write = (int (*)(SSL*, const void*, int))dlsym(RTLD_NEXT, "SSL_write");
	t_ssl = ssl;
	/* TPKT(4) X.224 DT(3) AttachUserConfirm 0x2E, result 0, initiator - 1001 (PER, big-endian) */
	if (num == 11 && b[0] == 3 && b[7] == 0x2E && b[8] == 0)
		t_user_id = (UINT16)(1001 + (b[9] << 8 | b[10]));
	return real_ssl_write ? real_ssl_write(ssl, buf, num) : -1;
}

static BOOL raw_send(const unsigned char* pdu, int n)
{
	int off = 0, tries = 0;

	if (!t_ssl || !real_ssl_write)
		return FALSE;
	while (off < n)
	{
		int w = real_ssl_write(t_ssl, pdu + off, n - off);

		if (w > 0)
			off += w;
		else if (++tries > 1000 || g_stop)
			return FALSE;
		else
			usleep(1000); /* non-blocking socket and a tiny PDU: wait for room, retry */
	}
	return TRUE;
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* [MS-RDPBCGR] 2.2.1.12 Server License Error PDU: TPKT, X.224 Data, MCS Send Data Indication on
 * the I/O channel, basic security header SEC_LICENSE_PKT, then [MS-RDPELE] 2.2.2.7.1
 * LICENSE_ERROR_MESSAGE with an empty BB_ERROR_BLOB. */
static BOOL send_license_error(UINT32 code, UINT32 transition)
{
	unsigned char p[34];
	UINT16 user = t_user_id ? t_user_id : 1007;
	int i = 0;

	p[i++] = 3, p[i++] = 0, p[i++] = 0, p[i++] = sizeof(p);         /* TPKT, length 34 */
	p[i++] = 2, p[i++] = 0xF0, p[i++] = 0x80;                       /* X.224 Data */
	p[i++] = 0x68;                                                  /* SendDataIndication */
	p[i++] = (unsigned char)((user - 1001) >> 8), p[i++] = (unsigned char)(user - 1001);
	p[i++] = 0x03, p[i++] = 0xEB;                                   /* channel 1003 */
	p[i++] = 0x70;                                                  /* priority high, begin|end */
	p[i++] = 20;                                                    /* PER length of the rest */
	p[i++] = 0x80, p[i++] = 0, p[i++] = 0, p[i++] = 0;              /* SEC_LICENSE_PKT, flagsHi */
	p[i++] = 0xFF, p[i++] = 0x03, p[i++] = 16, p[i++] = 0;          /* ERROR_ALERT, v3, wMsgSize */
	for (int k = 0; k < 4; k++)
		p[i++] = (unsigned char)(code >> (8 * k));                  /* dwErrorCode */
	for (int k = 0; k < 4; k++)
		p[i++] = (unsigned char)(transition >> (8 * k));            /* dwStateTransition */
	p[i++] = 0x04, p[i++] = 0, p[i++] = 0, p[i++] = 0;              /* BB_ERROR_BLOB, length 0 */
	return raw_send(p, i);
}

/* The faults due at `step`, in order: Set Error Info, then the close. */
static void fire(struct conn* c, enum step step)
{
	freerdp_peer* client = c->base.peer;

	if (g_err_step == step)
	{
		/* The library's own Set Error Info PDU ([MS-RDPBCGR] 2.2.5.1.1) on the I/O channel. */
		freerdp_set_error_info(c->base.rdp, g_err_code);
		freerdp_send_error_info(c->base.rdp);
		freerdp_set_error_info(c->base.rdp, 0);
		c->done = TRUE;
	}
	if (step == STEP_ACTIVE && !c->done && g_logon_error)
	{
		logon_info_ex ex;

		memset(&ex, 0, sizeof(ex));
		ex.haveErrorInfo = TRUE;
		ex.ErrorNotificationType = g_logon_type;
		ex.ErrorNotificationData = g_logon_data;
		client->update->SaveSessionInfo(&c->base, INFO_TYPE_LOGON_EXTENDED_INF, &ex);
	}
	if (step == STEP_ACTIVE && !c->done && g_logon_ok)
	{
		logon_info li;
		const char* user = freerdp_settings_get_string(client->settings, FreeRDP_Username);
		const char* dom = freerdp_settings_get_string(client->settings, FreeRDP_Domain);

		li.sessionId = 1;
		li.username = (char*)(user ? user : "");
		li.domain = (char*)(dom ? dom : "");
		client->update->SaveSessionInfo(&c->base, INFO_TYPE_LOGON_LONG, &li);
	}
	if (g_close_step == step)
		c->done = TRUE;
}

/* Every step up to `step` not yet passed, in order, so a step is never skipped when the library
 * handled two of the client's PDUs in one go. */
static void reach(struct conn* c, enum step step)
{
	while (c->reached < step && !c->done)
		fire(c, ++c->reached);
}

/* Steps without a callback, read from the library's connection state after each batch of input. */
static void reach_by_state(struct conn* c)
{
	CONNECTION_STATE st = freerdp_get_state(&c->base);

	if (c->demand_sent)
		reach(c, STEP_DEMAND);
	else if (st >= CONNECTION_STATE_RDP_SECURITY_COMMENCEMENT)
		reach(c, STEP_JOIN);
	else if (st >= CONNECTION_STATE_MCS_ATTACH_USER)
		reach(c, STEP_ATTACH);
	else if (st >= CONNECTION_STATE_MCS_CONNECT)
		reach(c, STEP_MCS);
}

/* Called first right after the Client Info PDU (s == NULL), so it marks `info` too. */
static LicenseCallbackResult on_license(freerdp_peer* client, wStream* s)
{
	struct conn* c = (struct conn*)client->context;
	(void)s;

	reach(c, STEP_INFO);
	if (c->done)
		return LICENSE_CB_ABORT;
	if (g_license_error)
	{
		if (!send_license_error(g_license_code, 1 /* ST_TOTAL_ABORT */))
			return LICENSE_CB_INTERNAL_ERROR;
		/* The client ends licensing; license/demand faults still fire after the alert. */
		reach(c, STEP_LICENSE);
		c->done = TRUE;
		return LICENSE_CB_ABORT;
	}
	if (!license_send_valid_client_error_packet(client->context->rdp))
		return LICENSE_CB_ABORT;
	reach(c, STEP_LICENSE);
	return c->done ? LICENSE_CB_ABORT : LICENSE_CB_COMPLETED;
}

static BOOL on_capabilities(freerdp_peer* client)
{
	((struct conn*)client->context)->demand_sent = TRUE;
	return TRUE;
}

/* The Confirm Active PDU arrived: Demand Active went out before it. */
static BOOL on_client_capabilities(freerdp_peer* client)
{
	struct conn* c = (struct conn*)client->context;

	reach(c, STEP_DEMAND);
	return !c->done;
}

/* Without it the library never calls Activate: it fails the transition to the active state
 * (after sending its Font Map), which is how minisrv used to end a connection. */
static BOOL on_post_connect(freerdp_peer* client)
{
	(void)client;
	return TRUE;
}

static BOOL on_activate(freerdp_peer* client)
{
	struct conn* c = (struct conn*)client->context;

	reach(c, STEP_ACTIVE);
	return TRUE; /* the library then sets client->activated */
}

/* After a fault or the activation: FIN, then wait for the client's own close (so nothing it still sends turns the
 * close into a reset that could discard the fault's bytes at the client). */
static void linger_close(freerdp_peer* client)
{
	struct pollfd pfd = { .fd = client->sockfd, .events = POLLIN };
	char buf[4096];
	int waited = 0;

	shutdown(client->sockfd, SHUT_WR);
	while (!g_stop && waited < LINGER_MS && poll(&pfd, 1, 100) >= 0)
	{
		waited += 100;
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && read(client->sockfd, buf, sizeof(buf)) <= 0)
			break;
	}
}

/* Security protocols and credentials of this connection, before Initialize() reads them. */
static BOOL configure(freerdp_peer* client)
{
	rdpSettings* s = client->settings;
	BOOL nla = (g_mode == MODE_NLA || g_mode == MODE_ANY);
	BOOL tls = (g_mode == MODE_TLS || g_mode == MODE_ANY);
	BOOL rdp = (g_mode == MODE_RDP || g_mode == MODE_ANY);

	if (!freerdp_settings_set_string(s, FreeRDP_CertificateFile, g_cert) ||
	    !freerdp_settings_set_string(s, FreeRDP_PrivateKeyFile, g_key) ||
	    !freerdp_settings_set_bool(s, FreeRDP_NlaSecurity, nla) ||
	    !freerdp_settings_set_bool(s, FreeRDP_TlsSecurity, tls) ||
	    !freerdp_settings_set_bool(s, FreeRDP_RdpSecurity, rdp) ||
	    !freerdp_settings_set_bool(s, FreeRDP_ExtSecurity, FALSE))
		return FALSE;
	/* FreeRDP turns Standard RDP Security encryption off for a peer on loopback (its "local"
	 * peers), and every test runs on loopback: treat the peer as remote, as a real server sees its
	 * clients, so the security exchange and the encryption are exercised. */
	client->local = FALSE;
	if (!freerdp_settings_set_bool(s, FreeRDP_LocalConnection, FALSE))
		return FALSE;
	if (rdp && (!freerdp_settings_set_string(s, FreeRDP_RdpKeyFile, g_key) ||
	            !freerdp_settings_set_uint32(s, FreeRDP_EncryptionLevel,
	                                         ENCRYPTION_LEVEL_CLIENT_COMPATIBLE)))
		return FALSE;
	if (g_sam && !freerdp_settings_set_string(s, FreeRDP_NtlmSamFile, g_sam))
		return FALSE;
	return TRUE;
}

static void* peer_thread(void* arg)
{
	freerdp_peer* client = arg;
	time_t deadline = time(NULL) + PEER_SECONDS;
	struct conn* c;

	if (!freerdp_peer_context_new(client))
		goto out_free;
	c = (struct conn*)client->context;
	client->PostConnect = on_post_connect;
	client->Activate = on_activate;
	client->Capabilities = on_capabilities;
	client->ClientCapabilities = on_client_capabilities;
	client->LicenseCallback = on_license;
	if (!configure(client) || !client->Initialize(client))
		goto out;

	while (!g_stop && !client->activated && !c->done && time(NULL) < deadline)
	{
		HANDLE handles[MAXIMUM_WAIT_OBJECTS];
		DWORD n = client->GetEventHandles(client, handles, ARRAYSIZE(handles));

		if (n == 0 || WaitForMultipleObjects(n, handles, FALSE, POLL_MS) == WAIT_FAILED)
			break;
		if (!client->CheckFileDescriptor(client))
			break;
		if (!c->done)
			reach_by_state(c);
	}
	if (c->done || client->activated)
		linger_close(client);
	client->Disconnect(client);
out:
	freerdp_peer_context_free(client);
out_free:
	freerdp_peer_free(client);
	return NULL;
}

static BOOL on_accept(freerdp_listener* listener, freerdp_peer* client)
{
	pthread_t t;
	pthread_attr_t attr;
	int one = 1;
	(void)listener;

	/* Answer at once rather than after a delayed ACK (FreeRDP's own servers add ~40 ms). */
	setsockopt(client->sockfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	client->ContextSize = sizeof(struct conn);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, peer_thread, client) != 0)
	{
		pthread_attr_destroy(&attr);
		freerdp_peer_free(client);
		return FALSE;
	}
	pthread_attr_destroy(&attr);
	return TRUE;
}

static BOOL readable(const char* what, const char* path)
{
	FILE* f = fopen(path, "r");

	if (!f)
	{
		fprintf(stderr, "minisrv: cannot read %s %s: %s\n", what, path, strerror(errno));
		return FALSE;
	}
	fclose(f);
	return TRUE;
}

static int usage(void)
{
	fprintf(stderr, "usage: minisrv ADDR PORT CERT KEY nla|tls|rdp|any [SAMFILE]\n"
	                "         [--error-info CODE@STEP] [--close-at STEP] [--license-error CODE]\n"
	                "         [--logon-error TYPE:DATA] [--logon-ok]\n"
	                "  STEP: mcs attach join info license demand active\n");
	return 64;
}

static BOOL parse_u32(const char* s, UINT32* out)
{
	char* end;
	unsigned long v;

	if (!*s || *s == '-')
		return FALSE;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > 0xFFFFFFFFUL)
		return FALSE;
	*out = (UINT32)v;
	return TRUE;
}

static BOOL parse_step(const char* s, enum step* out)
{
	for (int i = STEP_MCS; i <= STEP_ACTIVE; i++)
		if (strcmp(s, step_names[i]) == 0)
		{
			*out = (enum step)i;
			return TRUE;
		}
	return FALSE;
}

/* "A<sep>B" into two pieces; the first is copied into `first` (bounded). */
static const char* split(const char* s, char sep, char* first, size_t cap)
{
	const char* p = strchr(s, sep);

	if (!p || (size_t)(p - s) >= cap)
		return NULL;
	memcpy(first, s, (size_t)(p - s));
	first[p - s] = '\0';
	return p + 1;
}

static BOOL parse_option(int argc, char** argv, int* i)
{
	const char* opt = argv[*i];
	const char* val = *i + 1 < argc ? argv[*i + 1] : NULL;
	char a[32];
	const char* b;

	if (strcmp(opt, "--logon-ok") == 0)
		return g_logon_ok = TRUE;
	if (!val)
		return FALSE;
	++*i;
	if (strcmp(opt, "--error-info") == 0)
		return (b = split(val, '@', a, sizeof(a))) && parse_u32(a, &g_err_code) &&
		       parse_step(b, &g_err_step);
	if (strcmp(opt, "--close-at") == 0)
		return parse_step(val, &g_close_step);
	if (strcmp(opt, "--license-error") == 0)
		return (g_license_error = parse_u32(val, &g_license_code));
	if (strcmp(opt, "--logon-error") == 0)
		return (b = split(val, ':', a, sizeof(a))) && parse_u32(a, &g_logon_type) &&
		       (g_logon_error = parse_u32(b, &g_logon_data));
	return FALSE;
}

int main(int argc, char** argv)
{
	struct sigaction sa;
	freerdp_listener* listener;
	char* end;
	long port;
	int rc = 0;

	if (argc < 6)
		return usage();
	port = strtol(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return usage();
	g_cert = argv[3];
	g_key = argv[4];
	if (strcmp(argv[5], "nla") == 0)
		g_mode = MODE_NLA;
	else if (strcmp(argv[5], "tls") == 0)
		g_mode = MODE_TLS;
	else if (strcmp(argv[5], "rdp") == 0)
		g_mode = MODE_RDP;
	else if (strcmp(argv[5], "any") == 0)
		g_mode = MODE_ANY;
	else
		return usage();
	for (int i = 6; i < argc; i++)
	{
		if (strncmp(argv[i], "--", 2) == 0)
		{
			if (!parse_option(argc, argv, &i))
				return usage();
		}
		else if (!g_sam)
			g_sam = argv[i];
		else
			return usage();
	}
	if (g_license_error && g_mode == MODE_RDP)
	{
		fprintf(stderr, "minisrv: --license-error needs TLS (mode nla, tls or any)\n");
		return 64;
	}
	if (!readable("certificate", g_cert) || !readable("key", g_key) ||
	    (g_sam && !readable("SAM file", g_sam)))
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the wait below returns on a signal */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!getenv("WLOG_LEVEL"))
		WLog_SetLogLevel(WLog_GetRoot(), WLOG_FATAL);
	winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);

	listener = freerdp_listener_new();
	if (!listener)
		return 1;
	listener->PeerAccepted = on_accept;
	if (!listener->Open(listener, argv[1], (UINT16)port))
	{
		fprintf(stderr, "minisrv: cannot listen on %s:%ld\n", argv[1], port);
		freerdp_listener_free(listener);
		return 1;
	}

	while (!g_stop)
	{
		HANDLE handles[MAXIMUM_WAIT_OBJECTS];
		DWORD n = listener->GetEventHandles(listener, handles, ARRAYSIZE(handles));

		if (n == 0 || WaitForMultipleObjects(n, handles, FALSE, POLL_MS) == WAIT_FAILED)
		{
			if (g_stop)
				break;
			fprintf(stderr, "minisrv: waiting for connections failed\n");
			rc = 1;
			break;
		}
		if (!listener->CheckFileDescriptor(listener))
		{
			fprintf(stderr, "minisrv: accepting a connection failed\n");
			rc = 1;
			break;
		}
	}
	listener->Close(listener);
	freerdp_listener_free(listener);
	return rc;
}
