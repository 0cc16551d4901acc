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
                return readCorpus(p);
            }
        }
        throw new IllegalArgumentException("no corpus for key statistics: tried " + java.util.Arrays.toString(candidates)
                + " (pass --corpus FILE)");
    }

    /**
     * The texts of a corpus file: plain text (one text per line), or JSON lines (one object per line
     * with a string {@code "text"}, as HF datasets export them; chosen when the first non-blank line
     * starts with '{'). Blank lines are skipped.
     *
     * @throws IllegalArgumentException naming the file and line of a malformed JSON line
     */
    public static List<String> readCorpus(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("corpus file not found: " + file);
        }
        List<String> raw = Files.readAllLines(file);
        boolean jsonLines = raw.stream().filter(l -> !l.isBlank()).findFirst().map(l -> l.strip().startsWith("{"))
                .orElse(false);
        if (!jsonLines) {
            return raw;
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            if (raw.get(i).isBlank()) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode node;
            try {
                node = json.readTree(raw.get(i));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": not a JSON object (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.path("text").isTextual()) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": a JSON line needs a string \"text\"");
            }
            texts.add(node.get("text").asText());
        }
        return texts;
    }
}
