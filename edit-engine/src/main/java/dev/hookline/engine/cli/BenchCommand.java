/*
 * `hookline bench`: every requested method through the consecutive protocol on the same edits;
 * writes report.json, report.md, metrics.png and alpha.png.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.bench.BenchHarness;
import dev.hookline.engine.bench.Labels;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench --model DIR --data FILE --methods a,b --edits N --batch B --out DIR}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Consecutive-editing bench of CoachHooK and baselines; writes report.json/report.md/PNG plots.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "base checkpoint directory")
    Path model;

    @Option(names = "--data", required = true, description = "counterfact.json or zsre.json")
    Path data;

    @Option(names = "--corpus", description = "corpus for key statistics: plain text or JSON lines with \"text\" (default: corpus.txt next to --data)")
    Path corpus;

    @Option(names = "--methods", defaultValue = "codebook-nearest,alphaedit-shards,alphaedit,ultraedit,coachhook",
            description = "comma-separated (default: the recommended method, the one before it, AlphaEdit, UltraEdit and "
                    + "the paper's CoachHooK): coachhook, coachhook-corpus, coachhook-plus, coachhook-span, "
                    + "coachhook-span-relation, coachhook-nearest, coachhook-nohook, memit, ft, alphaedit, ultraedit, "
                    + "alphaedit-nearest (AlphaEdit's update in hooks under coachhook-nearest's scope), "
                    + "alphaedit-shards (the same with a hook delta per shard of --shard-edits edits), "
                    + "codebook-nearest (each edit's residual served where the nearest-edit scope admits a position; "
                    + "--nearest-alpha, default " + dev.hookline.engine.edit.CodebookNearestParams.DEFAULT_ALPHA0 + "), "
                    + "codebook-subject (codebook-nearest gated by subject: a position takes an edit's row only after "
                    + "the edit's subject appeared in the text; --nearest-alpha)")
    String methods;

    @Option(names = "--edits", required = true, description = "number of consecutive edits N")
    int edits;

    @Option(names = "--batch", required = true, description = "edits per batch")
    int batch;

    @Option(names = "--curve-every", description = "curve point every this many edits (default N/10)")
    Integer curveEvery;

    @Option(names = "--curve-sample", defaultValue = "200", description = "edits evaluated per curve point")
    int curveSample;

    @Option(names = "--sweep-thresholds", split = ",", description = "fixed scope thresholds in [0, 1) at which the"
            + " fixed-threshold hook methods' state is also served and evaluated, after the fact, at every curve point"
            + " and at the end (on --curve-sample edits); for choosing a threshold on a dev stream")
    List<Double> sweepThresholds = List.of();

    @Option(names = "--labels", defaultValue = "given", description = "relation labels the editors get: given (the"
            + " data's), none, or wrong:SHARE (that share of edits, e.g. wrong:0.2, labelled with another relation);"
            + " evaluation is unchanged")
    String labels;

    @Option(names = "--out", required = true, description = "report directory")
    Path out;

    @Mixin
    MethodOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("model directory not found: " + model);
        }
        if (batch < 1 || edits < 1) {
            throw new IllegalArgumentException("--edits and --batch must be >= 1");
        }
        List<String> names = Arrays.stream(methods.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        int every = curveEvery != null ? curveEvery : Math.max(batch, edits / 10);
        // The command as given (with every hyperparameter override), so the report is reproducible.
        String command = "hookline " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        BenchHarness.Config config = new BenchHarness.Config(model, data, corpus, names, edits,
                new ConsecutiveProtocol.Params(batch, every, curveSample, sweepThresholds), options.statisticsLines, options.methods(),
                out, command, Labels.parse(labels));
        Path report = BenchHarness.run(config, System.err);
        System.out.println("report: " + report);
        System.out.print(Files.readString(out.resolve("report.md")));
        return 0;
    }
}
