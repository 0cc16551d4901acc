/*
 * Issue 25, revert one batch and keep the later ones, checked where it matters: on a serving node.
 * Real registry (testkit RegistryProcess: embedded PostgreSQL + S3Proxy), the real editor worker on
 * the tiny model, the real serving node. Three batches of three edits on main; the middle batch is
 * reverted (POST /api/versions/{v2}/revert); the worker computes the revert batch (forked from v1,
 * the third batch's edits replayed); prod moves from v3 to the revert version. The node on v3
 * answers the second batch's facts; on the revert version it answers none of them and keeps the
 * first and third batches' facts.
 */
package dev.hookline.serving.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.serving.api.ApiDtos;
import dev.hookline.serving.api.ServingApi;
import dev.hookline.testkit.RegistryProcess;
import dev.hookline.testkit.TestModels;
import dev.hookline.worker.EditorWorker;
import dev.hookline.worker.ModelOnboarding;
import dev.hookline.worker.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevertServingTest {
    private static final int TOKENS = 3;
    private static final int PER_BATCH = 3;

    @TempDir
    Path tmp;

    @Test
    void revertOfTheMiddleBatchKeepsTheFirstAndThirdOnAServingNode() throws Exception {
        Path modelDir = TestModels.tiny();
        try (RegistryProcess registry = RegistryProcess.start(tmp.resolve("registry"))) {
            RegistryClient admin = registry.admin();
            String modelName = "tiny-revert";
            JsonNode model = new ModelOnboarding(admin).register(modelName, modelDir, 1000);
            long modelId = model.path("id").asLong();
            assertEquals("STATS_READY", model.path("status").asText(), model.toString());
            RegistryClient submitter = registry.client("editor", "SUBMITTER");
            RegistryClient reviewer = registry.client("reviewer", "REVIEWER");
            RegistryClient releaser = registry.client("releaser", "RELEASER");
            String servingToken = registry.createToken("serving-node", "SERVING");
            List<EditRequest> cases = CounterFactDataset.toEditRequests(
                    CounterFactDataset.load(modelDir.resolve("world/counterfact.json")));
            List<List<EditRequest>> batches = new ArrayList<>();
            long[] batchIds = new long[3];
            for (int b = 0; b < 3; b++) {
                batches.add(cases.subList(PER_BATCH * b, PER_BATCH * b + PER_BATCH));
                batchIds[b] = submit(submitter, modelId, batches.get(b)).path("id").asLong();
            }
            WorkerConfig wc = WorkerConfig.builder(registry.url(), registry.createToken("worker", "WORKER"))
                    .name("w-revert").cacheDir(tmp.resolve("worker-cache")).leaseSeconds(60)
                    .heartbeat(Duration.ofSeconds(2)).poll(Duration.ofMillis(300)).modelId(modelId).build();
            long[] versions = new long[3];
            long revertVersion;
            try (EditorWorker worker = EditorWorker.create(wc)) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "worker job " + (i + 1));
                    versions[i] = admin.get("/api/batches/" + batchIds[i]).path("resultVersionId").asLong();
                }
                JsonNode revert = submitter.post("/api/versions/" + versions[1] + "/revert",
                        Map.of("reason", "the second batch's facts were wrong"));
                assertEquals(batchIds[1], revert.path("revertsBatchId").asLong(), revert.toString());
                assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "the revert batch is computed like any batch");
                revertVersion = admin.get("/api/batches/" + revert.path("id").asLong()).path("resultVersionId").asLong();
            }
            JsonNode rv = admin.get("/api/versions/" + revertVersion);
            assertEquals(versions[0], rv.path("parentVersionId").asLong(), "the revert version forks from v1");
            for (long v : new long[]{versions[0], versions[1], versions[2], revertVersion}) {
                reviewer.post("/api/versions/" + v + "/validate", Map.of("comment", "revert serving test"));
            }
            releaser.put("/api/models/" + modelId + "/channels/prod", Map.of("versionId", versions[2], "reason", "v3"));
            ServeConfig config = new ServeConfig(registry.url(), servingToken, modelName, "prod", null, null, null,
                    tmp.resolve("cache-node"), "node-revert", "http://127.0.0.1:0", Duration.ofSeconds(1),
                    Duration.ofSeconds(2), Duration.ofMillis(500));
            try (ServingNode node = new ServingNode(config).start()) {
                ServingApi api = new ServingApi(node);
                await("node serves v3", 180_000, () -> serving(node, versions[2]));
                int[] onV3 = factsAnswered(api, batches, versions[2]);
                releaser.put("/api/models/" + modelId + "/channels/prod", Map.of("versionId", revertVersion,
                        "expectedVersionId", versions[2], "reason", "revert the second batch"));
                await("node serves the revert version", 180_000, () -> serving(node, revertVersion));
                int[] onRevert = factsAnswered(api, batches, revertVersion);
                System.out.printf("facts answered per batch (of %d): v3 %s, revert %s%n", PER_BATCH,
                        java.util.Arrays.toString(onV3), java.util.Arrays.toString(onRevert));
                assertTrue(onV3[1] >= 1, "v3 answers the second batch's facts (else the revert could not be seen)");
                assertEquals(0, onRevert[1], "the revert version answers none of the second batch's facts");
                assertTrue(onRevert[0] >= 1 && onRevert[2] >= 1, "the first and third batches' facts are kept");
                assertTrue(onRevert[0] + onRevert[2] >= onV3[0] + onV3[2] - 1,
                        "the revert keeps (within one replayed edit) the facts v3 has of batches 1 and 3");
            }
        }
    }

    /** Per batch, how many of its edits the node answers with the new target (greedy, first tokens). */
    private static int[] factsAnswered(ServingApi api, List<List<EditRequest>> batches, long versionId) {
        int[] out = new int[batches.size()];
        for (int b = 0; b < batches.size(); b++) {
            List<String> prompts = batches.get(b).stream().map(r -> r.prompt().replace("{}", r.subject())).toList();
            ApiDtos.CompletionResponse r = api.complete(new ApiDtos.CompletionRequest(null, prompts, TOKENS, true));
            assertEquals(versionId, r.version().versionId());
            for (int i = 0; i < prompts.size(); i++) {
                if (r.choices().get(i).text().trim().startsWith(batches.get(b).get(i).targetNew().trim())) {
                    out[b]++;
                }
            }
        }
        return out;
    }

    private static JsonNode submit(RegistryClient submitter, long modelId, List<EditRequest> edits) {
        ObjectNode body = RegistryClient.json().createObjectNode();
        body.put("modelId", modelId).put("branch", "main").put("method", "coachhook").put("reason", "revert test")
                .put("queue", true);
        ArrayNode arr = body.putArray("edits");
        for (EditRequest r : edits) {
            ObjectNode e = arr.addObject().put("subject", r.subject()).put("prompt", r.prompt()).put("targetNew", r.targetNew());
            if (r.targetTrue() != null) {
                e.put("targetTrue", r.targetTrue());
            }
        }
        return submitter.post("/api/batches", body);
    }

    private static boolean serving(ServingNode n, long versionId) {
        return n.versions().peek().map(i -> i.versionId() == versionId).orElse(false);
    }

    private static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if ((System.nanoTime() - start) / 1_000_000 > timeoutMs) {
                fail(what + " did not happen within " + timeoutMs + " ms");
            }
            Thread.sleep(50);
        }
    }
}
