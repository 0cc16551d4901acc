/*
 * GPT-2 (pre-LN transformer with learned positions and a tied LM head) on DJL PyTorch NDArrays.
 * Reference: Radford et al. 2019 and transformers' modeling_gpt2.py (GPT2LMHeadModel); names and
 * layouts follow the HF checkpoint (Conv1D weights stored (in, out), so y = x W + b).
 * Forward and autograd backward run through the engine's ops; the model holds no graph state.
 */
package dev.hookline.engine.model.gpt2;

import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.TransformerLm;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.hookline.engine.util.Tensors;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A GPT-2 language model. The hooked projection is {@code mlp.c_proj}, whose key is
 * {@code gelu_new(c_fc(ln_2(h)))}.
 *
 * <p>Shape letters: B batch rows, T positions, d hidden size, H heads, hs head size (d / H),
 * d_ff MLP width, V vocabulary, P max positions.
 */
public final class Gpt2Model extends TransformerLm {

    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    private final Gpt2Config config;
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
            NDArray fcWeight, NDArray fcBias) {} // (d, d_ff), (d_ff)

    private Gpt2Model(Gpt2Config config, NDManager manager, DataType dataType, Weights weights) {
        super(config, manager, dataType, weights, parameterShapes(config));
        LinkedHashMap<String, NDArray> parameters = weights.parameters();
        this.config = config;
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
                    parameters.get(p + "mlp.c_fc.weight"), parameters.get(p + "mlp.c_fc.bias"));
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
     * Builds a model from a source of parameter values (Conv1D layout, as in the checkpoint).
     *
     * @param device where the parameters live (from the engine; CPU or a GPU)
     * @param dataType FLOAT32 for normal use, FLOAT64 for gradient checks
     */
    public static Gpt2Model create(Gpt2Config config, TensorSource source, Device device,
            DataType dataType) throws java.io.IOException {
        return create(config, source, device, dataType, dataType);
    }

    /**
     * As {@link #create(Gpt2Config, TensorSource, Device, DataType)} with the matrices (wte, wpe,
     * the projections) in {@code weightType}: {@code dataType}, or FLOAT16 under FLOAT32
     * ({@link #weightType()}).
     */
    public static Gpt2Model create(Gpt2Config config, TensorSource source, Device device,
            DataType dataType, DataType weightType) throws java.io.IOException {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            return new Gpt2Model(config, manager, dataType,
                    buildParameters(manager, parameterShapes(config), name -> false, source, dataType, weightType));
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
        double residualScale = 1 / Math.sqrt(2.0 * config.layerCount());
        return create(config, gaussianInit(seed, name -> name.matches(".*ln_(1|2|f)\\.weight"),
                name -> name.endsWith("c_proj.weight") ? 0.02 * residualScale : 0.02), device, dataType);
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    @Override
    public Gpt2Model copy(DataType type) {
        return (Gpt2Model) super.copy(type);
    }

    @Override
    public Gpt2Model copy() {
        return copy(dataType());
    }

    @Override
    protected TransformerLm withParameters(NDManager manager, DataType type, LinkedHashMap<String, NDArray> parameters) {
        return new Gpt2Model(config, manager, type, Weights.full(parameters, type));
    }

    @Override
    protected boolean transposedInMemory(String name) {
        return false;
    }

    @Override
    protected NDArray embed(NDManager work, NDArray ids, int offset, int length) {
        NDArray tokens = wte.get(new NDIndex("{}", ids)); // (B, T, d)
        tokens.attach(work);
        NDArray positions = wpe.get(new NDIndex(offset + ":" + (offset + length))); // (T, d)
        positions.attach(work);
        return inModelType(tokens).add(inModelType(positions)); // (B, T, d)
    }

    @Override
    protected NDArray attentionNorm(int layer, NDArray h) {
        return layerNorm(h, blocks[layer].ln1Weight(), blocks[layer].ln1Bias());
    }

    @Override
    protected NDArray mlpNorm(int layer, NDArray h) {
        return layerNorm(h, blocks[layer].ln2Weight(), blocks[layer].ln2Bias());
    }

    @Override
    protected boolean parallelBlock() {
        return false;
    }

    /** Causal self-attention of one block on normalised input {@code a} (B, T, d). */
    @Override
    protected NDArray attention(int layer, NDArray a, AttentionContext context) {
        Block blk = blocks[layer];
        int heads = config.headCount();
        int hs = config.headSize();
        NDArray qkv = project(a, blk.attnWeight()).add(blk.attnBias()); // (B, T, 3d)
        NDList parts = qkv.split(3, 2); // 3 x (B, T, d)
        Shape split = new Shape(context.batchSize(), context.length(), heads, hs);
        NDArray q = parts.get(0).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray k = parts.get(1).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray v = parts.get(2).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray y = attend(layer, q, k, v, context, 1.0 / Math.sqrt(hs)); // (B, T, d)
        return project(y, blk.attnProjWeight()).add(blk.attnProjBias()); // (B, T, d)
    }

    @Override
    protected NDArray mlpKey(int layer, NDArray m) {
        Block blk = blocks[layer];
        return geluNew(project(m, blk.fcWeight()).add(blk.fcBias())); // (B, T, d_ff)
    }

    @Override
    protected String mlpProjectionWeightName(int layer) {
        return "transformer.h." + layer + ".mlp.c_proj.weight";
    }

    @Override
    protected String mlpProjectionBiasName(int layer) {
        return "transformer.h." + layer + ".mlp.c_proj.bias";
    }

    @Override
    protected NDArray finalNorm(NDArray h) {
        return layerNorm(h, lnFinalWeight, lnFinalBias);
    }

    @Override
    protected NDArray head(NDManager work, NDArray x) {
        NDArray head = wte.transpose(); // (d, V)
        head.attach(work);
        return project(x, head); // (B, T, V)
    }

    private NDArray layerNorm(NDArray x, NDArray gain, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), gain, bias,
                (float) config.layerNormEpsilon()).singletonOrThrow();
    }

    /** GPT-2's tanh GELU ("gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    public static NDArray geluNew(NDArray x) {
        NDArray inner = x.mul(x).mul(x).mul(Tensors.scalar(x, 0.044715)).add(x).mul(Tensors.scalar(x, GELU_C));
        return inner.tanh().add(1).mul(x).mul(Tensors.scalar(x, 0.5));
    }
}
