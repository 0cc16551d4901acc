/*
 * Model onboarding: registers a base checkpoint directory with the registry (blobs first, then
 * the model row), and computes its covariance statistics once (LayerStatistics over a corpus: the
 * user's --corpus, plain text or JSON lines, else the model's world corpus) and attaches them with
 * the corpus and a record of which corpus it is, so that every worker can load them instead of
 * recomputing, and compute statistics for other layer sets from the same corpus. Without explicit
 * layers the statistics are for the editor's default editing layer (CoachHookParams.defaultLayers:
 * the model's last block), so that a batch without a "layers" hyperparameter finds them.
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.Sha256;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers models and their statistics; needs a token with the ADMIN role. */
public final class ModelOnboarding {
    private static final Logger LOG = LoggerFactory.getLogger(ModelOnboarding.class);
    /**
     * Role of the stats entry that says which corpus C0 was computed from: a JSON blob with the
     * corpus's file name, sha256, format ("text" or "jsonl"), number of texts and the sample size.
     */
    public static final String ROLE_CORPUS_SOURCE = "corpus-source.json";
    /** The checkpoint files the registry requires, as file names in the model directory. */
    public static final List<String> CHECKPOINT_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");

    private final RegistryClient admin;

    public ModelOnboarding(RegistryClient admin) {
        this.admin = admin;
    }

    /** The corpus of a checkpoint directory written by PretrainRun ({@code world/corpus.txt}), or {@code corpus.txt}. */
    public static Path corpusOf(Path modelDir) {
        for (Path p : List.of(modelDir.resolve("world").resolve("corpus.txt"), modelDir.resolve("corpus.txt"))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no corpus for key statistics in " + modelDir
                + " (expected world/corpus.txt or corpus.txt)");
    }

    /**
     * Uploads the checkpoint, registers it as {@code name}, computes statistics for {@code layers}
     * over {@code statisticsLines} texts of the model's own corpus ({@link #corpusOf}) and attaches them;
     * answers the model view.
     *
     * @param layers layers to compute statistics for, or null for {@link #defaultLayers(Path)}
     * @throws IllegalArgumentException before anything is uploaded when a layer is not in the model
     */
    public JsonNode register(String name, Path modelDir, int[] layers, int statisticsLines) throws IOException {
        return register(name, modelDir, layers, statisticsLines, null);
    }

