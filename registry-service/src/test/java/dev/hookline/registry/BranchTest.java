package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Branches: forks from a version, the parentVersionId guard, held (SUBMITTED) batches. */
@QuarkusTest
class BranchTest {

    @Test
    void forkGuardAndHeldBatches() {
        String submitter = Fixtures.token(Fixtures.unique("sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("branch-model"));

        // main: one computed version v1
        long b1 = Fixtures.batch(submitter, model, "main", 2);
        long v1 = complete(worker, model, b1);

        // The guard: main is at v1, so naming anything else as parent is a 409; naming v1 works.
        Map<String, Object> wrong = Fixtures.batchBody(model, "main", 1);
        wrong.put("parentVersionId", v1 + 1_000_000);
        as(submitter).contentType(ContentType.JSON).body(wrong).post("/api/batches").then().statusCode(422);
        long otherModel = Fixtures.model(Fixtures.unique("other"));
        long b0 = Fixtures.batch(submitter, otherModel, "main", 1);
        long foreign = complete(worker, otherModel, b0);
        wrong.put("parentVersionId", foreign);
        as(submitter).contentType(ContentType.JSON).body(wrong).post("/api/batches").then().statusCode(422)
                .body("fields[0].field", equalTo("parentVersionId"));
        Map<String, Object> guarded = Fixtures.batchBody(model, "main", 1);
        guarded.put("parentVersionId", v1);
        guarded.put("queue", false);
        long held = as(submitter).contentType(ContentType.JSON).body(guarded).post("/api/batches")
                .then().statusCode(201).body("status", equalTo("SUBMITTED")).body("job", nullValue())
                .extract().<Number>path("id").longValue();
        // A held batch is pending: the branch guard refuses another explicit parent, and nothing is leasable.
        as(submitter).contentType(ContentType.JSON).body(guarded).post("/api/batches").then().statusCode(409);
        as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model)).post("/api/jobs/lease")
                .then().statusCode(204);
        as(submitter).post("/api/batches/" + held + "/queue").then().statusCode(200).body("status", equalTo("QUEUED"));
        as(submitter).post("/api/batches/" + held + "/queue").then().statusCode(409);
        long v2 = complete(worker, model, held);
        assertEquals(v1, parentOf(submitter, v2));
        // main moved on to v2: a submitter who still believes it is at v1 gets a 409.
        Map<String, Object> stale = Fixtures.batchBody(model, "main", 1);
        stale.put("parentVersionId", v1);
        as(submitter).contentType(ContentType.JSON).body(stale).post("/api/batches").then().statusCode(409)
                .body("fields[0].field", equalTo("parentVersionId"));

        // A new branch forks from v1 (not from main's tip v2) and its first batch extends v1.
        Map<String, Object> fork = Fixtures.batchBody(model, "experiment", 1);
        fork.put("parentVersionId", v1);
        long forked = as(submitter).contentType(ContentType.JSON).body(fork).post("/api/batches")
                .then().statusCode(201).body("branch", equalTo("experiment")).body("position", equalTo(1))
                .extract().<Number>path("id").longValue();
        long v3 = complete(worker, model, forked);
        assertEquals(v1, parentOf(submitter, v3));
        as(submitter).get("/api/versions/" + v3).then().body("number", equalTo(3)).body("parentNumber", equalTo(1))
                .body("editsCumulative", equalTo(3));
    }

    private static long complete(String worker, long model, long batch) {
        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model)).post("/api/jobs/lease");
        lease.then().statusCode(200).body("batch.id", equalTo((int) batch));
        var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(128)));
        return as(worker).contentType(ContentType.JSON)
                .body(Fixtures.completion(lease.path("leaseToken"), serving, List.of()))
                .post("/api/jobs/" + lease.<Number>path("job.id").longValue() + "/complete")
                .then().statusCode(201).extract().<Number>path("id").longValue();
    }

    private static long parentOf(String token, long version) {
        return as(token).get("/api/versions/" + version).then().statusCode(200).extract()
                .<Number>path("parentVersionId").longValue();
    }
}
