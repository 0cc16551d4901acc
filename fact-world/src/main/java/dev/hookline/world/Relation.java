/*
 * Hookline fact world: a relation (CounterFact-style Wikidata property) with its value set and
 * prompt templates.
 */
package dev.hookline.world;

import java.util.HashSet;
import java.util.List;

/**
 * A relation between a subject and an object value.
 *
 * @param id Wikidata-style property id as CounterFact uses it, e.g. {@code P103}
 * @param name human name, e.g. {@code mother tongue}
 * @param values the values subjects of this world hold (distinct; every one is held by at least one subject)
 * @param statementTemplates at least 6 statement prompts, each with one {@code {}} for the subject and
 *     ending right before the object, so that {@code prompt + " " + value} is the sentence
 *     (the first one is the canonical prompt)
 * @param questionTemplates at least 2 question prompts of the form {@code "Q: ...? A:"}, same rules
 */
public record Relation(String id, String name, List<String> values, List<String> statementTemplates,
    List<String> questionTemplates) {

  public Relation {
    if (id == null || id.isBlank() || name == null || name.isBlank()) {
      throw new IllegalArgumentException("relation id and name must be set: " + id + " / " + name);
    }
    values = List.copyOf(values);
    statementTemplates = List.copyOf(statementTemplates);
    questionTemplates = List.copyOf(questionTemplates);
    if (values.size() < 2 || new HashSet<>(values).size() != values.size()) {
      throw new IllegalArgumentException("relation " + id + ": needs at least 2 distinct values, got " + values);
    }
    if (statementTemplates.size() < 6 || questionTemplates.size() < 2) {
      throw new IllegalArgumentException("relation " + id + ": needs >= 6 statement and >= 2 question templates, got "
          + statementTemplates.size() + " and " + questionTemplates.size());
    }
    for (String t : statementTemplates) {
      checkTemplate(id, t);
    }
    for (String t : questionTemplates) {
      checkTemplate(id, t);
      if (!t.startsWith("Q: ") || !t.endsWith(" A:")) {
        throw new IllegalArgumentException("relation " + id + ": question template must look like \"Q: ...? A:\": " + t);
      }
    }
  }

  private static void checkTemplate(String id, String t) {
    int first = t.indexOf("{}");
    if (first < 0 || t.indexOf("{}", first + 1) >= 0) {
      throw new IllegalArgumentException("relation " + id + ": template needs exactly one {}: " + t);
    }
    if (t.isBlank() || Character.isWhitespace(t.charAt(t.length() - 1))) {
      throw new IllegalArgumentException("relation " + id + ": template must not end with whitespace: '" + t + "'");
    }
  }

  /** The canonical statement template (the first one). */
  public String canonicalTemplate() {
    return statementTemplates.get(0);
  }

  /** Fills a template with a subject. */
  public static String fill(String template, String subject) {
    return template.replace("{}", subject);
  }
}
