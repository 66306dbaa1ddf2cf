// build: gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -o bench/out/delayproxy bench/delayproxy.c
//
// delayproxy LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
//
// A delaying TCP proxy for the round-trip benchmark (bench/latency.sh; DESIGN.md "Performance
// targets"), standing in for netem, which this machine lacks. It listens on 127.0.0.1:LISTEN_PORT
// (0 = any free port) and prints "ready PORT" on stdout once listening. For every accepted
// connection it connects to TARGET_HOST:TARGET_PORT at once and forwards bytes both ways, holding
// every chunk for DELAY_MS/2 in each direction, so one request/response round trip costs DELAY_MS.
// Order is kept; each direction has a bounded queue (reading from the sender pauses when full).
// A half-close (FIN) and a reset are forwarded after the same delay, in order behind the data, so
// a server's close after N ms is seen by the client at N + DELAY_MS/2 ms (a reset is re-created
// with SO_LINGER 0). A failed connect to the target reaches the client as a reset, after the delay.
// What it cannot delay: the TCP handshake (the kernel completes the client's connect() before we
// accept), so a connection costs DELAY_MS less than over a real delayed link.
//
// Single-threaded, poll(2), no allocation per byte. SIGTERM or SIGINT: close everything, print a
// summary on stderr, exit 0. DELAYPROXY_VERBOSE=1: one line per event on stderr (time in ms since
// start, connection number, direction "c>s"/"s>c", bytes, FIN, RST), for reading a timeline.

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK_MAX = 16384, QUEUE_CAP = 256 * 1024, MAX_CONNS = 2048 };
enum kind { K_DATA, K_FIN, K_RST };

struct chunk {
    struct chunk *next;
    int64_t due_ns;
    enum kind kind;
    size_t len, off;
    unsigned char data[];
};

// One direction: d[0] client->server (src fd[0], dst fd[1]), d[1] server->client.
struct dir {
    struct chunk *head, *tail;
    size_t queued;  // bytes in the queue (the bound)
    int src_done;   // EOF or error read from src: read no more
    int done;       // FIN delivered to dst, or dst failed: nothing more goes this way
    int rst_queued; // a reset is on its way (no second one)
    int want_out;   // dst said EAGAIN: wait for POLLOUT
    uint64_t bytes;
};

struct conn {
    int fd[2];     // 0: client, 1: target
    int connected; // target: 0 connecting, 1 connected, -1 failed
    int dead;
    unsigned id;
    struct dir d[2];
};

static volatile sig_atomic_t g_stop;
static int64_t g_delay_ns, g_t0;
static int g_verbose;
static struct conn *g_conns[MAX_CONNS];
static size_t g_nconns;
static unsigned g_accepted, g_refused;
static uint64_t g_total[2];
static struct sockaddr_storage g_target;
static socklen_t g_target_len;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *dir_name(int d) { return d == 0 ? "c>s" : "s>c"; }

static void vlog(const struct conn *c, int d, const char *what, size_t n) {
    if (!g_verbose) return;
    double t = (double)(now_ns() - g_t0) / 1e6;
    if (d < 0)
        fprintf(stderr, "%10.3f conn %u %s\n", t, c->id, what);
    else
        fprintf(stderr, "%10.3f conn %u %s %s %zu\n", t, c->id, dir_name(d), what, n);
}

