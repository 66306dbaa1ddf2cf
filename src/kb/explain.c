#include "explain.h"

#include <string.h>

/* Event IDs are decimal numbers in every log viewer; a hex or named input is never an event. */
static bool table_fits_form(rd_kb_table t, const rd_code_arg *arg) {
  if (t == RD_TAB_EVENT)
    return arg->form == RD_FORM_DEC;
  return true;
}

static void add_reading(rd_explained_code *ec, const rd_kb_code *row) {
  if (row == NULL)
    return;
  for (size_t i = 0; i < ec->n_readings; i++)
    if (ec->readings[i] == row)
      return;
  if (ec->n_readings < RD_TAB_COUNT)
    ec->readings[ec->n_readings++] = row;
}

static void add_all_tables(rd_explained_code *ec) {
  for (int t = 0; t < RD_TAB_COUNT; t++)
    if (table_fits_form((rd_kb_table)t, &ec->arg))
      add_reading(ec, rd_kb_find((rd_kb_table)t, ec->arg.value));
}

static void swap_to_hex(rd_code_arg *arg) {
  uint32_t dec = arg->value;
  arg->value = arg->alt_value;
  arg->alt_value = dec;
  arg->form = RD_FORM_HEX;
}

static bool known_anywhere(const rd_code_arg *arg) {
  for (int t = 0; t < RD_TAB_COUNT; t++)
    if (table_fits_form((rd_kb_table)t, arg) && rd_kb_find((rd_kb_table)t, arg->value) != NULL)
      return true;
  return false;
}

/* "904": the dialog's codes are hex, so a code given as the dialog's is read as hex; a lone
 * number keeps the decimal reading that logs and event IDs use, unless nothing knows it. */
static void choose_bare_reading(rd_explained_code *ec) {
  rd_code_arg *arg = &ec->arg;
  ec->bare = RD_BARE_NONE;
  if (arg->form != RD_FORM_DEC || !arg->has_alt)
    return;
  if (ec->role != RD_ROLE_ANY) {
    swap_to_hex(arg);
    ec->bare = RD_BARE_HEX_DIALOG;
    return;
  }
  rd_code_arg hex = *arg;
  swap_to_hex(&hex);
  if (!known_anywhere(arg) && known_anywhere(&hex)) {
    *arg = hex;
    ec->bare = RD_BARE_HEX_NO_DEC;
  } else {
    ec->bare = RD_BARE_DEC;
  }
}

/* The readings of one code, most likely first, given what the user said it is. */
static void read_code(rd_explained_code *ec) {
  const rd_code_arg *arg = &ec->arg;
  ec->n_readings = 0;
  ec->outside_role = false;
  choose_bare_reading(ec);

  if (arg->form == RD_FORM_NAME && arg->named == NULL)
    return; /* a name no table knows */
  if (arg->form == RD_FORM_NAME) {
    /* A name is unambiguous; an extended reason also shows its errorInfo twin. */
    add_reading(ec, arg->named);
    if (arg->named->table == RD_TAB_EXT)
      add_reading(ec, rd_kb_find(RD_TAB_ERRINFO, arg->value));
    else if (arg->named->table == RD_TAB_ERRINFO)
      add_reading(ec, rd_kb_find(RD_TAB_EXT, arg->value));
    return;
  }
  switch (ec->role) {
  case RD_ROLE_ERROR_CODE:
    add_reading(ec, rd_kb_find(RD_TAB_DISC, arg->value));
    break;
  case RD_ROLE_EXTENDED:
    add_reading(ec, rd_kb_find(RD_TAB_EXT, arg->value));
    add_reading(ec, rd_kb_find(RD_TAB_ERRINFO, arg->value));
    break;
  case RD_ROLE_ANY:
    break;
  }
  if (ec->role != RD_ROLE_ANY && ec->n_readings > 0)
    return;
  ec->outside_role = ec->role != RD_ROLE_ANY;
  add_all_tables(ec);
}

static void add_cause(rd_explanation *ex, rd_cause_id id) {
  for (size_t i = 0; i < ex->n_causes; i++)
    if (ex->causes[i] == id)
      return;
  if (ex->n_causes < RD_CAUSE_COUNT)
    ex->causes[ex->n_causes++] = id;
}

