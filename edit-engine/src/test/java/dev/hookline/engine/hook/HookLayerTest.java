/*
 * Validated and temporary hook layers against a plain-Java oracle, with the documented edge cases.
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HookLayerTest {
    private static final int B = 2;
    private static final int T = 6;
    private static final int FF = 5;
    private static final int D = 3;

    private static float[] gaussian(Random r, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * scale);
        }
        return out;
    }

    @Test
    void validatedHookSwapsExactlyWhereZReachesAlpha() {
        Random r = new Random(7);
        float[] keys = gaussian(r, B * T * FF, 1);
        float[] original = gaussian(r, B * T * D, 1);
        float[] delta = gaussian(r, FF * D, 1);
        float[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}; // row 1 has 4 real positions
        double alpha = 0.3;
        try (NDManager nd = NDManager.newBaseManager()) {
            List<HookLayer.RowTrace> traces = new ArrayList<>();
            HookLayer hook = new HookLayer(0, nd.create(delta, new Shape(FF, D)), alpha, SequenceZScore.INSTANCE,
                    HookLayer.Mode.VALIDATED, traces::add);
            float[] out = hook.replace(0, nd.create(keys, new Shape(B, T, FF)), nd.create(original, new Shape(B, T, D)),
                    nd.create(mask, new Shape(B, T))).toFloatArray();
            int swapped = 0;
            int kept = 0;
            for (int b = 0; b < B; b++) {
                int n = b == 0 ? T : 4;
                double[] m = new double[n];
                float[][] shift = new float[T][D];
                for (int t = 0; t < T; t++) {
                    for (int j = 0; j < D; j++) {
                        for (int a = 0; a < FF; a++) {
                            shift[t][j] += keys[(b * T + t) * FF + a] * delta[a * D + j];
                        }
                    }
                }
                for (int t = 0; t < n; t++) {
                    m[t] = Math.sqrt(shift[t][0] * shift[t][0] + shift[t][1] * shift[t][1] + shift[t][2] * shift[t][2]);
                }
                double mean = 0;
                for (double v : m) {
                    mean += v / n;
                }
                double var = 0;
                for (double v : m) {
                    var += (v - mean) * (v - mean) / (n - 1);
                }
                for (int t = 0; t < T; t++) {
                    boolean real = t < n;
                    boolean swap = real && (m[t] - mean) / Math.sqrt(var) >= alpha;
                    for (int j = 0; j < D; j++) {
                        int idx = (b * T + t) * D + j;
                        double expected = original[idx] + (swap ? shift[t][j] : 0);
                        assertEquals(expected, out[idx], 1e-4, "row " + b + " pos " + t);
                    }
                    swapped += swap ? 1 : 0;
                    kept += swap ? 0 : 1;
                }
            }
            assertTrue(swapped >= 2 && kept >= 2, "both outcomes occur: " + swapped + " swapped, " + kept + " kept");
            assertEquals(2, traces.size());
            assertEquals(4, traces.get(1).m().length, "padding is not traced");
        }
    }

    @Test
    void temporaryHookUsesWhEverywhere() {
        Random r = new Random(3);
        float[] keys = gaussian(r, B * T * FF, 1);
        float[] original = gaussian(r, B * T * D, 1);
        float[] delta = gaussian(r, FF * D, 1);
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray k = nd.create(keys, new Shape(B, T, FF));
            HookLayer hook = new HookLayer(0, nd.create(delta, new Shape(FF, D)), 1e9, SequenceZScore.INSTANCE,
                    HookLayer.Mode.TEMPORARY, null);
            NDArray expected = nd.create(original, new Shape(B, T, D)).add(k.matMul(nd.create(delta, new Shape(FF, D))));
            NDArray out = hook.replace(0, k, nd.create(original, new Shape(B, T, D)), nd.ones(new Shape(B, T)));
            assertEquals(0, out.sub(expected).abs().max().getFloat(), 1e-5);
        }
    }

    @Test
    void edgeCasesOneTokenZeroSpreadAndPadding() {
        Random r = new Random(11);
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray delta = nd.create(gaussian(r, FF * D, 1), new Shape(FF, D));
            // T = 1: z undefined, keeps W_0 even at alpha = -infinity-like thresholds.
            NDArray k1 = nd.create(gaussian(r, FF, 1), new Shape(1, 1, FF));
            NDArray o1 = nd.create(gaussian(r, D, 1), new Shape(1, 1, D));
            HookLayer low = new HookLayer(0, delta, -1e9, SequenceZScore.INSTANCE, HookLayer.Mode.VALIDATED, null);
            assertEquals(0, low.replace(0, k1, o1, nd.ones(new Shape(1, 1))).sub(o1).abs().max().getFloat(), 0);
            // std = 0 because all keys are equal: nothing stands out, nothing swaps.
            float[] same = gaussian(r, FF, 1);
            float[] rep = new float[T * FF];
            for (int t = 0; t < T; t++) {
                System.arraycopy(same, 0, rep, t * FF, FF);
            }
            NDArray kSame = nd.create(rep, new Shape(1, T, FF));
            NDArray oT = nd.create(gaussian(r, T * D, 1), new Shape(1, T, D));
            assertEquals(0, low.replace(0, kSame, oT, nd.ones(new Shape(1, T))).sub(oT).abs().max().getFloat(), 0);
            // std = 0 because W_h == W_0: m = 0 everywhere, output is W_0's.
            HookLayer zero = new HookLayer(0, nd.zeros(new Shape(FF, D)), -1e9, SequenceZScore.INSTANCE,
                    HookLayer.Mode.VALIDATED, null);
            NDArray kRand = nd.create(gaussian(r, T * FF, 1), new Shape(1, T, FF));
            assertEquals(0, zero.replace(0, kRand, oT, nd.ones(new Shape(1, T))).sub(oT).abs().max().getFloat(), 0);
            // Padding: a huge key at a pad position changes neither the real positions' z nor its own output.
            float[] keys = gaussian(r, T * FF, 1);
            float[] padded = keys.clone();
            for (int a = 0; a < FF; a++) {
                padded[(T - 1) * FF + a] = 1000f;
            }
            float[] mask = {1, 1, 1, 1, 1, 0};
            List<HookLayer.RowTrace> clean = new ArrayList<>();
            List<HookLayer.RowTrace> dirty = new ArrayList<>();
            HookLayer h1 = new HookLayer(0, delta, 0.0, SequenceZScore.INSTANCE, HookLayer.Mode.VALIDATED, clean::add);
            HookLayer h2 = h1.withRecorder(dirty::add);
            NDArray maskArr = nd.create(mask, new Shape(1, T));
            NDArray out1 = h1.replace(0, nd.create(keys, new Shape(1, T, FF)), oT, maskArr);
            NDArray out2 = h2.replace(0, nd.create(padded, new Shape(1, T, FF)), oT, maskArr);
            assertEquals(5, clean.get(0).z().length);
            for (int t = 0; t < 5; t++) {
                assertEquals(clean.get(0).z()[t], dirty.get(0).z()[t], 1e-9);
            }
            float[] pad1 = out2.toFloatArray();
            float[] orig = oT.toFloatArray();
            for (int j = 0; j < D; j++) {
                assertEquals(orig[(T - 1) * D + j], pad1[(T - 1) * D + j], 0, "pad position keeps W_0's output");
            }
            assertEquals(0, out1.sub(out2).get("0, 0:5").abs().max().getFloat(), 1e-6);
        }
    }

    @Test
    void sequenceZScoreMaximumIsBoundedByPromptLength() {
        for (int n = 2; n <= 9; n++) {
            double[] m = new double[n];
            m[0] = 1;
            double max = ScopeTest.maxScore(SequenceZScore.INSTANCE.scores(m));
            assertEquals((n - 1) / Math.sqrt(n), max, 1e-12, "one outlier among " + n);
        }
        assertTrue(Double.isNaN(SequenceZScore.INSTANCE.scores(new double[] {3.0})[0]));
        assertTrue(Double.isNaN(SequenceZScore.INSTANCE.scores(new double[] {2.0, 2.0, 2.0})[1]));
        assertTrue(!ScopeTest.swaps(Double.NaN, -1e300));
        CorpusZScore corpus = new CorpusZScore(1.0, 0.5);
        assertEquals(4.0, corpus.scores(new double[] {3.0})[0], 1e-12, "defined for a single token");
    }
}
