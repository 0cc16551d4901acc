/*
 * `hookline worker ...`: the editor worker daemon and its operator commands (picocli).
 *   worker [run] --registry URL --token T      lease and compute edit jobs until stopped
 *   worker register-model --dir D --name N [--corpus F]  upload + register a checkpoint, attach statistics
 *   worker build-model --preset demo --name N --dir D   pretrain (progress in the registry) + register
 *   worker gc [--delete] [--min-age-seconds S] list / remove unreferenced blobs
 *   worker run-local --model D [--parent B] --cases F --edits N --out O   a job's compute from local files
 */
package dev.hookline.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.worker.BlobGc;
import dev.hookline.worker.EditorWorker;
import dev.hookline.worker.ModelBuild;
import dev.hookline.worker.ModelOnboarding;
import dev.hookline.worker.WorkerConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the worker process. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Hookline editor worker: leases edit jobs from the registry and computes hook versions.",
        subcommands = {WorkerCli.Run.class, WorkerCli.RegisterModel.class, WorkerCli.BuildModel.class, WorkerCli.Gc.class,
            RunLocal.class})
public final class WorkerCli implements Callable<Integer> {

    @Mixin
    Registry registry;

    @Mixin
    RunOptions run;

    @Mixin
    dev.hookline.engine.cli.DeviceOption device;

    @Mixin
    dev.hookline.engine.cli.PrecisionOption precision;

    /** Without a subcommand the worker runs. */
    @Override
    public Integer call() throws Exception {
        return run.execute(registry);
    }

    public static void main(String[] args) {
        configureThreads();
        if (System.getProperty("org.slf4j.simpleLogger.showDateTime") == null) {
            System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
            System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        }
        System.exit(execute(args));
    }

    /** Every command's --help lists each option's default. */
    private static void showDefaults(CommandLine cli) {
        cli.getCommandSpec().usageMessage().showDefaultValues(true);
        cli.getSubcommands().values().forEach(WorkerCli::showDefaults);
    }

    /** Runs the CLI; 0 success, 2 usage error, 1 failure. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new WorkerCli());
        showDefaults(cli);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            line.getErr().println("hookline worker: " + msg);
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli.execute(args);
    }

    /** One PyTorch thread unless HOOKLINE_THREADS says otherwise (see HooklineCli). */
    static void configureThreads() {
        String threads = System.getenv().getOrDefault("HOOKLINE_THREADS", "1");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", threads);
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    /** Registry URL and token. */
    static final class Registry {
        @Option(names = "--registry", defaultValue = "${env:HOOKLINE_REGISTRY:-http://localhost:8080}",
                description = "registry URL (default $HOOKLINE_REGISTRY or http://localhost:8080)")
        URI url;

        @Option(names = "--token", defaultValue = "${env:HOOKLINE_TOKEN}",
                description = "bearer token (default $HOOKLINE_TOKEN)")
        String token;

        @Option(names = "--token-file", description = "read the token from this file")
        Path tokenFile;

        String token() throws java.io.IOException {
            if (tokenFile != null) {
                return Files.readString(tokenFile).strip();
            }
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("a token is required: --token, --token-file or $HOOKLINE_TOKEN");
            }
            return token;
        }

        RegistryClient client() throws java.io.IOException {
            return new RegistryClient(url, token());
        }
    }

    /** Daemon options. */
    static final class RunOptions {
        @Option(names = "--name", description = "worker name (default host-pid)")
        String name;

        @Option(names = "--cache", description = "cache directory (default ~/.hookline/worker)")
        Path cache;

        @Option(names = "--cache-limit", defaultValue = "10G", description = "blob cache size limit, e.g. 500M, 10G")
        String cacheLimit;

        @Option(names = "--lease-seconds", defaultValue = "60", description = "lease length (default 60)")
        int leaseSeconds;

        @Option(names = "--heartbeat-seconds", description = "heartbeat interval (default lease/6)")
        Double heartbeatSeconds;

        @Option(names = "--poll-seconds", defaultValue = "2", description = "wait between lease attempts when idle")
        double pollSeconds;

        @Option(names = "--model", description = "only lease jobs of this model id")
        Long modelId;