static void add_causes_of(rd_explanation *ex, const rd_kb_code *row) {
  rd_cause_id ids[RD_CAUSE_COUNT];
  size_t n = rd_kb_causes_for(row->table, row->value, ids, RD_CAUSE_COUNT);
  if (n > RD_CAUSE_COUNT)
    n = RD_CAUSE_COUNT;
  for (size_t i = 0; i < n; i++)
    add_cause(ex, ids[i]);
}

/* The code whose causes lead: the extended code narrows what the error code leaves open. */
static size_t leading_code(const rd_explanation *ex) {
  for (size_t i = 0; i < ex->n_codes; i++)
    if (ex->codes[i].role == RD_ROLE_EXTENDED)
      return i;
  return 0;
}

void rd_explain(const rd_code_arg *args, const rd_code_role *roles, size_t n, rd_explanation *out) {
  memset(out, 0, sizeof *out);
  out->all_known = true;
  if (n > 2)
    n = 2;
  for (size_t i = 0; i < n; i++) {
    rd_explained_code *ec = &out->codes[i];
    ec->arg = args[i];
    ec->role = roles != NULL ? roles[i] : RD_ROLE_ANY;
    read_code(ec);
    if (ec->n_readings == 0)
      out->all_known = false;
  }
  out->n_codes = n;

  size_t lead = leading_code(out);
  for (size_t k = 0; k < n; k++) {
    const rd_explained_code *ec = &out->codes[(lead + k) % n];
    for (size_t r = 0; r < ec->n_readings; r++)
      add_causes_of(out, ec->readings[r]);
  }

  for (size_t i = 0; i < n; i++) {
    const rd_explained_code *ec = &out->codes[i];
    if (ec->role != RD_ROLE_EXTENDED || ec->n_readings == 0 || ec->outside_role)
      continue;
    if (rd_kb_find(RD_TAB_ERRINFO, ec->arg.value) != NULL && rd_kb_find(RD_TAB_EXT, ec->arg.value) != NULL)
      out->notes |= RD_NOTE_EXT_IS_ERRINFO;
    for (size_t j = 0; j < n; j++)
      if (out->codes[j].role == RD_ROLE_ERROR_CODE && out->codes[j].arg.value == 0x904)
        out->notes |= RD_NOTE_PAIR_INFERRED;
  }
}

const char *rd_code_role_name(rd_code_role role) {
  switch (role) {
  case RD_ROLE_ERROR_CODE:
    return "error-code";
  case RD_ROLE_EXTENDED:
    return "extended-code";
  case RD_ROLE_ANY:
    break;
  }
  return "any";
}

const char *rd_bare_reading_id(rd_bare_reading b) {
  switch (b) {
  case RD_BARE_HEX_DIALOG:
    return "hex-as-dialog";
  case RD_BARE_DEC:
    return "decimal";
  case RD_BARE_HEX_NO_DEC:
    return "hex-no-decimal-reading";
  case RD_BARE_NONE:
    break;
  }
  return "none";
}

const char *rd_explain_note_id(rd_explain_note note) {
  switch (note) {
  case RD_NOTE_PAIR_INFERRED:
    return "pair-inferred";
  case RD_NOTE_EXT_IS_ERRINFO:
    return "extended-is-errinfo";
  }
  return "unknown";
}

const char *rd_explain_note_text(rd_explain_note note) {
  switch (note) {
  case RD_NOTE_PAIR_INFERRED:
    return "Error code 0x904 only says the connection was closed from the far end. The extended code "
           "most likely repeats the reason the server sent (its errorInfo) just before it closed; "
           "no Microsoft document confirms that the client never makes this code up when the socket "
           "drops during the security handshake. So the codes do not tell at which phase the server "
           "ended the connection: `rdpdoctor check SERVER` does.";
  case RD_NOTE_EXT_IS_ERRINFO:
    return "Extended reasons 1-12 and 0x100-0x10A use the same numbers as the server's errorInfo "
           "codes, so the server's own reason is shown beside it.";
  }
  return "";
}
