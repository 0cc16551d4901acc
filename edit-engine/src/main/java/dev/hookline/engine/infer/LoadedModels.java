/*
 * The process-wide cache of loaded base checkpoints (issue 24: "the model is loaded once per
 * process and shared"). A load is identified by the content of the files it reads (config,
 * weights, tokenizer: a sha256 per file, remembered by file identity, size and modification time),
 * the device and the dtypes it is loaded in (float32, or float16 matrices under --precision fp16).
 * Users hold reference-counted leases, so one user's close never frees a model another still uses.
 *
 * Shared models are read-only. The base weights W_0 never change (hooks keep their state outside
 * the model), so every read-only user can share one copy; editors that write weights (MEMIT,
 * the no-hook ablation, AlphaEdit, FT, UltraEdit) work on CausalLm#copy() (edit/ModelCopies),
 * and training loads privately (Checkpoint.loadModel).
 */
package dev.hookline.engine.infer;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded checkpoints by content, reference-counted. Thread-safe; loads run one at a time (two
 * large checkpoints are never materialised at once), so threads asking for the same checkpoint
 * together load it once.
 *
 * <p>The key is the content, not the directory: the editor worker places each job's checkpoint
 * files into a fresh working directory (hard links into its blob cache), so consecutive jobs of
 * one model find the model loaded; a file changed on disk (new size or modification time) is
 * hashed again and, with new content, loads a new model.
 *
 * <p>Up to {@code keepIdle} checkpoints that no one uses stay loaded (the least recently released
 * closes first), so a worker running job after job, or a CLI command that loads twice, loads once;
 * system property {@value #KEEP_IDLE_PROPERTY} (default 1; 0 closes a model at its last release).
 * Loading another checkpoint first closes the idle ones beyond {@code keepIdle - 1}, so that the
 * default never holds an unused model next to a new one.
 */
public final class LoadedModels {
    private static final Logger LOG = LoggerFactory.getLogger(LoadedModels.class);

    /** System property: how many unused checkpoints stay loaded. */
    public static final String KEEP_IDLE_PROPERTY = "hookline.models.keepIdle";

    private static final LoadedModels SHARED = new LoadedModels(Integer.getInteger(KEEP_IDLE_PROPERTY, 1));

    /**
     * What identifies one load: the content of the files a load reads, the device and the dtypes.
     *
     * @param filesDigest sha256 over the sorted (file name, file sha256) pairs of the files a load reads
     * @param device the DJL device, e.g. {@code cpu()} or {@code gpu(0)}
     * @param dataType the parameters' dtype in memory
     * @param weightType the base-model matrices' dtype (float16 under --precision fp16, else dataType)
     */
    public record Key(String filesDigest, String device, String dataType, String weightType) {
        public Key {
            if (filesDigest == null || device == null || dataType == null || weightType == null) {
                throw new IllegalArgumentException("model key parts must not be null");
            }
        }
    }

    private static final class Entry {
        final Key key;
        final Path dir;
        final CausalLm model;
        final TextTokenizer tokenizer;
        final long loadNumber;
        int uses;
        private String parameterDigest;

        Entry(Key key, Path dir, CausalLm model, TextTokenizer tokenizer, long loadNumber) {
            this.key = key;
            this.dir = dir;
            this.model = model;
            this.tokenizer = tokenizer;
            this.loadNumber = loadNumber;
        }

        /** Computed once: the parameters of a shared model never change. */
        synchronized String parameterDigest() {
            if (parameterDigest == null) {
                parameterDigest = Digests.model(model);
            }
            return parameterDigest;
        }

        void close() {
            model.close();
            tokenizer.close();
        }
    }

    /**
     * One user's hold on a shared model. {@link #release()} (or close) once; later calls do
     * nothing. The model is read-only: write a {@link CausalLm#copy()}.
     */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** The shared model (read-only). */
        public CausalLm model() {
            return entry.model;
        }

        public TextTokenizer tokenizer() {
            return entry.tokenizer;
        }

        public Key key() {
            return entry.key;
        }

        /** The directory the model was first loaded from (later leases may name another with the same files). */
        public Path loadedFrom() {
            return entry.dir;
        }

        /** The cache's load counter when this model was loaded (same number: same load). */
        public long loadNumber() {
            return entry.loadNumber;
        }

        /** {@link Digests#model} of the shared model, computed once per load. */
        public String parameterDigest() {
            return entry.parameterDigest();
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                LoadedModels.this.release(entry);
            }
        }

        @Override
        public void close() {
            release();
        }
    }

    /** A file's identity on disk: the same inode, size and modification time mean the same bytes. */
    private record FileStamp(Object identity, long size, long modifiedNanos) {}

    private final int keepIdle;
    private final Map<Key, Entry> entries = new HashMap<>();
    /** Unused entries, least recently released first. */
    private final LinkedHashMap<Key, Entry> idle = new LinkedHashMap<>();
    private final Map<FileStamp, String> fileDigests = new ConcurrentHashMap<>();
    private long loads;

    /** A separate cache (tests); the process uses {@link #shared()}. */
    public LoadedModels(int keepIdle) {
        if (keepIdle < 0) {
            throw new IllegalArgumentException("keepIdle must be >= 0, got " + keepIdle);
        }
        this.keepIdle = keepIdle;
    }

    /** The process-wide cache that {@link LanguageModel#load(Path, Device)} uses. */
    public static LoadedModels shared() {
        return SHARED;
    }

    /**
     * A lease on the checkpoint in {@code dir} loaded on {@code device} as {@code dataType},
     * loading it unless a load with the same key is in use or idle.
     *
     * @throws IllegalArgumentException when the tokenizer produces ids outside the model's vocabulary
     */
    public Lease acquire(Path dir, Device device, DataType dataType) throws IOException {
        return acquire(dir, device, dataType, dataType);
    }

    /**
     * As {@link #acquire(Path, Device, DataType)} with the base-model matrices held in
     * {@code weightType} ({@code Checkpoint.loadModel}'s mixed precision: float16 under fp16).
     */
    public Lease acquire(Path dir, Device device, DataType dataType, DataType weightType) throws IOException {
        Key key = key(dir, device, dataType, weightType);
        synchronized (this) {
            Entry e = entries.get(key);
            if (e == null) {
                // Idle models beyond what may stay with this one loaded close first: never two large
                // checkpoints in memory only because one waits for a next job that asks for another.
                while (!idle.isEmpty() && idle.size() >= keepIdle) {
                    closeOldestIdle();
                }
                long start = System.nanoTime();
                e = load(key, dir, device, dataType, weightType);
                entries.put(key, e);
                LOG.info("loaded model {} ({}, matrices {}, on {}, files {}) in {} ms", dir, dataType, weightType, device,
                        key.filesDigest().substring(0, 12), (System.nanoTime() - start) / 1_000_000);
            }
            idle.remove(key);
            e.uses++;
            return new Lease(e);
        }
    }

    private Entry load(Key key, Path dir, Device device, DataType dataType, DataType weightType) throws IOException {
        TextTokenizer tokenizer = TextTokenizer.loadDirectory(dir);
        try {
            CausalLm model = Checkpoint.loadModel(dir, device, dataType, weightType);
            try {
                tokenizer.requireFits(model.config().vocabSize(), dir.resolve(Checkpoint.TOKENIZER_FILE));
                // No gradient is ever recorded into shared weights.
                model.setTrainable(false);
            } catch (RuntimeException ex) {
                model.close();
                throw ex;
            }
            return new Entry(key, dir.toAbsolutePath().normalize(), model, tokenizer, ++loads);
        } catch (IOException | RuntimeException ex) {
            tokenizer.close();
            throw ex;
        }
    }

    private synchronized void release(Entry e) {
        if (e.uses <= 0) {
            throw new IllegalStateException("model " + e.dir + " released more often than acquired");
        }
        if (--e.uses > 0) {
            return;
        }
        idle.put(e.key, e);
        while (idle.size() > keepIdle) {
            closeOldestIdle();
        }
    }

    private synchronized void closeOldestIdle() {
        Entry oldest = idle.values().iterator().next();
        idle.remove(oldest.key);
        entries.remove(oldest.key);
        oldest.close();
        LOG.info("closed unused model {}", oldest.dir);
    }

    /** Number of loads this cache has done (a load counter for tests and logs). */
    public synchronized long loads() {
        return loads;
    }

    /** Number of models loaded now (in use or idle). */
    public synchronized int size() {
        return entries.size();
    }

    /** Closes every model no one holds (memory pressure, tests). */
    public synchronized void closeIdle() {
        for (Entry e : idle.values()) {
            entries.remove(e.key);
            e.close();
        }
        idle.clear();
    }

    /** The key of {@code dir}: sha256 over the files a load reads, device, dtypes. */
    public Key key(Path dir, Device device, DataType dataType, DataType weightType) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model directory not found: " + dir);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(Files::isRegularFile).filter(LoadedModels::readByLoad).sorted().forEach(files::add);
        }
        MessageDigest all = sha256();
        for (Path f : files) {
            all.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            all.update((byte) 0);
            all.update(fileDigest(f).getBytes(StandardCharsets.US_ASCII));
        }
        return new Key(HexFormat.of().formatHex(all.digest()), device.toString(), dataType.toString(),
                weightType.toString());
    }

    /** The files Checkpoint.loadModel and TextTokenizer.loadDirectory read. */
    private static boolean readByLoad(Path f) {
        String name = f.getFileName().toString();
        return name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json")
                || name.equals(Checkpoint.CONFIG_FILE) || name.startsWith("tokenizer")
                || name.equals("special_tokens_map.json");
    }

    private String fileDigest(Path f) throws IOException {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        // The inode where the file system has one (a hard link in another directory is the same file).
        Object identity = a.fileKey() != null ? a.fileKey() : f.toRealPath();
        FileStamp stamp = new FileStamp(identity, a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        String known = fileDigests.get(stamp);
        if (known != null) {
            return known;
        }
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        String digest = HexFormat.of().formatHex(md.digest());
        fileDigests.keySet().removeIf(s -> s.identity().equals(identity)); // the file's earlier versions
        fileDigests.put(stamp, digest);
        return digest;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
