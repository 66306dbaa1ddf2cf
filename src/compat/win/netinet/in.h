/* Windows build only: <netinet/in.h> is <winsock2.h> + <ws2tcpip.h> there (see src/compat/win/README.md). */
#ifndef RD_COMPAT_WIN_NETINET_IN_H
#define RD_COMPAT_WIN_NETINET_IN_H
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
