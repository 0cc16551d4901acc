/*
 * A content-addressed blob reference, as in a manifest entry without its role.
 */
package dev.hookline.client;

import java.util.regex.Pattern;

/**
 * A blob in the registry's store.
 *
 * @param key {@code sha256/<64 lowercase hex>}
 * @param size length in bytes
 */
public record BlobRef(String key, long size) {
    private static final Pattern KEY = Pattern.compile("sha256/[0-9a-f]{64}");

    public BlobRef {
        requireKey(key);
        if (size < 0) {
            throw new IllegalArgumentException("blob size must be >= 0, got " + size);
        }
    }

    /** The 64 hex digits of the key. */
    public String hex() {
        return key.substring("sha256/".length());
    }

    /** Rejects anything that is not {@code sha256/<64 lowercase hex>}. */
    public static String requireKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("blob key must be sha256/<64 lowercase hex>, got " + key);
        }
        return key;
    }
}
