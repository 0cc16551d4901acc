/*
 * The worker's local content-addressed blob cache: one file per sha256 key, downloaded through
 * the registry client (size and sha256 verified while streaming), re-verified the first time this
 * process uses a cached file, evicted least-recently-used beyond a size limit.
 */
package dev.hookline.worker;

import dev.hookline.client.BlobIntegrityException;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs under {@code dir/<hex>}. {@link #materialise} places a verified blob into a working
 * directory as a hard link (a copy where links are not possible), so evicting a cache entry
 * never breaks a running job.
 */
public final class BlobCache {
    private static final Logger LOG = LoggerFactory.getLogger(BlobCache.class);

    private final Path dir;
    private final long limitBytes;
    private final RegistryClient client;
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    public BlobCache(Path dir, long limitBytes, RegistryClient client) {
        this.dir = dir;
        this.limitBytes = limitBytes;
        this.client = client;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create blob cache " + dir, e);
        }
    }

    /** The cache directory. */
    public Path dir() {
        return dir;
    }

    /**
     * The cached file of {@code blob}, downloading it when missing. A cached file that no longer
     * hashes to its key (disk corruption, tampering) is deleted and downloaded again.
     *
     * @throws BlobIntegrityException when the registry's bytes do not match the key
     */
    public synchronized Path get(BlobRef blob) {
        Path file = dir.resolve(blob.hex());
        try {
            if (Files.isRegularFile(file)) {
                if (verified.contains(blob.key()) || matches(file, blob)) {
                    verified.add(blob.key());
                    Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
                    return file;
                }
                LOG.warn("cached blob {} does not match its digest; downloading it again", blob.key());
                Files.delete(file);
            }
            client.downloadBlob(blob, file);
            verified.add(blob.key());
            evict(blob.key());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("blob cache " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Puts a verified copy of {@code blob} at {@code target} (hard link when possible). */
    public Path materialise(BlobRef blob, Path target) {
        Path source = get(blob);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Files.deleteIfExists(target);
            try {
                Files.createLink(target, source);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot place blob " + blob.key() + " at " + target, e);
        }
    }

    /** Adds a local file (already hashed by the caller) to the cache, e.g. a freshly computed bundle file. */
    public synchronized void adopt(Path file, BlobRef blob) {
        Path target = dir.resolve(blob.hex());
        try {
            if (!Files.exists(target)) {
                Path tmp = Files.createTempFile(dir, ".adopt-", ".part");
                Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            verified.add(blob.key());
            evict(blob.key());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot add " + file + " to the blob cache", e);
        }
    }

    /** Bytes the cache holds now. */
    public synchronized long sizeBytes() {
        return entries().stream().mapToLong(Entry::size).sum();
    }

    /** Keys cached now (for the worker's capability report). */
    public synchronized List<String> keys() {
        return entries().stream().map(e -> "sha256/" + e.file().getFileName()).toList();
    }

    private record Entry(Path file, long size, FileTime used) {
    }

    private List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.length() == 64 && Files.isRegularFile(p)) {
                    out.add(new Entry(p, Files.size(p), Files.getLastModifiedTime(p)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Evicts least-recently-used blobs until the cache fits its limit; never the one just added. */
    private void evict(String keep) {
        List<Entry> all = entries();
        long total = all.stream().mapToLong(Entry::size).sum();
        if (total <= limitBytes) {
            return;
        }
        all.sort(Comparator.comparing(Entry::used));
        for (Entry e : all) {
            if (total <= limitBytes) {
                break;
            }
            if (("sha256/" + e.file().getFileName()).equals(keep)) {
                continue;
            }
            try {
                Files.deleteIfExists(e.file());
                verified.remove("sha256/" + e.file().getFileName());
                total -= e.size();
                LOG.info("evicted blob sha256/{} ({} bytes) from the cache (limit {} bytes)", e.file().getFileName(),
                        e.size(), limitBytes);
            } catch (IOException ex) {
                LOG.warn("could not evict {}: {}", e.file(), ex.getMessage());
            }
        }
    }

    private static boolean matches(Path file, BlobRef blob) throws IOException {
        return Files.size(file) == blob.size() && Sha256.ref(file).key().equals(blob.key());
    }
}
