/*
 * Safetensors files with float32 and float64 tensors, read back bit-exactly.
 * Reference: https://github.com/huggingface/safetensors (8-byte little-endian header length, JSON
 * header with dtype/shape/data_offsets and __metadata__, little-endian data). Part 1's
 * dev.hookline.engine.io.SafeTensors writes F32 only and reads everything as float32; hook state
 * needs C_accu in float64, so this writer/reader keeps the dtype.
 */
package dev.hookline.engine.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads and writes F32/F64 safetensors files; values travel as double[] (exact for both). */
public final class TensorFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TensorFile() {}

    /**
     * One tensor.
     *
     * @param name tensor name
     * @param dtype "F32" or "F64"
     * @param shape the shape
     * @param data row-major values (F32 tensors are rounded to float on write)
     */
    public record Tensor(String name, String dtype, long[] shape, double[] data) {
        public Tensor {
            if (!dtype.equals("F32") && !dtype.equals("F64")) {
                throw new IllegalArgumentException("tensor " + name + ": dtype must be F32 or F64, got " + dtype);
            }
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                        + " needs " + n + " values, got " + data.length);
            }
        }

        /** A float32 tensor from float values. */
        public static Tensor f32(String name, long[] shape, float[] values) {
            double[] d = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                d[i] = values[i];
            }
            return new Tensor(name, "F32", shape, d);
        }
    }

    /** Contents of a file: tensors by name (file order) and metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** The tensor called {@code name}; a clear error if absent. */
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("tensor " + name + " missing; have " + tensors.keySet());
            }
            return t;
        }
    }

    /** Largest tensor file this class writes or reads (one Java byte array). */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Writes atomically (temp file + move); metadata keys are written sorted for stable bytes. A file
     * above {@link #MAX_FILE_BYTES} is refused before anything is written.
     */

    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", t.dtype());
            var shape = e.putArray("shape");
            for (long s : t.shape()) {
                shape.add(s);
            }
            long bytes = (long) width(t.dtype()) * t.data().length;
            e.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        if (8L + padded + offset > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file.getFileName() + " would hold " + (8L + padded + offset)
                    + " bytes; tensor files are read whole and limited to " + MAX_FILE_BYTES + " bytes");
        }
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors) {
                    boolean f64 = t.dtype().equals("F64");
                    for (double v : t.data()) {
                        if (chunk.remaining() < 8) {
                            out.write(chunk.array(), 0, chunk.position());
                            chunk.clear();
                        }
                        if (f64) {
                            chunk.putDouble(v);
                        } else {
                            chunk.putFloat((float) v);
                        }
                    }
                }
                out.write(chunk.array(), 0, chunk.position());
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads every tensor of a file (F32 and F64 only). */
    public static Contents read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + " has " + Files.size(file) + " bytes; tensor files are read whole"
                    + " and limited to " + MAX_FILE_BYTES + " bytes");
        }
        byte[] all = Files.readAllBytes(file);
        if (all.length < 8) {
            throw new IllegalArgumentException(file + ": too short for a safetensors file");
        }
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        if (headerLength <= 0 || 8 + headerLength > all.length) {
            throw new IllegalArgumentException(file + ": invalid safetensors header length " + headerLength);
        }
        JsonNode header = JSON.readTree(new String(all, 8, (int) headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + (int) headerLength;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getKey().equals("__metadata__")) {
                f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode node = f.getValue();
            String dtype = node.path("dtype").asText();
            JsonNode shapeNode = node.path("shape");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
                count *= shape[i];
            }
            long begin = node.path("data_offsets").path(0).asLong();
            long end = node.path("data_offsets").path(1).asLong();
            int w = width(dtype);
            if (end - begin != count * w || dataStart + end > all.length || begin < 0) {
                throw new IllegalArgumentException(file + ": tensor " + f.getKey() + " has inconsistent offsets");
            }
            double[] data = new double[(int) count];
            int pos = dataStart + (int) begin;
            for (int i = 0; i < count; i++) {
                data[i] = w == 8 ? buf.getDouble(pos + 8 * i) : buf.getFloat(pos + 4 * i);
            }
            tensors.put(f.getKey(), new Tensor(f.getKey(), dtype, shape, data));
        }
        return new Contents(tensors, metadata);
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F64" -> 8;
            case "F32" -> 4;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype + " (F32 or F64 only)");
        };
    }
}
