/*
 * `hookline scale`: the scale figures of ScaleBench (statistics pass, s per batch of edits,
 * evaluation, hooked vs unhooked inference) on a random-weight GPT-2 of a given shape.
 */
package dev.hookline.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hookline.engine.bench.ScaleBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code scale [--layers 48 --hidden 1600 --heads 25 --mlp-size 6400] --out DIR}. */
@Command(name = "scale", mixinStandardHelpOptions = true,
        description = "Time statistics, edits, evaluation and inference on a random GPT-2 of a large shape (default GPT2-XL's).")
public final class ScaleCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", defaultValue = "48", description = "blocks (default 48)")
    int layers;

    @Option(names = "--hidden", defaultValue = "1600", description = "d (default 1600)")
    int hidden;

    @Option(names = "--heads", defaultValue = "25", description = "attention heads (default 25)")
    int heads;

    @Option(names = "--mlp-size", defaultValue = "6400", description = "d_ff (default 6400)")
    int mlpSize;

    @Option(names = "--statistics-lines", defaultValue = "2000", description = "corpus lines of the C0 pass (default 2000)")
    int statisticsLines;

    @Option(names = "--batch", defaultValue = "100", description = "edits per batch (default 100)")
    int batch;

    @Option(names = "--batches", defaultValue = "2", description = "batches (default 2; the first warms up)")
    int batches;

    @Option(names = "--tokens", defaultValue = "32", description = "generated tokens per timed inference (default 32)")
    int tokens;

    @Option(names = "--out", required = true, description = "work directory (world files, scale.json)")
    Path out;

    @Override
    public Integer call() throws Exception {
        ScaleBench.Config config;
        try {
            config = new ScaleBench.Config(layers, hidden, heads, mlpSize, statisticsLines, batch, batches, tokens, 1);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, Object> r = ScaleBench.run(config, out, spec.commandLine().getOut());
        Files.createDirectories(out);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("scale.json").toFile(), r);
        return 0;
    }
}
