/*
 * Reads and writes Hugging Face GPT-2 `config.json` files.
 * Reference: transformers' GPT2Config.to_dict(); the keys written are the ones
 * GPT2LMHeadModel.from_pretrained needs to rebuild the same architecture.
 */
package dev.hookline.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one place where HF config keys map to {@link Gpt2Config} fields. */
public final class ConfigJson {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ConfigJson() {}

    /**
     * Parses a GPT-2 {@code config.json}.
     *
     * @throws IllegalArgumentException if a required key is missing, the model type is not GPT-2,
     *     or the architecture uses a variant this engine does not implement
     */
    public static Gpt2Config read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": not a JSON object");
        }
        String modelType = root.path("model_type").asText("gpt2");
        if (!modelType.equals("gpt2")) {
            throw new IllegalArgumentException(file + ": model_type '" + modelType + "' is not gpt2");
        }
        rejectIf(root, "scale_attn_weights", false, file);
        rejectIf(root, "scale_attn_by_inverse_layer_idx", true, file);
        rejectIf(root, "reorder_and_upcast_attn", true, file);
        rejectIf(root, "add_cross_attention", true, file);
        int hidden = requiredInt(root, "n_embd", file);
        JsonNode inner = root.get("n_inner");
        int mlp = inner == null || inner.isNull() ? 4 * hidden : inner.asInt();
        int eos = root.hasNonNull("eos_token_id") ? root.get("eos_token_id").asInt() : 50256;
        int bos = root.hasNonNull("bos_token_id") ? root.get("bos_token_id").asInt() : eos;
        return new Gpt2Config(
                requiredInt(root, "vocab_size", file),
                requiredInt(root, "n_positions", file),
                hidden,
                requiredInt(root, "n_layer", file),
                requiredInt(root, "n_head", file),
                mlp,
                root.path("activation_function").asText("gelu_new"),
                root.path("layer_norm_epsilon").asDouble(1e-5),
                root.path("tie_word_embeddings").asBoolean(true),
                bos,
                eos);
    }

    /** Writes {@code config} as an HF GPT-2 {@code config.json} that transformers can load. */
    public static void write(Gpt2Config config, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("GPT2LMHeadModel");
        root.put("model_type", "gpt2");
        root.put("vocab_size", config.vocabSize());
        root.put("n_positions", config.maxPositions());
        root.put("n_ctx", config.maxPositions());
        root.put("n_embd", config.hiddenSize());
        root.put("n_layer", config.layerCount());
        root.put("n_head", config.headCount());
        if (config.mlpSize() == 4 * config.hiddenSize()) {
            root.putNull("n_inner");
        } else {
            root.put("n_inner", config.mlpSize());
        }
        root.put("activation_function", config.activation());
        root.put("layer_norm_epsilon", config.layerNormEpsilon());
        root.put("tie_word_embeddings", config.tieWordEmbeddings());
        root.put("bos_token_id", config.bosTokenId());
        root.put("eos_token_id", config.eosTokenId());
        root.put("scale_attn_weights", true);
        root.put("resid_pdrop", 0.0);
        root.put("embd_pdrop", 0.0);
        root.put("attn_pdrop", 0.0);
        root.put("initializer_range", 0.02);
        root.put("torch_dtype", "float32");
        Files.writeString(file, JSON.writeValueAsString(root) + "\n");
    }

    private static int requiredInt(JsonNode root, String key, Path file) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull() || !node.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": missing or non-integer key '" + key + "'");
        }
        return node.asInt();
    }

    private static void rejectIf(JsonNode root, String key, boolean unsupported, Path file) {
        if (root.has(key) && root.get(key).asBoolean() == unsupported) {
            throw new IllegalArgumentException(
                    file + ": " + key + "=" + unsupported + " is not supported by this engine");
        }
    }
}
