/* `rdpdoctor explain` for people: what each code is, then the causes, most likely first, each
 * with how to confirm it and the exact fix. Commands are never wrapped, so they copy cleanly. */
#include "report.h"

#include <string.h>

#include "core/err.h"

static const char *role_label(rd_code_role role) {
  switch (role) {
  case RD_ROLE_ERROR_CODE:
    return "Error code";
  case RD_ROLE_EXTENDED:
    return "Extended error code";
  case RD_ROLE_ANY:
    break;
  }
  return "Code";
}

static void print_value(FILE *f, const rd_code_arg *arg) {
  if (arg->form == RD_FORM_NAME && arg->named != NULL && arg->named->table == RD_TAB_EVENT)
    fprintf(f, "%s (event ID %u)", arg->text, arg->value);
  else if (arg->form == RD_FORM_NAME)
    fprintf(f, "%s = 0x%X (%u)", arg->text, arg->value, arg->value);
  else if (arg->form == RD_FORM_NEG_DEC)
    fprintf(f, "%s = 0x%08X", arg->text, arg->value);
  else
    fprintf(f, "0x%X (%u)", arg->value, arg->value);
}

static void print_reading(FILE *f, const rd_kb_code *row, bool first, unsigned width) {
  char head[256], arises[512];
  snprintf(head, sizeof head, "%s%s%s%s", first ? "" : "Also: ", rd_kb_table_title(row->table),
           row->name[0] != '\0' ? ": " : "", row->name);
  rd_text_wrap_hanging(f, "  ", 2, head, 4, width);
  rd_text_wrap(f, row->meaning, 4, width);
  snprintf(arises, sizeof arises, "Arises in: %s. Source: %s%s", rd_phase_title(row->phase), row->source,
           row->conf == RD_CONF_C ? "" : row->conf == RD_CONF_I ? " (inferred)" : " (unconfirmed: single or conflicting sources)");
  rd_text_wrap(f, arises, 4, width);
}

/* Which way a number without "0x" was read, and the command for the other way. */
static void print_bare(FILE *f, const rd_explained_code *ec) {
  const rd_code_arg *a = &ec->arg;
  switch (ec->bare) {
  case RD_BARE_HEX_DIALOG:
    fprintf(f, "  Read as hex 0x%X: the dialog prints its codes in hex.\n"
               "  Read as decimal, %s is 0x%X: rdpdoctor explain 0x%X\n", a->value, a->text, a->alt_value, a->alt_value);
    break;
  case RD_BARE_HEX_NO_DEC:
    fprintf(f, "  Read as hex 0x%X: no table knows decimal %s (0x%X).\n", a->value, a->text, a->alt_value);
    break;
  case RD_BARE_DEC:
    fprintf(f, "  Read as decimal %s. Read as hex it is another code: rdpdoctor explain 0x%X\n", a->text, a->alt_value);
    break;
  case RD_BARE_NONE:
    break;
  }
}

static void print_dialog(FILE *f, const rd_kb_dialog *d) {
  fprintf(f, "Dialog text recognised: \"%s\"\n  Source: %s\n", d->phrase, d->source);
  if (d->code_in_text)
    fprintf(f, "  The dialog prints its code in the sentence; that code is explained below.\n");
  else
    fprintf(f, "  This sentence stands for the code explained below.\n");
  fputc('\n', f);
}

static void print_code(FILE *f, const rd_explained_code *ec, unsigned width) {
  fprintf(f, "%s ", role_label(ec->role));
  print_value(f, &ec->arg);
  fputc('\n', f);
  print_bare(f, ec);
  if (ec->n_readings == 0) {
    fprintf(f, "  Unknown: no table rdpdoctor knows has this code. It is not given a guessed meaning.\n\n");
    return;
  }
  if (ec->outside_role)
    fprintf(f, "  Not a known %s; other tables have this number:\n",
            ec->role == RD_ROLE_ERROR_CODE ? "client disconnect reason" : "extended disconnect reason");
  else if (ec->role == RD_ROLE_ANY && ec->n_readings > 1)
    fprintf(f, "  This number means different things in %zu tables; the most likely reading first.\n",
            ec->n_readings);
  for (size_t i = 0; i < ec->n_readings; i++)
    print_reading(f, ec->readings[i], i == 0, width);
  fputc('\n', f);
}

/* The finding ids that show a cause, as one list wrapped under its label (ids never break). */
static void print_checks(FILE *f, const char *check, unsigned width) {
  if (check[0] == '\0')
    return;
  char list[1024];
  size_t n = 0;
  list[0] = '\0';
  for (const char *p = check; *p != '\0' && n + 1 < sizeof list;) {
    size_t len = strcspn(p, " ");
    if (len > 0) {
      int w = snprintf(list + n, sizeof list - n, "%s%.*s", n > 0 ? ", " : "", (int)len, p);
      n = w > 0 && (size_t)w < sizeof list - n ? n + (size_t)w : sizeof list - 1;
    }
    p += len;
    while (*p == ' ')
      p++;
  }
  char text[1200];
  snprintf(text, sizeof text, "rdpdoctor check SERVER shows it as: %s", list);
  rd_text_wrap_hanging(f, "    Check:   ", 13, text, 13, width);
}

static void print_cause(FILE *f, size_t rank, const rd_kb_cause *c, const rd_text_opts *o) {
  char num[16], title[512];
  snprintf(num, sizeof num, "%2zu. ", rank);
  snprintf(title, sizeof title, "%s  [%s]", c->title, rd_phase_title(c->phase));
  rd_text_wrap_hanging(f, num, 4, title, 4, o->width);
  if (o->brief)
    return;
  rd_text_wrap(f, c->why, 4, o->width);
  print_checks(f, c->check, o->width);
  rd_text_kb_lines(f, "    Confirm: ", c->confirm, 13, o->width);
  rd_text_kb_lines(f, "    Fix:     ", c->fix, 13, o->width);
  fputc('\n', f);
}

int rd_report_explain_text(FILE *f, const rd_explanation *ex, const rd_text_opts *opts) {
  rd_text_opts o = opts != NULL ? *opts : (rd_text_opts){false, 80, false};
  if (ex->dialog != NULL)
    print_dialog(f, ex->dialog);
  for (size_t i = 0; i < ex->n_codes; i++)
    print_code(f, &ex->codes[i], o.width);

  for (unsigned bit = 1; bit != 0 && bit <= ex->notes; bit <<= 1) {
    if ((ex->notes & bit) == 0)
      continue;
    fprintf(f, "Note (inferred):\n");
    rd_text_wrap(f, rd_explain_note_text((rd_explain_note)bit), 2, o.width);
    fputc('\n', f);
  }

  if (ex->n_causes > 0) {
    char intro[200];
    snprintf(intro, sizeof intro, "Likely causes, most likely first (%zu). `rdpdoctor check SERVER` tests the "
             "server layer by layer and tells which one applies.", ex->n_causes);
    rd_text_wrap(f, intro, 0, o.width);
    fputc('\n', f);
    for (size_t i = 0; i < ex->n_causes; i++)
      print_cause(f, i + 1, rd_kb_cause_get(ex->causes[i]), &o);
  } else if (ex->all_known) {
    fprintf(f, "No causes are on record for this code beyond its meaning above.\n");
  }
  if (!ex->all_known)
    fprintf(f, "%sSome codes are unknown to rdpdoctor: check that they were copied exactly.\n",
            o.brief ? "\n" : "");
  fflush(f);
  return ferror(f) ? RD_E_IO : 0;
}
