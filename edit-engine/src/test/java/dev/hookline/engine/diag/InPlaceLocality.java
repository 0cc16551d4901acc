/*
 * Diagnostic (not a test): why the in-place methods cannot keep every unrelated prompt's top-1 on
 * the random-weight architecture fixtures (ArchitectureEditTest). For each fixture it prints the
 * unedited top-1 margins of ArchitectureEditTest.UNRELATED, and per method variant (METHOD:X, X
 * the lambda of memit / coachhook-nohook / alphaedit, or FT's L-infinity bound) how many edited
 * targets are top-1, how many unrelated top-1 are kept, the edited prompts' gain in log P(target),
 * and per unrelated prompt the largest |logit change| (* marks a changed top-1). COVER=true adds
 * the unrelated prompts (three times) to the C0 corpus, as ArchitectureEditTest does. For the
 * hooked variants (coachhook:LAMBDA) it also prints the alpha and, per unrelated prompt, how many
 * tokens the validated hook swaps (L: the last one, whose logits give the top-1).
 * Run: java -cp <test classpath> dev.hookline.engine.diag.InPlaceLocality COVER [VARIANTS]
 * e.g. `InPlaceLocality true memit:100,memit:1000,coachhook-nohook:100,ft:2.0,ft:0.2`.
 */
