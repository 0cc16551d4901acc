/*
 * The architecture-neutral causal language model the rest of the engine speaks to.
 * Reference: the shape Jlama and HF transformers share: embeddings, a stack of blocks, a final
 * norm and an LM head; one named MLP output projection per block is where CoachHooK attaches.
 */
package dev.hookline.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A decoder-only transformer LM whose parameters live in one model-lifetime {@link NDManager}.
 *
 * <p>Shape letters: B batch rows, T positions, S cached positions, d hidden size, d_ff key width
 * of the hooked projection, V vocabulary.
 *
 * <p>The hooked projection of every block is exposed in key-to-value layout: its weight W is
 * (d_ff, d) and its output is {@code v = k W + b}, whatever the checkpoint's storage layout
 * (GPT-2 {@code mlp.c_proj} is stored so; GPT-J {@code mlp.fc_out} and Llama {@code mlp.down_proj}
 * are nn.Linear weights (d, d_ff), which the family classes keep transposed in memory and write
 * back in HF layout). The key k is what the projection multiplies: GPT-2/GPT-J
 * {@code gelu(fc(x))}, Llama/Qwen2 {@code silu(gate_proj x) * up_proj x}.
 *
 * <p>Not thread-safe for concurrent mutation; concurrent forwards on separate managers are fine.
 */
public interface CausalLm extends AutoCloseable {

    /** Sizes and special tokens. */
    ModelConfig config();

    /** The architecture (as recorded in registries and bundles). */
    default Architecture architecture() {
        return config().architecture();
    }

    /**
     * FLOAT32 or FLOAT64: the dtype of the forward's activations and results (residuals, keys,
     * logits) and of every vector the editors add or optimise.
     */
    DataType dataType();

    /**
     * The dtype the matrices (embeddings, projections, head) are held in: {@link #dataType()}, or
     * FLOAT16 under a FLOAT32 model (mixed precision: products in float16, results cast back;
     * {@link dev.hookline.engine.device.Precision}). Norm gains and biases stay in {@link #dataType()}.
     */
    default DataType weightType() {
        return dataType();
    }

    /**
     * When the matrices are held below full precision, the digest the full-precision model would
     * have ({@code bundle.Digests#model}), taken from the values before they were rounded, so a
     * base model is the same model (same bundles, same statistics cache) in either precision; null
     * when the parameters are the full-precision values.
     */
    default String fullPrecisionDigest() {
        return null;
    }

    Device device();

    /** The model-lifetime manager that owns the parameters. */
    NDManager manager();

    /** All parameters by HF name, in checkpoint order, in the model's memory layout (live arrays). */
    Map<String, NDArray> parameters();

    /** The live parameter named {@code name}. */
    NDArray parameter(String name);

    /** HF module name of the hooked projection at {@code layer}, e.g. {@code model.layers.3.mlp.down_proj}. */
    String mlpProjectionName(int layer);

    /** Live W of the hooked projection at {@code layer}, (d_ff, d): v = k W + b. */
    NDArray mlpProjectionWeight(int layer);

    /**
     * b of the hooked projection at {@code layer}, (d). Architectures without that bias (Llama)
     * return a zero vector that is not a parameter.
     */
    NDArray mlpProjectionBias(int layer);

    /** Marks every parameter as requiring (or not) gradient. */
    void setTrainable(boolean trainable);

    /** Plain forward: logits only. */
    default ForwardResult forward(NDManager scope, TokenBatch batch) {
        return forward(scope, batch, ForwardOptions.defaults());
    }

    /**
     * Runs the model on {@code batch} (right-padded rows). Every returned array is attached to
     * {@code scope}. Records a graph when called inside a GradientCollector.
     */
    default ForwardResult forward(NDManager scope, TokenBatch batch, ForwardOptions options) {
        return forward(scope, batch, options, null);
    }

    /**
     * As {@link #forward(NDManager, TokenBatch, ForwardOptions)}; with a {@code cache}, the batch
     * holds only the new tokens (no padding), at positions S.. after the cached ones, and the
     * cache is extended by them. Hooks then see the new positions only, so every installed hook
     * must be {@link MlpProjectionHook#positionwise() positionwise}; residual additions and
     * {@code readFrom} are not allowed with a cache.
     */
    ForwardResult forward(NDManager scope, TokenBatch batch, ForwardOptions options, KvCache cache);

    /** An empty KV cache whose arrays live under {@code parent}. */
    KvCache newCache(NDManager parent);

    /**
     * A deep copy with its own parameter storage, every parameter in {@code type} (a copy of a
     * float16-weight model is a full-precision one), on the same device.
     */
    CausalLm copy(DataType type);

    /** A deep copy in the model's own dtype. */
    default CausalLm copy() {
        return copy(dataType());
    }

    /** The tensors a checkpoint holds, HF names to HF shapes, in checkpoint order (tied head omitted). */
    LinkedHashMap<String, long[]> checkpointShapes();

    /** Float32 values of the checkpoint tensor {@code name} in HF layout (row-major). */
    float[] checkpointValues(String name);

    /** Releases all parameters. */
    @Override
    void close();
}
