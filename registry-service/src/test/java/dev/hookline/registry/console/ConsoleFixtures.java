/*
 * Test data for the console tests, made over the registry HTTP API exactly as the real actors
 * make it: an editor submits a batch, a worker leases the job, uploads the hook blobs, heartbeats
 * and completes with metrics in the SHARED-CONTRACTS.md version-metrics schema. Nothing is
 * written to the database directly.
 */
package dev.hookline.registry.console;

import dev.hookline.registry.Fixtures;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;

/** Computed versions and their parts, for the console tests. */
final class ConsoleFixtures {

    private ConsoleFixtures() {
    }

    /** Z-score histogram bin edges (same for every layer, as the contract says). */
    static final List<Double> EDGES = List.of(-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0);
    /** Edited-position counts per layer (the batch's edit prompts at the subject token). */
    static final List<List<Integer>> EDITED = List.of(List.of(0, 0, 0, 1, 1, 3, 4), List.of(0, 0, 1, 1, 2, 3, 2));
    /** Other-position counts per layer (the locality sample). */
    static final List<List<Integer>> OTHER = List.of(List.of(4, 30, 120, 140, 40, 6, 0), List.of(6, 28, 118, 136, 44, 8, 0));

    /** A job leased by a worker: ids and the fencing token. */
    record Lease(long jobId, long batchId, String leaseToken) {
    }

    /** Leases the next job of {@code modelId} as {@code worker}. */
    static Lease lease(String worker, long modelId) {
        Response r = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "console-test", "modelId", modelId))
                .post("/api/jobs/lease");
        r.then().statusCode(200);
        return new Lease(r.<Number>path("job.id").longValue(), r.<Number>path("batch.id").longValue(),
                r.path("leaseToken"));
    }

    /** Heartbeat with progress, as a worker reports its phase. */
    static void heartbeat(String worker, Lease lease, String phase, int percent) {
        as(worker).contentType(ContentType.JSON)
                .body(Map.of("leaseToken", lease.leaseToken(), "phase", phase, "percent", percent))
                .post("/api/jobs/" + lease.jobId() + "/heartbeat").then().statusCode(200);
    }

    /**
     * Completes a leased job like the editor worker: uploads a serving blob and an editing blob,
     * then completes with the alpha schedule and {@code metrics}; returns the new version's id.
     */
    static long complete(String worker, Lease lease, List<Map<String, Object>> alpha, Map<String, Object> metrics) {
        var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(2048)),
                Fixtures.upload(worker, "hook.layer1.W_h", Fixtures.randomBytes(2048)));
        var editing = List.of(Fixtures.upload(worker, "cAccu.layer0", Fixtures.randomBytes(1024)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("leaseToken", lease.leaseToken());
        body.put("manifest", Map.of("serving", serving, "editing", editing));
        body.put("alpha", alpha);
        body.put("metrics", metrics);
        return as(worker).contentType(ContentType.JSON).body(body).post("/api/jobs/" + lease.jobId() + "/complete")
                .then().statusCode(201).extract().<Number>path("id").longValue();
    }

    /** A version on a branch of its own, computed by {@code worker} and validated by {@code reviewer}. */
    static long validatedVersion(String submitter, String reviewer, String worker, long modelId) {
        Fixtures.batch(submitter, modelId, "b-" + System.nanoTime(), 1);
        long v = complete(worker, lease(worker, modelId), alpha(2.2, 2.1, 2.2, 2.1), fullMetrics(1, 1));
        as(reviewer).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + v + "/validate")
                .then().statusCode(200);
        return v;
    }

    /** Alpha before/after for layers 0 and 1. */
    static List<Map<String, Object>> alpha(double before0, double after0, double before1, double after1) {
        return List.of(Map.of("layer", 0, "before", before0, "after", after0),
                Map.of("layer", 1, "before", before1, "after", after1));
    }

    /** Metrics as an older worker wrote them: only the three headline numbers. */
    static Map<String, Object> oldMetrics() {
        return Map.of("reliability", 0.9, "generality", 0.8, "locality", 0.95);
    }

    /** Metrics in the full SHARED-CONTRACTS.md schema. */
    static Map<String, Object> fullMetrics(int editsCumulative, int batchEdits) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reliability", 0.97);
        m.put("generality", 0.90);
        m.put("locality", 0.99);
        m.put("batch", Map.of("reliability", 1.0, "generality", 0.9, "edits", batchEdits));
        m.put("regression", Map.of("reliability", 0.96, "generality", 0.88, "edits", editsCumulative, "sampled", false));
        m.put("localitySample", 50);
        m.put("editsCumulative", editsCumulative);
        m.put("layers", List.of(Map.of("layer", 0, "deltaNorm", 1.2345, "stepNorm", 0.4101),
                Map.of("layer", 1, "deltaNorm", 2.5, "stepNorm", 0.75)));
        List<Map<String, Object>> zl = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            zl.add(Map.of("layer", l, "edited", EDITED.get(l), "other", OTHER.get(l)));
        }
        m.put("zScores", Map.of("edges", EDGES, "layers", zl));
        m.put("phaseSeconds", Map.of("pull", 1.2, "statistics", 0.0, "compute", 8.1, "evaluate", 3.0, "upload", 0.4));
        m.put("statisticsKey", "sha256/" + "0".repeat(64));
        return m;
    }
}
