/*
 * Command-line entry point of the edit engine (picocli): world, pretrain, generate.
 * The launcher ./hookline runs this class; System.exit happens only in main.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.infer.Generation;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.train.PretrainPreset;
import dev.hookline.engine.train.Pretrainer;
import dev.hookline.engine.train.PretrainReport;
import dev.hookline.engine.train.PretrainRun;
import dev.hookline.engine.util.GracefulStop;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code hookline <command>}: engine commands. */
@Command(name = "hookline", mixinStandardHelpOptions = true,
        description = "Hookline edit engine: fact worlds, pretraining, inference and editing of GPT-2, GPT-J,"
                + " Llama/Mistral and Qwen2 checkpoints.",
        subcommands = {HooklineCli.World.class, HooklineCli.Pretrain.class, HooklineCli.Generate.class,
            EditCommand.class, BenchCommand.class, ExplainCommand.class, LogitsCommand.class,
            GenerationBenchCommand.class, ScaleCommand.class, ScopeGeometryCommand.class})
public final class HooklineCli implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    DeviceOption device;

    @CommandLine.Mixin
    PrecisionOption precision;

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        configureThreads();
        System.exit(execute(args));
    }

    /**
     * One PyTorch thread unless HOOKLINE_THREADS or the DJL properties say otherwise: on this
     * shared 2-core machine two OpenMP threads ran training steps 5-8x slower than one
     * (docs/BENCHMARKS.md). Must run before the engine starts.
     */
    static void configureThreads() {
        String threads = System.getenv().getOrDefault("HOOKLINE_THREADS", "1");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", threads);
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    /** Every command's --help lists each option's default. */
    private static void showDefaults(CommandLine cli) {
        cli.getCommandSpec().usageMessage().showDefaultValues(true);
        cli.getSubcommands().values().forEach(HooklineCli::showDefaults);
    }

    /** Runs the CLI and returns its exit code (0 success, 2 usage error, 1 failure). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new HooklineCli());
        showDefaults(cli);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("hookline " + line.getCommandName() + ": " + message(e));
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli.execute(args);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command (world, pretrain, generate)");
    }

    /** A usage error unless {@code dir} holds config.json, tokenizer.json and single or sharded weights. */
    static void requireCheckpoint(CommandLine line, Path dir) {
        for (String file : List.of(Checkpoint.CONFIG_FILE, Checkpoint.TOKENIZER_FILE)) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new ParameterException(line, "--model " + dir + " is not a checkpoint directory (no " + file + ")");
            }
        }
        if (!Files.isRegularFile(dir.resolve(Checkpoint.WEIGHTS_FILE))
                && !Files.isRegularFile(dir.resolve(Checkpoint.INDEX_FILE))) {
            throw new ParameterException(line, "--model " + dir + " is not a checkpoint directory (no "
                    + Checkpoint.WEIGHTS_FILE + " or " + Checkpoint.INDEX_FILE + ")");
        }
    }

    static void requirePreset(CommandLine line, String name, List<String> valid, String option) {
        if (!valid.contains(name)) {
            throw new ParameterException(line, "invalid value '" + name + "' for " + option
                    + "; valid: " + String.join(", ", valid));
        }
    }

    /** {@code world --preset tiny|demo --out DIR}. */
    @Command(name = "world", mixinStandardHelpOptions = true,
            description = "Write a fact world (corpus.txt, world.json, counterfact.json, zsre.json, tokenizer.json).")
    static final class World implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--preset", required = true, description = "tiny, demo or large")
        String preset;

        @Option(names = "--seed", description = "root seed of the world (default: the preset's); another seed draws"
                + " another world of the same size")
        Long seed;

        @Option(names = "--out", required = true, description = "output directory")
        Path out;

        @Override
        public Integer call() throws Exception {
            requirePreset(spec.commandLine(), preset, WorldPreset.NAMES, "--preset");
            WorldPreset chosen = WorldPreset.named(preset);
            FactWorld world = FactWorld.generate(seed == null ? chosen : chosen.withSeed(seed));
            Files.createDirectories(out);
            world.writeTo(out);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(Locale.ROOT, "world %s: %d subjects, %d facts, %d corpus lines, seed %d, edit streams dev %d"
                    + " / test %d -> %s%n", preset, world.subjects().size(), world.facts().size(), world.corpus().size(),
                    world.preset().seed(), world.counterFactCases(FactWorld.DEV).size(),
                    world.counterFactCases(FactWorld.TEST).size(), out);
            stdout.flush();
            return 0;
        }
    }

    /** {@code pretrain --world tiny|demo --out DIR [--seed N] [--epochs N]}. */
    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Pretrain a GPT-2 on a fact world and write an HF checkpoint plus pretrain-report.json.")
    static final class Pretrain implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--world", required = true, description = "world preset: tiny or demo")
        String world;

        @Option(names = "--out", required = true, description = "checkpoint directory to write")
        Path out;

        @Option(names = "--seed", defaultValue = "1", description = "seed of initialisation and data order (default 1)")
        long seed;

        @Option(names = "--world-seed", description = "root seed of the world (default: the world preset's); "
                + "--seed stays the model's seed")
        Long worldSeed;

        @Option(names = "--epochs", description = "override the preset's epoch count")
        Integer epochs;

        @Option(names = "--mlp-size", description = "override the preset's MLP width d_ff (n_inner; default 4 d)")
        Integer mlpSize;

        @Option(names = "--init-from", description = "continue training this checkpoint (same world and preset) "
                + "for the given epochs, with a fresh warmup + cosine schedule, instead of a fresh initialisation")
        Path initFrom;

        @Option(names = "--preset", description = "model preset (default: the world's name; demo-wide, demo-xwide: the demo world with d_ff 1536, 4096; demo-d256: d 256, d_ff 1024; demo-d256x: d 256, d_ff 4096)")
        String preset;

        @Option(names = "--resume", description = "continue the interrupted run in --out from its last finished epoch "
                + "(every epoch leaves a snapshot in --out/resume/, removed when the run completes); the other "
                + "options must be those it was started with. A resumed run reaches the same weights as one in one go")
        boolean resume;

        @Override
        public Integer call() throws Exception {
            requirePreset(spec.commandLine(), world, WorldPreset.NAMES, "--world");
            if (epochs != null && epochs < 1) {
                throw new ParameterException(spec.commandLine(), "--epochs must be >= 1, got " + epochs);
            }
            if (mlpSize != null && mlpSize < 1) {
                throw new ParameterException(spec.commandLine(), "--mlp-size must be >= 1, got " + mlpSize);
            }
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new ParameterException(spec.commandLine(), "--out " + out + " exists and is not a directory");
            }
            String presetName = this.preset != null ? this.preset : world;
            requirePreset(spec.commandLine(), presetName, PretrainPreset.NAMES, "--preset");
            PretrainPreset chosen = PretrainPreset.named(presetName);
            if (!chosen.world().equals(world)) {
                throw new ParameterException(spec.commandLine(), "--preset " + presetName + " is trained on the "
                        + chosen.world() + " world, not " + world);
            }
            if (epochs != null) {
                chosen = chosen.withEpochs(epochs);
            }
            if (mlpSize != null) {
                chosen = chosen.withMlpSize(mlpSize);
            }
            if (initFrom != null && !Files.isRegularFile(initFrom.resolve("config.json"))) {
                throw new ParameterException(spec.commandLine(), "--init-from " + initFrom + " is not a checkpoint directory (no config.json)");
            }
            if (resume && !Files.isDirectory(out)) {
                throw new ParameterException(spec.commandLine(), "--resume: " + out + " does not exist; "
                        + "name the --out of the interrupted run");
            }
            boolean fresh = !Files.exists(out);
            Files.createDirectories(out);
            PretrainReport r;
            // Ctrl-C or SIGTERM: stop at the next step and leave native code before the JVM exits
            // (GracefulStop); the last finished epoch's snapshot stays for --resume.
            // The message is printed inside the section: once it closes, a shutting-down JVM exits.
            try (GracefulStop.Section section = GracefulStop.enter()) {
                try {
                    r = PretrainRun.run(world, worldSeed, chosen, seed, out, System.err, initFrom,
                            resume ? PretrainRun.Snapshots.RESUME : PretrainRun.Snapshots.WRITE, GracefulStop::requested);
                } catch (Pretrainer.Stopped stopped) {
                    System.err.println();
                    System.err.printf(Locale.ROOT, "hookline pretrain: stopped at step %d; %s%n", stopped.step(),
                            stopped.at().epochsDone() == 0 ? "no epoch had finished, so there is nothing to resume"
                            : "epochs 1-" + stopped.at().epochsDone() + " are saved in "
                            + out.resolve(PretrainRun.RESUME_DIR) + "; continue with the same command and --resume");
                    System.err.flush();
                    return 130;
                }
            } catch (IllegalArgumentException e) {
                if (fresh) { // leave nothing half-written behind a refused run
                    try (java.util.stream.Stream<Path> walk = Files.walk(out)) {
                        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            PrintWriter stdout = spec.commandLine().getOut();
            if (r.initFrom() != null) {
                stdout.printf(Locale.ROOT, "continued from %s (%d epochs before)%n", r.initFrom(), r.priorEpochs());
            }
            if (r.resumedAfterEpoch() != null) {
                stdout.printf(Locale.ROOT, "resumed after epoch %d of %d%n", r.resumedAfterEpoch(), r.epochs());
            }
            stdout.printf(Locale.ROOT, "pretrained %s: %d params, %d epochs, %.1f s (%.1f CPU s), %.0f tokens/s, loss %.4f%n",
                    world, r.params(), r.epochs(), r.seconds(), r.cpuSeconds(), r.tokensPerSecond(), r.finalLoss());
            stdout.printf(Locale.ROOT, "canonical accuracy %.4f, paraphrase accuracy %.4f, RSS %.0f -> %.0f MB%n",
                    r.canonicalAccuracy(), r.paraphraseAccuracy(), r.rssStartMb(), r.rssEndMb());
            stdout.printf("checkpoint -> %s%n", out);
            stdout.flush();
            return 0;
        }
    }

    /** {@code generate --model DIR --prompt "..." [--max-tokens N]}. */
    @Command(name = "generate", mixinStandardHelpOptions = true, description = "Greedy generation from a checkpoint.")
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true, description = "checkpoint directory")
        Path model;

        @Option(names = "--prompt", required = true, description = "prompt text")
        String prompt;

        @Option(names = "--max-tokens", defaultValue = "16", description = "tokens to generate (default 16)")
        int maxTokens;

        @Override
        public Integer call() throws Exception {
            if (maxTokens < 1) {
                throw new ParameterException(spec.commandLine(), "--max-tokens must be >= 1, got " + maxTokens);
            }
            if (prompt.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--prompt must not be blank");
            }
            requireCheckpoint(spec.commandLine(), model);
            try (LanguageModel lm = LanguageModel.load(model)) {
                Generation g = lm.generate(prompt, maxTokens);
                PrintWriter stdout = spec.commandLine().getOut();
                stdout.println(prompt + (g.completion().startsWith(" ") ? "" : " ") + g.completion());
                stdout.flush();
            }
            return 0;
        }
    }
}
