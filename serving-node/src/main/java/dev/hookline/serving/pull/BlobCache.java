/*
 * The node's local content-addressed blob cache: one file per sha256 key, fetched through a
 * presigned object-store URL (or the registry) with size and sha256 verified while streaming by
 * the registry client, and re-hashed every time a version is assembled from it, so a blob that
 * changed on disk is never loaded. Reference: DESIGN.md section 5 (verified on every download).
 */
package dev.hookline.serving.pull;

import dev.hookline.client.BlobIntegrityException;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jboss.logging.Logger;

/** Blobs under {@code dir/blobs/<hex>}, assembled into version directories by hard link. */
public final class BlobCache {
    private static final Logger LOG = Logger.getLogger(BlobCache.class);

    private final Path dir;
    private final RegistryClient client;

    /** A cache in {@code dir}; {@code client} may be null for a cache that only reads local files. */
    public BlobCache(Path dir, RegistryClient client) {
        this.dir = dir.toAbsolutePath();
        this.client = client;
        try {
            Files.createDirectories(this.dir.resolve("blobs"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create blob cache " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * The verified local file of {@code blob}: re-hashed when cached (a mismatching file is deleted
     * and fetched again), else downloaded (presigned when a URL is given).
     *
     * @throws BlobIntegrityException when the downloaded bytes do not match the key
     */
    public Path verified(Resolution.Blob blob) {
        BlobRef ref = blob.ref();
        Path file = dir.resolve("blobs").resolve(ref.hex());
        if (Files.isRegularFile(file)) {
            BlobRef actual = Sha256.ref(file);
            if (actual.equals(ref)) {
                return file;
            }
            LOG.warnf("cached blob %s hashes to %s (%d bytes): fetching it again", ref.key(), actual.key(), actual.size());
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (client == null) {
            throw new IllegalStateException("blob " + ref.key() + " is not cached and no registry is configured");
        }
        if (blob.url() != null) {
            client.downloadPresigned(blob.url(), ref, file);
        } else {
            client.downloadBlob(ref, file);
        }
        return file;
    }

    /**
     * Places the verified file of {@code blob} at {@code target} (hard link, or a copy where links
     * are not possible), replacing what is there.
     */
    public void place(Resolution.Blob blob, Path target) {
        Path source = verified(blob);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".part");
            Files.deleteIfExists(tmp);
            try {
                Files.createLink(tmp, source);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot place " + blob.ref().key() + " at " + target, e);
        }
    }
}
