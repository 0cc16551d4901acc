package dev.hookline.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26: a seeded random fuzz over every write endpoint (deterministic in CI; -Dhookline.fuzz.seed varies it). Each case takes a
 * valid request of one endpoint, replaces one to three values (a top-level field, a nested field or
 * a path segment) with hostile ones (NUL, control and invisible characters, over-long text, wrong
 * JSON types, "" for ids, huge numbers, unknown enums), and sends it. No answer may be a 5xx, every
 * 4xx from the registry is problem JSON (414 URI Too Long comes from the HTTP layer before any
 * resource and has no body), and after every case the database invariants hold: no batch without edits,
 * no version without its blobs, no row without its audit event.
 */
@QuarkusTest
class WriteFuzzTest {

    private static final int CASES = 160;
    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A write endpoint: method, path, the token to call it with and a valid body template. */
    record Endpoint(String name, String method, Supplier<String> path, String token, Supplier<Map<String, Object>> body) {
    }

    /** One hostile replacement: which field (dotted path, "$path" = a path segment) gets which value. */
    record Hit(int field, Object value) {
    }

    record Case(int endpoint, List<Hit> hits) {
    }

    @Test
    void noWriteEndpointAnswers5xxAndTheInvariantsHold() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("fz-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("fz-w"), "WORKER");
        String reviewer = Fixtures.token(Fixtures.unique("fz-rev"), "REVIEWER");
        String releaser = Fixtures.token(Fixtures.unique("fz-rel"), "RELEASER");
        String serving = Fixtures.token(Fixtures.unique("fz-srv"), "SERVING");
        long model = Fixtures.model(Fixtures.unique("fz-model"));
        long version = Fixtures.version(submitter, worker, model, "main");
        as(reviewer).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + version + "/validate")
                .then().statusCode(200);
        long pending = Fixtures.batch(submitter, model, "pending", 1);
        var blob = Fixtures.upload(worker, "serving.safetensors", Fixtures.randomBytes(200));
        String hex = ((String) blob.get("key")).substring(7);
        var checkpoint = List.of(Fixtures.upload(ADMIN, "config.json", "{\"n_layer\":2}".getBytes()),
                Fixtures.upload(ADMIN, "model.safetensors", Fixtures.randomBytes(300)),
                Fixtures.upload(ADMIN, "tokenizer.json", "{\"fuzz\":1}".getBytes()));
        long nodeId = as(serving).contentType(ContentType.JSON).body(Map.of("name", Fixtures.unique("fz-node")))
                .post("/api/nodes").then().extract().<Number>path("id").longValue();

        List<Endpoint> endpoints = List.of(
                new Endpoint("token", "POST", () -> "/api/tokens", ADMIN,
                        () -> map("principal", Fixtures.unique("fz-p"), "roles", List.of("REVIEWER"))),
                new Endpoint("model", "POST", () -> "/api/models", ADMIN,
                        () -> map("name", Fixtures.unique("fz-m"), "architecture", "gpt2", "config", map("n_layer", 2),
                                "checkpoint", checkpoint)),
                new Endpoint("stats", "PUT", () -> "/api/models/" + model + "/stats", worker,
                        () -> map("stats", List.of(blob))),
                new Endpoint("edit-defaults", "PUT", () -> "/api/models/" + model + "/edit-defaults", ADMIN,
                        () -> map("method", "codebook-nearest", "hyperparameters", map("alpha0", 0.2, "layers", List.of(1)))),
                new Endpoint("build", "PUT", () -> "/api/models/builds/" + Fixtures.unique("fz-b"), worker,
                        () -> map("preset", "tiny", "status", "PRETRAINING", "phase", "step", "percent", 5, "message", "m")),
                new Endpoint("batch", "POST", () -> "/api/batches", submitter,
                        () -> Fixtures.batchBody(model, "fz", 1)),
                new Endpoint("cancel", "POST", () -> "/api/batches/" + pending + "/cancel", ADMIN,
                        () -> map("reason", "why")),
                new Endpoint("queue", "POST", () -> "/api/batches/" + pending + "/queue", submitter, () -> map()),
                new Endpoint("lease", "POST", () -> "/api/jobs/lease", worker,
                        () -> map("worker", "w1", "modelId", 999_999_999L, "leaseSeconds", 5)),
                new Endpoint("heartbeat", "POST", () -> "/api/jobs/1/heartbeat", worker,
                        () -> map("leaseToken", "00000000-0000-0000-0000-000000000000", "phase", "p", "percent", 5)),
                new Endpoint("complete", "POST", () -> "/api/jobs/1/complete", worker,
                        () -> Fixtures.completion("00000000-0000-0000-0000-000000000000", List.of(blob), List.of())),
                new Endpoint("fail", "POST", () -> "/api/jobs/1/fail", worker,
                        () -> map("leaseToken", "00000000-0000-0000-0000-000000000000", "error", "e")),
                new Endpoint("release", "POST", () -> "/api/jobs/1/release", worker,
                        () -> map("leaseToken", "00000000-0000-0000-0000-000000000000")),
                new Endpoint("validate", "POST", () -> "/api/versions/" + version + "/validate", reviewer,
                        () -> map("comment", "c")),
                new Endpoint("reject", "POST", () -> "/api/versions/" + version + "/reject", reviewer,
                        () -> map("comment", "c")),
                new Endpoint("channel", "PUT", () -> "/api/models/" + model + "/channels/" + Fixtures.unique("c"), releaser,
                        () -> map("versionId", version, "reason", "r")),
                new Endpoint("rollback", "POST", () -> "/api/models/" + model + "/channels/prod/rollback", releaser,
                        () -> map("toVersionId", version, "reason", "r")),
                new Endpoint("node", "POST", () -> "/api/nodes", serving,
                        () -> map("name", Fixtures.unique("fz-n"), "modelId", model, "channel", "prod", "address", "a")),
                new Endpoint("node-heartbeat", "POST", () -> "/api/nodes/" + nodeId + "/heartbeat", serving,
                        () -> map("versionId", version, "status", "SERVING", "message", "m")),
                new Endpoint("blob-put", "PUT", () -> "/api/blobs/sha256/" + hex, worker, () -> null),
                new Endpoint("blob-delete", "DELETE", () -> "/api/blobs/sha256/" + hex, ADMIN, () -> null),
                new Endpoint("token-revoke", "DELETE", () -> "/api/tokens/999999999", ADMIN, () -> null),
                new Endpoint("upload-offer", "POST", () -> "/api/blobs/sha256/" + hex + "/uploads", worker,
                        () -> map("size", 200)),
                new Endpoint("upload-complete", "POST", () -> "/api/blobs/sha256/" + hex
                        + "/uploads/200-0123456789abcdef0123456789abcdef", worker, () -> null),
                new Endpoint("upload-abort", "DELETE", () -> "/api/blobs/sha256/" + hex
                        + "/uploads/200-0123456789abcdef0123456789abcdef", worker, () -> null));

