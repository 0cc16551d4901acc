/*
 * GPT-2 hyperparameters, the Java side of a Hugging Face GPT-2 `config.json`.
 * Reference: transformers' GPT2Config (keys vocab_size, n_positions, n_embd, n_layer, n_head,
 * n_inner, activation_function, layer_norm_epsilon, tie_word_embeddings, bos/eos_token_id).
 * The key mapping lives in one place: dev.hookline.engine.io.ConfigJson.
 */
package dev.hookline.engine.model.gpt2;

import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.ModelConfig;
import java.util.Set;

/**
 * Shape and numeric settings of a pre-LN GPT-2 with a tied LM head.
 *
 * @param vocabSize size of the token vocabulary V ({@code vocab_size})
 * @param maxPositions number of learned positions ({@code n_positions}), the longest sequence
 * @param hiddenSize residual width d ({@code n_embd})
 * @param layerCount number of transformer blocks ({@code n_layer})
 * @param headCount attention heads per block ({@code n_head}); divides {@code hiddenSize}
 * @param mlpSize MLP width d_ff ({@code n_inner}; {@code null} in the file means 4 * d)
 * @param activation MLP activation ({@code activation_function}); only GPT-2's tanh GELU
 * @param layerNormEpsilon epsilon of every LayerNorm ({@code layer_norm_epsilon})
 * @param tieWordEmbeddings whether the LM head is {@code wte} ({@code tie_word_embeddings});
 *     only tied heads are supported
 * @param bosTokenId beginning-of-sequence id ({@code bos_token_id})
 * @param eosTokenId end-of-sequence id ({@code eos_token_id}), also used as padding
 */
public record Gpt2Config(
        int vocabSize,
        int maxPositions,
        int hiddenSize,
        int layerCount,
        int headCount,
        int mlpSize,
        String activation,
        double layerNormEpsilon,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId) implements ModelConfig {

    /** Activations that are GPT-2's tanh approximation of GELU under their HF names. */
    public static final Set<String> TANH_GELU_NAMES = Set.of("gelu_new", "gelu_pytorch_tanh");

    public Gpt2Config {
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(maxPositions > 0, "n_positions must be > 0, got " + maxPositions);
        require(hiddenSize > 0, "n_embd must be > 0, got " + hiddenSize);
        require(layerCount > 0, "n_layer must be > 0, got " + layerCount);
        require(headCount > 0, "n_head must be > 0, got " + headCount);
        require(hiddenSize % headCount == 0,
                "n_embd (" + hiddenSize + ") must be divisible by n_head (" + headCount + ")");
        require(mlpSize > 0, "n_inner must be > 0, got " + mlpSize);
        require(activation != null && TANH_GELU_NAMES.contains(activation),
                "activation_function must be one of " + TANH_GELU_NAMES + ", got " + activation);
        require(layerNormEpsilon > 0 && layerNormEpsilon < 1,
                "layer_norm_epsilon must be in (0, 1), got " + layerNormEpsilon);
        require(tieWordEmbeddings, "tie_word_embeddings=false (separate lm_head) is not supported");
        require(bosTokenId >= 0 && bosTokenId < vocabSize,
                "bos_token_id " + bosTokenId + " outside vocabulary of " + vocabSize);
        require(eosTokenId >= 0 && eosTokenId < vocabSize,
                "eos_token_id " + eosTokenId + " outside vocabulary of " + vocabSize);
    }

    /**
     * A config with GPT-2 defaults for everything but the sizes ({@code n_inner = 4 d},
     * gelu_new, epsilon 1e-5, tied head).
     */
    public static Gpt2Config of(int vocabSize, int maxPositions, int hiddenSize, int layerCount,
            int headCount, int bosTokenId, int eosTokenId) {
        return new Gpt2Config(vocabSize, maxPositions, hiddenSize, layerCount, headCount,
                4 * hiddenSize, "gelu_new", 1e-5, true, bosTokenId, eosTokenId);
    }

    @Override
    public Architecture architecture() {
        return Architecture.GPT2;
    }

    /** Width of one attention head, d / n_head. */
    public int headSize() {
        return hiddenSize / headCount;
    }

    /** Number of scalar parameters (tied head counted once). */
    public long parameterCount() {
        long d = hiddenSize;
        long perBlock = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d
                + (d * mlpSize + mlpSize) + ((long) mlpSize * d + d);
        return (long) vocabSize * d + (long) maxPositions * d + layerCount * perBlock + 2 * d;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("Invalid GPT-2 config: " + message);
        }
    }
}
