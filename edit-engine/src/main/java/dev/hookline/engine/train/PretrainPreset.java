/*
 * Model size and optimisation settings for pretraining on a fact world, by preset name.
 * Chosen by measurement on this project's 2-core machine (docs/BENCHMARKS.md).
 */
package dev.hookline.engine.train;

import java.util.List;

/**
 * @param name preset name (matches the world preset it is sized for)
 * @param hiddenSize d
 * @param layers number of blocks
 * @param heads attention heads
 * @param epochs passes over the corpus
 * @param learningRate peak learning rate
 * @param batchSize sequences per step
 * @param warmupFraction share of steps spent in linear warmup
 * @param weightDecay AdamW decoupled weight decay on matrices
 * @param mlpSize MLP width d_ff ({@code n_inner}); GPT-2's default is 4 d
 */
public record PretrainPreset(String name, int hiddenSize, int layers, int heads, int epochs,
        double learningRate, int batchSize, double warmupFraction, double weightDecay, int mlpSize) {

    public static final List<String> NAMES = List.of("tiny", "demo", "demo-wide", "demo-xwide", "demo-d256", "demo-d256x",
            "large", "tiny-llama", "demo-d256x-llama");

    public PretrainPreset {
        if (hiddenSize < 1 || layers < 1 || heads < 1 || hiddenSize % heads != 0 || mlpSize < 1) {
            throw new IllegalArgumentException("preset " + name + ": invalid sizes d=" + hiddenSize
                    + " layers=" + layers + " heads=" + heads + " d_ff=" + mlpSize);
        }
        if (epochs < 1 || batchSize < 1 || learningRate <= 0) {
            throw new IllegalArgumentException("preset " + name + ": epochs, batchSize and learningRate must be > 0");
        }
        if (warmupFraction < 0 || warmupFraction >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("preset " + name + ": warmupFraction in [0, 1), weightDecay >= 0");
        }
    }

    /** The preset for a world preset name. */
    public static PretrainPreset named(String name) {
        return switch (name) {
            // tiny: 1.000 / 1.000 recall after 16 epochs in ~130 s (docs/BENCHMARKS.md)
            case "tiny" -> new PretrainPreset("tiny", 96, 3, 4, 16, 5e-3, 64, 0.05, 0.05, 384);
            // demo: 12.5x the facts of tiny; same shape, bigger batches for throughput
            case "demo" -> new PretrainPreset("demo", 96, 3, 4, 10, 5e-3, 128, 0.05, 0.05, 384);
            // demo-wide: the demo world with a 4x wider MLP (d_ff 1536 = 16 d): the key space
            // CoachHooK edits is d_ff wide, and 1000 edits do not fit in 384 dimensions
            // (docs/BENCHMARKS.md, third session); 2.5x the parameters of demo
            case "demo-wide" -> new PretrainPreset("demo-wide", 96, 3, 4, 10, 5e-3, 128, 0.05, 0.05, 1536);
            // demo-xwide: d_ff 4096, so that 1000 edits fill about a quarter of the key space, the
            // ratio of edits to key dimensions at which the paper edits GPT2-XL (1000-10,000 edits
            // over 5 x 6400 = 32,000 dimensions); about 6x the parameters of demo
            case "demo-xwide" -> new PretrainPreset("demo-xwide", 96, 3, 4, 10, 5e-3, 128, 0.05, 0.05, 4096);
            // demo-d256: the demo world with a 256-wide residual stream (d_ff 1024 = 4 d). Measured:
            // one linear update fits 1000 consecutive edits far better than at d 96 (faithful
            // coachhook 0.899 / 0.816 against 0.792 / 0.639 on demo-wide), but with d_ff 1024 the
            // edited keys fill the key space sooner (docs/BENCHMARKS.md, sixth session)
            case "demo-d256" -> new PretrainPreset("demo-d256", 256, 3, 8, 10, 3e-3, 128, 0.05, 0.05, 1024);
            // demo-d256x: d 256 and d_ff 4096 (7.37 M parameters): the fit of demo-d256 with the key
            // room of demo-xwide. 5 epochs reach only 0.63 recall; 10 (trained here as 5 + 5 with
            // --init-from) reach 1.000 / 1.000 (docs/BENCHMARKS.md, eighth session)
            case "demo-d256x" -> new PretrainPreset("demo-d256x", 256, 3, 8, 10, 3e-3, 128, 0.05, 0.05, 4096);
            // large: the large world (3,600 subjects, 25,200 facts, 21,000 edit cases: 10,000-edit
            // streams) at the demo-d256x shape, d 256, d_ff 4096; 6x demo's facts, bigger batches
            case "large" -> new PretrainPreset("large", 256, 3, 8, 10, 3e-3, 256, 0.05, 0.05, 4096);
            // The same sizes in the Llama architecture (RMSNorm, rotary, GQA with half the heads for
            // keys/values, SwiGLU with d_ff as the hooked key width, tied head): the second architecture
            // of the bench.
            case "tiny-llama" -> new PretrainPreset("tiny-llama", 96, 3, 4, 16, 5e-3, 64, 0.05, 0.05, 384);
            case "demo-d256x-llama" -> new PretrainPreset("demo-d256x-llama", 256, 3, 8, 10, 3e-3, 128, 0.05, 0.05, 4096);
            default -> throw new IllegalArgumentException("unknown pretraining preset '" + name
                    + "'; valid presets: " + String.join(", ", NAMES));
        };
    }

    /** The fact-world preset this model preset is trained on. */
    public String world() {
        return name.startsWith("demo") ? "demo" : name.startsWith("tiny") ? "tiny" : name;
    }

    /** This preset with another epoch count. */
    public PretrainPreset withEpochs(int newEpochs) {
        return new PretrainPreset(name, hiddenSize, layers, heads, newEpochs, learningRate, batchSize,
                warmupFraction, weightDecay, mlpSize);
    }

    /** This preset with another MLP width d_ff. */
    public PretrainPreset withMlpSize(int newMlpSize) {
        return new PretrainPreset(name, hiddenSize, layers, heads, epochs, learningRate, batchSize,
                warmupFraction, weightDecay, newMlpSize);
    }

    /** The architecture the preset trains: Llama for the "-llama" presets, GPT-2 otherwise. */
    public dev.hookline.engine.model.Architecture architecture() {
        return name.endsWith("-llama") ? dev.hookline.engine.model.Architecture.LLAMA
                : dev.hookline.engine.model.Architecture.GPT2;
    }
}
