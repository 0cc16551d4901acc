/*
 * Test fixture: a copy of the cached tiny-world model and two chained hook bundles made by the
 * engine's own `edit` command (A = 5 CounterFact edits, B = A + the next 5), cached under
 * target/test-fixtures so every test class of the module reuses them (rebuilt when the engine's
 * default record, which `edit` uses, changes: see {@link #upToDate()}). Runnable as a main so that
 * the Quarkus test can build them in a child JVM (PyTorch binds to one class loader).
 */
package dev.hookline.serving;

import dev.hookline.data.CounterFactCase;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.cli.HooklineCli;
import dev.hookline.testkit.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The tiny model with bundles A and B. */
public final class TestBundles {

    /**
     * @param model checkpoint directory (a private copy)
     * @param bundleA 5 edits (cases 0..4)
     * @param bundleB bundle A + 5 edits (cases 5..9)
     * @param casesA the edits of A
     * @param casesB the edits added by B
     */
    public record Fixture(Path model, Path bundleA, Path bundleB, List<CounterFactCase> casesA,
            List<CounterFactCase> casesB) {
    }

    private TestBundles() {
    }

    /** The fixture directory (created on first use, then reused). */
    public static Path dir() {
        return Path.of("target", "test-fixtures", "tiny-bundles").toAbsolutePath();
    }

    /** The hyperparameter record the bundles are made with: the engine's default (last block of the tiny model). */
    public static final String RECORD = dev.hookline.engine.edit.CoachHookParams.defaults().toString();

    /** The editing layers of the bundles: the tiny model's last block, the engine's default. */
    public static final List<Integer> LAYERS = List.of(2);

    /** True when the cached fixture exists and was made with {@link #RECORD}. */
    public static boolean upToDate() {
        try {
            Path stamp = dir().resolve("record.txt");
            return Files.isRegularFile(expectedFile()) && Files.isRegularFile(stamp)
                    && Files.readString(stamp).equals(RECORD);
        } catch (IOException e) {
            return false;
        }
    }

    /** Builds (once) and answers the fixture. */
    public static synchronized Fixture tiny() {
        Path dir = dir();
        Path model = dir.resolve("model");
        try {
            List<CounterFactCase> all = CounterFactDataset.load(TestModels.tiny().resolve("world/counterfact.json"));
            List<CounterFactCase> a = all.subList(0, 5);
            List<CounterFactCase> b = all.subList(5, 10);
            Fixture f = new Fixture(model, dir.resolve("bundle-a"), dir.resolve("bundle-b"), a, b);
            if (upToDate()) {
                return f;
            }
            deleteTree(dir);
            Files.createDirectories(dir);
            TestModels.copy(TestModels.tiny(), model);
            CounterFactDataset.write(dir.resolve("cases-a.json"), a);
            CounterFactDataset.write(dir.resolve("cases-b.json"), b);
            String corpus = model.resolve("world/corpus.txt").toString();
            edit(model, null, dir.resolve("cases-a.json"), corpus, f.bundleA());
            edit(model, f.bundleA(), dir.resolve("cases-b.json"), corpus, f.bundleB());
            writeExpected(f);
            Files.writeString(dir.resolve("record.txt"), RECORD);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The probes: the filled edit prompts of B, then of A. */
    public static List<String> probes(Fixture f) {
        List<String> out = new java.util.ArrayList<>();
        for (var r : CounterFactDataset.toEditRequests(f.casesB())) {
            out.add(r.prompt().replace("{}", r.subject()));
        }
        for (var r : CounterFactDataset.toEditRequests(f.casesA())) {
            out.add(r.prompt().replace("{}", r.subject()));
        }
        return out;
    }

    /** Tokens generated for the expected answers. */
    public static final int EXPECTED_TOKENS = 3;

    /**
     * expected.json: {"base"|"a"|"b": {probe: completion}} by the engine's own API with
     * {@link #EXPECTED_TOKENS} tokens, as the node's API shows it (a final end-of-text dropped).
     */
    public static Path expectedFile() {
        return dir().resolve("expected.json");
    }

    private static void writeExpected(Fixture f) throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = json.createObjectNode();
        List<String> probes = probes(f);
        try (var lm = dev.hookline.engine.infer.LanguageModel.load(f.model())) {
            var node = root.putObject("base");
            for (String p : probes) {
                node.put(p, shown(lm, lm.generate(p, EXPECTED_TOKENS)));
            }
        }
        for (String name : List.of("a", "b")) {
            try (var hm = dev.hookline.engine.bundle.HookedModel.open(f.model(), name.equals("a") ? f.bundleA() : f.bundleB());
                    var lm = dev.hookline.engine.infer.LanguageModel.load(f.model())) {
                var node = root.putObject(name);
                for (String p : probes) {
                    node.put(p, shown(lm, hm.generate(p, EXPECTED_TOKENS)));
                }
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(expectedFile().toFile(), root);
    }

    private static String shown(dev.hookline.engine.infer.LanguageModel lm, dev.hookline.engine.infer.Generation g) {
        int[] ids = g.generatedIds();
        if (ids.length > 0 && ids[ids.length - 1] == lm.model().config().eosTokenId()) {
            return lm.tokenizer().decode(java.util.Arrays.copyOf(ids, ids.length - 1));
        }
        return g.completion();
    }

    private static void edit(Path model, Path parent, Path data, String corpus, Path out) {
        List<String> args = new java.util.ArrayList<>(List.of("edit", "--model", model.toString(), "--data", data.toString(),
                "--corpus", corpus, "--batch", "5", "--out", out.toString()));
        if (parent != null) {
            args.addAll(List.of("--bundle", parent.toString()));
        }
        int code = HooklineCli.execute(args.toArray(String[]::new));
        if (code != 0) {
            throw new IllegalStateException("hookline edit failed with " + code + ": " + args);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Builds the fixture in this JVM and prints its directory. */
    public static void main(String[] args) {
        System.out.println(tiny().model().getParent());
    }
}
