/*
 * A per-machine cache of pretrained models, so that a cold build pretrains the tiny world once
 * and every module's tests (edit-engine, testkit and the modules above it) share the result.
 * Keyed by a content hash of what determines the weights (pretraining preset, world preset,
 * seed, and FORMAT_VERSION for the code that turns them into weights). Concurrency follows the
 * usual lock-then-publish pattern: a FileChannel lock per key across processes (surefire forks,
 * several Maven modules, several checkouts), a monitor per key across threads of one JVM (a JVM
 * holds one FileLock per file), and a build into a temporary directory published with one atomic
 * rename, so no reader ever sees a half-written model.
 */
package dev.hookline.engine.train;

import dev.hookline.world.WorldPreset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cached pretrained checkpoints ({@link PretrainRun}'s output directory: config.json,
 * model.safetensors, tokenizer.json, pretrain-report.json, world/). Returned directories are
 * shared by every build on the machine: treat them as read-only and copy one to change it.
 */
public final class PretrainedModels {
    private static final Logger LOG = LoggerFactory.getLogger(PretrainedModels.class);

    /**
     * Version of the code that turns (preset, world, seed) into weights: initialisation, data
     * order, optimiser, loss, checkpoint format. Bump it when a change there alters the weights,
     * so that caches on developer machines and runners are rebuilt instead of reused.
     */
    public static final int FORMAT_VERSION = 1;
    /** System property naming the cache directory. */
    public static final String CACHE_PROPERTY = "hookline.models.cache";
    /** Environment variable naming the cache directory (the system property wins). */
    public static final String CACHE_ENV = "HOOKLINE_MODELS_CACHE";
    /** Marker file written last into a finished build (inside the temporary directory, before the rename). */
    static final String COMPLETE = ".complete";

    private static final Map<String, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private PretrainedModels() {}

    /** Builds the contents of a cache entry into an empty directory that it may create. */
    @FunctionalInterface
    interface Builder {
        void build(Path dir) throws IOException;
    }

    /**
     * The cache directory: system property {@value #CACHE_PROPERTY}, else environment variable
     * {@value #CACHE_ENV}, else {@code ~/.cache/hookline/models}.
     */
    public static Path cacheRoot() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(CACHE_ENV);
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "hookline", "models");
    }

    /** The tiny world pretrained with the full tiny preset and seed 1 (converged: recall 1.000 / 1.000). */
    public static Path tiny() {
        return pretrained(PretrainPreset.named("tiny"), 1L);
    }

    /**
     * The checkpoint of {@code preset} trained on its world with {@code seed}, pretrained into the
     * cache on first use (once per machine, whatever the number of threads and processes asking).
     */
    public static Path pretrained(PretrainPreset preset, long seed) {
        String world = preset.world();
        return cached(cacheRoot(), key(preset, seed), dir -> {
            LOG.info("pretraining {} on world {} (seed {}) into the model cache {}; later builds reuse it",
                    preset.name(), world, seed, dir.getParent());
            PretrainRun.run(world, preset, seed, dir, null);
        });
    }

    /**
     * The cached checkpoint of {@code preset} with {@code seed} when another build on this machine
     * made it already (never builds). Callers that show their own progress (the platform's model
     * build) copy it instead of pretraining the same weights again.
     */
    public static java.util.Optional<Path> existing(PretrainPreset preset, long seed) {
        Path dir = cacheRoot().resolve(key(preset, seed));
        return Files.isRegularFile(dir.resolve(COMPLETE)) ? java.util.Optional.of(dir) : java.util.Optional.empty();
    }

    /**
     * The cache key: the preset's name and the first 16 hex digits of the SHA-256 of everything
     * that determines the weights (preset fields, world preset fields, seed, {@link #FORMAT_VERSION}).
     */
    public static String key(PretrainPreset preset, long seed) {
        String identity = "format=" + FORMAT_VERSION + "\npreset=" + preset + "\nworld=" + WorldPreset.named(preset.world())
                + "\nseed=" + seed + "\n";
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return preset.name() + "-" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * The complete entry {@code root/key}, built by {@code builder} if it is not there yet. At most
     * one thread of one process builds a key at a time; the others wait on the lock and then find
     * the entry complete.
     */
    static Path cached(Path root, String key, Builder builder) {
        Path dir = root.resolve(key);
        if (Files.isRegularFile(dir.resolve(COMPLETE))) {
            return dir; // published by an atomic rename: complete whenever it exists
        }
        synchronized (JVM_LOCKS.computeIfAbsent(key, k -> new Object())) {
            try {
                Files.createDirectories(root);
                try (FileChannel channel = FileChannel.open(root.resolve(key + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                    if (Files.isRegularFile(dir.resolve(COMPLETE))) {
                        return dir; // another process built it while this one waited
                    }
                    // Holding the lock: leftovers of this key are from builds that died midway.
                    deleteLeftovers(root, key);
                    deleteTree(dir); // an entry without its marker (never published by this class)
                    Path tmp = root.resolve(key + ".building-" + ProcessHandle.current().pid());
                    builder.build(tmp);
                    Files.writeString(tmp.resolve(COMPLETE), key + "\n");
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                    return dir;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot build the cached model " + key + " under " + root, e);
            }
        }
    }

    private static void deleteLeftovers(Path root, String key) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, key + ".building-*")) {
            for (Path p : stale) {
                LOG.info("removing {} (a build that did not finish)", p);
                deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
