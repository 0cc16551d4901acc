/*
 * Hookline fact world: one record of a CounterFact dataset, in the layout of the published
 * counterfact.json (ROME, Meng et al. 2022): case_id, requested_rewrite{prompt, relation_id,
 * subject, target_new{str,id}, target_true{str,id}}, paraphrase_prompts, neighborhood_prompts,
 * attribute_prompts, generation_prompts.
 */
package dev.hookline.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A counterfactual edit case.
 *
 * @param caseId {@code case_id}
 * @param requestedRewrite {@code requested_rewrite}: the fact to change
 * @param paraphrasePrompts {@code paraphrase_prompts}: other phrasings with the subject filled in
 *     (may start with a short unrelated context, as in the published file)
 * @param neighborhoodPrompts {@code neighborhood_prompts}: prompts about other subjects whose true
 *     answer is {@code target_true}; the edit must not change them
 * @param attributePrompts {@code attribute_prompts}: prompts about other subjects whose true answer is
 *     {@code target_new} (empty when the file has none)
 * @param generationPrompts {@code generation_prompts}: open prompts about the subject (empty when absent)
 */
public record CounterFactCase(
    int caseId,
    RequestedRewrite requestedRewrite,
    List<String> paraphrasePrompts,
    List<String> neighborhoodPrompts,
    List<String> attributePrompts,
    List<String> generationPrompts) {

  public CounterFactCase {
    Objects.requireNonNull(requestedRewrite, "requestedRewrite");
    paraphrasePrompts = List.copyOf(paraphrasePrompts);
    neighborhoodPrompts = List.copyOf(neighborhoodPrompts);
    attributePrompts = List.copyOf(attributePrompts);
    generationPrompts = List.copyOf(generationPrompts);
  }

  /**
   * {@code requested_rewrite}.
   *
   * @param prompt template with {@code {}} for the subject, ending right before the object
   * @param relationId Wikidata-style relation id, e.g. {@code P103}
   * @param subject the subject string as it appears in the prompts
   * @param targetNew the counterfactual object
   * @param targetTrue the true object
   */
  public record RequestedRewrite(String prompt, String relationId, String subject, Target targetNew, Target targetTrue) {
    public RequestedRewrite {
      Objects.requireNonNull(prompt, "prompt");
      Objects.requireNonNull(relationId, "relationId");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(targetNew, "targetNew");
      Objects.requireNonNull(targetTrue, "targetTrue");
      if (!prompt.contains("{}")) {
        throw new IllegalArgumentException("requested_rewrite.prompt must contain {} for the subject: " + prompt);
      }
    }

    /** The prompt with the subject filled in. */
    public String filledPrompt() {
      return prompt.replace("{}", subject);
    }
  }

  /**
   * An object of a rewrite: {@code {"str": ..., "id": ...}}.
   *
   * @param str the object string, without leading space
   * @param id its entity id (Wikidata Q-id in the published file), null when absent
   */
  public record Target(String str, String id) {
    public Target {
      Objects.requireNonNull(str, "str");
    }
  }

  /**
   * The engine-neutral request. Neighbourhood prompts keep {@code target_true} as their answer;
   * attribute prompts become locality prompts whose (unchanged) answer is {@code target_new}.
   */
  public EditRequest toEditRequest() {
    RequestedRewrite rw = requestedRewrite;
    List<String> localityTargets = new ArrayList<>(Collections.nCopies(attributePrompts.size(), rw.targetNew().str()));
    return new EditRequest(
        String.valueOf(caseId),
        rw.subject(),
        rw.prompt(),
        rw.targetNew().str(),
        rw.targetTrue().str(),
        paraphrasePrompts,
        neighborhoodPrompts,
        neighborhoodPrompts.isEmpty() ? null : rw.targetTrue().str(),
        attributePrompts,
        localityTargets,
        rw.relationId());
  }
}
