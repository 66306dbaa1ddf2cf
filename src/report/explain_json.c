/* `rdpdoctor explain --json`: the same content as the text report, shape in docs/json.md. */
#include "report.h"

#include "json_common.h"

static json_t *reading_json(const rd_kb_code *row) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
                   "table", rd_kb_table_id(row->table), "table_title", rd_kb_table_title(row->table),
                   "name", row->name, "meaning", row->meaning, "phase", rd_phase_name(row->phase),
                   "confidence", rd_kb_conf_name(row->conf), "inferred", row->conf != RD_CONF_C,
                   "source", row->source);
}

static const char *form_name(rd_code_form form) {
  switch (form) {
  case RD_FORM_HEX:
    return "hex";
  case RD_FORM_DEC:
    return "decimal";
  case RD_FORM_NEG_DEC:
    return "negative-decimal";
  case RD_FORM_NAME:
    return "name";
  }
  return "unknown";
}

static json_t *code_json(const rd_explained_code *ec) {
  char hex[16];
  snprintf(hex, sizeof hex, "0x%X", ec->arg.value);
  json_t *readings = json_array();
  for (size_t i = 0; i < ec->n_readings; i++)
    json_array_append_new(readings, reading_json(ec->readings[i]));
  json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:b, s:b, s:o}", "input", ec->arg.text, "form",
                         form_name(ec->arg.form), "value", (json_int_t)ec->arg.value, "hex", hex, "role",
                         rd_code_role_name(ec->role), "known", ec->n_readings > 0, "outside_role",
                         ec->outside_role, "readings", readings);
  if (o != NULL && ec->bare != RD_BARE_NONE) {
    /* A number without "0x" read one way; the other reading, for scripts to offer. */
    char alt[16];
    snprintf(alt, sizeof alt, "0x%X", ec->arg.alt_value);
    json_object_set_new(o, "reading", json_string(rd_bare_reading_id(ec->bare)));
    json_object_set_new(o, "other_reading", json_pack("{s:s, s:I, s:s}", "form",
                                                      ec->arg.form == RD_FORM_HEX ? "decimal" : "hex", "value",
                                                      (json_int_t)ec->arg.alt_value, "hex", alt));
  }
  return o;
}

static json_t *cause_json(size_t rank, const rd_kb_cause *c) {
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "rank", (json_int_t)rank, "id", c->slug,
                   "title", c->title, "phase", rd_phase_name(c->phase), "why", c->why,
                   "check_findings", rd_json_words(c->check), "confirm", rd_json_lines(c->confirm),
                   "fix", rd_json_lines(c->fix));
}

json_t *rd_report_explain_document(const rd_explanation *ex, const char *const *input, size_t n_input) {
  json_t *doc = rd_json_document("explain");
  json_t *in = json_array(), *codes = json_array(), *notes = json_array(), *causes = json_array();
  for (size_t i = 0; i < n_input; i++)
    json_array_append_new(in, json_string(input[i]));
  for (size_t i = 0; i < ex->n_codes; i++)
    json_array_append_new(codes, code_json(&ex->codes[i]));
  for (unsigned bit = 1; bit != 0 && bit <= ex->notes; bit <<= 1)
    if (ex->notes & bit)
      json_array_append_new(notes, json_pack("{s:s, s:s, s:b}", "id", rd_explain_note_id((rd_explain_note)bit),
                                             "text", rd_explain_note_text((rd_explain_note)bit), "inferred", 1));
  for (size_t i = 0; i < ex->n_causes; i++)
    json_array_append_new(causes, cause_json(i + 1, rd_kb_cause_get(ex->causes[i])));
  if (doc != NULL) {
    json_object_set_new(doc, "input", in);
    json_object_set_new(doc, "codes", codes);
    json_object_set_new(doc, "notes", notes);
    json_object_set_new(doc, "causes", causes);
    json_object_set_new(doc, "verdict", json_string(ex->all_known ? "explained" : "unknown"));
    if (ex->dialog != NULL)
      json_object_set_new(doc, "dialog", json_pack("{s:s, s:b, s:s}", "phrase", ex->dialog->phrase, "code_in_text",
                                                   ex->dialog->code_in_text, "source", ex->dialog->source));
  } else {
    json_decref(in), json_decref(codes), json_decref(notes), json_decref(causes);
  }
  return doc;
}

int rd_report_explain_json(FILE *f, const rd_explanation *ex, const char *const *input, size_t n_input) {
  return rd_json_emit(f, rd_report_explain_document(ex, input, n_input), RD_JSON_PRETTY);
}
