/*
 * The batch API accepts every hook method the engine can snapshot, including coachhook-plus,
 * coachhook-span, coachhook-nearest, alphaedit-nearest, alphaedit-shards, codebook-nearest and codebook-subject, keeps the wire
 * name through storage and hands it to the worker's lease; an
 * edit's optional relation label (coachhook-span-relation) travels the same way.
 */
package dev.hookline.registry;

import dev.hookline.registry.batch.EditMethod;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class EditMethodTest {

    @Test
    void spanAndPlusBatchesAreAcceptedStoredAndLeasedUnderTheirWireNames() {
        String submitter = Fixtures.token(Fixtures.unique("method-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("method-worker"), "WORKER");
        for (String method : List.of("coachhook-span", "coachhook-plus", "coachhook-nearest", "alphaedit-nearest",
                "alphaedit-shards", "codebook-nearest", "codebook-subject")) {
            long model = Fixtures.model(Fixtures.unique("method-model"));
            Map<String, Object> body = Fixtures.batchBody(model, "main", 2);
            body.put("method", method);
            long batch = as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches")
                    .then().statusCode(201).body("method", equalTo(method))
                    .extract().<Number>path("id").longValue();
            as(submitter).get("/api/batches/" + batch).then().statusCode(200)
                    .body("method", equalTo(method)).body("status", equalTo("QUEUED"));

            Response lease = as(worker).contentType(ContentType.JSON)
                    .body(Map.of("modelId", model, "leaseSeconds", 60)).post("/api/jobs/lease");
            assertEquals(200, lease.statusCode(), lease.asString());
            assertEquals(batch, lease.jsonPath().getLong("batch.id"));
            assertEquals(method, lease.jsonPath().getString("batch.method"));
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void aBatchThatNamesNoMethodContinuesItsBranchsMethod() {
        String submitter = Fixtures.token(Fixtures.unique("branch-method-sub"), "SUBMITTER");
        long model = Fixtures.model(Fixtures.unique("branch-method-model"));
        Map<String, Object> first = Fixtures.batchBody(model, "older", 2);
        first.put("method", "alphaedit-nearest");
        first.put("hyperparameters", Map.of());
        as(submitter).contentType(ContentType.JSON).body(first).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("alphaedit-nearest"));
        // The branch's hook state continues only under alphaedit-nearest: a batch naming none keeps it.
        Map<String, Object> next = Fixtures.batchBody(model, "older", 2);
        next.remove("method");
        next.put("hyperparameters", Map.of());
        for (Map<String, Object> e : (List<Map<String, Object>>) next.get("edits")) {
            e.put("subject", "Other " + e.get("subject"));
        }
        as(submitter).contentType(ContentType.JSON).body(next).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("alphaedit-nearest"));
        // A codebook-subject branch keeps codebook-subject too (its gated rows continue only under it).
        Map<String, Object> gated = Fixtures.batchBody(model, "gated", 2);
        gated.put("method", "codebook-subject");
        gated.put("hyperparameters", Map.of("alpha0", 0.4, "layers", List.of(1)));
        as(submitter).contentType(ContentType.JSON).body(gated).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("codebook-subject"));
        Map<String, Object> gatedNext = Fixtures.batchBody(model, "gated", 2);
        gatedNext.remove("method");
        gatedNext.put("hyperparameters", Map.of());
        for (Map<String, Object> e : (List<Map<String, Object>>) gatedNext.get("edits")) {
            e.put("subject", "Other " + e.get("subject"));
        }
        as(submitter).contentType(ContentType.JSON).body(gatedNext).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("codebook-subject"));
        // Naming another method on the codebook-subject branch is refused at submission (409, problem JSON naming
        // method): the gated rows continue only under codebook-subject. Nothing is stored.
        Map<String, Object> other = Fixtures.batchBody(model, "gated", 2);
        other.put("method", "codebook-nearest");
        other.put("hyperparameters", Map.of());
        for (Map<String, Object> e : (List<Map<String, Object>>) other.get("edits")) {
            e.put("subject", "Third " + e.get("subject"));
        }
        int before = as(submitter).get("/api/batches?modelId=" + model).then().statusCode(200).extract()
                .jsonPath().getList("$").size();
        as(submitter).contentType(ContentType.JSON).body(other).post("/api/batches")
                .then().statusCode(409).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("codebook-nearest cannot continue it"))
                .body("fields.field", org.hamcrest.Matchers.hasItem("method"));
        other.put("method", "alphaedit-shards");
        as(submitter).contentType(ContentType.JSON).body(other).post("/api/batches").then().statusCode(409);
        // ... and a codebook method on a branch of another method alike; the same method is fine.
        Map<String, Object> toCodebook = Fixtures.batchBody(model, "older", 2);
        toCodebook.put("method", "codebook-subject");
        toCodebook.put("hyperparameters", Map.of());
        for (Map<String, Object> e : (List<Map<String, Object>>) toCodebook.get("edits")) {
            e.put("subject", "Fourth " + e.get("subject"));
        }
        as(submitter).contentType(ContentType.JSON).body(toCodebook).post("/api/batches").then().statusCode(409);
        assertEquals(before, as(submitter).get("/api/batches?modelId=" + model).then().statusCode(200).extract()
                .jsonPath().getList("$").size(), "no batch stored by the refused submissions");
        toCodebook.put("method", "alphaedit-nearest");
        as(submitter).contentType(ContentType.JSON).body(toCodebook).post("/api/batches").then().statusCode(201);
        // A new branch from the base model takes the recommended method.
        Map<String, Object> fresh = Fixtures.batchBody(model, "fresh", 2);
        fresh.remove("method");
        fresh.put("hyperparameters", Map.of());
        as(submitter).contentType(ContentType.JSON).body(fresh).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("codebook-subject"));
    }

    @SuppressWarnings("unchecked")
    @Test
    void aSwitchTheWorkerWouldRefuseIsRefusedAtSubmissionAndACompatibleOneAccepted() {
        String submitter = Fixtures.token(Fixtures.unique("switch-sub"), "SUBMITTER");
        long model = Fixtures.model(Fixtures.unique("switch-model"));
        int[] round = {0};
        java.util.function.BiFunction<String, String, Response> submit = (branch, method) -> {
            Map<String, Object> body = Fixtures.batchBody(model, branch, 2);
            body.put("method", method);
            body.put("hyperparameters", Map.of());
            round[0]++;
            for (Map<String, Object> e : (List<Map<String, Object>>) body.get("edits")) {
                e.put("subject", "S" + round[0] + " " + e.get("subject"));
            }
            return as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches");
        };
        submit.apply("delta", "alphaedit-nearest").then().statusCode(201);
        // Each of these the worker refuses before any work (JobExecution, ClosedFormEditor.restore).
        Map<String, String> refused = Map.of(
                "coachhook", "its scope test is nearest, coachhook's sequence-z",
                "coachhook-nearest", "their editing state differs",
                "alphaedit-shards", "one delta against a delta per shard",
                "codebook-nearest", "a codebook continues only under the method that made it");
        for (Map.Entry<String, String> r : refused.entrySet()) {
            submit.apply("delta", r.getKey()).then().statusCode(409).contentType("application/problem+json")
                    .body("detail", org.hamcrest.Matchers.containsString(r.getKey() + " cannot continue it ("
                            + r.getValue()))
                    .body("fields.field", org.hamcrest.Matchers.hasItem("method"));
        }
        assertEquals(1, as(submitter).get("/api/batches?modelId=" + model).then().statusCode(200).extract()
                .jsonPath().getList("$").size(), "no refused batch stored");
        // Same scope test, same C_accu state: coachhook-corpus continues coachhook-plus's branch.
        submit.apply("corpus", "coachhook-plus").then().statusCode(201);
        submit.apply("corpus", "coachhook-corpus").then().statusCode(201).body("method", equalTo("coachhook-corpus"));
    }

    @Test
    void theScopeOfEveryMethodIsTheWorkersAndTheRuleIsSymmetric() {
        // The worker's table (EditMapping.bundleScope; the worker's own tests pin it to the bundles it writes).
        Map<String, String> workerScopes = Map.ofEntries(Map.entry("coachhook", "sequence-z"),
                Map.entry("coachhook-corpus", "corpus-z"), Map.entry("coachhook-plus", "corpus-z"),
                Map.entry("coachhook-span", "span"), Map.entry("coachhook-span-relation", "span-relation"),
                Map.entry("coachhook-nearest", "nearest"), Map.entry("alphaedit-nearest", "nearest"),
                Map.entry("alphaedit-shards", "nearest"), Map.entry("codebook-nearest", "nearest"),
                Map.entry("codebook-subject", "nearest"), Map.entry("coachhook-nohook", "sequence-z"),
                Map.entry("memit", "sequence-z"), Map.entry("ft", "sequence-z"));
        assertEquals(workerScopes.size(), EditMethod.values().length);
        for (EditMethod m : EditMethod.values()) {
            assertEquals(workerScopes.get(m.wireName()), m.bundleScope(), m.wireName());
            assertEquals(null, m.cannotContinue(m), m.wireName());
            for (EditMethod n : EditMethod.values()) {
                assertEquals(m.cannotContinue(n) == null, n.cannotContinue(m) == null, m + " / " + n);
            }
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void relationLabelsAreStoredAndLeasedAndBlankOnesRefused() {
        String submitter = Fixtures.token(Fixtures.unique("relation-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("relation-worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("relation-model"));
        Map<String, Object> body = Fixtures.batchBody(model, "main", 2);
        body.put("method", "coachhook-span-relation");
        body.put("hyperparameters", Map.of());
        List<Map<String, Object>> edits = (List<Map<String, Object>>) body.get("edits");
        edits.get(0).put("relation", "P103");

        Map<String, Object> blank = Fixtures.batchBody(model, "main", 1);
        ((List<Map<String, Object>>) blank.get("edits")).get(0).put("relation", " ");
        as(submitter).contentType(ContentType.JSON).body(blank).post("/api/batches").then().statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("relation"));

        long batch = as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches")
                .then().statusCode(201).body("method", equalTo("coachhook-span-relation"))
                .extract().<Number>path("id").longValue();
        as(submitter).get("/api/batches/" + batch).then().statusCode(200)
                .body("edits[0].relation", equalTo("P103"))
                .body("edits[1].relation", org.hamcrest.Matchers.nullValue());
        Response lease = as(worker).contentType(ContentType.JSON)
                .body(Map.of("modelId", model, "leaseSeconds", 60)).post("/api/jobs/lease");
        assertEquals(200, lease.statusCode(), lease.asString());
        assertEquals("P103", lease.jsonPath().getString("batch.edits[0].relation"));
    }
}
