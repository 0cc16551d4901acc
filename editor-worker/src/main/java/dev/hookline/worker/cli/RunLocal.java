/*
 * `worker run-local`: the compute of a leased edit job (load, statistics, edit, evaluate,
 * bundle) from local files, without a registry: the path to run the worker's exact work on a
 * GPU host from a kit (docs/ARCHITECTURE.md, GPU run kit) and to check its bundle on a CPU node.
 */
package dev.hookline.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.worker.LocalJobs;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code worker run-local --model DIR [--parent BUNDLE] (--batch FILE | --cases FILE --edits N) --out DIR}. */
@Command(name = "run-local", mixinStandardHelpOptions = true,
        description = "Run one edit job's compute from local files and write the bundle the registry would get.")
final class RunLocal implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "base checkpoint directory (config.json, model.safetensors, tokenizer.json)")
    Path model;

    @Option(names = "--parent", description = "parent hook bundle directory (default: a branch's first version)")
    Path parent;

    @Option(names = "--batch", description = "a registry batch view as JSON (method, hyperparameters, edits[])")
    Path batch;

    @Option(names = "--cases", description = "counterfact.json: take --edits cases from --skip on as the batch")
    Path cases;

    @Option(names = "--edits", defaultValue = "100", description = "cases taken with --cases (default 100)")
    int edits;

    @Option(names = "--skip", defaultValue = "0", description = "cases skipped with --cases (default 0)")
    int skip;

    @Option(names = "--method", defaultValue = "coachhook", description = "method with --cases (default coachhook)")
    String method;

    @Option(names = "--earlier", description = "counterfact.json cases 0..--skip are the branch's earlier edits (regression sample)")
    boolean earlier;

    @Option(names = "--corpus", description = "corpus for key statistics (default MODEL/world/corpus.txt)")
    Path corpus;

    @Option(names = "--statistics-lines", description = "corpus lines for C0 (default max(1000, ceil(5 d_ff / 2)) lines, enough for the whitening of wide MLPs)")
    Integer statisticsLines;

    @Option(names = "--out", required = true, description = "directory of the new bundle (must not exist)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if ((batch == null) == (cases == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --batch and --cases");
        }
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model " + model + " is not a checkpoint directory (no config.json)");
        }
        if (parent != null && !Files.isDirectory(parent)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parent " + parent + " is not a directory");
        }
        if (Files.exists(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " exists; give a new directory");
        }
        JsonNode view;
        List<EditRequest> before = List.of();
        if (batch != null) {
            view = JSON.readTree(batch.toFile());
        } else {
            if (edits < 1 || skip < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--edits must be >= 1 and --skip >= 0");
            }
            List<EditRequest> all = CounterFactDataset.toEditRequests(CounterFactDataset.load(cases));
            if (skip + edits > all.size()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--skip " + skip + " + --edits " + edits
                        + " exceeds the " + all.size() + " cases of " + cases);
            }
            view = batchView(method, all.subList(skip, skip + edits));
            before = earlier ? all.subList(0, skip) : List.of();
        }
        Path corpusFile = corpus != null ? corpus : model.resolve("world").resolve("corpus.txt");
        ObjectNode completion = LocalJobs.run(model, parent, view, before, corpusFile,
                dev.hookline.worker.ModelOnboarding.statisticsLinesOption(statisticsLines, "--statistics-lines"), out);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(completion));
        stdout.flush();
        return 0;
    }

    /** The registry's batch view of {@code requests} (EditMapping.requests reads it back). */
    static ObjectNode batchView(String method, List<EditRequest> requests) {
        ObjectNode view = JSON.createObjectNode();
        view.put("id", 0).put("method", method);
        view.putObject("hyperparameters");
        ArrayNode edits = view.putArray("edits");
        int i = 0;
        for (EditRequest r : requests) {
            ObjectNode e = edits.addObject();
            e.put("ordinal", i++).put("subject", r.subject()).put("prompt", r.prompt()).put("targetNew", r.targetNew());
            if (r.targetTrue() != null) {
                e.put("targetTrue", r.targetTrue());
            }
            if (r.relation() != null) {
                e.put("relation", r.relation());
            }
            ArrayNode paraphrases = e.putArray("paraphrases");
            r.paraphrasePrompts().forEach(paraphrases::add);
            ArrayNode locality = e.putArray("locality");
            for (int k = 0; k < r.localityPrompts().size(); k++) {
                locality.addObject().put("prompt", r.localityPrompts().get(k)).put("expected", r.localityTargets().get(k));
            }
        }
        return view;
    }

}
