/*
 * What an upload did: which way the bytes went to the object store (docs/API.md, "Blobs").
 */
package dev.hookline.client;

/**
 * The outcome of {@link RegistryClient#uploadBlob}.
 *
 * @param ref the stored blob
 * @param transfer how the bytes reached the store
 * @param note why a presigned upload was not used (the registry's reason, or the store's failure
 *     that made the client fall back to streaming); null otherwise
 */
public record BlobUpload(BlobRef ref, Transfer transfer, String note) {

    /** How the bytes reached the object store. */
    public enum Transfer {
        /** The registry already had the blob; nothing was sent. */
        ALREADY_STORED,
        /** Straight to the object store through a presigned PUT, then verified by the registry. */
        PRESIGNED,
        /** Through the registry ({@code PUT /api/blobs/sha256/<hex>}), which hashes as it forwards. */
        STREAMED
    }

    public BlobUpload {
        if (ref == null || transfer == null) {
            throw new IllegalArgumentException("ref and transfer are required");
        }
    }
}
