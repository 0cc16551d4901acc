/*
 * Inference API on the HF-written fixture: greedy generation equals transformers' greedy
 * continuation, teacher-forced scores are consistent with the logits, batched equals single.
 */
package dev.hookline.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.ResidualAddition;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LanguageModelTest {
    private static LanguageModel lm;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of(LanguageModelTest.class.getResource("/hf-gpt2-micro/config.json").toURI()).getParent();
        lm = LanguageModel.load(dir);
        golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void greedyGenerationMatchesTransformers() {
        List<String> prompts = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            prompts.add(c.get("prompt").asText());
        }
        List<Generation> batched = lm.generate(prompts, 6);
        for (int i = 0; i < prompts.size(); i++) {
            int[] expected = ints(golden.get("cases").get(i).get("greedy_next6"));
            assertArrayEquals(expected, batched.get(i).generatedIds(), "greedy ids of " + prompts.get(i));
            assertArrayEquals(batched.get(i).generatedIds(), lm.generate(prompts.get(i), 6).generatedIds());
            assertEquals(lm.tokenizer().decode(expected), batched.get(i).completion());
        }
    }

    @Test
    void gpt2TargetKeepsItsLeadingSpaceToken() {
        TextTokenizer.Continuation c = lm.tokenizer().continuation("The mother tongue of Danielle Darrieux is", "French");
        assertArrayEquals(ints(golden.get("cases").get(0).get("input_ids")), c.promptIds());
        assertArrayEquals(lm.tokenizer().encode(" French"), c.targetIds());
        assertEquals(" French", lm.tokenizer().decode(c.targetIds()));
    }

    @Test
    void teacherForcedScoresAreConsistentWithLogits() {
        String prompt = "Hello, world! This is a test.";
        int[] promptIds = lm.tokenizer().encode(prompt);
        int[] greedy = lm.generate(prompt, 3).generatedIds();
        int[] mixed = {greedy[0], 318, greedy[2]}; // middle token replaced by " is" (318)
        List<ContinuationScore> scores = lm.scoreIds(List.of(
                new TextTokenizer.Continuation(promptIds, greedy),
                new TextTokenizer.Continuation(promptIds, mixed)), ForwardOptions.defaults());
        assertEquals(1.0, scores.get(0).accuracy(), 0);
        assertArrayEquals(greedy, scores.get(0).predictedIds());
        // Teacher forcing: after a wrong middle token the next prediction is conditioned on it.
        assertEquals(318 == greedy[1] ? 1.0 : 2.0 / 3, scores.get(1).accuracy(), 1e-12);
        // Log-probabilities equal log-softmax of the logits computed independently here.
        int[] seq = Arrays.copyOf(promptIds, promptIds.length + 3);
        System.arraycopy(mixed, 0, seq, promptIds.length, 3);
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray logits = lm.model().forward(scope, TokenBatch.single(seq, 50256)).logits();
            for (int i = 0; i < 3; i++) {
                float[] row = logits.get(0, promptIds.length - 1 + i).toFloatArray();
                double max = Double.NEGATIVE_INFINITY;
                for (float v : row) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (float v : row) {
                    sum += Math.exp(v - max);
                }
                double expected = row[mixed[i]] - max - Math.log(sum);
                assertEquals(expected, scores.get(1).logProbs()[i], 1e-4, "log-prob of target token " + i);
            }
        }
        assertEquals(scores.get(1).logProbs()[0] + scores.get(1).logProbs()[1] + scores.get(1).logProbs()[2],
                scores.get(1).totalLogProb(), 1e-9);
    }

    @Test
    void batchedScoresEqualSingleScores() {
        List<PromptTarget> pairs = List.of(
                new PromptTarget("The mother tongue of Danielle Darrieux is", "French"),
                new PromptTarget("Q: What is the capital of France? A:", "Paris, the city of light"),
                new PromptTarget("Hello", "world"));
        List<ContinuationScore> batched = lm.withBatchSize(2).score(pairs);
        assertEquals(3, batched.size());
        for (int i = 0; i < pairs.size(); i++) {
            double[] single = lm.continuationLogProbs(pairs.get(i).prompt(), pairs.get(i).target());
            assertEquals(single.length, batched.get(i).logProbs().length);
            for (int j = 0; j < single.length; j++) {
                assertEquals(single[j], batched.get(i).logProbs()[j], 1e-5);
            }
            assertEquals(lm.teacherForcedAccuracy(pairs.get(i).prompt(), pairs.get(i).target()),
                    batched.get(i).accuracy(), 0);
        }
        assertTrue(batched.get(1).targetIds().length > 3, "multi-token target");
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new PromptTarget("x", " "));
        assertThrows(IllegalArgumentException.class, () -> lm.generate("x", -1));
        ForwardOptions withAddition = ForwardOptions.builder()
                .add(new ResidualAddition(0, null, new int[] {0}, new int[] {0})).build();
        assertThrows(IllegalArgumentException.class,
                () -> lm.score(List.of(new PromptTarget("a", "b")), withAddition));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
