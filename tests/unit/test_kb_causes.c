/* Causes and their links to codes (src/kb/causes.def, code_causes.def). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RD_KB_INTERNAL
#include "diag/diag.h"
#include "kb/cause.h"

static bool is_kebab(const char *s) {
  if (!islower((unsigned char)s[0]))
    return false;
  for (; *s; s++)
    if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
      return false;
  return s[-1] != '-';
}

static void test_rd_kb_cause_get_rows_complete(void **state) {
  for (int i = 0; i < RD_CAUSE_COUNT; i++) {
    const rd_kb_cause *c = rd_kb_cause_get((rd_cause_id)i);
    assert_non_null(c);
    assert_int_equal(c->id, i);
    if (!is_kebab(c->slug))
      fail_msg("cause slug '%s' is not kebab-case", c->slug);
    assert_true(c->title[0] && c->why[0] && c->confirm[0] && c->fix[0]);
    assert_true(c->phase < RD_PH_COUNT);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(c->slug, rd_kb_cause_get((rd_cause_id)j)->slug);
    assert_ptr_equal(rd_kb_cause_by_slug(c->slug), c);
  }
  assert_null(rd_kb_cause_get(RD_CAUSE_COUNT));
  assert_null(rd_kb_cause_by_slug("no-such-cause"));
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  static char buf[1 << 17];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Every finding a cause points users at must be in the public catalogue. */
static void test_cause_check_ids_in_findings_catalogue(void **state) {
  const char *catalogue = read_text(RD_TEST_SRCDIR "/docs/findings.md");
  assert_non_null(catalogue);
  for (int i = 0; i < RD_CAUSE_COUNT; i++) {
    const char *p = rd_kb_cause_get((rd_cause_id)i)->check;
    while (*p) {
      size_t len = strcspn(p, " ");
      char id[80];
      assert_true(len + 3 < sizeof id);
      snprintf(id, sizeof id, "`%.*s`", (int)len, p);
      if (strstr(catalogue, id) == NULL)
        fail_msg("finding %s is not in docs/findings.md", id);
      p += len;
      while (*p == ' ')
        p++;
    }
  }
}

static void test_rd_kb_cause_links_name_known_codes(void **state) {
  const rd_kb_cause_link *links;
  size_t n = rd_kb_cause_links(&links);
  assert_true(n > 50);
  bool used[RD_CAUSE_COUNT] = {false};
  for (size_t i = 0; i < n; i++) {
    if (rd_kb_find(links[i].table, links[i].value) == NULL)
      fail_msg("code_causes.def row %zu: %s 0x%X is in no code table", i,
               rd_kb_table_id(links[i].table), links[i].value);
    assert_true(links[i].n > 0);
    for (size_t k = 0; k < links[i].n; k++) {
      assert_true(links[i].ids[k] < RD_CAUSE_COUNT);
      used[links[i].ids[k]] = true;
      for (size_t j = 0; j < k; j++)
        assert_int_not_equal(links[i].ids[j], links[i].ids[k]);
    }
    for (size_t j = 0; j < i; j++)
      if (links[j].table == links[i].table && links[j].value == links[i].value)
        fail_msg("code_causes.def lists %s 0x%X twice", rd_kb_table_id(links[i].table), links[i].value);
  }
  /* A cause is reached from a code (explain) or from a finding (check). */
  for (int f = 0; f < RD_F_COUNT; f++) {
    const rd_finding_def *def = rd_finding_def_get((rd_finding_id)f);
    if (def->cause[0] == '\0')
      continue;
    const rd_kb_cause *c = rd_kb_cause_by_slug(def->cause);
    if (c == NULL)
      fail_msg("finding %s names unknown cause %s", def->slug, def->cause);
    used[c->id] = true;
  }
  for (int c = 0; c < RD_CAUSE_COUNT; c++)
    if (!used[c])
      fail_msg("cause %s is linked to no code and no finding", rd_kb_cause_get((rd_cause_id)c)->slug);
}

