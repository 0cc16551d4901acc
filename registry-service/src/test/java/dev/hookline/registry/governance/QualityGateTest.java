/*
 * Issue 25, quality gates over HTTP against the real registry: an ADMIN sets a model's gate
 * (audited); validating a version below it needs an override with a reason, recorded on the
 * version and in the audit event.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static dev.hookline.registry.governance.GovernanceApi.compute;
import static dev.hookline.registry.governance.GovernanceApi.metrics;
import static dev.hookline.registry.governance.GovernanceApi.review;
import static dev.hookline.registry.governance.GovernanceApi.validate;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class QualityGateTest {

    @Test
    void validatingBelowTheGateNeedsAnOverrideWithAReason() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String admin = HooklineTestResources.ADMIN_TOKEN;
        long model = Fixtures.model(Fixtures.unique("gov-gate"));
        String gate = "/api/models/" + model + "/gate";
        as(bob).get(gate).then().statusCode(200).body("minReliability", nullValue());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("minReliability", 0.8);
        body.put("minLocality", 0.9);
        body.put("maxRegression", 0.2);
        body.put("reason", "no edit that did not take");
        as(bob).contentType(ContentType.JSON).body(body).put(gate).then().statusCode(403);
        Map<String, Object> bad = new LinkedHashMap<>(body);
        bad.put("minGenerality", 1.5);
        as(admin).contentType(ContentType.JSON).body(bad).put(gate).then().statusCode(400)
                .body("fields[0].field", equalTo("minGenerality"));
        as(admin).contentType(ContentType.JSON).body(body).put(gate).then().statusCode(200)
                .body("minReliability", equalTo(0.8f)).body("updatedBy", equalTo("admin"));

        // v1: reliability 0.0 (the edits did not take)
        Fixtures.batch(alice, model, "main", 1);
        long v1 = compute(worker, model, metrics(0.0, 0.0, 0.99, 1.0, 0));
        as(bob).get("/api/versions/" + v1).then().body("gate.passed", is(false))
                .body("gate.failures[0].metric", equalTo("reliability"));
        validate(bob, v1).then().statusCode(422).body("type", equalTo("urn:hookline:problem:quality-gate"))
                .body("detail", containsString("reliability 0.000 (gate: >= 0.8)"));
        review(bob, v1, true, Map.of("comment", "ok", "override", true)).then().statusCode(400)
                .body("fields[0].field", equalTo("overrideReason"));
        as(bob).get("/api/versions/" + v1).then().body("state", equalTo("TEMPORARY"));
        review(bob, v1, true, Map.of("comment", "ok", "override", true, "overrideReason", "known gap, HL-9"))
                .then().statusCode(200).body("state", equalTo("VALIDATED"))
                .body("gate.override", containsString("known gap, HL-9"));

        // v2: batch fine, but half of the earlier edits lost
        Fixtures.batch(alice, model, "main", 1);
        long v2 = compute(worker, model, metrics(1.0, 1.0, 0.99, 0.5, 2));
        validate(bob, v2).then().statusCode(422).body("detail", containsString("regression 0.500"));
        // v3 (extends v2) passes, but its ancestor v2 is not validated yet
        Fixtures.batch(alice, model, "main", 1);
        long v3 = compute(worker, model, metrics(1.0, 1.0, 0.99, 0.9, 3));
        validate(bob, v3).then().statusCode(409).body("type", equalTo("urn:hookline:problem:ancestry"));
        review(bob, v2, true, Map.of("comment", "ok", "override", true, "overrideReason", "regression accepted"))
                .then().statusCode(200);
        validate(bob, v3).then().statusCode(200).body("gate.passed", is(true)).body("gate.override", nullValue());
    }
}
