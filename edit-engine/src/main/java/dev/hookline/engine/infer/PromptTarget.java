/*
 * A prompt and the target continuation to score after it.
 */
package dev.hookline.engine.infer;

/**
 * @param prompt the prompt text, e.g. "The mother tongue of Danielle Darrieux is"
 * @param target the continuation, without its leading space, e.g. "French"
 */
public record PromptTarget(String prompt, String target) {
    public PromptTarget {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt is blank");
        }
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("target is blank for prompt '" + prompt + "'");
        }
    }
}
