/*
 * Hook points CoachHooK builds on: c_proj replacement, key capture, residual additions.
 */
package dev.hookline.engine.model;

import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hookline.engine.testing.MicroModels;
import dev.hookline.engine.testing.ReferenceGpt2;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookPointsTest {

    private static final List<int[]> ROWS = List.of(
            new int[] {3, 1, 4, 1, 5, 9, 2, 6}, new int[] {2, 7, 18}, new int[] {10, 11, 12, 13, 14});

    @Test
    void identityHookLeavesLogitsUnchanged() throws Exception {
        try (Gpt2Model model = MicroModels.create(31, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(ROWS, 0);
            AtomicInteger calls = new AtomicInteger();
            ForwardResult plain = model.forward(scope, batch);
            ForwardResult hooked = model.forward(scope, batch, ForwardOptions.builder()
                    .hook(0, (layer, keys, original, mask) -> {
                        calls.incrementAndGet();
                        assertEquals(new Shape(3, 8, 24), keys.getShape());
                        assertEquals(new Shape(3, 8, 8), original.getShape());
                        assertEquals(new Shape(3, 8), mask.getShape());
                        assertEquals(3 + 8 + 5, mask.sum().getFloat(), 0);
                        return original;
                    })
                    .hook(1, (layer, keys, original, mask) -> {
                        calls.incrementAndGet();
                        return keys.matMul(model.mlpProjectionWeight(layer)).add(model.mlpProjectionBias(layer));
                    })
                    .build());
            assertEquals(2, calls.get());
            double diff = plain.logits().sub(hooked.logits()).abs().max().getFloat();
            assertTrue(diff < 1e-6, "identity hooks changed logits by " + diff);
        }
    }

    @Test
    void changingOnePositionChangesOnlyThatAndLaterPositions() throws Exception {
        try (Gpt2Model model = MicroModels.create(32, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(ROWS, 0);
            int row = 0;
            int position = 4;
            ForwardResult plain = model.forward(scope, batch);
            ForwardResult hooked = model.forward(scope, batch, ForwardOptions.builder()
                    .hook(0, (layer, keys, original, mask) -> {
                        float[] sel = new float[3 * 8];
                        sel[row * 8 + position] = 1f;
                        NDArray select = keys.getManager().create(sel, new Shape(3, 8, 1));
                        // A non-uniform shift (a constant one would vanish in the next LayerNorm).
                        NDArray shift = keys.getManager().create(new float[] {2, -1, 0, 3, 1, -2, 0.5f, 0});
                        return original.add(select.mul(shift));
                    })
                    .build());
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < batch.length(b); t++) {
                    double diff = plain.logits().get(b, t).sub(hooked.logits().get(b, t)).abs().max().getFloat();
                    if (b == row && t >= position) {
                        assertTrue(diff > 1e-3, "(" + b + "," + t + ") unchanged: " + diff);
                    } else {
                        assertTrue(diff < 1e-6, "(" + b + "," + t + ") changed by " + diff);
                    }
                }
            }
        }
    }

    @Test
    void capturedKeysEqualGeluOfFcOfLn2ComputedIndependently(@TempDir Path dir) throws Exception {
        MicroModels.write(33, dir);
        ReferenceGpt2 reference = new ReferenceGpt2(dir);
        try (Gpt2Model model = MicroModels.create(33, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            ForwardResult out = model.forward(scope, TokenBatch.of(ROWS, 0), ForwardOptions.builder()
                    .captureKeys(0, 1).captureMlpOutputs(1).captureResiduals(true).build());
            Gpt2Config c = model.config();
            int d = c.hiddenSize();
            int ff = c.mlpSize();
            for (int layer = 0; layer < 2; layer++) {
                String p = "transformer.h." + layer + ".";
                float[] g = model.parameter(p + "ln_2.weight").toFloatArray();
                float[] beta = model.parameter(p + "ln_2.bias").toFloatArray();
                float[] w = model.parameter(p + "mlp.c_fc.weight").toFloatArray(); // (d, d_ff)
                float[] bias = model.parameter(p + "mlp.c_fc.bias").toFloatArray();
                for (int b = 0; b < ROWS.size(); b++) {
                    double[][] refKeys = reference.forward(ROWS.get(b)).keys()[layer];
                    for (int t = 0; t < ROWS.get(b).length; t++) {
                        float[] h = out.attentionResidual(layer).get(b, t).toFloatArray();
                        double mean = 0;
                        for (float v : h) {
                            mean += v;
                        }
                        mean /= d;
                        double var = 0;
                        for (float v : h) {
                            var += (v - mean) * (v - mean);
                        }
                        var /= d;
                        float[] key = out.keys(layer).get(b, t).toFloatArray();
                        for (int j = 0; j < ff; j++) {
                            double s = bias[j];
                            for (int i = 0; i < d; i++) {
                                s += ((h[i] - mean) / Math.sqrt(var + c.layerNormEpsilon()) * g[i] + beta[i]) * w[i * ff + j];
                            }
                            double expected = 0.5 * s * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (s + 0.044715 * s * s * s)));
                            assertEquals(expected, key[j], 1e-5, "key[" + layer + "," + b + "," + t + "," + j + "]");
                            assertEquals(refKeys[t][j], key[j], 1e-4, "reference key");
                        }
                    }
                }
            }
            // The captured MLP output is k W + b at that layer.
            NDArray expectedOut = out.keys(1).matMul(model.mlpProjectionWeight(1)).add(model.mlpProjectionBias(1));
            assertTrue(expectedOut.sub(out.mlpOutput(1)).abs().max().getFloat() < 1e-6);
            assertThrows(IllegalStateException.class, () -> out.keys(5));
        }
    }

    @Test
    void copyIsIndependentOfTheOriginal() throws Exception {
        try (Gpt2Model model = MicroModels.create(35, DataType.FLOAT32);
                Gpt2Model copy = model.copy(DataType.FLOAT32);
                Gpt2Model wide = model.copy(DataType.FLOAT64)) {
            NDArray w = copy.mlpProjectionWeight(0);
            float before = model.mlpProjectionWeight(0).getFloat(0, 0);
            w.addi(1f);
            assertEquals(before, model.mlpProjectionWeight(0).getFloat(0, 0), 0);
            assertEquals(before + 1f, w.getFloat(0, 0), 1e-6);
            assertEquals(DataType.FLOAT64, wide.dataType());
            assertEquals(before, wide.mlpProjectionWeight(0).getDouble(0, 0), 1e-7);
        }
    }

    @Test
    void residualAdditionShiftsExactlyTheChosenPositionsAndCarriesGradient() throws Exception {
        try (Gpt2Model model = MicroModels.create(34, DataType.FLOAT32);
                NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(ROWS, 0);
            NDArray delta = scope.create(new float[] {1, -1, 0.5f, 0, 2, 0, 0, -3});
            ForwardResult plain = model.forward(scope, batch,
                    ForwardOptions.builder().captureResiduals(true).build());
            ForwardOptions options = ForwardOptions.builder().captureResiduals(true)
                    .add(new ResidualAddition(1, delta, new int[] {0, 2}, new int[] {5, 2})).build();
            ForwardResult added = model.forward(scope, batch, options);
            NDArray diff = added.residual(1).sub(plain.residual(1)); // (B, T, d)
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < 8; t++) {
                    boolean chosen = (b == 0 && t == 5) || (b == 2 && t == 2);
                    NDArray expected = chosen ? delta : delta.zerosLike();
                    double err = diff.get(b, t).sub(expected).abs().max().getFloat();
                    assertTrue(err < 1e-5, "(" + b + "," + t + ") residual error " + err);
                }
            }
            delta.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(scope, batch, options).logits();
                // Layer 1 is the last block: the addition at (0, 5) reaches only position 5's logits.
                gc.backward(logits.get(new NDIndex("0, 5, 3")));
            }
            double gradNorm = delta.getGradient().norm().getFloat();
            assertTrue(gradNorm > 1e-4, "gradient reaches the added vector: " + gradNorm);
        }
    }
}
