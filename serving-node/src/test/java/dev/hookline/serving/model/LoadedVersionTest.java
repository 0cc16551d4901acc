/*
 * Loading, reference counting and atomic swaps of versions on the real tiny model with bundles
 * made by the engine: answers equal the engine's own HookedModel, a swapped-out version stays
 * open until its last request has released it, layers never mix under concurrent swaps, and a
 * tampered bundle is refused without leaking the base model.
 */
package dev.hookline.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.serving.TestBundles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadedVersionTest {
    private static final int TOKENS = 3;
    private static TestBundles.Fixture fx;
    private static List<String> probes;
    /** Expected completion per version number (0 = base, 1 = A, 2 = B) and probe, from the engine's own API. */
    private static final Map<Integer, Map<String, String>> EXPECTED = new HashMap<>();

    @BeforeAll
    static void fixture() throws IOException {
        fx = TestBundles.tiny();
        probes = new ArrayList<>();
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesB())) {
            probes.add(r.prompt().replace("{}", r.subject()));
        }
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesA())) {
            probes.add(r.prompt().replace("{}", r.subject()));
        }
        try (LanguageModel lm = LanguageModel.load(fx.model())) {
            EXPECTED.put(0, expected(p -> lm.generate(p, TOKENS).completion()));
        }
        try (HookedModel a = HookedModel.open(fx.model(), fx.bundleA())) {
            EXPECTED.put(1, expected(p -> a.generate(p, TOKENS).completion()));
        }
        try (HookedModel b = HookedModel.open(fx.model(), fx.bundleB())) {
            EXPECTED.put(2, expected(p -> b.generate(p, TOKENS).completion()));
        }
    }

    private static Map<String, String> expected(java.util.function.Function<String, String> gen) {
        Map<String, String> m = new HashMap<>();
        probes.forEach(p -> m.put(p, gen.apply(p)));
        return m;
    }

    private static LoadedVersion.Info info(int number) {
        return new LoadedVersion.Info("tiny", 1, "prod", number, number, "sha256:" + "0".repeat(63) + number, null, 0,
                Map.of(), Instant.now());
    }

    private static LoadedVersion load(BaseModels bases, int number) throws IOException {
        Path bundle = number == 0 ? null : number == 1 ? fx.bundleA() : fx.bundleB();
        return LoadedVersion.load(info(number), bases.acquire("tiny", fx.model()), bundle, List.of());
    }

    @Test
    void answersEqualTheEnginesOwnHookedModel() throws IOException {
        int differ = 0;
        for (String p : probes) {
            differ += EXPECTED.get(1).get(p).equals(EXPECTED.get(2).get(p)) ? 0 : 1;
        }
        assertTrue(differ >= 1, "bundles A and B answer every probe alike: the swap tests could not tell them apart");
        try (BaseModels bases = new BaseModels()) {
            for (int n = 0; n <= 2; n++) {
                LoadedVersion v = load(bases, n);
                List<String> out = v.generate(probes, TOKENS).stream().map(g -> g.completion()).toList();
                for (int i = 0; i < probes.size(); i++) {
                    assertEquals(EXPECTED.get(n).get(probes.get(i)), out.get(i), "version " + n + " on " + probes.get(i));
                }
                assertEquals(n == 0 ? List.of() : TestBundles.LAYERS, v.layers());
                assertEquals(n == 0 ? 0 : n * 5, v.info().edits());
                assertEquals(n == 0 ? null : HookBundle.digest(n == 1 ? fx.bundleA() : fx.bundleB()), v.info().bundleDigest());
                assertEquals(1, bases.size(), "every version shares the one base model");
                v.release();
                assertTrue(v.isClosed());
                assertEquals(0, bases.size(), "the last version released closes the base");
            }
        }
    }

    @Test
    void swappedOutVersionClosesOnlyAfterItsLastRequest() throws IOException {
        try (BaseModels bases = new BaseModels(); VersionHolder holder = new VersionHolder()) {
            holder.swap(load(bases, 1));
            VersionHolder.Lease inFlight = holder.acquire().orElseThrow();
            LoadedVersion v1 = inFlight.version();
            assertEquals(2, v1.references());
            holder.swap(load(bases, 2));
            assertFalse(v1.isClosed(), "an in-flight request still holds version 1");
            assertEquals(1, v1.references());
            // The in-flight request finishes on version 1 with version 1's layers.
            String p = probes.get(0);
            assertEquals(EXPECTED.get(1).get(p), v1.generate(List.of(p), TOKENS).get(0).completion());
            try (VersionHolder.Lease next = holder.acquire().orElseThrow()) {
                assertEquals(2, next.version().info().number(), "new requests see version 2 at once");
            }
            assertFalse(v1.hookArraysReleased(), "version 1's hook arrays live while a request uses them");
            inFlight.close();
            assertTrue(v1.isClosed(), "released by its last request, version 1 closed");
            assertTrue(v1.hookArraysReleased(), "closing version 1 freed its hook arrays (native memory)");
            assertThrows(IllegalStateException.class, () -> v1.generate(List.of(p), 1));
            assertFalse(v1.tryAcquire(), "a closed version cannot be acquired again");
            assertEquals(1, bases.size(), "version 2 keeps the shared base open");
        }
    }

    @Test
    void concurrentRequestsDuringSwapsAreEachAnsweredByOneVersion() throws Exception {
        int clients = 3;
        int swaps = 12;
        try (BaseModels bases = new BaseModels(); VersionHolder holder = new VersionHolder()) {
            holder.swap(load(bases, 1));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger wrong = new AtomicInteger();
            Map<Integer, AtomicInteger> byVersion = new ConcurrentHashMap<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch started = new CountDownLatch(clients);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int offset = c;
                Thread t = new Thread(() -> {
                    started.countDown();
                    for (int i = offset; !stop.get(); i++) {
                        String p = probes.get(i % probes.size());
                        try (VersionHolder.Lease lease = holder.acquire().orElseThrow()) {
                            int n = lease.version().info().number();
                            String got = lease.version().generate(List.of(p), TOKENS).get(0).completion();
                            byVersion.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
                            if (!got.equals(EXPECTED.get(n).get(p))) {
                                wrong.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
            started.await();
            List<LoadedVersion> swappedOut = new ArrayList<>();
            for (int s = 0; s < swaps; s++) {
                Thread.sleep(60);
                LoadedVersion next = load(bases, s % 2 == 0 ? 2 : 1);
                LoadedVersion before = holder.acquire().orElseThrow().version();
                before.release(); // peek at it without keeping it
                holder.swap(next);
                swappedOut.add(before);
            }
            Thread.sleep(100);
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertTrue(errors.isEmpty(), "requests failed during swaps: " + errors);
            assertEquals(0, wrong.get(), "answers that match neither their own version's expected output");
            assertTrue(byVersion.getOrDefault(1, new AtomicInteger()).get() > 0
                    && byVersion.getOrDefault(2, new AtomicInteger()).get() > 0, "both versions answered: " + byVersion);
            for (LoadedVersion v : swappedOut) {
                assertTrue(v.isClosed(), "every swapped-out version closed once its requests finished");
            }
            assertEquals(1, bases.size());
        }
    }

    @Test
    void tamperedBundleIsRefusedAndTheBaseIsGivenBack(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("bundle");
        Files.createDirectories(bad);
        for (String f : List.of(HookBundle.MANIFEST, HookBundle.SERVING)) {
            Files.copy(fx.bundleB().resolve(f), bad.resolve(f));
        }
        byte[] bytes = Files.readAllBytes(bad.resolve(HookBundle.SERVING));
        bytes[bytes.length - 3] ^= 0x5a;
        Files.write(bad.resolve(HookBundle.SERVING), bytes);
        try (BaseModels bases = new BaseModels()) {
            BaseModels.Handle base = bases.acquire("tiny", fx.model());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LoadedVersion.load(info(3), base, bad, List.of()));
            assertTrue(e.getMessage().contains("does not match the manifest"), e.getMessage());
            assertEquals(0, bases.size(), "the refused load gave its base use back");
        }
    }

    @Test
    void factsMatchWholeSubjectsOnly() {
        EditedFact f = new EditedFact("Ann Lee", "{} was born in", "Paris", "Rome", 3, 2, 7);
        assertTrue(f.subjectIn("Where was Ann Lee born?"));
        assertTrue(f.subjectIn("Ann Lee"));
        assertFalse(f.subjectIn("Where was Ann Leeds born?"));
        assertFalse(f.subjectIn("JoAnn Lee"));
        assertEquals("Ann Lee was born in", f.filledPrompt());
        assertNotEquals(f, new EditedFact("Ann Lee", "{} was born in", "Oslo", "Rome", 3, 2, 7));
    }
}
