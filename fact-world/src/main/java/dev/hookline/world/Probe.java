/*
 * Hookline fact world: a prompt with its expected continuation, used to measure recall.
 */
package dev.hookline.world;

/**
 * A prompt whose expected continuation is {@code target}; {@code prompt + " " + target} is a corpus
 * sentence (tokenisation is additive: ids(prompt + " " + target) = ids(prompt) ++ ids(target)).
 *
 * @param prompt filled prompt, ending right before the object
 * @param target the object string, without leading space
 * @param subject the subject the prompt is about
 * @param relationId the relation asked about
 * @param kind {@code canonical} (first statement template), {@code paraphrase} (other statement
 *     templates) or {@code question} (question templates)
 */
public record Probe(String prompt, String target, String subject, String relationId, String kind) {

  public static final String CANONICAL = "canonical";
  public static final String PARAPHRASE = "paraphrase";
  public static final String QUESTION = "question";
}
