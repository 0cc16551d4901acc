/*
 * A model's edit defaults: an admin sets, per method, hyperparameters a batch on the model takes where it names
 * none (e.g. the threshold chosen on the model's own dev stream); each batch records the defaults it was
 * submitted under, so later changes never alter a submitted batch; bad input is a 4xx that changes nothing.
 */
package dev.hookline.registry;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.anEmptyMap;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelEditDefaultsTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;

    private static Map<String, Object> defaults(String method, Map<String, Object> hyperparameters) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("method", method);
        body.put("hyperparameters", hyperparameters);
        return body;
    }

    private static io.restassured.response.Response put(String token, long model, Object body) {
        return as(token).contentType(ContentType.JSON).body(body).put("/api/models/" + model + "/edit-defaults");
    }

    private static long auditEvents(long model) throws Exception {
        try (Connection c = HooklineTestResources.superuser(); PreparedStatement st = c.prepareStatement(
                "SELECT count(*) FROM audit_event WHERE action = 'model.edit-defaults' AND entity_id = ?")) {
            st.setString(1, String.valueOf(model));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void batchesTakeTheDefaultsTheyWereSubmittedUnder() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("ed-sub"), "SUBMITTER");
        long model = Fixtures.model(Fixtures.unique("ed-model"));
        as(ADMIN).get("/api/models/" + model).then().statusCode(200).body("editDefaults", anEmptyMap());

        put(ADMIN, model, defaults("codebook-nearest", Map.of("alpha0", 0.2, "layers", List.of(1))))
                .then().statusCode(200).body("editDefaults.'codebook-nearest'.alpha0", equalTo(0.2f))
                .body("editDefaults.'codebook-nearest'.layers", equalTo(List.of(1)));
        assertEquals(1, auditEvents(model));

        Map<String, Object> body = Fixtures.batchBody(model, "ed", 1);
        body.put("method", "codebook-nearest");
        long first = as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches").then().statusCode(201)
                .body("modelDefaults.alpha0", equalTo(0.2f)).extract().<Number>path("id").longValue();
        // Another method on its own branch: no defaults recorded for it.
        Map<String, Object> other = Fixtures.batchBody(model, "ed-coachhook", 1);
        other.put("method", "coachhook");
        as(submitter).contentType(ContentType.JSON).body(other).post("/api/batches").then().statusCode(201)
                .body("modelDefaults", anEmptyMap());

        // A later change reaches later batches only.
        put(ADMIN, model, defaults("codebook-nearest", Map.of("alpha0", 0.3))).then().statusCode(200)
                .body("editDefaults.'codebook-nearest'.alpha0", equalTo(0.3f))
                .body("editDefaults.'codebook-nearest'.layers", org.hamcrest.Matchers.nullValue());
        as(ADMIN).get("/api/batches/" + first).then().statusCode(200).body("modelDefaults.alpha0", equalTo(0.2f));
        Map<String, Object> later = Fixtures.batchBody(model, "ed", 1);
        ((List<Map<String, Object>>) later.get("edits")).get(0).put("subject", "Later");
        later.put("method", "codebook-nearest");
        as(submitter).contentType(ContentType.JSON).body(later).post("/api/batches").then().statusCode(201)
                .body("modelDefaults.alpha0", equalTo(0.3f));

        // {} removes the method's defaults.
        put(ADMIN, model, defaults("codebook-nearest", Map.of())).then().statusCode(200)
                .body("editDefaults", anEmptyMap());
        assertEquals(3, auditEvents(model));
    }

    @Test
    void badDefaultsAreRefusedAndChangeNothing() throws Exception {
        long model = Fixtures.model(Fixtures.unique("ed-bad"));
        put(ADMIN, model, defaults("coachhook-nearest", Map.of("alpha0", 0.4))).then().statusCode(200);
        List<Object[]> bad = List.of(
                new Object[] {defaults("no-such-method", Map.of("alpha0", 0.2)), "method"},
                new Object[] {defaults(null, Map.of("alpha0", 0.2)), "method"},
                new Object[] {defaults("codebook-nearest", Map.of("statsLines", 4096)), "hyperparameters.statsLines"},
                new Object[] {defaults("codebook-nearest", Map.of("alpha0", 1.5)), "[0, 1)"},
                new Object[] {defaults("codebook-nearest", Map.of("alpha0", "0.2")), "hyperparameters.alpha0"},
                new Object[] {defaults("codebook-nearest", Map.of("layers", List.of(5))), "0..1"},
                new Object[] {defaults("codebook-nearest", Map.of("layers", List.of(0, 1))), "exactly one"},
                new Object[] {defaults("codebook-nearest", Map.of("lambda", 400)), "does not apply"},
                new Object[] {defaults("codebook-subject", Map.of("layers", List.of(0, 1))),
                        "(codebook-subject edits exactly one)"},
                new Object[] {defaults("codebook-subject", Map.of("lambda", 400)), "does not apply to codebook-subject"},
                new Object[] {defaults("codebook-subject", Map.of("alpha0", 1.0)), "[0, 1)"},
                new Object[] {defaults("codebook-subject", Map.of("statsLines", 4096)), "hyperparameters.statsLines"},
                new Object[] {defaults("coachhook", Map.of("scopeLambda", 15)), "key-scope methods"},
                new Object[] {defaults("coachhook", Map.of("valueSteps", 0)), ">= 1"},
                new Object[] {Map.of("method", "codebook-nearest", "hyperparameters", List.of(1)), "JSON object"});
        for (Object[] b : bad) {
            int status = put(ADMIN, model, b[0]).then().body("detail", containsString((String) b[1]))
                    .extract().statusCode();
            assertTrue(status == 400 || status == 422, b[1] + ": " + status);
        }
        as(ADMIN).get("/api/models/" + model).then().statusCode(200)
                .body("editDefaults.'coachhook-nearest'.alpha0", equalTo(0.4f))
                .body("editDefaults.size()", equalTo(1));
        assertEquals(1, auditEvents(model));
        put(ADMIN, 999_999_999L, defaults("codebook-nearest", Map.of("alpha0", 0.2))).then().statusCode(404);
        String submitter = Fixtures.token(Fixtures.unique("ed-s"), "SUBMITTER");
        put(submitter, model, defaults("codebook-nearest", Map.of("alpha0", 0.2))).then().statusCode(403);
    }

    @Test
    void codebookSubjectDefaultsAreCheckedAsCodebookNearestsAndBatchesTakeThem() {
        String submitter = Fixtures.token(Fixtures.unique("ed-cs-sub"), "SUBMITTER");
        long model = Fixtures.model(Fixtures.unique("ed-cs"));
        // Two layers are refused as for codebook-nearest: a 4xx problem naming the field and the one-layer rule.
        int status = put(ADMIN, model, defaults("codebook-subject", Map.of("alpha0", 0.2, "layers", List.of(0, 1))))
                .then().contentType("application/problem+json")
                .body("detail", containsString("codebook-subject edits exactly one"))
                .body("fields.field", org.hamcrest.Matchers.hasItem("hyperparameters.layers"))
                .extract().statusCode();
        assertTrue(status == 400 || status == 422, "status " + status);
        as(ADMIN).get("/api/models/" + model).then().statusCode(200).body("editDefaults", anEmptyMap());
        // One layer, a threshold in [0, 1) and a scope lambda are kept under the method's own wire name.
        put(ADMIN, model, defaults("codebook-subject", Map.of("alpha0", 0.25, "layers", List.of(1), "scopeLambda", 20)))
                .then().statusCode(200).body("editDefaults.'codebook-subject'.alpha0", equalTo(0.25f))
                .body("editDefaults.'codebook-subject'.layers", equalTo(List.of(1)))
                .body("editDefaults.'codebook-nearest'", org.hamcrest.Matchers.nullValue());
        Map<String, Object> body = Fixtures.batchBody(model, "cs", 1);
        body.put("method", "codebook-subject");
        long batch = as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches").then().statusCode(201)
                .body("method", equalTo("codebook-subject")).body("modelDefaults.alpha0", equalTo(0.25f))
                .extract().<Number>path("id").longValue();
        as(submitter).get("/api/batches/" + batch).then().statusCode(200).body("method", equalTo("codebook-subject"))
                .body("modelDefaults.scopeLambda", equalTo(20));
        // A codebook-nearest batch on another branch takes no codebook-subject defaults.
        Map<String, Object> nearest = Fixtures.batchBody(model, "cn", 1);
        nearest.put("method", "codebook-nearest");
        as(submitter).contentType(ContentType.JSON).body(nearest).post("/api/batches").then().statusCode(201)
                .body("modelDefaults", anEmptyMap());
    }

    @Test
    void aModelCanBeRegisteredWithItsDefaults() {
        java.util.function.Function<Object, Map<String, Object>> body = defaults -> {
            String name = Fixtures.unique("ed-reg");
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", name);
            b.put("architecture", "gpt2");
            b.put("config", Map.of("n_layer", 3));
            b.put("checkpoint", List.of(
                    Fixtures.upload(ADMIN, "config.json", ("{\"n_layer\":3,\"name\":\"" + name + "\"}").getBytes()),
                    Fixtures.upload(ADMIN, "model.safetensors", Fixtures.randomBytes(256)),
                    Fixtures.upload(ADMIN, "tokenizer.json", ("{\"m\":\"" + name + "\"}").getBytes())));
            b.put("editDefaults", defaults);
            return b;
        };
        long models = HooklineTestResources.count("base_model");
        for (Object bad : List.of(Map.of("codebook-nearest", Map.of("alpha0", 2)), Map.of("rome", Map.of("alpha0", 0.2)),
                Map.of("codebook-nearest", Map.of("layers", List.of(3))), List.of(1))) {
            as(ADMIN).contentType(ContentType.JSON).body(body.apply(bad)).post("/api/models").then().statusCode(400)
                    .body("detail", containsString("editDefaults"));
        }
        assertEquals(models, HooklineTestResources.count("base_model"), "nothing registered");
        as(ADMIN).contentType(ContentType.JSON).body(body.apply(Map.of("codebook-nearest", Map.of("alpha0", 0.2,
                "layers", List.of(2)), "coachhook", Map.of()))).post("/api/models").then().statusCode(201)
                .body("editDefaults.'codebook-nearest'.alpha0", equalTo(0.2f))
                .body("editDefaults.size()", equalTo(1)); // an empty method entry is no default
    }
}
