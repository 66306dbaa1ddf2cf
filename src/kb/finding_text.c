#include "finding_text.h"

#include <stddef.h>

#define RD_FTEXT(form, text) text,
static const char *const templates[] = {
#include "finding_text.def"
};
#undef RD_FTEXT

#define RD_VTEXT(id, name, text) {name, text},
static const struct {
  const char *name, *text;
} unchecked[] = {
#include "finding_text.def"
};
#undef RD_VTEXT

const char *rd_kb_finding_template(rd_ftext form) {
  return (unsigned)form < RD_FT_COUNT ? templates[form] : "";
}

const char *rd_kb_unchecked_name(rd_unchecked u) {
  return u != RD_UNCHECKED_NONE && (unsigned)u < RD_UNCHECKED_COUNT ? unchecked[u].name : NULL;
}

const char *rd_kb_unchecked_text(rd_unchecked u) {
  return (unsigned)u < RD_UNCHECKED_COUNT ? unchecked[u].text : "";
}
