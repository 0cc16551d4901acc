/*
 * The testkit and the shared registry client against the real registry process: start, tokens,
 * model upload and registration, verified blob download, refused tampered bytes, problem JSON
 * errors, conditional resolution (ETag / 304).
 */
package dev.hookline.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.BlobIntegrityException;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.client.Sha256;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryRoundTripTest {
    @TempDir
    static Path data;
    static RegistryProcess registry;

    @BeforeAll
    static void start() {
        registry = RegistryProcess.start(data.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void tokensRolesAndProblemJson() {
        RegistryClient reviewer = registry.client("rita", "REVIEWER");
        JsonNode me = reviewer.me();
        assertEquals("rita", me.get("principal").asText());
        assertEquals(List.of("REVIEWER"), List.of(me.get("roles").get(0).asText()));

        RegistryException forbidden = assertThrows(RegistryException.class,
                () -> reviewer.post("/api/tokens", Map.of("principal", "x", "roles", List.of("ADMIN"))));
        assertEquals(403, forbidden.status());
        assertTrue(forbidden.problemType().startsWith("urn:hookline:problem:"), forbidden.problemType());

        RegistryException bad = assertThrows(RegistryException.class,
                () -> registry.admin().post("/api/models", Map.of("name", "")));
        assertEquals(400, bad.status());
        assertTrue(bad.getMessage().contains("400"), bad.getMessage());

        RegistryException unknown = assertThrows(RegistryException.class,
                () -> new RegistryClient(registry.url(), "hl_not_a_token").me());
        assertEquals(401, unknown.status());
        assertTrue(registry.admin().find("/api/models/999999").isEmpty());
    }

    @Test
    void blobsAreVerifiedOnDownload() throws Exception {
        RegistryClient admin = registry.admin();
        byte[] bytes = "hook weights, pretend".getBytes(StandardCharsets.UTF_8);
        BlobRef ref = admin.putBlob(bytes);
        assertEquals("sha256/" + Sha256.hex(bytes), ref.key());
        assertEquals(bytes.length, admin.blobSize(ref.key()).orElseThrow());
        assertTrue(admin.blobSize("sha256/" + "0".repeat(64)).isEmpty());

        Path target = data.resolve("dl/blob.bin");
        admin.downloadBlob(ref, target);
        assertArrayEquals(bytes, Files.readAllBytes(target));

        // Tamper with the stored object (same length, one byte changed): the client must refuse it
        // and leave nothing at the target.
        Path stored;
        try (Stream<Path> files = Files.walk(registry.blobDir())) {
            stored = files.filter(p -> p.getFileName().toString().equals(ref.hex())).findFirst().orElseThrow(
                    () -> new AssertionError("object " + ref.hex() + " not found under " + registry.blobDir()));
        }
        byte[] tampered = bytes.clone();
        tampered[0] ^= 1;
        Files.write(stored, tampered);
        Path target2 = data.resolve("dl/tampered.bin");
        BlobIntegrityException e = assertThrows(BlobIntegrityException.class, () -> admin.downloadBlob(ref, target2));
        assertEquals(ref.key(), e.key());
        assertTrue(e.getMessage().contains(ref.key()), e.getMessage());
        assertFalse(Files.exists(target2));
        try (Stream<Path> left = Files.list(target2.getParent())) {
            assertEquals(1, left.count(), "only the first, verified download is in the folder");
        }
    }

    @Test
    void tinyModelRegistersAndResolvesConditionally() {
        Path model = TestModels.tiny();
        assertTrue(Files.isRegularFile(model.resolve("world/counterfact.json")));
        JsonNode registered = ModelUpload.register(registry.admin(), "tiny-roundtrip", model);
        long id = registered.get("id").asLong();
        JsonNode got = registry.admin().get("/api/models/" + id);
        assertEquals("tiny-roundtrip", got.get("name").asText());
        assertEquals(3, got.get("checkpoint").size());
        for (JsonNode entry : got.get("checkpoint")) {
            Path file = model.resolve(entry.get("role").asText());
            assertEquals(Sha256.ref(file).key(), entry.get("key").asText());
        }
        // A channel that does not exist yet is a 404 problem, not an empty answer.
        RegistryClient serving = registry.client("node-1", "SERVING");
        RegistryException missing = assertThrows(RegistryException.class, () -> serving.resolveChannel(id, "prod", null));
        assertEquals(404, missing.status());
    }
}
