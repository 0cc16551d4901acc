/*
 * coachhook-nearest, alphaedit-nearest and alphaedit-shards through the real registry: two batches without relation labels on one branch
 * become two chained versions whose bundles carry the nearest-edit scope (format
 * hookline-hook-bundle/4: W^T and two keys per edit in the serving blob), the second job continues
 * from the first's bundle with the first batch's hyperparameters (it names none), the histogram says it counts rho, and the last version's serving blobs,
 * downloaded as a node would, answer the new facts. alphaedit-shards with three edits per shard puts
 * each batch in its own shard (format hookline-hook-bundle/5: the first shard's delta travels beside the
 * second's), and the second version keeps the first's shard size. codebook-nearest's versions carry one codebook row per
 * edited key (format hookline-hook-bundle/6) and no editing blob; the second job continues from the first's rows.
 * codebook-nearest's first batch names no threshold: it takes the model's edit default (0.3), snapshotted at
 * submission (the default changed afterwards to 0.9 reaches neither job), and the second batch keeps its parent's.
 * codebook-subject runs the same way (its rows gated by their edits' subjects): format hookline-hook-bundle/7 with
 * each key column's subject, and a codebook-nearest batch on its branch fails its job naming both methods.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NearestVersionsTest extends RegistryBackedTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "coachhook-nearest | {\"lambda\": 300, \"alpha0\": 0.3}",
        "alphaedit-nearest | {\"nullspaceThreshold\": 1, \"alpha0\": 0.3}",
        "alphaedit-shards | {\"nullspaceThreshold\": 1, \"alpha0\": 0.3, \"shardEdits\": 3}",
        "codebook-nearest | {}",
        "codebook-subject | {}"})
    void nearestBatchesMakeChainedVersionsThatServeTheNewFacts(String method, String hyperparameters) throws Exception {
        JsonNode hyper = RegistryClient.json().readTree(hyperparameters);
        List<List<EditRequest>> batches = new ArrayList<>();
        for (List<EditRequest> b : List.of(fx.cases.subList(30, 33), fx.cases.subList(33, 36))) {
            List<EditRequest> unlabelled = new ArrayList<>();
            for (EditRequest r : b) { // no relation labels: the scope does not use them
                unlabelled.add(new EditRequest(r.caseId(), r.subject(), r.prompt(), r.targetNew(), r.targetTrue(),
                        r.paraphrasePrompts(), r.neighborhoodPrompts(), r.neighborhoodTarget(), r.localityPrompts(),
                        r.localityTargets()));
            }
            batches.add(unlabelled);
        }
        boolean modelDefault = hyper.isEmpty(); // the threshold comes from the model's edit defaults
        if (modelDefault) {
            fx.admin.put("/api/models/" + fx.modelId + "/edit-defaults", java.util.Map.of("method", method,
                    "hyperparameters", java.util.Map.of("alpha0", 0.3)));
        }
        List<Long> ids = new ArrayList<>();
        for (List<EditRequest> b : batches) { // the second batch names nothing: it continues with the parent's
            JsonNode submitted = fx.submit(method, method, ids.isEmpty() ? hyper : RegistryClient.json().createObjectNode(), b);
            if (modelDefault) {
                assertEquals(0.3, submitted.path("modelDefaults").path("alpha0").asDouble(), 0, submitted.toString());
            }
            ids.add(submitted.path("id").asLong());
        }
        if (modelDefault) { // later defaults reach later batches only
            fx.admin.put("/api/models/" + fx.modelId + "/edit-defaults", java.util.Map.of("method", method,
                    "hyperparameters", java.util.Map.of("alpha0", 0.9)));
        }
        try (EditorWorker worker = EditorWorker.create(fx.worker(tmp.resolve("cache-" + method), "w-" + method).build())) {
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "nearest job 1: " + fx.batch(ids.get(0)));
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "nearest job 2: " + fx.batch(ids.get(1)));
        }
        Long parent = null;
        JsonNode last = null;
        double lastNorm = 0;
        for (long id : ids) {
            JsonNode batch = fx.batch(id);
            assertEquals("COMPUTED", batch.path("status").asText(), batch.toString());
            JsonNode v = fx.admin.get("/api/versions/" + batch.path("resultVersionId").asLong());
            assertEquals(method, v.path("method").asText());
            if (parent != null) {
                assertEquals(parent.longValue(), v.path("parentVersionId").asLong(), "version chain");
            }
            for (JsonNode a : v.path("alpha")) {
                assertEquals(0.3, a.path("after").asDouble(), 1e-12, "the threshold is fixed: " + a);
            }
            assertEquals("rho", v.path("metrics").path("zScores").path("score").asText());
            // every batch changes its layer's hook state (codebook-nearest: its rows, its delta stays zero)
            JsonNode layer = v.path("metrics").path("layers").get(0);
            double norm = layer.path("deltaNorm").asDouble();
            double step = layer.path("stepNorm").asDouble();
            assertTrue(norm > 0 && step > 0, "hook state norms: " + layer);
            if (method.startsWith("codebook-")) { // rows are appended: ||after||^2 = ||before||^2 + ||step||^2
                assertEquals(norm * norm, lastNorm * lastNorm + step * step, 1e-6 * norm * norm, "appended rows: " + layer);
            }
            lastNorm = norm;
            parent = v.path("id").asLong();
            last = v;
        }
        Path modelDir = tmp.resolve("serve-" + method + "/model");
        Path bundleDir = tmp.resolve("serve-" + method + "/bundle");
        fx.downloadServing(last, modelDir, bundleDir);
        HookBundle serving = HookBundle.read(bundleDir, false);
        assertEquals(HookBundle.NEAREST, serving.scope());
        assertEquals(12, serving.nearestScope().keyCount(), "two keys per edit, both batches");
        int top1 = 0;
        try (HookedModel hooked = HookedModel.open(modelDir, bundleDir)) {
            assertEquals(6, hooked.edits());
            for (List<EditRequest> b : batches) {
                for (EditRequest r : b) {
                    top1 += hooked.score(r.filledPrompt(), r.targetNew()).accuracy() == 1.0 ? 1 : 0;
                }
            }
        }
        if (method.equals("alphaedit-shards")) {
            assertEquals(HookBundle.FORMAT_NEAREST_SHARDS, serving.format());
            assertEquals(2, serving.nearestScope().shards(), "a shard per batch of three");
            assertEquals(List.of(6L), java.util.Arrays.stream(serving.nearestScope().shardStarts()).boxed().toList());
            JsonNode record = RegistryClient.json().readTree(serving.hyperparameters());
            assertEquals(3, record.path("shardEdits").asInt(), "the second version kept its parent's shard size: " + record);
            assertEquals(1.0, record.path("nearest").path("update").path("nullspaceThreshold").asDouble(), 0, record.toString());
        }
        if (method.startsWith("codebook-")) {
            assertEquals(method.equals("codebook-subject") ? HookBundle.FORMAT_NEAREST_CODEBOOK_SUBJECT
                    : HookBundle.FORMAT_NEAREST_CODEBOOK, serving.format());
            assertEquals("codebook-subject".equals(method), serving.nearestScope().gated(), "a subject gate");
            assertEquals(13L * serving.hiddenSize(), serving.nearestScope().codebook().get(serving.layers()[0]).length,
                    "a zero row and a row per edited key, both batches");
            assertTrue(last.path("manifest").path("editing").isEmpty(), "no editing blob: " + last.path("manifest"));
        }
        if (method.equals("codebook-subject")) {
            List<String> subjects = new ArrayList<>();
            for (List<EditRequest> b : batches) {
                for (EditRequest r : b) { // two key columns per edit, the batch's mean keys then its plain keys
                    subjects.add(r.subject());
                }
                for (EditRequest r : b) {
                    subjects.add(r.subject());
                }
            }
            assertEquals(subjects, serving.nearestScope().subjects(), "each key column's subject, both batches");
            // codebook-nearest cannot continue a subject-gated codebook: the registry refuses the batch (409 naming
            // method; the worker's own check, JobExecution, stays behind it), nothing recorded
            int versionsBefore = fx.versions().size();
            dev.hookline.client.RegistryException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.hookline.client.RegistryException.class, () -> fx.submit(method, "codebook-nearest",
                            RegistryClient.json().createObjectNode(), fx.cases.subList(36, 37)));
            assertEquals(409, refused.status(), refused.getMessage());
            assertTrue(refused.getMessage().contains("codebook-nearest cannot continue it"), refused.getMessage());
            assertEquals(versionsBefore, fx.versions().size(), "no version recorded");
        }
        if (method.equals("alphaedit-nearest")) {
            assertEquals(1.0, RegistryClient.json().readTree(serving.hyperparameters())
                    .path("update").path("nullspaceThreshold").asDouble(), 0, "the second version (no hyperparameters) kept its parent's null-space threshold, not the default 2e-2");
        }
        System.out.printf(method + " versions: %d/6 new facts top-1 with the last version's serving blobs%n", top1);
        assertTrue(top1 >= 5, "the last nearest version answers the new facts: " + top1 + "/6");
    }
}
