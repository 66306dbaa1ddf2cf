/* Shared by the files of diag, not by its users. */
#ifndef RD_DIAG_INTERNAL_H
#define RD_DIAG_INTERNAL_H

#include "diag.h"

bool rd_diag_has(const rd_diagnosis *d, rd_finding_id id);
/* Fills d->verdict from the facts and the findings already in d. */
void rd_diag_verdict(const rd_check_facts *f, rd_diagnosis *d);

#endif
