/*
 * Result of greedy generation.
 */
package dev.hookline.engine.infer;

/**
 * @param prompt the prompt text
 * @param promptIds its token ids
 * @param generatedIds the generated ids (stops after end-of-text or the token budget)
 * @param completion the decoded generated ids
 */
public record Generation(String prompt, int[] promptIds, int[] generatedIds, String completion) {}
