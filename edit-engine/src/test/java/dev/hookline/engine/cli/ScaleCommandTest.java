/*
 * `hookline scale` end to end on the configured device (CI: the CPU) with tiny shapes of both architectures: it builds the
 * random model, runs the statistics pass, a batch of edits, their evaluation and the timed
 * decoding (KV-cached hooked vs unhooked, and uncached), and writes scale.json with every field.
 * Times are not asserted (they go to benchmark figures); shapes, counts and flags are.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.device.ComputeDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleCommandTest {

    /** The configured device (CI: the CPU; the GPU machine: HOOKLINE_DEVICE=gpu), passed on unchanged. */
    private static final String DEVICE = ComputeDevice.configuredSpec();

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    private static final List<String> TIMES = List.of("initSeconds", "statisticsSeconds", "evaluationSeconds",
            "msPerTokenUnhookedCached", "msPerTokenHookedCached", "hookedOverUnhookedCached", "msPerTokenUnhooked",
            "msPerTokenHooked", "hookedOverUnhooked");

    private static JsonNode scale(Path out, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--device", DEVICE, "scale", "--layers", "2",
                "--hidden", "64", "--heads", "4", "--mlp-size", "128", "--statistics-lines", "40", "--batch", "4",
                "--batches", "1", "--tokens", "6", "--out", out.toString()));
        args.addAll(List.of(extra));
        CliRun r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("scale: arch="), r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("scale.json").toFile());
        assertEquals(ComputeDevice.configured().toString(), json.get("device").asText());
        assertEquals("[1]", json.get("editLayers").asText(), "the last of 2 blocks");
        assertEquals(40, json.get("statisticsLines").asInt());
        assertTrue(json.get("statisticsTokens").asInt() > 40, json.toString());
        assertEquals(4, json.get("evaluatedEdits").asInt());
        assertEquals(1, json.get("secondsPerBatch").asText().split(",").length, json.toString());
        double reliability = json.get("reliability").asDouble();
        assertTrue(reliability >= 0 && reliability <= 1, json.toString());
        assertEquals(6, json.get("inferenceTokens").asInt());
        assertTrue(json.get("hookedUsesCache").asBoolean(), "the default method serves position by position");
        for (String f : TIMES) {
            assertTrue(json.has(f) && json.get(f).asDouble() > 0 && Double.isFinite(json.get(f).asDouble()),
                    f + " in " + json);
        }
        return json;
    }

    @Test
    void gpt2ShapeRunsEndToEnd(@TempDir Path tmp) throws Exception {
        JsonNode json = scale(tmp.resolve("gpt2"));
        assertEquals("gpt2", json.get("arch").asText());
        assertEquals("coachhook-span-relation", json.get("method").asText());
        // wte (V, 64) + wpe (128, 64) + 2 blocks + ln_f, as Gpt2Config.parameterCount counts them.
        int vocab = vocab(tmp.resolve("gpt2"));
        long d = 64;
        long ff = 128;
        long block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * ff + ff) + (ff * d + d);
        assertEquals(vocab * d + 128 * d + 2 * block + 2 * d, json.get("params").asLong());
    }

    @Test
    void llamaShapeRunsEndToEnd(@TempDir Path tmp) throws Exception {
        JsonNode json = scale(tmp.resolve("llama"), "--arch", "llama", "--kv-heads", "2");
        assertEquals("llama", json.get("arch").asText());
        assertTrue(json.get("shape").asText().contains("2 kv heads"), json.toString());
        assertTrue(json.get("shape").asText().contains("rope theta 500000"), json.toString());
        // embed (V, 64), tied head; per block: 2 norms, q (64x64), k and v (64x32: 2 of 4 heads), o, gate, up, down.
        int vocab = vocab(tmp.resolve("llama"));
        long d = 64;
        long ff = 128;
        long block = 2 * d + d * d + 2 * d * 32 + d * d + 3 * d * ff;
        assertEquals(vocab * d + 2 * block + d, json.get("params").asLong());
    }

    @Test
    void theFaithfulMethodHasNoCachedHookedFigure(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("seq");
        CliRun r = run("--device", DEVICE, "scale", "--layers", "2", "--hidden", "32", "--heads", "2", "--mlp-size", "64",
                "--statistics-lines", "20", "--batch", "2", "--batches", "1", "--tokens", "4", "--method", "coachhook",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(out.resolve("scale.json").toFile());
        assertFalse(json.get("hookedUsesCache").asBoolean());
        assertFalse(json.has("msPerTokenHookedCached"));
        assertTrue(json.get("msPerTokenUnhookedCached").asDouble() > 0);
        assertTrue(json.get("hookedOverUnhooked").asDouble() > 0);
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path tmp) {
        CliRun arch = run("scale", "--arch", "gptj", "--out", tmp.resolve("a").toString());
        assertEquals(2, arch.code());
        assertTrue(arch.err().contains("--arch must be one of [gpt2, llama]"), arch.err());
        CliRun kv = run("scale", "--kv-heads", "3", "--out", tmp.resolve("b").toString());
        assertEquals(2, kv.code());
        assertTrue(kv.err().contains("--kv-heads and --rope-theta are llama options"), kv.err());
        CliRun heads = run("scale", "--arch", "llama", "--heads", "32", "--kv-heads", "5", "--out", tmp.resolve("c").toString());
        assertEquals(2, heads.code());
        assertTrue(heads.err().contains("key/value heads dividing the heads"), heads.err());
        CliRun method = run("scale", "--method", "memit", "--out", tmp.resolve("d").toString());
        assertEquals(2, method.code());
        assertTrue(method.err().contains("method must be one of"), method.err());
        assertFalse(Files.exists(tmp.resolve("a")) || Files.exists(tmp.resolve("b")) || Files.exists(tmp.resolve("c"))
                || Files.exists(tmp.resolve("d")), "nothing written on a usage error");
    }

    /** The demo world's vocabulary, which the bench's model is built over. */
    private static int vocab(Path world) {
        return dev.hookline.world.FactWorld.generate(dev.hookline.world.WorldPreset.named("demo")).tokenizer().vocabSize();
    }
}
