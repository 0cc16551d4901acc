/*
 * Checkpoint IO: bit-exact round trip, HF GPT-2 names and Conv1D shapes, clear errors naming the
 * tensor, HF quirks (no prefix, attn.bias buffers, tied lm_head) and F16/BF16/F64 reading.
 */
package dev.hookline.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.testing.MicroModels;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @Test
    void roundTripIsBitExact(@TempDir Path tmp) throws Exception {
        Path first = tmp.resolve("a");
        Path second = tmp.resolve("b");
        MicroModels.write(21, first);
        try (Gpt2Model original = MicroModels.create(21, DataType.FLOAT32);
                Gpt2Model loaded = Checkpoint.load(first, Engine.getInstance().defaultDevice())) {
            assertEquals(original.config(), loaded.config());
            for (String name : original.parameters().keySet()) {
                float[] a = original.parameter(name).toFloatArray();
                float[] b = loaded.parameter(name).toFloatArray();
                assertEquals(a.length, b.length, name);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), name + "[" + i + "]");
                }
            }
            Checkpoint.save(loaded, second);
        }
        assertArrayEquals(Files.readAllBytes(first.resolve("model.safetensors")),
                Files.readAllBytes(second.resolve("model.safetensors")));
        assertEquals(Files.readString(first.resolve("config.json")), Files.readString(second.resolve("config.json")));
    }

    @Test
    void writesHfGpt2NamesShapesAndMetadata(@TempDir Path tmp) throws Exception {
        MicroModels.write(2, tmp);
        Gpt2Config config = MicroModels.config();
        try (SafeTensors.Reader reader = SafeTensors.open(tmp.resolve("model.safetensors"))) {
            assertEquals(Map.of("format", "pt"), reader.metadata());
            assertEquals(2 + 12 * config.layerCount() + 2, reader.tensors().size());
            assertFalse(reader.tensors().containsKey("lm_head.weight"));
            assertArrayEquals(new long[] {23, 8}, reader.tensors().get("transformer.wte.weight").shape());
            assertArrayEquals(new long[] {16, 8}, reader.tensors().get("transformer.wpe.weight").shape());
            assertArrayEquals(new long[] {8, 24}, reader.tensors().get("transformer.h.1.attn.c_attn.weight").shape());
            assertArrayEquals(new long[] {8, 8}, reader.tensors().get("transformer.h.0.attn.c_proj.weight").shape());
            assertArrayEquals(new long[] {8, 24}, reader.tensors().get("transformer.h.0.mlp.c_fc.weight").shape());
            assertArrayEquals(new long[] {24, 8}, reader.tensors().get("transformer.h.1.mlp.c_proj.weight").shape());
            assertArrayEquals(new long[] {8}, reader.tensors().get("transformer.ln_f.bias").shape());
            for (SafeTensors.TensorInfo info : reader.tensors().values()) {
                assertEquals("F32", info.dtype(), info.name());
            }
        }
        byte[] bytes = Files.readAllBytes(tmp.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        var config2 = new ObjectMapper().readTree(tmp.resolve("config.json").toFile());
        assertEquals(24, config2.get("n_inner").asInt());
        assertEquals("gelu_new", config2.get("activation_function").asText());
        assertEquals(8, config2.get("n_embd").asInt());
        assertTrue(config2.get("tie_word_embeddings").asBoolean());
    }

    @Test
    void missingTensorIsNamed(@TempDir Path tmp) throws Exception {
        MicroModels.write(3, tmp);
        rewrite(tmp, tensors -> tensors.remove("transformer.h.1.mlp.c_fc.bias"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(tmp, Engine.getInstance().defaultDevice()));
        assertTrue(e.getMessage().contains("missing tensor transformer.h.1.mlp.c_fc.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("[24]"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamedWithExpectedAndActual(@TempDir Path tmp) throws Exception {
        MicroModels.write(4, tmp);
        rewrite(tmp, tensors -> {
            float[] v = tensors.get("transformer.h.0.mlp.c_proj.weight").data();
            tensors.put("transformer.h.0.mlp.c_proj.weight",
                    new SafeTensors.FloatTensor("transformer.h.0.mlp.c_proj.weight", new long[] {8, 24}, v));
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(tmp, Engine.getInstance().defaultDevice()));
        assertTrue(e.getMessage().contains("tensor transformer.h.0.mlp.c_proj.weight has shape [8, 24], expected [24, 8]"),
                e.getMessage());
    }

    @Test
    void acceptsHfVariantsAndRejectsUntiedHead(@TempDir Path tmp) throws Exception {
        MicroModels.write(5, tmp);
        // No "transformer." prefix, causal-mask buffers, and an lm_head equal to wte: accepted.
        rewrite(tmp, tensors -> {
            Map<String, SafeTensors.FloatTensor> renamed = new LinkedHashMap<>();
            tensors.forEach((k, v) -> renamed.put(k.substring(12), new SafeTensors.FloatTensor(k.substring(12), v.shape(), v.data())));
            renamed.put("h.0.attn.bias", new SafeTensors.FloatTensor("h.0.attn.bias", new long[] {1, 1, 16, 16}, new float[256]));
            renamed.put("h.1.attn.masked_bias", new SafeTensors.FloatTensor("h.1.attn.masked_bias", new long[] {}, new float[] {-1e4f}));
            SafeTensors.FloatTensor wte = renamed.get("wte.weight");
            renamed.put("lm_head.weight", new SafeTensors.FloatTensor("lm_head.weight", wte.shape(), wte.data()));
            tensors.clear();
            tensors.putAll(renamed);
        });
        try (Gpt2Model loaded = Checkpoint.load(tmp, Engine.getInstance().defaultDevice());
                Gpt2Model original = MicroModels.create(5, DataType.FLOAT32)) {
            assertArrayEquals(original.parameter("transformer.h.1.mlp.c_proj.weight").toFloatArray(),
                    loaded.parameter("transformer.h.1.mlp.c_proj.weight").toFloatArray());
        }
        rewrite(tmp, tensors -> {
            SafeTensors.FloatTensor head = tensors.get("lm_head.weight");
            float[] changed = head.data().clone();
            changed[3] += 1f;
            tensors.put("lm_head.weight", new SafeTensors.FloatTensor("lm_head.weight", head.shape(), changed));
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(tmp, Engine.getInstance().defaultDevice()));
        assertTrue(e.getMessage().contains("lm_head.weight differs"), e.getMessage());
        rewrite(tmp, tensors -> tensors.put("h.0.mlp.extra", new SafeTensors.FloatTensor("h.0.mlp.extra", new long[] {1}, new float[1])));
        e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(tmp, Engine.getInstance().defaultDevice()));
        assertTrue(e.getMessage().contains("h.0.mlp.extra"), e.getMessage());
    }

    @Test
    void readsHalfBfloatAndDoubleAsFloat32(@TempDir Path tmp) throws Exception {
        ObjectNode header = new ObjectMapper().createObjectNode();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, 2^-24 (smallest subnormal) = 0x0001
        ByteBuffer f16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3C00).putShort((short) 0xC100).putShort((short) 0x0001);
        // BF16: upper half of float bits of 3.140625 and -0.5
        ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) (Float.floatToIntBits(3.140625f) >>> 16))
                .putShort((short) (Float.floatToIntBits(-0.5f) >>> 16));
        ByteBuffer f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-7);
        long offset = 0;
        for (Object[] t : new Object[][] {{"h", "F16", f16}, {"b", "BF16", bf16}, {"d", "F64", f64}}) {
            byte[] bytes = ((ByteBuffer) t[2]).array();
            ObjectNode entry = header.putObject((String) t[0]);
            entry.put("dtype", (String) t[1]);
            entry.putArray("shape").add(bytes.length / (t[1].equals("F64") ? 8 : 2));
            entry.putArray("data_offsets").add(offset).add(offset + bytes.length);
            offset += bytes.length;
            data.write(bytes);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
        file.write(json);
        file.write(data.toByteArray());
        Path path = tmp.resolve("mixed.safetensors");
        Files.write(path, file.toByteArray());
        try (SafeTensors.Reader reader = SafeTensors.open(path)) {
            assertArrayEquals(new float[] {1f, -2.5f, (float) Math.pow(2, -24)}, reader.readFloats("h"));
            assertArrayEquals(new float[] {3.140625f, -0.5f}, reader.readFloats("b"));
            assertArrayEquals(new float[] {0.1f, -7f}, reader.readFloats("d"));
            assertEquals(Set.of("h", "b", "d"), reader.tensors().keySet());
        }
        // A truncated file is rejected with the offending tensor's offsets.
        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(file.toByteArray(), file.size() - 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.open(truncated));
        assertTrue(e.getMessage().contains("tensor d"), e.getMessage());
    }

    private interface Edit {
        void apply(Map<String, SafeTensors.FloatTensor> tensors);
    }

    /** Rewrites dir/model.safetensors after {@code edit} changed its tensors. */
    private static void rewrite(Path dir, Edit edit) throws Exception {
        Path file = dir.resolve("model.safetensors");
        Map<String, SafeTensors.FloatTensor> tensors = new LinkedHashMap<>();
        try (SafeTensors.Reader reader = SafeTensors.open(file)) {
            for (SafeTensors.TensorInfo info : reader.tensors().values()) {
                tensors.put(info.name(), new SafeTensors.FloatTensor(info.name(), info.shape(), reader.readFloats(info.name())));
            }
        }
        edit.apply(tensors);
        List<SafeTensors.FloatTensor> list = new ArrayList<>(tensors.values());
        SafeTensors.write(file, list, Map.of("format", "pt"));
    }
}
