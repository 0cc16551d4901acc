/*
 * Issue 25, revert one batch and keep the later ones, over HTTP against the real registry: the
 * middle of three batches is reverted; the revert batch forks from the first batch's version,
 * replays the third batch's edits, is computed like any batch and reviewed like any version.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.hookline.registry.Fixtures.as;
import static dev.hookline.registry.governance.GovernanceApi.batch;
import static dev.hookline.registry.governance.GovernanceApi.compute;
import static dev.hookline.registry.governance.GovernanceApi.edit;
import static dev.hookline.registry.governance.GovernanceApi.good;
import static dev.hookline.registry.governance.GovernanceApi.submit;
import static dev.hookline.registry.governance.GovernanceApi.validate;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class RevertTest {

    @Test
    void revertingTheMiddleOfThreeBatchesKeepsTheFirstAndThird() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("gov-revert"));
        // The batches run under a model default (coachhook's value steps); the replay keeps it
        // although the model's default changes before the revert.
        as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON).body(Map.of("method", "coachhook",
                "hyperparameters", Map.of("valueSteps", 25))).put("/api/models/" + model + "/edit-defaults")
                .then().statusCode(200);
        long[] batches = new long[3];
        long[] versions = new long[3];
        String[][] subjects = {{"Ada", "Bo"}, {"Cy", "Di"}, {"Ed", "Flo"}};
        for (int i = 0; i < 3; i++) {
            List<Map<String, Object>> edits = new ArrayList<>();
            for (String s : subjects[i]) {
                edits.add(edit(s, "P103", "The mother tongue of {} is", "French", "English"));
            }
            batches[i] = submit(alice, batch(model, "main", edits)).then().statusCode(201).extract()
                    .<Number>path("id").longValue();
            versions[i] = compute(worker, model, good());
        }
        as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON).body(Map.of("method", "coachhook",
                "hyperparameters", Map.of("valueSteps", 30))).put("/api/models/" + model + "/edit-defaults")
                .then().statusCode(200);
        String revert = "/api/versions/" + versions[1] + "/revert";
        as(alice).contentType(ContentType.JSON).body(Map.of()).post(revert).then().statusCode(400);
        as(bob).contentType(ContentType.JSON).body(Map.of("reason", "x")).post(revert).then().statusCode(403);
        // the last batch has nothing to replay
        as(alice).contentType(ContentType.JSON).body(Map.of("reason", "x"))
                .post("/api/versions/" + versions[2] + "/revert").then().statusCode(409);

        Response r = as(alice).contentType(ContentType.JSON).body(Map.of("reason", "batch 2 facts were wrong"))
                .post(revert);
        r.then().statusCode(201).body("branch", equalTo("revert-" + batches[1]))
                .body("revertsBatchId", equalTo((int) batches[1]))
                .body("replaysBatchIds", equalTo(List.of((int) batches[2])))
                .body("status", equalTo("QUEUED")).body("edits.subject", equalTo(List.of("Ed", "Flo")))
                .body("method", equalTo("coachhook")).body("modelDefaults.valueSteps", equalTo(25));
        long revertBatch = r.<Number>path("id").longValue();
        as(alice).contentType(ContentType.JSON).body(Map.of("reason", "again")).post(revert).then().statusCode(409);

        // a worker computes it on top of v1 (the reverted batch's parent)
        Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("worker", "gov-w", "modelId", model))
                .post("/api/jobs/lease");
        lease.then().statusCode(200).body("batch.id", equalTo((int) revertBatch))
                .body("parentVersionId", equalTo((int) versions[0]));
        var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(2048)));
        Map<String, Object> done = Fixtures.completion(lease.path("leaseToken"), serving, List.of());
        long reverted = as(worker).contentType(ContentType.JSON).body(done)
                .post("/api/jobs/" + lease.<Number>path("job.id").longValue() + "/complete")
                .then().statusCode(201).body("state", equalTo("TEMPORARY"))
                .body("parentVersionId", equalTo((int) versions[0])).extract().<Number>path("id").longValue();

        // its lineage holds the first and third batches' facts, not the second's
        Set<String> facts = new HashSet<>();
        Long at = reverted;
        while (at != null) {
            Response v = as(alice).get("/api/versions/" + at);
            as(alice).get("/api/batches/" + v.<Number>path("batchId").longValue()).then().extract().jsonPath()
                    .<String>getList("edits.subject").forEach(facts::add);
            Number parent = v.path("parentVersionId");
            at = parent == null ? null : parent.longValue();
        }
        assertEquals(Set.of("Ada", "Bo", "Ed", "Flo"), facts);
        // reviewed like any version: its ancestor v1 first
        validate(bob, reverted).then().statusCode(409);
        validate(bob, versions[0]).then().statusCode(200);
        validate(bob, reverted).then().statusCode(200).body("state", equalTo("VALIDATED"));
        as(HooklineTestResources.ADMIN_TOKEN).get("/api/audit/verify").then().body("ok", equalTo(true));
    }
}
