/*
 * The node's HTTP API end to end in Quarkus (local mode: the tiny model with bundle B, built by
 * the engine): completions equal the engine's own answers and name the version, explain traces
 * every hooked layer and token, /v1/version shows the bundle digest, readiness is UP, and bad
 * input of every kind is a 400 problem JSON naming the field. RESTAssured given/when/then.
 */
package dev.hookline.serving.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.serving.TestBundles;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalFixtureResource.class)
class ServingHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void awaitReady() throws InterruptedException {
        long end = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < end) {
            if (given().get("/q/health/ready").statusCode() == 200) {
                return;
            }
            Thread.sleep(200);
        }
        given().get("/q/health/ready").then().statusCode(200);
    }

    private static JsonNode expected() throws Exception {
        return JSON.readTree(TestBundles.expectedFile().toFile()).get("b");
    }

    private static String bundleDigest() throws Exception {
        byte[] manifest = Files.readAllBytes(TestBundles.dir().resolve("bundle-b/manifest.json"));
        return "sha256:" + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(manifest));
    }

    @Test
    void readinessNamesTheLoadedVersion() throws Exception {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks[0].name", equalTo("loaded-version"))
                .body("checks[0].data.digest", equalTo(bundleDigest()));
    }

    @Test
    void versionShowsDigestLayersAndAlpha() throws Exception {
        JsonNode manifest = JSON.readTree(TestBundles.dir().resolve("bundle-b/manifest.json").toFile());
        Response r = given().get("/v1/version");
        r.then().statusCode(200).body("digest", equalTo(bundleDigest())).body("bundleDigest", equalTo(bundleDigest()))
                .body("layers", equalTo(TestBundles.LAYERS)).body("edits", equalTo(10)).body("status", equalTo("SERVING"));
        JsonNode body = JSON.readTree(r.asString());
        for (JsonNode l : manifest.get("layers")) {
            double alpha = body.get("alpha").get(String.valueOf(l.get("layer").asInt())).asDouble();
            assertEquals(l.get("alpha").asDouble(), alpha, 1e-12, "alpha of layer " + l.get("layer"));
        }
        assertTrue(r.jsonPath().getString("loadedAt").startsWith("20"), "loadedAt is an ISO instant");
    }

    @Test
    void completionsEqualTheEnginesAnswersAndNameTheVersion() throws Exception {
        JsonNode expected = expected();
        List<String> prompts = new ArrayList<>();
        expected.fieldNames().forEachRemaining(prompts::add);
        String first = prompts.get(0);
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", first, "max_tokens", TestBundles.EXPECTED_TOKENS))
                .post("/v1/completions").then().statusCode(200)
                .body("version.digest", equalTo(bundleDigest())).body("version.number", equalTo(1))
                .body("choices", hasSize(1)).body("choices[0].text", equalTo(expected.get(first).asText()));
        Response r = given().contentType(ContentType.JSON)
                .body(Map.of("prompts", prompts, "max_tokens", TestBundles.EXPECTED_TOKENS, "greedy", true))
                .post("/v1/completions");
        r.then().statusCode(200).body("choices", hasSize(prompts.size()));
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(expected.get(prompts.get(i)).asText(), r.jsonPath().getString("choices[" + i + "].text"),
                    "batched completion " + i + " (" + prompts.get(i) + ")");
            assertEquals(i, r.jsonPath().getInt("choices[" + i + "].index"));
            assertTrue(r.jsonPath().getInt("choices[" + i + "].tokens") <= TestBundles.EXPECTED_TOKENS);
        }
    }

    @Test
    void explainTracesEveryHookedLayerAndToken() throws Exception {
        JsonNode manifest = JSON.readTree(TestBundles.dir().resolve("bundle-b/manifest.json").toFile());
        Iterator<String> it = expected().fieldNames();
        String edited = it.next(); // an edit prompt of bundle B
        Response r = given().contentType(ContentType.JSON).body(Map.of("prompt", edited)).post("/v1/explain");
        r.then().statusCode(200).body("layers", hasSize(TestBundles.LAYERS.size())).body("facts", hasSize(0))
                .body("version.digest", equalTo(bundleDigest()));
        JsonNode body = JSON.readTree(r.asString());
        int tokens = body.get("tokens").size();
        assertTrue(tokens >= 2, "the prompt has several tokens");
        for (int i = 0; i < TestBundles.LAYERS.size(); i++) {
            JsonNode layer = body.get("layers").get(i);
            double alpha = layer.get("alpha").asDouble();
            assertEquals(TestBundles.LAYERS.get(i), layer.get("layer").asInt());
            assertEquals(manifest.get("layers").get(i).get("layer").asInt(), layer.get("layer").asInt());
            assertEquals(manifest.get("layers").get(i).get("alpha").asDouble(), alpha, 1e-12);
            assertEquals(tokens, layer.get("tokens").size(), "one score per token at layer " + i);
            int swapped = 0;
            for (int t = 0; t < tokens; t++) {
                JsonNode tok = layer.get("tokens").get(t);
                assertEquals(t, tok.get("position").asInt());
                assertEquals(body.get("tokens").get(t).asText(), tok.get("token").asText());
                assertTrue(tok.get("m").asDouble() >= 0, "m is a norm");
                boolean z = tok.hasNonNull("z");
                if (tok.get("swapped").asBoolean()) {
                    swapped++;
                    assertTrue(z && tok.get("z").asDouble() >= alpha, "a swapped token has z >= alpha: " + tok);
                } else if (z) {
                    assertTrue(tok.get("z").asDouble() < alpha, "an unswapped token has z < alpha: " + tok);
                }
            }
            assertEquals(swapped, layer.get("swappedCount").asInt());
            assertTrue(swapped >= 1, "an edited prompt swaps at least one position at layer " + i);
        }
    }

    private static void badRequest(String path, String body, String type, String field) {
        given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(400)
                .contentType("application/problem+json").body("type", equalTo("urn:hookline:problem:" + type))
                .body("status", equalTo(400)).body("fields[0].field", equalTo(field));
    }

    @Test
    void badInputIsA400ProblemNamingTheField() {
        String many = "[" + String.join(",", java.util.Collections.nCopies(33, "\"a\"")) + "]";
        String longPrompt = String.join(" ", java.util.Collections.nCopies(80, "the"));
        badRequest("/v1/completions", "{}", "validation", "prompt");
        badRequest("/v1/completions", "{\"prompt\":\"a\",\"prompts\":[\"b\"]}", "validation", "prompts");
        badRequest("/v1/completions", "{\"prompts\":[]}", "validation", "prompts");
        badRequest("/v1/completions", "{\"prompts\":" + many + "}", "validation", "prompts");
        badRequest("/v1/completions", "{\"prompts\":[\"ok\",\"  \"]}", "validation", "prompts[1]");
        badRequest("/v1/completions", "{\"prompt\":\"   \"}", "validation", "prompt");
        badRequest("/v1/completions", "{\"prompt\":\"" + longPrompt + "\"}", "validation", "prompt");
        badRequest("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":-1}", "validation", "max_tokens");
        badRequest("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":100000}", "validation", "max_tokens");
        badRequest("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":\"many\"}", "bad-json", "max_tokens");
        badRequest("/v1/completions", "{\"prompt\":\"a\",\"greedy\":false}", "validation", "greedy");
        badRequest("/v1/completions", "{\"prompt\":", "bad-json", "body");
        badRequest("/v1/completions", "[1,2]", "bad-json", "body");
        badRequest("/v1/explain", "{}", "validation", "prompt");
        badRequest("/v1/explain", "{\"prompt\":\"\"}", "validation", "prompt");
        given().contentType(ContentType.JSON).post("/v1/completions").then().statusCode(400)
                .body("type", equalTo("urn:hookline:problem:bad-json"));
        given().contentType(ContentType.TEXT).body("hello").post("/v1/completions").then().statusCode(415)
                .contentType("application/problem+json");
        given().get("/v1/nothing-here").then().statusCode(404).contentType("application/problem+json");
        // Unknown fields are ignored (older nodes accept newer clients).
        given().contentType(ContentType.JSON).body("{\"prompt\":\"a\",\"max_tokens\":1,\"temperature\":0}")
                .post("/v1/completions").then().statusCode(200).body("choices", hasSize(1));
    }
}
