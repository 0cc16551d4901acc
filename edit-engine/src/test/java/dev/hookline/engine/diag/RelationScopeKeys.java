/*
 * Diagnostic (not a test): which keys should span each relation's span in coachhook-span-relation,
 * and at which scope lambda? Reads a span-relation bundle (its W_h delta), recomputes the keys of
 * its N edits at the edit token of the plain prompt and of every context-prefixed variant, rebuilds
 * the per-relation inverses (lambda_s C0 + sum k k^T)^-1 from a chosen key set, routes as the
 * method does (by the mean keys), and evaluates a sample at each threshold. "mean" at the bundle's
 * scope lambda is what the bundle holds (a check).
 * Run: java -cp <test classpath> dev.hookline.engine.diag.RelationScopeKeys MODEL DATA N BATCH LAMBDA LAYER
 *          BUNDLE SCOPE_LAMBDAS(comma) EVAL_ALPHAS(comma) EVAL_SAMPLE KINDS(comma: mean, plain, mean+plain,
 *          variants, mean+variants)
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.EditPrompts;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class RelationScopeKeys {

    private RelationScopeKeys() {}

    public static void main(String[] args) throws Exception {
        Path bundleDir = Path.of(args[6]);
        double[] scopeLambdas = Arrays.stream(args[7].split(",")).mapToDouble(Double::parseDouble).toArray();
        double[] alphas = Arrays.stream(args[8].split(",")).mapToDouble(Double::parseDouble).toArray();
        int evalSample = Integer.parseInt(args[9]);
        List<String> kinds = List.of(args[10].split(","));
        HookBundle bundle = HookBundle.read(bundleDir, false);
        try (DiagRun run = DiagRun.open(args, 1000)) {
            if (bundle.edits() != run.n) {
                throw new IllegalArgumentException("bundle holds " + bundle.edits() + " edits, asked N=" + run.n);
            }
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            List<EditRequest> sample = run.sample(evalSample);
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), sample, EditEvaluator.Params.defaults());
            ValueStepParams vs = ValueStepParams.tuned();
            int v = vs.contextVariants() + 1;
            // Keys per relation: rows of the plain prompt's key and of each variant's, per edit.
            Map<String, List<double[][]>> byRelation = new LinkedHashMap<>();
            for (int from = 0; from < run.n; from += 16) {
                List<EditPrompts> ps = new ArrayList<>();
                List<int[]> rows = new ArrayList<>();
                List<EditRequest> chunkRequests = run.requests.subList(from, Math.min(run.n, from + 16));
                for (EditRequest r : chunkRequests) {
                    EditPrompts p = EditPrompts.of(r, run.lm.tokenizer(), RelationCatalogue.CONTEXT_PREFIXES.subList(0,
                            vs.contextVariants()), vs.editToken().equals("last"));
                    ps.add(p);
                    rows.addAll(p.variants().subList(0, v));
                }
                try (NDManager chunk = run.lm.model().manager().newSubManager()) {
                    NDArray keys = run.lm.model().forward(chunk, TokenBatch.of(rows, run.lm.model().config().eosTokenId()),
                            ForwardOptions.builder().captureKeys(run.layer).computeLogits(false).build())
                            .keys(run.layer).toType(DataType.FLOAT64, false); // (B, T, d_ff)
                    for (int i = 0; i < ps.size(); i++) {
                        double[][] k = new double[v][];
                        for (int x = 0; x < v; x++) {
                            k[x] = keys.get(i * v + x).get(ps.get(i).subjectLast()[x]).toDoubleArray();
                        }
                        String rel = chunkRequests.get(i).relation() == null ? "_" : chunkRequests.get(i).relation();
                        byRelation.computeIfAbsent(rel, x -> new ArrayList<>()).add(k);
                    }
                }
            }
            List<String> names = new ArrayList<>(byRelation.keySet());
            double[][] sums = new double[names.size()][ff];
            int[] counts = new int[names.size()];
            for (int r = 0; r < names.size(); r++) {
                for (double[][] k : byRelation.get(names.get(r))) {
                    double[] m = mean(k);
                    for (int a = 0; a < ff; a++) {
                        sums[r][a] += m[a];
                    }
                    counts[r]++;
                }
            }
            RoutingDirections routing = RoutingDirections.of(sums, counts);
            System.out.println("relations " + names + " edits " + Arrays.toString(counts));
            try (NDManager work = run.lm.model().manager().newSubManager()) {
                NDArray c0 = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                NDArray delta = work.create(bundle.deltas().get(run.layer), new Shape(ff, d)).toType(run.lm.model().dataType(), false);
                for (String kind : kinds) {
                    boolean centred = kind.equals("centred");
                    List<NDArray> held = new ArrayList<>();
                    double[][] means = new double[names.size()][];
                    for (int r = 0; r < names.size(); r++) {
                        means[r] = new double[ff];
                        for (int a = 0; a < ff; a++) {
                            means[r][a] = sums[r][a] / counts[r];
                        }
                        held.add(centred ? centredOuter(work, byRelation.get(names.get(r)), means[r], ff)
                                : outer(work, byRelation.get(names.get(r)), kind, ff));
                    }
                    for (double ls : scopeLambdas) {
                        try (NDManager inv = work.newSubManager()) {
                            NDArray preserve = c0.mul(ls);
                            preserve.attach(inv);
                            List<NDArray> inverses = new ArrayList<>();
                            for (NDArray h : held) {
                                NDArray a = preserve.add(h).inverse();
                                a.attach(inv);
                                inverses.add(a);
                            }
                            NDArray preserveInv = preserve.inverse();
                            preserveInv.attach(inv);
                            RelationSpanScope relationScope = new RelationSpanScope(preserveInv, names, inverses,
                                    routing.mean(), routing.directions());
                            dev.hookline.engine.hook.KeyScope scope = centred
                                    ? new CenteredRelationScope(preserveInv, inverses, means, relationScope) : relationScope;
                            for (double a : alphas) {
                                long t0 = System.nanoTime();
                                HookLayer hook = new HookLayer(run.layer, delta, a, scope, HookLayer.Mode.VALIDATED, null);
                                EditScores s = evaluator.evaluate(run.lm.model(),
                                        ForwardOptions.builder().hooks(Map.of(run.layer, hook)).build(), sample);
                                System.out.printf(Locale.ROOT,
                                        "%-14s scopeLambda=%5.1f alpha=%.3f -> rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f"
                                                + " (%d edits, %.0f s)%n",
                                        kind, ls, a, s.reliability(), s.generality(), s.locality(), s.efficacy(), s.paraphrase(),
                                        s.neighborhood(), sample.size(), (System.nanoTime() - t0) / 1e9);
                            }
                        }
                    }
                    held.forEach(NDArray::close);
                }
            }
        }
    }

    /** The mean of an edit's keys (rows). */
    static double[] mean(double[][] k) {
        double[] m = new double[k[0].length];
        for (double[] row : k) {
            for (int a = 0; a < m.length; a++) {
                m[a] += row[a] / k.length;
            }
        }
        return m;
    }

    /** sum over the relation's edits of the chosen keys' outer products, (d_ff, d_ff) float64. */
    static NDArray outer(NDManager work, List<double[][]> edits, String kind, int ff) {
        List<double[]> rows = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (double[][] k : edits) {
            switch (kind) {
                case "mean" -> add(rows, weights, mean(k), 1);
                case "plain" -> add(rows, weights, k[0], 1);
                case "mean+plain" -> {
                    add(rows, weights, mean(k), 1);
                    add(rows, weights, k[0], 1);
                }
                case "variants" -> Arrays.stream(k).forEach(x -> add(rows, weights, x, 1.0 / k.length));
                case "mean+variants" -> {
                    add(rows, weights, mean(k), 1);
                    Arrays.stream(k).forEach(x -> add(rows, weights, x, 1.0 / k.length));
                }
                default -> throw new IllegalArgumentException("unknown kind " + kind);
            }
        }
        double[] flat = new double[rows.size() * ff];
        for (int i = 0; i < rows.size(); i++) {
            double w = Math.sqrt(weights.get(i));
            for (int a = 0; a < ff; a++) {
                flat[i * ff + a] = rows.get(i)[a] * w;
            }
        }
        try (NDManager tmp = work.newSubManager()) {
            NDArray kt = tmp.create(flat, new Shape(rows.size(), ff));
            NDArray out = kt.transpose().matMul(kt);
            out.attach(work);
            return out;
        }
    }

    /** sum over the relation's edits of (mean key - mu)(mean key - mu)^T, (d_ff, d_ff) float64. */
    private static NDArray centredOuter(NDManager work, List<double[][]> edits, double[] mu, int ff) {
        double[] flat = new double[edits.size() * ff];
        for (int i = 0; i < edits.size(); i++) {
            double[] m = mean(edits.get(i));
            for (int a = 0; a < ff; a++) {
                flat[i * ff + a] = m[a] - mu[a];
            }
        }
        try (NDManager tmp = work.newSubManager()) {
            NDArray kt = tmp.create(flat, new Shape(edits.size(), ff));
            NDArray out = kt.transpose().matMul(kt);
            out.attach(work);
            return out;
        }
    }

    private static void add(List<double[]> rows, List<Double> weights, double[] k, double w) {
        rows.add(k);
        weights.add(w);
    }
}
