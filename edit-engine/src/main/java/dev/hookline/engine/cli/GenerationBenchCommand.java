/*
 * `hookline generation-bench`: greedy decoding speed with the KV cache against rerunning the whole
 * sequence each step, at several numbers of new tokens. Prints figures, asserts nothing about time.
 */
package dev.hookline.engine.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.infer.Decoder;
import dev.hookline.engine.infer.LoadedModels;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.Architecture;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.gptj.GptjConfig;
import dev.hookline.engine.model.gptj.GptjModel;
import dev.hookline.engine.model.llama.LlamaConfig;
import dev.hookline.engine.model.llama.LlamaModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Tokens per second of greedy decoding (eos ignored, so every run produces exactly N tokens),
 * cached and uncached, for a checkpoint ({@code --model}) or a randomly initialised model of an
 * architecture ({@code --random gpt2|gptj|llama}); the two paths' tokens are compared and the
 * result printed.
 */
@Command(name = "generation-bench", mixinStandardHelpOptions = true,
        description = "Greedy decoding tokens/s with and without the KV cache at 8, 32 and 128 new tokens.")
public final class GenerationBenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "checkpoint directory")
    Path model;

    @Option(names = "--random", description = "random model of this architecture instead: gpt2, gptj, llama")
    String random;

    @Option(names = "--hidden", defaultValue = "256", description = "random model: hidden size (default 256)")
    int hidden;

    @Option(names = "--layers", defaultValue = "4", description = "random model: layers (default 4)")
    int layers;

    @Option(names = "--vocab", defaultValue = "4096", description = "random model: vocabulary (default 4096)")
    int vocab;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length in tokens (default 16)")
    int promptTokens;

    @Option(names = "--batch", defaultValue = "1", description = "prompts decoded together (default 1)")
    int batch;

    @Option(names = "--new-tokens", defaultValue = "8,32,128", split = ",", description = "default 8,32,128")
    int[] newTokens;

    @Option(names = "--repeats", defaultValue = "3", description = "timed runs per setting, best kept (default 3)")
    int repeats;

    @Override
    public Integer call() throws Exception {
        CommandLine line = spec.commandLine();
        if ((model == null) == (random == null)) {
            throw new ParameterException(line, "give exactly one of --model and --random");
        }
        if (promptTokens < 1 || batch < 1 || repeats < 1 || Arrays.stream(newTokens).anyMatch(n -> n < 1)) {
            throw new ParameterException(line, "--prompt-tokens, --batch, --repeats and --new-tokens must be >= 1");
        }
        int longest = promptTokens + Arrays.stream(newTokens).max().orElse(0);
        PrintWriter out = line.getOut();
        // A checkpoint is the process's shared load (read-only here); a random model is this command's own.
        try (LoadedModels.Lease lease = model != null
                ? LoadedModels.shared().acquire(model, Engine.getInstance().defaultDevice(), DataType.FLOAT32) : null;
                CausalLm own = model != null ? null : randomModel(line, longest)) {
            CausalLm lm = lease != null ? lease.model() : own;
            if (longest > lm.config().maxPositions()) {
                throw new ParameterException(line, "prompt + new tokens (" + longest + ") exceed the model's "
                        + lm.config().maxPositions() + " positions");
            }
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int[] p = new int[promptTokens];
                for (int t = 0; t < promptTokens; t++) {
                    p[t] = 1 + (31 * t + 7 * b) % (lm.config().vocabSize() - 1);
                }
                prompts.add(p);
            }
            Decoder cached = new Decoder(lm, ForwardOptions.defaults(), true);
            Decoder full = new Decoder(lm, ForwardOptions.defaults(), false);
            cached.greedy(prompts, 4, -1); // warm-up
            full.greedy(prompts, 4, -1);
            out.printf(Locale.ROOT, "%s d=%d layers=%d V=%d, prompt %d tokens, batch %d, %s, PyTorch threads %s%n",
                    lm.architecture().modelType(), lm.config().hiddenSize(), lm.config().layerCount(),
                    lm.config().vocabSize(), promptTokens, batch, lm.device(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default"));
            out.printf(Locale.ROOT, "%10s %14s %14s %8s %12s%n", "new tokens", "cached tok/s", "full tok/s", "speedup",
                    "same tokens");
            for (int n : newTokens) {
                double bestCached = Double.MAX_VALUE;
                double bestFull = Double.MAX_VALUE;
                List<int[]> a = null;
                List<int[]> b = null;
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    a = cached.greedy(prompts, n, -1);
                    long t1 = System.nanoTime();
                    b = full.greedy(prompts, n, -1);
                    long t2 = System.nanoTime();
                    bestCached = Math.min(bestCached, (t1 - t0) / 1e9);
                    bestFull = Math.min(bestFull, (t2 - t1) / 1e9);
                }
                boolean same = true;
                for (int i = 0; i < a.size(); i++) {
                    same &= Arrays.equals(a.get(i), b.get(i));
                }
                double tokens = (double) n * batch;
                out.printf(Locale.ROOT, "%10d %14.1f %14.1f %7.2fx %12s%n", n, tokens / bestCached, tokens / bestFull,
                        bestFull / bestCached, same ? "yes" : "NO");
            }
            out.flush();
        }
        return 0;
    }

    private CausalLm randomModel(CommandLine line, int positions) throws java.io.IOException {
        Architecture a;
        try {
            a = Architecture.fromModelType(random);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(line, "--random: " + e.getMessage());
        }
        int heads = Math.max(1, hidden / 64);
        var device = Engine.getInstance().defaultDevice();
        return switch (a.family()) {
            case "gpt2" -> Gpt2Model.randomInit(Gpt2Config.of(vocab, positions, hidden, layers, heads, 0, 0), 1,
                    device, DataType.FLOAT32);
            case "gptj" -> GptjModel.randomInit(new GptjConfig(vocab, positions, hidden, layers, heads,
                    Math.min(64, hidden / heads), 4 * hidden, "gelu_new", 1e-5, 0, 0), 1, device, DataType.FLOAT32);
            default -> LlamaModel.randomInit(LlamaConfig.llama(vocab, positions, hidden, layers, heads,
                    Math.max(1, heads / 2), 8 * hidden / 3, false, 0, 0), 1, device, DataType.FLOAT32);
        };
    }
}
