/* Windows build only: if_nametoindex() and IF_NAMESIZE come from the IP helper API there
 * (see src/compat/win/README.md; link iphlpapi, as libuv and c-ares do anyway). */
#ifndef RD_COMPAT_WIN_NET_IF_H
#define RD_COMPAT_WIN_NET_IF_H
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <netioapi.h>
#ifndef IF_NAMESIZE
#define IF_NAMESIZE 256 /* NDIS_IF_MAX_STRING_SIZE */
#endif
#endif
