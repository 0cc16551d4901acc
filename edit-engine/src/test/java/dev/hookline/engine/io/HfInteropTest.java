/*
 * Interoperability with a checkpoint written by Hugging Face transformers itself
 * (src/test/resources/hf-gpt2-micro, copied unchanged from the shared fixtures): same token ids,
 * logits within 1e-4 of the ones transformers computed.
 */
package dev.hookline.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HfInteropTest {

    static Path fixture() throws Exception {
        return Path.of(HfInteropTest.class.getResource("/hf-gpt2-micro/config.json").toURI()).getParent();
    }

    @Test
    void reproducesTransformersTokenIdsAndLogits() throws Exception {
        Path dir = fixture();
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int cases = 0;
        int compared = 0;
        try (Gpt2Model model = Checkpoint.load(dir, Engine.getInstance().defaultDevice());
                TextTokenizer tokenizer = TextTokenizer.load(dir.resolve(Checkpoint.TOKENIZER_FILE));
                NDManager scope = NDManager.newBaseManager()) {
            assertEquals(50257, model.config().vocabSize());
            for (JsonNode c : golden.get("cases")) {
                int[] expectedIds = ints(c.get("input_ids"));
                int[] ids = tokenizer.encode(c.get("prompt").asText());
                assertArrayEquals(expectedIds, ids, "token ids of " + c.get("prompt"));
                try (NDManager step = scope.newSubManager()) {
                    NDArray logits = model.forward(step, TokenBatch.single(ids, 50256)).logits();
                    JsonNode topIds = c.get("top5_ids");
                    JsonNode topLogits = c.get("top5_logits");
                    for (int t = 0; t < ids.length; t++) {
                        float[] row = logits.get(0, t).toFloatArray();
                        for (int k = 0; k < 5; k++) {
                            int id = topIds.get(t).get(k).asInt();
                            assertEquals(topLogits.get(t).get(k).asDouble(), row[id], 1e-4,
                                    "case " + cases + " position " + t + " token " + id);
                            compared++;
                        }
                        // The top-1 must be the same token (ties in float32 are not expected here).
                        assertEquals(topIds.get(t).get(0).asInt(), argmax(row), "top-1 at " + t);
                    }
                    float[] last = logits.get(0, ids.length - 1).toFloatArray();
                    JsonNode sample = c.get("last_logits_sample");
                    for (int i = 0; i < sample.get("ids").size(); i++) {
                        int id = sample.get("ids").get(i).asInt();
                        assertEquals(sample.get("values").get(i).asDouble(), last[id], 1e-4,
                                "case " + cases + " last-position logit of " + id);
                        compared++;
                    }
                }
                cases++;
            }
        }
        assertEquals(4, cases);
        assertTrue(compared > 4 * 5 * 5, "compared " + compared + " logits");
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
