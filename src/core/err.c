#include "err.h"

const char *rd_err_str(int err) {
  switch (err) {
  case RD_OK:
    return "success";
#define RD_ERR(name, value, msg) \
  case value:                    \
    return msg;
#include "err.def"
#undef RD_ERR
  }
  return "unknown error";
}

const char *rd_err_name(int err) {
  switch (err) {
  case RD_OK:
    return "OK";
#define RD_ERR(name, value, msg) \
  case value:                    \
    return #name;
#include "err.def"
#undef RD_ERR
  }
  return "UNKNOWN_ERROR";
}
