/*
 * GPT-J on DJL PyTorch: one LayerNorm feeding attention and the MLP in parallel, partial
 * interleaved rotary positions, untied lm_head with bias.
 * Reference: Wang & Komatsuzaki 2021 and transformers' modeling_gptj.py (GPTJForCausalLM,
 * GPTJAttention with rotate_every_two, GPTJBlock, GPTJMLP).
 */
package dev.hookline.engine.model.gptj;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.Rotary;
import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.TransformerLm;
import java.io.IOException;
import java.util.LinkedHashMap;

/**
 * A GPT-J model. The hooked projection is {@code mlp.fc_out}, whose key is
 * {@code gelu_new(fc_in(ln_1(h)))}. Linear weights are kept (in, out) in memory.
 *
 * <p>Shape letters: B rows, T positions, d hidden, H heads, hs head size, d_ff MLP width, V vocabulary.
 */
public final class GptjModel extends TransformerLm {

    private final GptjConfig config;
    private final Rotary rotary;
    private final NDArray wte; // (V, d)
    private final Block[] blocks;
    private final NDArray lnFinalWeight; // (d)
    private final NDArray lnFinalBias; // (d)
    private final NDArray headWeight; // (d, V)
    private final NDArray headBias; // (V)

    private record Block(
            NDArray lnWeight, NDArray lnBias, // (d)
            NDArray q, NDArray k, NDArray v, NDArray out, // (d, d) each
            NDArray fcInWeight, NDArray fcInBias) {} // (d, d_ff), (d_ff)

    private GptjModel(GptjConfig config, NDManager manager, DataType dataType, Weights weights) {
        super(config, manager, dataType, weights, checkpointShapes(config));
        LinkedHashMap<String, NDArray> p = weights.parameters();
        this.config = config;
        this.rotary = new Rotary(config.headSize(), Rotary.defaultFrequencies(10000, config.rotaryDim()), true, 1f);
        this.wte = p.get("transformer.wte.weight");
        this.lnFinalWeight = p.get("transformer.ln_f.weight");
        this.lnFinalBias = p.get("transformer.ln_f.bias");
        this.headWeight = p.get("lm_head.weight");
        this.headBias = p.get("lm_head.bias");
        this.blocks = new Block[config.layerCount()];
        for (int i = 0; i < blocks.length; i++) {
            String b = "transformer.h." + i + ".";
            blocks[i] = new Block(p.get(b + "ln_1.weight"), p.get(b + "ln_1.bias"),
                    p.get(b + "attn.q_proj.weight"), p.get(b + "attn.k_proj.weight"),
                    p.get(b + "attn.v_proj.weight"), p.get(b + "attn.out_proj.weight"),
                    p.get(b + "mlp.fc_in.weight"), p.get(b + "mlp.fc_in.bias"));
        }
    }

    /** HF tensor names and shapes (nn.Linear layout (out, in)), in checkpoint order. */
    public static LinkedHashMap<String, long[]> checkpointShapes(GptjConfig config) {
        long d = config.hiddenSize();
        long ff = config.mlpSize();
        long v = config.vocabSize();
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        s.put("transformer.wte.weight", new long[] {v, d});
        for (int i = 0; i < config.layerCount(); i++) {
            String b = "transformer.h." + i + ".";
            s.put(b + "ln_1.weight", new long[] {d});
            s.put(b + "ln_1.bias", new long[] {d});
            s.put(b + "attn.q_proj.weight", new long[] {d, d});
            s.put(b + "attn.k_proj.weight", new long[] {d, d});
            s.put(b + "attn.v_proj.weight", new long[] {d, d});
            s.put(b + "attn.out_proj.weight", new long[] {d, d});
            s.put(b + "mlp.fc_in.weight", new long[] {ff, d});
            s.put(b + "mlp.fc_in.bias", new long[] {ff});
            s.put(b + "mlp.fc_out.weight", new long[] {d, ff});
            s.put(b + "mlp.fc_out.bias", new long[] {d});
        }
        s.put("transformer.ln_f.weight", new long[] {d});
        s.put("transformer.ln_f.bias", new long[] {d});
        s.put("lm_head.weight", new long[] {v, d});
        s.put("lm_head.bias", new long[] {v});
        return s;
    }

