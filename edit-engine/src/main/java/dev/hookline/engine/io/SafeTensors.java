/*
 * Reader and writer for the safetensors format.
 * Reference: https://github.com/huggingface/safetensors (format section): 8-byte little-endian
 * header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, ...,
 * "__metadata__": {str: str}}, then the little-endian tensor bytes; offsets are relative to the
 * end of the header. Written here because DJL 0.36's NDList SAFETENSORS encoding writes no
 * "__metadata__" (transformers expects {"format": "pt"}) and does not pad the header.
 */
package dev.hookline.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Safetensors file access: header parsing, float conversion on read, F32 writing. */
public final class SafeTensors {

    /** Header larger than this is rejected (the reference implementation uses 100 MB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /**
     * One tensor's header entry.
     *
     * @param name tensor name
     * @param dtype safetensors dtype string (F32, F16, BF16, F64, I64, BOOL, ...)
     * @param shape tensor shape (empty for a scalar)
     * @param begin first byte, relative to the data section
     * @param end one past the last byte, relative to the data section
     */
    public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        /** Number of elements, the product of the shape. */
        public long elementCount() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    /**
     * A float32 tensor to write.
     *
     * @param name tensor name
     * @param shape tensor shape
     * @param data row-major values, {@code product(shape)} of them
     */
    public record FloatTensor(String name, long[] shape, float[] data) {
        public FloatTensor {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("tensor " + name + ": shape "
                        + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
            }
        }
    }

    /** An open safetensors file; tensors are read on demand. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, TensorInfo> tensors;
        private final Map<String, String> metadata;

        private Reader(Path file, FileChannel channel, long dataStart,
                Map<String, TensorInfo> tensors, Map<String, String> metadata) {
            this.file = file;
            this.channel = channel;
            this.dataStart = dataStart;
            this.tensors = tensors;
            this.metadata = metadata;
        }

        /** Tensor entries in header order. */
        public Map<String, TensorInfo> tensors() {
            return Collections.unmodifiableMap(tensors);
        }

        /** The {@code __metadata__} map (empty if absent). */
        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        /**
         * Reads a floating-point tensor as float32 values in a fresh, writable, direct
         * little-endian buffer (F16, BF16 and F64 are converted).
         */
        public ByteBuffer readFloat32(String name) throws IOException {
            TensorInfo info = info(name);
            long count = info.elementCount();
            int width = dtypeWidth(info.dtype());
            if (count * 4 > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor " + name + " is too large: " + count);
            }
            ByteBuffer raw = readRaw(info, count * width);
            ByteBuffer out = ByteBuffer.allocateDirect((int) (count * 4)).order(ByteOrder.LITTLE_ENDIAN);
            switch (info.dtype()) {
                case "F32" -> out.put(raw);
                case "F64" -> {
                    while (raw.hasRemaining()) {
                        out.putFloat((float) raw.getDouble());
                    }
                }
                case "F16" -> {
                    while (raw.hasRemaining()) {
                        out.putFloat(halfToFloat(raw.getShort()));
                    }
                }
                case "BF16" -> {
                    while (raw.hasRemaining()) {
                        out.putFloat(Float.intBitsToFloat((raw.getShort() & 0xffff) << 16));
                    }
                }
                default -> throw new IllegalArgumentException("tensor " + name + " in " + file
                        + " has dtype " + info.dtype() + "; only F32, F16, BF16 and F64 are supported");
            }
            out.flip();
            return out;
        }

        /** Reads a floating-point tensor into a Java array (converted to float32). */
        public float[] readFloats(String name) throws IOException {
            ByteBuffer buffer = readFloat32(name);
            float[] values = new float[buffer.remaining() / 4];
            buffer.asFloatBuffer().get(values);
            return values;
        }

        private TensorInfo info(String name) {
            TensorInfo info = tensors.get(name);
            if (info == null) {
                throw new IllegalArgumentException("tensor " + name + " not found in " + file);
            }
            return info;
        }