    /**
     * A command line's statistics sample size: {@link LayerStatistics#AUTO_LINES} (the engine's default for the
     * model's width) when the option is absent, else the named size, which must be >= 1.
     */
    public static int statisticsLinesOption(Integer named, String option) {
        if (named == null) {
            return LayerStatistics.AUTO_LINES;
        }
        if (named < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, got " + named
                    + " (leave it out for the default, max(1000, ceil(5 d_ff / 2)))");
        }
        return named;
    }

    /**
     * As {@link #register(String, Path, int[], int)} with C0 from {@code corpus} (plain text, one
     * text per line, or JSON lines with a string "text"; null: the model's own corpus). Every
     * editing job of the model then computes its statistics from that corpus.
     *
     * @throws IllegalArgumentException before anything is uploaded when a layer is not in the model,
     *     the corpus is missing, malformed or holds no text, or {@code statisticsLines < 1}
     */
    public JsonNode register(String name, Path modelDir, int[] layers, int statisticsLines, Path corpus)
            throws IOException {
        return register(name, modelDir, layers, statisticsLines, corpus, null);
    }

    /**
     * As {@link #register(String, Path, int[], int, Path)}, registering the model with {@code editDefaults}
     * ({@code {"<method>": {hyperparameters}}}, null for none: the registry's model edit defaults), which are
     * checked here before anything is uploaded (a method the worker runs, keys a model default may set, values
     * the method accepts, layers of this model).
     */
    public JsonNode register(String name, Path modelDir, int[] layers, int statisticsLines, Path corpus,
            ObjectNode editDefaults) throws IOException {
        if (statisticsLines < 0) {
            throw new IllegalArgumentException("--stats-lines must be >= 1 (0: the default), got " + statisticsLines);
        }
        // Any supported architecture (config.json model_type); an unsupported one fails here, naming them.
        String architecture = Checkpoint.readArchitecture(modelDir).modelType();
        CorpusFile corpusFile = CorpusFile.read(corpus != null ? corpus : corpusOf(modelDir));
        int[] statLayers = layers != null ? EditMapping.checkLayers(layers, blockCount(modelDir), "--layers")
                : defaultLayers(modelDir);
        checkEditDefaults(editDefaults, blockCount(modelDir));
        ArrayNode checkpoint = RegistryClient.json().createArrayNode();
        Path single = singleFile(modelDir);
        try {
            for (String file : CHECKPOINT_FILES) {
                Path p = single.resolve(file);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("checkpoint file missing: " + p);
                }
                checkpoint.add(entry(file, admin.putBlob(p)));
            }
        } finally {
            if (!single.equals(modelDir)) {
                deleteTree(single);
            }
        }
        ObjectNode body = RegistryClient.json().createObjectNode();
        body.put("name", name);
        body.put("architecture", architecture);
        body.set("config", RegistryClient.json().readTree(modelDir.resolve("config.json").toFile()));
        body.set("checkpoint", checkpoint);
        if (editDefaults != null && !editDefaults.isEmpty()) {
            body.set("editDefaults", editDefaults);
        }
        JsonNode model = admin.post("/api/models", body);
        LOG.info("registered model {} as id {}", name, model.path("id").asLong());
        return attachStatistics(model.path("id").asLong(), modelDir, corpusFile, statLayers, statisticsLines);
    }

    /**
     * Checks model edit defaults as a job would apply them: each method one the worker runs, each key one a
     * model default may set, the values a batch of that method would be accepted with, layers in the model.
     */
    public static void checkEditDefaults(JsonNode editDefaults, int blockCount) {
        if (editDefaults == null) {
            return;
        }
        editDefaults.fields().forEachRemaining(e -> {
            try {
                EditMapping.plan(e.getKey(), null, e.getValue(), LayerStatistics.AUTO_LINES).forModel(blockCount, null);
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException("edit default of " + e.getKey() + ": " + x.getMessage(), x);
            }
        });
    }

    /**
     * Adds one {@code METHOD.KEY=VALUE} (a number, or for {@code layers} comma-separated block indices) to
     * {@code into}; a malformed setting is refused naming it.
     */
    public static void parseEditDefault(String setting, ObjectNode into) {
        int eq = setting.indexOf('=');
        int dot = eq < 0 ? -1 : setting.lastIndexOf('.', eq);
        if (dot <= 0 || eq == dot + 1 || eq == setting.length() - 1) {
            throw new IllegalArgumentException("--edit-default must be METHOD.KEY=VALUE (e.g. codebook-nearest.alpha0=0.2), "
                    + "got '" + setting + "'");
        }
        String method = setting.substring(0, dot).trim();
        String key = setting.substring(dot + 1, eq).trim();
        String value = setting.substring(eq + 1).trim();
        ObjectNode hp = into.has(method) ? (ObjectNode) into.get(method) : into.putObject(method);
        try {
            dev.hookline.client.HyperparameterValue.put(hp, key, value);
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException("--edit-default " + setting + ": the value must be a number"
                    + (key.equals("layers") ? " list (e.g. 1,2)" : ""));
        }
    }

    /** {@link #register(String, Path, int[], int)} with statistics for the default editing layer. */
    public JsonNode register(String name, Path modelDir, int statisticsLines) throws IOException {
        return register(name, modelDir, null, statisticsLines);
    }

    /** Transformer blocks of a checkpoint directory of any supported architecture (its config.json). */
    public static int blockCount(Path modelDir) throws IOException {
        return Checkpoint.readModelConfig(modelDir).layerCount();
    }

    /**
     * {@code modelDir} itself when it holds one {@code model.safetensors}; for a sharded checkpoint
     * (model.safetensors.index.json) a temporary directory with the same model written as one float32
     * file, as the registry stores a checkpoint as config.json + model.safetensors + tokenizer.json.
     */
    static Path singleFile(Path modelDir) throws IOException {
        if (Files.isRegularFile(modelDir.resolve(Checkpoint.WEIGHTS_FILE))
                || !Files.isRegularFile(modelDir.resolve(Checkpoint.INDEX_FILE))) {
            return modelDir;
        }
        Path tmp = Files.createTempDirectory("hookline-checkpoint-");
        // Read-only: the process's shared load, in float32 whatever --precision says (the upload is
        // the checkpoint's own values; the statistics pass finds this load under fp32).
        try (LanguageModel lm = LanguageModel.load(modelDir, ai.djl.engine.Engine.getInstance().defaultDevice())) {
            LOG.info("consolidating the sharded checkpoint {} into one model.safetensors", modelDir);
            Checkpoint.save(lm.model(), tmp);
            Checkpoint.copyTokenizer(modelDir.resolve(Checkpoint.TOKENIZER_FILE), tmp);
            // The original config.json (the writer's holds only the keys the engine reads).
            Files.copy(modelDir.resolve(Checkpoint.CONFIG_FILE), tmp.resolve(Checkpoint.CONFIG_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The editor's default editing layers for this checkpoint (its last block). */
    public static int[] defaultLayers(Path modelDir) throws IOException {
        return CoachHookParams.defaultLayers(blockCount(modelDir));
    }

    /**
     * A corpus for C0 read and checked before anything is uploaded: its texts ({@link
     * EditData#readCorpus}: plain text or JSON lines), format and sha256 of the file's bytes.
     */
    public record CorpusFile(Path file, List<String> texts, String format, String sha256) {
        public CorpusFile {
            if (file == null || texts == null || format == null || sha256 == null) {
                throw new IllegalArgumentException("corpus file, texts, format and sha256 are required");
            }
            texts = List.copyOf(texts);
        }

        /**
         * Reads {@code file}.
         *
         * @throws IllegalArgumentException naming the file when it is missing, malformed (a JSON line
         *     that is not an object with a string "text") or holds no non-blank text
         */
        public static CorpusFile read(Path file) throws IOException {
            List<String> texts = EditData.readCorpus(file);
            if (texts.stream().allMatch(String::isBlank)) {
                throw new IllegalArgumentException("corpus " + file + " holds no text to compute key statistics from");
            }
            boolean jsonLines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).findFirst()
                    .map(l -> l.strip().startsWith("{")).orElse(false);
            return new CorpusFile(file, texts, jsonLines ? "jsonl" : "text", Sha256.hex(file));
        }

        /** Texts that count towards the sample (the non-blank ones). */
        public long textCount() {
            return texts.stream().filter(t -> !t.isBlank()).count();
        }
    }

    /** {@link #attachStatistics(long, Path, CorpusFile, int[], int)} of a corpus file. */
    public JsonNode attachStatistics(long modelId, Path modelDir, Path corpus, int[] layers, int statisticsLines)
            throws IOException {
        return attachStatistics(modelId, modelDir, CorpusFile.read(corpus), layers, statisticsLines);
    }

    /**
     * Computes (or loads from the directory's cache) statistics and attaches them with the corpus
     * (role {@value JobExecution#ROLE_CORPUS}, the file's own bytes) and its record (role
     * {@value #ROLE_CORPUS_SOURCE}).
     */
    public JsonNode attachStatistics(long modelId, Path modelDir, CorpusFile corpus, int[] layers, int statisticsLines)
            throws IOException {
        Path statsDir = Files.createTempDirectory("hookline-stats-");
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            long t = System.nanoTime();
            int lines = LayerStatistics.resolveLines(statisticsLines, lm.model().config().mlpSize());
            LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus.texts(), lines, layers, statsDir);
            String file = JobExecution.statisticsFileName(lm.modelDigest(), layers, lines);
            LOG.info("statistics {} for model {} from {} ({} texts) in {} s", file, modelId, corpus.file().getFileName(),
                    corpus.textCount(), Math.round((System.nanoTime() - t) / 1e8) / 10.0);
            ObjectNode source = RegistryClient.json().createObjectNode();
            source.put("file", corpus.file().getFileName().toString());
            source.put("sha256", corpus.sha256());
            source.put("format", corpus.format());
            source.put("texts", corpus.textCount());
            source.put("statisticsLines", lines);
            Path sourceFile = statsDir.resolve(ROLE_CORPUS_SOURCE);
            RegistryClient.json().writerWithDefaultPrettyPrinter().writeValue(sourceFile.toFile(), source);
            ArrayNode stats = RegistryClient.json().createArrayNode();
            stats.add(entry(JobExecution.ROLE_CORPUS, admin.putBlob(corpus.file())));
            stats.add(entry(ROLE_CORPUS_SOURCE, admin.putBlob(sourceFile)));
            stats.add(entry(file, admin.putBlob(statsDir.resolve(file))));
            Path json = statsDir.resolve(file.replace(".safetensors", ".json"));
            if (Files.isRegularFile(json)) {
                stats.add(entry(json.getFileName().toString(), admin.putBlob(json)));
            }
            return admin.put("/api/models/" + modelId + "/stats", Map.of("stats", stats));
        } finally {
            JobExecution.deleteTree(statsDir);
        }
    }

    private static ObjectNode entry(String role, BlobRef ref) {
        return RegistryClient.json().createObjectNode().put("role", role).put("key", ref.key()).put("size", ref.size());
    }

    /** Parses "2" or "0,1" into layers. */
    public static int[] parseLayers(String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layers must be comma-separated integers, got '" + text + "'");
        }
    }
}
