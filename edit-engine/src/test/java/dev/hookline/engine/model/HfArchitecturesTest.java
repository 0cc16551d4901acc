/*
 * The four architectures against checkpoints and logits written by Hugging Face transformers 5.17
 * itself (src/test/resources/hf-*-micro, copied unchanged from the shared fixtures): same token
 * ids, logits within 1e-4 at every position, the same greedy tokens with and without the KV cache;
 * and copies written by the project's own writer (bf16, sharded) that load to the same logits.
 */
package dev.hookline.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.infer.Decoder;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

public class HfArchitecturesTest {

    /** The directory of test resource fixture {@code name}. */
    public static Path fixture(String name) throws Exception {
        return Path.of(HfArchitecturesTest.class.getResource("/" + name + "/config.json").toURI()).getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2-micro", "hf-gptj-micro", "hf-llama-micro", "hf-qwen2-micro"})
    void reproducesTransformersIdsLogitsAndGreedyTokens(String name) throws Exception {
        Path dir = fixture(name);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int compared = 0;
        int greedyCompared = 0;
        try (CausalLm model = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice());
                TextTokenizer tokenizer = TextTokenizer.loadDirectory(dir);
                NDManager scope = NDManager.newBaseManager()) {
            assertEquals(golden.path("config").path("model_type").asText(), model.architecture().modelType());
            tokenizer.requireFits(model.config().vocabSize(), dir.resolve("tokenizer.json"));
            assertEquals(model.config().eosTokenId(), tokenizer.eosId().orElseThrow());
            int eos = model.config().eosTokenId();
            Decoder cached = new Decoder(model, ForwardOptions.defaults(), true);
            Decoder uncached = new Decoder(model, ForwardOptions.defaults(), false);
            assertTrue(cached.usesCache());
            for (JsonNode c : golden.get("cases")) {
                int[] expectedIds = ints(c.get("input_ids"));
                int[] ids = tokenizer.encode(c.get("prompt").asText());
                assertArrayEquals(expectedIds, ids, "token ids of " + c.get("prompt"));
                try (NDManager step = scope.newSubManager()) {
                    NDArray logits = model.forward(step, TokenBatch.single(ids, eos)).logits(); // (1, T, V)
                    compared += compareLogits(logits, c, ids.length, 1e-4);
                }
                JsonNode greedy = c.has("greedy_next8") ? c.get("greedy_next8") : c.get("greedy_next6");
                int[] expected = ints(greedy);
                int max = c.has("greedy_next8") ? 8 : 6;
                int[] viaCache = cached.greedy(List.of(ids), max, eos).get(0);
                int[] viaFull = uncached.greedy(List.of(ids), max, eos).get(0);
                assertArrayEquals(expected, viaFull, "greedy tokens (full forward) of " + c.get("prompt"));
                assertArrayEquals(expected, viaCache, "greedy tokens (KV cache) of " + c.get("prompt"));
                greedyCompared += expected.length;
            }
        }
        assertTrue(compared > 4 * 5 * 5, "compared " + compared + " logits");
        assertTrue(greedyCompared >= 4, "compared " + greedyCompared + " greedy tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gptj-micro", "hf-llama-micro", "hf-qwen2-micro", "hf-gpt2-micro"})
    void bf16AndShardedCopiesLoadToTheSameLogits(String name, @TempDir Path tmp) throws Exception {
        Path dir = fixture(name);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        Path sharded = tmp.resolve("sharded");
        Path bf16 = tmp.resolve("bf16");
        try (CausalLm model = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice())) {
            Checkpoint.save(model, sharded, new Checkpoint.WeightFormat("F32", 40_000));
            Checkpoint.save(model, bf16, new Checkpoint.WeightFormat("BF16", 0));
        }
        long shards;
        try (Stream<Path> files = Files.list(sharded)) {
            shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
        }
        assertTrue(shards >= 2, "shards written: " + shards);
        assertTrue(Files.isRegularFile(sharded.resolve(Checkpoint.INDEX_FILE)));
        assertTrue(!Files.exists(sharded.resolve(Checkpoint.WEIGHTS_FILE)));
        // bf16 keeps 8 bits of mantissa: logits of these scaled weights move by up to a few 1e-2.
        for (Object[] copy : new Object[][] {{sharded, 1e-4}, {bf16, 0.15}}) {
            try (CausalLm model = Checkpoint.loadModel((Path) copy[0], Engine.getInstance().defaultDevice());
                    NDManager scope = NDManager.newBaseManager()) {
                for (JsonNode c : golden.get("cases")) {
                    int[] ids = ints(c.get("input_ids"));
                    NDArray logits = model.forward(scope, TokenBatch.single(ids, model.config().eosTokenId())).logits();
                    compareLogits(logits, c, ids.length, (double) copy[1]);
                }
            }
        }
    }

    /** Compares the top-5 logits at every position and the last position's sample; returns the count. */
    static int compareLogits(NDArray logits, JsonNode c, int length, double tolerance) {
        int compared = 0;
        JsonNode topIds = c.get("top5_ids");
        JsonNode topLogits = c.get("top5_logits");
        for (int t = 0; t < length; t++) {
            float[] row = logits.get(0, t).toFloatArray();
            for (int k = 0; k < 5; k++) {
                int id = topIds.get(t).get(k).asInt();
                assertEquals(topLogits.get(t).get(k).asDouble(), row[id], tolerance, "position " + t + " token " + id);
                compared++;
            }
        }
        float[] last = logits.get(0, length - 1).toFloatArray();
        JsonNode sample = c.get("last_logits_sample");
        for (int i = 0; i < sample.get("ids").size(); i++) {
            int id = sample.get("ids").get(i).asInt();
            assertEquals(sample.get("values").get(i).asDouble(), last[id], tolerance, "last-position logit of " + id);
            compared++;
        }
        return compared;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
