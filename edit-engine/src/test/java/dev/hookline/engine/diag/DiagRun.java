/*
 * What every diagnostic in this package starts with: the leading arguments MODEL DATA N BATCH
 * LAMBDA LAYER, the first N edit requests of DATA, the model loaded frozen and the C0 statistics of
 * the one editing layer (cached in MODEL/hookline-stats like the bench's).
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One diagnostic's model, edits and statistics; close to release the model. */
final class DiagRun implements AutoCloseable {
    /** How many leading arguments {@link #open} reads. */
    static final int LEADING_ARGS = 6;

    final Path modelDir;
    final int n;
    final int batch;
    final double lambda;
    final int layer;
    final List<EditRequest> requests;
    final LanguageModel lm;
    final LayerStatistics stats;

    private DiagRun(Path modelDir, int n, int batch, double lambda, int layer, List<EditRequest> requests,
            LanguageModel lm, LayerStatistics stats) {
        this.modelDir = modelDir;
        this.n = n;
        this.batch = batch;
        this.lambda = lambda;
        this.layer = layer;
        this.requests = requests;
        this.lm = lm;
        this.stats = stats;
    }

    /** Reads MODEL DATA N BATCH LAMBDA LAYER from {@code args}, C0 over {@code statsLines} corpus lines. */
    static DiagRun open(String[] args, int statsLines) throws Exception {
        if (args.length < LEADING_ARGS) {
            throw new IllegalArgumentException("expected MODEL DATA N BATCH LAMBDA LAYER first, got " + args.length + " arguments");
        }
        Path modelDir = Path.of(args[0]);
        Path data = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        double lambda = Double.parseDouble(args[4]);
        int layer = Integer.parseInt(args[5]);
        List<EditRequest> requests = EditData.requests(data, n);
        List<String> corpus = EditData.corpus(null, data, modelDir);
        LanguageModel lm = LanguageModel.load(modelDir);
        try {
            lm.model().setTrainable(false);
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus, statsLines,
                    new int[] {layer}, modelDir.resolve("hookline-stats"));
            return new DiagRun(modelDir, n, batch, lambda, layer, requests, lm, stats);
        } catch (Exception | Error e) {
            lm.close();
            throw e;
        }
    }

    /** Every (n / k)-th of the run's edits, k of them (all when k >= n): the evaluation sample. */
    List<EditRequest> sample(int k) {
        int m = Math.min(k, n);
        List<EditRequest> out = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            out.add(requests.get((int) ((long) i * n / m)));
        }
        return out;
    }

    /**
     * The arguments after MODEL DATA N BATCH LAMBDA LAYER of the diagnostics that read an edited
     * span state: EDIT_ALPHA SCOPE_LAMBDA EVAL_ALPHAS(comma) EVAL_SAMPLE STATE_FILE.
     */
    record SpanStateArgs(double editAlpha, double scopeLambda, double[] evalAlphas, int evalSample, Path stateFile) {
        static SpanStateArgs parse(String[] args) {
            return new SpanStateArgs(Double.parseDouble(args[6]), Double.parseDouble(args[7]),
                    java.util.Arrays.stream(args[8].split(",")).mapToDouble(Double::parseDouble).toArray(),
                    Integer.parseInt(args[9]), Path.of(args[10]));
        }
    }

    /** Optional argument {@code i} as an int, else {@code fallback}. */
    static int intArg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }

    /** What {@link #keyChunks} hands over per chunk: the chunk's first prompt index, its tokens and keys (B, T, d_ff). */
    interface KeyChunk {
        void accept(int start, TokenBatch tokens, NDArray keys);
    }

    /** The keys at {@code layer} of {@code prompts}, 64 prompts per forward, freed after each chunk. */
    static void keyChunks(LanguageModel lm, int layer, List<String> prompts, KeyChunk use) {
        int chunk = 64;
        for (int start = 0; start < prompts.size(); start += chunk) {
            List<int[]> rows = new ArrayList<>();
            for (String p : prompts.subList(start, Math.min(prompts.size(), start + chunk))) {
                rows.add(lm.tokenizer().encode(p));
            }
            TokenBatch tb = TokenBatch.of(rows, lm.model().config().eosTokenId());
            try (NDManager work = lm.model().manager().newSubManager()) {
                use.accept(start, tb, lm.model().forward(work, tb, ForwardOptions.builder().captureKeys(layer)
                        .computeLogits(false).build()).keys(layer));
            }
        }
    }

    /**
     * The update's key of each of the first {@code n} edits at {@code layer}: the key at the edit
     * token averaged over the plain prompt and its context-prefixed variants, as the editors
     * compute it. Keys at the (last) editing layer do not depend on that layer's hook, so the
     * unedited model gives them.
     */
    double[][] meanEditKeys(dev.hookline.engine.edit.ValueStepParams vs) {
        int ff = lm.model().config().mlpSize();
        int v = vs.contextVariants() + 1;
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += 16) {
            List<dev.hookline.engine.edit.EditPrompts> ps = new ArrayList<>();
            List<int[]> rows = new ArrayList<>();
            for (EditRequest r : requests.subList(from, Math.min(n, from + 16))) {
                var p = dev.hookline.engine.edit.EditPrompts.of(r, lm.tokenizer(),
                        dev.hookline.world.RelationCatalogue.CONTEXT_PREFIXES.subList(0, vs.contextVariants()),
                        vs.editToken().equals("last"));
                ps.add(p);
                rows.addAll(p.variants().subList(0, v));
            }
            try (NDManager chunk = lm.model().manager().newSubManager()) {
                NDArray keys = lm.model().forward(chunk, TokenBatch.of(rows, lm.model().config().eosTokenId()),
                        ForwardOptions.builder().captureKeys(layer).computeLogits(false).build())
                        .keys(layer).toType(ai.djl.ndarray.types.DataType.FLOAT64, false); // (B, T, d_ff)
                for (int i = 0; i < ps.size(); i++) {
                    double[] km = new double[ff];
                    for (int x = 0; x < v; x++) {
                        double[] k = keys.get(i * v + x).get(ps.get(i).subjectLast()[x]).toDoubleArray();
                        for (int a = 0; a < ff; a++) {
                            km[a] += k[a] / v;
                        }
                    }
                    out[from + i] = km;
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        lm.close();
    }
}