        @Option(names = "--regression-sample", defaultValue = "200",
                description = "re-evaluate at most this many earlier edits of the branch")
        int regressionSample;

        @Option(names = "--metrics-port", defaultValue = "-1", description = "Prometheus /metrics port (0 = free, -1 = off)")
        int metricsPort;

        @Option(names = "--shutdown-grace-seconds", defaultValue = "30",
                description = "on SIGTERM, let a running job finish this long before releasing its lease")
        int grace;

        @Option(names = "--outage-report-seconds", defaultValue = "60",
                description = "while the registry cannot be reached: the first failure is logged at once, then a "
                        + "WARN with the failure count at most this often (default 60)")
        int outageReportSeconds;

        @Option(names = "--once", description = "lease and run at most one job, then exit")
        boolean once;

        WorkerConfig config(Registry registry) throws java.io.IOException {
            WorkerConfig.Builder b = WorkerConfig.builder(registry.url, registry.token())
                    .cacheLimitBytes(parseSize(cacheLimit)).leaseSeconds(leaseSeconds)
                    .heartbeat(Duration.ofMillis(Math.round(1000 * (heartbeatSeconds != null ? heartbeatSeconds
                            : leaseSeconds / 6.0))))
                    .poll(Duration.ofMillis(Math.round(pollSeconds * 1000))).modelId(modelId)
                    .regressionSample(regressionSample).metricsPort(metricsPort).shutdownGrace(Duration.ofSeconds(grace))
                    .outageReport(Duration.ofSeconds(outageReportSeconds));
            if (name != null) {
                b.name(name);
            }
            if (cache != null) {
                b.cacheDir(cache);
            }
            return b.build();
        }

