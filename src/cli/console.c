#include "console.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/wipe.h"

/* A positive COLUMNS below 10000, else 0. */
static unsigned columns_variable(void) {
  const char *cols = getenv("COLUMNS");
  if (cols == NULL || *cols == '\0')
    return 0;
  char *end;
  unsigned long v = strtoul(cols, &end, 10);
  return *end == '\0' && v > 0 && v < 10000 ? (unsigned)v : 0;
}

static bool no_color(void) {
  const char *no = getenv("NO_COLOR");
  return no != NULL && *no != '\0';
}

#ifdef _WIN32

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>
#include <shellapi.h>

static UINT saved_output_cp;

static void restore_output_cp(void) { SetConsoleOutputCP(saved_output_cp); }

static bool is_console(DWORD std) {
  DWORD mode;
  return GetConsoleMode(GetStdHandle(std), &mode) != 0;
}

/* The command line as UTF-8 arguments; argv stays as the C runtime made it on any failure. */
static void utf8_arguments(int *argc, char ***argv) {
  int n;
  wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &n);
  if (wargv == NULL)
    return;
  char **out = calloc((size_t)n + 1, sizeof *out);
  for (int i = 0; out != NULL && i < n; i++) {
    int len = WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, NULL, 0, NULL, NULL);
    if (len <= 0 || (out[i] = malloc((size_t)len)) == NULL ||
        WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, out[i], len, NULL, NULL) != len) {
      for (int j = 0; j <= i; j++)
        free(out[j]);
      free(out);
      out = NULL;
    }
  }
  LocalFree(wargv);
  if (out == NULL)
    return;
  /* Kept for the life of the process, as the runtime's own argv is. */
  *argc = n;
  *argv = out;
}

void rd_console_init(int *argc, char ***argv) {
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
  if (is_console(STD_OUTPUT_HANDLE) || is_console(STD_ERROR_HANDLE)) {
    saved_output_cp = GetConsoleOutputCP();
    if (saved_output_cp != CP_UTF8 && SetConsoleOutputCP(CP_UTF8))
      atexit(restore_output_cp);
  }
  utf8_arguments(argc, argv);
}

static void write_console(HANDLE out, const wchar_t *s) {
  DWORD done;
  WriteConsoleW(out, s, (DWORD)wcslen(s), &done, NULL);
}

int rd_console_read_secret(const char *prompt, char *buf, size_t size) {
  HANDLE in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                          OPEN_EXISTING, 0, NULL);
  HANDLE out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
  DWORD old;
  if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE || !GetConsoleMode(in, &old)) {
    if (in != INVALID_HANDLE_VALUE)
      CloseHandle(in);
    if (out != INVALID_HANDLE_VALUE)
      CloseHandle(out);
    return RD_E_INVALID;
  }
  SetConsoleMode(in, (old & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT);
  wchar_t wprompt[128];
  if (MultiByteToWideChar(CP_UTF8, 0, prompt, -1, wprompt, (int)(sizeof wprompt / sizeof wprompt[0])) > 0)
    write_console(out, wprompt);

  wchar_t line[512];
  DWORD got = 0;
  if (!ReadConsoleW(in, line, (DWORD)(sizeof line / sizeof line[0]) - 1, &got, NULL))
    got = 0;
  size_t used = 0;
  while (used < got && line[used] != L'\r' && line[used] != L'\n')
    used++;
  /* Whatever of a longer line is still waiting is not ours to leave for the next reader. */
  if (used == got)
    FlushConsoleInputBuffer(in);
  int n = used == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, line, (int)used, buf, (int)size - 1, NULL, NULL);
  /* Too long for buf: keep the characters that fit whole, as the POSIX prompt keeps the bytes. */
  while (n == 0 && used > 0) {
    used--;
    n = used == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, line, (int)used, buf, (int)size - 1, NULL, NULL);
  }
  buf[n] = '\0';
  rd_wipe(line, sizeof line);
  SetConsoleMode(in, old);
  write_console(out, L"\r\n");
  CloseHandle(in);
  CloseHandle(out);
  return 0;
}

static HANDLE stream_handle(FILE *f) {
  int fd = _fileno(f);
  return fd < 0 ? INVALID_HANDLE_VALUE : (HANDLE)_get_osfhandle(fd);
}

bool rd_console_is_terminal(FILE *f) {
  DWORD mode;
  HANDLE h = stream_handle(f);
  return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) != 0;
}

unsigned rd_console_width(FILE *f) {
  CONSOLE_SCREEN_BUFFER_INFO info;
  HANDLE h = stream_handle(f);
  if (!rd_console_is_terminal(f))
    return 80;
  unsigned w = columns_variable();
  if (w == 0 && GetConsoleScreenBufferInfo(h, &info) && info.srWindow.Right >= info.srWindow.Left)
    w = (unsigned)(info.srWindow.Right - info.srWindow.Left + 1);
  return w < 80 ? 80 : w;
}

static HANDLE vt_handle = INVALID_HANDLE_VALUE;
static DWORD vt_saved_mode;

static void restore_vt_mode(void) { SetConsoleMode(vt_handle, vt_saved_mode); }

bool rd_console_colour(FILE *f) {
  DWORD mode;
  HANDLE h = stream_handle(f);
  if (no_color() || h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
    return false;
  if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING)
    return true;
  /* Consoles older than Windows 10 1511 refuse it: then no colour rather than raw escapes. */
  if (!SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING))
    return false;
  if (vt_handle == INVALID_HANDLE_VALUE) {
    vt_handle = h;
    vt_saved_mode = mode;
    atexit(restore_vt_mode);
  }
  return true;
}

#else /* POSIX */

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

void rd_console_init(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
}

int rd_console_read_secret(const char *prompt, char *buf, size_t size) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return RD_E_INVALID;
  struct termios old, quiet;
  bool restore = tcgetattr(fd, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  if (write(fd, prompt, strlen(prompt)) < 0) {
    /* The prompt is a courtesy; reading still works. */
  }
  size_t used = 0;
  char ch;
  while (used + 1 < size && read(fd, &ch, 1) == 1 && ch != '\n' && ch != '\r')
    buf[used++] = ch;
  buf[used] = '\0';
  rd_wipe(&ch, sizeof ch);
  if (restore)
    tcsetattr(fd, TCSAFLUSH, &old);
  if (write(fd, "\n", 1) < 0) {
    /* As above. */
  }
  close(fd);
  return 0;
}

bool rd_console_is_terminal(FILE *f) {
  int fd = fileno(f);
  return fd >= 0 && isatty(fd);
}

unsigned rd_console_width(FILE *f) {
  if (!rd_console_is_terminal(f))
    return 80;
  unsigned w = columns_variable();
  struct winsize ws;
  if (w == 0 && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    w = ws.ws_col;
  return w < 80 ? 80 : w;
}

bool rd_console_colour(FILE *f) { return rd_console_is_terminal(f) && !no_color(); }

#endif
