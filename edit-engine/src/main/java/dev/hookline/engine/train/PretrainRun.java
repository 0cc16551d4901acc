/*
 * End-to-end pretraining on a fact world: generate the world, tokenise its corpus, train a GPT-2,
 * save an HF checkpoint, measure recall. Used by `hookline pretrain` and the slow test.
 */
package dev.hookline.engine.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.PromptTarget;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ModelConfig;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.llama.LlamaConfig;
import dev.hookline.engine.model.llama.LlamaModel;
import dev.hookline.engine.util.ProcessMemory;
import dev.hookline.world.FactWorld;
import dev.hookline.world.Probe;
import dev.hookline.world.WorldPreset;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One pretraining run into a checkpoint directory. */
public final class PretrainRun {
    private static final Logger LOG = LoggerFactory.getLogger(PretrainRun.class);
    public static final String REPORT_FILE = "pretrain-report.json";
    public static final String WORLD_DIR = "world";

    private PretrainRun() {}

    /**
     * Runs pretraining of {@code preset} on world {@code worldName} and writes the checkpoint
     * (config.json, model.safetensors, tokenizer.json), the world files under {@code out/world/}
     * and {@code out/pretrain-report.json}.
     */
    public static PretrainReport run(String worldName, PretrainPreset preset, long seed, Path out,
            PrintStream progress) throws IOException {
        return run(worldName, preset, seed, out, progress, null);
    }

    /**
     * As {@link #run(String, PretrainPreset, long, Path, PrintStream)}, but when {@code initFrom}
     * is not null, training continues from the checkpoint there instead of a fresh initialisation:
     * its config must be the one this preset builds and its tokenizer the world's. The preset's
     * epochs then run with a fresh warmup + cosine schedule (a warm restart) and a data order
     * seeded with {@code seed + priorEpochs}, so the continuation does not replay the first
     * run's order. The report records the source and its epochs.
     *
     * @throws IllegalArgumentException if the checkpoint does not match the world or the preset
     */
    public static PretrainReport run(String worldName, PretrainPreset preset, long seed, Path out,
            PrintStream progress, Path initFrom) throws IOException {
        return run(worldName, null, preset, seed, out, progress, initFrom);
    }

