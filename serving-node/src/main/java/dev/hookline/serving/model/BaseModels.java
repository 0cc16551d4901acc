/*
 * Base checkpoints loaded once and shared by every loaded version that sits on them: hook
 * versions of one model differ only in their hook state (W_h - W_0, alpha), never in W_0, so a
 * swap loads kilobytes of hooks instead of the whole model. Reference-counted: the base closes
 * when the last version using it has closed.
 */
package dev.hookline.serving.model;

import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.infer.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/** Loaded base models by base key. Thread-safe. */
public final class BaseModels implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BaseModels.class);

    /** One loaded base: the model, its parameter digest (what bundles name as baseModelDigest), a use count. */
    public final class Handle {
        private final String key;
        private final LanguageModel model;
        private final String parameterDigest;
        private int uses;

        private Handle(String key, LanguageModel model, String parameterDigest) {
            this.key = key;
            this.model = model;
            this.parameterDigest = parameterDigest;
        }

        /** The base key (sha256 over the checkpoint's blob keys, or of the local directory). */
        public String key() {
            return key;
        }

        /** The loaded checkpoint (shared: never mutate its parameters). */
        public LanguageModel model() {
            return model;
        }

        /** sha256 over parameter names and float32 values ({@link Digests#model}). */
        public String parameterDigest() {
            return parameterDigest;
        }

        /** Gives up one use; the last release closes the model. */
        public void release() {
            BaseModels.this.release(this);
        }
    }

    private final Map<String, Handle> loaded = new HashMap<>();
    private boolean closed;

    /** The base for {@code key}, loading {@code dir} if it is not loaded; counts one use. */
    public synchronized Handle acquire(String key, Path dir) throws IOException {
        if (closed) {
            throw new IllegalStateException("base models are closed");
        }
        Handle h = loaded.get(key);
        if (h == null) {
            long start = System.nanoTime();
            LanguageModel lm = LanguageModel.load(dir);
            try {
                h = new Handle(key, lm, lm.modelDigest());
            } catch (RuntimeException e) {
                lm.close();
                throw e;
            }
            loaded.put(key, h);
            LOG.infof("loaded base model %s from %s in %d ms", key.substring(0, Math.min(12, key.length())), dir,
                    (System.nanoTime() - start) / 1_000_000);
        }
        h.uses++;
        return h;
    }

    private synchronized void release(Handle h) {
        if (h.uses <= 0) {
            throw new IllegalStateException("base " + h.key + " released more often than acquired");
        }
        if (--h.uses == 0) {
            loaded.remove(h.key);
            h.model.close();
            LOG.infof("closed base model %s", h.key.substring(0, Math.min(12, h.key.length())));
        }
    }

    /** Number of bases loaded now. */
    public synchronized int size() {
        return loaded.size();
    }

    /** Closes every base regardless of uses (shutdown). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Handle h : loaded.values()) {
            h.model.close();
        }
        loaded.clear();
    }
}
