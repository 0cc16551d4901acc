/*
 * Small deterministic GPT-2 checkpoints for tests, with weights large enough that every
 * component (attention pattern, LayerNorm gains, biases) visibly shapes the logits.
 */
package dev.hookline.engine.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

public final class MicroModels {
    private MicroModels() {}

    /** V 23, P 16, d 8, 2 layers, 2 heads, d_ff 24 (not 4 d, so n_inner is exercised). */
    public static Gpt2Config config() {
        return new Gpt2Config(23, 16, 8, 2, 2, 24, "gelu_new", 1e-5, true, 0, 0);
    }

    /** A micro model with seeded weights of unit-ish scale. */
    public static Gpt2Model create(long seed, DataType type) throws IOException {
        Random random = new Random(seed);
        return Gpt2Model.create(config(), (name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) (4 * n)).order(ByteOrder.nativeOrder());
            boolean gain = name.matches(".*ln_(1|2|f)\\.weight");
            for (long i = 0; i < n; i++) {
                double g = random.nextGaussian();
                out.putFloat((float) (gain ? 1 + 0.2 * g : name.endsWith(".bias") ? 0.1 * g : 0.4 * g));
            }
            out.flip();
            return out;
        }, Engine.getInstance().defaultDevice(), type);
    }

    /** Writes a micro checkpoint (config.json + model.safetensors) into {@code dir}. */
    public static Path write(long seed, Path dir) throws IOException {
        try (Gpt2Model model = create(seed, DataType.FLOAT32)) {
            Checkpoint.save(model, dir);
        }
        return dir;
    }
}
