/*
 * The safetensors files of one checkpoint: a single model.safetensors or shards listed by
 * model.safetensors.index.json.
 * Reference: transformers' save_pretrained(max_shard_size=...) / from_pretrained sharded layout
 * ({"metadata": {"total_size": N}, "weight_map": {tensor: file}}).
 */
package dev.hookline.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Open readers of every weight file and which file holds each tensor. */
final class WeightFiles implements AutoCloseable {
    static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafeTensors.Reader> readers = new ArrayList<>();
    private final Map<String, SafeTensors.Reader> byTensor = new LinkedHashMap<>();
    private final Map<String, Path> fileOf = new LinkedHashMap<>();
    private final Path description;

    private WeightFiles(Path description) {
        this.description = description;
    }

    /** Opens {@code dir/model.safetensors}, or the shards its index names. */
    static WeightFiles open(Path dir) throws IOException {
        Path single = dir.resolve(Checkpoint.WEIGHTS_FILE);
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(single)) {
            WeightFiles files = new WeightFiles(single);
            try {
                files.add(single, null);
            } catch (IOException | RuntimeException e) {
                files.close();
                throw e;
            }
            return files;
        }
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException("no " + Checkpoint.WEIGHTS_FILE + " or " + INDEX_FILE
                    + " in checkpoint directory " + dir);
        }
        JsonNode root = new ObjectMapper().readTree(index.toFile());
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new IllegalArgumentException(index + ": no weight_map");
        }
        Map<String, List<String>> byFile = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = map.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            byFile.computeIfAbsent(e.getValue().asText(), f -> new ArrayList<>()).add(e.getKey());
        }
        WeightFiles files = new WeightFiles(index);
        try {
            for (Map.Entry<String, List<String>> e : byFile.entrySet()) {
                Path shard = dir.resolve(e.getKey()).normalize();
                if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
                    throw new IllegalArgumentException(index + ": shard " + e.getKey() + " (holding tensor "
                            + e.getValue().get(0) + ") is not a file in " + dir);
                }
                files.add(shard, e.getValue());
            }
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
        return files;
    }

    private void add(Path file, List<String> listed) throws IOException {
        SafeTensors.Reader reader = SafeTensors.open(file);
        readers.add(reader);
        if (listed != null) {
            for (String name : listed) {
                if (!reader.tensors().containsKey(name)) {
                    throw new IllegalArgumentException(description + " names tensor " + name + " in " + file
                            + ", which does not hold it");
                }
            }
        }
        for (String name : reader.tensors().keySet()) {
            SafeTensors.Reader previous = byTensor.put(name, reader);
            if (previous != null) {
                throw new IllegalArgumentException("tensor " + name + " appears in both " + fileOf.get(name)
                        + " and " + file);
            }
            fileOf.put(name, file);
        }
    }

    /** The single weights file, or the index of the shards (for error messages about absent tensors). */
    Path description() {
        return description;
    }

    /** Every tensor in the checkpoint with its header entry. */
    Map<String, SafeTensors.TensorInfo> tensors() {
        Map<String, SafeTensors.TensorInfo> out = new LinkedHashMap<>();
        byTensor.forEach((name, reader) -> out.put(name, reader.tensors().get(name)));
        return out;
    }

    /** The file holding {@code name}. */
    Path fileOf(String name) {
        return fileOf.get(name);
    }

    ByteBuffer readFloat32(String name) throws IOException {
        SafeTensors.Reader reader = byTensor.get(name);
        if (reader == null) {
            throw new IllegalArgumentException("tensor " + name + " not found in " + description);
        }
        return reader.readFloat32(name);
    }

    @Override
    public void close() throws IOException {
        for (SafeTensors.Reader r : readers) {
            r.close();
        }
    }
}
