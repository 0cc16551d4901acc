/*
 * Issue 25 console forms over HTTP against the real registry: an ADMIN sets a model's quality gate
 * and a channel's approvals policy, a RELEASER approves a version for the channel, a SUBMITTER
 * reverts a batch from the version page; each form's effect is read back through the API, and
 * bad form input is a 400 HTML page with nothing changed.
 */
package dev.hookline.registry.console;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import dev.hookline.registry.governance.TensorDiffTest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class ConsoleGovernanceFormsTest {

    @Test
    void gatePolicyApprovalAndRevertForms() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        String rel = Fixtures.token(Fixtures.unique("rel"), "RELEASER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String admin = HooklineTestResources.ADMIN_TOKEN;
        long model = Fixtures.model(Fixtures.unique("console-forms"));
        float[] eye = {1, 0, 0, 1};
        long[] v = new long[3];
        for (int i = 0; i < 3; i++) {
            v[i] = TensorDiffTest.version(alice, worker, model, Map.of(0, eye), Map.of(0, 2.0));
        }
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + v[0] + "/validate")
                .then().statusCode(200);
        as(rel).contentType(ContentType.JSON).body(Map.of("versionId", v[0], "reason", "first"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(200);

        // ADMIN: quality gate on the model page, policy on the channel page
        ConsoleHttp a = ConsoleHttp.signIn(admin);
        String modelPage = a.get("/models/" + model).asString();
        assertTrue(modelPage.contains("id=\"gate-form\""), "the admin sees the gate form");
        Response bad = a.postForm("/governance/models/" + model + "/gate", Map.of("minReliability", "lots", "reason", "x"));
        assertEquals(400, bad.statusCode());
        assertTrue(bad.getContentType().startsWith("text/html"));
        Response gate = a.postForm("/governance/models/" + model + "/gate",
                Map.of("minReliability", "0.8", "maxRegression", "0.1", "reason", "release bar"));
        assertEquals(303, gate.statusCode(), gate.asString());
        JsonPath g = as(admin).get("/api/models/" + model + "/gate").then().statusCode(200).extract().jsonPath();
        assertEquals(0.8, g.getDouble("minReliability"), 1e-9);
        assertEquals(0.1, g.getDouble("maxRegression"), 1e-9);
        assertTrue(a.get("/models/" + model + "/channels/prod").asString().contains("id=\"policy-form\""));
        Response policy = a.postForm("/governance/models/" + model + "/channels/prod/policy",
                Map.of("requiredApprovals", "2", "reason", "two releasers"));
        assertEquals(303, policy.statusCode(), policy.asString());
        assertEquals(2, as(admin).get("/api/models/" + model + "/channels/prod/policy").then().statusCode(200)
                .extract().<Integer>path("requiredApprovals"));
        // an out-of-range policy is the API's 400, shown as a page
        Response six = a.postForm("/governance/models/" + model + "/channels/prod/policy",
                Map.of("requiredApprovals", "6", "reason", "x"));
        assertEquals(400, six.statusCode());
        assertTrue(six.getContentType().startsWith("text/html"));

        // RELEASER: approval of v1 for prod
        ConsoleHttp r = ConsoleHttp.signIn(rel);
        assertTrue(r.get("/models/" + model + "/channels/prod").asString().contains("id=\"approval-form\""));
        Response approval = r.postForm("/governance/models/" + model + "/channels/prod/approvals",
                Map.of("versionId", String.valueOf(v[0]), "comment", "looks right"));
        assertEquals(303, approval.statusCode(), approval.asString());
        JsonPath p = as(admin).get("/api/models/" + model + "/channels/prod/policy").then().extract().jsonPath();
        assertEquals(1, p.getList("approvals").size());
        assertEquals(v[0], p.getLong("approvals[0].versionId"));

        // SUBMITTER: revert of the middle batch from its version page
        ConsoleHttp s = ConsoleHttp.signIn(alice);
        assertTrue(s.get("/versions/" + v[1]).asString().contains("id=\"revert-form\""));
        Response noReason = s.postForm("/governance/versions/" + v[1] + "/revert", Map.of("reason", " "));
        assertEquals(400, noReason.statusCode());
        Response revert = s.postForm("/governance/versions/" + v[1] + "/revert", Map.of("reason", "wrong facts"));
        assertEquals(303, revert.statusCode(), revert.asString());
        String location = revert.getHeader("Location");
        long revertBatch = Long.parseLong(location.substring(location.lastIndexOf('/') + 1));
        JsonPath b = as(alice).get("/api/batches/" + revertBatch).then().statusCode(200).extract().jsonPath();
        long reverted = as(alice).get("/api/versions/" + v[1]).then().extract().<Number>path("batchId").longValue();
        assertEquals(reverted, b.getLong("revertsBatchId"));
        assertEquals("QUEUED", b.getString("status"));
    }
}
