/*
 * Test support for the governance tests: versions produced over the API exactly as a worker
 * produces them (lease, upload, complete with metrics), reviews and channel moves.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;

/** Small HTTP helpers over RESTAssured. */
final class GovernanceApi {

    private GovernanceApi() {
    }

    /** Leases the next job of {@code model} and completes it with {@code metrics}; returns the version id. */
    static long compute(String worker, long model, Map<String, Object> metrics) {
        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "gov-w", "modelId", model))
                .post("/api/jobs/lease");
        lease.then().statusCode(200);
        var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(2048)));
        Map<String, Object> body = Fixtures.completion(lease.path("leaseToken"), serving, List.of());
        body.put("metrics", metrics);
        return as(worker).contentType(ContentType.JSON).body(body)
                .post("/api/jobs/" + lease.<Number>path("job.id").longValue() + "/complete")
                .then().statusCode(201).extract().<Number>path("id").longValue();
    }

    /** Metrics in the worker's layout. */
    static Map<String, Object> metrics(double reliability, double generality, double locality, double regression,
                                       int earlier) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reliability", reliability);
        m.put("generality", generality);
        m.put("locality", locality);
        m.put("batch", Map.of("reliability", reliability, "generality", generality, "edits", 2));
        m.put("regression", Map.of("reliability", regression, "generality", regression, "edits", earlier));
        return m;
    }

    static Map<String, Object> good() {
        return metrics(1.0, 0.9, 0.95, 1.0, 0);
    }

    static Response review(String reviewer, long version, boolean validate, Map<String, Object> body) {
        return as(reviewer).contentType(ContentType.JSON).body(body)
                .post("/api/versions/" + version + (validate ? "/validate" : "/reject"));
    }

    static Response validate(String reviewer, long version) {
        return review(reviewer, version, true, Map.of("comment", "ok"));
    }

    static Response pin(String releaser, long model, String channel, long version, Long expected) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("versionId", version);
        if (expected != null) {
            body.put("expectedVersionId", expected);
        }
        body.put("reason", "release");
        return as(releaser).contentType(ContentType.JSON).body(body)
                .put("/api/models/" + model + "/channels/" + channel);
    }

    static Response rollback(String releaser, long model, String channel) {
        return as(releaser).contentType(ContentType.JSON).body(Map.of("reason", "back"))
                .post("/api/models/" + model + "/channels/" + channel + "/rollback");
    }

    /** One edit of a batch body. */
    static Map<String, Object> edit(String subject, String relation, String prompt, String target, String old) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("subject", subject);
        e.put("prompt", prompt);
        e.put("targetNew", target);
        if (old != null) {
            e.put("targetTrue", old);
        }
        if (relation != null) {
            e.put("relation", relation);
        }
        return e;
    }

    /** A batch body with the given edits. */
    static Map<String, Object> batch(long model, String branch, List<Map<String, Object>> edits) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("modelId", model);
        body.put("branch", branch);
        body.put("method", "coachhook");
        body.put("hyperparameters", Map.of("layers", List.of(0, 1), "lambda", 100));
        body.put("reason", "governance test");
        body.put("edits", edits);
        return body;
    }

    static Response submit(String submitter, Map<String, Object> body) {
        return as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches");
    }
}
