/* From codes to readings and ranked causes (src/kb/explain.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kb/explain.h"

static rd_code_arg arg(const char *text) {
  rd_code_arg a;
  int r = rd_codearg_parse(text, &a);
  if (r != 0)
    fail_msg("cannot parse '%s'", text);
  return a;
}

static void explain_pair(const char *disc, const char *ext, rd_explanation *ex) {
  rd_code_arg args[2] = {arg(disc), arg(ext)};
  rd_code_role roles[2] = {RD_ROLE_ERROR_CODE, RD_ROLE_EXTENDED};
  rd_explain(args, roles, 2, ex);
}

static bool has_cause(const rd_explanation *ex, const char *slug) {
  for (size_t i = 0; i < ex->n_causes; i++)
    if (strcmp(rd_kb_cause_get(ex->causes[i])->slug, slug) == 0)
      return true;
  return false;
}

/* Every cause the seed guides name for 0x904 / 0x7 is in its explanation. */
static void test_rd_explain_0x904_0x7_covers_seed_causes(void **state) {
  rd_explanation ex;
  explain_pair("0x904", "0x7", &ex);
  assert_true(ex.all_known);
  assert_int_equal(ex.n_codes, 2);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_DISC);
  assert_string_equal(ex.codes[0].readings[0]->name, "disconnectReasonAtClientWinsockFDCLOSE");
  assert_int_equal(ex.codes[1].readings[0]->table, RD_TAB_EXT);
  assert_int_equal(ex.codes[1].readings[1]->table, RD_TAB_ERRINFO);
  assert_true(ex.notes & RD_NOTE_PAIR_INFERRED);
  assert_true(ex.notes & RD_NOTE_EXT_IS_ERRINFO);
  static const char *const seed[] = {
      "network-unstable", "firewall-blocks-port", "security-software-closes", "dns-wrong-host",
      "rdp-service-stopped", "cert-expired", "cert-key-unusable", "security-layer-mismatch",
      "tls-version-mismatch", "credssp-oracle-remediation", "network-profile-public",
      "stuck-session", "licensing-or-session-limit", "user-profile-corrupt", "gateway-or-nat",
      "client-state-corrupt",
  };
  for (size_t i = 0; i < sizeof seed / sizeof seed[0]; i++)
    if (!has_cause(&ex, seed[i]))
      fail_msg("0x904/0x7 does not name cause %s", seed[i]);
  /* The extended code's ranking leads: the private key first. */
  assert_string_equal(rd_kb_cause_get(ex.causes[0])->slug, "cert-key-unusable");
}

static void test_rd_explain_lone_number_lists_every_table(void **state) {
  rd_code_arg a = arg("7");
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_true(ex.all_known);
  assert_true(ex.codes[0].n_readings >= 3);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_EXT);
  assert_int_equal(ex.codes[0].readings[1]->table, RD_TAB_ERRINFO);
  assert_false(ex.notes & RD_NOTE_PAIR_INFERRED);
}

static void test_rd_explain_unknown_code(void **state) {
  rd_code_arg a = arg("0x1104"); /* widely cited, no source: must stay unknown */
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_false(ex.all_known);
  assert_int_equal(ex.codes[0].n_readings, 0);
  assert_int_equal(ex.n_causes, 0);
}

static void test_rd_explain_unknown_name(void **state) {
  rd_code_arg a;
  assert_int_not_equal(rd_codearg_parse("ERRINFO_MADE_UP", &a), 0);
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_false(ex.all_known);
}

static void test_rd_explain_error_code_outside_its_table(void **state) {
  rd_explanation ex;
  explain_pair("0x7", "0x7", &ex); /* 7 is no client disconnect reason */
  assert_true(ex.codes[0].outside_role);
  assert_true(ex.codes[0].n_readings > 0);
  assert_false(ex.codes[1].outside_role);
}

static void test_rd_explain_name_shows_errinfo_twin(void **state) {
  rd_code_arg a = arg("ERRINFO_SERVER_DENIED_CONNECTION");
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].n_readings, 2);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_ERRINFO);
  assert_int_equal(ex.codes[0].readings[1]->table, RD_TAB_EXT);
}

static void test_rd_explain_events_only_from_decimal(void **state) {
  rd_code_arg a = arg("1057");
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_EVENT);
  assert_true(has_cause(&ex, "cert-key-unusable"));
  a = arg("0x421"); /* 1057 written in hex is not an event ID */
  rd_explain(&a, NULL, 1, &ex);
  for (size_t i = 0; i < ex.codes[0].n_readings; i++)
    assert_int_not_equal(ex.codes[0].readings[i]->table, RD_TAB_EVENT);
}

static void test_rd_explain_negative_status(void **state) {
  rd_code_arg a = arg("-1073741715");
  rd_explanation ex;
  rd_explain(&a, NULL, 1, &ex);
  assert_true(ex.all_known);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_STATUS);
  assert_string_equal(ex.codes[0].readings[0]->name, "STATUS_LOGON_FAILURE");
  assert_string_equal(rd_kb_cause_get(ex.causes[0])->slug, "wrong-credentials");
}

/* "904 7": the dialog prints hex, so both are read as hex and the decimal reading is offered. */
static void test_rd_explain_bare_pair_reads_hex(void **state) {
  rd_explanation ex;
  explain_pair("904", "7", &ex);
  assert_true(ex.all_known);
  assert_int_equal(ex.codes[0].bare, RD_BARE_HEX_DIALOG);
  assert_int_equal(ex.codes[0].arg.value, 0x904);
  assert_int_equal(ex.codes[0].arg.alt_value, 904);
  assert_int_equal(ex.codes[1].bare, RD_BARE_NONE); /* "7" reads the same both ways */
  assert_string_equal(ex.codes[0].readings[0]->name, "disconnectReasonAtClientWinsockFDCLOSE");
}

/* A lone number keeps the decimal reading (logs, event IDs) unless nothing knows it. */
static void test_rd_explain_bare_lone_number(void **state) {
  rd_explanation ex;
  rd_code_arg a = arg("2308");
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].bare, RD_BARE_DEC);
  assert_int_equal(ex.codes[0].arg.value, 2308);
  assert_int_equal(ex.codes[0].arg.alt_value, 0x2308);
  a = arg("904");
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].bare, RD_BARE_HEX_NO_DEC);
  assert_int_equal(ex.codes[0].arg.value, 0x904);
  a = arg("1057");
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].bare, RD_BARE_DEC);
  assert_int_equal(ex.codes[0].readings[0]->table, RD_TAB_EVENT);
  a = arg("0x904");
  rd_explain(&a, NULL, 1, &ex);
  assert_int_equal(ex.codes[0].bare, RD_BARE_NONE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_explain_bare_pair_reads_hex),
      cmocka_unit_test(test_rd_explain_bare_lone_number),
      cmocka_unit_test(test_rd_explain_0x904_0x7_covers_seed_causes),
      cmocka_unit_test(test_rd_explain_lone_number_lists_every_table),
      cmocka_unit_test(test_rd_explain_unknown_code),
      cmocka_unit_test(test_rd_explain_unknown_name),
      cmocka_unit_test(test_rd_explain_error_code_outside_its_table),
      cmocka_unit_test(test_rd_explain_name_shows_errinfo_twin),
      cmocka_unit_test(test_rd_explain_events_only_from_decimal),
      cmocka_unit_test(test_rd_explain_negative_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
