/*
 * The edited facts of a version's whole lineage: the registry stores each version's batch
 * (GET /api/versions/{id} -> batchId, parentVersionId; GET /api/batches/{id} -> edits), and a
 * version contains every edit of its ancestors. Versions are immutable, so the answer is cached
 * per version id. Reference: docs/API.md (Hook version, Edit batch).
 */
package dev.hookline.serving.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.serving.model.EditedFact;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Fetches and caches lineage facts. Thread-safe. */
public final class LineageFacts {
    /** Lineages deeper than this are refused (a cycle would be a registry bug). */
    private static final int MAX_DEPTH = 100_000;

    private final RegistryClient client;
    private final Map<Long, List<EditedFact>> byVersion = new ConcurrentHashMap<>();

    public LineageFacts(RegistryClient client) {
        this.client = client;
    }

    /**
     * Facts of version {@code versionId} and its ancestors, newest version first; where a later
     * batch edited the same subject and prompt again, only the later edit is kept.
     */
    public List<EditedFact> of(long versionId) {
        if (versionId == 0) {
            return List.of();
        }
        List<EditedFact> cached = byVersion.get(versionId);
        if (cached != null) {
            return cached;
        }
        List<EditedFact> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Long id = versionId;
        for (int depth = 0; id != null; depth++) {
            if (depth > MAX_DEPTH) {
                throw new IllegalStateException("lineage of version " + versionId + " is deeper than " + MAX_DEPTH);
            }
            JsonNode v = client.get("/api/versions/" + id);
            long batchId = v.path("batchId").asLong();
            int number = v.path("number").asInt();
            JsonNode batch = client.get("/api/batches/" + batchId);
            for (JsonNode e : batch.path("edits")) {
                String subject = e.path("subject").asText();
                String prompt = e.path("prompt").asText();
                if (seen.add(subject + "\u0000" + prompt)) {
                    out.add(new EditedFact(subject, prompt, e.path("targetNew").asText(),
                            e.hasNonNull("targetTrue") ? e.get("targetTrue").asText() : null, id, number, batchId));
                }
            }
            id = v.hasNonNull("parentVersionId") ? v.get("parentVersionId").asLong() : null;
        }
        List<EditedFact> result = List.copyOf(out);
        byVersion.put(versionId, result);
        return result;
    }
}
