/* Phases of a connection, shared by the knowledge base, probes and reports. */
#ifndef RD_CORE_PHASE_H
#define RD_CORE_PHASE_H

#define RD_PHASE(id, json, title) RD_PH_##id,
typedef enum rd_phase {
#include "phase.def"
  RD_PH_COUNT
} rd_phase;
#undef RD_PHASE

const char *rd_phase_name(rd_phase ph);  /* "negotiate" */
const char *rd_phase_title(rd_phase ph); /* "Security negotiation (X.224)" */

#endif
