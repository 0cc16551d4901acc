/*
 * The forward pass every supported architecture shares: embeddings, blocks of attention and an
 * MLP whose output projection is hookable, final norm, LM head; with or without a KV cache.
 * Reference: transformers' GPT2LMHeadModel / GPTJForCausalLM / LlamaForCausalLM forward (pre-norm
 * blocks; GPT-J runs attention and MLP in parallel from one LayerNorm).
 */
package dev.hookline.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.util.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of the family classes: owns the parameters (HF names; nn.Linear weights kept transposed,
 * (in, out), so every projection is {@code x W + b}) and runs the hooked forward. A family class
 * supplies the pieces that differ: embeddings, attention (with its positional scheme), norms,
 * MLP key, head.
 *
 * <p>Shape letters: B rows, T new positions, S positions attended to (cached plus new), d hidden,
 * H heads, H_kv key/value heads, hs head size, d_ff key width, V vocabulary.
 */
public abstract class TransformerLm implements CausalLm {

    private static final Logger LOG = LoggerFactory.getLogger(TransformerLm.class);

    /** Large negative logit bias for masked attention (finite, so softmax never yields NaN). */
    protected static final double MASK_BIAS = -1e9;

    private final ModelConfig config;
    private final NDManager manager;
    private final DataType dataType;
    private final DataType weightType;
    private final String fullPrecisionDigest;
    private final LinkedHashMap<String, NDArray> parameters;
    private final LinkedHashMap<String, long[]> checkpointShapes;
    private final NDArray[] zeroBiases;
    private final NDArray modelTypeZero; // (1), the model's dtype: casts float16 results up (inModelType)

    /** What attention needs beyond its input: the mask, the positions, the cache. */
    protected record AttentionContext(NDManager work, NDArray bias, int batchSize, int length, int offset,
            KvCache cache) {}

    /**
     * A model's parameters as built.
     *
     * @param parameters by HF name, in checkpoint order
     * @param weightType dtype of the matrices (the model's dtype, or FLOAT16 under a float32 model)
     * @param fullPrecisionDigest with lower-precision matrices, the digest of the full-precision values
     *     ({@link CausalLm#fullPrecisionDigest()}); null otherwise
     */
    protected record Weights(LinkedHashMap<String, NDArray> parameters, DataType weightType,
            String fullPrecisionDigest) {
        /** Parameters all in {@code type}. */
        public static Weights full(LinkedHashMap<String, NDArray> parameters, DataType type) {
            return new Weights(parameters, type, null);
        }
    }

    protected TransformerLm(ModelConfig config, NDManager manager, DataType dataType, Weights weights,
            LinkedHashMap<String, long[]> checkpointShapes) {
        this.config = config;
        this.manager = manager;
        this.dataType = dataType;
        this.weightType = weights.weightType();
        this.fullPrecisionDigest = weights.fullPrecisionDigest();
        this.parameters = weights.parameters();
        this.checkpointShapes = checkpointShapes;
        this.zeroBiases = new NDArray[config.layerCount()];
        this.modelTypeZero = weightType == dataType ? null : manager.zeros(new Shape(1), dataType);
    }

