/*
 * Issue 25, ancestry and safe releases, over HTTP against the real registry (embedded PostgreSQL,
 * S3Proxy): the rejected-ancestor scenario, blocked descendants and channels, no-op moves,
 * rollbacks that walk back instead of toggling, two-person releases.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.hookline.registry.Fixtures.as;
import static dev.hookline.registry.governance.GovernanceApi.compute;
import static dev.hookline.registry.governance.GovernanceApi.good;
import static dev.hookline.registry.governance.GovernanceApi.pin;
import static dev.hookline.registry.governance.GovernanceApi.review;
import static dev.hookline.registry.governance.GovernanceApi.rollback;
import static dev.hookline.registry.governance.GovernanceApi.validate;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class AncestryAndReleaseTest {

    private String alice;
    private String bob;
    private String worker;
    private String rel;
    private String rel2;

    @BeforeEach
    void tokens() {
        alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        rel = Fixtures.token(Fixtures.unique("rel"), "RELEASER");
        rel2 = Fixtures.token(Fixtures.unique("rel2"), "RELEASER");
    }

    /** Three chained versions v1 -> v2 -> v3 of a fresh model: ids [model, v1, v2, v3]. */
    private long[] chain() {
        long model = Fixtures.model(Fixtures.unique("gov"));
        long[] out = new long[4];
        out[0] = model;
        for (int i = 1; i <= 3; i++) {
            Fixtures.batch(alice, model, "main", 1);
            out[i] = compute(worker, model, good());
        }
        return out;
    }

    @Test
    void rejectedAncestorScenarioIsRefusedAtEveryStep() {
        long[] c = chain();
        long model = c[0], v1 = c[1], v2 = c[2], v3 = c[3];
        // v3 while v1 and v2 are unreviewed: refused, naming the first unvalidated ancestor
        validate(bob, v3).then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:hookline:problem:ancestry"))
                .body("detail", containsString("ancestor version " + v1 + " "));
        validate(bob, v1).then().statusCode(200).body("state", equalTo("VALIDATED"));
        validate(bob, v3).then().statusCode(409).body("detail", containsString("ancestor version " + v2 + " "));
        as(bob).get("/api/versions/" + v3).then().body("state", equalTo("TEMPORARY"));
        // v2 rejected: v3 is BLOCKED, can never be validated, pinned or resolved
        review(bob, v2, false, Map.of("comment", "wrong facts")).then().statusCode(200)
                .body("state", equalTo("REJECTED"));
        as(bob).get("/api/versions/" + v3).then().statusCode(200).body("state", equalTo("BLOCKED"))
                .body("blockedBy", equalTo((int) v2));
        validate(bob, v3).then().statusCode(409).body("detail", containsString("BLOCKED"));
        pin(rel, model, "canary", v3, null).then().statusCode(422).body("detail", containsString("BLOCKED"));
        as(rel).get("/api/versions/" + v3 + "/resolve").then().statusCode(422);
        pin(rel, model, "canary", v1, null).then().statusCode(200).body("health.blocked", is(false));
        // the next batch of the branch extends v1, never the rejected or blocked versions
        Fixtures.batch(alice, model, "main", 1);
        as(worker).contentType(ContentType.JSON).body(Map.of("worker", "gov-w", "modelId", model))
                .post("/api/jobs/lease").then().statusCode(200).body("parentVersionId", equalTo((int) v1));
    }

    @Test
    void channelOnAVersionThatBecomesBlockedIsReportedLoudly() {
        long[] c = chain();
        long model = c[0], v1 = c[1], v2 = c[2], v3 = c[3];
        validate(bob, v1).then().statusCode(200);
        validate(bob, v2).then().statusCode(200);
        validate(bob, v3).then().statusCode(200);
        pin(rel, model, "prod", v1, null).then().statusCode(200);
        pin(rel, model, "canary", v3, null).then().statusCode(200).body("health.blocked", is(false));
        double gaugeBefore = blockedGauge();

        // recalling a VALIDATED version needs a comment
        review(bob, v2, false, Map.of()).then().statusCode(400).body("fields[0].field", equalTo("comment"));
        review(bob, v2, false, Map.of("comment", "facts were wrong after all")).then().statusCode(200)
                .body("state", equalTo("REJECTED"));
        as(bob).get("/api/versions/" + v3).then().body("state", equalTo("BLOCKED"));
        as(rel).get("/api/models/" + model + "/channels/canary").then().statusCode(200)
                .body("versionId", equalTo((int) v3))
                .body("health.blocked", is(true)).body("health.versionState", equalTo("BLOCKED"))
                .body("health.suggestedVersionId", equalTo((int) v1))
                .body("health.message", containsString("nearest servable version: " + v1));
        as(rel).get("/api/models/" + model + "/channels/prod").then().body("health.blocked", is(false));
        assertTrue(blockedGauge() >= gaugeBefore + 1, "gauge hookline_blocked_channels did not rise");
        List<Map<String, Object>> events = events("channel.blocked");
        assertTrue(events.stream().anyMatch(e -> ((Map<?, ?>) e.get("payload")).get("versionId").equals((int) v3)
                        && ((Map<?, ?>) e.get("payload")).get("suggestedVersionId").equals((int) v1)),
                "no channel.blocked audit event for version " + v3);
        assertTrue(events("version.blocked").stream().anyMatch(e -> e.get("entityId").equals(String.valueOf(v3))));

        // the releaser moves to the offered version; the channel is healthy again
        pin(rel, model, "canary", v3, v3).then().statusCode(422);
        pin(rel, model, "canary", v1, v3).then().statusCode(200).body("health.blocked", is(false))
                .body("health.blockedSince", nullValue());
        as(HooklineTestResources.ADMIN_TOKEN).get("/api/audit/verify").then().body("ok", is(true));
    }

    @Test
    void noOpMovesAreRefusedAndRollbackWalksBack() {
        long[] c = chain();
        long model = c[0], v1 = c[1], v2 = c[2], v3 = c[3];
        for (int i = 1; i <= 3; i++) {
            validate(bob, c[i]).then().statusCode(200);
        }
        pin(rel, model, "prod", v1, null).then().statusCode(200);
        pin(rel, model, "prod", v1, v1).then().statusCode(409)
                .body("type", equalTo("urn:hookline:problem:no-op-move"));
        rollback(rel, model, "prod").then().statusCode(409)
                .body("type", equalTo("urn:hookline:problem:no-rollback-target"));
        pin(rel, model, "prod", v2, v1).then().statusCode(200);
        pin(rel, model, "prod", v3, v2).then().statusCode(200);
        rollback(rel, model, "prod").then().statusCode(200).body("versionId", equalTo((int) v2));
        rollback(rel, model, "prod").then().statusCode(200).body("versionId", equalTo((int) v1));
        // nothing older: refused instead of toggling back to v2
        rollback(rel, model, "prod").then().statusCode(409);
        as(rel).contentType(ContentType.JSON).body(Map.of("toVersionId", v1, "reason", "same"))
                .post("/api/models/" + model + "/channels/prod/rollback").then().statusCode(409)
                .body("type", equalTo("urn:hookline:problem:no-op-move"));
        as(rel).get("/api/models/" + model + "/channels/prod").then().body("versionId", equalTo((int) v1))
                .body("history.size()", equalTo(5));
    }

    @Test
    void aChannelCanRequireTwoDistinctApprovals() {
        long[] c = chain();
        long model = c[0], v1 = c[1], v2 = c[2];
        validate(bob, v1).then().statusCode(200);
        validate(bob, v2).then().statusCode(200);
        pin(rel, model, "prod", v1, null).then().statusCode(200).body("requiredApprovals", equalTo(1));
        String policy = "/api/models/" + model + "/channels/prod/policy";
        as(rel).contentType(ContentType.JSON).body(Map.of("requiredApprovals", 2, "reason", "x")).put(policy)
                .then().statusCode(403);
        as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("requiredApprovals", 9, "reason", "x")).put(policy).then().statusCode(400);
        as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("requiredApprovals", 2, "reason", "prod needs two people")).put(policy)
                .then().statusCode(200).body("requiredApprovals", equalTo(2));
        pin(rel, model, "prod", v2, v1).then().statusCode(409).body("type", equalTo("urn:hookline:problem:approvals"));
        String approvals = "/api/models/" + model + "/channels/prod/approvals";
        as(rel2).contentType(ContentType.JSON).body(Map.of("versionId", c[3], "comment", "no")).post(approvals)
                .then().statusCode(422); // v3 is not validated
        as(rel2).contentType(ContentType.JSON).body(Map.of("versionId", v2, "comment", "checked the diff"))
                .post(approvals).then().statusCode(200).body("approvals.size()", equalTo(1));
        as(rel2).contentType(ContentType.JSON).body(Map.of("versionId", v2, "comment", "again")).post(approvals)
                .then().statusCode(409);
        // the approver alone is one person: still refused for rel2 as the mover
        pin(rel2, model, "prod", v2, v1).then().statusCode(409);
        pin(rel, model, "prod", v2, v1).then().statusCode(200).body("versionId", equalTo((int) v2));
    }

    private static double blockedGauge() {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("(?m)^hookline_blocked_channels(?:\\{[^}]*})? ([0-9.Ee+-]+)$").matcher(text);
        assertTrue(m.find(), "no hookline_blocked_channels gauge in /q/metrics");
        return Double.parseDouble(m.group(1));
    }

    /** Every audit event with {@code action} (pages through the whole chain). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(String action) {
        List<Map<String, Object>> out = new ArrayList<>();
        long after = 0;
        while (true) {
            Response r = as(HooklineTestResources.ADMIN_TOKEN).queryParam("afterSeq", after).queryParam("limit", 1000)
                    .get("/api/audit");
            List<Map<String, Object>> page = r.jsonPath().getList("$");
            if (page.isEmpty()) {
                return out;
            }
            for (Map<String, Object> e : page) {
                if (action.equals(e.get("action"))) {
                    out.add(e);
                }
                after = ((Number) e.get("seq")).longValue();
            }
        }
    }
}
