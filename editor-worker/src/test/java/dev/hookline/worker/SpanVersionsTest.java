/*
 * coachhook-span through the real registry: two span batches on one branch become two chained
 * versions whose bundles carry the span scope (format hookline-hook-bundle/2, both inverses in the
 * serving blob), the z-score histogram says it counts rho, and the last version's serving blobs,
 * downloaded as a node would, answer the new facts. The span record is the tiny model's (lambda
 * 300, threshold 0.5; docs/BENCHMARKS.md third session: the threshold is per model), with the
 * scope's own lambda 15 (scopeLambda), which the second job restores from the first's bundle.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpanVersionsTest extends RegistryBackedTest {
    @Test
    void spanBatchesMakeChainedSpanVersionsThatServeTheNewFacts() throws Exception {
        JsonNode hyper = RegistryClient.json().readTree("{\"lambda\": 300, \"alpha0\": 0.5, \"scopeLambda\": 15}");
        List<List<EditRequest>> batches = List.of(fx.cases.subList(20, 23), fx.cases.subList(23, 26));
        List<Long> ids = new ArrayList<>();
        for (List<EditRequest> b : batches) {
            ids.add(fx.submit("span", "coachhook-span", hyper, b).path("id").asLong());
        }
        try (EditorWorker worker = EditorWorker.create(fx.worker(tmp.resolve("cache"), "w-span").build())) {
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "span job 1: " + fx.batch(ids.get(0)));
            assertEquals(EditorWorker.Result.DONE, worker.runOnce(), "span job 2: " + fx.batch(ids.get(1)));
        }
        Long parent = null;
        JsonNode last = null;
        for (long id : ids) {
            JsonNode batch = fx.batch(id);
            assertEquals("COMPUTED", batch.path("status").asText(), batch.toString());
            JsonNode v = fx.admin.get("/api/versions/" + batch.path("resultVersionId").asLong());
            assertEquals("coachhook-span", v.path("method").asText());
            if (parent != null) {
                assertEquals(parent.longValue(), v.path("parentVersionId").asLong(), "version chain");
            }
            for (JsonNode a : v.path("alpha")) {
                assertEquals(0.5, a.path("before").asDouble(), 1e-12, "the span threshold is fixed: " + a);
                assertEquals(0.5, a.path("after").asDouble(), 1e-12, "the span threshold is fixed: " + a);
            }
            assertEquals("rho", v.path("metrics").path("zScores").path("score").asText());
            parent = v.path("id").asLong();
            last = v;
        }

        Path modelDir = tmp.resolve("serve/model");
        Path bundleDir = tmp.resolve("serve/bundle");
        fx.downloadServing(last, modelDir, bundleDir);
        HookBundle serving = HookBundle.read(bundleDir, false);
        assertEquals("span", serving.scope());
        assertEquals(300, serving.lambda(), 0.0);
        assertEquals(15, serving.scopeLambda(), 0.0, "the manifest records the scope's own lambda");
        long ff = serving.mlpSize();
        assertTrue(Files.size(bundleDir.resolve(HookBundle.SERVING)) > 2 * ff * ff * 8,
                "the serving blob carries both (d_ff, d_ff) float64 inverses");
        int top1 = 0;
        try (HookedModel hooked = HookedModel.open(modelDir, bundleDir)) {
            assertEquals(6, hooked.edits());
            assertEquals("span", hooked.scope());
            for (List<EditRequest> b : batches) {
                for (EditRequest r : b) {
                    top1 += hooked.score(r.filledPrompt(), r.targetNew()).accuracy() == 1.0 ? 1 : 0;
                }
            }
        }
        System.out.printf("span versions: %d/6 new facts top-1 with the last version's serving blobs; metrics %s%n",
                top1, last.path("metrics"));
        assertTrue(top1 >= 5, "the last span version answers the new facts: " + top1 + "/6");
    }
}
