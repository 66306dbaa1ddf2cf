/* minisrv: a small RDP test server on FreeRDP 2's server library (test-only, never installed).
 *
 *   minisrv ADDR PORT CERT KEY nla|tls|rdp|any [SAMFILE]
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
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 */
#endif

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/settings.h>
#include <winpr/ssl.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#define PEER_SECONDS 30
#define POLL_MS 200

enum mode { MODE_NLA, MODE_TLS, MODE_RDP, MODE_ANY };

static const char *g_cert, *g_key, *g_sam;
static enum mode g_mode;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static BOOL on_activate(freerdp_peer* client)
{
	(void)client;
	return TRUE; /* the library then sets client->activated */
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

	if (!freerdp_peer_context_new(client))
		goto out_free;
	client->Activate = on_activate;
	if (!configure(client) || !client->Initialize(client))
		goto out;

	while (!g_stop && !client->activated && time(NULL) < deadline)
	{
		HANDLE handles[MAXIMUM_WAIT_OBJECTS];
		DWORD n = client->GetEventHandles(client, handles, ARRAYSIZE(handles));

		if (n == 0 || WaitForMultipleObjects(n, handles, FALSE, POLL_MS) == WAIT_FAILED)
			break;
		if (!client->CheckFileDescriptor(client))
			break;
	}
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
	client->ContextSize = sizeof(rdpContext);
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
	fprintf(stderr, "usage: minisrv ADDR PORT CERT KEY nla|tls|rdp|any [SAMFILE]\n");
	return 64;
}

int main(int argc, char** argv)
{
	struct sigaction sa;
	freerdp_listener* listener;
	char* end;
	long port;
	int rc = 0;

	if (argc < 6 || argc > 7)
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
	g_sam = argc == 7 ? argv[6] : NULL;
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
