/*
 * `worker register-model --corpus FILE` against the real registry (child process: embedded
 * PostgreSQL + S3Proxy): the model's C0 comes from the user's corpus (JSON lines here), the corpus
 * travels with the model as its bytes and a record of which file it was, an editing job that needs
 * statistics for other layers computes them from that corpus (on the model the process has loaded
 * already: LoadedModels), and a bad corpus is a CLI error with nothing registered.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.Sha256;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.LoadedModels;
import dev.hookline.testkit.RegistryProcess;
import dev.hookline.testkit.TestModels;
import dev.hookline.worker.cli.WorkerCliAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegisterModelCorpusTest {
    private static final int SAMPLE = 200;

    @TempDir
    static Path tmp;

    static RegistryProcess registry;
    static Path modelDir;

    @BeforeAll
    static void start() {
        modelDir = TestModels.tiny();
        registry = RegistryProcess.start(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    /** Runs `worker register-model` in-process; answers the exit code and what it printed to stderr. */
    private static Result registerModel(String... extra) {
        List<String> args = new ArrayList<>(List.of("register-model", "--registry", registry.url().toString(),
                "--token", registry.adminToken(), "--dir", modelDir.toString()));
        args.addAll(List.of(extra));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = WorkerCliAccess.execute(args.toArray(String[]::new));
            return new Result(code, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(err);
        }
    }

    private record Result(int code, String err) {}

    private static JsonNode modelNamed(String name) {
        for (JsonNode m : registry.admin().get("/api/models")) {
            if (m.path("name").asText().equals(name)) {
                return m;
            }
        }
        return null;
    }

    @Test
    void jsonLinesCorpusBecomesTheModelsStatistics() throws Exception {
        // The tiny world's corpus from its end backwards, as JSON lines: another sample than the default.
        List<String> world = Files.readAllLines(modelDir.resolve("world").resolve("corpus.txt"));
        List<String> reversed = new ArrayList<>(world);
        java.util.Collections.reverse(reversed);
        Path jsonl = tmp.resolve("user-corpus.jsonl");
        StringBuilder text = new StringBuilder();
        for (String line : reversed) {
            if (!line.isBlank()) {
                ObjectNode o = RegistryClient.json().createObjectNode().put("text", line).put("source", "test");
                text.append(RegistryClient.json().writeValueAsString(o)).append('\n');
            }
        }
        Files.writeString(jsonl, text);

        String name = "corpus-" + System.nanoTime();
        Result r = registerModel("--name", name, "--corpus", jsonl.toString(), "--stats-lines", String.valueOf(SAMPLE));
        assertEquals(0, r.code(), r.err());
        JsonNode model = modelNamed(name);
        assertNotNull(model, "registered");
        assertEquals("STATS_READY", model.path("status").asText());
        Map<String, JsonNode> stats = new HashMap<>();
        for (JsonNode e : model.path("stats")) {
            stats.put(e.path("role").asText(), e);
        }

        // The corpus travels as the user's own bytes ...
        assertEquals("sha256/" + Sha256.hex(jsonl), stats.get(JobExecution.ROLE_CORPUS).path("key").asText());
        // ... with the record of which file it was.
        JsonNode sourceEntry = stats.get(ModelOnboarding.ROLE_CORPUS_SOURCE);
        assertNotNull(sourceEntry, "corpus record in " + stats.keySet());
        Path sourceFile = tmp.resolve("source.json");
        registry.admin().downloadBlob(new BlobRef(sourceEntry.path("key").asText(), sourceEntry.path("size").asLong()),
                sourceFile);
        JsonNode source = RegistryClient.json().readTree(sourceFile.toFile());
        assertEquals("user-corpus.jsonl", source.path("file").asText());
        assertEquals(Sha256.hex(jsonl), source.path("sha256").asText());
        assertEquals("jsonl", source.path("format").asText());
        assertEquals(world.stream().filter(l -> !l.isBlank()).count(), source.path("texts").asLong());
        assertEquals(SAMPLE, source.path("statisticsLines").asInt());

        // C0 is the one over the JSON lines' texts, not over the world corpus the model directory holds.
        int[] layers = ModelOnboarding.defaultLayers(modelDir);
        String statsName = null;
        for (String role : stats.keySet()) {
            if (role.endsWith(".safetensors")) {
                statsName = role;
            }
        }
        assertNotNull(statsName, "statistics in " + stats.keySet());
        String registered = stats.get(statsName).path("key").asText();
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            LayerStatistics fromJsonl = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(),
                    EditData.readCorpus(jsonl), SAMPLE, layers, tmp.resolve("expected-jsonl"));
            LayerStatistics fromWorld = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), world, SAMPLE, layers,
                    tmp.resolve("expected-world"));
            assertEquals("sha256/" + fromJsonl.digest(), registered);
            assertNotEquals(fromWorld.digest(), fromJsonl.digest(), "the two corpora give different C0");
        }

        // An editing job on layers without statistics computes them from the registered corpus (its JSON
        // lines' texts, not the lines as written) and publishes them with the model.
        long modelId = model.path("id").asLong();
        RegistryClient submitter = registry.client("editor-" + System.nanoTime(), "SUBMITTER");
        List<dev.hookline.data.EditRequest> cases = dev.hookline.data.CounterFactDataset.toEditRequests(
                dev.hookline.data.CounterFactDataset.load(modelDir.resolve("world/counterfact.json")));
        ObjectNode batch = RegistryClient.json().createObjectNode();
        batch.put("modelId", modelId);
        batch.put("branch", "corpus-job");
        batch.put("method", "coachhook");
        batch.set("hyperparameters", RegistryClient.json().readTree("{\"layers\": [0, 1], \"lambda\": 10}"));
        batch.put("reason", "corpus test");
        batch.put("queue", true);
        cases.subList(0, 2).forEach(c -> batch.withArray("edits").add(WorkerFixture.edit(c)));
        long batchId = submitter.post("/api/batches", batch).path("id").asLong();
        WorkerConfig config = WorkerConfig.builder(registry.url(), registry.createToken("worker", "WORKER"))
                .name("w-corpus").cacheDir(tmp.resolve("worker-cache")).leaseSeconds(30)
                .heartbeat(java.time.Duration.ofSeconds(2)).poll(java.time.Duration.ofMillis(300)).modelId(modelId)
                .statisticsLines(SAMPLE).build();
        // The test loaded this checkpoint above; the job's copy in its working directory has the same files.
        long loadsBefore = LoadedModels.shared().loads();
        try (EditorWorker worker = EditorWorker.create(config)) {
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(),
                    registry.admin().get("/api/batches/" + batchId).toString());
        }
        assertEquals(loadsBefore, LoadedModels.shared().loads(), "the job used the process's loaded model");
        int[] jobLayers = {0, 1};
        String jobStats = null;
        for (JsonNode e : registry.admin().get("/api/models/" + modelId).path("stats")) {
            if (e.path("role").asText().contains("-L0_1-") && e.path("role").asText().endsWith(".safetensors")) {
                jobStats = e.path("key").asText();
            }
        }
        assertNotNull(jobStats, "statistics for layers 0,1 published by the job");
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            LayerStatistics expected = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(),
                    EditData.readCorpus(jsonl), SAMPLE, jobLayers, tmp.resolve("expected-job"));
            // What a worker reading the file as plain lines would have computed.
            LayerStatistics raw = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(),
                    Files.readAllLines(jsonl), SAMPLE, jobLayers, tmp.resolve("expected-raw"));
            assertNotEquals(raw.digest(), expected.digest(), "texts and raw JSON lines give different C0");
            assertEquals("sha256/" + expected.digest(), jobStats, "the job's C0 is over the user corpus's texts");
        }
    }

    @Test
    void aMalformedCorpusRegistersNothing() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"a fine line\"}\n{\"title\": \"no text here\"}\n");
        String name = "bad-corpus-" + System.nanoTime();
        Result r = registerModel("--name", name, "--corpus", bad.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().contains("\"text\""), r.err());
        assertFalse(modelNamed(name) != null, "nothing registered");
    }

    @Test
    void aMissingOrEmptyCorpusRegistersNothing() throws Exception {
        String name = "no-corpus-" + System.nanoTime();
        Result missing = registerModel("--name", name, "--corpus", tmp.resolve("absent.txt").toString());
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("corpus file not found") && missing.err().contains("absent.txt"), missing.err());

        Path blank = tmp.resolve("blank.txt");
        Files.writeString(blank, "\n   \n\n");
        Result empty = registerModel("--name", name, "--corpus", blank.toString());
        assertEquals(2, empty.code(), empty.err());
        assertTrue(empty.err().contains("holds no text"), empty.err());

        Result zero = registerModel("--name", name, "--stats-lines", "0");
        assertEquals(2, zero.code(), zero.err());
        assertTrue(zero.err().contains("--stats-lines"), zero.err());
        assertFalse(modelNamed(name) != null, "nothing registered");
    }

    @Test
    void editDefaultsAreRegisteredWithTheModelAndBadOnesRegisterNothing() throws Exception {
        String name = "defaults-" + System.nanoTime();
        for (String[] bad : List.of(
                new String[] {"codebook-nearest.alpha0", "--edit-default must be METHOD.KEY=VALUE"},
                new String[] {"codebook-nearest.alpha0=high", "must be a number"},
                new String[] {"codebook-nearest.alpha0=1.5", "alpha0 must be in [0, 1)"},
                new String[] {"codebook-nearest.layers=7", "the model's default 'layers'"},
                new String[] {"codebook-nearest.statsLines=4096", "model default 'statsLines'"},
                new String[] {"rome.alpha0=0.2", "method 'rome' is not supported"})) {
            Result r = registerModel("--name", name, "--edit-default", bad[0]);
            assertEquals(2, r.code(), bad[0] + ": " + r.err());
            assertTrue(r.err().contains(bad[1]), bad[0] + ": " + r.err());
        }
        assertFalse(modelNamed(name) != null, "nothing registered");
        Result ok = registerModel("--name", name, "--edit-default", "codebook-nearest.alpha0=0.2",
                "--edit-default", "codebook-nearest.layers=1", "--edit-default", "coachhook.lambda=800");
        assertEquals(0, ok.code(), ok.err());
        JsonNode d = modelNamed(name).path("editDefaults");
        assertEquals(0.2, d.path("codebook-nearest").path("alpha0").asDouble(), 0, d.toString());
        assertEquals(1, d.path("codebook-nearest").path("layers").get(0).asInt(), d.toString());
        assertEquals(800, d.path("coachhook").path("lambda").asInt(), d.toString());
        // The preset a fresh installation may build registers the threshold its dev stream chose.
        assertEquals(0.6, ModelBuild.presetEditDefaults("demo").path("codebook-nearest").path("alpha0").asDouble(), 0);
        assertEquals(0.3, ModelBuild.presetEditDefaults("demo").path("codebook-subject").path("alpha0").asDouble(), 0);
        assertEquals(0.2, ModelBuild.presetEditDefaults("tiny").path("codebook-nearest").path("alpha0").asDouble(), 0);
        assertEquals(0.1, ModelBuild.presetEditDefaults("tiny").path("codebook-subject").path("alpha0").asDouble(), 0);
        assertEquals(null, ModelBuild.presetEditDefaults("large"));
        ModelOnboarding.checkEditDefaults(ModelBuild.presetEditDefaults("demo"), 3);
        ModelOnboarding.checkEditDefaults(ModelBuild.presetEditDefaults("tiny"), 3);
    }
}
