/*
 * `hookline scale`: the scale figures of ScaleBench (statistics pass, s per batch of edits,
 * evaluation, hooked vs unhooked inference with and without a KV cache) on a random-weight GPT-2
 * (default GPT2-XL's shape) or Llama (default Llama-3.2-1B's shape).
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

/**
 * {@code scale [--arch gpt2|llama] [--layers N --hidden D --heads H --kv-heads H_kv --mlp-size F
 * --rope-theta T] [--method M] --out DIR}; shape options left out take the architecture's default.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
        description = "Time statistics, edits, evaluation and inference (KV-cached, hooked vs unhooked) on a random"
                + " model of a large shape: GPT2-XL's (--arch gpt2, default) or Llama-3.2-1B's (--arch llama).")
public final class ScaleCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--arch", defaultValue = "gpt2", description = "gpt2 (default) or llama")
    String arch;

    @Option(names = "--layers", description = "blocks (gpt2 48, llama 16)")
    Integer layers;

    @Option(names = "--hidden", description = "d (gpt2 1600, llama 2048)")
    Integer hidden;

    @Option(names = "--heads", description = "attention heads (gpt2 25, llama 32)")
    Integer heads;

    @Option(names = "--kv-heads", description = "key/value heads, llama only (default 8)")
    Integer kvHeads;

    @Option(names = "--mlp-size", description = "d_ff (gpt2 6400, llama 8192)")
    Integer mlpSize;

    @Option(names = "--rope-theta", description = "rotary base, llama only (default 500000)")
    Double ropeTheta;

    @Option(names = "--method", defaultValue = "coachhook-span-relation",
            description = "hook method of the edits: coachhook-span-relation (default; the scale figures were measured with it),"
                    + " coachhook-span, coachhook-corpus, coachhook (faithful; its sequence z-score cannot decode"
                    + " with a KV cache when hooked)")
    String method;

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
            if (!ScaleBench.ARCHITECTURES.contains(arch)) {
                throw new IllegalArgumentException("--arch must be one of " + ScaleBench.ARCHITECTURES + ", got '"
                        + arch + "'");
            }
            boolean llama = arch.equals("llama");
            if (!llama && (kvHeads != null || ropeTheta != null)) {
                throw new IllegalArgumentException("--kv-heads and --rope-theta are llama options");
            }
            ScaleBench.Config d = llama ? ScaleBench.Config.llama1b() : ScaleBench.Config.gpt2Xl();
            int h = or(heads, d.heads());
            config = new ScaleBench.Config(arch, or(layers, d.layers()), or(hidden, d.hidden()), h,
                    llama ? or(kvHeads, d.kvHeads()) : h, or(mlpSize, d.mlpSize()),
                    ropeTheta != null ? ropeTheta : d.ropeTheta(), method, statisticsLines, batch, batches, tokens, 1);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, Object> r = ScaleBench.run(config, out, spec.commandLine().getOut());
        Files.createDirectories(out);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("scale.json").toFile(), r);
        return 0;
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }
}
