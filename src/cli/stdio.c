/* The three standard descriptors, made safe before anything else runs.
 *
 * A process started with fd 0, 1 or 2 closed (`rdpdoctor check HOST >&-`, a daemon, a cron job
 * without a terminal) hands those numbers to the first files and sockets it opens. libuv then
 * aborts in uv__close (it asserts fd > STDERR_FILENO), and worse, a report or an error message
 * written to "stdout" would go into a TCP socket to the server. So every closed one is reopened
 * on /dev/null first, as OpenSSH's sanitise_stdfd does. */
#include "cli.h"

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#endif

int rd_cli_reopen_stdio(unsigned *closed) {
  *closed = 0;
#ifndef _WIN32
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
      continue;
    int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (nfd < 0)
      return -1;
    if (nfd != fd) {
      /* A lower descriptor was also closed and took this one: move it into place. */
      int r = dup2(nfd, fd);
      close(nfd);
      if (r < 0)
        return -1;
    }
    *closed |= 1u << fd;
  }
  /* A reader that went away (`rdpdoctor explain 0x904 | head -1`) makes writes fail with EPIPE,
   * which the reports turn into exit 3, instead of killing the process with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
#endif
  return 0;
}

int rd_cli_run(int argc, char **argv) {
  unsigned closed;
  if (rd_cli_reopen_stdio(&closed) != 0)
    return RD_EXIT_CANNOT_CHECK; /* no /dev/null: nowhere safe to write, not even an error */
  if (closed & RD_STDIO_OUT) {
    fputs("rdpdoctor: standard output is closed: nothing could be reported\n", stderr);
    return RD_EXIT_CANNOT_CHECK;
  }
  return rd_cli_main(argc, argv, stdout, stderr);
}
