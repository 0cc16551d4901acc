/*
 * The atomic "what this node serves now": an immutable LoadedVersion behind an AtomicReference.
 * A request takes one reference at its start and uses only that version to the end, so layers
 * of two versions never mix; a swap publishes the new version at once and the old one closes
 * when its last in-flight request has finished.
 */
package dev.hookline.serving.model;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** Holds the current version. Thread-safe. */
public final class VersionHolder implements AutoCloseable {

    /** One request's hold on a version; close it when the request is done. */
    public static final class Lease implements AutoCloseable {
        private final LoadedVersion version;
        private boolean closed;

        private Lease(LoadedVersion version) {
            this.version = version;
        }

        public LoadedVersion version() {
            return version;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                version.release();
            }
        }
    }

    private final AtomicReference<LoadedVersion> current = new AtomicReference<>();

    /** A lease on the current version, or empty when nothing is loaded yet. */
    public Optional<Lease> acquire() {
        while (true) {
            LoadedVersion v = current.get();
            if (v == null) {
                return Optional.empty();
            }
            if (v.tryAcquire()) {
                return Optional.of(new Lease(v));
            }
            // v closed between the read and the acquire: a swap happened, read the new one.
            Thread.onSpinWait();
        }
    }

    /** The current version's identity without holding it (may be outdated as soon as it returns). */
    public Optional<LoadedVersion.Info> peek() {
        LoadedVersion v = current.get();
        return v == null ? Optional.empty() : Optional.of(v.info());
    }

    /**
     * Publishes {@code next} (whose single initial reference the holder takes over) and drops the
     * holder's reference to the previous version, which closes once its requests have released it.
     */
    public void swap(LoadedVersion next) {
        LoadedVersion previous = current.getAndSet(next);
        if (previous != null) {
            previous.release();
        }
    }

    /** Drops the current version (shutdown). */
    @Override
    public void close() {
        LoadedVersion previous = current.getAndSet(null);
        if (previous != null) {
            previous.release();
        }
    }
}
