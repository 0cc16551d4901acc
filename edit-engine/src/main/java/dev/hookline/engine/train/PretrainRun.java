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
import dev.hookline.engine.io.SafeTensors;
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
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        return run(worldName, worldSeed, preset, seed, out, progress, initFrom, Snapshots.OFF, () -> false);
    }

    /** How a run uses the per-epoch snapshot in {@code out/resume/}. */
    public enum Snapshots {
        /** none written (library callers whose runs are short or cached) */
        OFF,
        /** one written after every finished epoch, removed when the run completes */
        WRITE,
        /** continue the interrupted run whose snapshot is there, then as WRITE */
        RESUME
    }

    /**
     * As {@link #run(String, Long, PretrainPreset, long, Path, PrintStream, Path)}, with per-epoch
     * snapshots: under {@link Snapshots#WRITE} the weights and optimiser moments of every finished
     * epoch go to {@code out/resume/} (written aside and moved into place), and under
     * {@link Snapshots#RESUME} the run continues from that snapshot to the weights an uninterrupted
     * run reaches. {@code stop} is polled between steps; when it says so, training ends with
     * {@link Pretrainer.Stopped} and the last snapshot stays for a resume.
     *
     * @throws IllegalArgumentException if {@code out} holds an interrupted run and this is not a
     *     resume, if a resume finds no snapshot, or if the snapshot was started with other options
     */
    public static PretrainReport run(String worldName, Long worldSeed, PretrainPreset preset, long seed, Path out,
            PrintStream progress, Path initFrom, Snapshots snapshots, java.util.function.BooleanSupplier stop)
            throws IOException {
        Path snapshotDir = snapshotDir(out);
        Map<String, String> identity = identity(worldName, worldSeed, preset, seed, initFrom);
        Map<String, String> snapshotMeta = null;
        if (snapshots == Snapshots.RESUME) {
            if (snapshotDir == null) {
                throw new IllegalArgumentException("nothing to resume in " + out + ": no " + RESUME_DIR
                        + "/ snapshot (a run writes one after each finished epoch)");
            }
            snapshotMeta = readSnapshotMeta(snapshotDir);
            List<String> differences = new ArrayList<>();
            for (Map.Entry<String, String> e : identity.entrySet()) {
                String theirs = snapshotMeta.get(e.getKey());
                if (!e.getValue().equals(theirs)) {
                    differences.add(e.getKey() + " " + theirs + " (this command: " + e.getValue() + ")");
                }
            }
            if (!differences.isEmpty()) {
                throw new IllegalArgumentException("the interrupted run in " + out + " was started with other options: "
                        + String.join("; ", differences) + "; resume with the options it was started with");
            }
        } else if (snapshotDir != null) {
            Map<String, String> meta = readSnapshotMeta(snapshotDir);
            throw new IllegalArgumentException(out + " holds an interrupted run (" + meta.get("epochsDone") + " of "
                    + meta.get("epochs") + " epochs done); continue it with --resume, or choose another --out");
        }
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
            boolean resuming = snapshotMeta != null;
            int priorEpochs = resuming ? Integer.parseInt(snapshotMeta.get("priorEpochs"))
                    : initFrom == null ? 0 : checkInitFrom(initFrom, config, tokenizerJson);
            long dataSeed = seed + priorEpochs;
            if (resuming && !Checkpoint.readModelConfig(snapshotDir).equals(config)) {
                throw new IllegalArgumentException("the snapshot in " + snapshotDir + " has config "
                        + Checkpoint.readModelConfig(snapshotDir) + ", but this world and preset build " + config);
            }
            // A private load, never LanguageModel.load: training writes every parameter, and the
            // process's shared models (LoadedModels) are read-only.
            try (CausalLm model = resuming ? Checkpoint.loadModel(snapshotDir, device, DataType.FLOAT32)
                    : initFrom != null ? Checkpoint.loadModel(initFrom, device, DataType.FLOAT32)
                    : config instanceof LlamaConfig llama ? LlamaModel.randomInit(llama, seed, device, DataType.FLOAT32)
                    : Gpt2Model.randomInit((Gpt2Config) config, seed, device, DataType.FLOAT32)) {
                double[] rssAfterWarmup = {resuming ? Double.parseDouble(snapshotMeta.get("rssAfterFirstEpochMb")) : -1};
                List<Double> rssPerEpoch = new ArrayList<>(resuming ? parseDoubles(snapshotMeta.get("rssPerEpochMb"))
                        : List.of());
                Pretrainer.EpochListener listener = (at, optimizer) -> {
                    double rss = ProcessMemory.residentMb();
                    rssPerEpoch.add(Math.round(rss * 10) / 10.0);
                    if (at.epochsDone() == 1) {
                        rssAfterWarmup[0] = rss;
                    }
                    if (snapshots != Snapshots.OFF) {
                        Map<String, String> meta = new LinkedHashMap<>(identity);
                        meta.put("priorEpochs", Integer.toString(priorEpochs));
                        meta.put("epochs", Integer.toString(preset.epochs()));
                        meta.putAll(progressMeta(at));
                        meta.put("rssAfterFirstEpochMb", Double.toString(rssAfterWarmup[0]));
                        meta.put("rssPerEpochMb", rssPerEpoch.stream().map(String::valueOf)
                                .collect(java.util.stream.Collectors.joining(",")));
                        writeSnapshot(out, model, optimizer, meta);
                    }
                };
                Pretrainer.Result result;
                if (resuming) {
                    Pretrainer.Progress at = progressOf(snapshotMeta);
                    LOG.info("resuming {} after epoch {} of {} (step {})", out, at.epochsDone(), preset.epochs(), at.step());
                    if (at.epochsDone() == preset.epochs()) { // stopped after training, before the report
                        result = new Pretrainer.Result(at.step(), at.tokens(), at.seconds(), at.firstLoss(),
                                at.lastEpochLoss(), at.cpuSeconds());
                    } else {
                        try (SafeTensors.Reader moments = SafeTensors.open(snapshotDir.resolve(OPTIMIZER_FILE))) {
                            result = Pretrainer.train(model, sequences, preset, dataSeed, progress,
                                    new Pretrainer.Resume(at, moments), listener, stop);
                        }
                    }
                } else {
                    result = Pretrainer.train(model, sequences, preset, dataSeed, progress, null, listener, stop);
                }
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
                        initFrom == null ? null : initFrom.toAbsolutePath().normalize().toString(), priorEpochs,
                        resuming ? Integer.valueOf(snapshotMeta.get("epochsDone")) : null);
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValue(out.resolve(REPORT_FILE).toFile(), report);
                for (String dir : List.of(RESUME_DIR, RESUME_DIR + ".old", RESUME_DIR + ".tmp")) {
                    deleteTree(out.resolve(dir));
                }
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

    /** The per-epoch snapshot's directory under a run's output. */
    public static final String RESUME_DIR = "resume";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";

    /** The snapshot to resume from: {@code resume/}, else {@code resume.old/} (a stop between two moves). */
    static Path snapshotDir(Path out) {
        for (String name : List.of(RESUME_DIR, RESUME_DIR + ".old")) {
            Path dir = out.resolve(name);
            if (Files.isRegularFile(dir.resolve(OPTIMIZER_FILE))) {
                return dir;
            }
        }
        return null;
    }

    private static Map<String, String> identity(String worldName, Long worldSeed, PretrainPreset preset, long seed,
            Path initFrom) {
        Map<String, String> id = new LinkedHashMap<>();
        id.put("world", worldName);
        id.put("worldSeed", worldSeed == null ? "preset" : worldSeed.toString());
        id.put("preset", preset.toString());
        id.put("seed", Long.toString(seed));
        id.put("initFrom", initFrom == null ? "none" : initFrom.toAbsolutePath().normalize().toString());
        return id;
    }

    private static Map<String, String> readSnapshotMeta(Path dir) throws IOException {
        try (SafeTensors.Reader reader = SafeTensors.open(dir.resolve(OPTIMIZER_FILE))) {
            return new LinkedHashMap<>(reader.metadata());
        }
    }

    private static Map<String, String> progressMeta(Pretrainer.Progress at) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epochsDone", Integer.toString(at.epochsDone()));
        meta.put("step", Long.toString(at.step()));
        meta.put("tokens", Long.toString(at.tokens()));
        meta.put("firstLoss", Double.toString(at.firstLoss()));
        meta.put("lastEpochLoss", Double.toString(at.lastEpochLoss()));
        meta.put("seconds", Double.toString(at.seconds()));
        meta.put("cpuSeconds", Double.toString(at.cpuSeconds()));
        return meta;
    }

    private static Pretrainer.Progress progressOf(Map<String, String> meta) {
        return new Pretrainer.Progress(Integer.parseInt(meta.get("epochsDone")), Long.parseLong(meta.get("step")),
                Long.parseLong(meta.get("tokens")), Double.parseDouble(meta.get("firstLoss")),
                Double.parseDouble(meta.get("lastEpochLoss")), Double.parseDouble(meta.get("seconds")),
                Double.parseDouble(meta.get("cpuSeconds")));
    }

    private static List<Double> parseDoubles(String csv) {
        List<Double> values = new ArrayList<>();
        if (csv != null && !csv.isBlank()) {
            for (String v : csv.split(",")) {
                values.add(Double.parseDouble(v));
            }
        }
        return values;
    }

    /**
     * Writes the weights (config.json, model.safetensors) and the optimiser's moments with
     * {@code meta} to {@code out/resume.tmp/}, then moves it to {@code out/resume/}; the previous
     * snapshot is kept as {@code resume.old/} until the new one is in place.
     */
    private static void writeSnapshot(Path out, CausalLm model, AdamW optimizer, Map<String, String> meta)
            throws IOException {
        Path tmp = out.resolve(RESUME_DIR + ".tmp");
        Path current = out.resolve(RESUME_DIR);
        Path old = out.resolve(RESUME_DIR + ".old");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        Checkpoint.save(model, tmp);
        SafeTensors.write(tmp.resolve(OPTIMIZER_FILE), optimizer.momentTensors(), meta);
        deleteTree(old);
        if (Files.exists(current)) {
            Files.move(current, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
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
