package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Endpoints added for the editor worker: unreferenced-blob GC (list with a minimum age, delete
 * that refuses referenced blobs), lease release on graceful shutdown, and model build progress.
 */
@QuarkusTest
class WorkerEndpointsTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;

    @Test
    void gcListsOnlyUnreferencedBlobsAndRefusesToDeleteReferencedOnes() {
        String worker = Fixtures.token(Fixtures.unique("gc-worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("gc-model"));
        List<Map<String, Object>> checkpoint = as(ADMIN).get("/api/models/" + model).then().statusCode(200)
                .extract().path("checkpoint");
        // GC spares every blob stored since the oldest live lease began (it may be in that job's
        // manifest soon). Test classes share this app's database, and a job an earlier class leased
        // and left would spare the orphan below: expire such leftovers first.
        try (java.sql.Connection c = HooklineTestResources.superuser(); java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE edit_job SET lease_expires_at = now() - interval '1 second' "
                    + "WHERE status = 'LEASED' AND lease_expires_at > now()");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> orphan = Fixtures.upload(worker, "orphan",
                ("orphan " + Fixtures.unique("x")).getBytes(StandardCharsets.UTF_8));
        String orphanKey = (String) orphan.get("key");

        // The store's last-modified times have whole seconds, so GC counts a blob as up to one
        // second younger than it is: wait that out before asking for blobs of any age.
        try {
            Thread.sleep(2_100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> listed = as(ADMIN).get("/api/blobs/unreferenced?minAgeSeconds=0").then().statusCode(200)
                .extract().path("blobs.key");
        assertTrue(listed.contains(orphanKey), listed.toString());
        for (Map<String, Object> e : checkpoint) {
            assertFalse(listed.contains((String) e.get("key")), "referenced blob listed: " + e);
        }
        List<String> old = as(ADMIN).get("/api/blobs/unreferenced").then().statusCode(200).extract().path("blobs.key");
        assertFalse(old.contains(orphanKey), "default minimum age (1 h) spares a fresh upload");
        as(ADMIN).get("/api/blobs/unreferenced?minAgeSeconds=-1").then().statusCode(400)
                .body("fields[0].field", org.hamcrest.Matchers.equalTo("minAgeSeconds"));

        String referenced = ((String) checkpoint.get(0).get("key")).substring(7);
        as(ADMIN).delete("/api/blobs/sha256/" + referenced).then().statusCode(409);
        as(ADMIN).head("/api/blobs/sha256/" + referenced).then().statusCode(200);
        as(worker).delete("/api/blobs/sha256/" + orphanKey.substring(7)).then().statusCode(403);

        as(ADMIN).delete("/api/blobs/sha256/" + orphanKey.substring(7)).then().statusCode(200)
                .body("deleted", org.hamcrest.Matchers.equalTo(true));
        as(ADMIN).head("/api/blobs/sha256/" + orphanKey.substring(7)).then().statusCode(404);
        as(ADMIN).delete("/api/blobs/sha256/" + orphanKey.substring(7)).then().statusCode(404);
        as(ADMIN).delete("/api/blobs/sha256/not-hex").then().statusCode(400);
    }

    @Test
    void releasedLeaseIsLeasableAgainAndFencesTheOldHolder() {
        String submitter = Fixtures.token(Fixtures.unique("rel-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("rel-worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("rel-model"));
        long batch = Fixtures.batch(submitter, model, "main", 1);

        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model, "leaseSeconds", 60))
                .post("/api/jobs/lease");
        assertEquals(200, lease.statusCode());
        long job = lease.jsonPath().getLong("job.id");
        String token = lease.jsonPath().getString("leaseToken");
        assertEquals(batch, lease.jsonPath().getLong("batch.id"));

        as(worker).contentType(ContentType.JSON).body(Map.of("leaseToken", "00000000-0000-0000-0000-000000000000"))
                .post("/api/jobs/" + job + "/release").then().statusCode(409);
        as(worker).contentType(ContentType.JSON).body(Map.of()).post("/api/jobs/" + job + "/release").then()
                .statusCode(400);
        long seqBefore = as(ADMIN).get("/api/audit/verify").then().statusCode(200).extract().<Number>path("lastSeq")
                .longValue();
        as(worker).contentType(ContentType.JSON).body(Map.of("leaseToken", token))
                .post("/api/jobs/" + job + "/release").then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("QUEUED"));
        as(ADMIN).get("/api/batches/" + batch).then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("QUEUED"));
        as(worker).contentType(ContentType.JSON).body(Map.of("leaseToken", token))
                .post("/api/jobs/" + job + "/heartbeat").then().statusCode(409);

        Response again = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model, "leaseSeconds", 60))
                .post("/api/jobs/lease");
        assertEquals(200, again.statusCode());
        assertEquals(job, again.jsonPath().getLong("job.id"));
        assertEquals(2, again.jsonPath().getInt("job.attempt"));
        assertNotEquals(token, again.jsonPath().getString("leaseToken"));
        var serving = List.of(Fixtures.upload(worker, "serving.safetensors", Fixtures.randomBytes(256)));
        as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token, serving, List.of()))
                .post("/api/jobs/" + job + "/complete").then().statusCode(409);
        as(worker).contentType(ContentType.JSON)
                .body(Fixtures.completion(again.jsonPath().getString("leaseToken"), serving, List.of()))
                .post("/api/jobs/" + job + "/complete").then().statusCode(201);
        List<String> actions = as(ADMIN).get("/api/audit?limit=1000&afterSeq=" + seqBefore).then().statusCode(200)
                .extract().path("action");
        assertTrue(actions.contains("job.released"));
    }

    @Test
    void modelBuildProgressIsReportedAndListed() {
        String worker = Fixtures.token(Fixtures.unique("build-worker"), "WORKER");
        String name = Fixtures.unique("demo-world");
        as(worker).contentType(ContentType.JSON)
                .body(Map.of("preset", "demo", "status", "PRETRAINING", "phase", "pretrain 10/100", "percent", 10))
                .put("/api/models/builds/" + name).then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("PRETRAINING"))
                .body("percent", org.hamcrest.Matchers.equalTo(10));
        String reader = Fixtures.token(Fixtures.unique("build-reader"), "REVIEWER");
        List<Map<String, Object>> builds = as(reader).get("/api/models/builds").then().statusCode(200).extract().path("$");
        Map<String, Object> mine = builds.stream().filter(b -> name.equals(b.get("name"))).findFirst().orElseThrow();
        assertEquals("pretrain 10/100", mine.get("phase"));
        assertEquals("demo", mine.get("preset"));

        as(worker).contentType(ContentType.JSON).body(Map.of("status", "DONE", "percent", 100))
                .put("/api/models/builds/" + name).then().statusCode(400)
                .body("fields[0].field", org.hamcrest.Matchers.equalTo("status"));
        as(worker).contentType(ContentType.JSON).body(Map.of("status", "READY", "percent", 101))
                .put("/api/models/builds/" + name).then().statusCode(400)
                .body("fields[0].field", org.hamcrest.Matchers.equalTo("percent"));
        as(worker).contentType(ContentType.JSON).body(Map.of("status", "READY", "percent", 100, "modelId", 987654321))
                .put("/api/models/builds/" + name).then().statusCode(422);
        long model = Fixtures.model(Fixtures.unique("built"));
        as(worker).contentType(ContentType.JSON).body(Map.of("status", "READY", "percent", 100, "modelId", model))
                .put("/api/models/builds/" + name).then().statusCode(200)
                .body("modelId", org.hamcrest.Matchers.equalTo((int) model));
        // The literal path does not shadow model ids.
        as(reader).get("/api/models/" + model).then().statusCode(200);
    }
}
