/*
 * Hookline fact world: one record of a zsRE edit dataset, in the layout of the published
 * zsre_mem.json / zsre_mend_eval.json (MEND, Mitchell et al. 2022; MEMIT): subject, src, pred,
 * rephrase, alt, answers, loc, loc_ans, cond.
 */
package dev.hookline.data;

import java.util.List;
import java.util.Objects;

/**
 * A question-answering edit case.
 *
 * @param subject {@code subject}: the entity the question is about, as it appears in {@code src}
 * @param src {@code src}: the question
 * @param pred {@code pred}: the answer the unedited model gave (our generator writes the true answer);
 *     null when absent
 * @param rephrase {@code rephrase}: another phrasing of the question, subject filled in
 * @param alt {@code alt}: the new answer the edit should produce
 * @param answers {@code answers}: the true answers (first one is used as the true target)
 * @param loc {@code loc}: an unrelated question (prefixed {@code "nq question: "} in the published file)
 * @param locAns {@code loc_ans}: its answer, which the edit must not change
 * @param cond {@code cond}: {@code "pred >> alt || src"} as in the published file; null when absent
 */
public record ZsreCase(
    String subject, String src, String pred, String rephrase, String alt,
    List<String> answers, String loc, String locAns, String cond) {

  public ZsreCase {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(src, "src");
    Objects.requireNonNull(rephrase, "rephrase");
    Objects.requireNonNull(alt, "alt");
    Objects.requireNonNull(loc, "loc");
    Objects.requireNonNull(locAns, "locAns");
    answers = List.copyOf(answers);
  }

  /**
   * The engine-neutral request: prompt = {@code src} with the (first occurrence of the) subject replaced
   * by {@code {}}, target = {@code alt}, true target = {@code answers[0]}, paraphrase = {@code rephrase},
   * locality = ({@code loc}, {@code loc_ans}); no neighbourhood prompts.
   *
   * @throws IllegalArgumentException if the subject does not occur in {@code src}
   */
  public EditRequest toEditRequest(String caseId) {
    int at = src.indexOf(subject);
    if (at < 0) {
      throw new IllegalArgumentException("zsRE case " + caseId + ": subject \"" + subject
          + "\" does not occur in src \"" + src + "\", cannot build a prompt template");
    }
    String prompt = src.substring(0, at) + "{}" + src.substring(at + subject.length());
    return new EditRequest(
        caseId,
        subject,
        prompt,
        alt,
        answers.isEmpty() ? null : answers.get(0),
        List.of(rephrase),
        List.of(),
        null,
        List.of(loc),
        List.of(locAns),
        null);
  }
}
