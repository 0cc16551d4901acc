/*
 * What a serving node must load, in Java types: a registry resolution of a channel or an exact
 * version (docs/API.md "Resolution"), or version 0 (the base model, no hooks) built from the
 * model view's checkpoint. Reference: docs/API.md.
 */
package dev.hookline.serving.pull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.BlobRef;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A version to load.
 *
 * @param modelId registry model id
 * @param modelName registry model name
 * @param channel the channel resolved, or null for an exact version pin
 * @param versionId registry version id, 0 for the base model
 * @param number version number within the model, 0 for the base model
 * @param digest the version's registry digest {@code sha256:<hex>} (bundleDigest; for version 0
 *        the digest of the base weights, i.e. the model.safetensors blob)
 * @param serving serving blobs of the hook bundle (empty for version 0)
 * @param base base checkpoint blobs
 */
public record Resolution(long modelId, String modelName, String channel, long versionId, int number, String digest,
        List<Blob> serving, List<Blob> base) {

    /**
     * One blob with its role and, when the registry presigned it, a direct object-store URL.
     *
     * @param role manifest role
     * @param ref key and size
     * @param url presigned GET URL, or null (then the blob is fetched through the registry)
     */
    public record Blob(String role, BlobRef ref, URI url) {
    }

    public Resolution {
        if (versionId < 0 || number < 0) {
            throw new IllegalArgumentException("version id and number must be >= 0");
        }
        if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("version digest must be sha256:<64 hex>, got " + digest);
        }
        serving = List.copyOf(serving);
        base = List.copyOf(base);
        if (versionId > 0 && serving.isEmpty()) {
            throw new IllegalArgumentException("version " + versionId + " lists no serving blobs");
        }
    }

    /** True for version 0 (base model, no hooks). */
    public boolean isBase() {
        return versionId == 0;
    }

    /** Parses a registry resolution ({@code GET …/resolve}). */
    public static Resolution parse(JsonNode r) {
        String channel = r.hasNonNull("channel") ? r.get("channel").asText() : null;
        return new Resolution(r.path("modelId").asLong(), r.path("modelName").asText(), channel,
                r.path("versionId").asLong(), r.path("number").asInt(), r.path("bundleDigest").asText(),
                blobs(r.path("servingUrls")), blobs(r.path("baseUrls")));
    }

    /** Version 0 of a model view ({@code GET /api/models/{id}}): its checkpoint, fetched through the registry. */
    public static Resolution base(JsonNode model) {
        List<Blob> base = new ArrayList<>();
        String digest = null;
        for (JsonNode e : model.path("checkpoint")) {
            BlobRef ref = new BlobRef(e.path("key").asText(), e.path("size").asLong());
            base.add(new Blob(e.path("role").asText(), ref, null));
            if ("model.safetensors".equals(e.path("role").asText())) {
                digest = "sha256:" + ref.hex();
            }
        }
        if (digest == null) {
            throw new IllegalArgumentException("model " + model.path("id").asText() + " lists no model.safetensors");
        }
        return new Resolution(model.path("id").asLong(), model.path("name").asText(), null, 0, 0, digest, List.of(), base);
    }

    private static List<Blob> blobs(JsonNode array) {
        List<Blob> out = new ArrayList<>();
        for (JsonNode e : array) {
            String url = e.path("url").asText(null);
            out.add(new Blob(e.path("role").asText(), new BlobRef(e.path("key").asText(), e.path("size").asLong()),
                    url == null || url.isEmpty() ? null : URI.create(url)));
        }
        return out;
    }

    /** Short human name, e.g. "version 3 (id 7, sha256:ab12…)". */
    public String describe() {
        return isBase() ? "version 0 (base model, " + digest + ")"
                : "version " + number + " (id " + versionId + ", " + digest + ")";
    }
}
