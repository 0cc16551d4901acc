/*
 * Test support for the editor worker: a real registry child process (testkit RegistryProcess:
 * embedded PostgreSQL + S3Proxy), the cached tiny-world model onboarded through the worker's own
 * ModelOnboarding, tokens per role, and edit batches made from the tiny world's CounterFact cases.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.testkit.RegistryProcess;
import dev.hookline.testkit.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** One registry with the tiny model registered; close to stop the registry. */
final class WorkerFixture implements AutoCloseable {
    final RegistryProcess registry;
    final RegistryClient admin;
    final RegistryClient submitter;
    final String workerToken;
    final long modelId;
    final Path modelDir;
    final List<EditRequest> cases;

    WorkerFixture(Path dataDir) throws Exception {
        modelDir = TestModels.tiny();
        registry = RegistryProcess.start(dataDir);
        admin = registry.admin();
        submitter = registry.client("editor-" + System.nanoTime(), "SUBMITTER");
        workerToken = registry.createToken("worker", "WORKER");
        // Statistics for the default editing layer (the tiny model's last block, layer 2).
        JsonNode model = new ModelOnboarding(admin).register("tiny-" + System.nanoTime(), modelDir, 1000);
        modelId = model.path("id").asLong();
        assertTrue(model.path("status").asText().equals("STATS_READY"), "model not STATS_READY: " + model);
        cases = CounterFactDataset.toEditRequests(CounterFactDataset.load(modelDir.resolve("world/counterfact.json")));
    }

    /** A worker configuration against this registry with a private cache. */
    WorkerConfig.Builder worker(Path cache, String name) {
        return WorkerConfig.builder(registry.url(), workerToken).name(name).cacheDir(cache).leaseSeconds(30)
                .heartbeat(Duration.ofSeconds(2)).poll(Duration.ofMillis(300)).modelId(modelId);
    }

    /** The registry's edit JSON of a CounterFact case (neighbourhood prompts become locality probes). */
    static ObjectNode edit(EditRequest r) {
        ObjectNode e = RegistryClient.json().createObjectNode();
        e.put("subject", r.subject());
        e.put("prompt", r.prompt());
        e.put("targetNew", r.targetNew());
        if (r.targetTrue() != null) {
            e.put("targetTrue", r.targetTrue());
        }
        ArrayNode para = e.putArray("paraphrases");
        r.paraphrasePrompts().stream().limit(2).forEach(para::add);
        ArrayNode loc = e.putArray("locality");
        for (int i = 0; i < Math.min(3, r.neighborhoodPrompts().size()); i++) {
            loc.addObject().put("prompt", r.neighborhoodPrompts().get(i)).put("expected", r.neighborhoodTarget());
        }
        return e;
    }

    /** Submits a queued batch of {@code edits} on {@code branch}; answers the batch view. */
    JsonNode submit(String branch, String method, JsonNode hyperparameters, List<EditRequest> edits) {
        ObjectNode body = RegistryClient.json().createObjectNode();
        body.put("modelId", modelId);
        body.put("branch", branch);
        body.put("method", method);
        if (hyperparameters != null) {
            body.set("hyperparameters", hyperparameters);
        }
        body.put("reason", "worker test");
        body.put("queue", true);
        ArrayNode arr = body.putArray("edits");
        edits.forEach(r -> arr.add(edit(r)));
        return submitter.post("/api/batches", body);
    }

    /**
     * Downloads, verified, the model's base checkpoint into {@code modelDir} and {@code version}'s
     * serving blobs into {@code bundleDir}, as a serving node does.
     */
    void downloadServing(JsonNode version, java.nio.file.Path modelDir, java.nio.file.Path bundleDir) {
        for (JsonNode e : admin.get("/api/models/" + modelId).path("checkpoint")) {
            admin.downloadBlob(new dev.hookline.client.BlobRef(e.path("key").asText(), e.path("size").asLong()),
                    modelDir.resolve(e.path("role").asText()));
        }
        for (JsonNode e : version.path("manifest").path("serving")) {
            admin.downloadBlob(new dev.hookline.client.BlobRef(e.path("key").asText(), e.path("size").asLong()),
                    bundleDir.resolve(e.path("role").asText()));
        }
    }

    JsonNode batch(long id) {
        return admin.get("/api/batches/" + id);
    }

    /** Polls the batch until {@code condition} holds (fails the test after {@code timeout}). */
    JsonNode awaitBatch(long id, Duration timeout, Predicate<JsonNode> condition, String what) {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode b = batch(id);
        while (System.nanoTime() < end) {
            b = batch(id);
            if (condition.test(b)) {
                return b;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("batch " + id + " did not reach '" + what + "' within " + timeout.toSeconds() + " s; last: " + b);
        return b;
    }

    /**
     * The registry's count of blob uploads by path ({@code presigned} or {@code streamed}) and
     * outcome ({@code created}, {@code existing}, {@code refused}; null: all), from /q/metrics.
     */
    double blobUploads(String path, String outcome) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(registry.url().resolve("/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("hookline_blob_uploads_total{") && line.contains("path=\"" + path + "\"")
                    && (outcome == null || line.contains("outcome=\"" + outcome + "\""))) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The versions of the fixture's model. */
    JsonNode versions() {
        return admin.get("/api/models/" + modelId + "/versions");
    }

    @Override
    public void close() {
        registry.close();
    }
}
