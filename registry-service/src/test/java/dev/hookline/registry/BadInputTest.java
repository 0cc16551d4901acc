package dev.hookline.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Property-based bad input: jqwik arbitraries generate malformed batch submissions (missing
 * fields, wrong types, unknown enum values, prompts without exactly one {}, broken JSON, ...).
 * Every one must get a 4xx problem+json answer and write no row at all.
 */
@QuarkusTest
class BadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 250;

    private String submitter;
    private long model;

    /** One mutation of a valid body: a name (for the failure report) and the body it yields. */
    record Mutation(String name, Function<Map<String, Object>, Object> apply) {
    }

    @BeforeEach
    void data() {
        if (submitter == null) {
            submitter = Fixtures.token(Fixtures.unique("fuzz"), "SUBMITTER");
            model = Fixtures.model(Fixtures.unique("fuzz-model"));
        }
    }

    @Test
    void malformedBatchesGet4xxAndWriteNothing() throws Exception {
        // The unmutated body is valid: it is accepted (so the mutations, not the base, cause refusals).
        as(submitter).contentType("application/json").body(JSON.writeValueAsString(Fixtures.batchBody(model, "fuzz", 2)))
                .post("/api/batches").then().statusCode(201);

        String[] tables = {"edit_batch", "fact_edit", "edit_job", "edit_branch", "audit_event", "hook_version"};
        long[] before = counts(tables);
        List<String> failures = new ArrayList<>();
        Arbitrary<List<Mutation>> cases = mutation().list().ofMinSize(1).ofMaxSize(3);
        List<List<Mutation>> samples = cases.sampleStream().limit(SAMPLES).toList();
        int statusSum4xx = 0;
        for (List<Mutation> ms : samples) {
            Object body = Fixtures.batchBody(model, "fuzz-" + ms.size(), 2);
            StringBuilder name = new StringBuilder();
            for (Mutation m : ms) {
                body = body instanceof Map<?, ?> map ? m.apply().apply(deepCopy(map)) : body;
                name.append(m.name()).append(' ');
            }
            String text = body instanceof String s ? s : JSON.writeValueAsString(body);
            Response r = as(submitter).contentType("application/json").body(text).post("/api/batches");
            int s = r.statusCode();
            if (s < 400 || s >= 500) {
                failures.add(name + "-> " + s + " " + r.asString() + " for " + text);
            } else if (!r.contentType().startsWith("application/problem+json") || r.<Integer>path("status") != s) {
                failures.add(name + "-> " + s + " without a problem body: " + r.contentType());
            } else {
                statusSum4xx++;
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(SAMPLES, statusSum4xx);
        long[] after = counts(tables);
        for (int i = 0; i < tables.length; i++) {
            assertEquals(before[i], after[i], "rows written to " + tables[i]);
        }
    }

    @Test
    void pathIdsQueryParamsAndMediaTypesThatDoNotParseAre4xx() {
        for (String id : List.of("abc", "-1", "0", "1.5", "99999999999999999999", "%20")) {
            as(submitter).get("/api/batches/" + id).then().statusCode(400).contentType("application/problem+json");
            as(submitter).get("/api/models/" + id + "/channels").then().statusCode(400);
        }
        as(submitter).queryParam("status", "DONE-ISH").get("/api/batches").then().statusCode(400);
        as(submitter).queryParam("time", "yesterday").get("/api/models/" + model + "/channels/prod/at")
                .then().statusCode(400);
        as(submitter).contentType("text/plain").body("hello").post("/api/batches").then().statusCode(415)
                .contentType("application/problem+json");
        as(submitter).get("/api/no-such-endpoint").then().statusCode(404);
    }

    @Test
    void methodNamesMustMatchExactly() throws Exception {
        for (String method : List.of("memit ", " memit", "MEMIT", "Coachhook", "coachhook_corpus")) {
            Map<String, Object> body = Fixtures.batchBody(model, "exact", 1);
            body.put("method", method);
            as(submitter).contentType("application/json").body(JSON.writeValueAsString(body)).post("/api/batches")
                    .then().statusCode(400).contentType("application/problem+json")
                    .body("fields[0].field", org.hamcrest.Matchers.equalTo("method"));
        }
    }

    /** All the ways to break a batch body. */
    private Arbitrary<Mutation> mutation() {
        Arbitrary<String> requiredTop = Arbitraries.of("modelId", "edits"); // method has a default
        Arbitrary<String> requiredEdit = Arbitraries.of("subject", "prompt", "targetNew");
        Arbitrary<Object> notANumber = Arbitraries.of("abc", "", "12x", List.of(1), Map.of("a", 1), true);
        Arbitrary<Object> notAList = Arbitraries.of("edits", 5, Map.of("x", 1), true);
        Arbitrary<String> badMethod = Arbitraries.of("MEMIT2", "COACHHOOK", "", "rome", "coach hook", "memit ");
        Arbitrary<String> badPrompt = Arbitraries.of("The mother tongue of is", "{} and {} speak", "no placeholder",
                "{}{}", "{ } is", "", "   ");
        Arbitrary<Integer> cut = Arbitraries.integers().between(1, 400);
        Arbitrary<String> garbage = Arbitraries.strings().withChars("{}[]:,\"x1 ").ofMinLength(1).ofMaxLength(30);
        Arbitrary<Long> missingModel = Arbitraries.longs().between(100_000_000L, 900_000_000L);

        return Arbitraries.oneOf(
                requiredTop.map(f -> new Mutation("remove " + f, b -> {
                    b.remove(f);
                    return b;
                })),
                requiredEdit.map(f -> new Mutation("remove edits[0]." + f, b -> {
                    edit(b).remove(f);
                    return b;
                })),
                requiredEdit.map(f -> new Mutation("blank edits[0]." + f, b -> {
                    edit(b).put(f, "  ");
                    return b;
                })),
                notANumber.map(v -> new Mutation("modelId=" + v, b -> {
                    b.put("modelId", v);
                    return b;
                })),
                notAList.map(v -> new Mutation("edits=" + v, b -> {
                    b.put("edits", v);
                    return b;
                })),
                badMethod.map(v -> new Mutation("method=" + v, b -> {
                    b.put("method", v);
                    return b;
                })),
                badPrompt.map(v -> new Mutation("prompt=" + v, b -> {
                    edit(b).put("prompt", v);
                    return b;
                })),
                Arbitraries.just(new Mutation("edits=[]", b -> {
                    b.put("edits", List.of());
                    return b;
                })),
                Arbitraries.just(new Mutation("edits=[null]", b -> {
                    List<Object> l = new ArrayList<>();
                    l.add(null);
                    b.put("edits", l);
                    return b;
                })),
                Arbitraries.just(new Mutation("no reason or ticket", b -> {
                    b.remove("reason");
                    b.put("ticket", " ");
                    return b;
                })),
                Arbitraries.of("not an object", List.of(1, 2)).map(v -> new Mutation("hyperparameters=" + v, b -> {
                    b.put("hyperparameters", v);
                    return b;
                })),
                Arbitraries.of("Main Branch", "-x", "", "a/b").map(v -> new Mutation("branch=" + v, b -> {
                    b.put("branch", v);
                    return b;
                })),
                Arbitraries.just(new Mutation("locality without expected", b -> {
                    edit(b).put("locality", List.of(Map.of("prompt", "The capital of France is")));
                    return b;
                })),
                Arbitraries.just(new Mutation("paraphrase null", b -> {
                    List<Object> l = new ArrayList<>();
                    l.add(null);
                    edit(b).put("paraphrases", l);
                    return b;
                })),
                Arbitraries.just(new Mutation("edits[0]=string", b -> {
                    b.put("edits", List.of("subject: X"));
                    return b;
                })),
                missingModel.map(id -> new Mutation("modelId missing " + id, b -> {
                    b.put("modelId", id);
                    return b;
                })),
                missingModel.map(id -> new Mutation("parentVersionId missing " + id, b -> {
                    b.put("parentVersionId", id);
                    return b;
                })),
                cut.map(n -> new Mutation("truncated at " + n, b -> {
                    String s = write(b);
                    return s.substring(0, Math.min(n, s.length() - 1));
                })),
                garbage.map(g -> new Mutation("garbage " + g, b -> g + "}")),
                Arbitraries.of("null", "", "[]", "\"text\"", "42").map(t -> new Mutation("body " + t, b -> t)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> edit(Map<String, Object> body) {
        Object edits = body.get("edits");
        if (!(edits instanceof List<?> l) || l.isEmpty() || !(l.get(0) instanceof Map)) {
            // Make sure there is an edit object to break.
            List<Object> fresh = new ArrayList<>();
            fresh.add(new LinkedHashMap<>(Map.of("subject", "S", "prompt", "{} is", "targetNew", "T")));
            body.put("edits", fresh);
            return (Map<String, Object>) fresh.get(0);
        }
        List<Object> copy = new ArrayList<>(l);
        Map<String, Object> first = new LinkedHashMap<>((Map<String, Object>) copy.get(0));
        copy.set(0, first);
        body.put("edits", copy);
        return first;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<?, ?> map) {
        try {
            return JSON.readValue(JSON.writeValueAsString(map), LinkedHashMap.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] counts(String[] tables) {
        long[] c = new long[tables.length];
        for (int i = 0; i < tables.length; i++) {
            c[i] = HooklineTestResources.count(tables[i]);
        }
        return c;
    }
}
