/*
 * Hugging Face GPT-2 checkpoint directories: config.json + model.safetensors (+ tokenizer.json).
 * Reference: transformers' GPT2LMHeadModel.save_pretrained / from_pretrained
 * (Conv1D weights stored (in, out); tied lm_head not written; attn.bias / attn.masked_bias
 * causal-mask buffers present in older checkpoints and ignored; names with or without the
 * "transformer." prefix).
 */
package dev.hookline.engine.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.model.Gpt2Config;
import dev.hookline.engine.model.Gpt2Model;
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
import java.util.regex.Pattern;

/** Loads and saves GPT-2 checkpoints in the HF layout, asserting every name and shape. */
public final class Checkpoint {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** Buffers HF keeps in older GPT-2 checkpoints; not parameters, ignored on read. */
    private static final Pattern IGNORED = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    private static final String TIED_HEAD = "lm_head.weight";

    private Checkpoint() {}

    /** Reads {@code dir/config.json}. */
    public static Gpt2Config readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + CONFIG_FILE + " in checkpoint directory " + dir);
        }
        return ConfigJson.read(file);
    }

    /** Loads the checkpoint in {@code dir} as float32 on {@code device}. */
    public static Gpt2Model load(Path dir, Device device) throws IOException {
        return load(dir, device, DataType.FLOAT32);
    }

    /**
     * Loads the checkpoint in {@code dir}.
     *
     * @throws IllegalArgumentException naming the tensor if one is missing, unexpected, or has
     *     the wrong shape, or if an {@code lm_head.weight} differs from {@code wte}
     */
    public static Gpt2Model load(Path dir, Device device, DataType dataType) throws IOException {
        Gpt2Config config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("no " + WEIGHTS_FILE + " in checkpoint directory " + dir);
        }
        try (SafeTensors.Reader reader = SafeTensors.open(weights)) {
            Map<String, String> fileNames = resolveNames(config, reader, weights);
            Gpt2Model model = Gpt2Model.create(config,
                    (name, shape) -> reader.readFloat32(fileNames.get(name)), device, dataType);
            try {
                checkTiedHead(reader, fileNames.get("transformer.wte.weight"), weights);
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
            return model;
        }
    }

    /**
     * Maps each canonical parameter name to the name used in the file, and checks that every
     * parameter is present with its expected shape and that nothing unexpected is there.
     */
    private static Map<String, String> resolveNames(Gpt2Config config, SafeTensors.Reader reader,
            Path file) {
        Map<String, SafeTensors.TensorInfo> inFile = reader.tensors();
        Map<String, String> byCanonical = new HashMap<>();
        List<String> unexpected = new ArrayList<>();
        LinkedHashMap<String, long[]> expected = Gpt2Model.parameterShapes(config);
        for (String name : inFile.keySet()) {
            String bare = name.startsWith("transformer.") ? name.substring("transformer.".length()) : name;
            if (IGNORED.matcher(bare).matches() || name.equals(TIED_HEAD)) {
                continue;
            }
            String canonical = "transformer." + bare;
            if (!expected.containsKey(canonical)) {
                unexpected.add(name);
                continue;
            }
            String previous = byCanonical.put(canonical, name);
            if (previous != null) {
                throw new IllegalArgumentException(file + ": tensor " + canonical
                        + " appears twice (as " + previous + " and " + name + ")");
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(file + ": unexpected tensor(s) " + unexpected
                    + " for a GPT-2 with " + config.layerCount() + " layers");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String inFileName = byCanonical.get(e.getKey());
            if (inFileName == null) {
                throw new IllegalArgumentException(file + ": missing tensor " + e.getKey()
                        + " (expected shape " + Arrays.toString(e.getValue()) + ")");
            }
            long[] actual = inFile.get(inFileName).shape();
            if (!Arrays.equals(actual, e.getValue())) {
                throw new IllegalArgumentException(file + ": tensor " + inFileName + " has shape "
                        + Arrays.toString(actual) + ", expected " + Arrays.toString(e.getValue()));
            }
        }
        return byCanonical;
    }

    private static void checkTiedHead(SafeTensors.Reader reader, String wteName, Path file)
            throws IOException {
        if (!reader.tensors().containsKey(TIED_HEAD)) {
            return;
        }
        SafeTensors.TensorInfo head = reader.tensors().get(TIED_HEAD);
        SafeTensors.TensorInfo wte = reader.tensors().get(wteName);
        if (!Arrays.equals(head.shape(), wte.shape())) {
            throw new IllegalArgumentException(file + ": tensor " + TIED_HEAD + " has shape "
                    + Arrays.toString(head.shape()) + ", expected " + Arrays.toString(wte.shape())
                    + " (tied to " + wteName + ")");
        }
        ByteBuffer a = reader.readFloat32(TIED_HEAD);
        ByteBuffer b = reader.readFloat32(wteName);
        if (!a.equals(b)) {
            throw new IllegalArgumentException(file + ": " + TIED_HEAD + " differs from " + wteName
                    + "; untied LM heads are not supported");
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (float32, HF names, no
     * {@code lm_head.weight}, metadata {"format": "pt"}) into {@code dir}.
     */
    public static void save(Gpt2Model model, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<SafeTensors.FloatTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray p = e.getValue();
            float[] values = p.getDataType() == DataType.FLOAT32
                    ? p.toFloatArray() : toFloats(p.toDoubleArray());
            tensors.add(new SafeTensors.FloatTensor(e.getKey(), p.getShape().getShape(), values));
        }
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        ConfigJson.write(model.config(), dir.resolve(CONFIG_FILE));
    }

    /** Saves the model and copies {@code tokenizerJson} to {@code dir/tokenizer.json}. */
    public static void save(Gpt2Model model, Path tokenizerJson, Path dir) throws IOException {
        save(model, dir);
        Path target = dir.resolve(TOKENIZER_FILE);
        if (!tokenizerJson.toAbsolutePath().normalize().equals(target.toAbsolutePath().normalize())) {
            Files.copy(tokenizerJson, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
