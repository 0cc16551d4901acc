/*
 * Loads edit requests (CounterFact or zsRE layout) and the corpus used for key statistics.
 */
package dev.hookline.engine.bench;

import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.data.ZsreDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Dataset and corpus lookup with clear errors. */
public final class EditData {
    private EditData() {}

    /** All requests of {@code file} (zsRE when the file name contains "zsre", else CounterFact). */
    public static List<EditRequest> all(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("data file not found: " + file);
        }
        return file.getFileName().toString().contains("zsre")
                ? ZsreDataset.toEditRequests(ZsreDataset.load(file))
                : CounterFactDataset.toEditRequests(CounterFactDataset.load(file));
    }

    /** The first {@code limit} requests of {@code file}. */
    public static List<EditRequest> requests(Path file, int limit) {
        List<EditRequest> all = all(file);
        if (limit > all.size()) {
            throw new IllegalArgumentException(file + " has " + all.size() + " edit cases, " + limit + " requested");
        }
        return all.subList(0, limit);
    }

    /**
     * The corpus for key statistics: {@code explicit} if given, else corpus.txt next to the data
     * file, else world/corpus.txt in the model directory.
     */
    public static List<String> corpus(Path explicit, Path dataFile, Path modelDir) throws IOException {
        Path[] candidates = explicit != null ? new Path[] {explicit}
                : new Path[] {dataFile.toAbsolutePath().getParent().resolve("corpus.txt"),
                    modelDir.resolve("world").resolve("corpus.txt")};
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return Files.readAllLines(p);
            }
        }
        throw new IllegalArgumentException("no corpus for key statistics: tried " + java.util.Arrays.toString(candidates)
                + " (pass --corpus FILE)");
    }
}
