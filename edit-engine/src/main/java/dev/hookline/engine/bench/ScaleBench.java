/*
 * Scale figures on a large model with random weights over the demo fact world's vocabulary: a
 * GPT-2 (default GPT2-XL's shape: 48 blocks, d 1600, 25 heads, d_ff 6400) or a Llama (default
 * Llama-3.2-1B's shape: 16 blocks, d 2048, 32 heads, 8 key/value heads, d_ff 8192, rope theta
 * 500000 with llama3 scaling, tied head). It times the statistics pass, batches of CoachHooK edits,
 * their evaluation, and greedy inference per token with and without the validated hooks, each side
 * with a KV cache (and, for comparison, without). Weights are random (the families' initialisation),
 * so only the times mean anything; it exists to size the editor worker for real checkpoints (issue 28).
 */
package dev.hookline.engine.bench;

import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.device.ComputeDevice;
import dev.hookline.engine.device.Precision;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.infer.Decoder;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.llama.LlamaConfig;
import dev.hookline.engine.model.llama.LlamaModel;
import dev.hookline.engine.model.llama.RopeParameters;
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
import java.util.function.Predicate;
import java.util.stream.IntStream;

/** Runs the scale figures and returns them as a flat map (also printed). */
public final class ScaleBench {
    /** Architectures {@code hookline scale} builds. */
    public static final List<String> ARCHITECTURES = List.of("gpt2", "llama");
    /** Hook methods it edits with; all but {@code coachhook} serve position by position (KV cache). */
    public static final List<String> METHODS = List.of("coachhook-span-relation", "coachhook-span",
            "coachhook-corpus", "coachhook");
    /** Positions of the random model (prompts plus generated tokens fit). */
    static final int MAX_POSITIONS = 128;

    /**
     * What to run.
     *
     * @param arch gpt2 or llama
     * @param layers blocks
     * @param hidden d
     * @param heads attention (query) heads
     * @param kvHeads key/value heads (llama; gpt2 takes {@code heads})
     * @param mlpSize d_ff
     * @param ropeTheta rotary base (llama)
     * @param method the hook method of the edits, one of {@link #METHODS}
     * @param statisticsLines corpus lines of the C0 pass
     * @param batch edits per batch
     * @param batches batches (the first warms up)
     * @param inferenceTokens generated tokens per timed inference
     * @param seed weight seed
     */
    public record Config(String arch, int layers, int hidden, int heads, int kvHeads, int mlpSize, double ropeTheta,
            String method, int statisticsLines, int batch, int batches, int inferenceTokens, long seed) {
        public Config {
            if (!ARCHITECTURES.contains(arch)) {
                throw new IllegalArgumentException("arch must be one of " + ARCHITECTURES + ", got '" + arch + "'");
            }
            if (!METHODS.contains(method)) {
                throw new IllegalArgumentException("method must be one of " + METHODS + ", got '" + method + "'");
            }
            if (layers < 1 || hidden < 1 || heads < 1 || hidden % heads != 0 || mlpSize < 1) {
                throw new IllegalArgumentException("bad model shape: layers " + layers + ", d " + hidden + ", heads "
                        + heads + ", d_ff " + mlpSize);
            }
            if (arch.equals("llama") && (kvHeads < 1 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0)) {
                throw new IllegalArgumentException("llama needs key/value heads dividing the heads (" + heads
                        + ", got " + kvHeads + ") and an even head size (d / heads = " + hidden / heads + ")");
            }
            if (!(ropeTheta > 0) || !Double.isFinite(ropeTheta)) {
                throw new IllegalArgumentException("rope theta must be finite and > 0, got " + ropeTheta);
            }
            if (statisticsLines < 1 || batch < 1 || batches < 1 || inferenceTokens < 1) {
                throw new IllegalArgumentException("statistics lines, batch, batches and tokens must be >= 1");
            }
            if (inferenceTokens > MAX_POSITIONS / 2) {
                throw new IllegalArgumentException("tokens must be <= " + MAX_POSITIONS / 2 + " (the model has "
                        + MAX_POSITIONS + " positions), got " + inferenceTokens);
            }
        }

        /** GPT2-XL's shape with the bench's other defaults. */
        public static Config gpt2Xl() {
            return new Config("gpt2", 48, 1600, 25, 25, 6400, 10000, METHODS.get(0), 2000, 100, 2, 32, 1);
        }

        /** Llama-3.2-1B's shape with the bench's other defaults. */
        public static Config llama1b() {
            return new Config("llama", 16, 2048, 32, 8, 8192, 500000, METHODS.get(0), 2000, 100, 2, 32, 1);
        }
    }

