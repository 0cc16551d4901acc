/*
 * Forward-pass correctness of the DJL GPT-2: golden values from the independent float64
 * reference, causality, padding/batching invariance, and autograd vs finite differences.
 */
package dev.hookline.engine.model.gpt2;

import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.ForwardResult;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.model.ResidualAddition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.testing.MicroModels;
import dev.hookline.engine.testing.ReferenceGpt2;
import dev.hookline.engine.train.LanguageModelLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2ModelTest {

    private static final int[][] PROMPTS = {
        {1, 5, 9, 2, 14, 7, 3},
        {4, 22},
        {8, 8, 1, 0, 19, 11, 12, 6, 2, 5, 17},
        {13},
    };

    @Test
    void logitsMatchIndependentFloat64Reference(@TempDir Path dir) throws Exception {
        MicroModels.write(11, dir);
        ReferenceGpt2 reference = new ReferenceGpt2(dir);
        try (Gpt2Model model = Checkpoint.load(dir, Engine.getInstance().defaultDevice());
                NDManager scope = NDManager.newBaseManager()) {
            List<int[]> rows = List.of(PROMPTS);
            ForwardResult out = model.forward(scope, TokenBatch.of(rows, 0),
                    ForwardOptions.builder().captureKeys(0, 1).captureResiduals(true).build());
            double maxDiff = 0;
            double maxAbs = 0;
            for (int b = 0; b < PROMPTS.length; b++) {
                ReferenceGpt2.Output expected = reference.forward(PROMPTS[b]);
                for (int t = 0; t < PROMPTS[b].length; t++) {
                    float[] logits = out.logits().get(b, t).toFloatArray();
                    for (int v = 0; v < logits.length; v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(logits[v] - expected.logits()[t][v]));
                        maxAbs = Math.max(maxAbs, Math.abs(expected.logits()[t][v]));
                    }
                    float[] keys = out.keys(1).get(b, t).toFloatArray();
                    for (int j = 0; j < keys.length; j++) {
                        assertEquals(expected.keys()[1][t][j], keys[j], 1e-4, "key " + j);
                    }
                    float[] block = out.residual(0).get(b, t).toFloatArray();
                    for (int j = 0; j < block.length; j++) {
                        assertEquals(expected.blockOutputs()[0][t][j], block[j], 1e-4, "block 0 output");
                    }
                }
            }
            assertTrue(maxAbs > 1.0, "logits of the micro model are not trivially small: " + maxAbs);
            assertTrue(maxDiff < 1e-4, "max |DJL - reference| = " + maxDiff);
        }
    }

    @Test
    void changingALaterTokenNeverChangesEarlierLogits() throws Exception {
        try (Gpt2Model model = MicroModels.create(3, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            int[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
            int[] b = a.clone();
            b[6] = 20;
            float[][] la = logits(model, scope, a);
            float[][] lb = logits(model, scope, b);
            for (int t = 0; t < a.length; t++) {
                double diff = maxAbsDiff(la[t], lb[t]);
                if (t < 6) {
                    assertTrue(diff < 1e-6, "position " + t + " changed by " + diff);
                } else {
                    assertTrue(diff > 1e-3, "position " + t + " did not see the change: " + diff);
                }
            }
        }
    }

    @Test
    void paddingAndBatchingDoNotChangeResults() throws Exception {
        try (Gpt2Model model = MicroModels.create(5, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            ForwardResult batched = model.forward(scope, TokenBatch.of(List.of(PROMPTS), 0));
            double maxDiff = 0;
            for (int b = 0; b < PROMPTS.length; b++) {
                float[][] single = logits(model, scope, PROMPTS[b]);
                for (int t = 0; t < PROMPTS[b].length; t++) {
                    maxDiff = Math.max(maxDiff,
                            maxAbsDiff(single[t], batched.logits().get(b, t).toFloatArray()));
                }
            }
            assertTrue(maxDiff < 1e-5, "batched vs single max diff " + maxDiff);
            // A different pad id must not matter either.
            ForwardResult padded7 = model.forward(scope, TokenBatch.of(List.of(PROMPTS), 7));
            float[] x = batched.logits().get(1, 1).toFloatArray();
            float[] y = padded7.logits().get(1, 1).toFloatArray();
            assertTrue(maxAbsDiff(x, y) < 1e-6);
        }
    }

    @Test
    void gradientsMatchCentralFiniteDifferencesInFloat64() throws Exception {
        try (Gpt2Model model = MicroModels.create(9, DataType.FLOAT64);
                NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(List.of(PROMPTS[0], PROMPTS[2], PROMPTS[1]), 0);
            NDArray delta = scope.randomNormal(new ai.djl.ndarray.types.Shape(8))
                    .toType(DataType.FLOAT64, false);
            delta.setRequiresGradient(true);
            ResidualAddition addition = new ResidualAddition(0, delta, new int[] {0, 1}, new int[] {3, 5});
            ForwardOptions options = ForwardOptions.builder().add(addition).build();
            model.setTrainable(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = LanguageModelLoss.nextTokenLoss(scope,
                        model.forward(scope, batch, options).logits(), batch);
                gc.backward(loss);
            }
            Random random = new Random(1);
            int checked = 0;
            double worst = 0;
            List<NDArray> arrays = new ArrayList<>(model.parameters().values());
            arrays.add(delta);
            for (NDArray p : arrays) {
                double[] grad = p.getGradient().toDoubleArray();
                for (int k = 0; k < 3; k++) {
                    int flat = random.nextInt(grad.length);
                    double numeric = centralDifference(model, scope, batch, options, p, flat);
                    double err = Math.abs(numeric - grad[flat]) / Math.max(1e-3, Math.abs(numeric));
                    worst = Math.max(worst, err);
                    assertEquals(numeric, grad[flat], 1e-6 + 1e-5 * Math.abs(numeric),
                            p.getName() + "[" + flat + "]");
                    checked++;
                }
            }
            model.setTrainable(false);
            assertEquals(3 * (model.parameters().size() + 1), checked);
            assertEquals(28, model.parameters().size());
            assertTrue(worst < 1e-4, "worst relative error " + worst);
        }
    }

    @Test
    void backwardSurvivesGarbageCollectionBetweenForwardAndBackward() throws Exception {
        // Regression: index and mask arrays built from Java data used to alias direct buffers that
        // could be freed before backward, giving out-of-bounds indices or wrong gradients.
        try (Gpt2Model model = MicroModels.create(13, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(List.of(PROMPTS), 0);
            model.setTrainable(true);
            float[][] grads = new float[2][];
            for (int run = 0; run < 2; run++) {
                try (NDManager step = scope.newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = LanguageModelLoss.nextTokenLoss(step, model.forward(step, batch).logits(), batch);
                    if (run == 1) {
                        for (int i = 0; i < 50; i++) {
                            java.nio.ByteBuffer junk = java.nio.ByteBuffer.allocateDirect(1 << 16);
                            while (junk.hasRemaining()) {
                                junk.put((byte) 0x7f);
                            }
                            System.gc();
                        }
                    }
                    gc.backward(loss);
                }
                NDArray g = model.parameter("transformer.wte.weight").getGradient();
                grads[run] = g.toFloatArray();
                g.subi(g);
                g.close();
            }
            model.setTrainable(false);
            assertTrue(maxAbsDiff(grads[0], grads[1]) < 1e-7, "gradients differ after GC");
            double norm = 0;
            for (float v : grads[0]) {
                norm += v * v;
            }
            assertTrue(norm > 1e-6, "embedding gradient is non-zero");
        }
    }

    private static double centralDifference(Gpt2Model model, NDManager scope, TokenBatch batch,
            ForwardOptions options, NDArray p, int flat) {
        double h = 1e-6;
        long[] index = unravel(flat, p.getShape().getShape());
        double original = p.getDouble(index);
        p.set(new NDIndex(index), original + h);
        double plus = loss(model, scope, batch, options);
        p.set(new NDIndex(index), original - h);
        double minus = loss(model, scope, batch, options);
        p.set(new NDIndex(index), original);
        return (plus - minus) / (2 * h);
    }

    private static double loss(Gpt2Model model, NDManager scope, TokenBatch batch, ForwardOptions options) {
        try (NDManager step = scope.newSubManager()) {
            return LanguageModelLoss.nextTokenLoss(step, model.forward(step, batch, options).logits(), batch)
                    .getDouble();
        }
    }

    private static long[] unravel(int flat, long[] shape) {
        long[] index = new long[shape.length];
        long rest = flat;
        for (int i = shape.length - 1; i >= 0; i--) {
            index[i] = rest % shape[i];
            rest /= shape[i];
        }
        return index;
    }

    static float[][] logits(Gpt2Model model, NDManager scope, int[] ids) {
        try (NDManager step = scope.newSubManager()) {
            NDArray logits = model.forward(step, TokenBatch.single(ids, 0)).logits();
            float[][] out = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                out[t] = logits.get(0, t).toFloatArray();
            }
            return out;
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
