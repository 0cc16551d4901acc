/*
 * Diagnostic (not a test): would a second, subject gate let coachhook-span-relation open more
 * paraphrases without opening neighbours? Neighbourhood prompts share their relation's templates
 * with the edit prompts but name anchor subjects, which no edit rewrites for that relation; a
 * paraphrase names the edited subject in another template. So besides the relation span's test at a
 * read position t (rho_r(k_t) >= alpha_r, r the route of k_t), ask that some position s <= t has a key
 * inside relation r's span of edited subjects' keys (keys at the subject's last token):
 * max_{s <= t} rho^subj_r(k_s) >= alpha_s.
 *
 * Exact without one forward per threshold pair: the editing layer is the last block, so a read
 * position's prediction depends only on its own gate decision. The sample is scored once with W_h
 * at every position and once with W_0; each threshold pair then picks per read position.
 * alpha_s = -1 is the method as it is (no subject gate); alpha_s = -2 opens where rho under either of
 * the two nearest routes reaches alpha_r (no subject gate).
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SubjectGate MODEL DATA N BATCH LAMBDA LAYER
 *          BUNDLE SCOPE_LAMBDA SUBJECT_LAMBDAS(comma) EVAL_SAMPLE ALPHA_R(comma) ALPHA_S(comma) [SUBJECT_KEYS]
 * SUBJECT_KEYS: mean+plain (default), mean, variants (as RelationScopeKeys builds them). SUBJECT_LAYER: the block whose keys (at the subject's
 * last token) make the subject spans, with that block's C0 (default: the editing layer).
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
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.TextTokenizer;
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

public final class SubjectGate {

    private SubjectGate() {}

    /** One scored prompt: which edit, which kind, and per read position what the gates see. */
    private static final class Scored {
        final int request;
        final char kind; // r reliability, g paraphrase, l locality
        final int[] target;
        int[] on;
        int[] off;
        int[] route;
        double[] relRho;
        double[] relRho2; // max of rho under the two nearest routes
        double[][] subjectMax; // [subject lambda][read position]

        Scored(int request, char kind, int[] target) {
            this.request = request;
            this.kind = kind;
            this.target = target;
        }
    }

    public static void main(String[] args) throws Exception {
        Path bundleDir = Path.of(args[6]);
        double scopeLambda = Double.parseDouble(args[7]);
        double[] subjectLambdas = doubles(args[8]);
        int evalSample = Integer.parseInt(args[9]);
        double[] alphaR = doubles(args[10]);
        double[] alphaS = doubles(args[11]);
        String subjectKeys = args.length > 12 ? args[12] : "mean+plain";
        int subjectLayerArg = args.length > 13 ? Integer.parseInt(args[13]) : -1;
        boolean subjectGate = Arrays.stream(alphaS).anyMatch(a -> a >= 0);
        HookBundle bundle = HookBundle.read(bundleDir, false);
        try (DiagRun run = DiagRun.open(args, 1000)) {
            if (bundle.edits() != run.n) {
                throw new IllegalArgumentException("bundle holds " + bundle.edits() + " edits, asked N=" + run.n);
            }
            long t0 = System.nanoTime();
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            int subjectLayer = subjectLayerArg < 0 ? run.layer : subjectLayerArg;
            double[] subjectC0 = subjectLayer == run.layer ? run.stats.c0(run.layer)
                    : dev.hookline.engine.edit.LayerStatistics.loadOrCompute(run.lm.model(), run.lm.tokenizer(),
                            dev.hookline.engine.bench.EditData.corpus(null, Path.of(args[1]), run.modelDir), 1000,
                            new int[] {subjectLayer}, run.modelDir.resolve("hookline-stats")).c0(subjectLayer);
            ValueStepParams vs = ValueStepParams.tuned();
            int v = vs.contextVariants() + 1;
            List<String> prefixes = RelationCatalogue.CONTEXT_PREFIXES.subList(0, vs.contextVariants());
            // Per relation, per edit: the keys at the edit token (v, ff) and at the subject's last token (v, ff).
            Map<String, List<double[][]>> editKeys = new LinkedHashMap<>();
            Map<String, List<double[][]>> subjectKeyRows = new LinkedHashMap<>();
            for (int from = 0; from < run.n; from += 16) {
                List<EditRequest> chunkRequests = run.requests.subList(from, Math.min(run.n, from + 16));
                List<EditPrompts> atEdit = new ArrayList<>();
                List<EditPrompts> atSubject = new ArrayList<>();
                List<int[]> rows = new ArrayList<>();
                for (EditRequest r : chunkRequests) {
                    EditPrompts p = EditPrompts.of(r, run.lm.tokenizer(), prefixes, vs.editToken().equals("last"));
                    atEdit.add(p);
                    atSubject.add(EditPrompts.of(r, run.lm.tokenizer(), prefixes, false));
                    rows.addAll(p.variants().subList(0, v));
                }
                try (NDManager chunk = run.lm.model().manager().newSubManager()) {
                    var fr = run.lm.model().forward(chunk, TokenBatch.of(rows, run.lm.model().config().eosTokenId()),
                            ForwardOptions.builder().captureKeys(run.layer, subjectLayer).computeLogits(false).build());
                    NDArray keys = fr.keys(run.layer).toType(DataType.FLOAT64, false); // (B, T, d_ff)
                    NDArray sKeys = fr.keys(subjectLayer).toType(DataType.FLOAT64, false); // (B, T, d_ff)
                    for (int i = 0; i < chunkRequests.size(); i++) {
                        double[][] ke = new double[v][];
                        double[][] ks = new double[v][];
                        for (int x = 0; x < v; x++) {
                            ke[x] = keys.get(i * v + x).get(atEdit.get(i).subjectLast()[x]).toDoubleArray();
                            ks[x] = sKeys.get(i * v + x).get(atSubject.get(i).subjectLast()[x]).toDoubleArray();
                        }
                        String rel = chunkRequests.get(i).relation() == null ? "_" : chunkRequests.get(i).relation();
                        editKeys.computeIfAbsent(rel, x -> new ArrayList<>()).add(ke);
                        subjectKeyRows.computeIfAbsent(rel, x -> new ArrayList<>()).add(ks);
                    }
                }
            }
            List<String> names = new ArrayList<>(editKeys.keySet());
            int rCount = names.size();
            double[][] sums = new double[rCount][ff];
            int[] counts = new int[rCount];
            for (int r = 0; r < rCount; r++) {
                for (double[][] k : editKeys.get(names.get(r))) {
                    double[] m = RelationScopeKeys.mean(k);
                    for (int a = 0; a < ff; a++) {
                        sums[r][a] += m[a];
                    }
                    counts[r]++;
                }
            }
            RoutingDirections routing = RoutingDirections.of(sums, counts);
            System.out.printf(Locale.ROOT, "relations %s edits %s (keys %.0f s)%n", names, Arrays.toString(counts),
                    (System.nanoTime() - t0) / 1e9);

            List<EditRequest> sample = run.sample(evalSample);
            List<Scored> scored = new ArrayList<>();
            List<TextTokenizer.Continuation> cs = new ArrayList<>();
            TextTokenizer tok = run.lm.tokenizer();
            for (int q = 0; q < sample.size(); q++) {
                EditRequest r = sample.get(q);
                add(scored, cs, tok, q, 'r', r.filledPrompt(), r.targetNew());
                for (int i = 0; i < Math.min(5, r.paraphrasePrompts().size()); i++) {
                    add(scored, cs, tok, q, 'g', r.paraphrasePrompts().get(i), r.targetNew());
                }
                for (int i = 0; i < Math.min(5, r.neighborhoodPrompts().size()); i++) {
                    add(scored, cs, tok, q, 'l', r.neighborhoodPrompts().get(i), r.neighborhoodTarget());
                }
                for (int i = 0; i < Math.min(5, r.localityPrompts().size()); i++) {
                    add(scored, cs, tok, q, 'l', r.localityPrompts().get(i), r.localityTargets().get(i));
                }
            }

            try (NDManager work = run.lm.model().manager().newSubManager()) {
                NDArray c0 = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                NDArray delta = work.create(bundle.deltas().get(run.layer), new Shape(ff, d))
                        .toType(run.lm.model().dataType(), false);
                NDArray preserveInv = inverse(work, c0, scopeLambda, null);
                List<NDArray> relInverses = new ArrayList<>();
                for (String name : names) {
                    relInverses.add(inverse(work, c0, scopeLambda, RelationScopeKeys.outer(work, editKeys.get(name), "mean+plain", ff)));
                }
                RelationSpanScope scope = new RelationSpanScope(preserveInv, names, relInverses, routing.mean(),
                        routing.directions());
                List<NDArray> subjectPreserve = new ArrayList<>();
                List<List<NDArray>> subjectInverses = new ArrayList<>();
                NDArray sc0 = work.create(subjectC0, new Shape(ff, ff));
                for (double ls : subjectGate ? subjectLambdas : new double[0]) {
                    subjectPreserve.add(inverse(work, sc0, ls, null));
                    List<NDArray> per = new ArrayList<>();
                    for (String name : names) {
                        per.add(inverse(work, sc0, ls, RelationScopeKeys.outer(work, subjectKeyRows.get(name), subjectKeys, ff)));
                    }
                    subjectInverses.add(per);
                }
                System.out.printf(Locale.ROOT, "inverses built (%.0f s)%n", (System.nanoTime() - t0) / 1e9);

                // W_0 everywhere and W_h everywhere.
                List<ContinuationScore> off = run.lm.scoreIds(cs, ForwardOptions.defaults());
                HookLayer everywhere = new HookLayer(run.layer, delta, 0, scope, HookLayer.Mode.TEMPORARY, null);
                List<ContinuationScore> on = run.lm.scoreIds(cs, ForwardOptions.builder()
                        .hooks(Map.of(run.layer, everywhere)).build());
                for (int i = 0; i < scored.size(); i++) {
                    scored.get(i).off = off.get(i).predictedIds();
                    scored.get(i).on = on.get(i).predictedIds();
                }
                System.out.printf(Locale.ROOT, "scored %d prompts on and off (%.0f s)%n", cs.size(),
                        (System.nanoTime() - t0) / 1e9);

                // Gate scores per read position, a chunk of prompts at a time, grouped by route.
                int chunkRows = 64;
                for (int from = 0; from < cs.size(); from += chunkRows) {
                    int to = Math.min(cs.size(), from + chunkRows);
                    List<int[]> rows = new ArrayList<>();
                    for (TextTokenizer.Continuation c : cs.subList(from, to)) {
                        rows.add(c.sequence());
                    }
                    TokenBatch tb = TokenBatch.of(rows, run.lm.model().config().eosTokenId());
                    try (NDManager chunk = work.newSubManager()) {
                        var fr = run.lm.model().forward(chunk, tb, ForwardOptions.builder()
                                .captureKeys(run.layer, subjectLayer).computeLogits(false).build());
                        int length = (int) fr.keys(run.layer).getShape().get(1);
                        double[] flat = fr.keys(run.layer).toType(DataType.FLOAT64, false).toDoubleArray(); // (B, T, ff)
                        double[] sFlat = fr.keys(subjectLayer).toType(DataType.FLOAT64, false).toDoubleArray();
                        int readTotal = 0;
                        for (int b = 0; b < to - from; b++) {
                            readTotal += cs.get(from + b).targetIds().length;
                        }
                        double[] read = new double[readTotal * ff];
                        int at = 0;
                        for (int b = 0; b < to - from; b++) {
                            TextTokenizer.Continuation c = cs.get(from + b);
                            Scored s = scored.get(from + b);
                            int p = c.promptIds().length;
                            int n = c.targetIds().length;
                            s.route = new int[n];
                            for (int i = 0; i < n; i++) {
                                int off0 = (b * length + p - 1 + i) * ff;
                                System.arraycopy(flat, off0, read, at * ff, ff);
                                s.route[i] = scope.route(Arrays.copyOfRange(flat, off0, off0 + ff));
                                at++;
                            }
                        }
                        double[] relAll = scope.keyScores(chunk.create(read, new Shape(1, readTotal, ff)));
                        at = 0;
                        // route -> list of rows (chunk index) that read a position with that route
                        Map<Integer, List<Integer>> byRoute = new LinkedHashMap<>();
                        for (int b = 0; b < to - from; b++) {
                            Scored s = scored.get(from + b);
                            int n = s.target.length;
                            s.relRho = Arrays.copyOfRange(relAll, at, at + n);
                            at += n;
                            s.subjectMax = new double[subjectLambdas.length][n];
                            final int row = b;
                            Arrays.stream(s.route).distinct().forEach(r -> byRoute.computeIfAbsent(r, x -> new ArrayList<>()).add(row));
                        }
                        // Second-nearest route per read position, and rho under it (grouped by that route).
                        Map<Integer, List<int[]>> bySecond = new LinkedHashMap<>(); // route -> {row, i}
                        for (int b = 0; b < to - from; b++) {
                            Scored s = scored.get(from + b);
                            TextTokenizer.Continuation c = cs.get(from + b);
                            s.relRho2 = s.relRho.clone();
                            for (int i = 0; i < s.target.length; i++) {
                                int off0 = (b * length + c.promptIds().length - 1 + i) * ff;
                                int second = secondRoute(flat, off0, routing, s.route[i]);
                                if (second >= 0) {
                                    bySecond.computeIfAbsent(second, x -> new ArrayList<>()).add(new int[] {b, i, off0});
                                }
                            }
                        }
                        for (Map.Entry<Integer, List<int[]>> e : bySecond.entrySet()) {
                            List<int[]> at2 = e.getValue();
                            double[] k2 = new double[at2.size() * ff];
                            for (int j = 0; j < at2.size(); j++) {
                                System.arraycopy(flat, at2.get(j)[2], k2, j * ff, ff);
                            }
                            double[] rho2 = rho(chunk, k2, at2.size(), ff, preserveInv, relInverses.get(e.getKey()));
                            for (int j = 0; j < at2.size(); j++) {
                                Scored s = scored.get(from + at2.get(j)[0]);
                                int i = at2.get(j)[1];
                                if (!Double.isNaN(rho2[j])) {
                                    s.relRho2[i] = Double.isNaN(s.relRho[i]) ? rho2[j] : Math.max(s.relRho[i], rho2[j]);
                                }
                            }
                        }
                        if (!subjectGate) {
                            continue;
                        }
                        for (Map.Entry<Integer, List<Integer>> e : byRoute.entrySet()) {
                            List<Integer> rs = e.getValue();
                            int total = 0;
                            int[] upto = new int[rs.size()];
                            for (int j = 0; j < rs.size(); j++) {
                                TextTokenizer.Continuation c = cs.get(from + rs.get(j));
                                upto[j] = c.promptIds().length - 1 + c.targetIds().length; // positions 0 .. upto-1
                                total += upto[j];
                            }
                            double[] keysOf = new double[total * ff];
                            int o = 0;
                            for (int j = 0; j < rs.size(); j++) {
                                System.arraycopy(sFlat, rs.get(j) * length * ff, keysOf, o * ff, upto[j] * ff);
                                o += upto[j];
                            }
                            for (int li = 0; li < subjectLambdas.length; li++) {
                                double[] rho = rho(chunk, keysOf, total, ff, subjectPreserve.get(li),
                                        subjectInverses.get(li).get(e.getKey()));
                                o = 0;
                                for (int j = 0; j < rs.size(); j++) {
                                    Scored s = scored.get(from + rs.get(j));
                                    int p = cs.get(from + rs.get(j)).promptIds().length;
                                    double best = Double.NEGATIVE_INFINITY;
                                    for (int t = 0; t < upto[j]; t++) {
                                        best = Double.isNaN(rho[o + t]) ? best : Math.max(best, rho[o + t]);
                                        int i = t - (p - 1);
                                        if (i >= 0 && s.route[i] == e.getKey()) {
                                            s.subjectMax[li][i] = best;
                                        }
                                    }
                                    o += upto[j];
                                }
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "gate scores (%.0f s)%n", (System.nanoTime() - t0) / 1e9);
            }

            printSeparation(scored, subjectLambdas);
            for (int li = 0; li < subjectLambdas.length; li++) {
                for (double as : alphaS) {
                    for (double ar : alphaR) {
                        double[] m = metrics(scored, sample.size(), li, ar, as);
                        System.out.printf(Locale.ROOT,
                                "subjectLambda=%5.1f alphaS=%5.2f alphaR=%.3f -> rel %.3f gen %.3f loc %.3f"
                                        + " | opened: edit %.3f para %.3f loc %.3f%n",
                                subjectLambdas[li], as, ar, m[0], m[1], m[2], m[3], m[4], m[5]);
                    }
                }
            }
        }
    }

    private static void add(List<Scored> scored, List<TextTokenizer.Continuation> cs, TextTokenizer tok, int q, char kind,
            String prompt, String target) {
        TextTokenizer.Continuation c = tok.continuation(prompt, target);
        cs.add(c);
        scored.add(new Scored(q, kind, c.targetIds()));
    }

    /** (lambda C0 + gram)^-1 in {@code work}; closes {@code gram}; the temporaries are freed at once. */
    private static NDArray inverse(NDManager work, NDArray c0, double lambda, NDArray gram) {
        try (NDManager tmp = work.newSubManager()) {
            NDArray a = c0.mul(lambda);
            a.attach(tmp);
            if (gram != null) {
                gram.attach(tmp);
                a = a.add(gram);
                a.attach(tmp);
            }
            NDArray inv = a.inverse();
            inv.attach(work);
            return inv;
        }
    }

    /** The second-nearest route of the key at {@code flat[off..off+ff)} (first is {@code first}), -1 with one relation. */
    private static int secondRoute(double[] flat, int off, RoutingDirections routing, int first) {
        int best = -1;
        double bestDot = Double.NEGATIVE_INFINITY;
        double[] mu = routing.mean();
        for (int r = 0; r < routing.directions().length; r++) {
            if (r == first) {
                continue;
            }
            double[] c = routing.directions()[r];
            double dot = 0;
            for (int a = 0; a < c.length; a++) {
                dot += (flat[off + a] - mu[a]) * c[a];
            }
            if (dot > bestDot) {
                bestDot = dot;
                best = r;
            }
        }
        return best;
    }

    /** rho = 1 - k^T A k / k^T P k of the first {@code rows} keys in {@code flat}. */
    private static double[] rho(NDManager manager, double[] flat, int rows, int ff, NDArray preserveInv, NDArray inv) {
        try (NDManager w = manager.newSubManager()) {
            NDArray k = w.create(flat, new Shape(rows, ff));
            double[] q0 = k.matMul(preserveInv).mul(k).sum(new int[] {1}).toDoubleArray();
            double[] q = k.matMul(inv).mul(k).sum(new int[] {1}).toDoubleArray();
            double[] out = new double[rows];
            for (int i = 0; i < rows; i++) {
                out[i] = q0[i] > 0 ? 1 - q[i] / q0[i] : Double.NaN;
            }
            return out;
        }
    }

    /** rel, gen, loc, and the fractions of first read positions opened for edit prompts, paraphrases, locality. */
    private static double[] metrics(List<Scored> scored, int requests, int li, double ar, double as) {
        double[] rel = new double[requests];
        double[] gen = new double[requests];
        int[] genN = new int[requests];
        long[] same = new long[requests];
        long[] total = new long[requests];
        double[] opened = new double[3];
        int[] openedN = new int[3];
        for (Scored s : scored) {
            int correct = 0;
            int agree = 0;
            for (int i = 0; i < s.target.length; i++) {
                boolean open = as == -2 ? s.relRho2[i] >= ar : s.relRho[i] >= ar && (as < 0 || s.subjectMax[li][i] >= as);
                int pred = open ? s.on[i] : s.off[i];
                correct += pred == s.target[i] ? 1 : 0;
                agree += pred == s.off[i] ? 1 : 0;
                if (i == 0) {
                    int kind = s.kind == 'r' ? 0 : s.kind == 'g' ? 1 : 2;
                    opened[kind] += open ? 1 : 0;
                    openedN[kind]++;
                }
            }
            switch (s.kind) {
                case 'r' -> rel[s.request] = (double) correct / s.target.length;
                case 'g' -> {
                    gen[s.request] += (double) correct / s.target.length;
                    genN[s.request]++;
                }
                default -> {
                    same[s.request] += agree;
                    total[s.request] += s.target.length;
                }
            }
        }
        double r = 0;
        double g = 0;
        double l = 0;
        int gn = 0;
        int ln = 0;
        for (int q = 0; q < requests; q++) {
            r += rel[q];
            if (genN[q] > 0) {
                g += gen[q] / genN[q];
                gn++;
            }
            if (total[q] > 0) {
                l += (double) same[q] / total[q];
                ln++;
            }
        }
        return new double[] {r / requests, g / gn, l / ln, opened[0] / openedN[0], opened[1] / openedN[1],
                opened[2] / openedN[2]};
    }

    /** Quantiles of the first read position's subject score per kind: does it separate paraphrases from neighbours? */
    private static void printSeparation(List<Scored> scored, double[] subjectLambdas) {
        for (int li = 0; li < subjectLambdas.length; li++) {
            for (char kind : new char[] {'r', 'g', 'l'}) {
                List<Double> subj = new ArrayList<>();
                List<Double> rel = new ArrayList<>();
                for (Scored s : scored) {
                    if (s.kind == kind) {
                        subj.add(s.subjectMax[li][0]);
                        rel.add(s.relRho[0]);
                    }
                }
                System.out.printf(Locale.ROOT, "subjectLambda=%5.1f kind %c: subject max q05/q25/q50/q75/q95 %s"
                        + " | relation rho %s%n", subjectLambdas[li], kind, quantiles(subj), quantiles(rel));
            }
        }
    }

    private static String quantiles(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).map(x -> Double.isNaN(x) ? -1 : x).sorted().toArray();
        StringBuilder sb = new StringBuilder();
        for (double q : new double[] {0.05, 0.25, 0.5, 0.75, 0.95}) {
            sb.append(String.format(Locale.ROOT, "%.3f ", a[(int) Math.min(a.length - 1, Math.floor(q * a.length))]));
        }
        return sb.toString().trim();
    }

    private static double[] doubles(String s) {
        return Arrays.stream(s.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}
