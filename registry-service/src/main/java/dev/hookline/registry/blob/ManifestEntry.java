package dev.hookline.registry.blob;

/**
 * One content-addressed blob referenced by a model or version.
 *
 * @param role what the blob is to its owner (e.g. {@code model.safetensors}, {@code hook.layer1.W_h},
 *             {@code cAccu.layer1})
 * @param key  {@code sha256/<hex>} of its bytes
 * @param size its length in bytes
 */
public record ManifestEntry(String role, String key, Long size) {
}
