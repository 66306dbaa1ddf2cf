/* The process's terminal and standard streams: the parts of the command line that differ between
 * POSIX and Windows. Everything else in src/cli is the same on both. */
#ifndef RD_CLI_CONSOLE_H
#define RD_CLI_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Called first in main. On Windows: stdout and stderr in binary mode, so the output is byte for
 * byte what the Linux build writes ("\n", not "\r\n"); a console shows UTF-8 (its code page is
 * set for the run and restored at exit); and *argv is replaced by the command line in UTF-8
 * rather than in the ANSI code page, so a pasted dialog line in any language arrives intact.
 * On POSIX: nothing. */
void rd_console_init(int *argc, char ***argv);

/* Shows prompt on the terminal (/dev/tty; CONIN$/CONOUT$ on Windows: the console even when stdin
 * is redirected) and reads one line without echo into buf (NUL-terminated, UTF-8, at most
 * size - 1 bytes, the rest of a longer line discarded). Returns 0, or RD_E_INVALID when there is
 * no terminal to ask. The caller wipes buf after use. */
int rd_console_read_secret(const char *prompt, char *buf, size_t size);

/* Whether f is a terminal (a console on Windows). */
bool rd_console_is_terminal(FILE *f);

/* The width `check` text wraps at on f (rd_text_opts.width): the terminal's when f is one
 * (COLUMNS when set to a number, else the terminal's own: TIOCGWINSZ, or the console window's
 * width on Windows), never narrower than 80; 80 when f is not a terminal. */
unsigned rd_console_width(FILE *f);

/* Whether `check` text on f is coloured (rd_text_opts.colour): f is a terminal and NO_COLOR is
 * unset or empty (no-color.org). On Windows the console must also accept ANSI sequences
 * (ENABLE_VIRTUAL_TERMINAL_PROCESSING, switched on here for the run and restored at exit). */
bool rd_console_colour(FILE *f);

#endif
