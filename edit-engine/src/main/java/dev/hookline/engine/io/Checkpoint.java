/*
 * Hugging Face checkpoint directories of every supported architecture: config.json +
 * model.safetensors (or shards + model.safetensors.index.json) + tokenizer files.
 * Reference: transformers' from_pretrained / save_pretrained (GPT-2 Conv1D weights stored
 * (in, out) and names with or without "transformer."; nn.Linear weights (out, in) elsewhere;
 * tied heads not written; causal-mask and rotary buffers of older checkpoints ignored).
 */
package dev.hookline.engine.io;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.ModelConfig;
import dev.hookline.engine.model.TensorSource;
import dev.hookline.engine.model.gptj.GptjConfig;
import dev.hookline.engine.model.gptj.GptjModel;
import dev.hookline.engine.model.llama.LlamaConfig;
import dev.hookline.engine.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/** Loads and saves checkpoints in the HF layout, asserting every name, shape and dtype. */
public final class Checkpoint {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    public static final String INDEX_FILE = WeightFiles.INDEX_FILE;

    /** Buffers HF keeps in older checkpoints; not parameters, ignored on read. */
    private static final Pattern IGNORED = Pattern.compile(
            "(transformer\\.)?h\\.\\d+\\.attn\\.(bias|masked_bias)|model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final String HEAD = "lm_head.weight";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** How weights are written: dtype (F32 or BF16) and the largest shard in bytes (0: one file). */
    public record WeightFormat(String dtype, long maxShardBytes) {
        public WeightFormat {
            if (!dtype.equals("F32") && !dtype.equals("BF16")) {
                throw new IllegalArgumentException("weights are written as F32 or BF16, got " + dtype);
            }
            if (maxShardBytes < 0) {
                throw new IllegalArgumentException("maxShardBytes must be >= 0, got " + maxShardBytes);
            }
        }

        /** One float32 file. */
        public static WeightFormat float32() {
            return new WeightFormat("F32", 0);
        }
    }

    private Checkpoint() {}

    /** Reads {@code dir/config.json} of a GPT-2 checkpoint. */
    public static Gpt2Config readConfig(Path dir) throws IOException {
        ModelConfig config = readModelConfig(dir);
        if (!(config instanceof Gpt2Config gpt2)) {
            throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": a " + config.architecture().modelType()
                    + " checkpoint where GPT-2 is required");
        }
        return gpt2;
    }

    /** The architecture named by {@code dir/config.json}. */
    public static Architecture readArchitecture(Path dir) throws IOException {
        return readModelConfig(dir).architecture();
    }

