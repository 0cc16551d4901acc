/*
 * The Llama decoder on DJL PyTorch, which also runs Mistral and Qwen2 checkpoints: RMSNorm,
 * rotary positions (half layout; default, linear and llama3 frequencies), grouped-query attention,
 * SwiGLU MLP, tied or untied head.
 * Reference: Touvron et al. 2023 and transformers' modeling_llama.py (LlamaForCausalLM,
 * LlamaRMSNorm, LlamaAttention with repeat_kv, LlamaMLP), modeling_qwen2.py (q/k/v biases),
 * modeling_mistral.py (the Llama layout with a sliding window).
 */
package dev.hookline.engine.model.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.hookline.engine.model.Rotary;
import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.TransformerLm;
import dev.hookline.engine.util.Tensors;
import java.io.IOException;
import java.util.LinkedHashMap;

/**
 * A Llama-layout model. The hooked projection is {@code mlp.down_proj}; its key is
 * {@code silu(gate_proj x) * up_proj x} with x = post_attention_layernorm(h). Linear weights are
 * kept (in, out) in memory.
 *
 * <p>Shape letters: B rows, T positions, d hidden, H query heads, H_kv key/value heads, hs head
 * size, d_ff MLP width, V vocabulary.
 */
public final class LlamaModel extends TransformerLm {

    private final LlamaConfig config;
    private final Rotary rotary;
    private final NDArray embedTokens; // (V, d)
    private final Block[] blocks;
    private final NDArray normWeight; // (d)
    private final NDArray headWeight; // (d, V) untied, null when tied

    private record Block(
            NDArray inputNorm, NDArray postAttentionNorm, // (d)
            NDArray q, NDArray qBias, // (d, H hs), (H hs) or null
            NDArray k, NDArray kBias, // (d, H_kv hs), (H_kv hs) or null
            NDArray v, NDArray vBias, // (d, H_kv hs), (H_kv hs) or null
            NDArray o, NDArray oBias, // (H hs, d), (d) or null
            NDArray gate, NDArray gateBias, // (d, d_ff), (d_ff) or null
            NDArray up, NDArray upBias) {} // (d, d_ff), (d_ff) or null

    private LlamaModel(LlamaConfig config, NDManager manager, DataType dataType, Weights weights) {
        super(config, manager, dataType, weights, checkpointShapes(config));
        LinkedHashMap<String, NDArray> p = weights.parameters();
        this.config = config;
        this.rotary = config.rope().rotary(config.headSize());
        this.embedTokens = p.get("model.embed_tokens.weight");
        this.normWeight = p.get("model.norm.weight");
        this.headWeight = config.tieWordEmbeddings() ? null : p.get("lm_head.weight");
        this.blocks = new Block[config.layerCount()];
        for (int i = 0; i < blocks.length; i++) {
            String b = "model.layers." + i + ".";
            String a = b + "self_attn.";
            String m = b + "mlp.";
            blocks[i] = new Block(p.get(b + "input_layernorm.weight"), p.get(b + "post_attention_layernorm.weight"),
                    p.get(a + "q_proj.weight"), p.get(a + "q_proj.bias"),
                    p.get(a + "k_proj.weight"), p.get(a + "k_proj.bias"),
                    p.get(a + "v_proj.weight"), p.get(a + "v_proj.bias"),
                    p.get(a + "o_proj.weight"), p.get(a + "o_proj.bias"),
                    p.get(m + "gate_proj.weight"), p.get(m + "gate_proj.bias"),
                    p.get(m + "up_proj.weight"), p.get(m + "up_proj.bias"));
        }
    }

