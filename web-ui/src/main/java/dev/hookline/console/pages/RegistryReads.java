/*
 * The registry API reads several console pages share (docs/API.md endpoints, called with the
 * signed-in user's token), and the lineage arithmetic on parentVersionId.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads of models, versions, channels and batches, and lineage paths. */
final class RegistryReads {

    private RegistryReads() {
    }

    /** The versions of a model by id, in the API's order. */
    static Map<Long, JsonNode> versions(RegistryClient api, long modelId) {
        Map<Long, JsonNode> byId = new LinkedHashMap<>();
        api.get("/api/models/" + modelId + "/versions").forEach(v -> byId.put(v.path("id").asLong(), v));
        return byId;
    }

    /** Version number by id (for labels like "v3"). */
    static Map<Long, Integer> numbers(Map<Long, JsonNode> versions) {
        Map<Long, Integer> n = new HashMap<>();
        versions.forEach((id, v) -> n.put(id, v.path("number").asInt()));
        return n;
    }

    /** The model's channels. */
    static List<JsonNode> channels(RegistryClient api, long modelId) {
        List<JsonNode> list = new ArrayList<>();
        api.get("/api/models/" + modelId + "/channels").forEach(list::add);
        return list;
    }

    /** Channel names pointing at each version id. */
    static Map<Long, List<String>> channelsByVersion(List<JsonNode> channels) {
        Map<Long, List<String>> m = new HashMap<>();
        for (JsonNode c : channels) {
            m.computeIfAbsent(c.path("versionId").asLong(), k -> new ArrayList<>()).add(c.path("name").asText());
        }
        return m;
    }

    /** Branch name per batch id of a model (the newest 1000 batches). */
    static Map<Long, String> branchByBatch(RegistryClient api, long modelId) {
        Map<Long, String> m = new HashMap<>();
        api.get("/api/batches?modelId=" + modelId + "&limit=1000")
                .forEach(b -> m.put(b.path("id").asLong(), b.path("branch").asText()));
        return m;
    }

    /** The path from the base model to {@code leaf}: root-most version first, {@code leaf} last. */
    static List<JsonNode> pathTo(Map<Long, JsonNode> versions, long leaf) {
        List<JsonNode> path = new ArrayList<>();
        JsonNode v = versions.get(leaf);
        int guard = versions.size() + 1;
        while (v != null && guard-- > 0) {
            path.add(v);
            JsonNode parent = v.path("parentVersionId");
            v = parent.isIntegralNumber() ? versions.get(parent.asLong()) : null;
        }
        Collections.reverse(path);
        return path;
    }

    /** A model's name, or "model {id}" when it cannot be read. */
    static String modelName(RegistryClient api, long modelId) {
        return api.find("/api/models/" + modelId).map(m -> m.path("name").asText()).orElse("model " + modelId);
    }
}
