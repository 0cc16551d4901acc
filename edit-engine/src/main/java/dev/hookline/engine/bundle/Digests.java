/*
 * sha256 digests of files and of a model's parameters (the base-model identity in bundles and
 * statistics caches).
 */
package dev.hookline.engine.bundle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.model.CausalLm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Hex sha256 helpers. */
public final class Digests {
    private Digests() {}

    /** sha256 of a file's bytes, lower-case hex. */
    public static String file(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * sha256 over the model's parameters: for each in checkpoint order, its name and its float32
     * little-endian values. Independent of where the model was loaded from and of the precision it
     * is held in (a model with float16 matrices reports the digest of the values it was built from).
     */
    public static String model(CausalLm model) {
        if (model.fullPrecisionDigest() != null) {
            return model.fullPrecisionDigest();
        }
        MessageDigest md = sha256();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            float[] values = e.getValue().toType(DataType.FLOAT32, false).toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            md.update(b.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
