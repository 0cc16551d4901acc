/*
 * Pulls what one version needs onto local disk: the base checkpoint and the serving part of the
 * hook bundle, every blob verified against its content-addressed key, assembled into the
 * directory layouts the engine reads (HF GPT-2 checkpoint; hookline-hook-bundle/1 or /2 without the
 * editing file). Reference: docs/API.md (Resolution), edit-engine HookBundle.
 */
package dev.hookline.serving.pull;

import dev.hookline.client.Sha256;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Assembles verified version directories under the cache. */
public final class VersionFetcher {

    /**
     * A version on local disk.
     *
     * @param resolution what was resolved
     * @param baseKey identity of the base checkpoint (sha256 over its blob keys): versions with the
     *        same key share one loaded base model
     * @param baseDir checkpoint directory (config.json, model.safetensors, tokenizer.json)
     * @param bundleDir hook bundle directory (manifest.json, serving.safetensors), null for version 0
     */
    public record Fetched(Resolution resolution, String baseKey, Path baseDir, Path bundleDir) {
    }

    private final BlobCache cache;

    public VersionFetcher(BlobCache cache) {
        this.cache = cache;
    }

    /**
     * Downloads (or re-verifies cached) blobs of {@code r} and assembles its directories.
     *
     * @throws dev.hookline.client.BlobIntegrityException when a blob does not match its key
     * @throws IllegalArgumentException when the resolution lacks a needed role or lists an unknown one
     */
    public Fetched fetch(Resolution r) {
        String baseKey = baseKey(r);
        Path baseDir = cache.dir().resolve("base").resolve(baseKey.substring(0, 24));
        Set<String> seen = new HashSet<>();
        for (Resolution.Blob b : r.base()) {
            String file = BundleRoles.checkpointFile(b.role()).orElseThrow(() -> new IllegalArgumentException(
                    "base checkpoint of model " + r.modelId() + " has an unknown role '" + b.role() + "'"));
            cache.place(b, baseDir.resolve(file));
            seen.add(file);
        }
        if (!seen.containsAll(BundleRoles.CHECKPOINT)) {
            throw new IllegalArgumentException("base checkpoint of model " + r.modelId() + " lacks one of "
                    + BundleRoles.CHECKPOINT + " (has " + seen + ")");
        }
        if (r.isBase()) {
            return new Fetched(r, baseKey, baseDir, null);
        }
        Path bundleDir = cache.dir().resolve("bundles").resolve(r.digest().substring("sha256:".length()));
        Set<String> files = new HashSet<>();
        for (Resolution.Blob b : r.serving()) {
            String file = BundleRoles.servingFile(b.role()).orElseThrow(() -> new IllegalArgumentException(
                    r.describe() + ": serving manifest has an unknown role '" + b.role() + "' (expected "
                            + BundleRoles.MANIFEST + " and " + BundleRoles.SERVING + ")"));
            cache.place(b, bundleDir.resolve(file));
            files.add(file);
        }
        if (!files.contains(BundleRoles.MANIFEST) || !files.contains(BundleRoles.SERVING)) {
            throw new IllegalArgumentException(r.describe() + ": serving manifest must list " + BundleRoles.MANIFEST
                    + " and " + BundleRoles.SERVING + ", has " + files);
        }
        return new Fetched(r, baseKey, baseDir, bundleDir);
    }

    /** sha256 over the checkpoint's blob keys in role order. */
    static String baseKey(Resolution r) {
        List<String> keys = new ArrayList<>();
        for (String role : BundleRoles.CHECKPOINT) {
            for (Resolution.Blob b : r.base()) {
                if (role.equals(b.role())) {
                    keys.add(role + "=" + b.ref().key());
                }
            }
        }
        return Sha256.ref(String.join("\n", keys).getBytes(StandardCharsets.UTF_8)).hex();
    }
}
