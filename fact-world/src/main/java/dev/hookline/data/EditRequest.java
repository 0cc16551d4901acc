/*
 * Hookline fact world: the engine-neutral edit request that CounterFact and ZsRE cases turn into
 * (the fields MEMIT/ROME-style editors read: subject, prompt template, new target, and the
 * prompts used to measure generality and locality).
 */
package dev.hookline.data;

import java.util.List;
import java.util.Objects;

/**
 * One fact to rewrite, independent of the dataset it came from.
 *
 * @param caseId identifier of the source case (CounterFact {@code case_id}, or the ZsRE record index)
 * @param subject the subject whose fact changes; editing reads the hidden state at its last token
 * @param prompt the edit prompt with {@code {}} where the subject goes, ending right before the target
 * @param targetNew the new object (no leading space)
 * @param targetTrue the object the model is believed to know before the edit; null when unknown
 * @param paraphrasePrompts filled prompts (subject inserted) that should now yield {@code targetNew}: generality
 * @param neighborhoodPrompts filled prompts about other subjects whose answer is {@code neighborhoodTarget}
 *     and must not change
 * @param neighborhoodTarget the answer of every neighbourhood prompt; null iff there are none
 * @param localityPrompts further filled prompts whose answers must not change
 * @param localityTargets the answer of each locality prompt (same length as {@code localityPrompts})
 * @param relation the relation the fact belongs to (CounterFact {@code relation_id}, e.g. "P103"), or null
 *     when unknown; editors that keep one scope per relation group the unlabelled edits together
 */
public record EditRequest(
    String caseId,
    String subject,
    String prompt,
    String targetNew,
    String targetTrue,
    List<String> paraphrasePrompts,
    List<String> neighborhoodPrompts,
    String neighborhoodTarget,
    List<String> localityPrompts,
    List<String> localityTargets,
    String relation) {

  public EditRequest {
    Objects.requireNonNull(caseId, "caseId");
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("edit request " + caseId + ": subject is blank");
    }
    if (prompt == null || !prompt.contains("{}")) {
      throw new IllegalArgumentException("edit request " + caseId + ": prompt must contain {} for the subject: " + prompt);
    }
    if (targetNew == null || targetNew.isBlank()) {
      throw new IllegalArgumentException("edit request " + caseId + ": targetNew is blank");
    }
    paraphrasePrompts = List.copyOf(paraphrasePrompts);
    neighborhoodPrompts = List.copyOf(neighborhoodPrompts);
    localityPrompts = List.copyOf(localityPrompts);
    localityTargets = List.copyOf(localityTargets);
    if (neighborhoodPrompts.isEmpty() != (neighborhoodTarget == null)) {
      throw new IllegalArgumentException("edit request " + caseId
          + ": neighborhoodTarget must be given exactly when there are neighbourhood prompts");
    }
    if (localityPrompts.size() != localityTargets.size()) {
      throw new IllegalArgumentException("edit request " + caseId + ": " + localityPrompts.size()
          + " locality prompts but " + localityTargets.size() + " locality targets");
    }
    if (relation != null && relation.isBlank()) {
      throw new IllegalArgumentException("edit request " + caseId + ": relation is blank (omit it when unknown)");
    }
  }

  /** A request without a relation label. */
  public EditRequest(String caseId, String subject, String prompt, String targetNew, String targetTrue,
      List<String> paraphrasePrompts, List<String> neighborhoodPrompts, String neighborhoodTarget,
      List<String> localityPrompts, List<String> localityTargets) {
    this(caseId, subject, prompt, targetNew, targetTrue, paraphrasePrompts, neighborhoodPrompts, neighborhoodTarget,
        localityPrompts, localityTargets, null);
  }

  /** The edit prompt with the subject filled in, e.g. "The mother tongue of Varo Telmidan is". */
  public String filledPrompt() {
    return prompt.replace("{}", subject);
  }
}
