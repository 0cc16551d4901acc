/*
 * A safetensors file read tensor by tensor, for the registry's own version diffs: the registry must
 * not depend on the edit engine, so this is a reader of its own.
 * Reference: https://github.com/huggingface/safetensors (8-byte little-endian header length, JSON
 * header of {name: {dtype, shape, data_offsets}} plus "__metadata__", then the raw little-endian
 * data, offsets relative to the end of the header). Hook bundles write F32 deltas and F64 alphas
 * (edit-engine bundle/HookBundle, TensorFile); F16 and BF16 are read too.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An open safetensors file: the header is parsed once, each tensor is read on request into a
 * {@code float[]} (one tensor in memory at a time is the caller's choice). Malformed files fail
 * with {@link IllegalArgumentException} naming what is wrong.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest JSON header read (the format's own reference limit is 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One tensor's header entry.
     *
     * @param name  tensor name
     * @param dtype F32, F64, F16 or BF16
     * @param shape dimensions
     * @param begin first byte, relative to the data section
     * @param end   one past the last byte, relative to the data section
     */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        /** Number of values. */
        public long count() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;

    private SafetensorsFile(FileChannel channel, long dataStart, Map<String, Entry> entries) {
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    /** Opens and checks the header of {@code file}; the caller closes it. */
    public static SafetensorsFile open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException("too short for a safetensors file (" + size + " bytes)");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLength = len.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
                throw new IllegalArgumentException("invalid safetensors header length " + headerLength
                        + " in a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(ch, headerBytes, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException("safetensors header is not JSON: " + e.getMessage());
            }
            if (header == null || !header.isObject()) {
                throw new IllegalArgumentException("safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (f.getKey().equals("__metadata__")) {
                    continue;
                }
                entries.put(f.getKey(), entry(f.getKey(), f.getValue(), dataSize));
            }
            return new SafetensorsFile(ch, dataStart, Collections.unmodifiableMap(entries));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Entry entry(String name, JsonNode node, long dataSize) {
        String dtype = node.path("dtype").asText("");
        int width = width(name, dtype);
        JsonNode shapeNode = node.path("shape");
        JsonNode offsets = node.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new IllegalArgumentException("tensor " + name + ": header entry needs a shape and two data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0 || (shape[i] > 0 && count > Long.MAX_VALUE / 16 / shape[i])) {
                throw new IllegalArgumentException("tensor " + name + ": invalid shape " + shapeNode);
            }
            count *= shape[i];
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize || end - begin != count * width) {
            throw new IllegalArgumentException("tensor " + name + ": data_offsets [" + begin + ", " + end
                    + "] do not hold " + count + " " + dtype + " values inside " + dataSize + " data bytes");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static int width(String name, String dtype) {
        return switch (dtype) {
            case "F64" -> 8;
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype
                    + " is not a float type this registry reads (F32, F64, F16, BF16)");
        };
    }

    /** Header entries by name, in file order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The entry called {@code name}, or null. */
    public Entry entry(String name) {
        return entries.get(name);
    }

    /**
     * Reads one tensor as float32 values, row-major (F64 values are rounded to float; the diff works
     * in float32 like the stored deltas). Read in 1 MiB chunks: memory is the result plus one chunk.
     */
    public float[] readFloats(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("tensor " + name + " missing; have " + entries.keySet());
        }
        long count = e.count();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + name + " has " + count + " values, more than one array holds");
        }
        float[] out = new float[(int) count];
        int width = width(name, e.dtype());
        int perChunk = (1 << 20) / width;
        ByteBuffer chunk = ByteBuffer.allocate(perChunk * width).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + e.begin();
        int i = 0;
        while (i < out.length) {
            int n = Math.min(perChunk, out.length - i);
            chunk.clear().limit(n * width);
            readFully(channel, chunk, pos);
            pos += (long) n * width;
            for (int k = 0; k < n; k++, i++) {
                out[i] = switch (e.dtype()) {
                    case "F32" -> chunk.getFloat(k * 4);
                    case "F64" -> (float) chunk.getDouble(k * 8);
                    case "BF16" -> Float.intBitsToFloat((chunk.getShort(k * 2) & 0xffff) << 16);
                    default -> halfToFloat(chunk.getShort(k * 2));
                };
            }
        }
        return out;
    }

    /** IEEE 754 binary16 to float (subnormals, infinities and NaN included). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IllegalArgumentException("safetensors file ends early at byte " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile" + Arrays.toString(entries.keySet().toArray());
    }
}
