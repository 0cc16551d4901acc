package dev.hookline.registry;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static io.restassured.RestAssured.given;

/** Test data made over the HTTP API; every test creates its own and never assumes an id. */
public final class Fixtures {

    private Fixtures() {
    }

    /** A request with a bearer token. */
    public static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    /** A unique name with a readable prefix. */
    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a token for a fresh principal with the given roles; returns the token value. */
    public static String token(String principal, String... roles) {
        return as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("principal", principal, "roles", List.of(roles)))
                .when().post("/api/tokens")
                .then().statusCode(201).extract().path("token");
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Uploads bytes as a blob (201 or 200) and returns the manifest entry for them. */
    public static Map<String, Object> upload(String token, String role, byte[] bytes) {
        String hex = sha256(bytes);
        int status = as(token).contentType("application/octet-stream").body(bytes)
                .when().put("/api/blobs/sha256/" + hex).then().extract().statusCode();
        if (status != 201 && status != 200) {
            throw new AssertionError("upload answered " + status);
        }
        return entry(role, "sha256/" + hex, bytes.length);
    }

    public static Map<String, Object> entry(String role, String key, long size) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("role", role);
        e.put("key", key);
        e.put("size", size);
        return e;
    }

    /** Registers a model whose three checkpoint blobs are uploaded first; returns its id. */
    public static long model(String name) {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        List<Map<String, Object>> checkpoint = List.of(
                upload(admin, "config.json", ("{\"n_layer\":2,\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8)),
                upload(admin, "model.safetensors", randomBytes(2048)),
                upload(admin, "tokenizer.json", ("{\"model\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("architecture", "gpt2");
        body.put("config", Map.of("n_layer", 2, "n_embd", 64));
        body.put("checkpoint", checkpoint);
        return as(admin).contentType(ContentType.JSON).body(body).when().post("/api/models")
                .then().statusCode(201).extract().<Number>path("id").longValue();
    }

    /** A valid batch body with {@code n} edits. */
    public static Map<String, Object> batchBody(long modelId, String branch, int n) {
        List<Map<String, Object>> edits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("subject", "Subject" + i);
            e.put("prompt", "The mother tongue of {} is");
            e.put("targetNew", "French");
            e.put("targetTrue", "English");
            e.put("paraphrases", List.of("Subject" + i + " speaks the language"));
            e.put("locality", List.of(Map.of("prompt", "The capital of France is", "expected", "Paris")));
            if (i == 0) {
                e.put("relation", "P103"); // an optional label; the others stay unlabelled
            }
            edits.add(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("modelId", modelId);
        body.put("branch", branch);
        body.put("method", "coachhook");
        body.put("hyperparameters", Map.of("layers", List.of(0, 1), "lambda", 100));
        body.put("reason", "facts changed");
        body.put("ticket", "HL-1");
        body.put("edits", edits);
        return body;
    }

    /** Submits a batch; returns its id. */
    public static long batch(String submitter, long modelId, String branch, int n) {
        return as(submitter).contentType(ContentType.JSON).body(batchBody(modelId, branch, n))
                .when().post("/api/batches").then().statusCode(201).extract().<Number>path("id").longValue();
    }

    /** A completion body naming the given blobs. */
    public static Map<String, Object> completion(String leaseToken, List<Map<String, Object>> serving,
                                                 List<Map<String, Object>> editing) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("leaseToken", leaseToken);
        body.put("manifest", Map.of("serving", serving, "editing", editing));
        body.put("alpha", List.of(Map.of("layer", 0, "before", 2.2, "after", 1.9),
                Map.of("layer", 1, "before", 2.2, "after", 2.05)));
        body.put("metrics", Map.of("reliability", 0.9, "generality", 0.8, "locality", 0.95));
        return body;
    }

    /** A leased job of {@code model}: {@code [jobId, leaseToken]}; fails when nothing is leasable. */
    public static String[] lease(String worker, long model) {
        io.restassured.response.Response r = as(worker).contentType(ContentType.JSON)
                .body(Map.of("modelId", model, "leaseSeconds", 120)).post("/api/jobs/lease");
        if (r.statusCode() != 200) {
            throw new AssertionError("lease answered " + r.statusCode() + " " + r.asString());
        }
        return new String[]{String.valueOf(r.<Number>path("job.id").longValue()), r.path("leaseToken")};
    }

    /** A TEMPORARY version computed from a fresh one-edit batch of {@code submitter}; returns its id. */
    public static long version(String submitter, String worker, long model, String branch) {
        batch(submitter, model, branch, 1);
        String[] lease = lease(worker, model);
        var serving = List.of(upload(worker, "hook.layer0.W_h", randomBytes(256)));
        return as(worker).contentType(ContentType.JSON).body(completion(lease[1], serving, List.of()))
                .post("/api/jobs/" + lease[0] + "/complete").then().statusCode(201).extract()
                .<Number>path("id").longValue();
    }
}
