package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 26, leases: a lease belongs to the principal that took it (another WORKER holding the
 * token gets 403), revoking the token releases the lease at once, and a completion retried with
 * other content gets 409 instead of the first version.
 */
@QuarkusTest
class LeaseBindingTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;

    @Test
    void anotherWorkerCannotUseTheLeaseAndARetryMustRepeatTheCompletion() {
        String submitter = Fixtures.token(Fixtures.unique("lb-sub"), "SUBMITTER");
        String w1 = Fixtures.token(Fixtures.unique("lb-w1"), "WORKER");
        String w2 = Fixtures.token(Fixtures.unique("lb-w2"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("lb-model"));
        Fixtures.batch(submitter, model, "main", 1);
        String[] lease = Fixtures.lease(w1, model);
        var serving = List.of(Fixtures.upload(w1, "hook.layer0.W_h", Fixtures.randomBytes(300)));
        var body = Fixtures.completion(lease[1], serving, List.of());
        String job = "/api/jobs/" + lease[0];
        as(w2).contentType(ContentType.JSON).body(Map.of("leaseToken", lease[1])).post(job + "/heartbeat")
                .then().statusCode(403).body("type", equalTo("urn:hookline:problem:not-lease-holder"));
        as(w2).contentType(ContentType.JSON).body(body).post(job + "/complete").then().statusCode(403);
        as(w2).contentType(ContentType.JSON).body(Map.of("leaseToken", lease[1], "error", "x")).post(job + "/fail")
                .then().statusCode(403);
        long version = as(w1).contentType(ContentType.JSON).body(body).post(job + "/complete").then().statusCode(201)
                .extract().<Number>path("id").longValue();
        // The same completion again: 200, same version. Another manifest or other metrics: 409.
        as(w1).contentType(ContentType.JSON).body(body).post(job + "/complete").then().statusCode(200)
                .body("id", equalTo((int) version));
        var other = List.of(Fixtures.upload(w1, "hook.layer0.W_h", Fixtures.randomBytes(300)));
        as(w1).contentType(ContentType.JSON).body(Fixtures.completion(lease[1], other, List.of())).post(job + "/complete")
                .then().statusCode(409);
        var changedMetrics = Fixtures.completion(lease[1], serving, List.of());
        changedMetrics.put("metrics", Map.of("reliability", 0.1));
        as(w1).contentType(ContentType.JSON).body(changedMetrics).post(job + "/complete").then().statusCode(409);
        assertEquals(1L, HooklineTestResources.count("hook_version WHERE batch_id = (SELECT batch_id FROM edit_job "
                + "WHERE id = " + lease[0] + ")"));
    }

    @Test
    void revokingAWorkersTokenReleasesItsLeases() {
        String submitter = Fixtures.token(Fixtures.unique("rv-sub"), "SUBMITTER");
        var issued = as(ADMIN).contentType(ContentType.JSON)
                .body(Map.of("principal", Fixtures.unique("rv-worker"), "roles", List.of("WORKER"))).post("/api/tokens");
        String w1 = issued.path("token");
        long tokenId = issued.<Number>path("id").longValue();
        String w2 = Fixtures.token(Fixtures.unique("rv-w2"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("rv-model"));
        long batch = Fixtures.batch(submitter, model, "main", 1);
        String[] lease = Fixtures.lease(w1, model);
        as(ADMIN).get("/api/batches/" + batch).then().body("status", equalTo("RUNNING"));
        as(ADMIN).delete("/api/tokens/" + tokenId).then().statusCode(200);
        as(ADMIN).get("/api/jobs/" + lease[0]).then().statusCode(200).body("status", equalTo("QUEUED"));
        as(ADMIN).get("/api/batches/" + batch).then().body("status", equalTo("QUEUED"));
        // Leasable at once by another worker (no waiting for the 120 s lease to expire).
        String[] again = Fixtures.lease(w2, model);
        assertEquals(lease[0], again[0]);
        as(w2).contentType(ContentType.JSON).body(Map.of("leaseToken", lease[1])).post("/api/jobs/" + lease[0] + "/heartbeat")
                .then().statusCode(409);
    }
}
