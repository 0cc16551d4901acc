/*
 * Scale figures on a large GPT-2-shaped model with random weights (default GPT2-XL's shape:
 * 48 blocks, d 1600, 25 heads, d_ff 6400) over the demo fact world's vocabulary: the statistics
 * pass, batches of CoachHooK edits, their evaluation, and greedy inference per token with and
 * without the validated hooks. Weights are random (GPT-2's initialisation), so only the times
 * mean anything; it exists to size the editor worker for real checkpoints (issue 28).
 */
package dev.hookline.engine.bench;

import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.device.ComputeDevice;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.FactWorld;
import dev.hookline.world.RelationCatalogue;
import dev.hookline.world.WorldPreset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Runs the scale figures and returns them as a flat map (also printed). */
public final class ScaleBench {
    /** What to run. */
    public record Config(int layers, int hidden, int heads, int mlpSize, int statisticsLines, int batch, int batches,
            int inferenceTokens, long seed) {
        public Config {
            if (layers < 1 || hidden < 1 || heads < 1 || hidden % heads != 0 || mlpSize < 1) {
                throw new IllegalArgumentException("bad model shape: layers " + layers + ", d " + hidden + ", heads "
                        + heads + ", d_ff " + mlpSize);
            }
            if (statisticsLines < 1 || batch < 1 || batches < 1 || inferenceTokens < 1) {
                throw new IllegalArgumentException("statistics lines, batch, batches and tokens must be >= 1");
            }
        }
    }

    private ScaleBench() {}

    /** Runs every figure; progress lines go to {@code out}. */
    public static Map<String, Object> run(Config config, Path work, PrintWriter out) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        FactWorld world = FactWorld.generate(WorldPreset.named("demo"));
        Files.createDirectories(work);
        world.writeTo(work);
        int eos = world.tokenizer().eosId();
        Gpt2Config shape = new Gpt2Config(world.tokenizer().vocabSize(), 128, config.hidden(), config.layers(),
                config.heads(), config.mlpSize(), "gelu_new", 1e-5, true, eos, eos);
        r.put("device", ComputeDevice.configured().toString());
        r.put("params", shape.parameterCount());
        long t = System.nanoTime();
        try (TextTokenizer tok = TextTokenizer.load(work.resolve("tokenizer.json"));
                Gpt2Model model = Gpt2Model.create(shape, randomWeights(config.seed(), config.layers()),
                        ComputeDevice.configured(), DataType.FLOAT32)) {
            r.put("initSeconds", seconds(t));
            say(out, r);
            CoachHookParams params = CoachHookParams.defaults(config.layers());
            int[] layers = params.layers();
            r.put("editLayers", Arrays.toString(layers));
            t = System.nanoTime();
            LayerStatistics stats = LayerStatistics.compute(model, tok, world.corpus(), config.statisticsLines(), layers, "random");
            r.put("statisticsSeconds", seconds(t));
            r.put("statisticsLines", stats.sampleLines());
            r.put("statisticsTokens", stats.tokenCount());
            say(out, r);
            List<EditRequest> requests = world.editRequests();
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(model, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                List<Double> perBatch = new ArrayList<>();
                for (int b = 0; b < config.batches(); b++) {
                    List<EditRequest> batch = requests.subList(b * config.batch(), (b + 1) * config.batch());
                    t = System.nanoTime();
                    editor.apply(batch);
                    perBatch.add(seconds(t));
                    r.put("secondsPerBatch", perBatch.toString());
                    say(out, r);
                }
                List<EditRequest> edited = requests.subList(0, config.batch() * config.batches());
                t = System.nanoTime();
                EditEvaluator evaluator = new EditEvaluator(model, tok, edited, EditEvaluator.Params.defaults());
                EditScores scores = evaluator.evaluate(editor.model(), editor.inferenceOptions(), edited);
                r.put("evaluationSeconds", seconds(t));
                r.put("evaluatedEdits", edited.size());
                r.put("reliability", scores.reliability());
                say(out, r);
                LanguageModel lm = LanguageModel.wrap(model, tok);
                String prompt = edited.get(0).filledPrompt();
                lm.generate(List.of(prompt), 4, ForwardOptions.defaults()); // warm-up
                lm.generate(List.of(prompt), 4, editor.inferenceOptions());
                double plain = Double.MAX_VALUE;
                double hooked = Double.MAX_VALUE;
                for (int rep = 0; rep < 3; rep++) {
                    t = System.nanoTime();
                    lm.generate(List.of(prompt), config.inferenceTokens(), ForwardOptions.defaults());
                    plain = Math.min(plain, seconds(t) / config.inferenceTokens());
                    t = System.nanoTime();
                    lm.generate(List.of(prompt), config.inferenceTokens(), editor.inferenceOptions());
                    hooked = Math.min(hooked, seconds(t) / config.inferenceTokens());
                }
                r.put("msPerTokenUnhooked", 1000 * plain);
                r.put("msPerTokenHooked", 1000 * hooked);
                r.put("hookedOverUnhooked", hooked / plain);
                say(out, r);
            }
        }
        return r;
    }

    /**
     * GPT-2's initialisation (normal(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer),
     * zero biases, unit gains), filled in parallel: 1.5 B sequential Gaussians take minutes.
     */
    static TensorSource randomWeights(long seed, int layers) {
        double residual = 1 / Math.sqrt(2.0 * layers);
        return (name, shape) -> {
            long count = 1;
            for (long s : shape) {
                count *= s;
            }
            final long n = count;
            ByteBuffer bytes = ByteBuffer.allocateDirect(Math.toIntExact(4 * n)).order(ByteOrder.nativeOrder());
            FloatBuffer floats = bytes.asFloatBuffer();
            boolean gain = name.matches(".*ln_(1|2|f)\\.weight");
            boolean bias = name.endsWith(".bias");
            double std = name.endsWith("c_proj.weight") ? 0.02 * residual : 0.02;
            int chunk = 1 << 20;
            int chunks = Math.toIntExact((n + chunk - 1) / chunk);
            long nameSeed = seed * 31 + name.hashCode();
            IntStream.range(0, chunks).parallel().forEach(c -> {
                SplittableRandom random = new SplittableRandom(nameSeed * 1_000_003L + c);
                int end = (int) Math.min(n, (long) (c + 1) * chunk);
                for (int i = c * chunk; i < end; i++) {
                    floats.put(i, gain ? 1f : bias ? 0f : (float) (gaussian(random) * std));
                }
            });
            return bytes;
        };
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller (one of the pair): SplittableRandom has no nextGaussian on Java 17.
        double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void say(PrintWriter out, Map<String, Object> r) {
        StringBuilder sb = new StringBuilder("scale:");
        r.forEach((k, v) -> sb.append(' ').append(k).append('=')
                .append(v instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : v));
        out.println(sb);
        out.flush();
    }
}
