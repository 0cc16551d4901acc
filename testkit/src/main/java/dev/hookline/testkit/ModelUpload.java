/*
 * Registers a base checkpoint directory with the registry the way an operator would: upload
 * the three checkpoint files as content-addressed blobs, then POST /api/models (docs/API.md).
 */
package dev.hookline.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Uploads and registers base models. */
public final class ModelUpload {
    /** The checkpoint roles the registry requires, as file names in the model directory. */
    public static final List<String> CHECKPOINT_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");

    private ModelUpload() {
    }

    /** Uploads {@code modelDir}'s checkpoint and registers it as {@code name}; answers the model view. */
    public static JsonNode register(RegistryClient admin, String name, Path modelDir) {
        List<Map<String, Object>> checkpoint = new ArrayList<>();
        for (String file : CHECKPOINT_FILES) {
            Path p = modelDir.resolve(file);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("checkpoint file missing: " + p);
            }
            BlobRef ref = admin.putBlob(p);
            checkpoint.add(Map.of("role", file, "key", ref.key(), "size", ref.size()));
        }
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(modelDir.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("architecture", "gpt2");
        body.put("config", config);
        body.put("checkpoint", checkpoint);
        return admin.post("/api/models", body);
    }
}
