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

    @Override
    public void close() {
        lm.close();
    }
}
