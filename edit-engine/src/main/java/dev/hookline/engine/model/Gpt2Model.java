/*
 * GPT-2 (pre-LN transformer with learned positions and a tied LM head) on DJL PyTorch NDArrays.
 * Reference: Radford et al. 2019 and transformers' modeling_gpt2.py (GPT2LMHeadModel); names and
 * layouts follow the HF checkpoint (Conv1D weights stored (in, out), so y = x W + b).
 * Forward and autograd backward run through the engine's ops; the model holds no graph state.
 */
package dev.hookline.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.hookline.engine.util.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A GPT-2 language model whose parameters live in one model-lifetime {@link NDManager}.
 *
 * <p>Shape letters: B batch rows, T positions, d hidden size, H heads, hs head size (d / H),
 * d_ff MLP width, V vocabulary, P max positions.
 *
 * <p>Parameters carry their HF names ({@link #parameterNames}); {@link #parameter(String)} returns
 * the live array, so in-place updates (an optimizer step, a MEMIT weight edit) change the model.
 * Not thread-safe for concurrent mutation; concurrent forwards on separate managers are fine.
 */
public final class Gpt2Model implements AutoCloseable {

    /** Supplies float32 little-endian values for a named parameter of a given shape. */
    @FunctionalInterface
    public interface TensorSource {
        ByteBuffer float32(String name, long[] shape) throws java.io.IOException;
    }

    /** Large negative logit bias for masked attention (finite, so softmax never yields NaN). */
    private static final double MASK_BIAS = -1e9;
    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    private final Gpt2Config config;
    private final NDManager manager;
    private final DataType dataType;
    private final LinkedHashMap<String, NDArray> parameters;
    private final NDArray wte; // (V, d), also the LM head
    private final NDArray wpe; // (P, d)
    private final Block[] blocks;
    private final NDArray lnFinalWeight; // (d)
    private final NDArray lnFinalBias; // (d)

    /** One block's parameters; weights in Conv1D layout (in, out). */
    private record Block(
            NDArray ln1Weight, NDArray ln1Bias, // (d)
            NDArray attnWeight, NDArray attnBias, // (d, 3d), (3d)
            NDArray attnProjWeight, NDArray attnProjBias, // (d, d), (d)
            NDArray ln2Weight, NDArray ln2Bias, // (d)
            NDArray fcWeight, NDArray fcBias, // (d, d_ff), (d_ff)
            NDArray projWeight, NDArray projBias) {} // (d_ff, d), (d)

    private Gpt2Model(Gpt2Config config, NDManager manager, DataType dataType,
            LinkedHashMap<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.dataType = dataType;
        this.parameters = parameters;
        this.wte = parameters.get("transformer.wte.weight");
        this.wpe = parameters.get("transformer.wpe.weight");
        this.lnFinalWeight = parameters.get("transformer.ln_f.weight");
        this.lnFinalBias = parameters.get("transformer.ln_f.bias");
        this.blocks = new Block[config.layerCount()];
        for (int i = 0; i < blocks.length; i++) {
            String p = "transformer.h." + i + ".";
            blocks[i] = new Block(
                    parameters.get(p + "ln_1.weight"), parameters.get(p + "ln_1.bias"),
                    parameters.get(p + "attn.c_attn.weight"), parameters.get(p + "attn.c_attn.bias"),
                    parameters.get(p + "attn.c_proj.weight"), parameters.get(p + "attn.c_proj.bias"),
                    parameters.get(p + "ln_2.weight"), parameters.get(p + "ln_2.bias"),
                    parameters.get(p + "mlp.c_fc.weight"), parameters.get(p + "mlp.c_fc.bias"),
                    parameters.get(p + "mlp.c_proj.weight"), parameters.get(p + "mlp.c_proj.bias"));
        }
    }

    /**
     * The HF GPT-2 parameter names of {@code config} with their shapes, in checkpoint order
     * (embeddings, blocks, ln_f). The tied LM head has no entry of its own.
     */
    public static LinkedHashMap<String, long[]> parameterShapes(Gpt2Config config) {
        long d = config.hiddenSize();
        long ff = config.mlpSize();
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("transformer.wte.weight", new long[] {config.vocabSize(), d});
        shapes.put("transformer.wpe.weight", new long[] {config.maxPositions(), d});
        for (int i = 0; i < config.layerCount(); i++) {
            String p = "transformer.h." + i + ".";
            shapes.put(p + "ln_1.weight", new long[] {d});
            shapes.put(p + "ln_1.bias", new long[] {d});
            shapes.put(p + "attn.c_attn.weight", new long[] {d, 3 * d});
            shapes.put(p + "attn.c_attn.bias", new long[] {3 * d});
            shapes.put(p + "attn.c_proj.weight", new long[] {d, d});
            shapes.put(p + "attn.c_proj.bias", new long[] {d});
            shapes.put(p + "ln_2.weight", new long[] {d});
            shapes.put(p + "ln_2.bias", new long[] {d});
            shapes.put(p + "mlp.c_fc.weight", new long[] {d, ff});
            shapes.put(p + "mlp.c_fc.bias", new long[] {ff});
            shapes.put(p + "mlp.c_proj.weight", new long[] {ff, d});
            shapes.put(p + "mlp.c_proj.bias", new long[] {d});
        }
        shapes.put("transformer.ln_f.weight", new long[] {d});
        shapes.put("transformer.ln_f.bias", new long[] {d});
        return shapes;
    }

    /** The HF names of all parameters, in checkpoint order. */
    public static List<String> parameterNames(Gpt2Config config) {
        return List.copyOf(parameterShapes(config).keySet());
    }

    /**
     * Builds a model from a source of parameter values.
     *
     * @param device where the parameters live (from the engine; CPU or a GPU)
     * @param dataType FLOAT32 for normal use, FLOAT64 for gradient checks
     */
    public static Gpt2Model create(Gpt2Config config, TensorSource source, Device device,
            DataType dataType) throws java.io.IOException {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("model dtype must be FLOAT32 or FLOAT64, got " + dataType);
        }
        NDManager manager = NDManager.newBaseManager(device);
        try {
            LinkedHashMap<String, NDArray> parameters = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
                ByteBuffer values = source.float32(e.getKey(), e.getValue());
                NDArray raw = manager.create(values, new Shape(e.getValue()), DataType.FLOAT32);
                // A private copy, so the model never aliases the caller's buffer.
                NDArray array = dataType == DataType.FLOAT32 ? raw.duplicate() : raw.toType(dataType, true);
                raw.close();
                array.setName(e.getKey());
                parameters.put(e.getKey(), array);
            }
            return new Gpt2Model(config, manager, dataType, parameters);
        } catch (java.io.IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A freshly initialised model as GPT-2 initialises it: normal(0, 0.02) weights and
     * embeddings, residual projections scaled by 1/sqrt(2 n_layer), zero biases, unit LayerNorm
     * gains. Values come from {@code java.util.Random(seed)}, so they are identical on every
     * device and run.
     */
    public static Gpt2Model randomInit(Gpt2Config config, long seed, Device device,
            DataType dataType) throws java.io.IOException {
        Random random = new Random(seed);
        double residualScale = 1 / Math.sqrt(2.0 * config.layerCount());
        return create(config, (name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) (4 * n)).order(ByteOrder.nativeOrder());
            boolean isLayerNormWeight = name.matches(".*ln_(1|2|f)\\.weight");
            boolean isBias = name.endsWith(".bias");
            double std = name.endsWith("c_proj.weight") ? 0.02 * residualScale : 0.02;
            for (long i = 0; i < n; i++) {
                float v = isLayerNormWeight ? 1f : isBias ? 0f : (float) (random.nextGaussian() * std);
                out.putFloat(v);
            }
            out.flip();
            return out;
        }, device, dataType);
    }

    /** A deep copy in {@code dataType} on the same device. */
    public Gpt2Model copy(DataType type) {
        NDManager copyManager = NDManager.newBaseManager(manager.getDevice());
        LinkedHashMap<String, NDArray> copies = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            // toType(sameType, copy=true) returns a view in DJL's PyTorch engine, so duplicate then.
            NDArray c = type == dataType ? e.getValue().duplicate() : e.getValue().toType(type, true);
            c.attach(copyManager);
            c.setName(e.getKey());
            copies.put(e.getKey(), c);
        }
        return new Gpt2Model(config, copyManager, type, copies);
    }

    public Gpt2Config config() {
        return config;
    }

    /** FLOAT32 or FLOAT64. */
    public DataType dataType() {
        return dataType;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** The model-lifetime manager that owns the parameters. */
    public NDManager manager() {
        return manager;
    }

    /** All parameters by HF name, in checkpoint order (live arrays). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** The live parameter array named {@code name} (HF name with the {@code transformer.} prefix). */
    public NDArray parameter(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return p;
    }

    /** W of the MLP projection at {@code layer}, Conv1D layout (d_ff, d): v = k W + b. */
    public NDArray mlpProjectionWeight(int layer) {
        return block(layer).projWeight();
    }

    /** b of the MLP projection at {@code layer}, (d). */
    public NDArray mlpProjectionBias(int layer) {
        return block(layer).projBias();
    }

    /** Marks every parameter as requiring (or not) gradient. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : parameters.values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /** Plain forward: logits only. */
    public ForwardResult forward(NDManager scope, TokenBatch batch) {
        return forward(scope, batch, ForwardOptions.defaults());
    }

    /**
     * Runs the model on {@code batch}. Every returned array is attached to {@code scope};
     * intermediates are released before returning (the autograd graph keeps what backward
     * needs). Records a graph when called inside a GradientCollector.
     */
    public ForwardResult forward(NDManager scope, TokenBatch batch, ForwardOptions options) {
        int batchSize = batch.size();
        int length = batch.length();
        int d = config.hiddenSize();
        validate(batch, options);
        try (NDManager work = scope.newSubManager()) {
            NDArray ids = batch.ids(work); // (B, T)
            NDArray mask = batch.mask(work, dataType); // (B, T)
            NDArray attentionBias = attentionBias(work, batch); // (B, 1, T, T)

            NDArray tokens = wte.get(new NDIndex("{}", ids)); // (B, T, d)
            tokens.attach(work);
            NDArray positions = wpe.get(new NDIndex("0:" + length)); // (T, d)
            positions.attach(work);
            NDArray h = tokens.add(positions); // (B, T, d)
            NDArray embeddings = h;

            boolean capture = options.captureResiduals();
            List<NDArray> attentionResiduals = capture ? new ArrayList<>() : null;
            List<NDArray> residuals = capture ? new ArrayList<>() : null;
            Map<Integer, NDArray> keys = new HashMap<>();
            Map<Integer, NDArray> mlpOutputs = new HashMap<>();

            for (int layer = 0; layer < blocks.length; layer++) {
                Block blk = blocks[layer];
                // A block's temporaries live in their own scope, closed at the block's end: in
                // `work` a 48-block forward of 8000 tokens at d_ff 6400 held ~75 GB until it
                // returned. Results attach to their first operand's manager, so moving the
                // block's input there scopes everything computed from it.
                NDManager blockScope = work.newSubManager();
                NDArray input = h;
                input.attach(blockScope);
                // Attention sub-block: h = h + c_proj(attn(ln_1(h)))
                NDArray a = layerNorm(h, blk.ln1Weight(), blk.ln1Bias()); // (B, T, d)
                h = h.add(attention(a, blk, attentionBias, batchSize, length)); // (B, T, d)
                if (capture) {
                    attentionResiduals.add(h);
                }
                // MLP sub-block: h = h + c_proj(gelu(c_fc(ln_2(h)))), c_proj output hookable
                NDArray m = layerNorm(h, blk.ln2Weight(), blk.ln2Bias()); // (B, T, d)
                NDArray key = geluNew(m.matMul(blk.fcWeight()).add(blk.fcBias())); // (B, T, d_ff)
                NDArray value = key.matMul(blk.projWeight()).add(blk.projBias()); // (B, T, d)
                MlpProjectionHook hook = options.hooks().get(layer);
                if (hook != null) {
                    NDArray replaced = hook.replace(layer, key, value, mask,
                            layer == blocks.length - 1 ? options.readFrom() : null);
                    if (!replaced.getShape().equals(value.getShape())) {
                        throw new IllegalStateException("hook at layer " + layer + " returned shape "
                                + replaced.getShape() + ", expected " + value.getShape());
                    }
                    value = replaced;
                }
                h = h.add(value); // (B, T, d)
                if (options.keyLayers().contains(layer)) {
                    keys.put(layer, key);
                }
                if (options.mlpOutputLayers().contains(layer)) {
                    mlpOutputs.put(layer, value);
                }
                for (ResidualAddition addition : options.additions()) {
                    if (addition.layer() == layer) {
                        h = h.add(selection(work, addition, batchSize, length).mul(addition.vector()));
                    }
                }
                if (capture) {
                    residuals.add(h);
                }
                // Survivors go back to `work`: the block's input (an earlier result or the
                // embeddings), its output, and what the caller asked to capture.
                input.attach(work);
                h.attach(work);
                if (capture) {
                    attentionResiduals.get(layer).attach(work);
                }
                if (keys.containsKey(layer)) {
                    keys.get(layer).attach(work);
                }
                if (mlpOutputs.containsKey(layer)) {
                    mlpOutputs.get(layer).attach(work);
                }
                blockScope.close();
            }

            NDArray logits = null;
            if (options.computeLogits()) {
                NDArray last = layerNorm(h, lnFinalWeight, lnFinalBias); // (B, T, d)
                NDArray head = wte.transpose(); // (d, V)
                head.attach(work);
                logits = last.matMul(head); // (B, T, V)
            }
            // Move the results out of the scratch scope before it closes.
            List<NDArray> keep = new ArrayList<>();
            if (logits != null) {
                keep.add(logits);
            }
            keep.add(embeddings);
            if (capture) {
                keep.addAll(attentionResiduals);
                keep.addAll(residuals);
            }
            keep.addAll(keys.values());
            keep.addAll(mlpOutputs.values());
            for (NDArray array : keep) {
                array.attach(scope);
            }
            assert h.getShape().equals(new Shape(batchSize, length, d));
            return new ForwardResult(logits, embeddings, attentionResiduals, residuals, keys, mlpOutputs);
        }
    }

    /** Causal self-attention of one block on normalised input {@code a} (B, T, d). */
    private NDArray attention(NDArray a, Block blk, NDArray bias, int batchSize, int length) {
        int heads = config.headCount();
        int hs = config.headSize();
        NDArray qkv = a.matMul(blk.attnWeight()).add(blk.attnBias()); // (B, T, 3d)
        NDList parts = qkv.split(3, 2); // 3 x (B, T, d)
        Shape split = new Shape(batchSize, length, heads, hs);
        NDArray q = parts.get(0).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray kT = parts.get(1).reshape(split).transpose(0, 2, 3, 1); // (B, H, hs, T)
        NDArray v = parts.get(2).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray scores = q.matMul(kT).mul(Tensors.scalar(q, 1.0 / Math.sqrt(hs))).add(bias); // (B, H, T, T)
        NDArray probs = scores.softmax(3); // (B, H, T, T)
        NDArray y = probs.matMul(v) // (B, H, T, hs)
                .transpose(0, 2, 1, 3) // (B, T, H, hs)
                .reshape(batchSize, length, (long) heads * hs); // (B, T, d)
        return y.matMul(blk.attnProjWeight()).add(blk.attnProjBias()); // (B, T, d)
    }

    /** Additive attention bias, (B, 1, T, T): 0 where key s <= query t and s is real, else -1e9. */
    private NDArray attentionBias(NDManager work, TokenBatch batch) {
        int length = batch.length();
        float[] bias = new float[batch.size() * length * length];
        for (int b = 0; b < batch.size(); b++) {
            int real = batch.length(b);
            for (int t = 0; t < length; t++) {
                int base = (b * length + t) * length;
                for (int s = 0; s < length; s++) {
                    bias[base + s] = s <= t && s < real ? 0f : (float) MASK_BIAS;
                }
            }
        }
        return Tensors.owned(work.create(bias, new Shape(batch.size(), 1, length, length)).toType(dataType, false));
    }

    /** One-hot selection of the addition's (row, position) pairs, (B, T, 1). */
    private NDArray selection(NDManager work, ResidualAddition addition, int batchSize, int length) {
        float[] sel = new float[batchSize * length];
        for (int i = 0; i < addition.rows().length; i++) {
            sel[addition.rows()[i] * length + addition.positions()[i]] += 1f;
        }
        return Tensors.owned(work.create(sel, new Shape(batchSize, length, 1)).toType(dataType, false));
    }

    private NDArray layerNorm(NDArray x, NDArray gain, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), gain, bias,
                (float) config.layerNormEpsilon()).singletonOrThrow();
    }

    /** GPT-2's tanh GELU ("gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static NDArray geluNew(NDArray x) {
        NDArray inner = x.mul(x).mul(x).mul(Tensors.scalar(x, 0.044715)).add(x).mul(Tensors.scalar(x, GELU_C));
        return inner.tanh().add(1).mul(x).mul(Tensors.scalar(x, 0.5));
    }

    private void validate(TokenBatch batch, ForwardOptions options) {
        int[] readFrom = options.readFrom();
        if (readFrom != null) {
            if (readFrom.length != batch.size()) {
                throw new IllegalArgumentException("readFrom has " + readFrom.length + " rows, batch " + batch.size());
            }
            int last = blocks.length - 1;
            if (options.captureResiduals() || options.mlpOutputLayers().contains(last)) {
                throw new IllegalArgumentException("readFrom is for logits: the last block's outputs before it are not"
                        + " the hooked model's, so they cannot be captured");
            }
        }
        if (batch.length() > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + batch.length()
                    + " tokens exceeds n_positions " + config.maxPositions());
        }
        for (int b = 0; b < batch.size(); b++) {
            for (int id : batch.row(b)) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " in row " + b
                            + " outside vocabulary of " + config.vocabSize());
                }
            }
        }
        if (batch.padId() < 0 || batch.padId() >= config.vocabSize()) {
            throw new IllegalArgumentException("pad id " + batch.padId() + " outside vocabulary");
        }
        for (int layer : options.hooks().keySet()) {
            checkLayer(layer, "hook");
        }
        for (ResidualAddition addition : options.additions()) {
            checkLayer(addition.layer(), "residual addition");
            for (int i = 0; i < addition.rows().length; i++) {
                int r = addition.rows()[i];
                int t = addition.positions()[i];
                if (r < 0 || r >= batch.size() || t < 0 || t >= batch.length()) {
                    throw new IllegalArgumentException("residual addition at (" + r + ", " + t
                            + ") outside batch (" + batch.size() + ", " + batch.length() + ")");
                }
            }
        }
    }

    private void checkLayer(int layer, String what) {
        if (layer < 0 || layer >= blocks.length) {
            throw new IllegalArgumentException(what + " at layer " + layer + " but the model has "
                    + blocks.length + " layers");
        }
    }

    private Block block(int layer) {
        checkLayer(layer, "access");
        return blocks[layer];
    }

    /** Releases all parameters. */
    @Override
    public void close() {
        manager.close();
    }
}
