/*
 * Diagnostic (not a test): would a span scope per relation separate paraphrases from neighbours?
 * With one span over every edited key, a neighbour "S2, relation r" whose subject S2 was edited
 * for another relation lies in the span by linearity (key(S2, r) ~ key(S2, r') - key(X, r') +
 * key(X, r) when X was edited for r). Here each relation gets its own span of the keys of its
 * edits, and every evaluation prompt is tested against its own relation's span (oracle routing:
 * the relation is read from the data, which a serving node does not know). Reads the edited
 * state written by SpanBreakdown; recomputes the update's keys and checks them against C_accu.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanPartition MODEL DATA N BATCH LAMBDA LAYER
 *          EDIT_ALPHA SCOPE_LAMBDA EVAL_ALPHAS(comma) EVAL_SAMPLE STATE_FILE [MODES]
 * MODES (comma, default "single"): "single" scores one span and the oracle per-relation spans;
 * "routed" scores the per-relation spans with every prompt routed by its own last-token key to the
 * nearest relation centroid (what a serving node could do), weighting per prompt.
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.TensorFile;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.model.ForwardOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class SpanPartition {

    private SpanPartition() {}

    public static void main(String[] args) throws Exception {
        DiagRun.SpanStateArgs in = DiagRun.SpanStateArgs.parse(args);
        List<String> modes = List.of((args.length > 11 ? args[11] : "single").split(","));
        try (DiagRun run = DiagRun.open(args, 1000)) {
            TensorFile.Contents state = TensorFile.read(in.stateFile());
            Map<String, String> m = state.metadata();
            if (Integer.parseInt(m.get("n")) != run.n || Integer.parseInt(m.get("batch")) != run.batch
                    || Double.parseDouble(m.get("lambda")) != run.lambda || Integer.parseInt(m.get("layer")) != run.layer
                    || Double.parseDouble(m.get("editAlpha")) != in.editAlpha()) {
                throw new IllegalArgumentException(in.stateFile() + " holds another run: " + m);
            }
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            Map<String, String> relationOf = new HashMap<>();
            for (JsonNode c : new ObjectMapper().readTree(Path.of(args[1]).toFile())) {
                relationOf.put(c.path("case_id").asText(), c.path("requested_rewrite").path("relation_id").asText());
            }
            double[][] keys = run.meanEditKeys(ValueStepParams.tuned());
            Map<String, List<Integer>> editsOf = new LinkedHashMap<>();
            for (int i = 0; i < run.n; i++) {
                editsOf.computeIfAbsent(relationOf.get(run.requests.get(i).caseId()), r -> new ArrayList<>()).add(i);
            }
            List<EditRequest> sample = run.sample(in.evalSample());
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), sample,
                    EditEvaluator.Params.defaults());
            try (NDManager work = NDManager.newBaseManager(run.lm.model().device())) {
                NDArray c0 = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                NDArray held = work.create(state.tensor("c_accu").data(), new Shape(ff, ff)).sub(c0.mul(run.lambda));
                NDArray all = outer(work, keys, null, ff);
                System.out.printf(Locale.ROOT, "check: |sum k k^T - (C_accu - lambda C0)| / |.| = %.2e%n",
                        held.sub(all).norm().getDouble() / held.norm().getDouble());
                NDArray delta = work.create(state.tensor("delta").data(), new Shape(ff, d)).toType(run.lm.model().dataType(), false);
                NDArray preserve = c0.mul(in.scopeLambda());
                NDArray preserveInv = preserve.inverse();
                SpanScope single = new SpanScope(preserveInv, preserve.add(all).inverse());
                Map<String, SpanScope> perRelation = new LinkedHashMap<>();
                for (Map.Entry<String, List<Integer>> e : editsOf.entrySet()) {
                    perRelation.put(e.getKey(), new SpanScope(preserveInv, preserve.add(outer(work, keys, e.getValue(), ff)).inverse()));
                }
                System.out.println("edits per relation: " + editsOf.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue().size()).toList());
                Map<String, String> routedTo = routing(run, keys, editsOf, relationOf, sample);
                for (double a : in.evalAlphas()) {
                    if (modes.contains("routed")) {
                        routedScores(run, evaluator, delta, a, perRelation, routedTo, relationOf, sample);
                    }
                    if (!modes.contains("single")) {
                        continue;
                    }
                    EditScores s = evaluator.evaluate(run.lm.model(), options(run, delta, a, single), sample);
                    print("one span", a, s.reliability(), s.generality(), s.locality(), sample.size());
                    double rel = 0;
                    double gen = 0;
                    double loc = 0;
                    for (Map.Entry<String, SpanScope> e : perRelation.entrySet()) {
                        List<EditRequest> part = sample.stream()
                                .filter(r -> relationOf.get(r.caseId()).equals(e.getKey())).toList();
                        if (part.isEmpty()) {
                            continue;
                        }
                        EditScores p = evaluator.evaluate(run.lm.model(), options(run, delta, a, e.getValue()), part);
                        rel += p.reliability() * part.size();
                        gen += p.generality() * part.size();
                        loc += p.locality() * part.size();
                    }
                    int n = sample.size();
                    print("span per relation (oracle)", a, rel / n, gen / n, loc / n, n);
                }
            }
        }
    }

    /**
     * Could a serving node route a prompt to its relation's span without being told the relation?
     * Nearest centroid (cosine, centred) of the relations' mean edit keys, at the prompt's last token; the
     * share routed to the prompt's own relation, per prompt kind.
     */
    private static Map<String, String> routing(DiagRun run, double[][] keys, Map<String, List<Integer>> editsOf,
            Map<String, String> relationOf, List<EditRequest> sample) {
        Map<String, String> routedTo = new HashMap<>();
        List<String> names = new ArrayList<>(editsOf.keySet());
        int ff = keys[0].length;
        // Centred on the mean of all edit keys (the shared component would dominate every cosine).
        double[] mean = new double[ff];
        for (double[] k : keys) {
            for (int a = 0; a < ff; a++) {
                mean[a] += k[a] / keys.length;
            }
        }
        double[][] centroid = new double[names.size()][ff];
        for (int c = 0; c < names.size(); c++) {
            for (int i : editsOf.get(names.get(c))) {
                for (int a = 0; a < ff; a++) {
                    centroid[c][a] += keys[i][a] - mean[a];
                }
            }
            normalise(centroid[c]);
        }
        Map<String, List<String>> kinds = new LinkedHashMap<>();
        Map<String, List<String>> truth = new LinkedHashMap<>();
        for (EditRequest r : sample) {
            String rel = relationOf.get(r.caseId());
            add(kinds, truth, "edit", List.of(r.filledPrompt()), rel);
            add(kinds, truth, "paraphrase", r.paraphrasePrompts(), rel);
            add(kinds, truth, "neighbourhood", r.neighborhoodPrompts(), rel);
            add(kinds, truth, "attribute", r.localityPrompts(), rel);
        }
        for (String kind : kinds.keySet()) {
            List<String> prompts = kinds.get(kind);
            int[] right = new int[1];
            DiagRun.keyChunks(run.lm, run.layer, prompts, (start, tokens, k) -> {
                int t = (int) k.getShape().get(1);
                double[] flat = k.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
                for (int b = 0; b < k.getShape().get(0); b++) {
                    int len = run.lm.tokenizer().encode(prompts.get(start + b)).length;
                    double[] key = Arrays.copyOfRange(flat, (b * t + len - 1) * ff, (b * t + len) * ff);
                    for (int a = 0; a < ff; a++) {
                        key[a] -= mean[a];
                    }
                    normalise(key);
                    int best = 0;
                    double bestCos = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < names.size(); c++) {
                        double cos = 0;
                        for (int a = 0; a < ff; a++) {
                            cos += key[a] * centroid[c][a];
                        }
                        if (cos > bestCos) {
                            bestCos = cos;
                            best = c;
                        }
                    }
                    right[0] += names.get(best).equals(truth.get(kind).get(start + b)) ? 1 : 0;
                    routedTo.put(prompts.get(start + b), names.get(best));
                }
            });
            System.out.printf(Locale.ROOT, "routing by nearest relation centroid: %-14s %d/%d = %.3f%n", kind, right[0],
                    prompts.size(), right[0] / (double) prompts.size());
        }
        return routedTo;
    }

    /**
     * Per-relation spans with routing: each evaluation prompt is tested against the span of the
     * relation its last-token key routes to. Every request is split into one part per routed
     * relation (the evaluator's first 5 paraphrases / neighbours / attribute prompts), each part
     * scored with its relation's scope, and generality / locality averaged per prompt.
     */
    private static void routedScores(DiagRun run, EditEvaluator evaluator, NDArray delta, double a,
            Map<String, SpanScope> perRelation, Map<String, String> routedTo, Map<String, String> relationOf,
            List<EditRequest> sample) {
        int limit = EditEvaluator.Params.defaults().maxNeighbours();
        int paraLimit = EditEvaluator.Params.defaults().maxParaphrases();
        double rel = 0;
        double gen = 0;
        double loc = 0;
        int genW = 0;
        int locW = 0;
        Map<String, ForwardOptions> optionsOf = new HashMap<>();
        for (Map.Entry<String, SpanScope> e : perRelation.entrySet()) {
            optionsOf.put(e.getKey(), options(run, delta, a, e.getValue()));
        }
        for (EditRequest r : sample) {
            String own = relationOf.get(r.caseId());
            List<String> para = r.paraphrasePrompts().subList(0, Math.min(paraLimit, r.paraphrasePrompts().size()));
            List<String> hood = r.neighborhoodPrompts().subList(0, Math.min(limit, r.neighborhoodPrompts().size()));
            List<String> attr = r.localityPrompts().subList(0, Math.min(limit, r.localityPrompts().size()));
            java.util.Set<String> targets = new java.util.LinkedHashSet<>();
            targets.add(own);
            for (String p : para) {
                targets.add(routedTo.get(p));
            }
            for (String p : hood) {
                targets.add(routedTo.get(p));
            }
            for (String p : attr) {
                targets.add(routedTo.get(p));
            }
            for (String to : targets) {
                List<String> pp = para.stream().filter(p -> routedTo.get(p).equals(to)).toList();
                List<String> hp = hood.stream().filter(p -> routedTo.get(p).equals(to)).toList();
                List<String> ap = new ArrayList<>();
                List<String> at = new ArrayList<>();
                for (int i = 0; i < attr.size(); i++) {
                    if (routedTo.get(attr.get(i)).equals(to)) {
                        ap.add(attr.get(i));
                        at.add(r.localityTargets().get(i));
                    }
                }
                EditRequest part = new EditRequest(r.caseId(), r.subject(), r.prompt(), r.targetNew(), r.targetTrue(), pp,
                        hp, hp.isEmpty() ? null : r.neighborhoodTarget(), ap, at);
                EditScores s = evaluator.evaluate(run.lm.model(), optionsOf.get(to), List.of(part));
                if (to.equals(own)) {
                    rel += s.reliability();
                }
                if (!pp.isEmpty()) {
                    gen += s.generality() * pp.size();
                    genW += pp.size();
                }
                if (hp.size() + ap.size() > 0) {
                    loc += s.locality() * (hp.size() + ap.size());
                    locW += hp.size() + ap.size();
                }
            }
        }
        print("span per relation (routed)", a, rel / sample.size(), gen / genW, loc / locW, sample.size());
    }

    private static void add(Map<String, List<String>> kinds, Map<String, List<String>> truth, String kind,
            List<String> prompts, String relation) {
        kinds.computeIfAbsent(kind, k -> new ArrayList<>()).addAll(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            truth.computeIfAbsent(kind, k -> new ArrayList<>()).add(relation);
        }
    }

    private static void normalise(double[] v) {
        double n = 0;
        for (double x : v) {
            n += x * x;
        }
        n = Math.sqrt(Math.max(n, 1e-300));
        for (int i = 0; i < v.length; i++) {
            v[i] /= n;
        }
    }

    private static ForwardOptions options(DiagRun run, NDArray delta, double alpha, SpanScope scope) {
        HookLayer hook = new HookLayer(run.layer, delta, alpha, scope, HookLayer.Mode.VALIDATED, null);
        return ForwardOptions.builder().hooks(Map.of(run.layer, hook)).build();
    }

    private static void print(String what, double a, double rel, double gen, double loc, int n) {
        System.out.printf(Locale.ROOT, "%-28s alpha=%.3f -> rel %.3f gen %.3f loc %.3f (%d edits)%n", what, a, rel, gen, loc, n);
    }

    /** sum over {@code rows} (all when null) of k k^T, float64 (d_ff, d_ff). */
    private static NDArray outer(NDManager work, double[][] keys, List<Integer> rows, int ff) {
        List<Integer> use = rows;
        if (use == null) {
            use = new ArrayList<>();
            for (int i = 0; i < keys.length; i++) {
                use.add(i);
            }
        }
        double[] flat = new double[use.size() * ff];
        for (int i = 0; i < use.size(); i++) {
            System.arraycopy(keys[use.get(i)], 0, flat, i * ff, ff);
        }
        NDArray k = work.create(flat, new Shape(use.size(), ff));
        return k.transpose().matMul(k);
    }
}
