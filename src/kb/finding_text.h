/* The words of `rdpdoctor check`'s findings and verdict (finding_text.def). A rule names a form;
 * a renderer fills its template from the facts (src/report/check_detail.c). */
#ifndef RD_KB_FINDING_TEXT_H
#define RD_KB_FINDING_TEXT_H

#define RD_FTEXT(form, text) RD_FT_##form,
typedef enum rd_ftext {
#include "finding_text.def"
  RD_FT_COUNT
} rd_ftext;
#undef RD_FTEXT

#define RD_VTEXT(id, name, text) RD_UNCHECKED_##id,
typedef enum rd_unchecked {
#include "finding_text.def"
  RD_UNCHECKED_COUNT
} rd_unchecked;
#undef RD_VTEXT

/* The template of a form, "" for an unknown one. */
const char *rd_kb_finding_template(rd_ftext form);
/* "cut", and the sentence a report prints when the check reached no verdict; NULL / "" for NONE. */
const char *rd_kb_unchecked_name(rd_unchecked u);
const char *rd_kb_unchecked_text(rd_unchecked u);

#endif
