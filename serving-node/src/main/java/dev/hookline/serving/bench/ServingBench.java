/*
 * `./hookline bench serving --model DIR --bundle DIR [--requests N] [--clients C]`: the cost of
 * the validated hooks at inference on the serving code path (LoadedVersion over a shared base
 * model): latency per request hooked vs unhooked, interleaved so that machine load hits both
 * alike, their ratio, throughput with C concurrent clients, and (with --profile) the share of
 * the hooked forward spent inside the hook layers. Plain Java (no HTTP): the figures are the
 * model's, not the web stack's.
 */
package dev.hookline.serving.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.Generation;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.ModelConfig;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.serving.model.BaseModels;
import dev.hookline.serving.model.LoadedVersion;
import dev.hookline.serving.model.ServingHook;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The serving benchmark (CLI entry point {@link #main}). */
public final class ServingBench {

    /**
     * Benchmark settings.
     *
     * @param model base checkpoint directory
     * @param bundle hook bundle directory
     * @param requests measured requests per variant
     * @param clients concurrent clients for the throughput run
     * @param maxTokens tokens generated per request
     * @param warmup unmeasured requests per variant first
     * @param out JSON report file, or null
     * @param profile time the hook layers inside the hooked forward
     */
    public record Settings(Path model, Path bundle, int requests, int clients, int maxTokens, int warmup, Path out,
            boolean profile) {
        public Settings {
            if (model == null || !Files.isDirectory(model)) {
                throw new IllegalArgumentException("--model must be a checkpoint directory, got " + model);
            }
            if (bundle == null || !Files.isRegularFile(bundle.resolve(HookBundle.MANIFEST))) {
                throw new IllegalArgumentException("--bundle must be a hook bundle directory (with manifest.json), got " + bundle);
            }
            if (requests < 1 || clients < 1 || maxTokens < 1 || warmup < 0) {
                throw new IllegalArgumentException("--requests, --clients and --max-tokens must be >= 1, --warmup >= 0");
            }
        }
    }

    /** Latency summary in milliseconds. */
    public record Latency(double mean, double p50, double p90, double p99) {
        static Latency of(long[] nanos) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            double mean = Arrays.stream(s).average().orElse(0) / 1e6;
            return new Latency(mean, pct(s, 0.50), pct(s, 0.90), pct(s, 0.99));
        }

        private static double pct(long[] sorted, double q) {
            int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
            return sorted[i] / 1e6;
        }
    }

    private ServingBench() {
    }

    public static void main(String[] args) {
        setIfAbsent("ai.djl.pytorch.num_threads", System.getenv().getOrDefault("HOOKLINE_THREADS", "1"));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        setIfAbsent("ai.djl.offline", "true");
        try {
            run(parse(args));
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println("hookline bench serving: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("hookline bench serving: " + e);
            System.exit(1);
        }
    }

    static Settings parse(String[] args) {
        Path model = null;
        Path bundle = null;
        Path out = null;
        int requests = 200;
        int clients = 4;
        int maxTokens = 8;
        int warmup = 20;
        boolean profile = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--profile")) {
                profile = true;
                continue;
            }
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("usage: bench serving --model DIR --bundle DIR [--requests N] "
                        + "[--clients C] [--max-tokens T] [--warmup W] [--out FILE.json] [--profile]");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--model" -> model = Path.of(v);
                case "--bundle" -> bundle = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--requests" -> requests = number(a, v);
                case "--clients" -> clients = number(a, v);
                case "--max-tokens" -> maxTokens = number(a, v);
                case "--warmup" -> warmup = number(a, v);
                default -> throw new IllegalArgumentException("unknown option '" + a + "' (try --help)");
            }
        }
        return new Settings(model, bundle, requests, clients, maxTokens, warmup, out, profile);
    }

    private static int number(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs an integer, got '" + v + "'");
        }
    }

    /** Runs the benchmark, prints a report and answers it as JSON. */
    public static ObjectNode run(Settings s) throws IOException, InterruptedException {
        List<String> prompts = prompts(s.model(), s.requests());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).findAndRegisterModules();
        try (BaseModels bases = new BaseModels()) {
            BaseModels.Handle forHooked = bases.acquire("bench", s.model());
            BaseModels.Handle forPlain = bases.acquire("bench", s.model());
            LoadedVersion hooked = LoadedVersion.load(info(1), forHooked, s.bundle(), List.of());
            LoadedVersion plain = LoadedVersion.load(info(0), forPlain, null, List.of());
            String scope = json.readTree(s.bundle().resolve(HookBundle.MANIFEST).toFile()).path("scope").asText();
            // span-relation bundles serve the factored scope unless the JVM property asks for the dense one
            String scopeForm = !HookBundle.SPAN_RELATION.equals(scope) ? null
                    : Boolean.getBoolean(HookedModel.DENSE_SCOPE_PROPERTY) ? "dense" : "factored";
            System.out.printf(Locale.ROOT, "serving bench: model %s, bundle %s (layers %s, %d edits), %d requests x %d tokens, "
                    + "%d clients, %d PyTorch thread(s), scope %s%s%n", s.model(), s.bundle(), hooked.layers(),
                    hooked.info().edits(), s.requests(), s.maxTokens(), s.clients(),
                    Integer.getInteger("ai.djl.pytorch.num_threads", 1), scope, scopeForm == null ? "" : " (" + scopeForm + " form)");
            for (int i = 0; i < s.warmup(); i++) {
                String p = prompts.get(i % prompts.size());
                plain.generate(List.of(p), s.maxTokens());
                hooked.generate(List.of(p), s.maxTokens());
            }
            // Interleaved single-client latency: alternate which variant goes first. Once with one
            // generated token (one forward over the same prompt: identical work but for the hooks),
            // once with maxTokens (a served request; hooked and unhooked may stop at different lengths).
            Interleaved one = interleave(plain, hooked, prompts, s.requests(), 1);
            Interleaved full = interleave(plain, hooked, prompts, s.requests(), s.maxTokens());
            Latency lp = Latency.of(full.plain());
            Latency lh = Latency.of(full.hooked());
            Latency fp = Latency.of(one.plain());
            Latency fh = Latency.of(one.hooked());
            int changed = full.changed();
            double perTokenPlain = Arrays.stream(full.plain()).sum() / 1e6 / full.plainTokens();
            double perTokenHooked = Arrays.stream(full.hooked()).sum() / 1e6 / full.hookedTokens();
            double throughputPlain = throughput(plain, prompts, s);
            double throughputHooked = throughput(hooked, prompts, s);
            ObjectNode report = json.createObjectNode();
            report.put("date", Instant.now().toString());
            report.put("model", s.model().toString());
            report.put("bundle", s.bundle().toString());
            report.putPOJO("layers", hooked.layers());
            report.put("edits", hooked.info().edits());
            report.put("requests", s.requests());
            report.put("maxTokens", s.maxTokens());
            report.put("clients", s.clients());
            report.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", 1));
            report.put("scope", scope);
            if (scopeForm != null) {
                report.put("spanRelationScopeForm", scopeForm);
            }
            report.putPOJO("forwardUnhookedMs", fp);
            report.putPOJO("forwardHookedMs", fh);
            report.put("forwardRatioMean", fh.mean() / fp.mean());
            report.put("forwardRatioP50", fh.p50() / fp.p50());
            report.put("forwardCpuRatio", (double) one.hookedCpu() / one.plainCpu());
            report.put("requestCpuRatio", (double) full.hookedCpu() / full.plainCpu());
            report.put("perTokenCpuRatio", ((double) full.hookedCpu() / full.hookedTokens())
                    / ((double) full.plainCpu() / full.plainTokens()));
            report.put("msPerTokenUnhooked", perTokenPlain);
            report.put("msPerTokenHooked", perTokenHooked);
            report.put("perTokenRatio", perTokenHooked / perTokenPlain);
            report.putPOJO("unhookedMs", lp);
            report.putPOJO("hookedMs", lh);
            report.put("ratioMean", lh.mean() / lp.mean());
            report.put("ratioP50", lh.p50() / lp.p50());
            report.put("completionsChangedByHooks", changed);
            double floor = macRatioFloor(forHooked.model().model().config(), hooked.layers().size());
            report.put("arithmeticFloorRatio", floor);
            report.put("throughputUnhooked", throughputPlain);
            report.put("throughputHooked", throughputHooked);
            System.out.printf(Locale.ROOT, "latency ms            mean    p50    p90    p99%n");
            System.out.printf(Locale.ROOT, "1 token  unhooked   %7.2f %6.2f %6.2f %6.2f%n", fp.mean(), fp.p50(), fp.p90(), fp.p99());
            System.out.printf(Locale.ROOT, "1 token  hooked     %7.2f %6.2f %6.2f %6.2f%n", fh.mean(), fh.p50(), fh.p90(), fh.p99());
            System.out.printf(Locale.ROOT, "%d tokens unhooked  %7.2f %6.2f %6.2f %6.2f%n", s.maxTokens(), lp.mean(), lp.p50(), lp.p90(), lp.p99());
            System.out.printf(Locale.ROOT, "%d tokens hooked    %7.2f %6.2f %6.2f %6.2f%n", s.maxTokens(), lh.mean(), lh.p50(), lh.p90(), lh.p99());
            System.out.printf(Locale.ROOT, "ratio hooked/unhooked: 1 token mean %.3f p50 %.3f; %d tokens mean %.3f p50 %.3f; "
                    + "per generated token %.3f (target <= 1.10)%n", fh.mean() / fp.mean(), fh.p50() / fp.p50(), s.maxTokens(),
                    lh.mean() / lp.mean(), lh.p50() / lp.p50(), perTokenHooked / perTokenPlain);
            System.out.printf(Locale.ROOT, "generated tokens: unhooked %d, hooked %d%n", full.plainTokens(), full.hookedTokens());
            System.out.printf(Locale.ROOT, "thread CPU time ratio hooked/unhooked: 1 token %.3f; %d tokens %.3f; per generated token %.3f%n",
                    (double) one.hookedCpu() / one.plainCpu(), s.maxTokens(), (double) full.hookedCpu() / full.plainCpu(),
                    ((double) full.hookedCpu() / full.hookedTokens()) / ((double) full.plainCpu() / full.plainTokens()));
            System.out.printf(Locale.ROOT, "completions changed by the hooks: %d of %d%n", changed, s.requests());
            System.out.printf(Locale.ROOT, "arithmetic floor (multiply-adds per token, hooked / unhooked): %.3f%n", floor);
            System.out.printf(Locale.ROOT, "throughput, %d clients: unhooked %.1f req/s, hooked %.1f req/s%n", s.clients(),
                    throughputPlain, throughputHooked);
            if (s.profile()) {
                ObjectNode prof = profile(forHooked.model(), s, prompts);
                report.set("profile", prof);
            }
            plain.release();
            hooked.release();
            if (s.out() != null) {
                json.writeValue(s.out().toFile(), report);
                System.out.println("report: " + s.out());
            }
            return report;
        }
    }

    /**
     * Paired measurements. CPU times are the calling thread's: with one PyTorch intra-op thread
     * the ops run on it, so they measure the work done, whatever else loads the machine.
     */
    private record Interleaved(long[] plain, long[] hooked, long plainCpu, long hookedCpu, long plainTokens,
            long hookedTokens, int changed) {
    }

    private static Interleaved interleave(LoadedVersion plain, LoadedVersion hooked, List<String> prompts, int n,
            int tokens) {
        long[] tPlain = new long[n];
        long[] tHooked = new long[n];
        long plainTokens = 0;
        long hookedTokens = 0;
        int changed = 0;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long plainCpu = 0;
        long hookedCpu = 0;
        for (int i = 0; i < n; i++) {
            List<String> p = List.of(prompts.get(i));
            Generation a;
            Generation b;
            if (i % 2 == 0) {
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                a = plain.generate(p, tokens).get(0);
                long t1 = System.nanoTime();
                long c1 = cpu.getCurrentThreadCpuTime();
                b = hooked.generate(p, tokens).get(0);
                tPlain[i] = t1 - t0;
                tHooked[i] = System.nanoTime() - t1;
                plainCpu += c1 - c0;
                hookedCpu += cpu.getCurrentThreadCpuTime() - c1;
            } else {
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                b = hooked.generate(p, tokens).get(0);
                long t1 = System.nanoTime();
                long c1 = cpu.getCurrentThreadCpuTime();
                a = plain.generate(p, tokens).get(0);
                tHooked[i] = t1 - t0;
                tPlain[i] = System.nanoTime() - t1;
                hookedCpu += c1 - c0;
                plainCpu += cpu.getCurrentThreadCpuTime() - c1;
            }
            plainTokens += a.generatedIds().length;
            hookedTokens += b.generatedIds().length;
            changed += a.completion().equals(b.completion()) ? 0 : 1;
        }
        return new Interleaved(tPlain, tHooked, plainCpu, hookedCpu, plainTokens, hookedTokens, changed);
    }

    /**
     * Multiply-adds per token of the hooked forward over the unhooked one, attention scores left
     * out (small at these lengths): a block costs d*3d + d*d + d*4d + d_ff*d, the LM head d*V, and
     * each hooked layer adds k (W_h - W_0), d_ff*d. A validated hook must compute that product at
     * every position (the scope test needs m_t everywhere), so no implementation of the paper's
     * hook goes below this ratio.
     */
    static double macRatioFloor(ModelConfig c, int hookedLayers) {
        double d = c.hiddenSize();
        double ff = c.mlpSize();
        double block = d * 3 * d + d * d + d * ff + ff * d;
        double base = c.layerCount() * block + d * c.vocabSize();
        return (base + hookedLayers * ff * d) / base;
    }

    /** Requests per second with {@code s.clients()} threads sharing {@code s.requests()} requests. */
    private static double throughput(LoadedVersion v, List<String> prompts, Settings s) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(s.clients());
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < s.clients(); c++) {
            futures.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < s.requests(); i = next.getAndIncrement()) {
                    v.generate(List.of(prompts.get(i)), s.maxTokens());
                }
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("throughput client failed", e.getCause());
            }
        }
        pool.shutdown();
        return s.requests() / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Time spent inside the hook layers of the hooked forward: each HookLayer wrapped by a timer
     * (PyTorch CPU ops are synchronous, so wall time inside replace() is the hook's cost).
     */
    private static ObjectNode profile(LanguageModel lm, Settings s, List<String> prompts) throws IOException {
        HookBundle bundle = HookBundle.read(s.bundle(), false);
        ObjectNode out = new ObjectMapper().createObjectNode();
        try (NDManager manager = lm.model().manager().newSubManager()) {
            Map<Integer, HookLayer> hooks = HookedModel.install(lm.model(), lm.tokenizer(), bundle, manager);
            for (String variant : List.of("reference HookLayer", "ServingHook")) {
                AtomicLong hookNanos = new AtomicLong();
                AtomicLong calls = new AtomicLong();
                Map<Integer, MlpProjectionHook> timed = new LinkedHashMap<>();
                hooks.forEach((l, h) -> {
                    MlpProjectionHook inner = variant.equals("ServingHook") ? new ServingHook(h) : h;
                    timed.put(l, (layer, keys, original, mask) -> {
                        long t0 = System.nanoTime();
                        NDArray r = inner.replace(layer, keys, original, mask);
                        hookNanos.addAndGet(System.nanoTime() - t0);
                        calls.incrementAndGet();
                        return r;
                    });
                });
                ForwardOptions options = ForwardOptions.builder().hooks(timed).build();
                long start = System.nanoTime();
                for (int i = 0; i < s.requests(); i++) {
                    lm.generate(List.of(prompts.get(i)), s.maxTokens(), options);
                }
                long total = System.nanoTime() - start;
                ObjectNode v = out.putObject(variant);
                v.put("hookedTotalMs", total / 1e6);
                v.put("insideHooksMs", hookNanos.get() / 1e6);
                v.put("hookCalls", calls.get());
                v.put("meanPerHookCallUs", hookNanos.get() / 1e3 / Math.max(1, calls.get()));
                v.put("shareInsideHooks", (double) hookNanos.get() / total);
                System.out.printf(Locale.ROOT, "profile %s: %d hook calls, %.1f us each, %.1f %% of the hooked request time%n",
                        variant, calls.get(), hookNanos.get() / 1e3 / Math.max(1, calls.get()), 100.0 * hookNanos.get() / total);
            }
            out.set("hookOpsUs", hookOps(lm, bundle.mlpSize(), bundle.hiddenSize()));
        }
        return out;
    }

    /**
     * Microseconds per call of each step HookLayer.replace takes (validated mode), for one row of
     * 8 positions at the bundle's shapes: where the hook's time goes on a small model is the
     * number of native calls, not arithmetic.
     */
    private static ObjectNode hookOps(LanguageModel lm, int mlpSize, int hidden) {
        ObjectNode out = new ObjectMapper().createObjectNode();
        int reps = 2000;
        try (NDManager m = lm.model().manager().newSubManager()) {
            NDArray keys = m.randomNormal(new Shape(1, 8, mlpSize)); // (B, T, d_ff)
            NDArray delta = m.randomNormal(new Shape(mlpSize, hidden)); // (d_ff, d)
            NDArray original = m.randomNormal(new Shape(1, 8, hidden)); // (B, T, d)
            NDArray mask = m.ones(new Shape(1, 8), DataType.BOOLEAN); // (B, T)
            float[] select = new float[8];
            Map<String, Runnable> ops = new LinkedHashMap<>();
            ops.put("matMul keys x delta", () -> { try (NDManager s = m.newSubManager()) { keys.matMul(delta).attach(s); } });
            NDArray shift = keys.matMul(delta);
            ops.put("norm + toFloatArray (m to Java)", () -> { try (NDManager s = m.newSubManager()) {
                NDArray n = shift.norm(new int[] {2}); n.attach(s);
                n.toType(DataType.FLOAT32, false).toFloatArray(); } });
            ops.put("mask toType + toFloatArray", () -> { try (NDManager s = m.newSubManager()) {
                NDArray t = mask.toType(DataType.FLOAT32, false); t.attach(s); t.toFloatArray(); } });
            ops.put("create select + toType", () -> { try (NDManager s = m.newSubManager()) {
                s.create(select, new Shape(1, 8, 1)).toType(DataType.FLOAT32, false); } });
            NDArray sel = m.create(select, new Shape(1, 8, 1));
            ops.put("shift * select + original", () -> { try (NDManager s = m.newSubManager()) {
                NDArray r = original.add(shift.mul(sel)); r.attach(s); } });
            ops.put("(reference) one empty sub-manager", () -> { try (NDManager s = m.newSubManager()) { s.getName(); } });
            System.out.println("hook steps, us per call (1 x 8 positions):");
            for (Map.Entry<String, Runnable> e : ops.entrySet()) {
                for (int i = 0; i < 200; i++) {
                    e.getValue().run();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    e.getValue().run();
                }
                double us = (System.nanoTime() - t0) / 1e3 / reps;
                out.put(e.getKey(), us);
                System.out.printf(Locale.ROOT, "  %-36s %7.1f%n", e.getKey(), us);
            }
        }
        return out;
    }

    /**
     * {@code n} prompts from the model's world (world/counterfact.json next to the checkpoint):
     * edit prompts and neighbourhood prompts alternating, so that the hooks fire on some and not
     * on others, as in real traffic.
     */
    static List<String> prompts(Path model, int n) throws IOException {
        Path cf = model.resolve("world").resolve("counterfact.json");
        if (!Files.isRegularFile(cf)) {
            throw new IllegalArgumentException("no prompts: " + cf + " is missing");
        }
        JsonNode cases = new ObjectMapper().readTree(cf.toFile());
        List<String> edited = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (JsonNode c : cases) {
            JsonNode rw = c.path("requested_rewrite");
            edited.add(rw.path("prompt").asText().replace("{}", rw.path("subject").asText()));
            for (JsonNode p : c.path("neighborhood_prompts")) {
                other.add(p.asText());
            }
        }
        if (other.isEmpty()) {
            other = edited;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) {
            out.add(i % 2 == 0 ? edited.get((i / 2) % edited.size()) : other.get((i / 2) % other.size()));
        }
        return out;
    }

    private static LoadedVersion.Info info(int number) {
        return new LoadedVersion.Info("bench", 0, null, number, number, "sha256:" + "0".repeat(64), null, 0, Map.of(),
                Instant.now());
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
