#include "phase.h"

#define RD_PHASE(id, json, title) json,
static const char *const phase_names[] = {
#include "phase.def"
};
#undef RD_PHASE
#define RD_PHASE(id, json, title) title,
static const char *const phase_titles[] = {
#include "phase.def"
};
#undef RD_PHASE

const char *rd_phase_name(rd_phase ph) {
  return (unsigned)ph < RD_PH_COUNT ? phase_names[ph] : "unknown";
}

const char *rd_phase_title(rd_phase ph) {
  return (unsigned)ph < RD_PH_COUNT ? phase_titles[ph] : "Unknown phase";
}
