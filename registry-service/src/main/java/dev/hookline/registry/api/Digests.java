package dev.hookline.registry.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 helpers and the content-addressed blob key format {@code sha256/<64 hex>}. */
public final class Digests {

    /** A blob key: {@code sha256/} followed by 64 lowercase hex digits. */
    public static final Pattern BLOB_KEY = Pattern.compile("sha256/[0-9a-f]{64}");
    /** A bare digest: 64 lowercase hex digits. */
    public static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    private Digests() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lowercase hex sha256 of UTF-8 text. */
    public static String sha256Hex(String text) {
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Lowercase hex sha256 of bytes. */
    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
