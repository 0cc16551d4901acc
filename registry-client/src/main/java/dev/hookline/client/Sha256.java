/*
 * sha256 helpers for content-addressed blobs.
 */
package dev.hookline.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** sha256 of bytes and files, as lowercase hex and as blob keys. */
public final class Sha256 {
    private Sha256() {
    }

    /** A fresh sha256 digest. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Lowercase hex sha256 of {@code bytes}. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** Lowercase hex sha256 of a file's content, streamed. */
    public static String hex(Path file) {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The blob reference of a file ({@code sha256/<hex>} and its size). */
    public static BlobRef ref(Path file) {
        try {
            return new BlobRef("sha256/" + hex(file), Files.size(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + file, e);
        }
    }

    /** The blob reference of some bytes. */
    public static BlobRef ref(byte[] bytes) {
        return new BlobRef("sha256/" + hex(bytes), bytes.length);
    }
}
