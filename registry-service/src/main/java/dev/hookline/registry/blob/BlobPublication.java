/*
 * The moment a blob key becomes visible in the object store (a multipart completion, a small PUT,
 * the copy of a verified presigned upload), serialised with deletions of that key (issue 26).
 * BlobGcService.delete holds the key's advisory lock (BlobLocks) while it checks the blob's age and
 * removes it; holding the same lock while the key is written means a deletion either finishes
 * before the write (which then stores the blob afresh) or sees the write's new last-modified time
 * (and spares it as young). Without it, a deletion that had checked the old object could remove the
 * bytes an upload has just been told are stored.
 */
package dev.hookline.registry.blob;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.narayana.jta.QuarkusTransactionException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import java.util.List;
import java.util.concurrent.Callable;

/** Runs the write that makes a blob key visible under that key's advisory lock. */
@ApplicationScoped
public class BlobPublication {

    /** Transaction timeout floor; larger objects get one more second per 4 MiB (store-side copies are O(size)). */
    private static final int BASE_TIMEOUT_SECONDS = 60;
    private static final int MAX_TIMEOUT_SECONDS = 3600;

    @Inject
    EntityManager em;

    /**
     * Runs {@code write} in a new transaction that first takes the advisory lock of {@code key};
     * {@code size} only scales the transaction timeout. Exceptions of {@code write} come out as they
     * are (checked ones wrapped in an IllegalStateException).
     */
    public <T> T underLock(String key, long size, Callable<T> write) {
        int timeout = (int) Math.min(MAX_TIMEOUT_SECONDS, BASE_TIMEOUT_SECONDS + (size >> 22));
        try {
            return QuarkusTransaction.requiringNew().timeout(timeout).call(() -> {
                BlobLocks.lock(em, List.of(key));
                return write.call();
            });
        } catch (QuarkusTransactionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("writing " + key + " failed", e.getCause() == null ? e : e.getCause());
        }
    }
}