    /**
     * Reads {@code dir/config.json} of any supported architecture ({@code model_type}, or the
     * {@code architectures} class name when model_type is absent).
     *
     * @throws IllegalArgumentException naming the file, and the supported model types for an unknown one
     */
    public static ModelConfig readModelConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + CONFIG_FILE + " in checkpoint directory " + dir);
        }
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": not a JSON object");
        }
        List<String> classes = new ArrayList<>();
        root.path("architectures").forEach(n -> classes.add(n.asText()));
        Architecture architecture;
        try {
            architecture = Architecture.of(root.path("model_type").asText(""), classes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        return switch (architecture.family()) {
            case "gpt2" -> ConfigJson.read(file);
            case "gptj" -> GptjConfig.fromJson(root, file);
            default -> LlamaConfig.fromJson(architecture, root, file);
        };
    }

    /** Loads the GPT-2 checkpoint in {@code dir} as float32 on {@code device}. */
    public static Gpt2Model load(Path dir, Device device) throws IOException {
        return load(dir, device, DataType.FLOAT32);
    }

    /** Loads the GPT-2 checkpoint in {@code dir} (other architectures: {@link #loadModel}). */
    public static Gpt2Model load(Path dir, Device device, DataType dataType) throws IOException {
        readConfig(dir);
        return (Gpt2Model) loadModel(dir, device, dataType);
    }

    /** Loads the checkpoint in {@code dir}, any supported architecture, as float32. */
    public static CausalLm loadModel(Path dir, Device device) throws IOException {
        return loadModel(dir, device, DataType.FLOAT32);
    }

    /**
     * Loads the checkpoint in {@code dir} (single or sharded safetensors, F32/F16/BF16/F64 weights).
     *
     * @throws IllegalArgumentException naming the file and the tensor if one is missing, unexpected,
     *     of the wrong shape or of a dtype that is not a float, or if a tied GPT-2 head differs from wte
     */
    public static CausalLm loadModel(Path dir, Device device, DataType dataType) throws IOException {
        return loadModel(dir, device, dataType, dataType);
    }

    /**
     * As {@link #loadModel(Path, Device, DataType)} with the matrices in {@code weightType}:
     * {@code dataType}, or FLOAT16 under FLOAT32 ({@link CausalLm#weightType()}).
     */
    public static CausalLm loadModel(Path dir, Device device, DataType dataType, DataType weightType)
            throws IOException {
        ModelConfig config = readModelConfig(dir);
        LinkedHashMap<String, long[]> expected = checkpointShapes(config);
        try (WeightFiles files = WeightFiles.open(dir)) {
            Map<String, String> fileNames = resolveNames(config, expected, files);
            TensorSource source = (name, shape) -> files.readFloat32(fileNames.get(name));
            CausalLm model = switch (config.architecture().family()) {
                case "gpt2" -> Gpt2Model.create((Gpt2Config) config, source, device, dataType, weightType);
                case "gptj" -> GptjModel.create((GptjConfig) config, source, device, dataType, weightType);
                default -> LlamaModel.create((LlamaConfig) config, source, device, dataType, weightType);
            };
            try {
                if (config instanceof Gpt2Config) {
                    checkTiedHead(files, fileNames.get("transformer.wte.weight"));
                }
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
            return model;
        }
    }

    /** The tensors a checkpoint of {@code config} holds, HF names and shapes. */
    public static LinkedHashMap<String, long[]> checkpointShapes(ModelConfig config) {
        if (config instanceof Gpt2Config c) {
            return Gpt2Model.parameterShapes(c);
        }
        if (config instanceof GptjConfig c) {
            return GptjModel.checkpointShapes(c);
        }
        return LlamaModel.checkpointShapes((LlamaConfig) config);
    }

    /**
     * Maps each expected tensor name to the name used in the files, and checks that every tensor
     * is present with its expected shape and a float dtype, and that nothing unexpected is there.
     */
    private static Map<String, String> resolveNames(ModelConfig config, LinkedHashMap<String, long[]> expected,
            WeightFiles files) {
        Map<String, SafeTensors.TensorInfo> inFiles = files.tensors();
        boolean gpt2 = config instanceof Gpt2Config;
        // GPT-2 checkpoints exist with and without the "transformer." prefix.
        UnaryOperator<String> canonical = gpt2
                ? n -> n.startsWith("transformer.") || n.equals(HEAD) ? n : "transformer." + n
                : n -> n;
        boolean headOptional = !expected.containsKey(HEAD);
        Map<String, String> byCanonical = new HashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (String name : inFiles.keySet()) {
            if (IGNORED.matcher(name).matches() || (headOptional && name.equals(HEAD))) {
                continue;
            }
            String c = canonical.apply(name);
            if (!expected.containsKey(c)) {
                unexpected.add(name + " (in " + files.fileOf(name).getFileName() + ")");
                continue;
            }
            String previous = byCanonical.put(c, name);
            if (previous != null) {
                throw new IllegalArgumentException(files.fileOf(name) + ": tensor " + c
                        + " appears twice (as " + previous + " and " + name + ")");
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(files.description() + ": unexpected tensor(s) " + unexpected
                    + " for a " + config.architecture().modelType() + " with " + config.layerCount() + " layers");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String inFileName = byCanonical.get(e.getKey());
            if (inFileName == null) {
                throw new IllegalArgumentException(files.description() + ": missing tensor " + e.getKey()
                        + " (expected shape " + Arrays.toString(e.getValue()) + ")");
            }
            SafeTensors.TensorInfo info = inFiles.get(inFileName);
            if (!SafeTensors.FLOAT_DTYPES.contains(info.dtype())) {
                throw new IllegalArgumentException(files.fileOf(inFileName) + ": tensor " + inFileName
                        + " has dtype " + info.dtype() + "; supported: F32, F16, BF16, F64");
            }
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw new IllegalArgumentException(files.fileOf(inFileName) + ": tensor " + inFileName
                        + " has shape " + Arrays.toString(info.shape()) + ", expected "
                        + Arrays.toString(e.getValue()));
            }
        }
        return byCanonical;
    }

    private static void checkTiedHead(WeightFiles files, String wteName) throws IOException {
        SafeTensors.TensorInfo head = files.tensors().get(HEAD);
        if (head == null) {
            return;
        }
        SafeTensors.TensorInfo wte = files.tensors().get(wteName);
        Path file = files.fileOf(HEAD);
        if (!Arrays.equals(head.shape(), wte.shape())) {
            throw new IllegalArgumentException(file + ": tensor " + HEAD + " has shape "
                    + Arrays.toString(head.shape()) + ", expected " + Arrays.toString(wte.shape())
                    + " (tied to " + wteName + ")");
        }
        ByteBuffer a = files.readFloat32(HEAD);
        ByteBuffer b = files.readFloat32(wteName);
        if (!a.equals(b)) {
            throw new IllegalArgumentException(file + ": " + HEAD + " differs from " + wteName
                    + "; untied LM heads are not supported for GPT-2");
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (float32, HF names and layout, no
     * tied head, metadata {"format": "pt"}) into {@code dir}.
     */
    public static void save(CausalLm model, Path dir) throws IOException {
        save(model, dir, WeightFormat.float32());
    }

    /**
     * Writes the model in {@code format}: one {@code model.safetensors}, or shards
     * {@code model-0000i-of-0000n.safetensors} of at most {@code maxShardBytes} each (a tensor larger
     * than that gets a shard of its own) with {@code model.safetensors.index.json}.
     */
    public static void save(CausalLm model, Path dir, WeightFormat format) throws IOException {
        Files.createDirectories(dir);
        int width = format.dtype().equals("F32") ? 4 : 2;
        List<List<SafeTensors.FloatTensor>> shards = new ArrayList<>();
        List<SafeTensors.FloatTensor> current = new ArrayList<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, long[]> e : model.checkpointShapes().entrySet()) {
            float[] values = model.checkpointValues(e.getKey());
            long bytes = (long) width * values.length;
            if (format.maxShardBytes() > 0 && !current.isEmpty() && currentBytes + bytes > format.maxShardBytes()) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(new SafeTensors.FloatTensor(e.getKey(), e.getValue(), values));
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        Files.deleteIfExists(dir.resolve(WEIGHTS_FILE));
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        if (format.maxShardBytes() == 0 || shards.size() == 1) {
            SafeTensors.write(dir.resolve(WEIGHTS_FILE), shards.get(0), Map.of("format", "pt"), format.dtype());
        } else {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode weightMap = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                SafeTensors.write(dir.resolve(name), shards.get(i), Map.of("format", "pt"), format.dtype());
                for (SafeTensors.FloatTensor t : shards.get(i)) {
                    weightMap.put(t.name(), name);
                }
            }
            Files.writeString(dir.resolve(INDEX_FILE), JSON.writeValueAsString(index) + "\n");
        }
        writeConfig(model.config(), dir.resolve(CONFIG_FILE), format.dtype());
    }

    /** Saves the model and copies {@code tokenizerJson} (and a tokenizer_config.json beside it) into {@code dir}. */
    public static void save(CausalLm model, Path tokenizerJson, Path dir) throws IOException {
        save(model, dir);
        copyTokenizer(tokenizerJson, dir);
    }

    /** Copies {@code tokenizerJson} and the tokenizer_config.json next to it, if any, into {@code dir}. */
    public static void copyTokenizer(Path tokenizerJson, Path dir) throws IOException {
        Path target = dir.resolve(TOKENIZER_FILE);
        if (!tokenizerJson.toAbsolutePath().normalize().equals(target.toAbsolutePath().normalize())) {
            Files.copy(tokenizerJson, target, StandardCopyOption.REPLACE_EXISTING);
            Path tokenizerConfig = tokenizerJson.resolveSibling(TOKENIZER_CONFIG_FILE);
            if (Files.isRegularFile(tokenizerConfig)) {
                Files.copy(tokenizerConfig, dir.resolve(TOKENIZER_CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void writeConfig(ModelConfig config, Path file, String dtype) throws IOException {
        if (config instanceof Gpt2Config c) {
            ConfigJson.write(c, file);
            if (dtype.equals("F32")) {
                return;
            }
            ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
            root.put("torch_dtype", "bfloat16");
            Files.writeString(file, JSON.writeValueAsString(root) + "\n");
            return;
        }
        ObjectNode root = config instanceof GptjConfig c ? c.toJson() : ((LlamaConfig) config).toJson();
        root.put("torch_dtype", dtype.equals("F32") ? "float32" : "bfloat16");
        Files.writeString(file, JSON.writeValueAsString(root) + "\n");
    }

}
