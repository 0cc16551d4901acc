/*
 * Issue 25, checks at submission, over HTTP against the real registry: methods and
 * hyperparameters against a registered worker's advertisement, subjects/targets against the
 * model's real tokenizer (the fact world's word-level tokenizer.json; GPT-2's byte-level BPE),
 * fact conflicts and supersessions. Every refusal stores nothing.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static dev.hookline.registry.governance.GovernanceApi.batch;
import static dev.hookline.registry.governance.GovernanceApi.edit;
import static dev.hookline.registry.governance.GovernanceApi.submit;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class SubmissionChecksTest {

    private static JsonNode cases;
    private static byte[] worldTokenizer;

    private String alice;

    @BeforeEach
    void setUp() throws Exception {
        alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        if (cases == null) {
            Path dir = Files.createTempDirectory("gov-world");
            FactWorld.generate(WorldPreset.named("tiny")).writeTo(dir);
            worldTokenizer = Files.readAllBytes(dir.resolve("tokenizer.json"));
            cases = new ObjectMapper().readTree(dir.resolve("counterfact.json").toFile());
        }
    }

    /** Registers a model whose tokenizer.json is {@code tokenizer}; returns its id. */
    private static long model(byte[] tokenizer) {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        String name = Fixtures.unique("gov-tok");
        List<Map<String, Object>> checkpoint = List.of(
                Fixtures.upload(admin, "config.json", ("{\"n_layer\":2,\"name\":\"" + name + "\"}")
                        .getBytes(StandardCharsets.UTF_8)),
                Fixtures.upload(admin, "model.safetensors", Fixtures.randomBytes(2048)),
                Fixtures.upload(admin, "tokenizer.json", tokenizer));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("architecture", "gpt2");
        body.put("config", Map.of("n_layer", 2, "n_embd", 64));
        body.put("checkpoint", checkpoint);
        return as(admin).contentType(ContentType.JSON).body(body).post("/api/models")
                .then().statusCode(201).extract().<Number>path("id").longValue();
    }

    /** A worker token that registered for {@code model} advertising coachhook and coachhook-corpus. */
    private static String registerWorker(long model) {
        String worker = Fixtures.token(Fixtures.unique("w"), "WORKER");
        Map<String, Object> schema = Map.of("hyperparameters", Map.of(
                "layers", Map.of("type", "integer-array"), "lambda", Map.of("type", "number"),
                "valueSteps", Map.of("type", "integer")));
        as(worker).contentType(ContentType.JSON)
                .body(Map.of("name", Fixtures.unique("gov-worker"), "modelId", model,
                        "methods", Map.of("coachhook", schema, "coachhook-corpus", schema)))
                .post("/api/workers").then().statusCode(200).body("modelId", equalTo((int) model));
        return worker;
    }

    /** Edit {@code i} of the tiny world's CounterFact cases as a registry edit. */
    private static Map<String, Object> worldEdit(int i) {
        JsonNode r = cases.get(i).path("requested_rewrite");
        return edit(r.path("subject").asText(), r.path("relation_id").asText(), r.path("prompt").asText(),
                r.path("target_new").path("str").asText(), r.path("target_true").path("str").asText());
    }

    private static int batches(long model) {
        return as(HooklineTestResources.ADMIN_TOKEN).queryParam("modelId", model).get("/api/batches")
                .then().statusCode(200).extract().jsonPath().getList("$").size();
    }

    @Test
    void methodAndHyperparametersAreCheckedAgainstRegisteredWorkers() {
        long model = model(worldTokenizer);
        // no worker registered for this model yet: nothing to check against, accepted
        Map<String, Object> memit = batch(model, "main", List.of(worldEdit(0)));
        memit.put("method", "memit");
        submit(alice, memit).then().statusCode(201);
        long before = batches(model);
        registerWorker(model);
        as(alice).get("/api/workers").then().statusCode(200).body("modelId", hasItem((int) model));

        memit.put("branch", "b2");
        submit(alice, memit).then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:hookline:problem:method-unsupported"))
                .body("fields[0].field", equalTo("method")).body("detail", containsString("coachhook"));
        Map<String, Object> typo = batch(model, "b2", List.of(worldEdit(0)));
        typo.put("hyperparameters", Map.of("lamda", 10));
        submit(alice, typo).then().statusCode(422).body("type", equalTo("urn:hookline:problem:hyperparameters"))
                .body("fields[0].field", equalTo("hyperparameters.lamda"))
                .body("fields[0].message", containsString("lambda"));
        typo.put("hyperparameters", Map.of("lambda", "ten", "layers", List.of(1.5)));
        submit(alice, typo).then().statusCode(422).body("fields.size()", equalTo(2));
        // A batch that names no method is checked as the recommended one (here: not run by the worker).
        Map<String, Object> noMethod = batch(model, "b3", List.of(worldEdit(1)));
        noMethod.remove("method");
        submit(alice, noMethod).then().statusCode(422)
                .body("type", equalTo("urn:hookline:problem:method-unsupported"))
                .body("detail", containsString("codebook-subject"));
        assertEquals(before, batches(model), "a refused batch was stored");
        as(alice).get("/api/models/" + model + "/versions").then().statusCode(200);
        typo.put("hyperparameters", Map.of("lambda", 10.5, "layers", List.of(1), "valueSteps", 3));
        submit(alice, typo).then().statusCode(201);
        assertEquals(before + 1, batches(model));
    }

    @Test
    void wordsTheModelsTokenizerCannotEncodeAreRefused() {
        long model = model(worldTokenizer);
        Map<String, Object> oov = worldEdit(0);
        oov.put("subject", "Zorblax Quentin");
        oov.put("targetNew", "Klingon");
        submit(alice, batch(model, "main", List.of(worldEdit(1), oov))).then().statusCode(422)
                .body("type", equalTo("urn:hookline:problem:unknown-tokens"))
                .body("fields.field", equalTo(List.of("edits[1].subject", "edits[1].targetNew")))
                .body("fields[0].message", containsString("Zorblax"))
                .body("fields[0].message", containsString("Quentin"));
        assertEquals(0, batches(model));
        submit(alice, batch(model, "main", List.of(worldEdit(1), worldEdit(2)))).then().statusCode(201);
    }

    @Test
    void byteLevelBpeEncodesEverything() throws Exception {
        // GPT-2's byte-level BPE tokenizer.json (the shared HF fixture, as the engine's tests keep it)
        byte[] gpt2 = Files.readAllBytes(Path.of("../edit-engine/src/test/resources/hf-gpt2-micro/tokenizer.json"));
        long model = model(gpt2);
        Map<String, Object> e = edit("Zorblax Quentin", "P103", "The mother tongue of {} is", "Klingon", null);
        submit(alice, batch(model, "main", List.of(e))).then().statusCode(201);
    }

    @Test
    void conflictingEditsAreRefusedUnlessSuperseding() {
        long model = model(worldTokenizer);
        Map<String, Object> first = worldEdit(3);
        long b1 = submit(alice, batch(model, "main", List.of(first, worldEdit(4)))).then().statusCode(201)
                .extract().<Number>path("id").longValue();
        long earlierEdit = as(alice).get("/api/batches/" + b1).then().extract().<Number>path("edits[0].id").longValue();
        // same fact, another target: refused naming the earlier edit
        Map<String, Object> again = worldEdit(3);
        again.put("targetNew", again.get("targetTrue"));
        submit(alice, batch(model, "main", List.of(worldEdit(5), again))).then().statusCode(409)
                .body("type", equalTo("urn:hookline:problem:fact-conflict"))
                .body("fields[0].field", equalTo("edits[1]"))
                .body("detail", containsString("fact edit " + earlierEdit + " (batch " + b1 + ", edits[0]"));
        assertEquals(1, batches(model));
        // the same fact twice in one batch
        submit(alice, batch(model, "main", List.of(worldEdit(6), worldEdit(6)))).then().statusCode(409)
                .body("detail", containsString("as edits[0] of the same batch"));
        // superseding with nothing to supersede is refused too
        Map<String, Object> nothing = worldEdit(7);
        nothing.put("supersedes", true);
        submit(alice, batch(model, "main", List.of(nothing))).then().statusCode(409)
                .body("fields[0].field", equalTo("edits[0].supersedes"));
        assertEquals(1, batches(model));
        // marked superseding: accepted, and the batch shows what it replaces
        again.put("supersedes", true);
        long b2 = submit(alice, batch(model, "main", List.of(again))).then().statusCode(201)
                .extract().<Number>path("id").longValue();
        as(alice).get("/api/batches/" + b2).then().statusCode(200)
                .body("edits[0].supersedes.editId", equalTo((int) earlierEdit))
                .body("edits[0].supersedes.batchId", equalTo((int) b1))
                .body("edits[0].supersedes.targetNew", equalTo(first.get("targetNew")));
        as(alice).get("/api/batches/" + b1).then().body("edits[0].supersedes", nullValue());
        // another branch from the base has its own history: no conflict there
        Map<String, Object> other = worldEdit(3);
        other.put("targetNew", other.get("targetTrue"));
        submit(alice, batch(model, "side", List.of(other))).then().statusCode(201);
    }
}
