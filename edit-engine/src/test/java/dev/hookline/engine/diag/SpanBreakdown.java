/*
 * Diagnostic (not a test): where a consecutive coachhook-span run loses generality and locality.
 * After N edits it splits the evaluation prompts into groups and scores each group apart:
 * neighbourhood / attribute prompts whose subject was itself edited (for another relation) or
 * not, paraphrases with a context prefix or without; and it prints the span share rho at each
 * group's last token. The edited state (W_h delta, C_accu) is saved to STATE_FILE on the first run
 * and read back on later runs, so other thresholds or scope lambdas cost no editing.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanBreakdown MODEL DATA N BATCH LAMBDA LAYER
 *          EDIT_ALPHA SCOPE_LAMBDA EVAL_ALPHAS(comma) EVAL_SAMPLE STATE_FILE [EDIT_SCOPE_LAMBDA]
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.TensorFile;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

public final class SpanBreakdown {

    private SpanBreakdown() {}

    public static void main(String[] args) throws Exception {
        DiagRun.SpanStateArgs in = DiagRun.SpanStateArgs.parse(args);
        try (DiagRun run = DiagRun.open(args, 1000)) {
            double editScopeLambda = args.length > 11 ? Double.parseDouble(args[11]) : run.lambda;
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("n", Integer.toString(run.n));
            meta.put("batch", Integer.toString(run.batch));
            meta.put("lambda", Double.toString(run.lambda));
            meta.put("layer", Integer.toString(run.layer));
            meta.put("editAlpha", Double.toString(in.editAlpha()));
            meta.put("editScopeLambda", Double.toString(editScopeLambda));
            double[] delta;
            double[] cAccu;
            if (Files.exists(in.stateFile())) {
                TensorFile.Contents c = TensorFile.read(in.stateFile());
                if (!c.metadata().entrySet().containsAll(meta.entrySet())) {
                    throw new IllegalArgumentException(in.stateFile() + " holds another run: " + c.metadata() + ", asked " + meta);
                }
                delta = c.tensor("delta").data();
                cAccu = c.tensor("c_accu").data();
                System.out.println("read edited state " + in.stateFile() + " " + c.metadata());
            } else {
                CoachHookParams params = new CoachHookParams(new int[] {run.layer}, run.lambda, in.editAlpha(), "span",
                        ValueStepParams.tuned()).withScopeLambda(editScopeLambda);
                long start = System.nanoTime();
                try (ClosedFormEditor editor = ClosedFormEditor.span(run.lm.model(), run.lm.tokenizer(), run.stats, params,
                        RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                    for (int b = 0; b < run.n; b += run.batch) {
                        editor.apply(run.requests.subList(b, Math.min(run.n, b + run.batch)));
                    }
                    float[] df = editor.delta(run.layer);
                    delta = new double[df.length];
                    for (int i = 0; i < df.length; i++) {
                        delta[i] = df[i];
                    }
                    cAccu = editor.cAccu(run.layer);
                }
                TensorFile.write(in.stateFile(), List.of(new TensorFile.Tensor("delta", "F32", new long[] {ff, d}, delta),
                        new TensorFile.Tensor("c_accu", "F64", new long[] {ff, ff}, cAccu)), meta);
                System.out.printf(Locale.ROOT, "edited %s in %.0f s, state written to %s%n", meta,
                        (System.nanoTime() - start) / 1e9, in.stateFile());
            }

            Set<String> edited = run.requests.stream().map(EditRequest::subject).collect(Collectors.toSet());
            Predicate<String> hasEdited = p -> edited.stream().anyMatch(p::contains);
            Predicate<String> prefixed = p -> RelationCatalogue.CONTEXT_PREFIXES.stream().anyMatch(p::startsWith);
            List<EditRequest> sample = run.sample(in.evalSample());
            Map<String, List<EditRequest>> groups = new LinkedHashMap<>();
            groups.put("all", sample);
            groups.put("neighbours, subject edited", locality(sample, hasEdited, true, false));
            groups.put("neighbours, subject not edited", locality(sample, hasEdited.negate(), true, false));
            groups.put("attribute, subject edited", locality(sample, hasEdited, false, true));
            groups.put("attribute, subject not edited", locality(sample, hasEdited.negate(), false, true));
            groups.put("paraphrases with a prefix", paraphrases(sample, prefixed));
            groups.put("paraphrases without a prefix", paraphrases(sample, prefixed.negate()));
            List<EditRequest> everything = groups.values().stream().flatMap(List::stream).toList();
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), everything,
                    EditEvaluator.Params.defaults());

            try (NDManager work = NDManager.newBaseManager(run.lm.model().device())) {
                NDArray c0Nd = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                NDArray preserve = c0Nd.mul(in.scopeLambda());
                NDArray sumKk = work.create(cAccu, new Shape(ff, ff)).sub(c0Nd.mul(run.lambda));
                SpanScope scope = new SpanScope(preserve.inverse(), preserve.add(sumKk).inverse());
                printRho(run, scope, "edit prompts", sample.stream().map(EditRequest::filledPrompt).toList(), in.evalAlphas());
                for (Map.Entry<String, List<EditRequest>> g : groups.entrySet()) {
                    if (g.getKey().equals("all")) {
                        continue;
                    }
                    List<String> prompts = new ArrayList<>();
                    for (EditRequest r : g.getValue()) {
                        prompts.addAll(r.paraphrasePrompts());
                        prompts.addAll(r.neighborhoodPrompts());
                        prompts.addAll(r.localityPrompts());
                    }
                    printRho(run, scope, g.getKey(), prompts, in.evalAlphas());
                }
                NDArray deltaNd = work.create(delta, new Shape(ff, d)).toType(run.lm.model().dataType(), false);
                for (double a : in.evalAlphas()) {
                    HookLayer hook = new HookLayer(run.layer, deltaNd, a, scope, HookLayer.Mode.VALIDATED, null);
                    ForwardOptions options = ForwardOptions.builder().hooks(Map.of(run.layer, hook)).build();
                    for (Map.Entry<String, List<EditRequest>> g : groups.entrySet()) {
                        if (g.getValue().isEmpty()) {
                            continue;
                        }
                        EditScores s = evaluator.evaluate(run.lm.model(), options, g.getValue());
                        System.out.printf(Locale.ROOT,
                                "scopeLambda=%.0f alpha=%.3f %-32s rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f (%d)%n",
                                in.scopeLambda(), a, g.getKey(), s.reliability(), s.generality(), s.locality(), s.efficacy(),
                                s.paraphrase(), s.neighborhood(), g.getValue().size());
                    }
                }
            }
        }
    }

    /** Copies keeping only neighbourhood (or attribute) prompts that pass {@code keep}; no paraphrases kept apart. */
    private static List<EditRequest> locality(List<EditRequest> sample, Predicate<String> keep, boolean neighbours,
            boolean attributes) {
        List<EditRequest> out = new ArrayList<>();
        for (EditRequest r : sample) {
            List<String> hood = neighbours ? r.neighborhoodPrompts().stream().filter(keep).toList() : List.of();
            List<String> loc = new ArrayList<>();
            List<String> locTargets = new ArrayList<>();
            if (attributes) {
                for (int i = 0; i < r.localityPrompts().size(); i++) {
                    if (keep.test(r.localityPrompts().get(i))) {
                        loc.add(r.localityPrompts().get(i));
                        locTargets.add(r.localityTargets().get(i));
                    }
                }
            }
            if (!hood.isEmpty() || !loc.isEmpty()) {
                out.add(new EditRequest(r.caseId(), r.subject(), r.prompt(), r.targetNew(), r.targetTrue(), List.of(),
                        hood, hood.isEmpty() ? null : r.neighborhoodTarget(), loc, locTargets));
            }
        }
        return out;
    }

    /** Copies keeping only the paraphrases that pass {@code keep} and no locality prompts. */
    private static List<EditRequest> paraphrases(List<EditRequest> sample, Predicate<String> keep) {
        List<EditRequest> out = new ArrayList<>();
        for (EditRequest r : sample) {
            List<String> para = r.paraphrasePrompts().stream().filter(keep).toList();
            if (!para.isEmpty()) {
                out.add(new EditRequest(r.caseId(), r.subject(), r.prompt(), r.targetNew(), r.targetTrue(), para,
                        List.of(), null, List.of(), List.of()));
            }
        }
        return out;
    }

    /** Quantiles of rho at each prompt's last token and of its maximum over the prompt, and the share at or above each alpha. */
    private static void printRho(DiagRun run, SpanScope scope, String name, List<String> prompts, double[] alphas) {
        if (prompts.isEmpty()) {
            return;
        }
        double[] last = new double[prompts.size()];
        double[] max = new double[prompts.size()];
        DiagRun.keyChunks(run.lm, run.layer, prompts, (start, tokens, keys) -> {
            double[] rho = scope.keyScores(keys);
            int t = (int) keys.getShape().get(1);
            for (int b = 0; b < keys.getShape().get(0); b++) {
                int len = run.lm.tokenizer().encode(prompts.get(start + b)).length;
                double m = Double.NEGATIVE_INFINITY;
                for (int p = 0; p < len; p++) {
                    double v = rho[b * t + p];
                    if (!Double.isNaN(v)) {
                        m = Math.max(m, v);
                    }
                }
                last[start + b] = rho[b * t + len - 1];
                max[start + b] = m;
            }
        });
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "rho %-32s n=%4d last q10/50/90 %.3f/%.3f/%.3f max q50 %.3f",
                name, prompts.size(), q(last, 0.1), q(last, 0.5), q(last, 0.9), q(max, 0.5)));
        for (double a : alphas) {
            sb.append(String.format(Locale.ROOT, " | >=%.2f last %.3f any %.3f", a, share(last, a), share(max, a)));
        }
        System.out.println(sb);
    }

    private static double q(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(p * s.length))];
    }

    private static double share(double[] v, double a) {
        return Arrays.stream(v).filter(x -> x >= a).count() / (double) v.length;
    }
}
