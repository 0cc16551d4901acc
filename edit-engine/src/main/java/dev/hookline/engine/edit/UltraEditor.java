/*
 * UltraEdit as a consecutive editor: per batch one teacher-forced forward and backward of the
 * edit prompts' target NLL gives, at every real position and editing layer, the MLP key k (the
 * input of the output projection) and the gradient g of the loss at the projection's output. The
 * lifelong normaliser merges the rows [k, g] into its running statistics and standardises them;
 * the pseudo-values are v = -lr ||k_hat||^2 g_hat, and the update is the ridge solution
 * Delta = (K^T K + I)^-1 K^T V on the raw keys, written into the weight. No value step, no subject
 * position, no covariance statistics, nothing kept but the normaliser.
 * Reference: Gu et al., "UltraEdit: Training-, Subject-, and Memory-Free Lifelong Editing in
 * Large Language Models", 2025 (arXiv 2505.14679), and the authors' code (EasyEdit port:
 * predict_param_shifts, token "mask").
 */
package dev.hookline.engine.edit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.ForwardResult;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UltraEdit on a private copy of the base model. Shapes: B rows (one per request), T positions,
 * N real positions of the batch, d hidden size, d_ff MLP width.
 */
public final class UltraEditor implements SequentialEditor {
    private static final Logger LOG = LoggerFactory.getLogger(UltraEditor.class);

    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final UltraEditParams params;
    private final Map<Integer, LifelongNormalizer> normalizers = new LinkedHashMap<>();
    private int edits;

    /** An editor on a deep copy of {@code base}. */
    public UltraEditor(CausalLm base, TextTokenizer tokenizer, UltraEditParams params) {
        for (int l : params.layers()) {
            if (l >= base.config().layerCount()) {
                throw new IllegalArgumentException("editing layer " + l + " but the model has "
                        + base.config().layerCount() + " layers");
            }
        }
        this.model = ModelCopies.deepCopy(base);
        this.model.setTrainable(false);
        this.tokenizer = tokenizer;
        this.params = params;
        int ff = base.config().mlpSize();
        int d = base.config().hiddenSize();
        for (int l : params.layers()) {
            normalizers.put(l, new LifelongNormalizer(ff + d));
        }
    }

    @Override
    public String method() {
        return "ultraedit";
    }

    /** The lifelong normaliser of {@code layer} (rows [k, g] of width d_ff + d). */
    public LifelongNormalizer normalizer(int layer) {
        return normalizers.get(layer);
    }

