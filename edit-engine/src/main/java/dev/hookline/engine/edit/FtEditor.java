/*
 * Constrained fine-tuning of the editing layers' MLP projections, applied batch after batch.
 * Reference: ROME's FT-L baseline: Adam on the NLL of the new target, every weight kept within
 * an L-infinity ball of radius normBound around its original value.
 */
package dev.hookline.engine.edit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** FT-L on a private copy of the base model. Shapes: d_ff MLP width, d hidden size. */
public final class FtEditor implements SequentialEditor {
    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final FtParams params;
    private final List<String> contextPrefixes;
    private final NDManager state;
    private final Map<Integer, NDArray> original = new LinkedHashMap<>(); // (d_ff, d)
    private final int chunkRows;
    private int edits;

    /**
     * Rows per forward/backward of a step: a step's gradient is accumulated over chunks of this many
     * rows (the same gradient; a batch of 10 edits with 2 variants each is one chunk). With 300
     * rows in one pass the (rows, T, d_ff) activations exceed glibc's mmap threshold and fault in
     * afresh every op (docs/BENCHMARKS.md, twelfth session).
     */
    public static final int CHUNK_ROWS = 32;

    public FtEditor(CausalLm base, TextTokenizer tokenizer, FtParams params, List<String> contextPrefixes) {
        this(base, tokenizer, params, contextPrefixes, CHUNK_ROWS);
    }

