/*
 * Public inference API of the engine: a checkpoint of any supported architecture with its
 * tokenizer, Java types in and out.
 * Reference: HF generate (greedy) and the teacher-forced token accuracy of ROME/MEMIT evaluation.
 */
package dev.hookline.engine.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.device.ComputeDevice;
import dev.hookline.engine.device.Precision;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.util.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A loaded checkpoint (model + tokenizer) with greedy generation and continuation scoring.
 * Batched methods split their input into chunks of {@link #batchSize()} sequences.
 */
public final class LanguageModel implements AutoCloseable {
    private static final int DEFAULT_BATCH = 64;

    private final CausalLm model;
    private final TextTokenizer tokenizer;
    /** The shared load this model comes from, or null for a wrapped model. */
    private final LoadedModels.Lease lease;
    /** Whether close releases {@link #lease} (the instance load returned; views do not). */
    private final boolean holdsLease;
    private final int batchSize;
    private final boolean useCache;

    private LanguageModel(CausalLm model, TextTokenizer tokenizer, LoadedModels.Lease lease, boolean holdsLease,
            int batchSize, boolean useCache) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.lease = lease;
        this.holdsLease = holdsLease;
        this.batchSize = batchSize;
        this.useCache = useCache;
    }

    /** The same model and tokenizer, generating with (default) or without the KV cache. */
    public LanguageModel withCache(boolean cache) {
        return new LanguageModel(model, tokenizer, lease, false, batchSize, cache);
    }

    /**
     * Loads {@code dir} (config.json, model.safetensors, tokenizer.json) on the configured device
     * ({@link ComputeDevice#configured()}: --device, HOOKLINE_DEVICE, else a GPU when DJL sees one)
     * in the configured precision ({@link Precision#configured()}: --precision, HOOKLINE_PRECISION,
     * else fp32).
     */
    public static LanguageModel load(Path dir) throws IOException {
        return load(dir, ComputeDevice.configured(), Precision.configured());
    }

    /** Loads {@code dir} on {@code device} with float32 weights. */
    public static LanguageModel load(Path dir, Device device) throws IOException {
        return load(dir, device, Precision.FP32);
    }

    /**
     * Loads {@code dir} on {@code device} in {@code precision}: any supported architecture
     * (config.json), single or sharded safetensors, tokenizer.json with tokenizer_config.json.
     *
     * <p>The model is shared through {@link LoadedModels#shared()}: a second load of a directory
     * with the same files on the same device in the same precision returns the same model, and
     * {@link #close()} gives up this instance's use only. Its parameters are read-only: an editor
     * that writes weights works on {@code model().copy()}; training loads privately with
     * {@code Checkpoint.loadModel}.
     *
     * @throws IllegalArgumentException when the tokenizer produces ids outside the model's vocabulary
     */
    public static LanguageModel load(Path dir, Device device, Precision precision) throws IOException {
        LoadedModels.Lease lease = LoadedModels.shared().acquire(dir, device, DataType.FLOAT32,
                precision.weightType());
        return new LanguageModel(lease.model(), lease.tokenizer(), lease, true, DEFAULT_BATCH, true);
    }

    /** Wraps a model and tokenizer the caller keeps owning (close does not close them). */
    public static LanguageModel wrap(CausalLm model, TextTokenizer tokenizer) {
        return new LanguageModel(model, tokenizer, null, false, DEFAULT_BATCH, true);
    }

    /** The same model and tokenizer with another chunk size for batched calls. */
    public LanguageModel withBatchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + size);
        }
        return new LanguageModel(model, tokenizer, lease, false, size, useCache);
    }

    /**
     * {@link Digests#model} of the model (what bundles name as their base):
     * computed once per shared load, every call for a wrapped model (whose weights may change).
     */
    public String modelDigest() {
        return lease != null ? lease.parameterDigest() : Digests.model(model);
    }

    /** Whether the model is a shared load (read-only) rather than a wrapped one. */
    public boolean shared() {
        return lease != null;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The underlying model (engine-internal API). */
    public CausalLm model() {
        return model;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Greedy continuation of {@code prompt} by at most {@code maxNewTokens} tokens. */
    public Generation generate(String prompt, int maxNewTokens) {
        return generate(List.of(prompt), maxNewTokens).get(0);
    }

    /** Greedy continuation of each prompt (batched); a row stops after end-of-text. */
    public List<Generation> generate(List<String> prompts, int maxNewTokens) {
        return generate(prompts, maxNewTokens, ForwardOptions.defaults());
    }

    /** Greedy generation with hooks installed ({@code options} must not hold residual additions). */
    public List<Generation> generate(List<String> prompts, int maxNewTokens, ForwardOptions options) {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        requireNoAdditions(options);
        List<Generation> out = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += batchSize) {
            List<String> chunk = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
            out.addAll(generateChunk(chunk, maxNewTokens, options));
        }
        return out;
    }

    private List<Generation> generateChunk(List<String> prompts, int maxNewTokens, ForwardOptions options) {
        List<int[]> promptIds = new ArrayList<>();
        for (String prompt : prompts) {
            int[] ids = tokenizer.encode(prompt);
            if (ids.length == 0) {
                throw new IllegalArgumentException("prompt '" + prompt + "' encodes to no tokens");
            }
            promptIds.add(ids);
        }
        // KV-cached where the hooks are positionwise; otherwise each step reruns the sequence (Decoder).
        List<int[]> generated = new Decoder(model, options, useCache)
                .greedy(promptIds, maxNewTokens, model.config().eosTokenId());
        List<Generation> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] g = generated.get(i);
            out.add(new Generation(prompts.get(i), promptIds.get(i), g, tokenizer.decode(g)));
        }
        return out;
    }

    /** Teacher-forced per-token scores of {@code target} after {@code prompt}. */
    public ContinuationScore score(String prompt, String target) {
        return score(List.of(new PromptTarget(prompt, target))).get(0);
    }

    /** Teacher-forced scores of many prompt/target pairs (batched). */
    public List<ContinuationScore> score(List<PromptTarget> pairs) {
        return score(pairs, ForwardOptions.defaults());
    }

    /** Teacher-forced scores with hooks installed ({@code options} must not hold residual additions). */
    public List<ContinuationScore> score(List<PromptTarget> pairs, ForwardOptions options) {
        requireNoAdditions(options);
        List<TextTokenizer.Continuation> continuations = new ArrayList<>();
        for (PromptTarget pair : pairs) {
            continuations.add(tokenizer.continuation(pair.prompt(), pair.target()));
        }
        return scoreIds(continuations, options);
    }

    /** Teacher-forced scores of already tokenised prompt/target pairs (batched). */
    public List<ContinuationScore> scoreIds(List<TextTokenizer.Continuation> continuations, ForwardOptions options) {
        List<ContinuationScore> out = new ArrayList<>();
        for (int from = 0; from < continuations.size(); from += batchSize) {
            out.addAll(scoreChunk(continuations.subList(from, Math.min(continuations.size(), from + batchSize)), options));
        }
        return out;
    }

    private List<ContinuationScore> scoreChunk(List<TextTokenizer.Continuation> chunk, ForwardOptions options) {
        List<int[]> rows = new ArrayList<>();
        for (TextTokenizer.Continuation c : chunk) {
            if (c.targetIds().length == 0) {
                throw new IllegalArgumentException("target encodes to no tokens");
            }
            rows.add(c.sequence());
        }
        TokenBatch batch = TokenBatch.of(rows, model.config().eosTokenId());
        int t = batch.length();
        long[] nextIds = new long[rows.size() * t];
        for (int b = 0; b < rows.size(); b++) {
            int[] seq = rows.get(b);
            for (int pos = 0; pos + 1 < seq.length; pos++) {
                nextIds[b * t + pos] = seq[pos + 1];
            }
        }
        float[] logProbs;
        long[] argmax;
        // Only the logits from each prompt's last position on are read.
        int[] readFrom = new int[chunk.size()];
        for (int b = 0; b < chunk.size(); b++) {
            readFrom[b] = chunk.get(b).promptIds().length - 1;
        }
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            NDArray logits = model.forward(scope, batch, options.withReadFrom(readFrom)).logits(); // (B, T, V)
            NDArray logSoftmax = logits.logSoftmax(2); // (B, T, V)
            NDArray next = Tensors.owned(scope.create(nextIds, new Shape(rows.size(), t, 1))); // (B, T, 1)
            logProbs = logSoftmax.gather(next, 2).toType(DataType.FLOAT32, false).toFloatArray(); // (B, T, 1)
            argmax = logits.argMax(2).toLongArray(); // (B, T)
        }
        List<ContinuationScore> out = new ArrayList<>();
        for (int b = 0; b < chunk.size(); b++) {
            TextTokenizer.Continuation c = chunk.get(b);
            int p = c.promptIds().length;
            int n = c.targetIds().length;
            double[] lp = new double[n];
            int[] predicted = new int[n];
            for (int i = 0; i < n; i++) {
                int pos = b * t + p - 1 + i; // position p-1+i predicts target token i
                lp[i] = logProbs[pos];
                predicted[i] = (int) argmax[pos];
            }
            out.add(new ContinuationScore(c.promptIds(), c.targetIds(), lp, predicted));
        }
        return out;
    }

    /** Token-level teacher-forced top-1 accuracy of {@code target} after {@code prompt}. */
    public double teacherForcedAccuracy(String prompt, String target) {
        return score(prompt, target).accuracy();
    }

    /** Per-token log-probabilities of {@code target} after {@code prompt}. */
    public double[] continuationLogProbs(String prompt, String target) {
        return score(prompt, target).logProbs();
    }

    /** Mean token-level accuracy over pairs (each pair weighs the same). */
    public double meanAccuracy(List<PromptTarget> pairs) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no prompt/target pairs to score");
        }
        double sum = 0;
        for (ContinuationScore s : score(pairs)) {
            sum += s.accuracy();
        }
        return sum / pairs.size();
    }

    private static void requireNoAdditions(ForwardOptions options) {
        if (!options.additions().isEmpty()) {
            throw new IllegalArgumentException("residual additions address fixed (row, position) "
                    + "pairs and cannot be used with batched inference");
        }
    }

    private static int[] toInts(long[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (int) values[i];
        }
        return out;
    }

    /**
     * Gives up this instance's use of a loaded model (the shared model closes when its last user
     * has closed and it is not kept idle); views and wrapped models are left alone.
     */
    @Override
    public void close() {
        if (holdsLease) {
            lease.release();
        }
    }
}
