/*
 * Downloaded bytes whose sha256 or size does not match the content-addressed key they were
 * fetched under (DESIGN.md §5: blobs are verified on every download).
 */
package dev.hookline.client;

/** A blob's bytes do not hash to its key, or have the wrong size. Nothing is left at the target. */
public final class BlobIntegrityException extends RuntimeException {
    private final String key;
    private final String actualKey;

    public BlobIntegrityException(String key, String actualKey, String message) {
        super(message);
        this.key = key;
        this.actualKey = actualKey;
    }

    /** The key ({@code sha256/<hex>}) the bytes were expected to have. */
    public String key() {
        return key;
    }

    /** The key the received bytes actually hash to (null when the size was already wrong). */
    public String actualKey() {
        return actualKey;
    }
}
