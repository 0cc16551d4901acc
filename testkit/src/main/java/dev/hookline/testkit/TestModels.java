/*
 * Pretrained models for tests of the modules around the engine: the tiny world pretrained by the
 * engine's own PretrainRun, from the engine's per-machine PretrainedModels cache (file-locked,
 * published atomically), so a cold build pretrains it once for every module.
 */
package dev.hookline.testkit;

import dev.hookline.engine.train.PretrainedModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Cached pretrained models. Treat the returned directories as read-only; {@link #copy} them to change them. */
public final class TestModels {
    /** PretrainedModels' completion marker, left out of copies. */
    private static final String DONE = ".complete";

    private TestModels() {
    }

    /** Cache root: {@link PretrainedModels#cacheRoot()} ({@code -Dhookline.models.cache}, else ~/.cache/hookline/models). */
    public static Path cacheRoot() {
        return PretrainedModels.cacheRoot();
    }

    /**
     * The pretrained tiny-world model (config.json, model.safetensors, tokenizer.json,
     * pretrain-report.json, world/ with corpus.txt, counterfact.json, zsre.json).
     */
    public static Path tiny() {
        return PretrainedModels.tiny();
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
}
