package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Blob integrity: bytes that do not match their digest are refused, uploads are idempotent,
 * downloads return the same bytes, and metadata referencing a missing blob is never committed.
 */
@QuarkusTest
class BlobIntegrityTest {

    @Test
    void uploadsAreCheckedAgainstTheirDigestAndIdempotent() {
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        byte[] bytes = Fixtures.randomBytes(10_000);
        String hex = Fixtures.sha256(bytes);
        byte[] other = Fixtures.randomBytes(10_000);

        as(worker).contentType("application/octet-stream").body(other).put("/api/blobs/sha256/" + hex)
                .then().statusCode(422).contentType("application/problem+json")
                .body("fields[0].field", equalTo("digest")).body("detail", containsString(Fixtures.sha256(other)));
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(404);
        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/NOT-HEX")
                .then().statusCode(400);

        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/" + hex)
                .then().statusCode(201).body("created", is(true)).body("size", equalTo(10_000));
        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/" + hex)
                .then().statusCode(200).body("created", is(false)).body("key", equalTo("sha256/" + hex));
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(200).header("Content-Length", "10000");
        byte[] back = as(worker).get("/api/blobs/sha256/" + hex).then().statusCode(200).extract().asByteArray();
        assertEquals(hex, Fixtures.sha256(back));
    }

    @Test
    void aVersionWhoseBlobIsMissingCannotComplete() {
        String submitter = Fixtures.token(Fixtures.unique("sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("blob-model"));
        long batch = Fixtures.batch(submitter, model, "main", 1);
        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model)).post("/api/jobs/lease");
        lease.then().statusCode(200).body("batch.id", equalTo((int) batch));
        long job = lease.<Number>path("job.id").longValue();
        String token = lease.path("leaseToken");

        var present = Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(300));
        byte[] missingBytes = Fixtures.randomBytes(300);
        String missingKey = "sha256/" + Fixtures.sha256(missingBytes);
        var missing = Fixtures.entry("cAccu.layer0", missingKey, 300);
        long versionsBefore = HooklineTestResources.count("hook_version");
        long auditBefore = HooklineTestResources.count("audit_event");

        as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token, List.of(present), List.of(missing)))
                .post("/api/jobs/" + job + "/complete")
                .then().statusCode(422).contentType("application/problem+json")
                .body("detail", containsString(missingKey)).body("fields[0].field", equalTo("manifest.editing[0].key"));
        // A size that does not match the stored object is refused too.
        var wrongSize = Fixtures.entry("hook.layer0.W_h", (String) present.get("key"), 301);
        as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token, List.of(wrongSize), List.of()))
                .post("/api/jobs/" + job + "/complete").then().statusCode(422)
                .body("fields[0].field", equalTo("manifest.serving[0].size"));
        assertEquals(versionsBefore, HooklineTestResources.count("hook_version"));
        assertEquals(auditBefore, HooklineTestResources.count("audit_event"));
        as(submitter).get("/api/batches/" + batch).then().body("status", equalTo("RUNNING"));

        Fixtures.upload(worker, "cAccu.layer0", missingBytes);
        as(worker).contentType(ContentType.JSON).body(Fixtures.completion(token, List.of(present), List.of(missing)))
                .post("/api/jobs/" + job + "/complete").then().statusCode(201).body("state", equalTo("TEMPORARY"));
        assertEquals(versionsBefore + 1, HooklineTestResources.count("hook_version"));
    }

    @Test
    void aModelWhoseCheckpointBlobIsMissingIsNotRegistered() {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        var config = Fixtures.upload(admin, "config.json", Fixtures.randomBytes(40));
        var weights = Fixtures.upload(admin, "model.safetensors", Fixtures.randomBytes(400));
        String missingKey = "sha256/" + Fixtures.sha256(Fixtures.randomBytes(40));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", Fixtures.unique("incomplete"));
        body.put("architecture", "gpt2");
        body.put("config", Map.of("n_layer", 2));
        body.put("checkpoint", List.of(config, weights, Fixtures.entry("tokenizer.json", missingKey, 40)));
        long models = HooklineTestResources.count("base_model");
        as(admin).contentType(ContentType.JSON).body(body).post("/api/models").then().statusCode(422)
                .body("detail", containsString(missingKey));
        body.put("checkpoint", List.of(config, weights));
        as(admin).contentType(ContentType.JSON).body(body).post("/api/models").then().statusCode(400)
                .body("detail", containsString("tokenizer.json"));
        assertEquals(models, HooklineTestResources.count("base_model"));
    }
}
