/*
 * Shared fixtures of the editing tests: the tiny fact world on disk, an untrained GPT-2 over its
 * vocabulary (for algebra and hook mechanics), and the pretrained tiny model (pretrained once per
 * machine into the shared PretrainedModels cache, copied under target/ because the CLI writes its
 * statistics cache next to the checkpoint).
 */
package dev.hookline.engine.edit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.train.PretrainPreset;
import dev.hookline.engine.train.PretrainedModels;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

public final class EditFixtures {
    private static final Path ROOT = Path.of("target", "hookline-test-fixtures").toAbsolutePath();
    private static Path worldDir;
    private static Path tinyModel;

    private EditFixtures() {}

    /** The tiny world's files (counterfact.json, corpus.txt, tokenizer.json, ...). */
    public static synchronized Path tinyWorld() {
        if (worldDir == null) {
            Path dir = ROOT.resolve("world-tiny");
            try {
                if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                    FactWorld.generate(WorldPreset.named("tiny")).writeTo(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            worldDir = dir;
        }
        return worldDir;
    }

    public static TextTokenizer tokenizer() throws IOException {
        return TextTokenizer.load(tinyWorld().resolve("tokenizer.json"));
    }

    public static List<EditRequest> requests() {
        return FactWorld.generate(WorldPreset.named("tiny")).editRequests();
    }

    public static List<String> corpus() throws IOException {
        return Files.readAllLines(tinyWorld().resolve("corpus.txt"));
    }

    /**
     * An untrained model over the tiny vocabulary (d 32, 3 layers, d_ff 64) with unit-scale
     * weights (GPT-2's 0.02 init gives near-uniform logits, useless for checking edits).
     */
    public static Gpt2Model untrained(long seed) throws IOException {
        return untrained(seed, Engine.getInstance().defaultDevice());
    }

    /** {@link #untrained(long)} on {@code device} (same values on every device). */
    public static Gpt2Model untrained(long seed, ai.djl.Device device) throws IOException {
        Gpt2Config config = new Gpt2Config(vocabSize(), 64, 32, 3, 2, 64, "gelu_new", 1e-5, true, 0, 0);
        Random random = new Random(seed);
        return Gpt2Model.create(config, (name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) (4 * n)).order(ByteOrder.nativeOrder());
            boolean gain = name.matches(".*ln_(1|2|f)\\.weight");
            double scale = name.contains("wte") || name.contains("wpe") ? 0.5 : 1.0 / Math.sqrt(shape[0]);
            for (long i = 0; i < n; i++) {
                double g = random.nextGaussian();
                out.putFloat((float) (gain ? 1 + 0.1 * g : name.endsWith(".bias") ? 0.05 * g : scale * g));
            }
            out.flip();
            return out;
        }, device, DataType.FLOAT32);
    }

    private static int vocabSize() {
        return FactWorld.generate(WorldPreset.named("tiny")).tokenizer().vocabSize();
    }

    /**
     * The tiny model pretrained on the tiny world (preset "tiny", converged; {@code
     * -Dhookline.test.epochs=N} picks another epoch count), from the machine's PretrainedModels
     * cache, copied to target/ once per checkout and cache key so tests may write next to it.
     */
    public static synchronized Path pretrainedTiny() throws IOException {
        if (tinyModel == null) {
            PretrainPreset preset = PretrainPreset.named("tiny");
            Integer epochs = Integer.getInteger("hookline.test.epochs");
            if (epochs != null) {
                preset = preset.withEpochs(epochs);
            }
            Path cached = PretrainedModels.pretrained(preset, 1L);
            Path dir = ROOT.resolve("model-" + PretrainedModels.key(preset, 1L));
            if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
                Path tmp = ROOT.resolve(dir.getFileName() + ".copying-" + ProcessHandle.current().pid());
                try (Stream<Path> files = Files.walk(cached)) {
                    for (Path p : (Iterable<Path>) files::iterator) {
                        Path to = tmp.resolve(cached.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
            tinyModel = dir;
        }
        return tinyModel;
    }
}
