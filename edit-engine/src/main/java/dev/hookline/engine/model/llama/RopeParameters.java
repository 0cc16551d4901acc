/*
 * Llama-family rotary settings: `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling`
 * (older configs), with the rope types default, linear and llama3.
 * Reference: transformers' modeling_rope_utils.py (_compute_default_rope_parameters,
 * _compute_linear_scaling_rope_parameters, _compute_llama3_parameters).
 */
package dev.hookline.engine.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.Rotary;
import java.nio.file.Path;
import java.util.List;

/**
 * @param type default, linear or llama3
 * @param theta the frequency base ({@code rope_theta})
 * @param factor scaling factor (linear, llama3; 1 otherwise)
 * @param lowFreqFactor llama3 {@code low_freq_factor}
 * @param highFreqFactor llama3 {@code high_freq_factor}
 * @param originalMaxPositions llama3 {@code original_max_position_embeddings}
 * @param partialRotaryFactor share of each head that rotates ({@code partial_rotary_factor}, 1 by default)
 */
public record RopeParameters(String type, double theta, double factor, double lowFreqFactor,
        double highFreqFactor, int originalMaxPositions, double partialRotaryFactor) {

    /** Rope types this engine computes. */
    public static final List<String> SUPPORTED = List.of("default", "linear", "llama3");

    public RopeParameters {
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("rope type '" + type + "' is not supported; supported: " + SUPPORTED);
        }
        if (theta <= 0 || factor <= 0) {
            throw new IllegalArgumentException("rope_theta and factor must be > 0, got " + theta + ", " + factor);
        }
        if (partialRotaryFactor <= 0 || partialRotaryFactor > 1) {
            throw new IllegalArgumentException("partial_rotary_factor must be in (0, 1], got " + partialRotaryFactor);
        }
        if (type.equals("llama3") && (highFreqFactor <= lowFreqFactor || originalMaxPositions <= 0)) {
            throw new IllegalArgumentException("llama3 rope needs high_freq_factor > low_freq_factor and"
                    + " original_max_position_embeddings > 0");
        }
    }

    /** Plain RoPE with base {@code theta}. */
    public static RopeParameters standard(double theta) {
        return new RopeParameters("default", theta, 1, 1, 4, 8192, 1);
    }

    /** Reads {@code rope_parameters}, or {@code rope_theta} / {@code rope_scaling}, of a config tree. */
    static RopeParameters fromJson(JsonNode root, Path file) {
        JsonNode params = root.get("rope_parameters");
        if (params == null || params.isNull()) {
            params = root.get("rope_scaling");
        }
        double theta = root.path("rope_theta").asDouble(10000);
        double partial = root.path("partial_rotary_factor").asDouble(1);
        if (params == null || params.isNull()) {
            return new RopeParameters("default", theta, 1, 1, 4, 8192, partial);
        }
        if (!params.isObject()) {
            throw new IllegalArgumentException(file + ": rope_parameters is not an object: " + params);
        }
        String type = params.path("rope_type").asText(params.path("type").asText("default"));
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException(file + ": rope type '" + type + "' is not supported; supported: "
                    + SUPPORTED);
        }
        return new RopeParameters(type, params.path("rope_theta").asDouble(theta),
                params.path("factor").asDouble(1), params.path("low_freq_factor").asDouble(1),
                params.path("high_freq_factor").asDouble(4),
                params.path("original_max_position_embeddings").asInt(8192),
                params.path("partial_rotary_factor").asDouble(partial));
    }

    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("rope_type", type);
        node.put("rope_theta", theta);
        if (!type.equals("default")) {
            node.put("factor", factor);
        }
        if (type.equals("llama3")) {
            node.put("low_freq_factor", lowFreqFactor);
            node.put("high_freq_factor", highFreqFactor);
            node.put("original_max_position_embeddings", originalMaxPositions);
        }
        if (partialRotaryFactor != 1) {
            node.put("partial_rotary_factor", partialRotaryFactor);
        }
        return node;
    }

    /** Inverse frequencies (float32, as transformers computes them) for heads of {@code headSize}. */
    public float[] inverseFrequencies(int headSize) {
        int dim = (int) (headSize * partialRotaryFactor);
        float[] inv = Rotary.defaultFrequencies(theta, dim);
        switch (type) {
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
            }
            case "llama3" -> {
                double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
                double highFreqWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    // Long wavelengths are scaled by 1/factor, short ones kept, the band between smoothed.
                    double scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
                    boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
                    if (medium) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor)
                                / (highFreqFactor - lowFreqFactor);
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = (float) scaled;
                }
            }
            default -> { }
        }
        return inv;
    }

    /** The rotation for heads of {@code headSize} (Llama's half layout). */
    public Rotary rotary(int headSize) {
        return new Rotary(headSize, inverseFrequencies(headSize), false, 1f);
    }
}
