/*
 * The worker's blob cache without a registry: adopted files are stored under their digest, and
 * least-recently-used entries are evicted once the cache exceeds its size limit.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.Sha256;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobCacheTest {
    @TempDir
    Path tmp;

    private BlobRef file(String name, int bytes, long seed) throws Exception {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        Path p = tmp.resolve(name);
        Files.write(p, b);
        return Sha256.ref(p);
    }

    @Test
    void evictsLeastRecentlyUsedBeyondTheLimit() throws Exception {
        // The client is never called here: adopt() takes local files.
        BlobCache cache = new BlobCache(tmp.resolve("cache"), 1 << 20,
                new RegistryClient(URI.create("http://127.0.0.1:9"), "unused"));
        BlobRef a = file("a", 400_000, 1);
        BlobRef b = file("b", 400_000, 2);
        BlobRef c = file("c", 400_000, 3);
        cache.adopt(tmp.resolve("a"), a);
        Files.setLastModifiedTime(cache.dir().resolve(a.hex()), FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        cache.adopt(tmp.resolve("b"), b);
        assertEquals(800_000, cache.sizeBytes());
        cache.adopt(tmp.resolve("c"), c);
        assertFalse(Files.exists(cache.dir().resolve(a.hex())), "oldest entry evicted");
        assertTrue(Files.exists(cache.dir().resolve(b.hex())));
        assertTrue(Files.exists(cache.dir().resolve(c.hex())));
        assertEquals(800_000, cache.sizeBytes());
        assertTrue(cache.sizeBytes() <= 1 << 20);
        // A cached blob is served without the registry, and placed by link or copy.
        Path placed = cache.materialise(c, tmp.resolve("work/c.bin"));
        assertEquals(c, Sha256.ref(placed));
    }
}
