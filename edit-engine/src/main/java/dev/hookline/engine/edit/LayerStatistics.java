/*
 * Key statistics per editing layer: C0 = E[k k^T] over a corpus sample (uncentred second moment)
 * and a sample of corpus keys, computed once per base model and cached next to it.
 * Reference: MEMIT layer_stats (mom2 over Wikipedia text), DESIGN.md section 3.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.bundle.TensorFile;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * C0 (d_ff, d_ff) float64 and a corpus key sample (S, d_ff) per layer.
 *
 * @param layers the layers covered, ascending
 * @param c0 row-major C0 per layer
 * @param corpusKeys row-major key sample per layer, {@code sampleKeys} rows
 * @param mlpSize d_ff
 * @param sampleLines corpus lines used
 * @param tokenCount real token positions averaged over
 * @param modelDigest {@link Digests#model} of the base model
 * @param digest sha256 of the cached safetensors file (what versions record)
 */
public record LayerStatistics(int[] layers, Map<Integer, double[]> c0, Map<Integer, float[]> corpusKeys,
        int mlpSize, int sampleLines, long tokenCount, String modelDigest, String digest) {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStatistics.class);
    private static final int KEY_SAMPLE = 2048;
    private static final int BATCH_LINES = 32;

    /**
     * The statistics sample size that means "the default": {@link #defaultLines} of the model's d_ff. Every option
     * and hyperparameter that sets the sample size takes it as its default.
     */
    public static final int AUTO_LINES = 0;

    /** The fewest corpus lines the default takes (what every model got before the rule below). */
    public static final int MIN_DEFAULT_LINES = 1000;

    /**
     * The default sample size for keys of width {@code mlpSize}: {@code max(1000, ceil(5 d_ff / 2))} lines, about 27
     * tokens per key dimension on the demo world (10.9 tokens a line). C0 is a d_ff x d_ff second moment whose
     * inverse square root whitens every nearest-key scope, so its sample must grow with d_ff: 1000 lines were 28
     * tokens per dimension at d_ff 384 (tiny, demo: still 1000 lines) but 2.7 at d_ff 4096 (demo-d256x: now 10,240),
     * where the noisy whitening kept paraphrases out of codebook-nearest's scope (docs/BENCHMARKS.md, twenty-fifth
     * session: on a demo-d256x dev stream, at each sample's best threshold, generality 0.903 at locality 0.966 with
     * 1000 lines, 0.985 at 0.995 with 10,000).
     */
    public static int defaultLines(int mlpSize) {
        if (mlpSize < 1) {
            throw new IllegalArgumentException("d_ff must be >= 1, got " + mlpSize);
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_DEFAULT_LINES, (5L * mlpSize + 1) / 2));
    }

    /** {@code requested} lines, or the default for {@code mlpSize} where it is {@link #AUTO_LINES}. */
    public static int resolveLines(int requested, int mlpSize) {
        if (requested < 0) {
            throw new IllegalArgumentException("statistics sample size must be >= 1 line (or 0 for the default), got "
                    + requested);
        }
        return requested == AUTO_LINES ? defaultLines(mlpSize) : requested;
    }

    /** C0 of {@code layer}. */
    public double[] c0(int layer) {
        double[] c = c0.get(layer);
        if (c == null) {
            throw new IllegalArgumentException("no statistics for layer " + layer + "; have " + Arrays.toString(layers));
        }
        return c;
    }

    /** Corpus key sample of {@code layer}, (S, d_ff) row-major. */
    public float[] corpusKeys(int layer) {
        c0(layer);
        return corpusKeys.get(layer);
    }

    /**
     * Loads the cached statistics from {@code cacheDir} or computes and caches them.
     *
     * @param corpus corpus lines; the first {@code sampleLines} non-blank ones are used ({@link #AUTO_LINES}: {@link #defaultLines})
     */
    public static LayerStatistics loadOrCompute(CausalLm model, TextTokenizer tokenizer, List<String> corpus,
            int sampleLines, int[] layers, Path cacheDir) throws IOException {
        return loadOrCompute(model, tokenizer, corpus, sampleLines, layers, cacheDir, false, null);
    }

    /**
     * As {@link #loadOrCompute(CausalLm, TextTokenizer, List, int, int[], Path)}; with
     * {@code keyByCorpus} the cache file name also carries the digest of the lines sampled (a
     * user's corpus: another corpus is another C0), so the cache is keyed by model digest + corpus
     * digest. Without it the name is the world-corpus name the worker shares.
     */
    public static LayerStatistics loadOrCompute(CausalLm model, TextTokenizer tokenizer, List<String> corpus,
            int sampleLines, int[] layers, Path cacheDir, boolean keyByCorpus, java.io.PrintStream progress)
            throws IOException {
        sampleLines = resolveLines(sampleLines, model.config().mlpSize());
        int[] sorted = layers.clone();
        Arrays.sort(sorted);
        String modelDigest = Digests.model(model);
        StringBuilder name = new StringBuilder("c0-").append(modelDigest, 0, 16);
        if (keyByCorpus) {
            name.append("-c").append(corpusDigest(corpus, sampleLines), 0, 16);
        }
        name.append("-L");
        for (int i = 0; i < sorted.length; i++) {
            name.append(i == 0 ? "" : "_").append(sorted[i]);
        }
        name.append("-n").append(sampleLines);
        Path file = cacheDir.resolve(name + ".safetensors");
        if (Files.isRegularFile(file)) {
            LayerStatistics cached = read(file, sorted, modelDigest);
            LOG.info("loaded key statistics {} ({} lines, {} tokens)", file, cached.sampleLines, cached.tokenCount);
            return cached;
        }
        LayerStatistics fresh = compute(model, tokenizer, corpus, sampleLines, sorted, modelDigest, progress);
        write(fresh, file);
        Files.writeString(cacheDir.resolve(name + ".json"), "{\"sampleLines\": " + fresh.sampleLines
                + ", \"tokens\": " + fresh.tokenCount + ", \"modelDigest\": \"" + modelDigest
                + "\", \"layers\": " + Arrays.toString(sorted) + ", \"file\": \"" + file.getFileName() + "\"}\n");
        return read(file, sorted, modelDigest);
    }

    /** sha256 over the first {@code sampleLines} non-blank corpus lines (each followed by a newline). */
    public static String corpusDigest(List<String> corpus, int sampleLines) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            int used = 0;
            for (String line : corpus) {
                if (used >= sampleLines) {
                    break;
                }
                if (!line.isBlank()) {
                    md.update((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    used++;
                }
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Computes statistics without caching. */
    public static LayerStatistics compute(CausalLm model, TextTokenizer tokenizer, List<String> corpus,
            int sampleLines, int[] layers, String modelDigest) {
        return compute(model, tokenizer, corpus, sampleLines, layers, modelDigest, null);
    }

    /** As {@link #compute(CausalLm, TextTokenizer, List, int, int[], String)}, drawing a progress bar on {@code progress} (or none). */
    public static LayerStatistics compute(CausalLm model, TextTokenizer tokenizer, List<String> corpus,
            int sampleLines, int[] layers, String modelDigest, java.io.PrintStream progress) {
        int ff = model.config().mlpSize();
        sampleLines = resolveLines(sampleLines, ff);
        int maxLen = model.config().maxPositions();
        List<int[]> lines = new ArrayList<>();
        for (String line : corpus) {
            if (lines.size() >= sampleLines) {
                break;
            }
            if (!line.isBlank()) {
                int[] ids = tokenizer.encode(line);
                if (ids.length > 0) {
                    lines.add(ids.length > maxLen ? Arrays.copyOf(ids, maxLen) : ids);
                }
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("corpus has no usable lines for key statistics");
        }
        long tokens = 0;
        Map<Integer, double[]> c0 = new LinkedHashMap<>();
        Map<Integer, float[]> sample = new LinkedHashMap<>();
        Map<Integer, List<float[]>> sampleRows = new LinkedHashMap<>();
        try (NDManager scope = NDManager.newBaseManager(model.device());
                dev.hookline.engine.util.ProgressBar bar = progress == null ? null
                        : new dev.hookline.engine.util.ProgressBar(progress, "C0", lines.size())) {
            Map<Integer, NDArray> sums = new LinkedHashMap<>();
            for (int l : layers) {
                sums.put(l, scope.zeros(new ai.djl.ndarray.types.Shape(ff, ff), DataType.FLOAT64));
                sampleRows.put(l, new ArrayList<>());
            }
            for (int from = 0; from < lines.size(); from += BATCH_LINES) {
                List<int[]> chunk = lines.subList(from, Math.min(lines.size(), from + BATCH_LINES));
                TokenBatch batch = TokenBatch.of(chunk, model.config().eosTokenId());
                try (NDManager work = scope.newSubManager()) {
                    var result = model.forward(work, batch,
                            ForwardOptions.builder().captureKeys(layers).computeLogits(false).build());
                    NDArray mask = batch.mask(work, DataType.FLOAT64)
                            .reshape(batch.size() * (long) batch.length(), 1); // (B*T, 1)
                    for (int l : layers) {
                        NDArray k = result.keys(l).toType(DataType.FLOAT64, false)
                                .reshape(batch.size() * (long) batch.length(), ff).mul(mask); // (B*T, d_ff)
                        NDArray kk = k.transpose().matMul(k); // (d_ff, d_ff)
                        sums.get(l).addi(kk);
                        List<float[]> rows = sampleRows.get(l);
                        if (rows.size() < KEY_SAMPLE) {
                            float[] flat = result.keys(l).toType(DataType.FLOAT32, false).toFloatArray();
                            for (int b = 0; b < batch.size() && rows.size() < KEY_SAMPLE; b++) {
                                for (int t = 0; t < batch.length(b) && rows.size() < KEY_SAMPLE; t++) {
                                    int base = (b * batch.length() + t) * ff;
                                    rows.add(Arrays.copyOfRange(flat, base, base + ff));
                                }
                            }
                        }
                    }
                }
                for (int[] row : chunk) {
                    tokens += row.length;
                }
                if (bar != null) {
                    bar.update(Math.min(lines.size(), from + BATCH_LINES), tokens + " tokens");
                }
            }
            for (int l : layers) {
                c0.put(l, sums.get(l).div(tokens).toDoubleArray());
                List<float[]> rows = sampleRows.get(l);
                float[] flat = new float[rows.size() * ff];
                for (int i = 0; i < rows.size(); i++) {
                    System.arraycopy(rows.get(i), 0, flat, i * ff, ff);
                }
                sample.put(l, flat);
            }
        }
        LOG.info("computed key statistics over {} lines / {} tokens at layers {}", lines.size(), tokens,
                Arrays.toString(layers));
        return new LayerStatistics(layers.clone(), c0, sample, ff, lines.size(), tokens, modelDigest, "");
    }

    private static void write(LayerStatistics stats, Path file) throws IOException {
        List<TensorFile.Tensor> tensors = new ArrayList<>();
        int ff = stats.mlpSize;
        for (int l : stats.layers) {
            tensors.add(new TensorFile.Tensor("c0." + l, "F64", new long[] {ff, ff}, stats.c0.get(l)));
            float[] keys = stats.corpusKeys.get(l);
            tensors.add(TensorFile.Tensor.f32("keys." + l, new long[] {keys.length / ff, ff}, keys));
        }
        TensorFile.write(file, tensors, Map.of("sampleLines", String.valueOf(stats.sampleLines),
                "tokens", String.valueOf(stats.tokenCount), "modelDigest", stats.modelDigest,
                "format", "hookline-key-stats/1"));
    }

    private static LayerStatistics read(Path file, int[] layers, String modelDigest) throws IOException {
        TensorFile.Contents contents = TensorFile.read(file);
        if (!modelDigest.equals(contents.metadata().get("modelDigest"))) {
            throw new IllegalStateException("statistics cache " + file + " belongs to model "
                    + contents.metadata().get("modelDigest") + ", not " + modelDigest);
        }
        Map<Integer, double[]> c0 = new LinkedHashMap<>();
        Map<Integer, float[]> keys = new LinkedHashMap<>();
        int ff = 0;
        for (int l : layers) {
            TensorFile.Tensor c = contents.tensor("c0." + l);
            ff = (int) c.shape()[0];
            c0.put(l, c.data());
            double[] k = contents.tensor("keys." + l).data();
            float[] kf = new float[k.length];
            for (int i = 0; i < k.length; i++) {
                kf[i] = (float) k[i];
            }
            keys.put(l, kf);
        }
        return new LayerStatistics(layers.clone(), c0, keys, ff,
                Integer.parseInt(contents.metadata().get("sampleLines")),
                Long.parseLong(contents.metadata().get("tokens")), modelDigest, Digests.file(file));
    }
}
