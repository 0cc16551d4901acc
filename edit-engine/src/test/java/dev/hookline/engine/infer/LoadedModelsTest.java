/*
 * The process-wide model cache (issue 24: "the model is loaded once per process and shared"):
 * two loads of one checkpoint share one model and one set of native tensors, an in-place edit on
 * one handle leaves the other handle's logits bit-identical, a changed checkpoint on disk loads
 * anew, and threads asking at once load once. On the HF-written Llama fixture (GQA, untied head).
 */
package dev.hookline.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.edit.ArchitectureEditTest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.FtEditor;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.HfArchitecturesTest;
import dev.hookline.engine.model.TokenBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadedModelsTest {
    private static final Device CPU = Engine.getInstance().defaultDevice();
    private static final List<String> PROMPTS = List.of("The capital of France is", "She opened the door and",
            "The mother tongue of Danielle Darrieux was");

    @TempDir
    Path tmp;

    /** A private copy of the Llama fixture (tests below change files on disk). */
    private Path copyOfFixture(String name) throws Exception {
        return copyOfFixture(name, "hf-llama-micro");
    }

    private Path copyOfFixture(String name, String fixture) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(HfArchitecturesTest.fixture(fixture))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    /** Last-position logits of every prompt, (V) each. */
    private static List<float[]> logits(CausalLm model, TextTokenizer tokenizer) {
        List<float[]> out = new ArrayList<>();
        for (String prompt : PROMPTS) {
            int[] ids = tokenizer.encode(prompt);
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                NDArray l = model.forward(scope, TokenBatch.of(List.of(ids), model.config().eosTokenId())).logits(); // (1, T, V)
                out.add(l.get(0).get(ids.length - 1).toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return out;
    }

    @Test
    void twoLoadsShareOneModelAndOneSetOfTensors() throws Exception {
        Path dir = copyOfFixture("a");
        Path sameFiles = copyOfFixture("b"); // another directory with the same bytes (a worker's next job)
        LoadedModels cache = new LoadedModels(0);
        try (LoadedModels.Lease first = cache.acquire(dir, CPU, DataType.FLOAT32);
                LoadedModels.Lease second = cache.acquire(dir, CPU, DataType.FLOAT32);
                LoadedModels.Lease third = cache.acquire(sameFiles, CPU, DataType.FLOAT32)) {
            assertSame(first.model(), second.model());
            assertSame(first.model(), third.model());
            assertSame(first.tokenizer(), third.tokenizer());
            assertEquals(1, cache.loads());
            assertEquals(1, cache.size());
            Map<String, NDArray> a = first.model().parameters();
            Map<String, NDArray> c = third.model().parameters();
            assertEquals(a.keySet(), c.keySet());
            for (String name : a.keySet()) {
                assertSame(a.get(name), c.get(name), name);
                assertEquals(a.get(name).getUid(), c.get(name).getUid(), "native tensor of " + name);
            }
            first.release();
            first.release(); // a second release of one lease gives up nothing more
            assertEquals(1, cache.size(), "two leases still hold the model");
            assertEquals(logits(second.model(), second.tokenizer()).get(0)[0],
                    logits(third.model(), third.tokenizer()).get(0)[0]);
        }
        assertEquals(0, cache.size(), "keepIdle 0: the last release closes the model");
        try (LoadedModels.Lease again = cache.acquire(dir, CPU, DataType.FLOAT32)) {
            assertEquals(2, cache.loads(), "a closed model loads again");
            assertEquals(2, again.loadNumber());
        }
    }

    @Test
    void languageModelLoadsShareTheProcessCache() throws Exception {
        Path dir = copyOfFixture("shared");
        LanguageModel one = LanguageModel.load(dir);
        try (LanguageModel two = LanguageModel.load(dir)) {
            assertSame(one.model(), two.model());
            assertTrue(one.shared() && two.shared());
            one.close(); // the other user keeps working
            Generation g = two.generate(PROMPTS.get(0), 3);
            assertEquals(3, g.generatedIds().length);
            assertEquals(Digests.model(two.model()), two.modelDigest());
        }
    }

    @Test
    void inPlaceEditsNeverWriteTheSharedModel() throws Exception {
        Path dir = copyOfFixture("edited");
        LoadedModels cache = new LoadedModels(1);
        try (LoadedModels.Lease editing = cache.acquire(dir, CPU, DataType.FLOAT32);
                LoadedModels.Lease serving = cache.acquire(dir, CPU, DataType.FLOAT32)) {
            CausalLm shared = serving.model();
            TextTokenizer tok = serving.tokenizer();
            List<float[]> before = logits(shared, tok);
            String digest = Digests.model(shared);
            int[] layers = {shared.config().layerCount() - 1};
            ValueStepParams vs = new ValueStepParams(100, 0.3, 8.0, 0.0625, 0.01, 1, 0.002, "last");
            LayerStatistics stats = LayerStatistics.compute(editing.model(), editing.tokenizer(),
                    ArchitectureEditTest.corpus(), 216, layers, digest);
            List<EditRequest> edit = ArchitectureEditTest.EDITS.subList(0, 1);
            List<SequentialEditor> editors = List.of(
                    ClosedFormEditor.memit(editing.model(), editing.tokenizer(), stats, new MemitParams(layers, 100, vs),
                            List.of("The following is true.")),
                    new FtEditor(editing.model(), editing.tokenizer(), new FtParams(layers, 40, 5e-2, 0.5, 1),
                            List.of("The following is true.")));
            for (SequentialEditor editor : editors) {
                try (editor) {
                    editor.apply(edit);
                    assertNotSame(shared, editor.model(), editor.getClass().getSimpleName() + " edits its own copy");
                    List<float[]> edited = logits(editor.model(), tok);
                    float moved = 0;
                    for (int v = 0; v < edited.get(2).length; v++) {
                        moved = Math.max(moved, Math.abs(edited.get(2)[v] - before.get(2)[v]));
                    }
                    assertTrue(moved > 1e-2, editor.getClass().getSimpleName() + " changed the edited prompt's logits"
                            + " by only " + moved);
                    List<float[]> after = logits(shared, tok);
                    for (int i = 0; i < PROMPTS.size(); i++) {
                        assertArrayEquals(before.get(i), after.get(i), 0f, "shared logits of '" + PROMPTS.get(i) + "'");
                    }
                }
            }
            assertEquals(digest, Digests.model(shared), "the shared parameters are unchanged");
            assertEquals(1, cache.loads());
        }
    }

    @Test
    void aChangedCheckpointLoadsAgain() throws Exception {
        Path dir = copyOfFixture("changing");
        LoadedModels cache = new LoadedModels(1);
        Path weights = dir.resolve(Checkpoint.WEIGHTS_FILE);
        try (LoadedModels.Lease original = cache.acquire(dir, CPU, DataType.FLOAT32)) {
            List<float[]> before = logits(original.model(), original.tokenizer());

            // Same bytes, newer time stamp: hashed again, still the same model.
            Files.setLastModifiedTime(weights, FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 5000));
            try (LoadedModels.Lease touched = cache.acquire(dir, CPU, DataType.FLOAT32)) {
                assertSame(original.model(), touched.model());
                assertEquals(1, cache.loads());
            }

            // New weights written over the file (as a retrained checkpoint would be).
            Path staging = tmp.resolve("staging");
            try (CausalLm changed = original.model().copy()) {
                changed.parameter("lm_head.weight").muli(2);
                Checkpoint.save(changed, staging);
            }
            Files.move(staging.resolve(Checkpoint.WEIGHTS_FILE), weights, StandardCopyOption.REPLACE_EXISTING);
            // File systems stamp times in coarse ticks: make the rewrite's time differ as a later write's would.
            Files.setLastModifiedTime(weights, FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 10000));
            try (LoadedModels.Lease reloaded = cache.acquire(dir, CPU, DataType.FLOAT32)) {
                assertNotSame(original.model(), reloaded.model());
                assertEquals(2, cache.loads());
                assertNotEquals(original.key(), reloaded.key());
                float[] a = before.get(0);
                float[] b = logits(reloaded.model(), reloaded.tokenizer()).get(0);
                for (int v = 0; v < a.length; v += 97) {
                    assertEquals(2 * a[v], b[v], 1e-4 + 1e-4 * Math.abs(a[v]), "lm_head doubled: logit " + v);
                }
                // The holder of the old load keeps its model.
                assertArrayEquals(before.get(0), logits(original.model(), original.tokenizer()).get(0), 0f);
            }
        }
    }

    @Test
    void anIdleModelStaysForItsNextUserAndMakesRoomForAnother() throws Exception {
        Path llama = copyOfFixture("idle-llama");
        Path qwen = copyOfFixture("idle-qwen", "hf-qwen2-micro");
        LoadedModels cache = new LoadedModels(1);
        CausalLm first;
        try (LoadedModels.Lease a = cache.acquire(llama, CPU, DataType.FLOAT32)) {
            first = a.model();
        }
        assertEquals(1, cache.size(), "kept idle");
        try (LoadedModels.Lease again = cache.acquire(llama, CPU, DataType.FLOAT32)) {
            assertSame(first, again.model(), "the next user finds it loaded");
        }
        try (LoadedModels.Lease other = cache.acquire(qwen, CPU, DataType.FLOAT32)) {
            assertEquals(1, cache.size(), "the idle Llama closed before the Qwen2 model loaded");
            assertEquals(2, cache.loads());
        }
        try (LoadedModels.Lease third = cache.acquire(llama, CPU, DataType.FLOAT32)) {
            assertNotSame(first, third.model());
            assertEquals(3, cache.loads());
        }
        cache.closeIdle();
        assertEquals(0, cache.size());
    }

    @Test
    void anotherPrecisionIsAnotherLoad() throws Exception {
        Path dir = copyOfFixture("precision");
        LoadedModels cache = new LoadedModels(0);
        try (LoadedModels.Lease fp32 = cache.acquire(dir, CPU, DataType.FLOAT32);
                LoadedModels.Lease fp16 = cache.acquire(dir, CPU, DataType.FLOAT32, DataType.FLOAT16);
                LoadedModels.Lease fp16Again = cache.acquire(dir, CPU, DataType.FLOAT32, DataType.FLOAT16)) {
            assertNotSame(fp32.model(), fp16.model());
            assertSame(fp16.model(), fp16Again.model());
            assertEquals(2, cache.loads());
            assertEquals(DataType.FLOAT16, fp16.model().mlpProjectionWeight(0).getDataType());
            assertEquals(DataType.FLOAT32, fp32.model().mlpProjectionWeight(0).getDataType());
        }
    }

    @Test
    void threadsLoadingAtOnceLoadOnce() throws Exception {
        Path dir = copyOfFixture("concurrent");
        LoadedModels cache = new LoadedModels(0);
        int threads = 6;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<LoadedModels.Lease> leases = new ArrayList<>();
        try {
            List<Future<LoadedModels.Lease>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return cache.acquire(dir, CPU, DataType.FLOAT32);
                }));
            }
            for (Future<LoadedModels.Lease> f : futures) {
                leases.add(f.get());
            }
            assertEquals(1, cache.loads(), "six threads, one load");
            for (LoadedModels.Lease l : leases) {
                assertSame(leases.get(0).model(), l.model());
            }
        } finally {
            leases.forEach(LoadedModels.Lease::release);
            pool.shutdownNow();
        }
        assertEquals(0, cache.size());
    }

    @Test
    void aMissingDirectoryIsAClearError() {
        LoadedModels cache = new LoadedModels(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cache.acquire(tmp.resolve("nowhere"), CPU, DataType.FLOAT32));
        assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
        assertEquals(0, cache.loads());
    }
}