        private ByteBuffer readRaw(TensorInfo info, long expectedBytes) throws IOException {
            long length = info.end() - info.begin();
            if (length != expectedBytes) {
                throw new IllegalArgumentException("tensor " + info.name() + " in " + file + ": "
                        + length + " bytes for shape " + Arrays.toString(info.shape()) + " and dtype "
                        + info.dtype() + ", expected " + expectedBytes);
            }
            ByteBuffer raw = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
            long position = dataStart + info.begin();
            while (raw.hasRemaining()) {
                int n = channel.read(raw, position);
                if (n < 0) {
                    throw new IOException(file + ": unexpected end of file in tensor " + info.name());
                }
                position += n;
            }
            raw.flip();
            return raw;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Opens a safetensors file and validates its header against the file size. */
    public static Reader open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw new IllegalArgumentException(file + ": too short for a safetensors file");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
                throw new IllegalArgumentException(file + ": invalid safetensors header length "
                        + headerLength + " for a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            channel.read(headerBytes, 8);
            JsonNode header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            if (header == null || !header.isObject()) {
                throw new IllegalArgumentException(file + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("__metadata__")) {
                    field.getValue().fields().forEachRemaining(
                            m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(field.getKey(), parseInfo(file, field.getKey(), field.getValue(), dataSize));
            }
            return new Reader(file, channel, dataStart, tensors, metadata);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static TensorInfo parseInfo(Path file, String name, JsonNode node, long dataSize) {
        JsonNode offsets = node.get("data_offsets");
        JsonNode shapeNode = node.get("shape");
        if (!node.hasNonNull("dtype") || shapeNode == null || !shapeNode.isArray()
                || offsets == null || offsets.size() != 2) {
            throw new IllegalArgumentException(file + ": malformed header entry for tensor " + name);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw new IllegalArgumentException(file + ": tensor " + name + " has offsets [" + begin
                    + ", " + end + "] outside the data section of " + dataSize + " bytes");
        }
        return new TensorInfo(name, node.get("dtype").asText(), shape, begin, end);
    }

    /**
     * Writes float32 tensors, in the given order, with {@code metadata} as {@code __metadata__}.
     * The header is space-padded to a multiple of 8 bytes as the reference writer does. The file
     * is written next to the target and moved into place, so a failure leaves no partial file.
     */
    public static void write(Path file, List<FloatTensor> tensors, Map<String, String> metadata)
            throws IOException {
        write(file, tensors, metadata, "F32");
    }

    /**
     * As {@link #write(Path, List, Map)}, storing every tensor as {@code dtype}: F32, or BF16
     * (rounded to nearest even, as torch's float32-to-bfloat16 conversion).
     */
    public static void write(Path file, List<FloatTensor> tensors, Map<String, String> metadata, String dtype)
            throws IOException {
        if (!dtype.equals("F32") && !dtype.equals("BF16")) {
            throw new IllegalArgumentException("writer dtype must be F32 or BF16, got " + dtype);
        }
        int width = dtypeWidth(dtype);
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (FloatTensor tensor : tensors) {
            if (header.has(tensor.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + tensor.name());
            }
            ObjectNode entry = header.putObject(tensor.name());
            entry.put("dtype", dtype);
            var shape = entry.putArray("shape");
            for (long s : tensor.shape()) {
                shape.add(s);
            }
            long bytes = (long) width * tensor.data().length;
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(padded);
                out.write(length.array());
                out.write(headerBytes);
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (FloatTensor tensor : tensors) {
                    for (float v : tensor.data()) {
                        if (!chunk.hasRemaining()) {
                            out.write(chunk.array(), 0, chunk.position());
                            chunk.clear();
                        }
                        if (width == 4) {
                            chunk.putFloat(v);
                        } else {
                            chunk.putShort(floatToBfloat16(v));
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

    /** float32 to bfloat16 bits, round to nearest even (NaN stays NaN). */
    static short floatToBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Dtypes the reader converts to float32. */
    public static final java.util.Set<String> FLOAT_DTYPES = java.util.Set.of("F32", "F16", "BF16", "F64");

    static int dtypeWidth(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> throw new IllegalArgumentException("unknown safetensors dtype " + dtype);
        };
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat arrives only in Java 20). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa / 1024f / 16384f;
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