static void test_rd_kb_causes_for_cap(void **state) {
  rd_cause_id ids[2];
  size_t n = rd_kb_causes_for(RD_TAB_DISC, 0x904, ids, 2);
  assert_true(n > 2); /* the full count, though only two were written */
  assert_int_equal(rd_kb_causes_for(RD_TAB_DISC, 0x1104, ids, 2), 0);
}

static const char *first_cause(rd_kb_table t, uint32_t v) {
  rd_cause_id ids[RD_CAUSE_COUNT];
  if (rd_kb_causes_for(t, v, ids, RD_CAUSE_COUNT) == 0)
    return "";
  return rd_kb_cause_get(ids[0])->slug;
}

/* The CVE-2018-0886 matrix (KB4295591): an updated client with Mitigated, the default, cannot
 * reach an unpatched server, so "set Mitigated on the updated side" fixes nothing. The fix is the
 * server's update; Vulnerable (2) on the client is only a test, undone afterwards. */
static void test_credssp_oracle_fix_follows_the_matrix(void **state) {
  const rd_kb_cause *c = rd_kb_cause_by_slug("credssp-oracle-remediation");
  assert_non_null(c);
  assert_non_null(strstr(c->fix, "install the\ncurrent cumulative update on the server"));
  assert_non_null(strstr(c->fix, "AllowEncryptionOracle /t REG_DWORD /d 2 /f"));
  assert_non_null(strstr(c->fix, "reg delete"));
  assert_non_null(strstr(c->fix, "changes nothing"));
  assert_null(strstr(c->fix, "on the updated side"));
  assert_null(strstr(c->fix, "/d 1 /f"));
}

/* Windows-only fixes say so; xrdp servers get their own line where one exists. */
static void test_fixes_name_windows_or_xrdp(void **state) {
  static const char *const windows_only[] = {"network-profile-public", "nla-not-required", "cert-key-unusable",
                                             "security-layer-mismatch", "rdp-service-stopped", "firewall-blocks-port"};
  for (size_t i = 0; i < sizeof windows_only / sizeof windows_only[0]; i++) {
    const rd_kb_cause *c = rd_kb_cause_by_slug(windows_only[i]);
    assert_non_null(c);
    if (strstr(c->fix, "Windows") == NULL)
      fail_msg("%s: fix does not say it is for Windows", c->slug);
  }
  assert_non_null(strstr(rd_kb_cause_by_slug("cert-key-unusable")->fix, "xrdp"));
  assert_non_null(strstr(rd_kb_cause_by_slug("security-layer-mismatch")->fix, "xrdp"));
}

/* Codes added for issue #13 lead to causes; E_FAIL deliberately to none. */
static void test_new_code_links(void **state) {
  assert_string_equal(first_cause(RD_TAB_ERRINFO, 0x112F), "session-graphics-or-memory");
  assert_string_equal(first_cause(RD_TAB_ERRCONNECT, 0x00020008), "cert-key-unusable");
  assert_string_equal(first_cause(RD_TAB_ERRCONNECT, 0x0002000C), "security-layer-mismatch");
  assert_string_equal(first_cause(RD_TAB_STATUS, 0xC000018B), "domain-unreachable");
  assert_string_equal(first_cause(RD_TAB_EVENT, 4625), "wrong-credentials");
  assert_string_equal(first_cause(RD_TAB_STATUS, 0x80004005), "");
  assert_string_equal(first_cause(RD_TAB_EVENT, 1149), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_kb_cause_get_rows_complete),
      cmocka_unit_test(test_cause_check_ids_in_findings_catalogue),
      cmocka_unit_test(test_rd_kb_cause_links_name_known_codes),
      cmocka_unit_test(test_rd_kb_causes_for_cap),
      cmocka_unit_test(test_credssp_oracle_fix_follows_the_matrix),
      cmocka_unit_test(test_fixes_name_windows_or_xrdp),
      cmocka_unit_test(test_new_code_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