        int execute(Registry registry) throws Exception {
            WorkerConfig config = config(registry);
            EditorWorker worker = EditorWorker.create(config);
            if (once) {
                EditorWorker.Result r = worker.runOnce();
                System.out.println("worker " + config.name() + ": " + r.name().toLowerCase(Locale.ROOT));
                worker.close();
                return r == EditorWorker.Result.FAILED ? 1 : 0;
            }
            CountDownLatch done = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                worker.close();
                done.countDown();
            }, "worker-shutdown"));
            worker.start();
            done.await();
            return 0;
        }
    }

    /** Parses 500M / 10G / 1048576. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("K")) {
            mult = 1L << 10;
        } else if (t.endsWith("M")) {
            mult = 1L << 20;
        } else if (t.endsWith("G")) {
            mult = 1L << 30;
        }
        try {
            return Long.parseLong(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--cache-limit must be a size like 500M or 10G, got '" + s + "'");
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Lease and compute edit jobs until stopped.")
    static final class Run implements Callable<Integer> {
        @Mixin
        Registry registry;

        @Mixin
        RunOptions run;

        @Override
        public Integer call() throws Exception {
            return run.execute(registry);
        }
    }

    @Command(name = "register-model", mixinStandardHelpOptions = true,
            description = "Upload a checkpoint directory, register it, compute and attach its key statistics (ADMIN token).")
    static final class RegisterModel implements Callable<Integer> {
        @Mixin
        Registry registry;

        @Option(names = "--dir", required = true, description = "checkpoint directory (config.json, model.safetensors "
                + "or a sharded index, tokenizer.json; world/corpus.txt unless --corpus)")
        Path dir;

        @Option(names = "--name", required = true, description = "model name in the registry")
        String name;

        @Option(names = "--layers", description = "layers to compute statistics for (default: the model's last block, "
                + "the editor's default editing layer; layer 2 for the 3-block presets)")
        String layers;

        @Option(names = "--stats-lines",
                description = "corpus texts sampled for C0, the first N non-blank ones (default max(1000, ceil(5 d_ff / 2)))")
        Integer statsLines;

        @Option(names = "--corpus", description = "corpus for the key statistics C0 of this model's edits: plain text "
                + "(one text per line) or JSON lines with a string \"text\" (default: DIR/world/corpus.txt or DIR/corpus.txt)")
        Path corpus;

        @Option(names = "--edit-default", paramLabel = "METHOD.KEY=VALUE", description = "register the model with this "
                + "edit default (repeatable), e.g. codebook-nearest.alpha0=0.2: the threshold chosen on your dev set; "
                + "batches on the model take it where they name none (docs/API.md, model edit defaults)")
        java.util.List<String> editDefaults = new java.util.ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("not a directory: " + dir);
            }
            var defaults = dev.hookline.client.RegistryClient.json().createObjectNode();
            for (String d : editDefaults) {
                ModelOnboarding.parseEditDefault(d, defaults);
            }
            JsonNode m = new ModelOnboarding(registry.client()).register(name, dir,
                    layers != null ? ModelOnboarding.parseLayers(layers) : null,
                    ModelOnboarding.statisticsLinesOption(statsLines, "--stats-lines"), corpus, defaults);
            System.out.println("model " + m.path("name").asText() + " id " + m.path("id").asLong() + " status "
                    + m.path("status").asText() + " (" + m.path("stats").size() + " statistics blobs)");
            return 0;
        }
    }

    @Command(name = "build-model", mixinStandardHelpOptions = true,
            description = "Pretrain a fact-world model (progress shown in the registry) and register it, once (ADMIN token).")
    static final class BuildModel implements Callable<Integer> {
        @Mixin
        Registry registry;

        @Option(names = "--preset", defaultValue = "demo", description = "tiny or demo (default demo, ~25 min on 2 cores)")
        String preset;

        @Option(names = "--name", description = "model name (default <preset>-world)")
        String name;

        @Option(names = "--dir", required = true, description = "where the checkpoint is written (kept for restarts)")
        Path dir;

        @Option(names = "--layers", description = "layers to compute statistics for (default: the model's last block, "
                + "the editor's default editing layer)")
        String layers;

        @Option(names = "--stats-lines", description = "corpus lines for C0 (default max(1000, ceil(5 d_ff / 2)))")
        Integer statsLines;

        @Option(names = "--marker", description = "file to create once the model is registered")
        Path marker;

        @Override
        public Integer call() throws Exception {
            if (!preset.equals("tiny") && !preset.equals("demo")) {
                throw new IllegalArgumentException("--preset must be tiny or demo, got " + preset);
            }
            String n = name != null ? name : preset + "-world";
            JsonNode m = new ModelBuild(registry.client()).build(preset, n, dir,
                    layers != null ? ModelOnboarding.parseLayers(layers) : null,
                    ModelOnboarding.statisticsLinesOption(statsLines, "--stats-lines"));
            System.out.println("model " + n + " id " + m.path("id").asLong() + " status " + m.path("status").asText());
            if (marker != null) {
                Files.createDirectories(marker.toAbsolutePath().getParent());
                Files.writeString(marker, n + " " + m.path("id").asLong() + "\n");
            }
            return 0;
        }
    }

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = "List blobs no model or version references; remove them with --delete (ADMIN token).")
    static final class Gc implements Callable<Integer> {
        @Mixin
        Registry registry;

        @Option(names = "--delete", description = "remove the unreferenced blobs (default: list only)")
        boolean delete;

        @Option(names = "--min-age-seconds", defaultValue = "3600",
                description = "only blobs at least this old (a younger one may belong to a job about to complete)")
        long minAge;

        @Override
        public Integer call() throws Exception {
            BlobGc.Report r;
            try {
                r = new BlobGc(registry.client()).run(minAge, delete);
            } catch (RegistryException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            PrintWriter out = new PrintWriter(System.out, true);
            for (BlobGc.Candidate c : r.unreferenced()) {
                out.printf(Locale.ROOT, "%s %12d %s%s%n", c.key(), c.size(), c.lastModified(),
                        r.removed().contains(c.key()) ? " removed" : "");
            }
            long bytes = r.unreferenced().stream().mapToLong(BlobGc.Candidate::size).sum();
            out.printf(Locale.ROOT, "%d blobs stored, %d referenced, %d unreferenced (%d bytes), %d removed%n",
                    r.stored(), r.referenced(), r.unreferenced().size(), bytes, r.removed().size());
            r.refused().forEach(s -> out.println("refused " + s));
            return 0;
        }
    }
}
