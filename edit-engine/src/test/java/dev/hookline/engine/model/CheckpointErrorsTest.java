/*
 * Bad checkpoints of the non-GPT-2 architectures get errors that name the file and the tensor;
 * an unknown model_type names the supported ones; llama3 rope scaling follows its three bands.
 */
package dev.hookline.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.llama.RopeParameters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointErrorsTest {

    private static Path copyOf(String fixture, Path tmp) throws Exception {
        Path src = HfArchitecturesTest.fixture(fixture);
        Path dst = tmp.resolve(fixture);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
                dst.resolve(f.getFileName()).toFile().setWritable(true);
            }
        }
        return dst;
    }

    /** Rewrites the safetensors header's JSON through {@code edit} (data section unchanged). */
    private static void editHeader(Path file, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) new ObjectMapper().readTree(new String(bytes, 8, (int) length, StandardCharsets.UTF_8));
        edit.accept(header);
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[8 + padded + bytes.length - 8 - (int) length];
        ByteBuffer.wrap(out, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, out, 8, json.length);
        java.util.Arrays.fill(out, 8 + json.length, 8 + padded, (byte) ' ');
        System.arraycopy(bytes, 8 + (int) length, out, 8 + padded, bytes.length - 8 - (int) length);
        Files.write(file, out);
    }

    private static IllegalArgumentException loadFails(Path dir) {
        return assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice()).close());
    }

    @Test
    void missingTensorWrongShapeAndUnknownDtypeNameFileAndTensor(@TempDir Path tmp) throws Exception {
        Path dir = copyOf("hf-llama-micro", tmp);
        Path weights = dir.resolve("model.safetensors");
        byte[] original = Files.readAllBytes(weights);

        editHeader(weights, h -> h.remove("model.layers.1.mlp.down_proj.weight"));
        IllegalArgumentException e = loadFails(dir);
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage()
                .contains("missing tensor model.layers.1.mlp.down_proj.weight (expected shape [32, 88])"), e.getMessage());

        Files.write(weights, original);
        editHeader(weights, h -> ((ObjectNode) h.get("model.layers.0.self_attn.k_proj.weight"))
                .putArray("shape").add(8).add(64));
        e = loadFails(dir);
        assertTrue(e.getMessage().contains("model.safetensors: tensor model.layers.0.self_attn.k_proj.weight has shape"
                + " [8, 64], expected [16, 32]"), e.getMessage());

        Files.write(weights, original);
        editHeader(weights, h -> ((ObjectNode) h.get("model.norm.weight")).put("dtype", "I32"));
        e = loadFails(dir);
        assertTrue(e.getMessage().contains("model.safetensors: tensor model.norm.weight has dtype I32"), e.getMessage());
    }

    @Test
    void shardIndexErrorsNameTheIndexAndTheTensor(@TempDir Path tmp) throws Exception {
        Path dir = copyOf("hf-qwen2-micro", tmp);
        Path sharded = tmp.resolve("sharded");
        try (CausalLm model = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice())) {
            Checkpoint.save(model, sharded, new Checkpoint.WeightFormat("F32", 30_000));
        }
        Path index = sharded.resolve(Checkpoint.INDEX_FILE);
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(index.toFile());
        ((ObjectNode) root.get("weight_map")).put("model.layers.1.self_attn.q_proj.bias", "model-00009-of-00009.safetensors");
        Files.writeString(index, root.toString());
        IllegalArgumentException e = loadFails(sharded);
        assertTrue(e.getMessage().contains(Checkpoint.INDEX_FILE) && e.getMessage().contains("model-00009-of-00009")
                && e.getMessage().contains("model.layers.1.self_attn.q_proj.bias"), e.getMessage());
    }

    @Test
    void unsupportedModelTypeNamesTheSupportedOnes(@TempDir Path tmp) throws Exception {
        Path dir = copyOf("hf-gptj-micro", tmp);
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "falcon");
        Files.writeString(dir.resolve("config.json"), config.toString());
        IllegalArgumentException e = loadFails(dir);
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'falcon'")
                && e.getMessage().contains("[gpt2, gptj, llama, mistral, qwen2]"), e.getMessage());
    }

    @Test
    void mistralLoadsAsLlama(@TempDir Path tmp) throws Exception {
        Path dir = copyOf("hf-llama-micro", tmp);
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "mistral");
        config.putArray("architectures").add("MistralForCausalLM");
        config.put("sliding_window", 4096);
        Files.writeString(dir.resolve("config.json"), config.toString());
        try (CausalLm model = Checkpoint.loadModel(dir, Engine.getInstance().defaultDevice())) {
            assertEquals(Architecture.MISTRAL, model.architecture());
            assertEquals("model.layers.1.mlp.down_proj", model.mlpProjectionName(1));
            assertEquals(88, model.mlpProjectionWeight(1).getShape().get(0));
        }
    }

    @Test
    void tokenizerOfAnotherVocabularyIsRejectedNamingTheFile() throws Exception {
        Path gpt2 = HfArchitecturesTest.fixture("hf-gpt2-micro");
        try (TextTokenizer big = TextTokenizer.loadDirectory(gpt2)) {
            assertEquals(50257, big.vocabularySize());
            Path file = HfArchitecturesTest.fixture("hf-llama-micro").resolve("tokenizer.json");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> big.requireFits(485, file));
            assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("50256")
                    && e.getMessage().contains("485"), e.getMessage());
        }
    }

    @Test
    void llama3RopeKeepsHighFrequenciesDividesLowOnesAndSmoothsBetween() {
        // Llama 3.1 8B: theta 500000, factor 8, low 1, high 4, original context 8192, head 128.
        RopeParameters llama3 = new RopeParameters("llama3", 500000, 8, 1, 4, 8192, 1);
        float[] base = Rotary.defaultFrequencies(500000, 128);
        float[] scaled = llama3.inverseFrequencies(128);
        int kept = 0;
        int divided = 0;
        int smoothed = 0;
        for (int i = 0; i < base.length; i++) {
            double wavelen = 2 * Math.PI / base[i];
            if (wavelen < 8192 / 4.0) {
                assertEquals(base[i], scaled[i], 0f);
                kept++;
            } else if (wavelen > 8192 / 1.0) {
                assertEquals(base[i] / 8, scaled[i], base[i] * 1e-6);
                divided++;
            } else {
                double smooth = (8192 / wavelen - 1) / (4 - 1);
                assertEquals((1 - smooth) * base[i] / 8 + smooth * base[i], scaled[i], base[i] * 1e-6);
                assertTrue(scaled[i] < base[i] && scaled[i] > base[i] / 8);
                smoothed++;
            }
        }
        assertTrue(kept > 10 && divided > 10 && smoothed > 3, kept + " " + divided + " " + smoothed);
    }
}
