/* For the tests of `check`: every evidence pointer of a diagnosis must resolve inside the JSON
 * document rendered from the same facts, and every finding's sentence must fill every placeholder
 * of its template. Included by test_rules.c and test_report_check.c (cmocka already included). */
#ifndef RD_TEST_CHECK_EVIDENCE_H
#define RD_TEST_CHECK_EVIDENCE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag.h"
#include "report/report.h"

/* RFC 6901: "" is the whole document; each "/token" steps into an object key (~1 is "/", ~0 is
 * "~") or an array index (decimal, no leading zero). NULL when any step finds nothing. */
static const json_t *json_pointer_get(const json_t *doc, const char *ptr) {
  const json_t *at = doc;
  if (*ptr == '\0')
    return at;
  if (*ptr != '/')
    return NULL;
  while (at != NULL && *ptr == '/') {
    ptr++;
    char token[128];
    size_t n = 0;
    while (*ptr != '\0' && *ptr != '/' && n + 1 < sizeof token) {
      if (ptr[0] == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
        token[n++] = ptr[1] == '0' ? '~' : '/';
        ptr += 2;
      } else {
        token[n++] = *ptr++;
      }
    }
    token[n] = '\0';
    if (json_is_object(at)) {
      at = json_object_get(at, token);
    } else if (json_is_array(at)) {
      char *end;
      unsigned long i = strtoul(token, &end, 10);
      if (n == 0 || *end != '\0' || (token[0] == '0' && n > 1))
        return NULL;
      at = json_array_get(at, i);
    } else {
      return NULL; /* a step into a scalar or null */
    }
  }
  return at;
}

/* Fails the test when a pointer of d resolves to nothing in the document of (f, d), or when a
 * finding's sentence has a placeholder no fact filled. */
static void assert_evidence_resolves(const rd_check_facts *f, const rd_diagnosis *d) {
  json_t *doc = rd_report_check_document(f, d);
  assert_non_null(doc);
  const json_t *findings = json_object_get(doc, "findings");
  assert_int_equal(json_array_size(findings), d->n);
  for (size_t i = 0; i < d->n; i++) {
    const rd_finding *fd = &d->items[i];
    const char *slug = rd_finding_def_get(fd->id)->slug;
    if (fd->n_evidence == 0)
      fail_msg("%s: no evidence", slug);
    const json_t *ev = json_object_get(json_array_get(findings, i), "evidence");
    assert_int_equal(json_array_size(ev), fd->n_evidence);
    for (size_t k = 0; k < fd->n_evidence; k++) {
      assert_string_equal(json_string_value(json_array_get(ev, k)), fd->evidence[k]);
      if (json_pointer_get(doc, fd->evidence[k]) == NULL)
        fail_msg("%s: evidence %s resolves to nothing", slug, fd->evidence[k]);
    }
    char detail[512];
    rd_report_finding_detail(f, fd, detail, sizeof detail);
    if (strstr(detail, "{?") != NULL || detail[0] == '\0')
      fail_msg("%s: sentence \"%s\"", slug, detail);
  }
  json_decref(doc);
}

#endif
