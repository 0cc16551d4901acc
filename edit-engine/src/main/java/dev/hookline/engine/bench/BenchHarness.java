/*
 * The bench: every method through the same consecutive protocol on the same edits and the same
 * key statistics, written as report.json, report.md and PNG plots.
 * Reference: the comparison tables of CoachHooK / MEMIT (reliability, generality, locality and
 * CounterFact scores after N consecutive edits).
 */
package dev.hookline.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.eval.PerEditEvaluator;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Runs a bench and writes its report. */
public final class BenchHarness {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param modelDir base checkpoint
     * @param dataFile counterfact.json or zsre.json
     * @param corpusFile corpus for key statistics, or null to look next to the data / in the model dir
     * @param methodNames methods to run, in report order
     * @param edits number of edits N
     * @param protocol batch size and curve settings
     * @param statisticsLines corpus lines for C0
     * @param methods hyperparameters
     * @param out report directory
     * @param command the command line, recorded in the report
     * @param labels the relation labels the editors are given ({@link Labels#AS_GIVEN}: the data's)
     */
    public record Config(Path modelDir, Path dataFile, Path corpusFile, List<String> methodNames, int edits,
            ConsecutiveProtocol.Params protocol, int statisticsLines, Methods methods, Path out, String command,
            Labels labels) {
        public Config {
            Methods.requireKnown(methodNames);
            if (edits < 1) {
                throw new IllegalArgumentException("--edits must be >= 1, got " + edits);
            }
            if (statisticsLines < 0) {
                throw new IllegalArgumentException("statistics sample must be >= 1 line (0: the default), got "
                        + statisticsLines);
            }
            methodNames = List.copyOf(methodNames);
            if (labels == null) {
                throw new IllegalArgumentException("labels are required (Labels.AS_GIVEN for the data's)");
            }
        }

        /** A bench whose editors get the data's relation labels. */
        public Config(Path modelDir, Path dataFile, Path corpusFile, List<String> methodNames, int edits,
                ConsecutiveProtocol.Params protocol, int statisticsLines, Methods methods, Path out, String command) {
            this(modelDir, dataFile, corpusFile, methodNames, edits, protocol, statisticsLines, methods, out, command,
                    Labels.AS_GIVEN);
        }
    }

    private BenchHarness() {}

    /** Locality probes of each extra kind (the subject's other relations, unrelated corpus lines) per edit. */
    static final int LOCALITY_PROBES_PER_KIND = 3;

    /** Wall time of the bench so far, and of the unedited model's evaluation (with the evaluator's set-up). */
    private record Timing(long startNanos, double uneditedSeconds) {
        double wallSeconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }
    }

    /** Runs the bench; progress goes to {@code progress} (stderr in the CLI). Returns report.json's path. */
    public static Path run(Config config, PrintStream progress) throws IOException {
        long benchStart = System.nanoTime();
        Files.createDirectories(config.out());
        List<EditRequest> requests = EditData.requests(config.dataFile(), config.edits());
        List<String> corpus = EditData.corpus(config.corpusFile(), config.dataFile(), config.modelDir());
        try (LanguageModel lm = LanguageModel.load(config.modelDir())) {
            lm.model().setTrainable(false);
            int[] statLayers = config.methods().statisticsLayers(config.methodNames());
            LayerStatistics stats = null;
            if (statLayers.length > 0) {
                progress.println("bench: key statistics at layers " + java.util.Arrays.toString(statLayers)
                        + " over " + LayerStatistics.resolveLines(config.statisticsLines(), lm.model().config().mlpSize())
                        + " corpus lines");
                stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus, config.statisticsLines(),
                        statLayers, statisticsCache(config), config.corpusFile() != null, null);
            }
            long evalStart = System.nanoTime();
            EditEvaluator evaluator = new EditEvaluator(lm.model(), lm.tokenizer(), requests, EditEvaluator.Params.defaults());
            EditScores unedited = evaluator.evaluate(lm.model(), ForwardOptions.defaults(), requests);
            WorldProbes.Provenance provenance = WorldProbes.Provenance.of(config.dataFile(), config.modelDir());
            PerEditEvaluator perEdit = new PerEditEvaluator(lm.model(), lm.tokenizer(), requests,
                    EditEvaluator.Params.defaults(), WorldProbes.near(config.dataFile(), LOCALITY_PROBES_PER_KIND, requests));
            Map<String, PerEditEvaluator.LocalityColumns> columns = new LinkedHashMap<>();
            List<EditRequest> labelled = config.labels().apply(requests);
            double uneditedSeconds = (System.nanoTime() - evalStart) / 1e9;
            progress.println(String.format(Locale.ROOT, "bench: unedited model evaluated on %d edits in %.1f s",
                    requests.size(), uneditedSeconds));
            Timing timing = new Timing(benchStart, uneditedSeconds);
            String modelDigest = lm.modelDigest();
            List<ConsecutiveProtocol.Result> results = new ArrayList<>();
            Path report = config.out().resolve("report.json");
            for (String name : config.methodNames()) {
                try (SequentialEditor editor = config.methods().create(name, lm.model(), lm.tokenizer(), stats)) {
                    // The editor sees the labels of config.labels(); the prompts, and so the evaluation, are the data's.
                    ConsecutiveProtocol.Result result = ConsecutiveProtocol.run(editor, labelled, config.protocol(),
                            evaluator, p -> progressBar(progress, p));
                    results.add(result);
                    // Per edit: every probe passed or not, with P(target) before and after (JSON lines).
                    List<PerEditEvaluator.EditRecord> records = perEdit.evaluate(editor.model(),
                            editor.inferenceOptions(), requests);
                    PerEditEvaluator.writeJsonLines(config.out().resolve("edits-" + name + ".jsonl"), name, records);
                    columns.put(name, PerEditEvaluator.columns(records));
                    progress.println();
                    progress.println(String.format(Locale.ROOT, "bench: %s evaluated in %.1f s", name,
                            result.evaluationSeconds()));
                }
                // The report so far, after every method: a long bench that is stopped keeps what it measured.
                writeJson(report, config, modelDigest, stats, unedited, results, timing, provenance, columns);
                Files.writeString(config.out().resolve("report.md"), markdown(config, unedited, results, timing,
                        provenance, columns));
                progress.println(String.format(Locale.ROOT, "bench: %s done, %s has %d of %d methods (%.1f min so far)",
                        name, report, results.size(), config.methodNames().size(), timing.wallSeconds() / 60));
            }
            writePlots(config.out(), results);
            return report;
        }
    }

