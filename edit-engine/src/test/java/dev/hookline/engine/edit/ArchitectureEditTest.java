/*
 * Every editing method runs on every architecture through the CausalLm interface: one batch on
 * each Hugging Face fixture (GPT-2, GPT-J, Llama, Qwen2; random weights) makes the edited prompts'
 * targets top-1, and the hook methods leave unrelated prompts' top-1 unchanged.
 *
 * Measured and not asserted: the in-place methods (MEMIT, no-hook, FT) change W_0 for every
 * prompt, and on these two-block random models that moves 1-5 of the 5 unrelated prompts' top-1
 * (at lambda 100; a heavier C0 weight keeps them but no longer reaches the targets). Keeping
 * unrelated prompts is what the hook's scope adds; the bench measures locality on trained models.
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

    static final List<String> METHODS = List.of("coachhook", "coachhook-span-relation", "memit", "coachhook-nohook", "ft");
    static final List<String> HOOKED = List.of("coachhook", "coachhook-span-relation");

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
    static final List<String> UNRELATED = List.of("The capital of France is", "Water boils at a temperature of",
            "My favourite colour is green and", "The river flows into the sea near", "She opened the door and");

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
                    CoachHookParams.spanRelationTuned().withLayersAndLambda(layers, lambda).withValueStep(vs));
            String digest = Digests.model(base);
            LayerStatistics stats = LayerStatistics.compute(base, tok, corpus(), 216, layers, digest);
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
                    for (int i = 0; i < UNRELATED.size(); i++) {
                        if (HOOKED.contains(method) && before.get(i).intValue() != after.get(i).generatedIds()[0]) {
                            failures.add(fixture + " " + method + ": unrelated prompt '" + UNRELATED.get(i)
                                    + "' changed its top-1");
                        }
                    }
                }
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
            assertEquals(digest, Digests.model(base), "no method writes the base model");
        }
    }
}
