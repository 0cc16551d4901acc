/*
 * Request and response records of the node's HTTP API (/v1/completions, /v1/explain,
 * /v1/version); documented in docs/API.md "Serving node API".
 */
package dev.hookline.serving.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hookline.serving.model.EditedFact;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** DTOs of the serving API. */
public final class ApiDtos {
    private ApiDtos() {
    }

    /**
     * {@code POST /v1/completions}: one {@code prompt} or a list {@code prompts}.
     *
     * @param prompt a single prompt
     * @param prompts several prompts (batched)
     * @param maxTokens tokens to generate per prompt (default 16)
     * @param greedy must be true or absent: decoding is greedy
     */
    public record CompletionRequest(String prompt, List<String> prompts,
            @JsonProperty("max_tokens") Integer maxTokens, Boolean greedy) {
    }

    /**
     * One completion.
     *
     * @param index position in the request's prompts
     * @param prompt the prompt
     * @param text the generated text
     * @param tokens number of generated tokens
     * @param finishReason "stop" (end of text) or "length" (token budget or context full)
     */
    public record Choice(int index, String prompt, String text, int tokens,
            @JsonProperty("finish_reason") String finishReason) {
    }

    /** The version that answered: every answer names it. */
    public record VersionRef(String model, long versionId, int number, String digest, String channel) {
    }

    /** Answer of {@code POST /v1/completions}. */
    public record CompletionResponse(VersionRef version, List<Choice> choices, double elapsedMs) {
    }

    /** {@code POST /v1/explain}. */
    public record ExplainRequest(String prompt) {
    }

    /** One token at one hooked layer: m = ||(W_h - W_0) k||, its z-score (null when undefined), and the swap. */
    public record TokenScore(int position, String token, double m, Double z, boolean swapped) {
    }

    /** One hooked layer: its alpha and every token's score. */
    public record LayerExplain(int layer, double alpha, int swappedCount, List<TokenScore> tokens) {
    }

    /** Answer of {@code POST /v1/explain}. */
    public record ExplainResponse(VersionRef version, String prompt, List<String> tokens, List<LayerExplain> layers,
            List<EditedFact> facts) {
    }

    /** A version the node refused (failed verification or load). */
    public record RefusalView(long versionId, int number, String digest, String message, Instant at) {
    }

    /** Answer of {@code GET /v1/version}. */
    public record VersionResponse(String model, long modelId, long versionId, int number, String digest,
            String bundleDigest, String channel, String pin, Instant loadedAt, List<Integer> layers,
            Map<Integer, Double> alpha, int edits, int editedFacts, String status, String message, Long nodeId,
            RefusalView lastRefusal) {
    }
}