    @Override
    public BatchOutcome apply(List<EditRequest> batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty edit batch");
        }
        long start = System.nanoTime();
        int u = batch.size();
        int d = model.config().hiddenSize();
        int ff = model.config().mlpSize();
        int[] layers = params.layers();
        List<int[]> rows = new ArrayList<>();
        List<Integer> nllRows = new ArrayList<>();
        List<Integer> nllPos = new ArrayList<>();
        List<Long> nllTarget = new ArrayList<>();
        for (int i = 0; i < u; i++) {
            EditPrompts p = EditPrompts.of(batch.get(i), tokenizer, List.of());
            int at = p.variants().get(0).length - 1; // the prompt's last token predicts the first target token
            for (int j = 0; j < p.targetIds().length; j++) {
                nllRows.add(i);
                nllPos.add(at + j);
                nllTarget.add((long) p.targetIds()[j]);
            }
            rows.add(p.teacherForced(0));
        }
        TokenBatch tokens = TokenBatch.of(rows, model.config().eosTokenId());
        int n = nllRows.size();
        Map<Integer, double[]> keys = new LinkedHashMap<>(); // layer -> (N, d_ff) row-major, real positions
        Map<Integer, double[]> grads = new LinkedHashMap<>(); // layer -> (N, d)
        int[] realRows;
        int[] realPos;
        {
            List<Integer> rr = new ArrayList<>();
            List<Integer> pp = new ArrayList<>();
            for (int b = 0; b < u; b++) {
                for (int t = 0; t < tokens.length(b); t++) {
                    rr.add(b);
                    pp.add(t);
                }
            }
            realRows = rr.stream().mapToInt(Integer::intValue).toArray();
            realPos = pp.stream().mapToInt(Integer::intValue).toArray();
        }
        int real = realRows.length;
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            long tLen = tokens.length();
            Map<Integer, NDArray> leaves = new LinkedHashMap<>();
            ForwardOptions.Builder options = ForwardOptions.builder().captureKeys(layers);
            for (int l : layers) {
                NDArray leaf = scope.zeros(new Shape(u, tLen, d), model.dataType()); // (B, T, d): d loss / d output
                leaf.setRequiresGradient(true);
                leaves.put(l, leaf);
                options.hook(l, (layer, k, original, mask) -> original.add(leaves.get(layer)));
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                ForwardResult result = model.forward(scope, tokens, options.build());
                int[] nr = nllRows.stream().mapToInt(Integer::intValue).toArray();
                int[] np = nllPos.stream().mapToInt(Integer::intValue).toArray();
                long[] targets = nllTarget.stream().mapToLong(Long::longValue).toArray();
                NDArray picked = Positions.select(scope, result.logits(), nr, np).logSoftmax(1); // (N_t, V)
                NDArray lp = picked.gather(scope.create(targets, new Shape(n, 1)), 1); // (N_t, 1)
                NDArray loss = lp.mean().neg(); // mean NLL over the batch's target tokens
                collector.backward(loss);
                for (int l : layers) {
                    keys.put(l, flatten(Positions.gather(scope, result.keys(l), realRows, realPos)));
                }
            }
            for (int l : layers) {
                grads.put(l, flatten(Positions.gather(scope, leaves.get(l).getGradient(), realRows, realPos)));
            }
        }
        for (int l : layers) {
            double[] k = keys.get(l); // (N, d_ff)
            double[] g = grads.get(l); // (N, d)
            double[] z = new double[real * (ff + d)]; // (N, d_ff + d): [k, g]
            for (int i = 0; i < real; i++) {
                System.arraycopy(k, i * ff, z, i * (ff + d), ff);
                System.arraycopy(g, i * d, z, i * (ff + d) + ff, d);
            }
            LifelongNormalizer norm = normalizers.get(l);
            norm.update(z, real);
            double[] zHat = norm.normalize(z, real);
            double[] v = new double[real * d]; // (N, d): pseudo-values -lr ||k_hat||^2 g_hat
            for (int i = 0; i < real; i++) {
                double kk = 0;
                for (int a = 0; a < ff; a++) {
                    double x = zHat[i * (ff + d) + a];
                    kk += x * x;
                }
                double coeff = -params.learningRate() * kk;
                for (int a = 0; a < d; a++) {
                    v[i * d + a] = coeff * zHat[i * (ff + d) + ff + a];
                }
            }
            try (NDManager work = NDManager.newBaseManager(model.device())) {
                NDArray kArr = work.create(k, new Shape(real, ff)); // (N, d_ff) float64
                NDArray vArr = work.create(v, new Shape(real, d)); // (N, d)
                // (K^T K + r I)^-1 K^T V = K^T (K K^T + r I)^-1 V: an (N, N) system instead of (d_ff, d_ff)
                NDArray small = kArr.matMul(kArr.transpose()).add(work.eye(real, real, 0, DataType.FLOAT64)
                        .mul(params.ridge())); // (N, N)
                NDArray shift = kArr.transpose().matMul(small.inverse().matMul(vArr)); // (d_ff, d)
                model.mlpProjectionWeight(l).addi(shift.toType(model.dataType(), false));
            }
        }
        edits += u;
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.debug("ultraedit: batch of {} ({} rows) in {} s", u, real, seconds);
        double[] none = new double[u];
        Arrays.fill(none, Double.NaN);
        return new BatchOutcome(u, seconds, none, Map.of());
    }

    private static double[] flatten(double[][] rows) {
        int w = rows.length == 0 ? 0 : rows[0].length;
        double[] out = new double[rows.length * w];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * w, w);
        }
        return out;
    }

    @Override
    public CausalLm model() {
        return model;
    }

    @Override
    public ForwardOptions inferenceOptions() {
        return ForwardOptions.defaults();
    }

    /** The weight deltas of the editing layers and the normalisers' statistics. */
    @Override
    public long stateBytes() {
        long ff = model.config().mlpSize();
        long d = model.config().hiddenSize();
        return params.layers().length * (ff * d * 4L + (1 + 2 * (ff + d)) * 8L);
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
        model.close();
    }
}
