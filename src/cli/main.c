#include "cli/cli.h"
#include "cli/console.h"

int main(int argc, char **argv) {
  rd_console_init(&argc, &argv);
  return rd_cli_run(argc, argv);
}