    /**
     * Builds parameters from {@code source} (values in HF layout); names in {@code transposed}'s
     * set are nn.Linear weights, stored (in, out) in memory.
     *
     * @param dataType FLOAT32 or FLOAT64: the model's dtype (activations, vectors, hook deltas)
     * @param weightType the matrices' (2-D parameters': embeddings, projections, head) dtype: the
     *     model's, or FLOAT16 under FLOAT32, where the float32 values are hashed on the way
     *     ({@link CausalLm#fullPrecisionDigest()}) as they are gone afterwards
     */
    protected static Weights buildParameters(NDManager manager, LinkedHashMap<String, long[]> shapes,
            Predicate<String> transposed, TensorSource source, DataType dataType, DataType weightType)
            throws IOException {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("model dtype must be FLOAT32 or FLOAT64, got " + dataType);
        }
        // Not BFLOAT16: DJL 0.36's PyTorch JNI has no dtype code for it (a cast aborts the JVM).
        if (weightType != dataType && !(dataType == DataType.FLOAT32 && weightType == DataType.FLOAT16)) {
            throw new IllegalArgumentException("weights must be in the model's dtype, or FLOAT16 under FLOAT32; got "
                    + weightType + " under " + dataType);
        }
        boolean reduced = weightType != dataType;
        if (reduced && !manager.getDevice().isGpu()) {
            LOG.warn("{} matrices on the CPU: PyTorch's CPU half-precision products are slower than float32"
                    + " (about 6x per edit batch on the tiny bench); --precision fp16 is meant for GPUs", weightType);
        }
        MessageDigest digest = reduced ? sha256() : null;
        LinkedHashMap<String, NDArray> parameters = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long[] shape = e.getValue();
            ByteBuffer values = source.float32(e.getKey(), shape);
            if (transposed.test(e.getKey())) {
                values = transpose(values, (int) shape[0], (int) shape[1]);
                shape = new long[] {shape[1], shape[0]};
            }
            if (digest != null) {
                hash(digest, e.getKey(), values, shape);
            }
            NDArray raw = manager.create(values, new Shape(shape), DataType.FLOAT32);
            DataType type = shape.length == 2 ? weightType : dataType;
            // A private copy, so the model never aliases the caller's buffer.
            NDArray array = type == DataType.FLOAT32 ? raw.duplicate() : raw.toType(type, true);
            raw.close();
            array.setName(e.getKey());
            parameters.put(e.getKey(), array);
        }
        return new Weights(parameters, weightType,
                digest == null ? null : java.util.HexFormat.of().formatHex(digest.digest()));
    }

    /**
     * Digests.model's definition, applied to the values before they are rounded: per parameter in
     * checkpoint order its name (UTF-8) and its float32 values, little-endian, in memory layout.
     */
    private static void hash(MessageDigest digest, String name, ByteBuffer values, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        digest.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // Values reach DJL as native-order floats; hash them as little-endian floats.
        ByteBuffer bytes = values.duplicate();
        bytes.position(0).limit(Math.toIntExact(4 * n));
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            digest.update(bytes);
            return;
        }
        java.nio.FloatBuffer floats = bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
        ByteBuffer le = ByteBuffer.allocate(4 * floats.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        le.asFloatBuffer().put(floats);
        digest.update(le.array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Row-major (rows, cols) float32 values transposed to (cols, rows). */
    static ByteBuffer transpose(ByteBuffer values, int rows, int cols) {
        java.nio.FloatBuffer in = values.duplicate().order(values.order()).asFloatBuffer();
        float[] a = new float[rows * cols];
        in.get(a);
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        ByteBuffer out = ByteBuffer.allocateDirect(4 * t.length).order(ByteOrder.nativeOrder());
        out.asFloatBuffer().put(t);
        return out;
    }

    /**
     * Random values in HF layout: normal(0, std(name)) weights, zero biases, unit norm gains, from
     * {@code java.util.Random(seed)} so they are identical on every device and run.
     */
    protected static TensorSource gaussianInit(long seed, Predicate<String> isNormGain,
            ToDoubleFunction<String> std) {
        Random random = new Random(seed);
        return (name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) (4 * n)).order(ByteOrder.nativeOrder());
            boolean gain = isNormGain.test(name);
            boolean bias = name.endsWith(".bias");
            double sd = std.applyAsDouble(name);
            for (long i = 0; i < n; i++) {
                out.putFloat(gain ? 1f : bias ? 0f : (float) (random.nextGaussian() * sd));
            }
            out.flip();
            return out;
        };
    }

    // ---- precision: what every family's forward uses for its matrices ----

    /** Every element, for the recorded cast below. */
    private static final NDIndex ALL = new NDIndex("...");

    /**
     * {@code x W} for an activation x in the model's dtype and a parameter matrix W in the weight
     * dtype: with float16 matrices x is cast down, the product runs in float16 (float32
     * accumulation inside the kernel) and is cast back, so what follows (biases, norms,
     * activations, softmax, the residual stream) stays in the model's dtype. While autograd
     * records (a value step) both casts are recorded, so the gradient flows through.
     */
    protected final NDArray project(NDArray x, NDArray weight) {
        DataType type = weight.getDataType();
        if (type == x.getDataType()) {
            return x.matMul(weight);
        }
        NDArray down = recording() ? castRecorded(x, type) : x.toType(type, false);
        return inModelType(down.matMul(weight));
    }

    /**
     * {@code y} (a product or a lookup of float16 matrices) in the model's dtype. While autograd
     * records, by adding a one-element zero of that dtype (type promotion casts up and is
     * recorded); otherwise by {@code toType}, which the PyTorch JNI runs under a NoGradGuard (it
     * would cut the value step's graph at the first float16 block).
     */
    protected final NDArray inModelType(NDArray y) {
        if (y.getDataType() == dataType) {
            return y;
        }
        return recording() ? y.add(modelTypeZero) : y.toType(dataType, false);
    }

    /**
     * {@code x} copied into a new array of {@code type}: an in-place copy that autograd records
     * (gradient cast back to x's dtype), where {@code toType} would detach.
     */
    private static NDArray castRecorded(NDArray x, DataType type) {
        NDArray out = x.getManager().create(x.getShape(), type);
        out.set(ALL, x);
        return out;
    }

    /**
     * Whether PyTorch's grad mode is on (inside a GradientCollector). The engine runs on DJL's
     * PyTorch engine only; outside grad mode nothing is recorded, so the cheaper single-call casts
     * are exact.
     */
    private static boolean recording() {
        return ai.djl.pytorch.jni.JniUtils.isGradMode();
    }

    // ---- the pieces a family supplies ----

    /** Whether {@code name} is an nn.Linear weight kept transposed in memory. */
    protected abstract boolean transposedInMemory(String name);

    /** Token (and, for GPT-2, position) embeddings of {@code ids} (B, T) at positions offset.., (B, T, d). */
    protected abstract NDArray embed(NDManager work, NDArray ids, int offset, int length);

    /** Normalisation before attention (and, for a parallel block, before the MLP), (B, T, d). */
    protected abstract NDArray attentionNorm(int layer, NDArray h);

    /** Normalisation before the MLP of a sequential block, (B, T, d). */
    protected abstract NDArray mlpNorm(int layer, NDArray h);

    /** True when attention and MLP both read the block input (GPT-J). */
    protected abstract boolean parallelBlock();

    /** Attention output (after its output projection) of normalised input {@code x} (B, T, d). */
    protected abstract NDArray attention(int layer, NDArray x, AttentionContext context);

    /** The key of the hooked projection, (B, T, d_ff). */
    protected abstract NDArray mlpKey(int layer, NDArray x);

    /** HF name of the hooked projection's weight at {@code layer}. */
    protected abstract String mlpProjectionWeightName(int layer);

    /** HF name of the hooked projection's bias at {@code layer}, or null when it has none. */
    protected abstract String mlpProjectionBiasName(int layer);

    /** Final norm, (B, T, d). */
    protected abstract NDArray finalNorm(NDArray h);

    /** LM head on the normalised states, (B, T, V). */
    protected abstract NDArray head(NDManager work, NDArray x);

    /** A model of the same architecture over these (copied) parameters. */
    protected abstract TransformerLm withParameters(NDManager manager, DataType type,
            LinkedHashMap<String, NDArray> parameters);

    // ---- CausalLm ----

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public DataType dataType() {
        return dataType;
    }

    @Override
    public DataType weightType() {
        return weightType;
    }

    @Override
    public String fullPrecisionDigest() {
        return fullPrecisionDigest;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    @Override
    public NDArray parameter(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return p;
    }

    @Override
    public String mlpProjectionName(int layer) {
        checkLayer(layer, "access");
        String w = mlpProjectionWeightName(layer);
        return w.substring(0, w.length() - ".weight".length());
    }

    @Override
    public NDArray mlpProjectionWeight(int layer) {
        checkLayer(layer, "access");
        return parameters.get(mlpProjectionWeightName(layer));
    }

    @Override
    public NDArray mlpProjectionBias(int layer) {
        checkLayer(layer, "access");
        String name = mlpProjectionBiasName(layer);
        if (name != null) {
            return parameters.get(name);
        }
        synchronized (zeroBiases) {
            if (zeroBiases[layer] == null) {
                zeroBiases[layer] = manager.zeros(new Shape(config.hiddenSize()), dataType);
            }
            return zeroBiases[layer];
        }
    }

    @Override
    public void setTrainable(boolean trainable) {
        for (NDArray p : parameters.values()) {
            p.setRequiresGradient(trainable);
        }
    }

    @Override
    public KvCache newCache(NDManager parent) {
        return new KvCache(parent, config.layerCount());
    }

    @Override
    public TransformerLm copy(DataType type) {
        NDManager copyManager = NDManager.newBaseManager(manager.getDevice());
        LinkedHashMap<String, NDArray> copies = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            // Through Java values into fresh PyTorch-owned storage: DJL's toType(sameType, copy=true)
            // returns a view, and a copy that shared storage would let FT write through to the base.
            NDArray p = e.getValue();
            NDArray c = p.getDataType() == DataType.FLOAT64
                    ? Tensors.owned(copyManager.create(p.toDoubleArray(), p.getShape()))
                    : Tensors.owned(copyManager.create(p.toType(DataType.FLOAT32, false).toFloatArray(), p.getShape()));
            if (c.getDataType() != type) {
                NDArray converted = c.toType(type, true);
                c.close();
                c = converted;
            }
            c.setName(e.getKey());
            copies.put(e.getKey(), c);
        }
        // Every parameter in `type`: a copy of a float16-weight model is a full-precision model (the
        // in-place methods edit their copy's weights, which float16 would round away).
        return withParameters(copyManager, type, copies);
    }

    /** Checkpoint names and HF shapes (shared with copies). */
    protected LinkedHashMap<String, long[]> checkpointShapesView() {
        return checkpointShapes;
    }

    @Override
    public LinkedHashMap<String, long[]> checkpointShapes() {
        LinkedHashMap<String, long[]> out = new LinkedHashMap<>();
        checkpointShapes.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    @Override
    public float[] checkpointValues(String name) {
        NDArray p = parameter(name);
        try (NDManager scratch = manager.newSubManager()) {
            NDArray values = transposedInMemory(name) ? p.transpose() : p;
            NDArray f = values.toType(DataType.FLOAT32, true);
            f.attach(scratch);
            // A transposed view is made contiguous by the copy above; toFloatArray reads row-major.
            return f.duplicate().toFloatArray();
        }
    }

    @Override
    public ForwardResult forward(NDManager scope, TokenBatch batch, ForwardOptions options, KvCache cache) {
        int batchSize = batch.size();
        int length = batch.length();
        int offset = cache == null ? 0 : cache.length();
        validate(batch, options, cache);
        try (NDManager work = scope.newSubManager()) {
            NDArray ids = batch.ids(work); // (B, T)
            NDArray mask = batch.mask(work, dataType); // (B, T)
            NDArray attentionBias = attentionBias(work, batch, offset); // (B, 1, T, S)
            AttentionContext context = new AttentionContext(work, attentionBias, batchSize, length, offset, cache);

            // The embeddings, or (resumed) the given block output with that block's additions.
            int resume = options.resumeLayer();
            NDArray h;
            if (resume >= 0) {
                h = options.resumeResidual().duplicate(); // (B, T, d), the caller's array stays as it is
                h.attach(work);
                for (ResidualAddition addition : options.additions()) {
                    if (addition.layer() == resume) {
                        h = h.add(selection(work, addition, batchSize, length).mul(addition.vector()));
                    }
                }
            } else {
                h = embed(work, ids, offset, length); // (B, T, d)
            }
            NDArray embeddings = h;

            boolean capture = options.captureResiduals();
            List<NDArray> attentionResiduals = capture ? new ArrayList<>() : null;
            List<NDArray> residuals = capture ? new ArrayList<>() : null;
            Map<Integer, NDArray> keys = new HashMap<>();
            Map<Integer, NDArray> mlpOutputs = new HashMap<>();
            int layers = config.layerCount();

            for (int layer = resume + 1; layer < layers; layer++) {
                // A block's temporaries live in their own scope, closed at the block's end: in
                // `work` a 48-block forward of 8000 tokens at d_ff 6400 held ~75 GB until it
                // returned. Results attach to their first operand's manager, so moving the
                // block's input there scopes everything computed from it.
                NDManager blockScope = work.newSubManager();
                NDArray input = h;
                input.attach(blockScope);
                // Attention: h + attn(norm(h))
                NDArray x = attentionNorm(layer, h); // (B, T, d)
                NDArray afterAttention = h.add(attention(layer, x, context)); // (B, T, d)
                if (capture) {
                    attentionResiduals.add(afterAttention);
                }
                // MLP from the same normalised input (parallel) or from the attention's residual.
                NDArray m = parallelBlock() ? x : mlpNorm(layer, afterAttention); // (B, T, d)
                NDArray key = mlpKey(layer, m); // (B, T, d_ff)
                NDArray value = project(key, mlpProjectionWeight(layer)); // (B, T, d)
                String biasName = mlpProjectionBiasName(layer);
                if (biasName != null) {
                    value = value.add(parameters.get(biasName));
                }
                MlpProjectionHook hook = options.hooks().get(layer);
                if (hook != null) {
                    int[] readFrom = layer == layers - 1 ? options.readFrom() : null;
                    NDArray replaced = hook.wantsTokens()
                            ? hook.replace(layer, key, value, mask, readFrom, tokens(batch, cache), offset)
                            : hook.replace(layer, key, value, mask, readFrom);
                    if (!replaced.getShape().equals(value.getShape())) {
                        throw new IllegalStateException("hook at layer " + layer + " returned shape "
                                + replaced.getShape() + ", expected " + value.getShape());
                    }
                    value = replaced;
                }
                h = afterAttention.add(value); // (B, T, d)
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
            if (cache != null) {
                cache.advance(length, batch);
            }

            NDArray logits = null;
            if (options.computeLogits()) {
                logits = head(work, finalNorm(h)); // (B, T, V)
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
            return new ForwardResult(logits, embeddings, attentionResiduals, residuals, keys, mlpOutputs);
        }
    }

    /**
     * Scaled dot-product attention of q (B, H, T, hs) over k, v (B, H_kv, T, hs) after the cached
     * positions (the cache takes the concatenated k, v), with grouped-query sharing: head i reads
     * key/value head i / (H / H_kv), as transformers' repeat_kv. Returns (B, T, H * hs).
     */
    protected NDArray attend(int layer, NDArray q, NDArray k, NDArray v, AttentionContext context, double scale) {
        KvCache cache = context.cache();
        if (cache != null) {
            NDArray pastK = cache.keys(layer);
            NDArray pastV = cache.values(layer);
            if (pastK != null) {
                k = pastK.concat(k, 2); // (B, H_kv, S, hs)
                v = pastV.concat(v, 2); // (B, H_kv, S, hs)
                k.attach(context.work());
                v.attach(context.work());
            }
            NDArray keepK = k.duplicate();
            NDArray keepV = v.duplicate();
            cache.store(layer, keepK, keepV);
        }
        long heads = q.getShape().get(1);
        long kvHeads = k.getShape().get(1);
        if (heads != kvHeads) {
            long rep = heads / kvHeads;
            Shape s = k.getShape(); // (B, H_kv, S, hs)
            Shape grouped = new Shape(s.get(0), kvHeads, rep, s.get(2), s.get(3));
            k = k.expandDims(2).broadcast(grouped).reshape(s.get(0), heads, s.get(2), s.get(3)); // (B, H, S, hs)
            v = v.expandDims(2).broadcast(grouped).reshape(s.get(0), heads, s.get(2), s.get(3)); // (B, H, S, hs)
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(Tensors.scalar(q, scale))
                .add(context.bias()); // (B, H, T, S)
        NDArray probs = scores.softmax(3); // (B, H, T, S)
        return probs.matMul(v) // (B, H, T, hs)
                .transpose(0, 2, 1, 3) // (B, T, H, hs)
                .reshape(context.batchSize(), context.length(), heads * q.getShape().get(3)); // (B, T, H hs)
    }

    /**
     * Additive attention bias, (B, 1, T, S) with S = offset + T: 0 where key position s is at or
     * before query position offset + t and is real, else -1e9.
     */
    private NDArray attentionBias(NDManager work, TokenBatch batch, int offset) {
        int length = batch.length();
        int total = offset + length;
        float[] bias = new float[batch.size() * length * total];
        for (int b = 0; b < batch.size(); b++) {
            int real = offset + batch.length(b);
            for (int t = 0; t < length; t++) {
                int base = (b * length + t) * total;
                for (int s = 0; s < total; s++) {
                    bias[base + s] = s <= offset + t && s < real ? 0f : (float) MASK_BIAS;
                }
            }
        }
        return Tensors.owned(work.create(bias, new Shape(batch.size(), 1, length, total)).toType(dataType, false));
    }

    /** One-hot selection of the addition's (row, position) pairs, (B, T, 1). */
    private NDArray selection(NDManager work, ResidualAddition addition, int batchSize, int length) {
        float[] sel = new float[batchSize * length];
        for (int i = 0; i < addition.rows().length; i++) {
            sel[addition.rows()[i] * length + addition.positions()[i]] += 1f;
        }
        return Tensors.owned(work.create(sel, new Shape(batchSize, length, 1)).toType(dataType, false));
    }

    private void validate(TokenBatch batch, ForwardOptions options, KvCache cache) {
        int layers = config.layerCount();
        int[] readFrom = options.readFrom();
        if (readFrom != null) {
            if (readFrom.length != batch.size()) {
                throw new IllegalArgumentException("readFrom has " + readFrom.length + " rows, batch " + batch.size());
            }
            if (options.captureResiduals() || options.mlpOutputLayers().contains(layers - 1)) {
                throw new IllegalArgumentException("readFrom is for logits: the last block's outputs before it are not"
                        + " the hooked model's, so they cannot be captured");
            }
        }
        int offset = cache == null ? 0 : cache.length();
        int resume = options.resumeLayer();
        if (resume >= 0) {
            checkLayer(resume, "resume");
            Shape expected = new Shape(batch.size(), batch.length(), config.hiddenSize());
            if (cache != null || options.captureResiduals()) {
                throw new IllegalArgumentException("a resumed forward takes no KV cache and captures no residuals");
            }
            if (!options.resumeResidual().getShape().equals(expected)) {
                throw new IllegalArgumentException("resume residual " + options.resumeResidual().getShape()
                        + " does not match the batch, expected " + expected);
            }
            for (int l : options.keyLayers()) {
                if (l <= resume) {
                    throw new IllegalArgumentException("keys at layer " + l + " are not computed when resuming after "
                            + resume);
                }
            }
            for (int l : options.mlpOutputLayers()) {
                if (l <= resume) {
                    throw new IllegalArgumentException("MLP outputs at layer " + l + " are not computed when resuming"
                            + " after " + resume);
                }
            }
            for (ResidualAddition addition : options.additions()) {
                if (addition.layer() < resume) {
                    throw new IllegalArgumentException("residual addition at layer " + addition.layer()
                            + " is before the resumed layer " + resume);
                }
            }
        }
        if (cache != null) {
            // readFrom stays valid with a cache (its indices are the new positions'): the last
            // block's MLP output at an unread position feeds only that position's logits, never a
            // cached key or value.
            if (!options.additions().isEmpty()) {
                throw new IllegalArgumentException("residual additions cannot be used with a KV cache");
            }
            for (int b = 0; b < batch.size(); b++) {
                if (batch.length(b) != batch.length()) {
                    throw new IllegalArgumentException("with a KV cache every row holds the same number of new"
                            + " tokens (no padding); row " + b + " has " + batch.length(b) + " of " + batch.length());
                }
            }
            for (Map.Entry<Integer, MlpProjectionHook> e : options.hooks().entrySet()) {
                if (!e.getValue().positionwise()) {
                    throw new IllegalArgumentException("the hook at layer " + e.getKey() + " reads the whole sequence"
                            + " (not positionwise), so it cannot run on the new positions of a KV cache alone");
                }
            }
        }
        if (offset + batch.length() > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (offset + batch.length())
                    + " tokens exceeds the model's " + config.maxPositions() + " positions");
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

    protected void checkLayer(int layer, String what) {
        if (layer < 0 || layer >= config.layerCount()) {
            throw new IllegalArgumentException(what + " at layer " + layer + " but the model has "
                    + config.layerCount() + " layers");
        }
    }

    /** Releases all parameters. */
    @Override
    public void close() {
        manager.close();
    }

    /** Per row every token id from position 0 on: the cache's earlier positions, then the batch's row. */
    private static int[][] tokens(TokenBatch batch, KvCache cache) {
        if (cache != null) {
            return cache.tokensWith(batch);
        }
        int[][] out = new int[batch.size()][];
        for (int b = 0; b < batch.size(); b++) {
            out[b] = batch.row(b);
        }
        return out;
    }
}
