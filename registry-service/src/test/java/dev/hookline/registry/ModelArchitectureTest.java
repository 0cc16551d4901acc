/*
 * A base model's architecture is one the engine runs (HF model_type): recorded and shown by the
 * API; anything else is a 400 naming the supported ones, and nothing is written.
 */
package dev.hookline.registry;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelArchitectureTest {

    private static Map<String, Object> body(String name, String architecture) {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("architecture", architecture);
        body.put("config", Map.of("model_type", architecture, "num_hidden_layers", 2));
        body.put("checkpoint", List.of(
                Fixtures.upload(admin, "config.json", ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8)),
                Fixtures.upload(admin, "model.safetensors", Fixtures.randomBytes(512)),
                Fixtures.upload(admin, "tokenizer.json", ("{\"t\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8))));
        return body;
    }

    @Test
    void supportedArchitecturesAreRecordedAndShown() {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        for (String architecture : List.of("llama", "qwen2", "gptj", "mistral")) {
            long id = as(admin).contentType(ContentType.JSON).body(body(Fixtures.unique(architecture), architecture))
                    .post("/api/models").then().statusCode(201).body("architecture", equalTo(architecture))
                    .extract().<Number>path("id").longValue();
            as(admin).get("/api/models/" + id).then().statusCode(200).body("architecture", equalTo(architecture));
        }
    }

    @Test
    void anUnsupportedArchitectureIsA400NamingTheSupportedOnes() {
        String admin = HooklineTestResources.ADMIN_TOKEN;
        long models = HooklineTestResources.count("base_model");
        as(admin).contentType(ContentType.JSON).body(body(Fixtures.unique("falcon"), "falcon")).post("/api/models")
                .then().statusCode(400).body("detail", containsString("architecture"))
                .body("detail", containsString("[gpt2, gptj, llama, mistral, qwen2]"));
        assertEquals(models, HooklineTestResources.count("base_model"));
    }
}
