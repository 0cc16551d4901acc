/*
 * GPT-J hyperparameters, the Java side of a Hugging Face GPT-J `config.json`, mapped in one place.
 * Reference: transformers' GPTJConfig (vocab_size, n_positions, n_embd, n_layer, n_head,
 * rotary_dim, n_inner, activation_function, layer_norm_epsilon, tie_word_embeddings, bos/eos).
 */
package dev.hookline.engine.model.gptj;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.ConfigKeys;
import dev.hookline.engine.model.ModelConfig;
import java.nio.file.Path;
import java.util.Set;

/**
 * Shape and numeric settings of GPT-J: parallel attention and MLP from one LayerNorm, partial
 * interleaved rotary, untied {@code lm_head} with bias.
 *
 * @param vocabSize V ({@code vocab_size})
 * @param maxPositions longest sequence ({@code n_positions})
 * @param hiddenSize d ({@code n_embd})
 * @param layerCount blocks ({@code n_layer})
 * @param headCount attention heads ({@code n_head}); divides d
 * @param rotaryDim rotated dimensions of each head ({@code rotary_dim}; null means the whole head)
 * @param mlpSize d_ff ({@code n_inner}; null means 4 d)
 * @param activation MLP activation ({@code activation_function}), tanh GELU
 * @param layerNormEpsilon LayerNorm epsilon ({@code layer_norm_epsilon})
 * @param bosTokenId {@code bos_token_id}
 * @param eosTokenId {@code eos_token_id}, also padding
 */
public record GptjConfig(int vocabSize, int maxPositions, int hiddenSize, int layerCount, int headCount,
        int rotaryDim, int mlpSize, String activation, double layerNormEpsilon, int bosTokenId, int eosTokenId)
        implements ModelConfig {

    static final Set<String> TANH_GELU_NAMES = Set.of("gelu_new", "gelu_pytorch_tanh");

    public GptjConfig {
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(maxPositions > 0, "n_positions must be > 0, got " + maxPositions);
        require(hiddenSize > 0 && layerCount > 0 && headCount > 0 && mlpSize > 0,
                "n_embd, n_layer, n_head and n_inner must be > 0");
        require(hiddenSize % headCount == 0, "n_embd (" + hiddenSize + ") must be divisible by n_head (" + headCount + ")");
        require(rotaryDim > 0 && rotaryDim % 2 == 0 && rotaryDim <= hiddenSize / headCount,
                "rotary_dim must be even and in (0, head size " + hiddenSize / headCount + "], got " + rotaryDim);
        require(activation != null && TANH_GELU_NAMES.contains(activation),
                "activation_function must be one of " + TANH_GELU_NAMES + ", got " + activation);
        require(layerNormEpsilon > 0 && layerNormEpsilon < 1, "layer_norm_epsilon must be in (0, 1)");
        require(bosTokenId >= 0 && bosTokenId < vocabSize, "bos_token_id " + bosTokenId + " outside vocabulary");
        require(eosTokenId >= 0 && eosTokenId < vocabSize, "eos_token_id " + eosTokenId + " outside vocabulary");
    }

    /** Parses a GPT-J {@code config.json} tree read from {@code file}. */
    public static GptjConfig fromJson(JsonNode root, Path file) {
        ConfigKeys keys = new ConfigKeys(root, file);
        if (keys.bool("tie_word_embeddings", false)) {
            throw new IllegalArgumentException(file + ": tie_word_embeddings=true is not supported for GPT-J"
                    + " (its lm_head has a bias)");
        }
        int hidden = keys.requiredInt("n_embd");
        int heads = keys.requiredInt("n_head");
        int eos = keys.firstInt("eos_token_id", 50256);
        return new GptjConfig(keys.requiredInt("vocab_size"), keys.requiredInt("n_positions"), hidden,
                keys.requiredInt("n_layer"), heads, keys.optionalInt("rotary_dim", hidden / heads),
                keys.optionalInt("n_inner", 4 * hidden), keys.string("activation_function", "gelu_new"),
                keys.number("layer_norm_epsilon", 1e-5), keys.firstInt("bos_token_id", eos), eos);
    }

    /** The {@code config.json} transformers needs to rebuild this architecture. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putArray("architectures").add("GPTJForCausalLM");
        root.put("model_type", "gptj");
        root.put("vocab_size", vocabSize);
        root.put("n_positions", maxPositions);
        root.put("n_embd", hiddenSize);
        root.put("n_layer", layerCount);
        root.put("n_head", headCount);
        root.put("rotary_dim", rotaryDim);
        root.put("n_inner", mlpSize);
        root.put("activation_function", activation);
        root.put("layer_norm_epsilon", layerNormEpsilon);
        root.put("tie_word_embeddings", false);
        root.put("bos_token_id", bosTokenId);
        root.put("eos_token_id", eosTokenId);
        return root;
    }

    @Override
    public Architecture architecture() {
        return Architecture.GPTJ;
    }

    /** Width of one head, d / n_head. */
    public int headSize() {
        return hiddenSize / headCount;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("Invalid GPT-J config: " + message);
        }
    }
}
