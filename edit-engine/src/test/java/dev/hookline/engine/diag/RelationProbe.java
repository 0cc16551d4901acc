/*
 * Diagnostic (not a test): where a coachhook-span-relation bundle loses reliability and
 * generality. For a sample of its edits it scores the edit prompt and the paraphrases token by
 * token with the bundle's validated hooks and with W_h at every position (temporary mode), and
 * for each missed target token says whether its predicting position swapped, whether it is the
 * first target token, whether the last prompt token routed to the edit's own relation and what
 * rho that position has under its route and under its own relation (oracle).
 * Run: java -cp <test classpath> dev.hookline.engine.diag.RelationProbe MODEL DATA BUNDLE N SAMPLE [ALPHAS]
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

public final class RelationProbe {

    private RelationProbe() {}

    /** One scored prompt: per target token, correct with the bundle, correct with W_h everywhere, rho, route. */
    private record Row(String kind, int targetLength, boolean[] validated, boolean[] everywhere, double[] rho,
            double[] oracleRho, boolean[] routedRight) {}

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        Path data = Path.of(args[1]);
        Path bundleDir = Path.of(args[2]);
        int n = Integer.parseInt(args[3]);
        int k = Integer.parseInt(args[4]);
        List<EditRequest> requests = EditData.requests(data, n);
        HookBundle bundle = HookBundle.read(bundleDir, false);
        try (LanguageModel lm = LanguageModel.load(modelDir);
                NDManager hooksManager = lm.model().manager().newSubManager()) {
            lm.model().setTrainable(false);
            Map<Integer, HookLayer> hooks = HookedModel.install(lm.model(), bundle, hooksManager);
            if (hooks.size() != 1) {
                throw new IllegalArgumentException("probe reads one hooked layer, bundle has " + hooks.keySet());
            }
            int layer = hooks.keySet().iterator().next();
            HookLayer hook = hooks.get(layer);
            RelationSpanScope scope = (RelationSpanScope) hook.scope();
            double alpha = hook.alpha();
            double[] alphas = args.length > 5 ? Arrays.stream(args[5].split(",")).mapToDouble(Double::parseDouble).toArray()
                    : new double[] {alpha};
            HookBundle.RelationScopes rs = bundle.relationScopes();
            List<String> names = scope.relations();
            ForwardOptions validated = ForwardOptions.builder().hooks(Map.of(layer, hook)).build();
            ForwardOptions everywhere = ForwardOptions.builder()
                    .hooks(Map.of(layer, hook.withMode(HookLayer.Mode.TEMPORARY))).build();
            TextTokenizer tok = lm.tokenizer();

            int m = Math.min(k, n);
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                EditRequest r = requests.get((int) ((long) i * n / m));
                int own = names.indexOf(r.relation() == null ? "_" : r.relation());
                List<String> prompts = new ArrayList<>();
                prompts.add(r.filledPrompt());
                prompts.addAll(r.paraphrasePrompts().subList(0, Math.min(5, r.paraphrasePrompts().size())));
                for (int p = 0; p < prompts.size(); p++) {
                    TextTokenizer.Continuation c = tok.continuation(prompts.get(p), r.targetNew());
                    ContinuationScore v = lm.scoreIds(List.of(c), validated).get(0);
                    ContinuationScore e = lm.scoreIds(List.of(c), everywhere).get(0);
                    int len = c.targetIds().length;
                    int start = c.promptIds().length - 1; // position predicting target token 0
                    double[] rho = new double[len];
                    double[] oracle = new double[len];
                    boolean[] right = new boolean[len];
                    try (NDManager work = lm.model().manager().newSubManager()) {
                        NDArray keys = lm.model().forward(work, TokenBatch.single(c.sequence(), lm.model().config().eosTokenId()),
                                ForwardOptions.builder().captureKeys(layer).computeLogits(false).build()).keys(layer);
                        double[] all = scope.keyScores(keys);
                        int[] routes = scope.routes(keys);
                        double[] ownRho = own < 0 ? null : ownScope(bundle, rs, layer, own, hooksManager).keyScores(keys);
                        for (int t = 0; t < len; t++) {
                            rho[t] = all[start + t];
                            oracle[t] = ownRho == null ? Double.NaN : ownRho[start + t];
                            right[t] = routes[start + t] == own;
                        }
                    }
                    boolean[] vOk = new boolean[len];
                    boolean[] eOk = new boolean[len];
                    for (int t = 0; t < len; t++) {
                        vOk[t] = v.predictedIds()[t] == c.targetIds()[t];
                        eOk[t] = e.predictedIds()[t] == c.targetIds()[t];
                    }
                    rows.add(new Row(p == 0 ? "edit" : "paraphrase", len, vOk, eOk, rho, oracle, right));
                }
            }
            for (String kind : List.of("edit", "paraphrase")) {
                report(rows.stream().filter(x -> x.kind.equals(kind)).toList(), kind, alphas);
            }
        }
    }

    private static final Map<Integer, RelationSpanScope> OWN = new TreeMap<>();

    /** Relation {@code j}'s span alone (every key routes to it): the oracle route's rho. */
    private static RelationSpanScope ownScope(HookBundle bundle, HookBundle.RelationScopes rs, int layer, int j,
            NDManager manager) {
        return OWN.computeIfAbsent(j, x -> {
            ai.djl.ndarray.types.Shape sq = new ai.djl.ndarray.types.Shape(bundle.mlpSize(), bundle.mlpSize());
            double[] mean = new double[bundle.mlpSize()];
            return new RelationSpanScope(manager.create(bundle.scopePreserveInverse().get(layer), sq),
                    List.of(rs.names().get(j)), List.of(manager.create(rs.inverses().get(layer).get(j), sq)), mean,
                    new double[][] {new double[bundle.mlpSize()]});
        });
    }

    private static void report(List<Row> rows, String kind, double[] alphas) {
        int tokens = 0;
        int vOk = 0;
        int eOk = 0;
        double meanV = 0;
        double meanE = 0;
        // misses by (first token or later) x (swapped or not) x (routed right or not)
        int[][][] miss = new int[2][2][2];
        int[][][] fixedEverywhere = new int[2][2][2];
        int[] byLength = new int[8];
        int[] byLengthMissRows = new int[8];
        List<Double> missRho = new ArrayList<>();
        List<Double> missOracle = new ArrayList<>();
        double alpha = alphas[0];
        for (Row r : rows) {
            int ok = 0;
            int ok2 = 0;
            for (int t = 0; t < r.targetLength; t++) {
                tokens++;
                ok += r.validated[t] ? 1 : 0;
                ok2 += r.everywhere[t] ? 1 : 0;
                if (!r.validated[t]) {
                    int later = t == 0 ? 0 : 1;
                    int sw = r.rho[t] >= alpha ? 1 : 0;
                    int rt = r.routedRight[t] ? 1 : 0;
                    miss[later][sw][rt]++;
                    fixedEverywhere[later][sw][rt] += r.everywhere[t] ? 1 : 0;
                    if (t == 0) {
                        missRho.add(r.rho[0]);
                        missOracle.add(r.oracleRho[0]);
                    }
                }
            }
            vOk += ok;
            eOk += ok2;
            meanV += (double) ok / r.targetLength;
            meanE += (double) ok2 / r.targetLength;
            int l = Math.min(7, r.targetLength);
            byLength[l]++;
            byLengthMissRows[l] += ok < r.targetLength ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "%s: %d prompts, %d target tokens; accuracy (mean per prompt) bundle %.3f, W_h everywhere %.3f;"
                + " tokens right %d / %d%n", kind, rows.size(), tokens, meanV / rows.size(), meanE / rows.size(), vOk, eOk);
        for (int l = 1; l < 8; l++) {
            if (byLength[l] > 0) {
                System.out.printf(Locale.ROOT, "  target length %d%s: %d prompts, %d with a miss%n", l, l == 7 ? "+" : "",
                        byLength[l], byLengthMissRows[l]);
            }
        }
        for (int later = 0; later < 2; later++) {
            for (int sw = 0; sw < 2; sw++) {
                for (int rt = 0; rt < 2; rt++) {
                    if (miss[later][sw][rt] > 0) {
                        System.out.printf(Locale.ROOT, "  missed %s token, %s, routed %s: %d (W_h everywhere gets %d)%n",
                                later == 0 ? "first" : "later", sw == 1 ? "swapped" : "not swapped", rt == 1 ? "right" : "wrong",
                                miss[later][sw][rt], fixedEverywhere[later][sw][rt]);
                    }
                }
            }
        }
        double[] a = missRho.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] o = missOracle.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length > 0) {
            System.out.printf(Locale.ROOT, "  first-token misses: rho q10/50/90 %.3f/%.3f/%.3f, own relation's rho q10/50/90 %.3f/%.3f/%.3f%n",
                    q(a, 0.1), q(a, 0.5), q(a, 0.9), q(o, 0.1), q(o, 0.5), q(o, 0.9));
        }
        // What the first token's accuracy would be with another threshold if the hook output at the
        // other positions were unchanged (an estimate: swapped first tokens keep their bundle result,
        // newly swapped ones take the W_h-everywhere result).
        for (double x : alphas) {
            int right = 0;
            int first = 0;
            for (Row r : rows) {
                first++;
                boolean sw = r.rho[0] >= x;
                boolean swBundle = r.rho[0] >= alpha;
                boolean ok = sw == swBundle ? r.validated[0] : (sw ? r.everywhere[0] : false);
                right += ok ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "  threshold %.2f: first token right (estimate) %d / %d%n", x, right, first);
        }
    }

    private static double q(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }
}
