/*
 * Llama-family hyperparameters (Llama 2/3, Mistral, Qwen2), the Java side of their
 * `config.json`, mapped in one place.
 * Reference: transformers' LlamaConfig, MistralConfig, Qwen2Config (hidden_size,
 * intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
 * hidden_act, rms_norm_eps, rope_parameters / rope_theta + rope_scaling, attention_bias, mlp_bias,
 * tie_word_embeddings, sliding_window / use_sliding_window; Qwen2's q/k/v projections have biases).
 */
package dev.hookline.engine.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.ConfigKeys;
import dev.hookline.engine.model.ModelConfig;
import java.nio.file.Path;
import java.util.Set;

/**
 * Shape and numeric settings of a Llama-layout decoder: RMSNorm, rotary (half layout), grouped
 * query attention, SwiGLU MLP.
 *
 * @param architecture LLAMA, MISTRAL or QWEN2
 * @param vocabSize V ({@code vocab_size})
 * @param maxPositions longest sequence ({@code max_position_embeddings})
 * @param hiddenSize d ({@code hidden_size})
 * @param layerCount blocks ({@code num_hidden_layers})
 * @param headCount query heads H ({@code num_attention_heads})
 * @param kvHeadCount key/value heads H_kv ({@code num_key_value_heads}); divides H
 * @param headSize hs ({@code head_dim}; d / H when absent)
 * @param mlpSize d_ff ({@code intermediate_size})
 * @param activation gate activation ({@code hidden_act}), silu
 * @param rmsNormEpsilon RMSNorm epsilon ({@code rms_norm_eps})
 * @param rope rotary settings
 * @param qkvBias whether q/k/v projections have biases (Qwen2; Llama's {@code attention_bias})
 * @param outputBias whether o_proj has a bias (Llama's {@code attention_bias})
 * @param mlpBias whether gate/up/down projections have biases ({@code mlp_bias})
 * @param tieWordEmbeddings whether the head is {@code embed_tokens} ({@code tie_word_embeddings})
 * @param slidingWindow attention window when one is in use, else 0 (sequences up to it only)
 * @param bosTokenId {@code bos_token_id}
 * @param eosTokenId {@code eos_token_id} (the first when a list), also padding
 */
public record LlamaConfig(Architecture architecture, int vocabSize, int maxPositions, int hiddenSize,
        int layerCount, int headCount, int kvHeadCount, int headSize, int mlpSize, String activation,
        double rmsNormEpsilon, RopeParameters rope, boolean qkvBias, boolean outputBias, boolean mlpBias,
        boolean tieWordEmbeddings, int slidingWindow, int bosTokenId, int eosTokenId) implements ModelConfig {

    static final Set<String> SILU_NAMES = Set.of("silu", "swish");

    public LlamaConfig {
        require(architecture != null && architecture.family().equals("llama"),
                "architecture must be of the llama family, got " + architecture);
        require(vocabSize > 0 && maxPositions > 0 && hiddenSize > 0 && layerCount > 0 && mlpSize > 0,
                "vocab_size, max_position_embeddings, hidden_size, num_hidden_layers and intermediate_size must be > 0");
        require(headCount > 0 && kvHeadCount > 0 && headCount % kvHeadCount == 0,
                "num_attention_heads (" + headCount + ") must be a multiple of num_key_value_heads (" + kvHeadCount + ")");
        require(headSize > 0 && headSize % 2 == 0, "head_dim must be even and > 0, got " + headSize);
        require(activation != null && SILU_NAMES.contains(activation),
                "hidden_act must be one of " + SILU_NAMES + ", got " + activation);
        require(rmsNormEpsilon > 0 && rmsNormEpsilon < 1, "rms_norm_eps must be in (0, 1)");
        require(rope != null, "rope parameters missing");
        require(slidingWindow >= 0, "sliding_window must be >= 0");
        require(bosTokenId >= 0 && bosTokenId < vocabSize, "bos_token_id " + bosTokenId + " outside vocabulary");
        require(eosTokenId >= 0 && eosTokenId < vocabSize, "eos_token_id " + eosTokenId + " outside vocabulary");
    }

    /** A Llama with default settings around the sizes (silu, eps 1e-5, theta 10000, no biases). */
    public static LlamaConfig llama(int vocabSize, int maxPositions, int hiddenSize, int layerCount, int headCount,
            int kvHeadCount, int mlpSize, boolean tied, int bosTokenId, int eosTokenId) {
        return new LlamaConfig(Architecture.LLAMA, vocabSize, maxPositions, hiddenSize, layerCount, headCount,
                kvHeadCount, hiddenSize / headCount, mlpSize, "silu", 1e-5, RopeParameters.standard(10000),
                false, false, false, tied, 0, bosTokenId, eosTokenId);
    }

    /** Parses a Llama, Mistral or Qwen2 {@code config.json} tree read from {@code file}. */
    public static LlamaConfig fromJson(Architecture architecture, JsonNode root, Path file) {
        ConfigKeys keys = new ConfigKeys(root, file);
        int hidden = keys.requiredInt("hidden_size");
        int heads = keys.requiredInt("num_attention_heads");
        boolean attentionBias = keys.bool("attention_bias", false);
        boolean qwen = architecture == Architecture.QWEN2;
        int window = 0;
        if (architecture == Architecture.MISTRAL || (qwen && keys.bool("use_sliding_window", false))) {
            window = keys.optionalInt("sliding_window", 0);
        }
        int eos = keys.firstInt("eos_token_id", 0);
        return new LlamaConfig(architecture, keys.requiredInt("vocab_size"),
                keys.optionalInt("max_position_embeddings", 2048), hidden, keys.requiredInt("num_hidden_layers"),
                heads, keys.optionalInt("num_key_value_heads", heads), keys.optionalInt("head_dim", hidden / heads),
                keys.requiredInt("intermediate_size"), keys.string("hidden_act", "silu"),
                keys.number("rms_norm_eps", 1e-6), RopeParameters.fromJson(root, file),
                qwen || attentionBias, !qwen && attentionBias, keys.bool("mlp_bias", false),
                keys.bool("tie_word_embeddings", qwen), window, keys.firstInt("bos_token_id", eos), eos);
    }

    /** The {@code config.json} transformers needs to rebuild this architecture. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putArray("architectures").add(architecture.classNames().get(0));
        root.put("model_type", architecture.modelType());
        root.put("vocab_size", vocabSize);
        root.put("max_position_embeddings", maxPositions);
        root.put("hidden_size", hiddenSize);
        root.put("num_hidden_layers", layerCount);
        root.put("num_attention_heads", headCount);
        root.put("num_key_value_heads", kvHeadCount);
        root.put("head_dim", headSize);
        root.put("intermediate_size", mlpSize);
        root.put("hidden_act", activation);
        root.put("rms_norm_eps", rmsNormEpsilon);
        root.set("rope_parameters", rope.toJson());
        root.put("rope_theta", rope.theta());
        if (architecture != Architecture.QWEN2) {
            root.put("attention_bias", outputBias);
        }
        root.put("mlp_bias", mlpBias);
        root.put("tie_word_embeddings", tieWordEmbeddings);
        if (slidingWindow > 0) {
            root.put("sliding_window", slidingWindow);
            if (architecture == Architecture.QWEN2) {
                root.put("use_sliding_window", true);
            }
        } else {
            root.putNull("sliding_window");
        }
        root.put("bos_token_id", bosTokenId);
        root.put("eos_token_id", eosTokenId);
        return root;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("Invalid Llama-family config: " + message);
        }
    }
}
