/*
 * The model cache builds each key once, across threads of one JVM and across processes, and never
 * shows a half-written entry; its key follows what determines the weights. The builders here write
 * small files slowly (no pretraining), so the races are wide and the test is fast.
 */
package dev.hookline.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainedModelsTest {
    private static final int FILES = 5;

    /** A slow build: FILES files, one every 100 ms, each naming the builder; appends to builds.log first. */
    static void slowBuild(Path root, Path dir, String who) throws IOException {
        Files.writeString(root.resolve("builds.log"), who + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        Files.createDirectories(dir);
        for (int i = 0; i < FILES; i++) {
            Files.writeString(dir.resolve("part-" + i), who);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Polls root/key until stopped; records any moment where the entry exists but is incomplete. */
    private static Thread watcher(Path dir, AtomicBoolean stop, List<String> halfWritten) {
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                if (Files.isDirectory(dir)) {
                    for (int i = 0; i < FILES; i++) {
                        if (!Files.isRegularFile(dir.resolve("part-" + i))) {
                            halfWritten.add("part-" + i + " missing while " + dir + " exists");
                        }
                    }
                    if (!Files.isRegularFile(dir.resolve(PretrainedModels.COMPLETE))) {
                        halfWritten.add("marker missing while " + dir + " exists");
                    }
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        t.start();
        return t;
    }

    @Test
    void threadsOfOneJvmBuildAKeyOnce(@TempDir Path root) throws Exception {
        AtomicInteger builds = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> halfWritten = new CopyOnWriteArrayList<>();
        Thread watch = watcher(root.resolve("k"), stop, halfWritten);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String who = "thread-" + i;
                got.add(pool.submit(() -> {
                    go.await();
                    return PretrainedModels.cached(root, "k", dir -> {
                        builds.incrementAndGet();
                        slowBuild(root, dir, who);
                    });
                }));
            }
            go.countDown();
            for (Future<Path> f : got) {
                assertEquals(root.resolve("k"), f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
            stop.set(true);
            watch.join();
        }
        assertEquals(1, builds.get(), "one build for four threads");
        assertEquals(List.of(), halfWritten);
        assertEquals(1, Files.readAllLines(root.resolve("builds.log")).size());
        // A later call finds the entry without building.
        assertEquals(root.resolve("k"), PretrainedModels.cached(root, "k", dir -> {
            throw new AssertionError("rebuilt a complete entry");
        }));
    }

    @Test
    void processesBuildAKeyOnceAndNeverSeeAHalfWrittenEntry(@TempDir Path root) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> halfWritten = new CopyOnWriteArrayList<>();
        Thread watch = watcher(root.resolve("shared"), stop, halfWritten);
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                children.add(new ProcessBuilder(java, "-cp", cp, Child.class.getName(), root.toString(), "shared",
                        "process-" + i).redirectErrorStream(true).start());
            }
            for (Process p : children) {
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
                String out = new String(p.getInputStream().readAllBytes()).strip();
                assertEquals(0, p.exitValue(), out);
                assertTrue(out.endsWith(root.resolve("shared").toString()), "child answers the entry: " + out);
            }
        } finally {
            children.forEach(Process::destroyForcibly);
            stop.set(true);
            watch.join();
        }
        List<String> builds = Files.readAllLines(root.resolve("builds.log"));
        assertEquals(1, builds.size(), "one build for three processes: " + builds);
        assertEquals(List.of(), halfWritten);
        for (int i = 0; i < FILES; i++) {
            assertEquals(builds.get(0), Files.readString(root.resolve("shared").resolve("part-" + i)));
        }
        try (var left = Files.list(root)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().contains(".building-")).toList(),
                    "no temporary directories left");
        }
    }

    @Test
    void aBuildThatDiedMidwayIsRemovedAndRedone(@TempDir Path root) throws Exception {
        Path stale = root.resolve("k.building-999999");
        Files.createDirectories(stale);
        Files.writeString(stale.resolve("part-0"), "dead");
        try {
            PretrainedModels.cached(root, "k", dir -> {
                Files.createDirectories(dir);
                throw new IOException("disk full");
            });
        } catch (java.io.UncheckedIOException expected) {
            assertTrue(expected.getMessage().contains("k"), expected.getMessage());
        }
        assertTrue(!Files.exists(root.resolve("k")), "a failed build publishes nothing");
        assertTrue(!Files.exists(stale), "the dead build's directory is cleaned up under the lock");
        Path dir = PretrainedModels.cached(root, "k", d -> slowBuild(root, d, "retry"));
        assertEquals("retry", Files.readString(dir.resolve("part-" + (FILES - 1))));
    }

    @Test
    void theKeyFollowsWhatDeterminesTheWeights() {
        PretrainPreset tiny = PretrainPreset.named("tiny");
        String key = PretrainedModels.key(tiny, 1);
        assertTrue(key.matches("tiny-[0-9a-f]{16}"), key);
        assertEquals(key, PretrainedModels.key(PretrainPreset.named("tiny"), 1), "stable");
        assertNotEquals(key, PretrainedModels.key(tiny, 2), "seed");
        assertNotEquals(key, PretrainedModels.key(tiny.withEpochs(tiny.epochs() - 1), 1), "epochs");
        assertNotEquals(key, PretrainedModels.key(tiny.withMlpSize(tiny.mlpSize() * 2), 1), "width");
        assertNotEquals(PretrainedModels.key(PretrainPreset.named("demo"), 1),
                PretrainedModels.key(PretrainPreset.named("demo-wide"), 1));
    }

    @Test
    void theCacheRootFollowsTheSystemProperty(@TempDir Path dir) {
        String before = System.getProperty(PretrainedModels.CACHE_PROPERTY);
        try {
            System.setProperty(PretrainedModels.CACHE_PROPERTY, dir.toString());
            assertEquals(dir.toAbsolutePath(), PretrainedModels.cacheRoot());
        } finally {
            if (before == null) {
                System.clearProperty(PretrainedModels.CACHE_PROPERTY);
            } else {
                System.setProperty(PretrainedModels.CACHE_PROPERTY, before);
            }
        }
    }

    /** A process asking the cache for one key: prints the entry's path. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path root = Path.of(args[0]);
            Path dir = PretrainedModels.cached(root, args[1], d -> slowBuild(root, d, args[2]));
            System.out.println(dir);
        }
    }
}
