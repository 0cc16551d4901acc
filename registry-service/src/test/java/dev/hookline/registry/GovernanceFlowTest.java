package dev.hookline.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The whole governance flow over HTTP: register a model, submit a batch, lease it as a worker,
 * upload blobs, complete, validate as another reviewer (four-eyes), pin a channel, resolve as a
 * serving node and download a blob through its presigned URL, roll back, resolve again, and
 * verify the audit chain.
 */
@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class GovernanceFlowTest {

    @Test
    void governanceFlowFromSubmissionToRollback() throws Exception {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER", "REVIEWER");
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String releaser = Fixtures.token(Fixtures.unique("rel"), "RELEASER");
        String node = Fixtures.token(Fixtures.unique("node"), "SERVING");
        long model = Fixtures.model(Fixtures.unique("gpt2-tiny"));

        // --- batch 1: submit, lease, heartbeat, upload, complete (twice: idempotent)
        long batch1 = Fixtures.batch(alice, model, "main", 2);
        as(alice).get("/api/batches/" + batch1).then().statusCode(200)
                .body("status", equalTo("QUEUED")).body("edits", hasSize(2)).body("editCount", equalTo(2));

        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "w1", "modelId", model))
                .post("/api/jobs/lease");
        lease.then().statusCode(200).body("batch.id", equalTo((int) batch1)).body("parentVersionId", nullValue())
                .body("job.attempt", equalTo(1));
        long job1 = lease.<Number>path("job.id").longValue();
        String token1 = lease.path("leaseToken");
        as(worker).contentType(ContentType.JSON).body(Map.of("leaseToken", token1, "phase", "value-step", "percent", 40))
                .post("/api/jobs/" + job1 + "/heartbeat").then().statusCode(200);
        as(alice).get("/api/batches/" + batch1).then().body("status", equalTo("RUNNING"))
                .body("progress.phase", equalTo("value-step")).body("progress.percent", equalTo(40));

        byte[] hook1 = Fixtures.randomBytes(4096);
        var serving1 = List.of(Fixtures.upload(worker, "hook.layer0.W_h", hook1));
        var editing1 = List.of(Fixtures.upload(worker, "cAccu.layer0", Fixtures.randomBytes(1024)));
        Response done = as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token1, serving1, editing1))
                .post("/api/jobs/" + job1 + "/complete");
        done.then().statusCode(201).body("state", equalTo("TEMPORARY")).body("number", equalTo(1))
                .body("method", equalTo("coachhook")).body("metrics.reliability", equalTo(0.9f))
                .body("parentNumber", equalTo(0)).body("editsCumulative", equalTo(2))
                .body("bundleDigest", startsWith("sha256:")).body("alpha", hasSize(2))
                .body("alpha[0].after", equalTo(1.9f));
        long v1 = done.<Number>path("id").longValue();
        String digest1 = done.path("bundleDigest");
        as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token1, serving1, editing1))
                .post("/api/jobs/" + job1 + "/complete").then().statusCode(200).body("id", equalTo((int) v1));
        as(alice).get("/api/models/" + model + "/versions").then().statusCode(200).body("$", hasSize(1));

        // --- review: the submitter may not validate (four-eyes), another reviewer may
        as(alice).contentType(ContentType.JSON).body(Map.of("comment", "lgtm"))
                .post("/api/versions/" + v1 + "/validate")
                .then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("urn:hookline:problem:four-eyes")).body("status", equalTo(403));
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "metrics fine"))
                .post("/api/versions/" + v1 + "/validate")
                .then().statusCode(200).body("state", equalTo("VALIDATED")).body("reviewer", notNullValue());
        as(bob).contentType(ContentType.JSON).body(Map.of()).post("/api/versions/" + v1 + "/validate")
                .then().statusCode(409);
        as(alice).get("/api/batches/" + batch1).then().body("status", equalTo("VALIDATED"));

        // --- release: pin prod at v1, resolve as a serving node, download through the presigned URL
        as(releaser).contentType(ContentType.JSON).body(Map.of("versionId", v1, "reason", "first release"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(200)
                .body("versionId", equalTo((int) v1)).body("history", hasSize(1));
        Response res = as(node).get("/api/models/" + model + "/channels/prod/resolve");
        res.then().statusCode(200).body("versionId", equalTo((int) v1)).body("bundleDigest", equalTo(digest1))
                .body("servingUrls", hasSize(1)).body("baseUrls", hasSize(3))
                .body("manifest.editing", hasSize(1));
        String etag1 = res.getHeader("ETag");
        String url = res.path("servingUrls[0].url");
        HttpResponse<byte[]> blob = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, blob.statusCode());
        assertEquals(Fixtures.sha256(hook1), Fixtures.sha256(blob.body()));
        assertEquals(res.<String>path("servingUrls[0].key"), "sha256/" + Fixtures.sha256(blob.body()));
        as(node).header("If-None-Match", etag1).get("/api/models/" + model + "/channels/prod/resolve")
                .then().statusCode(304);
        as(node).get("/api/versions/" + v1 + "/resolve").then().statusCode(200).header("ETag", equalTo(etag1));

        // --- a serving node registers and reports what it loaded
        Response reg = as(node).contentType(ContentType.JSON)
                .body(Map.of("name", Fixtures.unique("node"), "modelId", model, "channel", "prod")).post("/api/nodes");
        reg.then().statusCode(200);
        long nodeId = reg.<Number>path("id").longValue();
        as(node).contentType(ContentType.JSON).body(Map.of("versionId", v1, "digest", digest1, "status", "SERVING"))
                .post("/api/nodes/" + nodeId + "/heartbeat").then().statusCode(200).body("loadedVersionId", equalTo((int) v1));
        Instant afterV1 = Instant.now();

        // --- batch 2 extends v1; pin prod at v2; roll back to v1
        long batch2 = Fixtures.batch(alice, model, "main", 3);
        Response lease2 = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model)).post("/api/jobs/lease");
        lease2.then().statusCode(200).body("batch.id", equalTo((int) batch2)).body("parentVersionId", equalTo((int) v1));
        var serving2 = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(4096)));
        long v2 = as(worker).contentType(ContentType.JSON)
                .body(Fixtures.completion(lease2.path("leaseToken"), serving2, List.of()))
                .post("/api/jobs/" + lease2.<Number>path("job.id").longValue() + "/complete")
                .then().statusCode(201).body("parentVersionId", equalTo((int) v1)).body("number", equalTo(2))
                .body("editsCumulative", equalTo(5)).extract().<Number>path("id").longValue();
        as(releaser).contentType(ContentType.JSON).body(Map.of("versionId", v2, "expectedVersionId", v1, "reason", "too early"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(422);
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + v2 + "/validate")
                .then().statusCode(200);
        as(releaser).contentType(ContentType.JSON).body(Map.of("versionId", v2, "expectedVersionId", v2, "reason", "stale"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(409)
                .body("fields[0].field", equalTo("expectedVersionId"));
        as(releaser).contentType(ContentType.JSON).body(Map.of("versionId", v2, "expectedVersionId", v1, "reason", "v2"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(200).body("versionId", equalTo((int) v2));
        Instant afterV2 = Instant.now();
        Response res2 = as(node).header("If-None-Match", etag1).get("/api/models/" + model + "/channels/prod/resolve");
        res2.then().statusCode(200).body("versionId", equalTo((int) v2));
        assertNotEquals(etag1, res2.getHeader("ETag"));

        as(releaser).contentType(ContentType.JSON).body(Map.of("reason", "regression in locality"))
                .post("/api/models/" + model + "/channels/prod/rollback").then().statusCode(200)
                .body("versionId", equalTo((int) v1)).body("history", hasSize(3))
                .body("history[0].kind", equalTo("ROLLBACK")).body("history[0].fromVersionId", equalTo((int) v2));
        as(node).get("/api/models/" + model + "/channels/prod/resolve").then().statusCode(200)
                .body("versionId", equalTo((int) v1)).header("ETag", equalTo(etag1));

        // --- what did prod serve when
        as(alice).queryParam("time", afterV1.toString()).get("/api/models/" + model + "/channels/prod/at")
                .then().statusCode(200).body("versionId", equalTo((int) v1));
        as(alice).queryParam("time", afterV2.toString()).get("/api/models/" + model + "/channels/prod/at")
                .then().statusCode(200).body("versionId", equalTo((int) v2));
        as(alice).queryParam("time", afterV1.toString()).get("/api/nodes/" + nodeId + "/at")
                .then().statusCode(200).body("report.versionId", equalTo((int) v1));
        as(alice).queryParam("modelId", model).get("/api/nodes").then().statusCode(200)
                .body("[0].loadedDigest", equalTo(digest1));

        // --- the audit chain is intact and recorded the flow
        as(HooklineTestResources.ADMIN_TOKEN).get("/api/audit/verify").then().statusCode(200)
                .body("ok", is(true)).body("brokenAtSeq", nullValue());
    }
}
