/* Error codes shared by every layer. Cursor and builder primitives return bool;
 * everything else returns 0 or a negative RD_E_* from err.def. */
#ifndef RD_CORE_ERR_H
#define RD_CORE_ERR_H

#define RD_ERR(name, value, msg) RD_E_##name = value,
enum rd_err {
  RD_OK = 0,
#include "err.def"
};
#undef RD_ERR

/* A static message for an RD_E_* code ("unknown error" for anything else). */
const char *rd_err_str(int err);
/* The symbolic name ("MALFORMED") for JSON and logs. */
const char *rd_err_name(int err);

#endif
