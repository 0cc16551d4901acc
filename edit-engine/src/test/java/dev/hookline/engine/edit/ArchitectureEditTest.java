/*
 * Every editing method runs on every architecture through the CausalLm interface: one batch on
 * each Hugging Face fixture (GPT-2, GPT-J, Llama, Qwen2; random weights) makes the edited prompts'
 * targets top-1 and keeps unrelated prompts' top-1:
 * - the hook methods (coachhook, coachhook-span-relation, coachhook-nearest, alphaedit-nearest) keep every unrelated prompt's top-1;
 * - the closed-form in-place methods (MEMIT, the no-hook ablation) keep at least 7 of 12;
 * - FT keeps its update to the edited projection, within its L-infinity bound, and nothing more.
 *
 * Why the in-place methods are held to less (measured 2026-12-06 on these fixtures, CPU, with
 * diag/InPlaceLocality; docs/BENCHMARKS.md): the unrelated prompts' top-1 margins on these random
 * models are 0.003-0.7 logits on GPT-J, Llama and Qwen2 (0.04-5.4 on GPT-2), and an update of W_0
 * that lifts the targets reaches every prompt. MEMIT and the no-hook ablation keep only the keys
 * their covariance C0 holds: with the unrelated prompts in C0's corpus (as general text is in
 * MEMIT's Wikipedia sample) they move other prompts' logits by 0.004-0.5 (GPT-2: 0.6-6.5, against
 * a target gain in log P of 17) and keep 9, 9, 9, 11 of 12 top-1 (GPT-2, GPT-J, Llama, Qwen2); on
 * GPT-J, Llama and Qwen2 the flipped ones are near-ties (margins 0.007-0.098). Without the prompts in the corpus GPT-2 keeps 6 of 12 at lambda 100
 * and 10000 alike (the same logits to 3 digits: the update lies where C0 over the 36-word corpus
 * has no weight), the others 8-9. A lambda that keeps 11-12 of 12 (1000, 10000) no longer reaches
 * the targets. FT has no preservation term: at its bound 2.0 it moves every prompt's logits by
 * 1-2 (GPT-2: 15-30) and keeps 0 of 12; at 0.2 it keeps 1-5 and GPT-2's target is no longer
 * reached. So FT is held to the parameter locality its constraint promises. Keeping unrelated
 * prompts whatever W_0's margins is what the hook's scope adds; the bench measures locality on
 * trained models.
 *
 * The covered C0 matters for coachhook's sequence z-score too: over the word corpus alone the min
 * rule takes alpha to 1.61 (GPT-J) and 1.58 (Qwen2), the validated hook then swaps the last token
 * of 2 unrelated prompts each and changes 2 and 1 top-1 (DESIGN.md section 7: short prompts cannot
 * reach alpha0 and the min rule lowers it until the hook fires on unrelated tokens); with the
 * prompts in C0 alpha stays at 2.04-2.20 and all 12 are kept (the hook still swaps the last token
 * of one Qwen2 prompt, moving its logits by 0.21 without changing its top-1).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.HfArchitecturesTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

public class ArchitectureEditTest {

    static final List<String> METHODS = List.of("coachhook", "coachhook-span-relation", "coachhook-nearest",
            "alphaedit-nearest", "memit",
            "coachhook-nohook", "ft");
    static final List<String> HOOKED = List.of("coachhook", "coachhook-span-relation", "coachhook-nearest",
            "alphaedit-nearest");

    public static final List<EditRequest> EDITS = List.of(
            new EditRequest("1", "Danielle Darrieux", "The mother tongue of {} was", "English", null,
                    List.of(), List.of(), null, List.of(), List.of(), "P103"),
            new EditRequest("2", "Toko Yasuda", "{} plays the instrument", "violin", null,
                    List.of(), List.of(), null, List.of(), List.of(), "P1303"));

    /**
     * Prompts about other things that end in other words than the edit prompts: in these two-block
     * random models a last-position key is mostly its own token's, so locality is measured where
     * the keys differ (on a trained model the bench measures neighbourhood prompts).
     */
    public static final List<String> UNRELATED = List.of("The capital of France is", "Water boils at a temperature of",
            "My favourite colour is green and", "The river flows into the sea near", "She opened the door and",
            "The train leaves the station at", "He bought a loaf of bread from", "Mountains are covered with snow in",
            "The children played football in", "A good book can change", "The museum is closed on",
            "Birds fly south for");

    static final List<String> IN_PLACE = List.of("memit", "coachhook-nohook");
    /** alphaedit-nearest's ridge on these fixtures (see where the methods are built). */
    static final double AEN_L2 = 0.01;
    /** Unrelated prompts whose top-1 MEMIT and the no-hook ablation must keep (measured 9-11, see above). */
    static final int IN_PLACE_KEPT = 7;

    /** A small corpus for C0: sentences built from a few words, in any tokenizer. */
    public static List<String> corpus() {
        String[] subjects = {"The teacher", "A farmer", "My neighbour", "The old man", "Her sister", "The pilot"};
        String[] verbs = {"speaks", "plays", "visits", "writes about", "lives near", "works for"};
        String[] objects = {"the city", "a small village", "the orchestra", "the river", "French", "the company"};
        List<String> lines = new ArrayList<>();
        for (String s : subjects) {
            for (String v : verbs) {
                for (String o : objects) {
                    lines.add(s + " " + v + " " + o + ".");
                }
            }
        }
        return lines;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2-micro", "hf-gptj-micro", "hf-llama-micro", "hf-qwen2-micro"})
    void everyMethodEditsEveryArchitecture(String fixture) throws Exception {
        Path dir = HfArchitecturesTest.fixture(fixture);
        try (CausalLm base = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice());
                TextTokenizer tok = TextTokenizer.loadDirectory(dir)) {
            base.setTrainable(false);
            if (fixture.equals("hf-gpt2-micro")) {
                // GPT-2's fixture keeps its 0.02 init (the others were scaled): its logits span about
                // 0.35 over 50257 tokens, so no edit of the residual stream can lift a target to top-1.
                // Scale the tied embedding as the other fixtures' matrices were scaled.
                base.parameter("transformer.wte.weight").muli(60);
            }
            // The last block, keys read at the prompt's last token (as the fact-world presets do).
            int[] layers = {base.config().layerCount() - 1};
            double lambda = 50;
            // The in-place methods (MEMIT, no-hook) change W_0 for every prompt: a heavier C0 keeps
            // the unrelated prompts' keys where they were.
            double inPlaceLambda = 100;
            ValueStepParams vs = new ValueStepParams(100, 0.3, 8.0, 0.0625, 0.01, 1, 0.002, "last");
            Methods methods = new Methods(
                    new CoachHookParams(layers, lambda, 2.2, "sequence", vs),
                    new CoachHookParams(layers, lambda, 2.2, "corpus", vs),
                    new MemitParams(layers, inPlaceLambda, vs),
                    new FtParams(layers, 80, 5e-2, 2.0, 1),
                    List.of("The following is true."),
                    new CoachHookParams(layers, lambda, 2.2, "corpus", vs, 3),
                    new CoachHookParams(layers, inPlaceLambda, 2.2, "sequence", vs),
                    CoachHookParams.spanTuned().withLayersAndLambda(layers, lambda).withValueStep(vs),
                    CoachHookParams.spanRelationTuned().withLayersAndLambda(layers, lambda).withValueStep(vs),
                    new AlphaEditParams(layers, AlphaEditParams.DEFAULT_THRESHOLD, AlphaEditParams.DEFAULT_L2, vs),
                    UltraEditParams.defaults().withLayers(layers),
                    Methods.nearestOf(CoachHookParams.spanRelationTuned().withLayersAndLambda(layers, lambda)
                            .withValueStep(vs), CoachHookParams.NEAREST_ALPHA0),
                    // AlphaEdit's ridge L2 is absolute: these random models' keys are far smaller than GPT2-XL's,
                    // so the authors' 10 swamps K K^T (the edit would not move); scaled down as lambda is here.
                    new AlphaEditNearestParams(new AlphaEditParams(layers, AlphaEditNearestParams.DEFAULT_THRESHOLD,
                            AEN_L2, vs), CoachHookParams.NEAREST_ALPHA0, CoachHookParams.SPAN_SCOPE_LAMBDA));
            String digest = Digests.model(base);
            // C0 over the corpus and the unrelated prompts, weighted as frequent text (see the file header).
            List<String> c0Corpus = new ArrayList<>(corpus());
            for (int repeat = 0; repeat < 3; repeat++) {
                c0Corpus.addAll(UNRELATED);
            }
            LayerStatistics stats = LayerStatistics.compute(base, tok, c0Corpus, c0Corpus.size(), layers, digest);
            LanguageModel plain = LanguageModel.wrap(base, tok);
            List<Integer> before = new ArrayList<>();
            for (String prompt : UNRELATED) {
                before.add(plain.generate(prompt, 1).generatedIds()[0]);
            }
            List<String> failures = new ArrayList<>();
            for (String method : METHODS) {
                try (SequentialEditor editor = methods.create(method, base, tok, stats)) {
                    // GPT-2's fixture is 16 wide: its value step reaches one target (P 0.2), not two.
                    List<EditRequest> edits = fixture.equals("hf-gpt2-micro") ? EDITS.subList(0, 1) : EDITS;
                    SequentialEditor.BatchOutcome outcome = editor.apply(edits);
                    LanguageModel edited = LanguageModel.wrap(editor.model(), tok);
                    ForwardOptions options = editor.inferenceOptions();
                    for (EditRequest r : edits) {
                        ContinuationScore s = edited.score(List.of(new dev.hookline.engine.infer.PromptTarget(
                                r.filledPrompt(), r.targetNew())), options).get(0);
                        if (s.targetIds()[0] != s.predictedIds()[0]) {
                            failures.add(fixture + " " + method + ": '" + r.filledPrompt() + "' -> first token of '"
                                    + r.targetNew() + "' is not top-1; P(new) "
                                    + java.util.Arrays.toString(outcome.probabilityNew()));
                        }
                    }
                    List<dev.hookline.engine.infer.Generation> after = edited.generate(UNRELATED, 1, options);
                    List<String> changed = new ArrayList<>();
                    for (int i = 0; i < UNRELATED.size(); i++) {
                        if (before.get(i).intValue() != after.get(i).generatedIds()[0]) {
                            changed.add(UNRELATED.get(i));
                        }
                    }
                    int kept = UNRELATED.size() - changed.size();
                    if (HOOKED.contains(method) && !changed.isEmpty()) {
                        failures.add(fixture + " " + method + ": unrelated prompts changed their top-1: " + changed);
                    } else if (IN_PLACE.contains(method) && kept < IN_PLACE_KEPT) {
                        failures.add(fixture + " " + method + ": kept the top-1 of only " + kept + " of "
                                + UNRELATED.size() + " unrelated prompts (changed: " + changed + ")");
                    }
                    failures.addAll(parameterLocality(fixture, method, base, editor.model(), layers,
                            method.equals("ft") ? methods.ft().normBound() : Double.NaN));
                }
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
            assertEquals(digest, Digests.model(base), "no method writes the base model");
        }
    }

    /**
     * What an edit of {@code method} may write: nothing (hooked methods keep their state outside
     * the model), else only the hooked projection of the editing layers, and FT within
     * {@code normBound} of W_0 elementwise. Answers the violations.
     */
    static List<String> parameterLocality(String fixture, String method, CausalLm base, CausalLm edited, int[] layers,
            double normBound) {
        List<String> out = new ArrayList<>();
        java.util.Set<Integer> editing = java.util.Arrays.stream(layers).boxed().collect(java.util.stream.Collectors.toSet());
        for (int l = 0; l < base.config().layerCount(); l++) {
            float[] w0 = base.mlpProjectionWeight(l).toFloatArray();
            float[] w = edited.mlpProjectionWeight(l).toFloatArray();
            double largest = 0;
            for (int i = 0; i < w0.length; i++) {
                largest = Math.max(largest, Math.abs(w[i] - w0[i]));
            }
            boolean written = HOOKED.contains(method) ? edited != base : editing.contains(l);
            if (!written && largest != 0) {
                out.add(fixture + " " + method + ": wrote the projection of layer " + l + " (by " + largest + ")");
            } else if (written && !HOOKED.contains(method) && largest == 0) {
                out.add(fixture + " " + method + ": left the edited projection of layer " + l + " unchanged");
            } else if (!Double.isNaN(normBound) && largest > normBound * (1 + 1e-5)) {
                out.add(fixture + " " + method + ": moved W of layer " + l + " by " + largest + " > bound " + normBound);
            }
        }
        if (edited != base) {
            for (String name : base.parameters().keySet()) {
                boolean projection = false;
                for (int l : layers) {
                    projection |= name.startsWith(base.mlpProjectionName(l) + ".");
                }
                if (!projection && !java.util.Arrays.equals(base.parameter(name).toFloatArray(),
                        edited.parameter(name).toFloatArray())) {
                    out.add(fixture + " " + method + ": wrote parameter " + name);
                }
            }
        }
        return out;
    }
}
