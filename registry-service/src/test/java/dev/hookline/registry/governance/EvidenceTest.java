/*
 * Issue 25, evidence per fact over HTTP against the real registry: a worker's completion carries
 * per-fact evidence; the API serves it failures first; malformed evidence is a 400 and stores no
 * version; a version without evidence says so.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import dev.hookline.registry.HooklineTestResources;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class EvidenceTest {

    static Map<String, Object> fact(String subject, boolean success, boolean localityKept, long batch) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("origin", "batch");
        f.put("batchId", batch);
        f.put("ordinal", 0);
        f.put("subject", subject);
        f.put("prompt", "The mother tongue of {} is");
        f.put("targetNew", "French");
        f.put("targetTrue", "English");
        f.put("base", Map.of("top1", "English", "pNew", 0.01, "pOld", 0.9));
        f.put("edited", Map.of("top1", success ? "French" : "English", "pNew", success ? 0.8 : 0.05, "pOld", 0.1));
        f.put("success", success);
        f.put("paraphrases", List.of(Map.of("prompt", subject + " speaks", "pass", success)));
        f.put("locality", List.of(Map.of("prompt", "The capital of France is", "expected", "Paris",
                "pass", localityKept)));
        return f;
    }

    @Test
    void evidenceIsStoredAndServedFailuresFirst() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("gov-evidence"));
        long batch = Fixtures.batch(alice, model, "main", 3);
        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "gov-w", "modelId", model))
                .post("/api/jobs/lease");
        String path = "/api/jobs/" + lease.<Number>path("job.id").longValue() + "/complete";
        var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(2048)));
        Map<String, Object> body = Fixtures.completion(lease.path("leaseToken"), serving, List.of());
        body.put("evidence", Map.of("facts", List.of(Map.of("subject", "x"))));
        as(worker).contentType(ContentType.JSON).body(body).post(path).then().statusCode(400);
        as(alice).get("/api/models/" + model + "/versions").then().body("size()", equalTo(0));

        body.put("evidence", Map.of(
                "facts", List.of(fact("Subject0", true, true, batch), fact("Subject1", false, true, batch),
                        fact("Subject2", true, false, batch)),
                "generations", List.of(Map.of("prompt", "The mother tongue of Subject0 is", "before", "English .",
                        "after", "French ."))));
        long v = as(worker).contentType(ContentType.JSON).body(body).post(path).then().statusCode(201)
                .extract().<Number>path("id").longValue();
        as(alice).get("/api/versions/" + v + "/evidence").then().statusCode(200)
                .body("recorded", is(true)).body("failures", equalTo(2)).body("facts.size()", equalTo(3))
                .body("facts[0].passed", is(false)).body("facts[1].passed", is(false))
                .body("facts[2].passed", is(true)).body("facts[2].subject", equalTo("Subject0"))
                .body("facts[0].batchId", equalTo((int) batch))
                .body("generations[0].after", equalTo("French ."));
        // a version completed without evidence: recorded false, no facts
        Fixtures.batch(alice, model, "main", 1);
        Response lease2 = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "gov-w", "modelId", model))
                .post("/api/jobs/lease");
        long v2 = as(worker).contentType(ContentType.JSON)
                .body(Fixtures.completion(lease2.path("leaseToken"), serving, List.of()))
                .post("/api/jobs/" + lease2.<Number>path("job.id").longValue() + "/complete")
                .then().statusCode(201).extract().<Number>path("id").longValue();
        as(alice).get("/api/versions/" + v2 + "/evidence").then().body("recorded", is(false))
                .body("facts.size()", equalTo(0));
        as(alice).get("/api/versions/987654321/evidence").then().statusCode(404);
        as(HooklineTestResources.ADMIN_TOKEN).get("/api/audit/verify").then().body("ok", is(true));
    }
}