    FtEditor(CausalLm base, TextTokenizer tokenizer, FtParams params, List<String> contextPrefixes, int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunk rows must be >= 1, got " + chunkRows);
        }
        this.chunkRows = chunkRows;
        for (int l : params.layers()) {
            if (l >= base.config().layerCount()) {
                throw new IllegalArgumentException("FT layer " + l + " but the model has "
                        + base.config().layerCount() + " layers");
            }
        }
        this.model = ModelCopies.deepCopy(base);
        this.model.setTrainable(false);
        this.tokenizer = tokenizer;
        this.params = params;
        this.contextPrefixes = List.copyOf(contextPrefixes);
        this.state = NDManager.newBaseManager(base.device());
        for (int l : params.layers()) {
            NDArray w = model.mlpProjectionWeight(l).duplicate();
            w.attach(state);
            original.put(l, w);
        }
    }

    @Override
    public String method() {
        return "ft";
    }

    @Override
    public BatchOutcome apply(List<EditRequest> batch) {
        long start = System.nanoTime();
        List<int[]> rows = new ArrayList<>();
        List<long[]> targets = new ArrayList<>(); // per row: (position, token) pairs flattened
        for (EditRequest r : batch) {
            EditPrompts p = EditPrompts.of(r, tokenizer, contextPrefixes);
            int variants = Math.min(p.variants().size(), 1 + params.contextVariants());
            for (int v = 0; v < variants; v++) {
                rows.add(p.teacherForced(v));
                int startPos = p.variants().get(v).length - 1;
                long[] t = new long[2 * p.targetIds().length];
                for (int j = 0; j < p.targetIds().length; j++) {
                    t[2 * j] = startPos + j;
                    t[2 * j + 1] = p.targetIds()[j];
                }
                targets.add(t);
            }
        }
        int count = 0;
        for (long[] t : targets) {
            count += t.length / 2;
        }
        Map<Integer, NDArray> m1 = new LinkedHashMap<>();
        Map<Integer, NDArray> m2 = new LinkedHashMap<>();
        try (NDManager scope = state.newSubManager()) {
            for (int l : params.layers()) {
                m1.put(l, scope.zeros(original.get(l).getShape(), model.dataType()));
                m2.put(l, scope.zeros(original.get(l).getShape(), model.dataType()));
            }
            // Per chunk of rows: its batch, target ids and weights (R_c, T_c, 1).
            List<TokenBatch> batches = new ArrayList<>();
            List<NDArray> idArrs = new ArrayList<>();
            List<NDArray> wArrs = new ArrayList<>();
            for (int from = 0; from < rows.size(); from += chunkRows) {
                int to = Math.min(rows.size(), from + chunkRows);
                TokenBatch tb = TokenBatch.of(rows.subList(from, to), model.config().eosTokenId());
                int len = tb.length();
                float[] weight = new float[(to - from) * len];
                long[] ids = new long[(to - from) * len];
                for (int r = from; r < to; r++) {
                    long[] t = targets.get(r);
                    for (int j = 0; j < t.length; j += 2) {
                        weight[(r - from) * len + (int) t[j]] = 1f;
                        ids[(r - from) * len + (int) t[j]] = t[j + 1];
                    }
                }
                batches.add(tb);
                idArrs.add(scope.create(ids, new Shape(to - from, len, 1)));
                wArrs.add(scope.create(weight, new Shape(to - from, len, 1)).toType(model.dataType(), false));
            }
            for (int step = 0; step < params.steps(); step++) {
                for (int l : params.layers()) {
                    model.mlpProjectionWeight(l).setRequiresGradient(true);
                }
                try (NDManager work = scope.newSubManager()) {
                    // Gradients accumulate over the chunks (PyTorch adds into .grad): the gradient of
                    // the mean NLL over all rows.
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        for (int c = 0; c < batches.size(); c++) {
                            try (NDManager chunk = work.newSubManager()) {
                                NDArray logits = model.forward(chunk, batches.get(c), ForwardOptions.defaults())
                                        .logits(); // (R_c, T_c, V)
                                NDArray nll = logits.logSoftmax(2).gather(idArrs.get(c), 2).mul(wArrs.get(c)).sum()
                                        .neg().div(count);
                                collector.backward(nll);
                            }
                        }
                    }
                    double c1 = 1 - Math.pow(0.9, step + 1);
                    double c2 = 1 - Math.pow(0.999, step + 1);
                    for (int l : params.layers()) {
                        // DJL attaches an op's result to its first operand's manager: every array
                        // derived here must start from one in `work`, never from w (the model's
                        // manager lives as long as the model; leaking there grew the RSS by ~400 MB
                        // per batch and got a 1000-edit bench OOM-killed).
                        NDArray w = model.mlpProjectionWeight(l);
                        NDArray grad = w.getGradient(); // a new wrapper per call, owned by w's manager
                        grad.attach(work); // the wrapper only; w keeps its gradient buffer
                        NDArray g = grad.duplicate();
                        g.attach(work);
                        grad.subi(grad); // zero explicitly: PyTorch accumulates
                        w.setRequiresGradient(false);
                        m1.get(l).muli(0.9).addi(g.mul(0.1));
                        m2.get(l).muli(0.999).addi(g.mul(g).mul(0.001));
                        NDArray firstHat = m1.get(l).div(c1);
                        firstHat.attach(work);
                        NDArray secondHat = m2.get(l).div(c2);
                        secondHat.attach(work);
                        NDArray stepArr = firstHat.div(secondHat.sqrt().add(1e-8)).mul(params.learningRate()); // (d_ff, d)
                        NDArray moved = stepArr.neg().add(w).sub(original.get(l))
                                .clip(-params.normBound(), params.normBound()).add(original.get(l)); // w - step, bounded
                        // In place on the device (w.set(toByteBuffer()) copied it through the host
                        // every step); 0 * w + moved is exactly moved for finite weights.
                        w.muli(0).addi(moved);
                    }
                }
            }
        }
        edits += batch.size();
        double[] nan = new double[batch.size()];
        Arrays.fill(nan, Double.NaN);
        return new BatchOutcome(batch.size(), (System.nanoTime() - start) / 1e9, nan, Map.of());
    }

    @Override
    public CausalLm model() {
        return model;
    }

    @Override
    public ForwardOptions inferenceOptions() {
        return ForwardOptions.defaults();
    }

    @Override
    public long stateBytes() {
        return (long) params.layers().length * model.config().mlpSize() * model.config().hiddenSize() * 4L;
    }

    @Override
    public int editCount() {
        return edits;
    }

    @Override
    public Map<Integer, Double> alphas() {
        return Map.of();
    }

    @Override
    public void close() {
        state.close();
        model.close();
    }

}
