/* `rdpdoctor exporter`: placeholder until the HTTP server lands. */
#include "cli.h"

int rd_cli_exporter(int argc, char **argv, FILE *out, FILE *err) {
  return rd_cli_usage_error(err, "exporter: not built yet");
}