    /**
     * As {@link #run(String, PretrainPreset, long, Path, PrintStream, Path)} on the world preset
     * drawn with {@code worldSeed} ({@link WorldPreset#withSeed}; null: the preset's own seed); the
     * world written under {@code out/world/} records it. {@code seed} is the model seed
     * (initialisation and data order), independent of the world's.
     */
    public static PretrainReport run(String worldName, Long worldSeed, PretrainPreset preset, long seed, Path out,
            PrintStream progress, Path initFrom) throws IOException {
        if (initFrom != null && initFrom.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--init-from and --out are the same directory " + out
                    + "; write the continued model to a new directory");
        }
        long startNanos = System.nanoTime();
        double rssStart = ProcessMemory.residentMb();
        WorldPreset worldPreset = WorldPreset.named(worldName);
        FactWorld world = FactWorld.generate(worldSeed == null ? worldPreset : worldPreset.withSeed(worldSeed));
        Path worldDir = out.resolve(WORLD_DIR);
        Files.createDirectories(worldDir);
        world.writeTo(worldDir);
        Path tokenizerJson = worldDir.resolve(Checkpoint.TOKENIZER_FILE);
        Device device = dev.hookline.engine.device.ComputeDevice.configured();
        Engine.getInstance().setRandomSeed(Math.toIntExact(seed % Integer.MAX_VALUE));
        try (TextTokenizer tokenizer = TextTokenizer.load(tokenizerJson)) {
            int eos = world.tokenizer().eosId();
            List<int[]> sequences = new ArrayList<>();
            int longest = 0;
            for (String line : world.corpus()) {
                int[] ids = tokenizer.encode(line);
                int[] withEos = Arrays.copyOf(ids, ids.length + 1);
                withEos[ids.length] = eos;
                sequences.add(withEos);
                longest = Math.max(longest, withEos.length);
            }
            int positions = (longest + 16 + 31) / 32 * 32; // room for generation past the longest line
            ModelConfig config = preset.architecture() == Architecture.LLAMA
                    ? LlamaConfig.llama(world.tokenizer().vocabSize(), positions, preset.hiddenSize(), preset.layers(),
                            preset.heads(), Math.max(1, preset.heads() / 2), preset.mlpSize(), true, eos, eos)
                    : new Gpt2Config(world.tokenizer().vocabSize(), positions, preset.hiddenSize(),
                            preset.layers(), preset.heads(), preset.mlpSize(), "gelu_new", 1e-5, true, eos, eos);
            long parameterCount = Checkpoint.checkpointShapes(config).values().stream()
                    .mapToLong(shape -> Arrays.stream(shape).reduce(1, (a, b) -> a * b)).sum();
            LOG.info("pretraining world {} ({} lines, vocab {}, longest {} tokens) with preset {} ({}): {} params",
                    worldName, sequences.size(), config.vocabSize(), longest, preset.name(),
                    config.architecture().modelType(), parameterCount);
            int priorEpochs = initFrom == null ? 0 : checkInitFrom(initFrom, config, tokenizerJson);
            long dataSeed = seed + priorEpochs;
            // A private load, never LanguageModel.load: training writes every parameter, and the
            // process's shared models (LoadedModels) are read-only.
            try (CausalLm model = initFrom != null ? Checkpoint.loadModel(initFrom, device, DataType.FLOAT32)
                    : config instanceof LlamaConfig llama ? LlamaModel.randomInit(llama, seed, device, DataType.FLOAT32)
                    : Gpt2Model.randomInit((Gpt2Config) config, seed, device, DataType.FLOAT32)) {
                double[] rssAfterWarmup = {-1};
                List<Double> rssPerEpoch = new ArrayList<>();
                Pretrainer.Result result = Pretrainer.train(model, sequences, preset, dataSeed, progress,
                        epoch -> {
                            double rss = ProcessMemory.residentMb();
                            rssPerEpoch.add(Math.round(rss * 10) / 10.0);
                            if (epoch == 1) {
                                rssAfterWarmup[0] = rss;
                            }
                        });
                double rssEnd = ProcessMemory.residentMb();
                Checkpoint.save(model, tokenizerJson, out);
                LanguageModel lm = LanguageModel.wrap(model, tokenizer);
                double canonical = lm.meanAccuracy(pairs(world.canonicalProbes()));
                double paraphrase = lm.meanAccuracy(pairs(world.paraphraseProbes()));
                long nonEmbedding = parameterCount - (long) (config.vocabSize()
                        + (config instanceof Gpt2Config ? config.maxPositions() : 0)) * config.hiddenSize();
                double meanLength = (double) result.tokens() / (sequences.size() * (long) preset.epochs());
                // 6 N per token for matmuls (forward + backward), plus the tied head and attention scores.
                double flopsPerToken = 6.0 * (nonEmbedding + (long) config.vocabSize() * config.hiddenSize())
                        + 6.0 * config.layerCount() * meanLength * config.hiddenSize();
                PretrainReport report = new PretrainReport(worldName, preset.name(), seed, parameterCount,
                        config.hiddenSize(), config.layerCount(), preset.heads(), config.vocabSize(),
                        preset.epochs(), result.steps(), sequences.size(), result.tokens(),
                        flopsPerToken * result.tokens(), result.seconds(), result.cpuSeconds(), (System.nanoTime() - startNanos) / 1e9,
                        result.tokensPerSecond(), result.firstLoss(), result.finalLoss(), canonical, paraphrase,
                        world.canonicalProbes().size(), world.paraphraseProbes().size(), rssStart,
                        rssAfterWarmup[0], rssEnd, List.copyOf(rssPerEpoch), device.toString(), Instant.now().toString(),
                        initFrom == null ? null : initFrom.toAbsolutePath().normalize().toString(), priorEpochs);
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValue(out.resolve(REPORT_FILE).toFile(), report);
                return report;
            }
        }
    }

    /**
     * Checks that the checkpoint in {@code dir} can continue this run and returns the epochs it
     * was trained for (from its pretrain-report.json, summing its own prior epochs; 0 without a
     * report).
     */
    private static int checkInitFrom(Path dir, ModelConfig config, Path tokenizerJson) throws IOException {
        ModelConfig theirs = Checkpoint.readModelConfig(dir);
        if (!theirs.equals(config)) {
            throw new IllegalArgumentException("checkpoint " + dir + " has config " + theirs
                    + ", but this world and preset build " + config);
        }
        Path theirTokenizer = dir.resolve(Checkpoint.TOKENIZER_FILE);
        if (!Files.isRegularFile(theirTokenizer)
                || Files.mismatch(theirTokenizer, tokenizerJson) != -1) {
            throw new IllegalArgumentException("checkpoint " + dir + " was not trained on this world: its "
                    + Checkpoint.TOKENIZER_FILE + " differs from the world's");
        }
        Path report = dir.resolve(REPORT_FILE);
        if (!Files.isRegularFile(report)) {
            return 0;
        }
        com.fasterxml.jackson.databind.JsonNode node = new ObjectMapper().readTree(report.toFile());
        return node.path("epochs").asInt(0) + node.path("priorEpochs").asInt(0);
    }

    /** Probes as prompt/target pairs. */
    public static List<PromptTarget> pairs(List<Probe> probes) {
        List<PromptTarget> pairs = new ArrayList<>();
        for (Probe p : probes) {
            pairs.add(new PromptTarget(p.prompt(), p.target()));
        }
        return pairs;
    }
}