        // A fixed seed keeps CI deterministic; -Dhookline.fuzz.seed=N explores other cases.
        long seed = Long.getLong("hookline.fuzz.seed", 20261206L);
        System.out.println("WriteFuzzTest seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        List<Case> sample = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            List<Hit> hits = new ArrayList<>();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                hits.add(new Hit(random.nextInt(41), hostile(random)));
            }
            sample.add(new Case(random.nextInt(endpoints.size()), hits));
        }
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (Case c : sample) {
            Endpoint e = endpoints.get(c.endpoint());
            String path = e.path().get();
            Map<String, Object> body = e.body().get();
            for (Hit h : c.hits()) {
                path = apply(path, body, h);
            }
            String text = body == null ? "" : JSON.writeValueAsString(body).replace("\"" + NULL + "\"", "null");
            Response r;
            try {
                r = send(e, path, text);
            } catch (Exception ex) { // RestAssured throws the socket's checked exception as it is
                // A request line beyond the HTTP layer's limit (4096) is answered 414 and the
                // connection closed while the client may still be writing it: a broken pipe here
                // is that refusal, before any resource ran. Anything else is a failure.
                if (path.length() <= 4096 || !causedBy(ex, java.net.SocketException.class)) {
                    throw ex;
                }
                r = null;
            }
            int s = r == null ? 414 : r.statusCode();
            String what = e.name() + " " + e.method() + " " + abbreviate(path) + " " + abbreviate(text) + " -> " + s;
            if (r == null) {
                String broken = invariants();
                if (broken != null) {
                    failures.add(what + ": invariant broken: " + broken);
                    break;
                }
                n++;
                continue;
            }
            if (s >= 500) {
                failures.add(what + " " + abbreviate(r.asString()));
            } else if (s >= 400 && s != 404 && s != 405 && s != 414 && s != 431 && !String.valueOf(r.contentType()).startsWith("application/problem+json")) {
                failures.add(what + " without problem JSON: " + r.contentType());
            }
            String broken = invariants();
            if (broken != null) {
                failures.add(what + ": invariant broken: " + broken);
                break;
            }
            n++;
        }
        assertEquals(List.of(), failures);
        assertEquals(CASES, n);
        assertEquals(0, BlobRaceTest.versionsWithMissingBlobs(0));
    }

    private static final String NULL = "__json_null__";

    /** One hostile value: forbidden or odd text, any BMP characters, long text, wrong types, null. */
    private static Object hostile(java.util.Random r) {
        Object[] odd = {"\u0000", "a\u0000b", "", " ", "\u0007", "\u200B", "\uFEFFx", "\uD800", "x\u202Ey", "\uFF21",
                "null", "1", "-1", "true", "{}", "../..", "%00"};
        Object[] types = {1.5, -1, 0, Long.MAX_VALUE, Double.NaN, true, false};
        Object[] shapes = {List.of(), List.of(1), List.of("\u0000"), Map.of(), Map.of("a", "\u0000")};
        switch (r.nextInt(6)) {
            case 0:
                return odd[r.nextInt(odd.length)];
            case 1: {
                char[] chars = new char[1 + r.nextInt(40)];
                for (int i = 0; i < chars.length; i++) {
                    chars[i] = (char) r.nextInt(0x10000);
                }
                return new String(chars);
            }
            case 2:
                return "x".repeat(new int[] {129, 2_001, 70_000, 300}[r.nextInt(4)]);
            case 3:
                return types[r.nextInt(types.length)];
            case 4:
                return shapes[r.nextInt(shapes.length)];
            default:
                return NULL;
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static Response send(Endpoint e, String path, String text) {
        var req = as(e.token());
        if (e.name().equals("blob-put")) {
            return req.contentType("application/octet-stream").body(text.getBytes()).put(path);
        }
        if (!text.isEmpty()) {
            req = req.contentType(ContentType.JSON).body(text);
        } else if (!e.method().equals("DELETE")) {
            req = req.contentType(ContentType.JSON).body("{}");
        }
        return req.request(e.method(), path);
    }

    /** Replaces one value: a body field chosen by index (walking nested maps and lists) or a path segment. */
    @SuppressWarnings("unchecked")
    private static String apply(String path, Map<String, Object> body, Hit h) {
        List<Object[]> slots = new ArrayList<>(); // {container, key or index}
        if (body != null) {
            collect(body, slots);
        }
        if (slots.isEmpty() || h.field() % 7 == 6) {
            String[] parts = path.split("/");
            int i = 2 + h.field() % Math.max(1, parts.length - 2);
            parts[Math.min(i, parts.length - 1)] = java.net.URLEncoder.encode(String.valueOf(h.value()),
                    java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
            return String.join("/", parts);
        }
        Object[] slot = slots.get(h.field() % slots.size());
        if (slot[0] instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).put((String) slot[1], h.value());
        } else {
            ((List<Object>) slot[0]).set((Integer) slot[1], h.value());
        }
        return path;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Object node, List<Object[]> slots) {
        if (node instanceof Map<?, ?> m) {
            for (Object k : new ArrayList<>(m.keySet())) {
                Object v = m.get(k);
                if (v instanceof Map<?, ?> || v instanceof List<?>) {
                    Object copy = v instanceof Map<?, ?> vm ? new LinkedHashMap<>((Map<String, Object>) vm)
                            : new ArrayList<>((List<Object>) v);
                    ((Map<String, Object>) m).put((String) k, copy);
                    collect(copy, slots);
                }
                slots.add(new Object[]{m, k});
            }
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                Object v = l.get(i);
                if (v instanceof Map<?, ?> || v instanceof List<?>) {
                    Object copy = v instanceof Map<?, ?> vm ? new LinkedHashMap<>((Map<String, Object>) vm)
                            : new ArrayList<>((List<Object>) v);
                    ((List<Object>) l).set(i, copy);
                    collect(copy, slots);
                }
                slots.add(new Object[]{l, i});
            }
        }
    }

    /** The first broken invariant, or null. */
    static String invariants() throws Exception {
        String[][] checks = {
                {"batch without edits", "SELECT count(*) FROM edit_batch b WHERE NOT EXISTS "
                        + "(SELECT 1 FROM fact_edit e WHERE e.batch_id = b.id)"},
                {"batch without its audit event", "SELECT count(*) FROM edit_batch b WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action IN ('batch.submitted', 'batch.revert_submitted') "
                        + "AND a.entity_id = b.id::text)"},
                {"version without its audit event", "SELECT count(*) FROM hook_version v WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action = 'version.created' AND a.entity_id = v.id::text)"},
                {"model without its audit event", "SELECT count(*) FROM base_model m WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action = 'model.registered' AND a.entity_id = m.id::text)"},
                {"token without its audit event", "SELECT count(*) FROM api_token t WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action = 'token.created' AND a.entity_id = t.id::text)"},
                {"channel without its audit event", "SELECT count(*) FROM channel c WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action IN ('channel.moved', 'channel.rolled_back') "
                        + "AND a.entity_id = c.id::text)"},
                {"channel move without its audit event", "SELECT (SELECT count(*) FROM channel_move) - (SELECT count(*) "
                        + "FROM audit_event WHERE action IN ('channel.moved', 'channel.rolled_back'))"},
                {"node without its audit event", "SELECT count(*) FROM serving_node n WHERE NOT EXISTS (SELECT 1 FROM "
                        + "audit_event a WHERE a.action = 'node.registered' AND a.entity_id = n.id::text)"},
                {"version without its job done", "SELECT count(*) FROM hook_version v JOIN edit_job j ON j.batch_id = "
                        + "v.batch_id WHERE j.status <> 'DONE'"},
        };
        try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
            for (String[] check : checks) {
                try (ResultSet rs = st.executeQuery(check[1])) {
                    rs.next();
                    if (rs.getLong(1) != 0) {
                        return check[0] + " (" + rs.getLong(1) + ")";
                    }
                }
            }
        }
        return null;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...(" + s.length() + " chars)";
    }
}
