/*
 * Pretrained models for tests of the modules around the engine, built once per machine: the
 * tiny world pretrained by the engine's own PretrainRun (about 90 s on 2 cores), cached and
 * file-locked so parallel builds never pretrain the same model twice.
 */
package dev.hookline.testkit;

import dev.hookline.engine.train.PretrainPreset;
import dev.hookline.engine.train.PretrainRun;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/** Cached pretrained models. Treat the returned directories as read-only; {@link #copy} them to change them. */
public final class TestModels {
    /** Bump when the pretraining recipe or the world generator changes in a way tests depend on. */
    private static final String TINY_KEY = "tiny-s1-v1";
    private static final String DONE = ".complete";

    private TestModels() {
    }

    /** Cache root: {@code -Dhookline.test.models}, else {@code ~/.cache/hookline/test-models}. */
    public static Path cacheRoot() {
        String p = System.getProperty("hookline.test.models");
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".cache", "hookline", "test-models");
    }

    /**
     * The pretrained tiny-world model (config.json, model.safetensors, tokenizer.json,
     * pretrain-report.json, world/ with corpus.txt, counterfact.json, zsre.json).
     */
    public static synchronized Path tiny() {
        return cached(TINY_KEY, dir -> PretrainRun.run("tiny", PretrainPreset.named("tiny"), 1, dir,
                new PrintStream(PrintStream.nullOutputStream())));
    }

    @FunctionalInterface
    private interface Builder {
        void build(Path dir) throws IOException;
    }

    private static Path cached(String key, Builder builder) {
        Path root = cacheRoot();
        Path dir = root.resolve(key);
        try {
            Files.createDirectories(root);
            if (Files.exists(dir.resolve(DONE))) {
                return dir;
            }
            try (FileChannel ch = FileChannel.open(root.resolve(key + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
                if (Files.exists(dir.resolve(DONE))) {
                    return dir; // another build finished it while we waited
                }
                Path tmp = root.resolve(key + ".building-" + ProcessHandle.current().pid());
                deleteTree(tmp);
                builder.build(tmp);
                Files.writeString(tmp.resolve(DONE), key);
                deleteTree(dir);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                return dir;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build test model " + key + " under " + root, e);
        }
    }

    /** Copies a model directory (recursively) to {@code target}, which must not exist. */
    public static Path copy(Path source, Path target) {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (!p.getFileName().toString().equals(DONE)) {
                    Files.copy(p, to);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + source + " to " + target, e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
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
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

}
