/*
 * Public entry of a job's compute from local files (worker run-local): the same
 * JobExecution.computeFromFiles a leased job runs, with no registry behind it.
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/** Runs one job's compute on local files. */
public final class LocalJobs {
    private LocalJobs() {}

    /**
     * Loads {@code modelDir} on the configured device, edits it with {@code batch} (a registry
     * batch view) on top of {@code parentDir} (or none), evaluates like the worker (batch,
     * regression sample of {@code earlier}, locality) and writes the new bundle to {@code out}.
     *
     * @return the completion the worker would send, less the blob keys: alpha, metrics (with phase seconds), bundle
     */
    public static ObjectNode run(Path modelDir, Path parentDir, JsonNode batch, List<EditRequest> earlier,
            Path corpusFile, int statisticsLines, Path out) throws IOException {
        WorkerConfig config = WorkerConfig.builder(URI.create("http://local.invalid"), "local")
                .name("run-local").cacheDir(out.toAbsolutePath().getParent()).statisticsLines(statisticsLines).build();
        return JobExecution.runLocal(config, modelDir, parentDir, batch, earlier, corpusFile, out);
    }
}
