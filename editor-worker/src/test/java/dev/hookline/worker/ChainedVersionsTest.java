/*
 * Issue 5, test 1: three batches on one branch -> three chained hook versions, each with an alpha
 * schedule and the version-metrics JSON of SHARED-CONTRACTS.md; the base model with the last
 * version's bundle (downloaded from the registry like a serving node would) prefers the new fact
 * of all three batches to the old one and answers most of the 9 top-1 (teacher-forced on each
 * fact's edit prompt; wide bounds, the measured figures are printed). The batches name no
 * hyperparameters: they run the default record (last block, lambda 1500). A branch started on
 * other layers keeps them when later batches name none, and refuses a batch naming different ones.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.BlobRef;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChainedVersionsTest extends RegistryBackedTest {
    @Test
    void threeBatchesMakeThreeChainedVersionsAndTheLastBundleKnowsEveryNewFact() throws Exception {
        List<List<EditRequest>> batches = List.of(fx.cases.subList(0, 3), fx.cases.subList(3, 6), fx.cases.subList(6, 9));
        List<Long> batchIds = new ArrayList<>();
        for (List<EditRequest> b : batches) {
            batchIds.add(fx.submit("main", "coachhook", null, b).path("id").asLong());
        }
        double presignedBefore = fx.blobUploads("presigned", null);
        double createdBefore = fx.blobUploads("presigned", "created");
        double streamedBefore = fx.blobUploads("streamed", null);
        assertTrue(createdBefore >= 3, "onboarding uploaded the checkpoint presigned: " + createdBefore);
        long t0 = System.nanoTime();
        try (EditorWorker worker = EditorWorker.create(fx.worker(tmp.resolve("cache"), "w-chain").build())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "job " + (i + 1));
            }
            assertEquals(EditorWorker.Result.IDLE, worker.runOnce());
            assertEquals(3, worker.metrics().jobs("done"));
            assertTrue(worker.metrics().scrape().contains("hookline_worker_jobs_total{outcome=\"done\"} 3"));
            assertTrue(worker.metrics().scrape().contains("hookline_worker_phase_seconds_count{phase=\"compute\"} 3"));
        }
        System.out.printf("3 jobs in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        // The worker's blobs went straight to the object store (issue 26), none through the registry:
        // 3 versions x 3 blobs offered (one already stored is answered so), the new hook states stored.
        assertTrue(fx.blobUploads("presigned", null) - presignedBefore >= 9);
        assertTrue(fx.blobUploads("presigned", "created") - createdBefore >= 3);
        assertEquals(0, fx.blobUploads("streamed", null) - streamedBefore, 1e-9);

        JsonNode model = fx.admin.get("/api/models/" + fx.modelId);
        String statsKey = null;
        for (JsonNode e : model.path("stats")) {
            if (e.path("role").asText().endsWith("-L2-n1000.safetensors")) {
                statsKey = e.path("key").asText();
            }
        }
        Long parent = null;
        JsonNode last = null;
        for (int i = 0; i < 3; i++) {
            JsonNode batch = fx.batch(batchIds.get(i));
            assertEquals("COMPUTED", batch.path("status").asText(), batch.toString());
            JsonNode v = fx.admin.get("/api/versions/" + batch.path("resultVersionId").asLong());
            if (parent == null) {
                assertTrue(v.path("parentVersionId").isNull(), "first version extends the base model");
            } else {
                assertEquals(parent.longValue(), v.path("parentVersionId").asLong(), "version chain");
            }
            assertEquals(3 * (i + 1), v.path("editsCumulative").asInt());
            // Alpha schedule: one entry per editing layer (the default: the model's last block, layer 2),
            // finite, never raised by the min rule.
            JsonNode alpha = v.path("alpha");
            assertEquals(1, alpha.size(), alpha.toString());
            for (JsonNode a : alpha) {
                assertEquals(2, a.path("layer").asInt(), a.toString());
                assertTrue(Double.isFinite(a.path("after").asDouble()));
                assertTrue(a.path("after").asDouble() <= a.path("before").asDouble() + 1e-9, a.toString());
                if (i == 0) {
                    assertEquals(2.2, a.path("before").asDouble(), 1e-9);
                }
            }
            if (last != null) {
                // each step starts where the parent's alpha ended
                for (int k = 0; k < alpha.size(); k++) {
                    assertEquals(last.path("alpha").get(k).path("after").asDouble(), alpha.get(k).path("before").asDouble(), 1e-9);
                }
            }
            JsonNode m = v.path("metrics");
            for (String key : List.of("reliability", "generality", "locality")) {
                double x = m.path(key).asDouble(-1);
                assertTrue(x >= 0 && x <= 1, key + " = " + x);
            }
            assertEquals(3, m.path("batch").path("edits").asInt());
            assertEquals(3 * i, m.path("regression").path("edits").asInt());
            assertFalse(m.path("regression").path("sampled").asBoolean());
            assertEquals(3 * (i + 1), m.path("editsCumulative").asInt());
            assertTrue(m.path("localitySample").asInt() >= 3 * (i + 1), m.toString());
            assertEquals(1, m.path("layers").size());
            assertEquals(2, m.path("layers").get(0).path("layer").asInt());
            for (JsonNode l : m.path("layers")) {
                assertTrue(l.path("deltaNorm").asDouble() > 0 && l.path("stepNorm").asDouble() > 0, l.toString());
            }
            // per-fact evidence (issue 25): this batch's 3 edits and the 3 * i earlier ones re-checked
            JsonNode ev = fx.admin.get("/api/versions/" + v.path("id").asLong() + "/evidence");
            assertTrue(ev.path("recorded").asBoolean(), ev.toString());
            assertEquals(3 * (i + 1), ev.path("facts").size(), ev.toString());
            int passed = 0;
            for (JsonNode f : ev.path("facts")) {
                double pNew = f.path("edited").path("pNew").asDouble(-1);
                assertTrue(pNew >= 0 && pNew <= 1, f.toString());
                assertTrue(f.path("base").path("top1").isTextual(), f.toString());
                passed += f.path("success").asBoolean() ? 1 : 0;
                if (f.path("origin").asText().equals("batch")) {
                    assertEquals(batch.path("id").asLong(), f.path("batchId").asLong(), f.toString());
                }
            }
            assertTrue(passed >= 2 * (i + 1), "most edits took: " + passed + " of " + 3 * (i + 1) + " " + ev);
            assertEquals(3, ev.path("generations").size(), ev.toString());
            assertEquals(19, m.path("zScores").path("edges").size());
            long editedCounts = 0;
            for (JsonNode l : m.path("zScores").path("layers")) {
                assertEquals(18, l.path("edited").size());
                for (JsonNode c : l.path("edited")) {
                    editedCounts += c.asLong();
                }
            }
            assertEquals(3 * 1, editedCounts, "one edit-token z per edit and layer");
            assertEquals(Set.of("pull", "statistics", "compute", "evaluate", "upload"), fieldNames(m.path("phaseSeconds")));
            assertEquals(statsKey, m.path("statisticsKey").asText(),
                    "versions use (and record) the statistics onboarding computed for the default layer");
            assertEquals(2, v.path("manifest").path("serving").size());
            assertEquals(1, v.path("manifest").path("editing").size());
            parent = v.path("id").asLong();
            last = v;
        }
        int ofTheseBatches = 0;
        for (JsonNode v : fx.versions()) {
            ofTheseBatches += batchIds.contains(v.path("batchId").asLong()) ? 1 : 0;
        }
        assertEquals(3, ofTheseBatches, "one version per batch");
        // Capabilities travel in the lease: device, and the models whose checkpoint the worker has cached.
        String firstHolder = fx.batch(batchIds.get(0)).path("job").path("leasedBy").asText();
        String lastHolder = fx.batch(batchIds.get(2)).path("job").path("leasedBy").asText();
        assertTrue(firstHolder.contains("w-chain [device=") && firstHolder.endsWith("cached-models=none]"), firstHolder);
        assertTrue(lastHolder.endsWith("cached-models=" + fx.modelId + "]"), lastHolder);
        // The default record (lambda 1500) realises part of each residual: on these 9 edits the engine's bench
        // measures reliability 0.944 / efficacy 1.0 / locality 1.0 (the part-1 record: 1.0 / 1.0 / 0.915).
        // Figures of 3- and 9-edit samples move with PyTorch's kernel path, so the bounds are wide:
        // the edits took effect, the earlier ones survive, unrelated prompts mostly keep their answers.
        System.out.println("last version's metrics: " + last.path("metrics"));
        assertTrue(last.path("metrics").path("reliability").asDouble() >= 0.6, last.path("metrics").toString());
        assertTrue(last.path("metrics").path("regression").path("reliability").asDouble() >= 0.6,
                "the earlier batches' edits survive the last one: " + last.path("metrics"));
        assertTrue(last.path("metrics").path("locality").asDouble() >= 0.8, last.path("metrics").toString());

        // Pull the last version's serving blobs and the base checkpoint, verified, into directories.
        Path modelDir = tmp.resolve("serve/model");
        Path bundleDir = tmp.resolve("serve/bundle");
        fx.downloadServing(last, modelDir, bundleDir);
        assertFalse(Files.exists(bundleDir.resolve("editing.safetensors")), "serving needs only the serving part");
        Map<String, Double> accuracy = new HashMap<>();
        Map<String, Double> baseAccuracy = new HashMap<>();
        List<String> notPreferred = new ArrayList<>();
        try (HookedModel hooked = HookedModel.open(modelDir, bundleDir);
                LanguageModel base = LanguageModel.load(modelDir)) {
            assertEquals(9, hooked.edits());
            for (List<EditRequest> b : batches) {
                for (EditRequest r : b) {
                    String fact = r.filledPrompt() + " -> " + r.targetNew();
                    ContinuationScore s = hooked.score(r.filledPrompt(), r.targetNew());
                    accuracy.put(fact, s.accuracy());
                    baseAccuracy.put(fact, base.score(r.filledPrompt(), r.targetNew()).accuracy());
                    // efficacy (CounterFact): the new object is more probable than the old one, by mean token log-prob
                    assertNotNull(r.targetTrue(), "CounterFact cases name the old object");
                    ContinuationScore old = hooked.score(r.filledPrompt(), r.targetTrue());
                    if (!(s.totalLogProb() / s.targetIds().length > old.totalLogProb() / old.targetIds().length)) {
                        notPreferred.add(fact);
                    }
                }
            }
        }
        Map<String, Double> wrong = new HashMap<>();
        accuracy.forEach((k, a) -> {
            if (a < 1.0) {
                wrong.put(k, a);
            }
        });
        long baseKnew = baseAccuracy.values().stream().filter(a -> a == 1.0).count();
        double mean = accuracy.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        System.out.printf("last bundle: %d/9 facts top-1 (mean token accuracy %.3f), base model %d/9; not top-1: %s%n",
                9 - wrong.size(), mean, baseKnew, wrong);
        assertEquals(9, accuracy.size());
        // Wide margins (measured: 9/9 preferred, at most 1 of 9 not top-1, mean >= 0.9): a 9-edit sample's
        // figures move with the CPU kernel path; the bench reports the quality (docs/BENCHMARKS.md).
        assertTrue(notPreferred.size() <= 2, "facts where the last bundle still prefers the old object: " + notPreferred);
        assertTrue(wrong.size() <= 3, "facts the last bundle does not answer top-1: " + wrong);
        assertTrue(mean >= 0.7, "mean token accuracy " + mean);
        assertTrue(9 - wrong.size() >= baseKnew + 5, "the bundle answers " + (9 - wrong.size())
                + " facts top-1, the base model " + baseKnew);
        assertNull(fx.batch(batchIds.get(2)).path("error").textValue());
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> out = new java.util.HashSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void aBranchKeepsTheLayersItStartedWith() throws Exception {
        // The part-1 record, named explicitly: layers 0,1 have no statistics yet, so the worker computes them.
        JsonNode partOne = dev.hookline.client.RegistryClient.json().readTree("""
                {"layers": [0, 1], "lambda": 10, "stopLoss": 0.02}""");
        long first = fx.submit("layers-01", "coachhook", partOne, fx.cases.subList(60, 62)).path("id").asLong();
        long second = fx.submit("layers-01", "coachhook", null, fx.cases.subList(62, 64)).path("id").asLong();
        long other = fx.submit("layers-01", "coachhook",
                dev.hookline.client.RegistryClient.json().readTree("{\"layers\": [2]}"), fx.cases.subList(64, 65))
                .path("id").asLong();
        try (EditorWorker worker = EditorWorker.create(fx.worker(tmp.resolve("cache-layers"), "w-layers").build())) {
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "part-1 layers named explicitly");
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "no layers named: the parent's are kept");
            assertEquals(EditorWorker.Result.FAILED, worker.runOnce(), "other layers on the same branch");
        }
        for (long b : List.of(first, second)) {
            JsonNode v = fx.admin.get("/api/versions/" + fx.batch(b).path("resultVersionId").asLong());
            List<Integer> layers = new ArrayList<>();
            v.path("alpha").forEach(a -> layers.add(a.path("layer").asInt()));
            assertEquals(List.of(0, 1), layers, "version of batch " + b + ": " + v.path("alpha"));
        }
        JsonNode v2 = fx.admin.get("/api/versions/" + fx.batch(second).path("resultVersionId").asLong());
        assertEquals(4, v2.path("editsCumulative").asInt());
        assertTrue(v2.path("metrics").path("batch").path("reliability").asDouble() >= 0.5, v2.path("metrics").toString());
        JsonNode failed = fx.batch(other);
        assertEquals("FAILED", failed.path("status").asText(), failed.toString());
        String error = failed.path("error").asText();
        assertTrue(error.contains("differs from the parent version's editing layers [0, 1]"), error);
        // The worker computed and published statistics for layers 0,1 next to the onboarded ones (layer 2).
        long statsFiles = 0;
        for (JsonNode e : fx.admin.get("/api/models/" + fx.modelId).path("stats")) {
            statsFiles += e.path("role").asText().endsWith(".safetensors") ? 1 : 0;
        }
        assertTrue(statsFiles >= 2, "statistics for layer 2 (onboarding) and layers 0,1 (computed by the job)");
    }

    @Test
    void corpusScopeMethodWithOverriddenHyperparametersOnItsOwnBranch() throws Exception {
        JsonNode hyper = dev.hookline.client.RegistryClient.json().createObjectNode().put("lambda", 20.0)
                .put("alpha0", 2.0);
        long batchId = fx.submit("corpus-scope", "coachhook-corpus", hyper, fx.cases.subList(90, 92)).path("id").asLong();
        try (EditorWorker worker = EditorWorker.create(fx.worker(tmp.resolve("cache-corpus"), "w-corpus").build())) {
            assertEquals(EditorWorker.Result.DONE, worker.runOnce());
        }
        JsonNode batch = fx.batch(batchId);
        assertEquals("COMPUTED", batch.path("status").asText(), batch.toString());
        JsonNode v = fx.admin.get("/api/versions/" + batch.path("resultVersionId").asLong());
        assertEquals("coachhook-corpus", v.path("method").asText());
        assertEquals(2.0, v.path("alpha").get(0).path("before").asDouble(), 1e-12, "alpha0 override applied");
        JsonNode manifestEntry = v.path("manifest").path("serving").get(0);
        assertEquals("manifest.json", manifestEntry.path("role").asText());
        Path manifest = tmp.resolve("corpus-manifest.json");
        fx.admin.downloadBlob(new BlobRef(manifestEntry.path("key").asText(), manifestEntry.path("size").asLong()), manifest);
        JsonNode m = dev.hookline.client.RegistryClient.json().readTree(manifest.toFile());
        assertEquals("corpus-z", m.path("scope").asText());
        assertEquals(20.0, m.path("lambda").asDouble(), 1e-12);
        assertEquals(2, m.path("edits").asInt());
    }
}