    /** Builds a model from values in HF layout, every parameter in {@code dataType}. */
    public static GptjModel create(GptjConfig config, TensorSource source, Device device, DataType dataType)
            throws IOException {
        return create(config, source, device, dataType, dataType);
    }

    /** Builds a model from values in HF layout with its matrices in {@code weightType} ({@link #weightType()}). */
    public static GptjModel create(GptjConfig config, TensorSource source, Device device, DataType dataType,
            DataType weightType) throws IOException {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            return new GptjModel(config, manager, dataType, buildParameters(manager, checkpointShapes(config),
                    GptjModel::isLinear, source, dataType, weightType));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Random weights: normal(0, 0.02), zero biases, unit LayerNorm gains (as GPTJ's _init_weights). */
    public static GptjModel randomInit(GptjConfig config, long seed, Device device, DataType dataType)
            throws IOException {
        return create(config, gaussianInit(seed, n -> n.matches(".*ln_(1|f)\\.weight"), n -> 0.02), device, dataType);
    }

    private static boolean isLinear(String name) {
        return name.endsWith("_proj.weight") || name.endsWith("fc_in.weight") || name.endsWith("fc_out.weight")
                || name.equals("lm_head.weight");
    }

    @Override
    public GptjConfig config() {
        return config;
    }

    @Override
    protected boolean transposedInMemory(String name) {
        return isLinear(name);
    }

    @Override
    protected TransformerLm withParameters(NDManager manager, DataType type, LinkedHashMap<String, NDArray> p) {
        return new GptjModel(config, manager, type, Weights.full(p, type));
    }

    @Override
    protected NDArray embed(NDManager work, NDArray ids, int offset, int length) {
        NDArray tokens = wte.get(new NDIndex("{}", ids)); // (B, T, d)
        tokens.attach(work);
        return inModelType(tokens);
    }

    @Override
    protected NDArray attentionNorm(int layer, NDArray h) {
        return LayerNorm.layerNorm(h, new Shape(config.hiddenSize()), blocks[layer].lnWeight(), blocks[layer].lnBias(),
                (float) config.layerNormEpsilon()).singletonOrThrow();
    }

    @Override
    protected NDArray mlpNorm(int layer, NDArray h) {
        throw new IllegalStateException("GPT-J's MLP reads ln_1's output");
    }

    @Override
    protected boolean parallelBlock() {
        return true;
    }

    @Override
    protected NDArray attention(int layer, NDArray x, AttentionContext c) {
        Block blk = blocks[layer];
        Shape split = new Shape(c.batchSize(), c.length(), config.headCount(), config.headSize());
        NDArray q = project(x, blk.q()).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray k = project(x, blk.k()).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray v = project(x, blk.v()).reshape(split).transpose(0, 2, 1, 3); // (B, H, T, hs)
        q = rotary.apply(c.work(), q, c.offset(), c.length());
        k = rotary.apply(c.work(), k, c.offset(), c.length());
        NDArray y = attend(layer, q, k, v, c, 1.0 / Math.sqrt(config.headSize())); // (B, T, d)
        return project(y, blk.out()); // (B, T, d)
    }

    @Override
    protected NDArray mlpKey(int layer, NDArray x) {
        Block blk = blocks[layer];
        return Gpt2Model.geluNew(project(x, blk.fcInWeight()).add(blk.fcInBias())); // (B, T, d_ff)
    }

    @Override
    protected String mlpProjectionWeightName(int layer) {
        return "transformer.h." + layer + ".mlp.fc_out.weight";
    }

    @Override
    protected String mlpProjectionBiasName(int layer) {
        return "transformer.h." + layer + ".mlp.fc_out.bias";
    }

    @Override
    protected NDArray finalNorm(NDArray h) {
        return LayerNorm.layerNorm(h, new Shape(config.hiddenSize()), lnFinalWeight, lnFinalBias,
                (float) config.layerNormEpsilon()).singletonOrThrow();
    }

    @Override
    protected NDArray head(NDManager work, NDArray x) {
        return project(x, headWeight).add(headBias); // (B, T, V)
    }
}
