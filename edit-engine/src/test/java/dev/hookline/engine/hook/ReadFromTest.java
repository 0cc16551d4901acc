/*
 * ForwardOptions.readFrom: the last block's key-scope hook skips positions whose logits are not
 * read, and the logits that are read stay exactly the hooked model's.
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.testing.MicroModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadFromTest {
    private static final List<int[]> ROWS = List.of(
            new int[] {3, 1, 4, 1, 5, 9, 2, 6}, new int[] {2, 7, 18}, new int[] {10, 11, 12, 13, 14});
    private static final int[] READ_FROM = {5, 1, 3};

    /** A span scope with rho = 0.5 at every non-zero key: every scored position swaps at alpha 0.3. */
    private static HookLayer hook(NDManager nd, int layer, int ff, int d, List<HookLayer.RowTrace> traces) {
        NDArray preserve = nd.eye(ff, ff, 0, DataType.FLOAT64);
        NDArray accumulated = nd.eye(ff, ff, 0, DataType.FLOAT64).mul(0.5);
        Random r = new Random(3);
        float[] delta = new float[ff * d];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) r.nextGaussian();
        }
        return new HookLayer(layer, nd.create(delta, new Shape(ff, d)), 0.3, new SpanScope(preserve, accumulated),
                HookLayer.Mode.VALIDATED, traces::add);
    }

    @Test
    void lastBlockSkipsUnreadPositionsAndKeepsTheReadLogits() throws Exception {
        try (Gpt2Model model = MicroModels.create(31, DataType.FLOAT32); NDManager nd = NDManager.newBaseManager()) {
            int last = model.config().layerCount() - 1;
            int ff = model.config().mlpSize();
            int d = model.config().hiddenSize();
            TokenBatch batch = TokenBatch.of(ROWS, 0);
            int t = batch.length();
            int v = model.config().vocabSize();
            List<HookLayer.RowTrace> fullTraces = new ArrayList<>();
            List<HookLayer.RowTrace> readTraces = new ArrayList<>();
            ForwardOptions full = ForwardOptions.builder().hook(last, hook(nd, last, ff, d, fullTraces)).build();
            ForwardOptions read = ForwardOptions.builder().hook(last, hook(nd, last, ff, d, readTraces)).build()
                    .withReadFrom(READ_FROM);
            float[] a = model.forward(nd, batch, full).logits().toFloatArray(); // (B, T, V)
            float[] b = model.forward(nd, batch, read).logits().toFloatArray();
            int differBefore = 0;
            for (int row = 0; row < ROWS.size(); row++) {
                for (int p = 0; p < ROWS.get(row).length; p++) {
                    float[] x = java.util.Arrays.copyOfRange(a, (row * t + p) * v, (row * t + p + 1) * v);
                    float[] y = java.util.Arrays.copyOfRange(b, (row * t + p) * v, (row * t + p + 1) * v);
                    if (p >= READ_FROM[row]) {
                        assertArrayEquals(x, y, "row " + row + " position " + p + " is read: same logits");
                    } else if (!java.util.Arrays.equals(x, y)) {
                        differBefore++;
                    }
                }
            }
            assertEquals(5 + 1 + 3, differBefore, "every unread position kept W_0 (the full pass swapped it)");
            for (HookLayer.RowTrace tr : readTraces) {
                for (int p = 0; p < tr.z().length; p++) {
                    assertEquals(p >= READ_FROM[tr.row()], tr.swapped()[p], "row " + tr.row() + " position " + p);
                    assertEquals(p < READ_FROM[tr.row()], Double.isNaN(tr.z()[p]), "unscored positions are NaN");
                }
            }
            for (HookLayer.RowTrace tr : fullTraces) {
                for (boolean s : tr.swapped()) {
                    assertTrue(s, "without readFrom every real position swaps");
                }
            }
        }
    }

    @Test
    void earlierBlocksIgnoreReadFromAndCapturesAreRefused() throws Exception {
        try (Gpt2Model model = MicroModels.create(31, DataType.FLOAT32); NDManager nd = NDManager.newBaseManager()) {
            int ff = model.config().mlpSize();
            int d = model.config().hiddenSize();
            TokenBatch batch = TokenBatch.of(ROWS, 0);
            ForwardOptions full = ForwardOptions.builder().hook(0, hook(nd, 0, ff, d, new ArrayList<>())).build();
            float[] a = model.forward(nd, batch, full).logits().toFloatArray();
            float[] b = model.forward(nd, batch, full.withReadFrom(READ_FROM)).logits().toFloatArray();
            assertArrayEquals(a, b, "a hook below the last block feeds every later position: readFrom is ignored");
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(nd, batch, full.withReadFrom(new int[] {0, 0})), "one entry per row");
            assertThrows(IllegalArgumentException.class, () -> ForwardOptions.defaults().withReadFrom(new int[] {-1}));
            ForwardOptions capture = ForwardOptions.builder().captureResiduals(true).build().withReadFrom(READ_FROM);
            assertThrows(IllegalArgumentException.class, () -> model.forward(nd, batch, capture));
        }
    }

    @Test
    void generationReadsTheLastPositionOnlyAndGeneratesAsFullForwards() throws Exception {
        try (Gpt2Model model = dev.hookline.engine.edit.EditFixtures.untrained(7);
                dev.hookline.engine.infer.TextTokenizer tok = dev.hookline.engine.edit.EditFixtures.tokenizer();
                NDManager nd = NDManager.newBaseManager()) {
            int last = model.config().layerCount() - 1;
            List<HookLayer.RowTrace> traces = new ArrayList<>();
            HookLayer h = hook(nd, last, model.config().mlpSize(), model.config().hiddenSize(), traces);
            ForwardOptions options = ForwardOptions.builder().hook(last, h).build();
            List<String> prompts = List.of("The occupation of Krafes Livagron is", "Lofik was born in");
            int steps = 4;
            List<dev.hookline.engine.infer.Generation> generated = dev.hookline.engine.infer.LanguageModel.wrap(model, tok)
                    .generate(prompts, steps, options);
            // Every step scored only each row's last position (NaN before it in the hook's trace).
            assertTrue(!traces.isEmpty());
            for (HookLayer.RowTrace tr : traces) {
                int n = tr.z().length;
                for (int p = 0; p < n - 1; p++) {
                    assertTrue(Double.isNaN(tr.z()[p]), "trace of row " + tr.row() + ": position " + p + " not scored");
                }
                assertTrue(!Double.isNaN(tr.z()[n - 1]) && tr.swapped()[n - 1], "the last position is scored and swaps");
            }
            // The same tokens as a greedy loop of full forwards (every position scored), one prompt at a time.
            for (int i = 0; i < prompts.size(); i++) {
                int[] seq = tok.encode(prompts.get(i));
                int promptLength = seq.length;
                for (int step = 0; step < steps; step++) {
                    float[] logits = model.forward(nd, TokenBatch.of(List.of(seq), model.config().eosTokenId()), options)
                            .logits().get(0).get(seq.length - 1).toFloatArray();
                    int best = 0;
                    for (int v = 1; v < logits.length; v++) {
                        best = logits[v] > logits[best] ? v : best;
                    }
                    seq = java.util.Arrays.copyOf(seq, seq.length + 1);
                    seq[seq.length - 1] = best;
                    if (best == model.config().eosTokenId()) {
                        break;
                    }
                }
                assertArrayEquals(java.util.Arrays.copyOfRange(seq, promptLength, seq.length),
                        generated.get(i).generatedIds(), "prompt " + i);
            }
        }
    }
}
