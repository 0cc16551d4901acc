/*
 * The registry's own safetensors reader (no Quarkus): F16, BF16, F64 and F32 tensors written byte
 * by byte and read back as float32, and malformed files refused with a clear message.
 */
package dev.hookline.registry.governance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    @Test
    void readsHalfBfloatDoubleAndFloat() throws Exception {
        // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001
        // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00; F64: 0.1; F32: 3.25
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[12,20]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},\"__metadata__\":{\"k\":\"v\"}}";
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x7bff).putShort((short) 0x0001);
        data.putShort((short) 0x3f80).putShort((short) 0xbf00);
        data.putDouble(0.1).putFloat(3.25f);
        Path file = write(header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(4, f.entries().size(), "metadata is not a tensor");
            assertArrayEquals(new float[]{1f, -2f, 65504f, 0x1p-24f}, f.readFloats("h"), 0f);
            assertArrayEquals(new float[]{1f, -0.5f}, f.readFloats("b"), 0f);
            assertArrayEquals(new float[]{0.1f}, f.readFloats("d"), 0f);
            assertArrayEquals(new float[]{3.25f}, f.readFloats("f"), 0f);
            assertArrayEquals(new long[]{2, 2}, f.entry("h").shape());
        }
        assertEquals(Float.POSITIVE_INFINITY, SafetensorsFile.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(SafetensorsFile.halfToFloat((short) 0x7e00)));
    }

    @Test
    void refusesMalformedFiles() throws Exception {
        Path shortFile = tmp.resolve("short");
        Files.write(shortFile, new byte[]{1, 2, 3});
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(shortFile));
        IllegalArgumentException offsets = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(
                write("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", new byte[16])));
        assertTrue(offsets.getMessage().contains("data_offsets"), offsets.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(
                write("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8])));
        assertTrue(dtype.getMessage().contains("I64"), dtype.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(write("not json", new byte[0])));
        Path huge = tmp.resolve("huge");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(huge));
    }

    private Path write(String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = Files.createTempFile(tmp, "t", ".safetensors");
        Files.write(p, b.array());
        return p;
    }
}