    /** HF tensor names and shapes (nn.Linear layout (out, in)), in checkpoint order; no lm_head when tied. */
    public static LinkedHashMap<String, long[]> checkpointShapes(LlamaConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.headCount() * c.headSize();
        long kv = (long) c.kvHeadCount() * c.headSize();
        long ff = c.mlpSize();
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.layerCount(); i++) {
            String b = "model.layers." + i + ".";
            s.put(b + "input_layernorm.weight", new long[] {d});
            linear(s, b + "self_attn.q_proj", q, d, c.qkvBias());
            linear(s, b + "self_attn.k_proj", kv, d, c.qkvBias());
            linear(s, b + "self_attn.v_proj", kv, d, c.qkvBias());
            linear(s, b + "self_attn.o_proj", d, q, c.outputBias());
            s.put(b + "post_attention_layernorm.weight", new long[] {d});
            linear(s, b + "mlp.gate_proj", ff, d, c.mlpBias());
            linear(s, b + "mlp.up_proj", ff, d, c.mlpBias());
            linear(s, b + "mlp.down_proj", d, ff, c.mlpBias());
        }
        s.put("model.norm.weight", new long[] {d});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), d});
        }
        return s;
    }

    private static void linear(LinkedHashMap<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[] {out, in});
        if (bias) {
            s.put(name + ".bias", new long[] {out});
        }
    }

    /** Builds a model from values in HF layout, every parameter in {@code dataType}. */
    public static LlamaModel create(LlamaConfig config, TensorSource source, Device device, DataType dataType)
            throws IOException {
        return create(config, source, device, dataType, dataType);
    }

    /** Builds a model from values in HF layout with its matrices in {@code weightType} ({@link #weightType()}). */
    public static LlamaModel create(LlamaConfig config, TensorSource source, Device device, DataType dataType,
            DataType weightType) throws IOException {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            return new LlamaModel(config, manager, dataType, buildParameters(manager, checkpointShapes(config),
                    LlamaModel::isLinear, source, dataType, weightType));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Random weights as LlamaPreTrainedModel initialises them: normal(0, 0.02) weights and
     * embeddings, zero biases, unit RMSNorm gains; here also o_proj/down_proj scaled by
     * 1/sqrt(2 layers), as GPT-2 does, which keeps a deep residual stream stable from step one.
     */
    public static LlamaModel randomInit(LlamaConfig config, long seed, Device device, DataType dataType)
            throws IOException {
        double residualScale = 1 / Math.sqrt(2.0 * config.layerCount());
        return create(config, gaussianInit(seed, n -> n.endsWith("norm.weight"),
                n -> n.endsWith("o_proj.weight") || n.endsWith("down_proj.weight") ? 0.02 * residualScale : 0.02),
                device, dataType);
    }

    private static boolean isLinear(String name) {
        return name.endsWith("_proj.weight") || name.equals("lm_head.weight");
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    protected boolean transposedInMemory(String name) {
        return isLinear(name);
    }

    @Override
    protected TransformerLm withParameters(NDManager manager, DataType type, LinkedHashMap<String, NDArray> p) {
        return new LlamaModel(config, manager, type, Weights.full(p, type));
    }

    @Override
    protected NDArray embed(NDManager work, NDArray ids, int offset, int length) {
        NDArray tokens = embedTokens.get(new NDIndex("{}", ids)); // (B, T, d)
        tokens.attach(work);
        return inModelType(tokens);
    }

    @Override
    protected NDArray attentionNorm(int layer, NDArray h) {
        return rmsNorm(h, blocks[layer].inputNorm());
    }

    @Override
    protected NDArray mlpNorm(int layer, NDArray h) {
        return rmsNorm(h, blocks[layer].postAttentionNorm());
    }

    @Override
    protected boolean parallelBlock() {
        return false;
    }

    @Override
    protected NDArray attention(int layer, NDArray x, AttentionContext c) {
        if (config.slidingWindow() > 0 && c.offset() + c.length() > config.slidingWindow()) {
            throw new IllegalArgumentException("sequence of " + (c.offset() + c.length())
                    + " tokens exceeds the sliding window of " + config.slidingWindow() + " (not implemented)");
        }
        Block blk = blocks[layer];
        int hs = config.headSize();
        NDArray q = linear(x, blk.q(), blk.qBias()) // (B, T, H hs)
                .reshape(c.batchSize(), c.length(), config.headCount(), hs).transpose(0, 2, 1, 3); // (B, H, T, hs)
        NDArray k = linear(x, blk.k(), blk.kBias()) // (B, T, H_kv hs)
                .reshape(c.batchSize(), c.length(), config.kvHeadCount(), hs).transpose(0, 2, 1, 3); // (B, H_kv, T, hs)
        NDArray v = linear(x, blk.v(), blk.vBias())
                .reshape(c.batchSize(), c.length(), config.kvHeadCount(), hs).transpose(0, 2, 1, 3); // (B, H_kv, T, hs)
        q = rotary.apply(c.work(), q, c.offset(), c.length());
        k = rotary.apply(c.work(), k, c.offset(), c.length());
        NDArray y = attend(layer, q, k, v, c, 1.0 / Math.sqrt(hs)); // (B, T, H hs)
        return linear(y, blk.o(), blk.oBias()); // (B, T, d)
    }

    @Override
    protected NDArray mlpKey(int layer, NDArray x) {
        Block blk = blocks[layer];
        NDArray gate = linear(x, blk.gate(), blk.gateBias()); // (B, T, d_ff)
        NDArray up = linear(x, blk.up(), blk.upBias()); // (B, T, d_ff)
        // silu(g) = g sigmoid(g)
        return gate.mul(Activation.sigmoid(gate)).mul(up); // (B, T, d_ff)
    }

    @Override
    protected String mlpProjectionWeightName(int layer) {
        return "model.layers." + layer + ".mlp.down_proj.weight";
    }

    @Override
    protected String mlpProjectionBiasName(int layer) {
        return config.mlpBias() ? "model.layers." + layer + ".mlp.down_proj.bias" : null;
    }

    @Override
    protected NDArray finalNorm(NDArray h) {
        return rmsNorm(h, normWeight);
    }

    @Override
    protected NDArray head(NDManager work, NDArray x) {
        if (headWeight != null) {
            return project(x, headWeight); // (B, T, V)
        }
        NDArray tied = embedTokens.transpose(); // (d, V)
        tied.attach(work);
        return project(x, tied); // (B, T, V)
    }

    private NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = project(x, weight);
        return bias == null ? y : y.add(bias);
    }

    /** RMSNorm: w * x / sqrt(mean(x^2) + eps) over the last axis. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.mul(x).mean(new int[] {-1}, true); // (B, T, 1)
        NDArray rms = variance.add(Tensors.scalar(x, config.rmsNormEpsilon())).sqrt(); // (B, T, 1)
        return x.div(rms).mul(weight); // (B, T, d)
    }
}