static int set_nonblock_nodelay(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    int one = 1; // Nagle would hold small records behind delayed ACKs: not what we measure
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

static void enqueue(struct conn *c, int d, enum kind k, const unsigned char *p, size_t n) {
    struct dir *q = &c->d[d];
    if (q->rst_queued) return; // nothing follows a reset
    struct chunk *ch = malloc(sizeof *ch + n);
    if (!ch) {
        fprintf(stderr, "delayproxy: out of memory\n");
        exit(1);
    }
    ch->next = NULL;
    ch->due_ns = now_ns() + g_delay_ns;
    ch->kind = k;
    ch->len = n;
    ch->off = 0;
    if (n) memcpy(ch->data, p, n);
    if (q->tail)
        q->tail->next = ch;
    else
        q->head = ch;
    q->tail = ch;
    q->queued += n;
    if (k == K_RST) q->rst_queued = 1;
}

static void pop(struct dir *q) {
    struct chunk *ch = q->head;
    q->head = ch->next;
    if (!q->head) q->tail = NULL;
    q->queued -= ch->len;
    free(ch);
}

static void drop_queue(struct dir *q) {
    while (q->head) pop(q);
}

static void close_fd(int *fd, int reset) {
    if (*fd < 0) return;
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        (void)setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(*fd);
    *fd = -1;
}

static void conn_free(struct conn *c) {
    close_fd(&c->fd[0], 0);
    close_fd(&c->fd[1], 0);
    drop_queue(&c->d[0]);
    drop_queue(&c->d[1]);
    g_total[0] += c->d[0].bytes;
    g_total[1] += c->d[1].bytes;
    free(c);
}

// dst of direction d failed (reset by its peer, or gone): nothing more can go that way; the peer's
// reset travels back to the other side, after the delay, behind what is already queued.
static void dst_failed(struct conn *c, int d) {
    struct dir *q = &c->d[d];
    drop_queue(q);
    q->done = 1;
    q->want_out = 0;
    struct dir *back = &c->d[1 - d];
    if (!back->done && !back->rst_queued) {
        back->src_done = 1;
        vlog(c, 1 - d, "RST(read side)", 0);
        enqueue(c, 1 - d, K_RST, NULL, 0);
    }
}

static void accept_all(int lfd) {
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) perror("delayproxy: accept");
            return;
        }
        if (g_nconns == MAX_CONNS || set_nonblock_nodelay(fd) < 0) {
            g_refused++;
            close_fd(&fd, 1);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close_fd(&fd, 1);
            continue;
        }
        c->fd[0] = fd;
        c->fd[1] = socket(g_target.ss_family, SOCK_STREAM, 0);
        c->id = ++g_accepted;
        vlog(c, -1, "accepted", 0);
        if (c->fd[1] < 0 || set_nonblock_nodelay(c->fd[1]) < 0) {
            c->connected = -1;
        } else if (connect(c->fd[1], (struct sockaddr *)&g_target, g_target_len) == 0) {
            c->connected = 1;
        } else if (errno != EINPROGRESS) {
            c->connected = -1;
        }
        if (c->connected < 0) { // the client learns it as a reset, after the delay
            close_fd(&c->fd[1], 0);
            c->d[1].src_done = 1;
            c->d[0].done = 1;
            enqueue(c, 1, K_RST, NULL, 0);
        }
        g_conns[g_nconns++] = c;
    }
}

