/*
 * The value step: for each edit, the hidden state z at the last editing layer (subject's last
 * token) that makes the model produce the new target.
 * Reference: MEMIT compute_z / ROME compute_v: optimise delta added to the block output at the
 * subject's last token; loss = NLL of the target over the prompt and context-prefixed variants
 * + kl_factor * KL(unedited || edited) on "{subject} is a" + weight decay; clamp the norm.
 */
package dev.hookline.engine.edit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.engine.model.ResidualAddition;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes the value targets of a batch, in groups of at most {@link #GROUP} requests: within a
 * group every request has its own delta (rows of one (u, d) leaf array); their losses are
 * independent and summed, so one Adam over the stacked deltas equals u separate optimisations.
 * Shapes: u requests, d hidden size, R rows (u * (1 + variants) teacher-forced rows + u KL rows),
 * T positions, V vocabulary.
 */
public final class ValueStep {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ValueStep.class);
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    /**
     * Initial loss scale with float16 matrices ({@link CausalLm#weightType()}): their backward runs
     * through float16 products, whose small gradients lose precision below 6e-5 and vanish below
     * 6e-8, so the loss is scaled up before the backward and the gradient down after, as PyTorch's
     * GradScaler does (halved, and the step skipped, when a gradient overflows).
     */
    static final double FP16_LOSS_SCALE = 1024;

    /**
     * Requests optimised together at most. A larger batch is split into groups in order, each
     * optimised apart with its own early stop: the losses are independent, so this is the same
     * optimisation per request, and a batch of 100 no longer runs every request until the slowest
     * of the 100 converges, nor holds (1000 rows, T, V) logits for backward. Batches of up to 10
     * (the bench's batch 10) are one group, as before.
     */
    public static final int GROUP = 10;

    private ValueStep() {}

    /**
     * Result of the value step.
     *
     * @param targets z_i = h_i + delta_i, (u, d)
     * @param hidden h_i, the unedited hidden state at the last editing layer, (u, d)
     * @param probabilityNew P(new | delta) per request (geometric mean of the target tokens'
     *     probabilities on the plain prompt at the final delta)
     * @param steps optimisation steps taken (the most of any group)
     */
    public record Result(double[][] targets, double[][] hidden, double[] probabilityNew, int steps) {}

    /**
     * @param model the model (parameters must not require gradient)
     * @param hooks hooks installed during the step (the current validated version), may be empty
     * @param prompts tokenised requests
     * @param layer the last editing layer lm; delta is added to its output
     * @param params hyperparameters
     */
    public static Result compute(CausalLm model, Map<Integer, ? extends MlpProjectionHook> hooks,
            List<EditPrompts> prompts, int layer, ValueStepParams params) {
        int all = prompts.size();
        if (all <= GROUP) {
            return computeGroup(model, hooks, prompts, layer, params);
        }
        double[][] targets = new double[all][];
        double[][] hidden = new double[all][];
        double[] probabilityNew = new double[all];
        int steps = 0;
        for (int from = 0; from < all; from += GROUP) {
            int to = Math.min(all, from + GROUP);
            Result r = computeGroup(model, hooks, prompts.subList(from, to), layer, params);
            System.arraycopy(r.targets(), 0, targets, from, to - from);
            System.arraycopy(r.hidden(), 0, hidden, from, to - from);
            System.arraycopy(r.probabilityNew(), 0, probabilityNew, from, to - from);
            steps = Math.max(steps, r.steps());
        }
        return new Result(targets, hidden, probabilityNew, steps);
    }

    /** One group of at most {@link #GROUP} requests, optimised together until all are below the stop loss. */
    private static Result computeGroup(CausalLm model, Map<Integer, ? extends MlpProjectionHook> hooks,
            List<EditPrompts> prompts, int layer, ValueStepParams params) {
        int u = prompts.size();
        int d = model.config().hiddenSize();
        int pad = model.config().eosTokenId();
        // Row layout: request i's teacher-forced variants, then all KL rows.
        List<int[]> rows = new ArrayList<>();
        List<List<Integer>> rowsOf = new ArrayList<>();
        List<List<Integer>> posOf = new ArrayList<>();
        List<Integer> nllRows = new ArrayList<>();
        List<Integer> nllPos = new ArrayList<>();
        List<Long> nllTarget = new ArrayList<>();
        List<Double> nllWeight = new ArrayList<>();
        List<Integer> nllRequest = new ArrayList<>();
        int[] plainRow = new int[u];
        for (int i = 0; i < u; i++) {
            EditPrompts p = prompts.get(i);
            List<Integer> rs = new ArrayList<>();
            List<Integer> ps = new ArrayList<>();
            int variants = Math.min(p.variants().size(), 1 + params.contextVariants());
            for (int v = 0; v < variants; v++) {
                int row = rows.size();
                if (v == 0) {
                    plainRow[i] = row;
                }
                rows.add(p.teacherForced(v));
                rs.add(row);
                ps.add(p.subjectLast()[v]);
                int start = p.variants().get(v).length - 1;
                for (int j = 0; j < p.targetIds().length; j++) {
                    nllRows.add(row);
                    nllPos.add(start + j);
                    nllTarget.add((long) p.targetIds()[j]);
                    nllWeight.add(1.0 / (variants * p.targetIds().length));
                    nllRequest.add(v == 0 ? i : -1 - i);
                }
            }
            rowsOf.add(rs);
            posOf.add(ps);
        }
        int[] klRow = new int[u];
        int[] klPos = new int[u];
        for (int i = 0; i < u; i++) {
            klRow[i] = rows.size();
            klPos[i] = prompts.get(i).klPrompt().length - 1;
            rows.add(prompts.get(i).klPrompt());
            rowsOf.get(i).add(klRow[i]);
            posOf.get(i).add(prompts.get(i).klSubjectLast());
        }
        TokenBatch batch = TokenBatch.of(rows, pad);
        int n = nllRows.size();
        int[] nllRowArr = nllRows.stream().mapToInt(Integer::intValue).toArray();
        int[] nllPosArr = nllPos.stream().mapToInt(Integer::intValue).toArray();
        long[] targetArr = nllTarget.stream().mapToLong(Long::longValue).toArray();
        float[] weightArr = new float[n];
        for (int j = 0; j < n; j++) {
            weightArr[j] = nllWeight.get(j).floatValue();
        }

        // Validated hooks at or below the delta's layer read keys the delta cannot change, so their
        // swap decisions are taken once, in the unedited pass, and reused by every step (the span
        // scope's float64 quadratic forms would otherwise dominate each step at a wide d_ff).
        Map<Integer, float[]> decided = new HashMap<>();
        Map<Integer, MlpProjectionHook> deciding = new HashMap<>();
        Map<Integer, MlpProjectionHook> stepHooks = new HashMap<>();
        for (Map.Entry<Integer, ? extends MlpProjectionHook> e : hooks.entrySet()) {
            MlpProjectionHook h = e.getValue();
            if (h instanceof HookLayer hook && hook.mode() == HookLayer.Mode.VALIDATED && e.getKey() <= layer) {
                deciding.put(e.getKey(), new MlpProjectionHook() {
                    @Override
                    public NDArray replace(int block, NDArray keys, NDArray original, NDArray mask) {
                        float[] select = hook.selection(keys, mask);
                        decided.put(block, select);
                        return hook.replaceWithSelection(keys, original, select);
                    }

                    @Override
                    public boolean wantsTokens() {
                        return hook.wantsTokens();
                    }

                    @Override
                    public NDArray replace(int block, NDArray keys, NDArray original, NDArray mask, int[] readFrom,
                            int[][] tokens, int offset) {
                        float[] select = hook.selection(keys, mask, tokens, offset);
                        decided.put(block, select);
                        return hook.replaceWithSelection(keys, original, select);
                    }
                });
                stepHooks.put(e.getKey(), (block, keys, original, mask) ->
                        hook.replaceWithSelection(keys, original, decided.get(block)));
            } else {
                deciding.put(e.getKey(), h);
                stepHooks.put(e.getKey(), h);
            }
        }

        double[][] hidden;
        float[] deltas = new float[u * d]; // (u, d)
        double[] hNormSq = new double[u];
        float[] adamM = new float[u * d];
        float[] adamV = new float[u * d];
        double[] probabilityNew = new double[u];
        int steps = 0;
        double lossScale = model.weightType() == DataType.FLOAT16 ? FP16_LOSS_SCALE : 1;
        // Arrays every step reads stay on the model's device for the whole optimisation: the KL
        // reference is (u, V) (20 MB at u = 100 and GPT-2's vocabulary) and was uploaded per step.
        try (NDManager session = NDManager.newBaseManager(model.device())) {
            NDArray klReference; // (u, V), model dtype
            NDArray blockOutput; // (R, T, d), the output of block `layer` in the unedited pass
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                // Unedited pass: h at the subject's last token of the plain prompt, KL reference.
                ForwardOptions plain = ForwardOptions.builder().hooks(deciding).captureResiduals(true).build();
                var result = model.forward(scope, batch, plain);
                int[] plainPos = new int[u];
                for (int i = 0; i < u; i++) {
                    plainPos[i] = prompts.get(i).subjectLast()[0];
                }
                hidden = Positions.gather(scope, result.residual(layer), plainRow, plainPos);
                // Every step starts from it: delta is added at `layer`, so blocks 0..layer give the same
                // output each step (their hooks' decisions are fixed above) and need not run again.
                blockOutput = result.residual(layer);
                blockOutput.attach(session);
                for (int i = 0; i < u; i++) {
                    for (double v : hidden[i]) {
                        hNormSq[i] += v * v;
                    }
                }
                NDArray klLogits = Positions.select(scope, result.logits(), klRow, klPos); // (u, V)
                // Rounded through float32 as before, so CPU and GPU runs take the same reference.
                klReference = klLogits.logSoftmax(1).toType(DataType.FLOAT32, false).toType(model.dataType(), false);
                klReference.attach(session);
            }
            NDArray klProbability = klReference.exp(); // (u, V)
            NDArray targetIndex = session.create(targetArr, new Shape(n, 1)); // (N, 1)
            NDArray weights = session.create(weightArr, new Shape(n, 1)).toType(model.dataType(), false); // (N, 1)
            float[] invH = new float[u];
            for (int i = 0; i < u; i++) {
                invH[i] = (float) (1.0 / Math.max(hNormSq[i], 1e-12));
            }
            NDArray invHArr = session.create(invH).toType(model.dataType(), false); // (u)

            for (int step = 0; step < params.steps(); step++) {
                steps = step + 1;
                float[] grad;
                double[] requestNll = new double[u];
                try (NDManager scope = NDManager.newBaseManager(model.device())) {
                    NDArray delta = scope.create(deltas, new Shape(u, d)).toType(model.dataType(), false); // (u, d)
                    delta.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        ForwardOptions.Builder options = ForwardOptions.builder().hooks(stepHooks)
                                .resumeAfter(layer, blockOutput);
                        for (int i = 0; i < u; i++) {
                            options.add(new ResidualAddition(layer, delta.get(i),
                                    rowsOf.get(i).stream().mapToInt(Integer::intValue).toArray(),
                                    posOf.get(i).stream().mapToInt(Integer::intValue).toArray()));
                        }
                        NDArray logits = model.forward(scope, batch, options.build()).logits(); // (R, T, V)
                        // NLL of the target tokens (teacher forced), weighted per request.
                        NDArray picked = Positions.select(scope, logits, nllRowArr, nllPosArr).logSoftmax(1); // (N, V)
                        NDArray targetLp = picked.gather(targetIndex, 1); // (N, 1)
                        NDArray nll = targetLp.mul(weights).sum().neg(); // ()
                        // KL(unedited || edited) at the last position of "{subject} is a".
                        NDArray klNow = Positions.select(scope, logits, klRow, klPos).logSoftmax(1); // (u, V)
                        // A step's arrays must have a step-scoped first operand (DJL attaches a
                        // result to its first operand's manager): (-now + ref) * p_ref, exactly
                        // p_ref * (ref - now).
                        NDArray kl = klNow.neg().add(klReference).mul(klProbability).sum(); // ()
                        // Weight decay ||delta_i||^2 / ||h_i||^2.
                        NDArray decay = delta.mul(delta).sum(new int[] {1}).mul(invHArr).sum(); // ()
                        NDArray loss = nll.add(kl.mul(params.klFactor())).add(decay.mul(params.weightDecay()));
                        collector.backward(lossScale == 1 ? loss : loss.mul(lossScale));
                        float[] lp = targetLp.toType(DataType.FLOAT32, false).toFloatArray();
                        double[] plainSum = new double[u];
                        for (int j = 0; j < n; j++) {
                            int req = nllRequest.get(j);
                            int i = req >= 0 ? req : -1 - req;
                            requestNll[i] -= lp[j] * weightArr[j];
                            if (req >= 0) {
                                plainSum[i] += lp[j];
                            }
                        }
                        for (int i = 0; i < u; i++) {
                            probabilityNew[i] = Math.exp(plainSum[i] / prompts.get(i).targetIds().length);
                        }
                    }
                    grad = delta.getGradient().toType(DataType.FLOAT32, false).toFloatArray();
                }
                if (LOG.isDebugEnabled()) {
                    LOG.debug("value step {}: NLL {} P(new) {}", step, java.util.Arrays.toString(requestNll),
                            java.util.Arrays.toString(probabilityNew));
                }
                boolean done = true;
                for (int i = 0; i < u; i++) {
                    done &= requestNll[i] < params.stopLoss();
                }
                if (done) {
                    break;
                }
                if (lossScale != 1) {
                    boolean finite = true;
                    for (int j = 0; j < grad.length; j++) {
                        grad[j] = (float) (grad[j] / lossScale);
                        finite &= Float.isFinite(grad[j]);
                    }
                    if (!finite) {
                        lossScale /= 2;
                        LOG.debug("value step {}: float16 gradient overflowed; loss scale now {}", step, lossScale);
                        continue;
                    }
                }
                // Adam on the stacked deltas, then the norm clamp per request.
                double c1 = 1 - Math.pow(BETA1, step + 1);
                double c2 = 1 - Math.pow(BETA2, step + 1);
                for (int j = 0; j < grad.length; j++) {
                    // Step size relative to the hidden state's scale ||h_i|| / sqrt(d): residual norms
                    // of small self-trained models reach hundreds, where a fixed 0.5 barely moves h.
                    double scale = Math.sqrt(hNormSq[j / d] / d);
                    adamM[j] = (float) (BETA1 * adamM[j] + (1 - BETA1) * grad[j]);
                    adamV[j] = (float) (BETA2 * adamV[j] + (1 - BETA2) * grad[j] * grad[j]);
                    deltas[j] -= (float) (params.learningRate() * scale * (adamM[j] / c1) / (Math.sqrt(adamV[j] / c2) + EPS));
                }
                for (int i = 0; i < u; i++) {
                    double norm = 0;
                    for (int k = 0; k < d; k++) {
                        norm += deltas[i * d + k] * (double) deltas[i * d + k];
                    }
                    norm = Math.sqrt(norm);
                    double max = params.clampFactor() * Math.sqrt(hNormSq[i]);
                    if (norm > max) {
                        for (int k = 0; k < d; k++) {
                            deltas[i * d + k] *= (float) (max / norm);
                        }
                    }
                }
            }
        }
        double[][] targets = new double[u][d];
        for (int i = 0; i < u; i++) {
            for (int k = 0; k < d; k++) {
                targets[i][k] = hidden[i][k] + deltas[i * d + k];
            }
        }
        return new Result(targets, hidden, probabilityNew, steps);
    }

    static void requireNoGradient(CausalLm model) {
        for (NDArray p : model.parameters().values()) {
            if (p.hasGradient()) {
                throw new IllegalStateException("model parameter " + p.getName()
                        + " requires gradient; the value step optimises delta only");
            }
        }
    }

    static NDIndex all() {
        return new NDIndex();
    }
}