    private ScaleBench() {}

    /** Runs every figure; progress lines go to {@code out}. */
    public static Map<String, Object> run(Config config, Path work, PrintWriter out) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        FactWorld world = FactWorld.generate(WorldPreset.named("demo"));
        List<EditRequest> requests = world.editRequests();
        if (config.batch() * config.batches() > requests.size()) {
            throw new IllegalArgumentException(config.batch() * config.batches() + " edits asked, the demo world has "
                    + requests.size());
        }
        Files.createDirectories(work);
        world.writeTo(work);
        r.put("arch", config.arch());
        r.put("device", ComputeDevice.configured().toString());
        r.put("shape", shape(config));
        r.put("method", config.method());
        long t = System.nanoTime();
        try (TextTokenizer tok = TextTokenizer.load(work.resolve("tokenizer.json"));
                CausalLm model = create(config, world.tokenizer().vocabSize(), world.tokenizer().eosId())) {
            r.put("params", parameterCount(model));
            r.put("precision", Precision.configured().label());
            r.put("weightType", model.weightType().toString());
            r.put("initSeconds", seconds(t));
            say(out, r);
            int[] layers = CoachHookParams.defaultLayers(config.layers());
            r.put("editLayers", Arrays.toString(layers));
            t = System.nanoTime();
            LayerStatistics stats = LayerStatistics.compute(model, tok, world.corpus(), config.statisticsLines(), layers, "random");
            r.put("statisticsSeconds", seconds(t));
            r.put("statisticsLines", stats.sampleLines());
            r.put("statisticsTokens", stats.tokenCount());
            say(out, r);
            try (ClosedFormEditor editor = editor(config.method(), layers, model, tok, stats)) {
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
                timeInference(model, tok.encode(edited.get(0).filledPrompt()), editor.inferenceOptions(),
                        config.inferenceTokens(), r);
                say(out, r);
            }
        }
        return r;
    }

    /**
     * Greedy generation of exactly {@code tokens} tokens (no stop at eos) after {@code prompt}, batch
     * 1, best of 3 per side: unhooked and hooked with a KV cache on both sides (the hooked decoder
     * runs the hooks on the new position only), then both without a cache (a full forward per
     * token). A hook that reads the whole sequence (the faithful sequence z-score) cannot decode
     * with a cache; its cached hooked figure is then absent and {@code hookedUsesCache} is false.
     */
    static void timeInference(CausalLm model, int[] prompt, ForwardOptions hooks, int tokens, Map<String, Object> r) {
        Decoder plainCached = new Decoder(model, ForwardOptions.defaults(), true);
        Decoder hookedCached = new Decoder(model, hooks, true);
        Decoder plainFull = new Decoder(model, ForwardOptions.defaults(), false);
        Decoder hookedFull = new Decoder(model, hooks, false);
        r.put("inferenceTokens", tokens);
        r.put("hookedUsesCache", hookedCached.usesCache());
        // Warm-up of every path (kernels, allocator) before timing.
        for (Decoder d : List.of(plainCached, hookedCached, plainFull, hookedFull)) {
            d.greedy(List.of(prompt), 4, -1);
        }
        double plain = best(plainCached, prompt, tokens);
        r.put("msPerTokenUnhookedCached", 1000 * plain);
        if (hookedCached.usesCache()) {
            double hooked = best(hookedCached, prompt, tokens);
            r.put("msPerTokenHookedCached", 1000 * hooked);
            r.put("hookedOverUnhookedCached", hooked / plain);
        }
        double plainUncached = best(plainFull, prompt, tokens);
        double hookedUncached = best(hookedFull, prompt, tokens);
        r.put("msPerTokenUnhooked", 1000 * plainUncached);
        r.put("msPerTokenHooked", 1000 * hookedUncached);
        r.put("hookedOverUnhooked", hookedUncached / plainUncached);
    }

    /** Seconds per generated token (prefill included), best of 3 runs. */
    private static double best(Decoder decoder, int[] prompt, int tokens) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            long t = System.nanoTime();
            int generated = decoder.greedy(List.of(prompt), tokens, -1).get(0).length;
            if (generated != tokens) {
                throw new IllegalStateException("decoder generated " + generated + " of " + tokens + " tokens");
            }
            best = Math.min(best, seconds(t) / tokens);
        }
        return best;
    }

    /** The editor of {@code method}: its tuned record with the editing layer resolved for the depth. */
    static ClosedFormEditor editor(String method, int[] layers, CausalLm model, TextTokenizer tok,
            LayerStatistics stats) {
        List<String> prefixes = RelationCatalogue.CONTEXT_PREFIXES;
        return switch (method) {
            case "coachhook" -> ClosedFormEditor.coachHook(model, tok, stats,
                    CoachHookParams.defaults().withLayersAndLambda(layers, CoachHookParams.DEFAULT_LAMBDA), prefixes);
            case "coachhook-corpus" -> ClosedFormEditor.coachHook(model, tok, stats,
                    CoachHookParams.corpusTuned().withLayersAndLambda(layers, CoachHookParams.DEFAULT_LAMBDA), prefixes);
            case "coachhook-span" -> ClosedFormEditor.span(model, tok, stats,
                    CoachHookParams.spanTuned().withLayersAndLambda(layers, CoachHookParams.SPAN_LAMBDA), prefixes,
                    method, false);
            case "coachhook-span-relation" -> ClosedFormEditor.span(model, tok, stats,
                    CoachHookParams.spanRelationTuned().withLayersAndLambda(layers, CoachHookParams.SPAN_LAMBDA),
                    prefixes, method, false);
            default -> throw new IllegalArgumentException("unknown method " + method);
        };
    }

    /** The random model of {@code config} on the configured device. */
    static CausalLm create(Config config, int vocab, int eos) throws IOException {
        if (config.arch().equals("gpt2")) {
            Gpt2Config shape = new Gpt2Config(vocab, MAX_POSITIONS, config.hidden(), config.layers(), config.heads(),
                    config.mlpSize(), "gelu_new", 1e-5, true, eos, eos);
            return Gpt2Model.create(shape, randomWeights(config.seed(), config.layers(),
                    name -> name.matches(".*ln_(1|2|f)\\.weight"), name -> name.endsWith("c_proj.weight")),
                    ComputeDevice.configured(), DataType.FLOAT32, Precision.configured().weightType());
        }
        return LlamaModel.create(llamaShape(config, vocab, eos), randomWeights(config.seed(), config.layers(),
                name -> name.endsWith("norm.weight"),
                name -> name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")),
                ComputeDevice.configured(), DataType.FLOAT32, Precision.configured().weightType());
    }

    /**
     * Llama-3.2-1B's settings around the given sizes: rms_norm_eps 1e-5, llama3 rope scaling
     * (factor 32, low/high frequency factors 1 and 4, original 8192 positions), tied head.
     */
    static LlamaConfig llamaShape(Config config, int vocab, int eos) {
        RopeParameters rope = new RopeParameters("llama3", config.ropeTheta(), 32, 1, 4, 8192, 1);
        return new LlamaConfig(Architecture.LLAMA, vocab, MAX_POSITIONS, config.hidden(), config.layers(),
                config.heads(), config.kvHeads(), config.hidden() / config.heads(), config.mlpSize(), "silu", 1e-5,
                rope, false, false, false, true, 0, eos, eos);
    }

    private static String shape(Config c) {
        return c.arch().equals("gpt2")
                ? String.format(Locale.ROOT, "%d blocks, d %d, %d heads, d_ff %d", c.layers(), c.hidden(), c.heads(),
                        c.mlpSize())
                : String.format(Locale.ROOT, "%d blocks, d %d, %d heads, %d kv heads, d_ff %d, rope theta %.0f",
                        c.layers(), c.hidden(), c.heads(), c.kvHeads(), c.mlpSize(), c.ropeTheta());
    }

    /** Scalar parameters of the checkpoint (a tied head counted once). */
    static long parameterCount(CausalLm model) {
        long total = 0;
        for (long[] shape : model.checkpointShapes().values()) {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            total += n;
        }
        return total;
    }

    /**
     * GPT-2's initialisation, which Llama's follows (normal(0, 0.02), residual projections scaled
     * by 1/sqrt(2 n_layer), zero biases, unit norm gains), filled in parallel: 1.5 B sequential
     * Gaussians take minutes.
     *
     * @param isGain names of the norm gains (ones)
     * @param isResidual names of the projections into the residual stream (scaled)
     */
    static TensorSource randomWeights(long seed, int layers, Predicate<String> isGain, Predicate<String> isResidual) {
        double residual = 1 / Math.sqrt(2.0 * layers);
        return (name, shape) -> {
            long count = 1;
            for (long s : shape) {
                count *= s;
            }
            final long n = count;
            ByteBuffer bytes = ByteBuffer.allocateDirect(Math.toIntExact(4 * n)).order(ByteOrder.nativeOrder());
            FloatBuffer floats = bytes.asFloatBuffer();
            boolean gain = isGain.test(name);
            boolean bias = name.endsWith(".bias");
            double std = isResidual.test(name) ? 0.02 * residual : 0.02;
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
