/*
 * Issue 5, tests 3 and 4 plus the job-control paths, against one real registry:
 * - the object store goes down while the worker uploads -> the job fails, no version is recorded;
 * - a corrupted blob in the bucket -> the worker refuses it with an error naming the digest;
 * - a running batch is cancelled -> the worker stops at the next phase boundary, nothing recorded;
 * - graceful shutdown mid-job releases the lease -> another worker completes it (attempt 2);
 * - unsupported method and unknown hyperparameter -> refused at submission once a worker advertised its methods.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class FailureModesTest extends RegistryBackedTest {
    static final ExecutorService RUNNER = Executors.newSingleThreadExecutor();

    @AfterAll
    static void stopRunner() {
        RUNNER.shutdownNow();
    }

    /** Hyperparameters that make the compute phase last several seconds (no early stop). */
    static ObjectNode slow() {
        return RegistryClient.json().createObjectNode().put("valueSteps", 200).put("stopLoss", 0.0);
    }

    static boolean inPhase(JsonNode batch, String phase) {
        return phase.equals(batch.path("progress").path("phase").asText());
    }

    @Test
    void objectStoreDownDuringUploadFailsTheJobAndRecordsNoVersion() throws Exception {
        long batchId = fx.submit("store-down", "coachhook", slow(), fx.cases.subList(30, 34)).path("id").asLong();
        int versionsBefore = fx.versions().size();
        Path bucket = fx.registry.blobDir().resolve("hookline");
        Path away = fx.registry.blobDir().resolve("hookline.down");
        assertTrue(Files.isDirectory(bucket), "S3Proxy bucket folder " + bucket);
        try (EditorWorker w = EditorWorker.create(fx.worker(tmp.resolve("cache-store"), "w-store").build())) {
            Future<EditorWorker.Result> run = RUNNER.submit(w::runOnce);
            fx.awaitBatch(batchId, Duration.ofSeconds(120), b -> inPhase(b, "compute"), "compute");
            // The object store loses its bucket: every PUT/HEAD of a blob fails from now on.
            Files.move(bucket, away);
            Files.writeString(bucket, "not a bucket");
            try {
                assertEquals(EditorWorker.Result.FAILED, run.get(300, TimeUnit.SECONDS));
            } finally {
                Files.delete(bucket);
                Files.move(away, bucket);
            }
        }
        JsonNode batch = fx.batch(batchId);
        assertEquals("FAILED", batch.path("status").asText());
        String error = batch.path("error").asText();
        assertTrue(error.contains("phase upload") && error.contains("object store"), error);
        assertTrue(batch.path("resultVersionId").isNull());
        assertEquals(versionsBefore, fx.versions().size(), "no version recorded");
    }

    @Test
    void corruptedBlobIsRefusedNamingItsDigest() throws Exception {
        JsonNode model = fx.admin.get("/api/models/" + fx.modelId);
        String key = null;
        for (JsonNode e : model.path("checkpoint")) {
            if (e.path("role").asText().equals("model.safetensors")) {
                key = e.path("key").asText();
            }
        }
        Path stored = fx.registry.blobDir().resolve("hookline").resolve(key);
        assertTrue(Files.isRegularFile(stored), "stored object " + stored);
        byte[] original = Files.readAllBytes(stored);
        byte[] corrupt = original.clone();
        corrupt[corrupt.length / 2] ^= 0x5a;
        Files.write(stored, corrupt);
        try {
            long batchId = fx.submit("corrupt", "coachhook", null, fx.cases.subList(40, 42)).path("id").asLong();
            try (EditorWorker w = EditorWorker.create(fx.worker(tmp.resolve("cache-corrupt"), "w-corrupt").build())) {
                assertEquals(EditorWorker.Result.FAILED, w.runOnce());
            }
            JsonNode batch = fx.batch(batchId);
            assertEquals("FAILED", batch.path("status").asText());
            String error = batch.path("error").asText();
            assertTrue(error.contains(key) && error.contains("phase pull"), error);
            assertTrue(error.contains("failed verification"), error);
            assertTrue(batch.path("resultVersionId").isNull());
            assertTrue(Files.notExists(tmp.resolve("cache-corrupt/blobs").resolve(key.substring(7))),
                    "refused bytes are not cached");
        } finally {
            Files.write(stored, original);
        }
    }

    @Test
    void cancelledRunningJobStopsWithoutRecording() throws Exception {
        long batchId = fx.submit("cancel", "coachhook", slow(), fx.cases.subList(50, 54)).path("id").asLong();
        int versionsBefore = fx.versions().size();
        try (EditorWorker w = EditorWorker.create(fx.worker(tmp.resolve("cache-cancel"), "w-cancel").build())) {
            Future<EditorWorker.Result> run = RUNNER.submit(w::runOnce);
            fx.awaitBatch(batchId, Duration.ofSeconds(120), b -> inPhase(b, "compute"), "compute");
            fx.submitter.post("/api/batches/" + batchId + "/cancel", Map.of("reason", "wrong facts"));
            assertEquals(EditorWorker.Result.CANCELLED, run.get(300, TimeUnit.SECONDS));
            assertEquals(1, w.metrics().jobs("cancelled"));
        }
        assertEquals("CANCELLED", fx.batch(batchId).path("status").asText());
        assertEquals(versionsBefore, fx.versions().size());
    }

    @Test
    void gracefulShutdownReleasesTheLeaseAndAnotherWorkerCompletes() throws Exception {
        long batchId = fx.submit("release", "coachhook", slow(), fx.cases.subList(60, 63)).path("id").asLong();
        EditorWorker first = EditorWorker.create(fx.worker(tmp.resolve("cache-r1"), "w-first")
                .shutdownGrace(Duration.ZERO).build()).start();
        fx.awaitBatch(batchId, Duration.ofSeconds(120), b -> inPhase(b, "compute"), "compute");
        first.close();
        JsonNode queued = fx.batch(batchId);
        assertEquals("QUEUED", queued.path("status").asText(), queued.toString());
        assertEquals("QUEUED", queued.path("job").path("status").asText());
        assertEquals(1, queued.path("job").path("attempt").asInt());
        // The engine's autograd is process-global: let the first worker's computation end first.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (first.busy() && System.nanoTime() < end) {
            Thread.sleep(200);
        }
        assertEquals(1, first.metrics().jobs("released") + first.metrics().jobs("lost"), first.metrics().scrape());
        try (EditorWorker second = EditorWorker.create(fx.worker(tmp.resolve("cache-r2"), "w-second").build())) {
            assertEquals(EditorWorker.Result.DONE, second.runOnce());
        }
        JsonNode done = fx.batch(batchId);
        assertEquals("COMPUTED", done.path("status").asText());
        assertEquals(2, done.path("job").path("attempt").asInt());
        assertTrue(done.path("job").path("leasedBy").asText().contains("w-second"));
    }

    /**
     * Issue 25: a started worker advertises its methods and hyperparameter schema, and the registry
     * then refuses at submission what the worker would fail (the worker's own refusal of the same
     * batches is EditMappingTest's). The advertisement is posted exactly as EditorWorker does.
     */
    @Test
    void unsupportedMethodAndUnknownHyperparameterAreRefusedAtSubmission() {
        RegistryClient asWorker = new RegistryClient(fx.registry.url(), fx.workerToken);
        ObjectNode ad = RegistryClient.json().createObjectNode().put("name", "w-bad").put("modelId", fx.modelId);
        ad.set("methods", EditMapping.advertisement());
        asWorker.post("/api/workers", ad);
        RegistryException memit = assertThrows(RegistryException.class,
                () -> fx.submit("memit", "memit", null, fx.cases.subList(70, 71)));
        assertEquals(422, memit.status());
        assertTrue(memit.detail().contains("'memit' is not run by any editor worker"), memit.detail());
        RegistryException typo = assertThrows(RegistryException.class, () -> fx.submit("typo", "coachhook",
                RegistryClient.json().createObjectNode().put("lamda", 5), fx.cases.subList(71, 72)));
        assertEquals(422, typo.status());
        assertTrue(typo.detail().contains("hyperparameters.lamda"), typo.detail());
        // the schema the worker advertised accepts what it runs
        assertEquals("QUEUED", fx.submit("typo-fixed", "coachhook",
                RegistryClient.json().createObjectNode().put("lambda", 5), fx.cases.subList(71, 72))
                .path("status").asText());
        assertTrue(fx.admin.get("/api/workers").toString().contains("coachhook-span-relation"));
        // codebook-nearest (and codebook-subject) edit one layer: two are refused at submission, named or as the
        // recommended method of a new branch (no method), not failed by the worker later; one layer is accepted
        com.fasterxml.jackson.databind.node.ArrayNode two = RegistryClient.json().createArrayNode().add(1).add(2);
        for (String method : new String[] {"codebook-nearest", "codebook-subject", null}) {
            RegistryException layers = assertThrows(RegistryException.class, () -> fx.submit("cb-two-" + method,
                    method, RegistryClient.json().createObjectNode().set("layers", two), fx.cases.subList(72, 73)));
            assertEquals(422, layers.status(), layers.detail());
            assertTrue(layers.detail().contains("hyperparameters.layers") && layers.detail().contains("'"
                    + (method == null ? "codebook-subject" : method) + "' takes at most 1 item"), layers.detail());
        }
        JsonNode one = fx.submit("cb-one", null, RegistryClient.json().createObjectNode()
                .set("layers", RegistryClient.json().createArrayNode().add(1)), fx.cases.subList(72, 73));
        assertEquals("QUEUED", one.path("status").asText());
        assertEquals("codebook-subject", one.path("method").asText());
        fx.submitter.post("/api/batches/" + one.path("id").asLong() + "/cancel",
                RegistryClient.json().createObjectNode().put("reason", "only the submission was under test"));
        // a schema's maxItems must be a positive integer on an integer-array
        ObjectNode badAd = RegistryClient.json().createObjectNode().put("name", "w-bad-max").put("modelId", fx.modelId);
        badAd.putObject("methods").putObject("codebook-nearest").putObject("hyperparameters").putObject("alpha0")
                .put("type", "number").put("maxItems", 1);
        RegistryException badMax = assertThrows(RegistryException.class, () -> asWorker.post("/api/workers", badAd));
        assertEquals(400, badMax.status(), badMax.detail());
        assertTrue(badMax.detail().contains("maxItems"), badMax.detail());
    }
}