package dev.hookline.engine.diag;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.ArchitectureEditTest;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.edit.UltraEditParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.PromptTarget;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.HfArchitecturesTest;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public final class InPlaceLocality {
    private static final List<String> UNRELATED = ArchitectureEditTest.UNRELATED;

    private InPlaceLocality() {}

    public static void main(String[] args) throws Exception {
        boolean cover = Boolean.parseBoolean(args[0]);
        String[] variants = (args.length > 1 ? args[1]
                : "memit:100,memit:1000,memit:10000,coachhook-nohook:100,ft:2.0,ft:0.2,ft:0.05").split(",");
        for (String fixture : List.of("hf-gpt2-micro", "hf-gptj-micro", "hf-llama-micro", "hf-qwen2-micro")) {
            run(fixture, cover, variants);
        }
    }

    private static void run(String fixture, boolean cover, String[] variants) throws Exception {
        Path dir = HfArchitecturesTest.fixture(fixture);
        // A private load: the GPT-2 fixture's embedding is scaled in place, as in ArchitectureEditTest.
        try (CausalLm base = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice());
                TextTokenizer tok = TextTokenizer.loadDirectory(dir)) {
            base.setTrainable(false);
            if (fixture.equals("hf-gpt2-micro")) {
                base.parameter("transformer.wte.weight").muli(60);
            }
            int[] layers = {base.config().layerCount() - 1};
            ValueStepParams vs = new ValueStepParams(100, 0.3, 8.0, 0.0625, 0.01, 1, 0.002, "last");
            List<String> corpus = new ArrayList<>(ArchitectureEditTest.corpus());
            for (int r = 0; cover && r < 3; r++) {
                corpus.addAll(UNRELATED);
            }
            LayerStatistics stats = LayerStatistics.compute(base, tok, corpus, corpus.size(), layers, Digests.model(base));
            List<EditRequest> edits = fixture.equals("hf-gpt2-micro") ? ArchitectureEditTest.EDITS.subList(0, 1)
                    : ArchitectureEditTest.EDITS;
            List<PromptTarget> pairs = edits.stream().map(r -> new PromptTarget(r.filledPrompt(), r.targetNew())).toList();
            List<ContinuationScore> unedited = LanguageModel.wrap(base, tok).score(pairs);
            float[][] before = lastLogits(base, tok, ForwardOptions.defaults());
            StringBuilder margins = new StringBuilder();
            for (float[] b : before) {
                margins.append(String.format(Locale.ROOT, " %.3f", margin(b)));
            }
            System.out.printf(Locale.ROOT, "%s (C0 covers the unrelated prompts: %s) top-1 margins:%s%n", fixture, cover,
                    margins);
            for (String v : variants) {
                String method = v.split(":")[0];
                double x = Double.parseDouble(v.split(":")[1]);
                Methods methods = new Methods(new CoachHookParams(layers, 50, 2.2, "sequence", vs),
                        new CoachHookParams(layers, 50, 2.2, "corpus", vs), new MemitParams(layers, x, vs),
                        new FtParams(layers, 80, 5e-2, method.equals("ft") ? x : 2.0, 1), List.of("The following is true."),
                        new CoachHookParams(layers, 50, 2.2, "corpus", vs, 3), new CoachHookParams(layers, x, 2.2, "sequence", vs),
                        CoachHookParams.spanTuned().withLayersAndLambda(layers, 50).withValueStep(vs),
                        CoachHookParams.spanRelationTuned().withLayersAndLambda(layers, 50).withValueStep(vs),
                        new AlphaEditParams(layers, AlphaEditParams.DEFAULT_THRESHOLD, AlphaEditParams.DEFAULT_L2, vs),
                        UltraEditParams.defaults().withLayers(layers));
                try (SequentialEditor editor = methods.create(method, base, tok, stats)) {
                    editor.apply(edits);
                    LanguageModel edited = LanguageModel.wrap(editor.model(), tok);
                    List<ContinuationScore> scores = edited.score(pairs, editor.inferenceOptions());
                    int hits = 0;
                    StringBuilder gain = new StringBuilder();
                    for (int e = 0; e < scores.size(); e++) {
                        hits += scores.get(e).targetIds()[0] == scores.get(e).predictedIds()[0] ? 1 : 0;
                        gain.append(String.format(Locale.ROOT, " %.2f",
                                scores.get(e).logProbs()[0] - unedited.get(e).logProbs()[0]));
                    }
                    float[][] after = lastLogits(editor.model(), tok, editor.inferenceOptions());
                    int kept = 0;
                    StringBuilder moved = new StringBuilder();
                    for (int i = 0; i < before.length; i++) {
                        boolean same = argmax(before[i]) == argmax(after[i]);
                        kept += same ? 1 : 0;
                        float largest = 0;
                        for (int j = 0; j < before[i].length; j++) {
                            largest = Math.max(largest, Math.abs(after[i][j] - before[i][j]));
                        }
                        moved.append(String.format(Locale.ROOT, " %s%.3f", same ? "" : "*", largest));
                    }
                    if (editor instanceof dev.hookline.engine.edit.ClosedFormEditor closedForm
                            && closedForm.updateRule().hooked()) {
                        // Where the validated hooks swap: tokens swapped per prompt, L when the last one is.
                        moved.append("  alpha ").append(closedForm.validatedHooks().values().stream()
                                .map(h -> String.format(Locale.ROOT, "%.2f", h.alpha())).toList()).append(" swapped");
                        for (String prompt : UNRELATED) {
                            List<dev.hookline.engine.bundle.HookedModel.TokenTrace> traces = dev.hookline.engine.bundle
                                    .HookedModel.explain(LanguageModel.wrap(base, tok), closedForm.validatedHooks(), prompt);
                            int last = traces.stream().mapToInt(t -> t.position()).max().orElse(-1);
                            long swapped = traces.stream().filter(t -> t.swapped()).count();
                            boolean lastSwapped = traces.stream().anyMatch(t -> t.swapped() && t.position() == last);
                            moved.append(' ').append(swapped).append(lastSwapped ? "L" : "");
                        }
                    }
                    System.out.printf(Locale.ROOT, "  %-22s targets %d/%d  kept %2d/%d  gain log P(target)%s  |dlogit|%s%n", v,
                            hits, edits.size(), kept, before.length, gain, moved);
                }
            }
        }
    }

    /** Last-position logits of every unrelated prompt, (V) each. */
    private static float[][] lastLogits(CausalLm model, TextTokenizer tok, ForwardOptions options) {
        float[][] out = new float[UNRELATED.size()][];
        for (int i = 0; i < UNRELATED.size(); i++) {
            int[] ids = tok.encode(UNRELATED.get(i));
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                NDArray logits = model.forward(scope, TokenBatch.of(List.of(ids), model.config().eosTokenId()), options)
                        .logits(); // (1, T, V)
                out[i] = logits.get(0).get(ids.length - 1).toType(DataType.FLOAT32, false).toFloatArray();
            }
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    private static float margin(float[] v) {
        int best = argmax(v);
        float second = -Float.MAX_VALUE;
        for (int i = 0; i < v.length; i++) {
            if (i != best && v[i] > second) {
                second = v[i];
            }
        }
        return v[best] - second;
    }
}
