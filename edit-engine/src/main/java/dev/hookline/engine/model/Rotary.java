/*
 * Rotary position embeddings (RoPE) as transformers computes them in float32, in the two layouts
 * the supported families use: GPT-J's interleaved pairs (rotate_every_two, partial rotary_dim) and
 * Llama's halves (rotate_half), with Llama's rope types default, linear and llama3.
 * Reference: transformers' modeling_gptj.py (create_sinusoidal_positions, apply_rotary_pos_emb),
 * modeling_llama.py (LlamaRotaryEmbedding, rotate_half) and modeling_rope_utils.py
 * (_compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
 * _compute_llama3_parameters).
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.util.Tensors;

/**
 * Rotation of q and k, (B, H, T, hs), by position: {@code x cos + rotate(x) sin}, with
 * {@code rotate} a fixed signed permutation (applied as a matmul with a ±1 matrix, exact in float)
 * and cos = 1, sin = 0 on the dimensions past the rotary ones.
 *
 * @param headSize hs
 * @param inverseFrequencies one per rotated pair, float32 as transformers computes them
 * @param interleaved GPT-J's pairs (2i, 2i+1) when true, Llama's (i, i + r/2) when false
 * @param attentionScaling factor on cos and sin (1 for the supported rope types)
 */
public record Rotary(int headSize, float[] inverseFrequencies, boolean interleaved, float attentionScaling) {

    public Rotary {
        if (2 * inverseFrequencies.length > headSize) {
            throw new IllegalArgumentException("rotary dimension " + 2 * inverseFrequencies.length
                    + " exceeds head size " + headSize);
        }
        inverseFrequencies = inverseFrequencies.clone();
    }

    /** Default RoPE frequencies {@code 1 / base^(2i / dim)} in float32, i < dim / 2. */
    public static float[] defaultFrequencies(double base, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = (float) (1.0 / (float) Math.pow(base, exponent));
        }
        return inv;
    }

    /** Rotary dimension r (twice the number of frequencies). */
    public int rotaryDim() {
        return 2 * inverseFrequencies.length;
    }

    /** Applies the rotation at positions offset.. to x, (B, H, T, hs). */
    public NDArray apply(NDManager work, NDArray x, int offset, int length) {
        int hs = headSize;
        int half = inverseFrequencies.length;
        float[] cos = new float[length * hs];
        float[] sin = new float[length * hs];
        for (int t = 0; t < length; t++) {
            float position = offset + t;
            for (int j = 0; j < hs; j++) {
                int pair = j >= 2 * half ? -1 : interleaved ? j / 2 : j % half;
                if (pair < 0) {
                    cos[t * hs + j] = 1f;
                    continue;
                }
                float angle = position * inverseFrequencies[pair];
                cos[t * hs + j] = (float) Math.cos(angle) * attentionScaling;
                sin[t * hs + j] = (float) Math.sin(angle) * attentionScaling;
            }
        }
        float[] rotate = new float[hs * hs]; // (hs, hs): rotate(x) = x R
        for (int j = 0; j < 2 * half; j++) {
            if (interleaved) {
                // out[2i] = -x[2i+1], out[2i+1] = x[2i]
                if (j % 2 == 0) {
                    rotate[(j + 1) * hs + j] = -1f;
                } else {
                    rotate[(j - 1) * hs + j] = 1f;
                }
            } else if (j < half) {
                rotate[(j + half) * hs + j] = -1f; // out[j] = -x[j + r/2]
            } else {
                rotate[(j - half) * hs + j] = 1f; // out[j] = x[j - r/2]
            }
        }
        DataType type = x.getDataType();
        NDArray cosArray = Tensors.owned(work.create(cos, new Shape(length, hs)).toType(type, false)); // (T, hs)
        NDArray sinArray = Tensors.owned(work.create(sin, new Shape(length, hs)).toType(type, false)); // (T, hs)
        NDArray r = Tensors.owned(work.create(rotate, new Shape(hs, hs)).toType(type, false)); // (hs, hs)
        return x.mul(cosArray).add(x.matMul(r).mul(sinArray)); // (B, H, T, hs)
    }
}
