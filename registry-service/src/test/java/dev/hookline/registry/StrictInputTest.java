package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, strict input: the loose JSON the attack found (1.5 taken as 1, enums by position,
 * -1 as true, numbers as strings, "" as null), NUL and control characters in every text field,
 * and the length limits. Each is a 400 problem naming the field, and nothing is written.
 */
@QuarkusTest
class StrictInputTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;
    private String submitter;
    private long model;

    @BeforeEach
    void data() {
        if (submitter == null) {
            submitter = Fixtures.token(Fixtures.unique("strict"), "SUBMITTER");
            model = Fixtures.model(Fixtures.unique("strict-model"));
        }
    }

    private static Response post(String token, String path, String json) {
        return as(token).contentType(ContentType.JSON).body(json).post(path);
    }

    private static void refused(Response r, String field, String what) {
        assertEquals(400, r.statusCode(), what + ": " + r.asString());
        assertTrue(r.contentType().startsWith("application/problem+json"), what);
        List<String> fields = r.path("fields.field");
        assertTrue(fields.contains(field), what + ": fields " + fields + " should name " + field + " in " + r.asString());
    }

    @Test
    void looseJsonIsRefusedNamingTheField() {
        String edit = "{\"subject\":\"S\",\"prompt\":\"The tongue of {} is\",\"targetNew\":\"French\"}";
        String base = "\"branch\":\"strict\",\"method\":\"coachhook\",\"reason\":\"r\",\"edits\":[" + edit + "]";
        long before = HooklineTestResources.count("edit_batch");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ".5," + base + "}"), "modelId", "1.5 as id");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ".0," + base + "}"), "modelId", "1.0 as id");
        refused(post(submitter, "/api/batches", "{\"modelId\":\"" + model + "\"," + base + "}"), "modelId", "id as string");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ",\"queue\":-1," + base + "}"), "queue", "-1 as boolean");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ",\"queue\":\"true\"," + base + "}"), "queue", "boolean as string");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ",\"parentVersionId\":\"\"," + base + "}"),
                "parentVersionId", "\"\" as null");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + ",\"method\":3,\"branch\":\"s\",\"reason\":\"r\","
                + "\"edits\":[" + edit + "]}"), "method", "enum by position");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + "," + base.replace("\"reason\":\"r\"", "\"reason\":5") + "}"),
                "reason", "number as text");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + "," + base.replace("\"S\"", "true") + "}"),
                "edits[0].subject", "boolean as text");
        refused(post(submitter, "/api/batches", "{\"modelId\":" + model + "," + base + "} {}"), "body", "trailing tokens");
        assertEquals(before, HooklineTestResources.count("edit_batch"));

        refused(post(ADMIN, "/api/tokens", "{\"principal\":\"p1\",\"roles\":[1]}"), "roles[0]", "role by position");
        refused(post(ADMIN, "/api/tokens", "{\"principal\":\"p1\",\"roles\":[\"reviewer\"]}"), "roles[0]", "role in lower case");
        refused(post(ADMIN, "/api/tokens", "{\"principal\":7,\"roles\":[\"REVIEWER\"]}"), "principal", "number as principal");
        refused(post(ADMIN, "/api/tokens", "{\"principal\":\"p1\",\"roles\":\"REVIEWER\"}"), "roles", "single value as list");
        String worker = Fixtures.token(Fixtures.unique("strict-w"), "WORKER");
        refused(post(worker, "/api/jobs/lease", "{\"leaseSeconds\":\"30\"}"), "leaseSeconds", "number as string");
        refused(post(worker, "/api/jobs/lease", "{\"leaseSeconds\":30.5}"), "leaseSeconds", "float as int");
        refused(post(worker, "/api/jobs/lease", "{\"modelId\":true}"), "modelId", "boolean as id");
    }

    @Test
    void nulAndControlCharactersAre400NamingTheField() {
        String serving = Fixtures.token(Fixtures.unique("nul-node"), "SERVING");
        long batches = HooklineTestResources.count("edit_batch");
        long events = HooklineTestResources.count("audit_event");
        for (String field : List.of("reason", "ticket")) {
            Map<String, Object> body = Fixtures.batchBody(model, "nul", 1);
            body.put(field, "bad\u0000value");
            refused(as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches"), field, "NUL in " + field);
        }
        for (String field : List.of("subject", "targetNew", "targetTrue", "relation", "prompt")) {
            Map<String, Object> body = Fixtures.batchBody(model, "nul", 1);
            @SuppressWarnings("unchecked")
            Map<String, Object> e = ((List<Map<String, Object>>) body.get("edits")).get(0);
            e.put(field, "The {} \u0000 x");
            refused(as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches"), "edits[0]." + field,
                    "NUL in " + field);
        }
        Map<String, Object> body = Fixtures.batchBody(model, "ctl", 1);
        body.put("reason", "bell\u0007");
        refused(as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches"), "reason", "BEL");
        refused(post(ADMIN, "/api/tokens", "{\"principal\":\"al\\u0000ice\",\"roles\":[\"REVIEWER\"]}"), "principal", "NUL principal");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "model\u0000x");
        m.put("architecture", "gpt2");
        m.put("config", Map.of());
        m.put("checkpoint", List.of());
        refused(as(ADMIN).contentType(ContentType.JSON).body(m).post("/api/models"), "name", "NUL model name");
        refused(as(serving).contentType(ContentType.JSON).body(Map.of("name", "n\u0000"))
                .post("/api/nodes"), "name", "NUL node name");
        assertEquals(batches, HooklineTestResources.count("edit_batch"));
        assertEquals(events, HooklineTestResources.count("audit_event"));
    }

    @Test
    void lengthLimitsAre400() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "m".repeat(1_000_000)); // the attack's 1 MB model name
        m.put("architecture", "gpt2");
        m.put("config", Map.of());
        m.put("checkpoint", List.of());
        refused(as(ADMIN).contentType(ContentType.JSON).body(m).post("/api/models"), "name", "1 MB name");
        m.put("name", "m".repeat(201));
        refused(as(ADMIN).contentType(ContentType.JSON).body(m).post("/api/models"), "name", "201-character name");
        refused(post(ADMIN, "/api/tokens", "{\"principal\":\"" + "p".repeat(129) + "\",\"roles\":[\"REVIEWER\"]}"),
                "principal", "129-character principal");
        Map<String, Object> body = Fixtures.batchBody(model, "long", 1);
        body.put("reason", "r".repeat(2001));
        refused(as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches"), "reason", "long reason");
        body = Fixtures.batchBody(model, "long", 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> e = ((List<Map<String, Object>>) body.get("edits")).get(0);
        e.put("subject", "s".repeat(1001));
        refused(as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches"), "edits[0].subject", "long subject");
        body = Fixtures.batchBody(model, "long", 1);
        body.put("reason", "r".repeat(2000)); // at the limit: accepted
        as(submitter).contentType(ContentType.JSON).body(body).post("/api/batches").then().statusCode(201);
    }

    /** The four Alice variants: each is alice (and may not review her batch) or is refused. */
    @Test
    void principalsAreNormalisedAndFourEyesComparesThem() {
        String alice = Fixtures.token("alice-" + Fixtures.unique("x").substring(2), "SUBMITTER");
        String name = as(alice).get("/api/me").then().statusCode(200).extract().path("principal");
        String worker = Fixtures.token(Fixtures.unique("fe-worker"), "WORKER");
        long m = Fixtures.model(Fixtures.unique("fe-model"));
        long version = Fixtures.version(alice, worker, m, "fe");
        List<String> sameAlice = List.of(capitalise(name), name.toUpperCase(java.util.Locale.ROOT),
                name.replace("a", "\uFF41")); // fullwidth a: NFKC folds it
        for (String variant : sameAlice) {
            Response r = as(ADMIN).contentType(ContentType.JSON)
                    .body(Map.of("principal", variant, "roles", List.of("REVIEWER"))).post("/api/tokens");
            r.then().statusCode(201).body("principal", equalTo(name));
            as(r.<String>path("token")).contentType(ContentType.JSON).body(Map.of("comment", "lgtm"))
                    .post("/api/versions/" + version + "/validate").then().statusCode(403)
                    .body("type", equalTo("urn:hookline:problem:four-eyes"));
        }
        List<String> refusedNames = List.of(name + "\u200B", name.replace("i", "\u0456"), "\u200Balice", "ali\u00ADce",
                "alice\u202Egnp");
        for (String variant : refusedNames) {
            Response r = as(ADMIN).contentType(ContentType.JSON)
                    .body(Map.of("principal", variant, "roles", List.of("REVIEWER"))).post("/api/tokens");
            r.then().statusCode(400).body("fields.field", hasItem("principal"));
        }
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + version + "/validate")
                .then().statusCode(200).body("state", equalTo("VALIDATED"));
    }

    private static String capitalise(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
