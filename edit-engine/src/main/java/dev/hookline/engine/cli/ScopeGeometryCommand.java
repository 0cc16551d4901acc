/*
 * `hookline scope-geometry`: how well key-based scope rules separate an edit's own prompts and
 * paraphrases from its same-relation neighbours (issue 29's diagnostic; docs/BENCHMARKS.md).
 */
package dev.hookline.engine.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.bench.ScopeGeometry;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scope-geometry --model DIR --data FILE [--edits 100,500] [--layer 2] [--scope-lambda 15]}. */
@Command(name = "scope-geometry", mixinStandardHelpOptions = true,
        description = "Score the first N edits' prompts, paraphrases and same-relation neighbours under three key-based "
                + "scope rules (one span, a span per relation label, the nearest edited key) after N edits: which rule "
                + "could keep neighbours out and let paraphrases in.")
public final class ScopeGeometryCommand implements Callable<Integer> {
    private static final double[] THRESHOLDS = {0.3, 0.5, 0.65, 0.8, 0.9, 0.95};

    @Option(names = "--model", required = true, description = "base checkpoint directory")
    Path model;

    @Option(names = "--data", required = true, description = "CounterFact-format edit stream (e.g. world/counterfact-dev.json)")
    Path data;

    @Option(names = "--edits", defaultValue = "100,500", split = ",", description = "edit counts N (default ${DEFAULT-VALUE})")
    List<Integer> edits;

    @Option(names = "--layer", defaultValue = "2", description = "editing layer (default ${DEFAULT-VALUE})")
    int layer;

    @Option(names = "--statistics-layers", split = ",",
            description = "layers of the C0 cache file to use (default: --layer; the bench caches its own set, e.g. 1,2)")
    int[] statisticsLayers;

    @Option(names = "--statistics-lines", defaultValue = "0", description = "corpus lines of C0 (default 0: max(1000, ceil(5 d_ff / 2)) lines, enough for the whitening of wide MLPs)")
    int statisticsLines;

    @Option(names = "--scope-lambda", description = "lambda_s of the whitening (default: span-relation's)")
    Double scopeLambda;

    @Option(names = "--out", description = "write the scores' summary as JSON here")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("model directory not found: " + model);
        }
        if (!Files.isRegularFile(data)) {
            throw new IllegalArgumentException("edit data not found: " + data);
        }
        int maxN = edits.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (edits.stream().anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException("--edits must be >= 1, got " + edits);
        }
        double lambdaS = scopeLambda != null ? scopeLambda : CoachHookParams.spanRelationTuned().scopeLambda();
        if (!(lambdaS > 0) || Double.isInfinite(lambdaS)) {
            throw new IllegalArgumentException("--scope-lambda must be positive and finite, got " + lambdaS);
        }
        List<EditRequest> requests = EditData.requests(data, maxN);
        if (requests.size() < maxN) {
            throw new IllegalArgumentException(data + " has " + requests.size() + " edits, fewer than " + maxN);
        }
        List<String> corpus = EditData.corpus(null, data, model);
        int[] statLayers = statisticsLayers != null ? statisticsLayers : new int[] {layer};
        if (Arrays.stream(statLayers).noneMatch(l -> l == layer)) {
            throw new IllegalArgumentException("--statistics-layers " + Arrays.toString(statLayers) + " must contain --layer " + layer);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        List<Object> results = new ArrayList<>();
        try (LanguageModel lm = LanguageModel.load(model); NDManager manager = NDManager.newBaseManager(lm.model().device())) {
            lm.model().setTrainable(false);
            if (layer < 0 || layer >= lm.model().config().layerCount()) {
                throw new IllegalArgumentException("--layer must be in [0, " + lm.model().config().layerCount() + "), got " + layer);
            }
            Path cache = model.resolve("hookline-stats");
            Files.createDirectories(cache);
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus, statisticsLines,
                    statLayers, cache);
            report.put("model", model.toString());
            report.put("modelDigest", lm.modelDigest());
            report.put("data", data.toString());
            report.put("layer", layer);
            report.put("scopeLambda", lambdaS);
            report.put("statisticsTokens", stats.tokenCount());
            int variants = ValueStepParams.defaults().contextVariants();
            for (int n : edits) {
                ScopeGeometry.Result r = ScopeGeometry.measure(manager, lm.model(), lm.tokenizer(), requests, n, stats,
                        layer, lambdaS, RelationCatalogue.CONTEXT_PREFIXES, variants);
                System.out.printf(Locale.ROOT, "%nN = %d edits, layer %d, lambda_s %.3g (%d paraphrases, %d neighbours)%n", n,
                        layer, lambdaS, r.rules().get("span").paraphrases().length,
                        r.rules().get("span").neighbours().length);
                StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-15s %6s", "rule", "AUC"));
                for (double t : THRESHOLDS) {
                    head.append(String.format(Locale.ROOT, "   t=%-4s e/p/n  ", t));
                }
                head.append("   keep 97% of neighbours out: t, edits, paraphrases in");
                System.out.println(head);
                Map<String, Object> byRule = new LinkedHashMap<>();
                for (Map.Entry<String, ScopeGeometry.Scores> e : r.rules().entrySet()) {
                    ScopeGeometry.Scores s = e.getValue();
                    double auc = ScopeGeometry.auc(s.paraphrases(), s.neighbours());
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-15s %6.3f", e.getKey(), auc));
                    List<Object> at = new ArrayList<>();
                    for (double t : THRESHOLDS) {
                        double fe = ScopeGeometry.share(s.edits(), t);
                        double fp = ScopeGeometry.share(s.paraphrases(), t);
                        double fn = ScopeGeometry.share(s.neighbours(), t);
                        line.append(String.format(Locale.ROOT, "   %.2f/%.2f/%.2f", fe, fp, fn));
                        at.add(Map.of("threshold", t, "edits", fe, "paraphrases", fp, "neighbours", fn));
                    }
                    double t97 = ScopeGeometry.thresholdKeeping(s.neighbours(), 0.97);
                    double e97 = ScopeGeometry.share(s.edits(), t97);
                    double p97 = ScopeGeometry.share(s.paraphrases(), t97);
                    line.append(String.format(Locale.ROOT, "   %.3f, %.3f, %.3f", t97, e97, p97));
                    System.out.println(line);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("auc", auc);
                    m.put("fireRates", at);
                    m.put("keepNeighbours97", Map.of("threshold", t97, "edits", e97, "paraphrases", p97));
                    m.put("quantiles", Map.of("edits", quantiles(s.edits()), "paraphrases", quantiles(s.paraphrases()),
                            "neighbours", quantiles(s.neighbours())));
                    byRule.put(e.getKey(), m);
                }
                results.add(Map.of("n", n, "rules", byRule));
            }
        }
        report.put("results", results);
        if (out != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
            System.out.println("\nwrote " + out);
        }
        return 0;
    }

    private static Map<String, Double> quantiles(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        Map<String, Double> q = new LinkedHashMap<>();
        for (double p : new double[] {0.05, 0.25, 0.5, 0.75, 0.95}) {
            q.put("p" + Math.round(p * 100), s[Math.min(s.length - 1, (int) Math.floor(p * s.length))]);
        }
        return q;
    }
}