static void read_side(struct conn *c, int d) {
    struct dir *q = &c->d[d];
    unsigned char buf[CHUNK_MAX];
    while (!q->src_done && q->queued < QUEUE_CAP) {
        ssize_t n = recv(c->fd[d], buf, sizeof buf, 0);
        if (n > 0) {
            q->bytes += (uint64_t)n;
            vlog(c, d, "data", (size_t)n);
            enqueue(c, d, K_DATA, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        q->src_done = 1;
        if (n == 0) {
            vlog(c, d, "FIN", 0);
            enqueue(c, d, K_FIN, NULL, 0);
        } else {
            vlog(c, d, "RST", 0);
            enqueue(c, d, K_RST, NULL, 0);
        }
        return;
    }
}

// Deliver what is due in direction d. Returns 0, or -1 once the connection is torn down.
static int deliver(struct conn *c, int d, int64_t now) {
    struct dir *q = &c->d[d];
    int dst = c->fd[1 - d];
    if (d == 0 && c->connected != 1) return 0;
    while (!q->done && q->head && q->head->due_ns <= now) {
        struct chunk *ch = q->head;
        if (ch->kind == K_DATA) {
            ssize_t n = send(dst, ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    q->want_out = 1;
                    return 0;
                }
                dst_failed(c, d);
                return 0;
            }
            q->want_out = 0;
            ch->off += (size_t)n;
            if (ch->off < ch->len) continue;
            pop(q);
        } else if (ch->kind == K_FIN) {
            vlog(c, d, "FIN delivered", 0);
            (void)shutdown(dst, SHUT_WR);
            pop(q);
            if (!q->head) q->done = 1; // else a reset follows (dst_failed on the other way)
        } else { // reset: re-created on dst; the whole connection ends
            vlog(c, d, "RST delivered", 0);
            close_fd(&c->fd[1 - d], 1);
            close_fd(&c->fd[d], 0);
            c->dead = 1;
            return -1;
        }
    }
    return 0;
}

static int read_wanted(const struct conn *c, int d) {
    const struct dir *q = &c->d[d];
    if (q->src_done || q->queued >= QUEUE_CAP || c->fd[d] < 0) return 0;
    return d == 0 || c->connected == 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: delayproxy LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS\n");
        return 64;
    }
    char *end;
    long lport = strtol(argv[1], &end, 10);
    if (*end || lport < 0 || lport > 65535) {
        fprintf(stderr, "delayproxy: bad LISTEN_PORT\n");
        return 64;
    }
    long delay_ms = strtol(argv[4], &end, 10);
    if (*end || delay_ms < 0 || delay_ms > 600000) {
        fprintf(stderr, "delayproxy: bad DELAY_MS\n");
        return 64;
    }
    g_delay_ns = delay_ms * 1000000 / 2;
    g_verbose = getenv("DELAYPROXY_VERBOSE") && strcmp(getenv("DELAYPROXY_VERBOSE"), "1") == 0;

    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(argv[2], argv[3], &hints, &ai);
    if (rc) {
        fprintf(stderr, "delayproxy: %s:%s: %s\n", argv[2], argv[3], gai_strerror(rc));
        return 2;
    }
    memcpy(&g_target, ai->ai_addr, ai->ai_addrlen);
    g_target_len = ai->ai_addrlen;
    freeaddrinfo(ai);

    struct sigaction sa = {.sa_handler = on_signal}; // no SA_RESTART: poll returns EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lport)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(lfd, 512) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0 || set_nonblock_nodelay(lfd) < 0) {
        perror("delayproxy: listen");
        return 2;
    }
    g_t0 = now_ns();
    printf("ready %u\n", (unsigned)ntohs(sin.sin_port));
    fflush(stdout);

    static struct pollfd pfd[1 + 2 * MAX_CONNS];
    while (!g_stop) {
        int64_t now = now_ns(), next = -1;
        size_t np = g_nconns;
        pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < np; i++) {
            struct conn *c = g_conns[i];
            for (int s = 0; s < 2; s++) {
                short ev = 0;
                if (read_wanted(c, s)) ev |= POLLIN;
                // side s is dst of direction 1-s
                if (c->d[1 - s].want_out) ev |= POLLOUT;
                if (s == 1 && c->connected == 0) ev |= POLLOUT;
                pfd[1 + 2 * i + s] = (struct pollfd){.fd = (ev && c->fd[s] >= 0) ? c->fd[s] : -1, .events = ev};
            }
            for (int d = 0; d < 2; d++) {
                const struct dir *q = &c->d[d];
                if (q->done || !q->head || q->want_out || (d == 0 && c->connected != 1)) continue;
                if (next < 0 || q->head->due_ns < next) next = q->head->due_ns;
            }
        }
        int timeout = -1;
        if (next >= 0) {
            int64_t wait = next - now;
            timeout = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000); // round up: never early
        }
        int n = poll(pfd, 1 + 2 * np, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("delayproxy: poll");
            break;
        }
        for (size_t i = 0; i < np; i++) {
            struct conn *c = g_conns[i];
            struct pollfd *p = &pfd[1 + 2 * i];
            if (c->connected == 0 && p[1].revents) {
                int err = 0;
                socklen_t el = sizeof err;
                if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &el) < 0) err = errno;
                if (err == 0) {
                    c->connected = 1;
                    vlog(c, -1, "connected to target", 0);
                } else if (err != EINPROGRESS && err != EALREADY) {
                    c->connected = -1;
                    vlog(c, -1, "connect to target failed", 0);
                    close_fd(&c->fd[1], 0);
                    c->d[1].src_done = 1;
                    c->d[0].done = 1;
                    drop_queue(&c->d[0]);
                    enqueue(c, 1, K_RST, NULL, 0);
                }
            }
            for (int s = 0; s < 2; s++) {
                if (p[s].fd < 0 || !p[s].revents) continue;
                if (p[s].revents & POLLOUT) c->d[1 - s].want_out = 0;
                if (p[s].revents & (POLLIN | POLLERR | POLLHUP)) {
                    if (read_wanted(c, s)) read_side(c, s);
                    else if (c->d[1 - s].want_out) c->d[1 - s].want_out = 0; // let send() tell
                }
            }
            now = now_ns();
            if (deliver(c, 0, now) == 0) deliver(c, 1, now);
            if (!c->dead && c->d[0].done && c->d[1].done) {
                vlog(c, -1, "closed", 0);
                c->dead = 1;
            }
        }
        if (pfd[0].revents & POLLIN) accept_all(lfd);
        size_t k = 0;
        for (size_t i = 0; i < g_nconns; i++) {
            if (g_conns[i]->dead)
                conn_free(g_conns[i]);
            else
                g_conns[k++] = g_conns[i];
        }
        g_nconns = k;
    }
    for (size_t i = 0; i < g_nconns; i++) conn_free(g_conns[i]);
    close(lfd);
    fprintf(stderr, "delayproxy: %u connections (%u refused), %llu bytes c>s, %llu bytes s>c\n", g_accepted,
            g_refused, (unsigned long long)g_total[0], (unsigned long long)g_total[1]);
    return 0;
}