    private static Path statisticsCache(Config config) {
        Path dir = config.modelDir().resolve("hookline-stats");
        try {
            Files.createDirectories(dir);
            if (Files.isWritable(dir)) {
                return dir;
            }
        } catch (IOException e) {
            // read-only model directory: fall through to the report directory
        }
        return config.out().resolve("hookline-stats");
    }

    private static void progressBar(PrintStream out, ConsecutiveProtocol.Progress p) {
        int width = 30;
        int filled = (int) ((long) width * p.batchesDone() / p.batches());
        out.print(String.format(Locale.ROOT, "\r%-18s [%s%s] %d/%d batches  %.1f s/batch", p.method(),
                "#".repeat(filled), ".".repeat(width - filled), p.batchesDone(), p.batches(),
                p.seconds() / p.batchesDone()));
        out.flush();
    }

    private static ObjectNode scoresJson(EditScores s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("edits", s.edits());
        n.put("reliability", s.reliability());
        n.put("generality", s.generality());
        n.put("locality", s.locality());
        n.put("efficacy", s.efficacy());
        n.put("paraphrase", s.paraphrase());
        n.put("neighborhood", s.neighborhood());
        return n;
    }

    private static void writeJson(Path file, Config config, String modelDigest, LayerStatistics stats,
            EditScores unedited, List<ConsecutiveProtocol.Result> results, Timing timing,
            WorldProbes.Provenance provenance, Map<String, PerEditEvaluator.LocalityColumns> columns) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "hookline-bench/1");
        root.put("date", Instant.now().toString());
        root.put("command", config.command());
        root.put("model", config.modelDir().toString());
        root.put("modelDigest", modelDigest);
        root.put("data", config.dataFile().toString());
        ObjectNode prov = root.putObject("provenance");
        prov.put("split", provenance.split());
        prov.put("world", provenance.world());
        prov.put("labels", config.labels().toString());
        if (provenance.worldSeed() != null) {
            prov.put("worldSeed", provenance.worldSeed());
        }
        if (provenance.modelSeed() != null) {
            prov.put("modelSeed", provenance.modelSeed());
        }
        root.put("edits", config.edits());
        root.put("batch", config.protocol().batchSize());
        root.put("threads", Runtime.getRuntime().availableProcessors());
        root.put("pytorchThreads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        root.put("wallSeconds", timing.wallSeconds());
        root.put("uneditedEvaluationSeconds", timing.uneditedSeconds());
        if (stats != null) {
            ObjectNode s = root.putObject("statistics");
            s.put("digest", stats.digest());
            s.put("lines", stats.sampleLines());
            s.put("tokens", stats.tokenCount());
        }
        root.set("unedited", scoresJson(unedited));
        ArrayNode methods = root.putArray("methods");
        for (ConsecutiveProtocol.Result r : results) {
            ObjectNode m = scoresJson(r.scores());
            m.put("method", r.method());
            m.set("hyperparameters", JSON.valueToTree(config.methods().params(r.method())));
            m.put("secondsPerBatch", r.secondsPerBatch());
            m.put("evaluationSeconds", r.evaluationSeconds());
            m.put("stateBytes", r.stateBytes());
            m.put("meanProbabilityNew", r.meanProbabilityNew());
            PerEditEvaluator.LocalityColumns lc = columns.get(r.method());
            if (lc != null) {
                ObjectNode c = m.putObject("localityByKind");
                c.put("neighbours", lc.neighbours());
                c.put("subject", lc.subject());
                c.put("unrelated", lc.unrelated());
                m.put("perEdit", "edits-" + r.method() + ".jsonl");
            }
            ArrayNode curve = m.putArray("curve");
            for (ConsecutiveProtocol.CurvePoint c : r.curve()) {
                curve.add(scoresJson(c.scores()).put("edits", c.edits()).put("evaluated", c.scores().edits()));
            }
            if (!r.sweep().isEmpty()) {
                ArrayNode sweep = m.putArray("thresholdSweep");
                for (ConsecutiveProtocol.SweepPoint p : r.sweep()) {
                    sweep.add(scoresJson(p.scores()).put("edits", p.edits()).put("threshold", p.threshold())
                            .put("evaluated", p.scores().edits()));
                }
            }
            ArrayNode alpha = m.putArray("alphaHistory");
            for (Map<Integer, Double> a : r.alphaHistory()) {
                ObjectNode an = alpha.addObject();
                new TreeMap<>(a).forEach((l, v) -> an.put(String.valueOf(l), v));
            }
            methods.add(m);
        }
        // Written beside and moved into place: a reader (or a stopped bench) never sees half a report.
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        JSON.writeValue(partial.toFile(), root);
        Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String markdown(Config config, EditScores unedited, List<ConsecutiveProtocol.Result> results,
            Timing timing, WorldProbes.Provenance provenance, Map<String, PerEditEvaluator.LocalityColumns> columns) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Bench report\n\n");
        sb.append("- date: ").append(Instant.now()).append('\n');
        sb.append("- command: `").append(config.command()).append("`\n");
        sb.append("- model: `").append(config.modelDir()).append("`, data: `").append(config.dataFile()).append("`\n");
        sb.append("- split: ").append(provenance.split()).append(", labels: ").append(config.labels())
                .append(", world: ").append(provenance.world())
                .append(" (seed ").append(provenance.worldSeed()).append("), model seed: ")
                .append(provenance.modelSeed()).append('\n');
        sb.append("- ").append(config.edits()).append(" consecutive edits in batches of ")
                .append(config.protocol().batchSize()).append("; all evaluated after the last batch\n");
        sb.append(String.format(Locale.ROOT, "- wall time %.1f min (unedited evaluation %.1f s)%n%n", timing.wallSeconds() / 60,
                timing.uneditedSeconds()));
        sb.append("| method | reliability | generality | locality | efficacy | paraphrase | neighborhood | s/batch | eval s | state bytes | P(new\\|delta) |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        sb.append(row("unedited", unedited, Double.NaN, timing.uneditedSeconds(), 0, Double.NaN));
        for (ConsecutiveProtocol.Result r : results) {
            sb.append(row(r.method(), r.scores(), r.secondsPerBatch(), r.evaluationSeconds(), r.stateBytes(),
                    r.meanProbabilityNew()));
        }
        sb.append("\nLocality by kind (share of unchanged top-1 tokens, mean over edits): same-relation neighbours,"
                + " the edited subject's other relations, unrelated corpus lines; per-edit results in"
                + " `edits-<method>.jsonl`.\n\n");
        sb.append("| method | neighbours | subject's other relations | unrelated lines |\n| --- | --- | --- | --- |\n");
        for (Map.Entry<String, PerEditEvaluator.LocalityColumns> e : columns.entrySet()) {
            PerEditEvaluator.LocalityColumns c = e.getValue();
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f |%n", e.getKey(), c.neighbours(),
                    c.subject(), c.unrelated()));
        }
        for (ConsecutiveProtocol.Result r : results) {
            if (r.sweep().isEmpty()) {
                continue;
            }
            sb.append("\nThreshold sweep of ").append(r.method()).append(" (after the fact: the state edited at its own"
                    + " threshold, served at each swept one; the curve sample of the edits so far)."
                    + " Reliability / generality / locality:\n\n| edits | evaluated |");
            TreeSet<Double> thresholds = new TreeSet<>();
            r.sweep().forEach(p -> thresholds.add(p.threshold()));
            thresholds.forEach(t -> sb.append(String.format(Locale.ROOT, " t = %s |", t)));
            sb.append("\n| --- | --- |").append(" --- |".repeat(thresholds.size())).append('\n');
            TreeMap<Integer, List<ConsecutiveProtocol.SweepPoint>> byEdits = new TreeMap<>();
            r.sweep().forEach(p -> byEdits.computeIfAbsent(p.edits(), k -> new ArrayList<>()).add(p));
            byEdits.forEach((n, points) -> {
                sb.append("| ").append(n).append(" | ").append(points.get(0).scores().edits()).append(" |");
                points.stream().sorted(java.util.Comparator.comparingDouble(ConsecutiveProtocol.SweepPoint::threshold))
                        .forEach(p -> sb.append(String.format(Locale.ROOT, " %.3f / %.3f / %.3f |",
                                p.scores().reliability(), p.scores().generality(), p.scores().locality())));
                sb.append('\n');
            });
        }
        sb.append("\nPlots: `metrics.png` (metrics against edits), `alpha.png` (alpha per layer over batches).\n");
        return sb.toString();
    }

    private static String row(String name, EditScores s, double secs, double evalSecs, long bytes, double pNew) {
        return String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %.0f | %s | %s |%n", name,
                s.reliability(), s.generality(), s.locality(), s.efficacy(), s.paraphrase(), s.neighborhood(),
                Double.isNaN(secs) ? "-" : String.format(Locale.ROOT, "%.2f", secs), evalSecs,
                bytes == 0 ? "-" : String.valueOf(bytes),
                Double.isNaN(pNew) ? "-" : String.format(Locale.ROOT, "%.3f", pNew));
    }

    private static void writePlots(Path out, List<ConsecutiveProtocol.Result> results) throws IOException {
        List<Plots.Panel> panels = new ArrayList<>();
        String[] metrics = {"reliability", "generality", "locality"};
        for (String metric : metrics) {
            List<Plots.Series> series = new ArrayList<>();
            for (ConsecutiveProtocol.Result r : results) {
                List<Integer> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (ConsecutiveProtocol.CurvePoint c : r.curve()) {
                    x.add(c.edits());
                    y.add(switch (metric) {
                        case "reliability" -> c.scores().reliability();
                        case "generality" -> c.scores().generality();
                        default -> c.scores().locality();
                    });
                }
                series.add(Plots.series(r.method(), x, y));
            }
            panels.add(new Plots.Panel(metric + " vs edits", "edits", 0, 1, series));
        }
        Plots.write(out.resolve("metrics.png"), panels);
        List<Plots.Series> alphaSeries = new ArrayList<>();
        double max = 0.5;
        double min = 0;
        for (ConsecutiveProtocol.Result r : results) {
            TreeSet<Integer> layers = new TreeSet<>();
            r.alphaHistory().forEach(a -> layers.addAll(a.keySet()));
            for (int l : layers) {
                List<Integer> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int b = 0; b < r.alphaHistory().size(); b++) {
                    Double v = r.alphaHistory().get(b).get(l);
                    if (v != null && Double.isFinite(v)) {
                        x.add(b + 1);
                        y.add(v);
                        max = Math.max(max, v);
                        min = Math.min(min, v);
                    }
                }
                alphaSeries.add(Plots.series(r.method() + " L" + l, x, y));
            }
        }
        Plots.write(out.resolve("alpha.png"), List.of(new Plots.Panel("alpha per layer", "batches", min, max * 1.05,
                alphaSeries)));
    }
}
