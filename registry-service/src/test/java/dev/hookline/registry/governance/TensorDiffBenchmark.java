/*
 * How long the registry's per-layer tensor diff takes at GPT-2 small's hook size (d_ff 3072, d 768):
 * the Frobenius norm and the singular values through ND4J (LAPACK gesvd). Prints figures; asserts
 * only that sum sigma^2 matches ||D||_F^2. Skipped unless -Dhookline.bench.tensordiff=true.
 */
package dev.hookline.registry.governance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TensorDiffBenchmark {

    @Test
    @EnabledIfSystemProperty(named = "hookline.bench.tensordiff", matches = "true")
    void gpt2SmallLayer() {
        int rows = 3072;
        int cols = 768;
        float[] d = new float[rows * cols];
        Random rnd = new Random(7);
        double sq = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian() * 0.01f;
            sq += (double) d[i] * d[i];
        }
        for (int round = 0; round < 3; round++) {
            long t = System.nanoTime();
            double[] sv = TensorDiff.singularValues(d, rows, cols);
            double ms = (System.nanoTime() - t) / 1e6;
            double sum = 0;
            for (double s : sv) {
                sum += s * s;
            }
            assertEquals(sq, sum, 1e-3 * sq);
            System.out.printf("tensor diff benchmark: (%d, %d) float32, %d singular values in %.0f ms (round %d)%n",
                    rows, cols, sv.length, ms, round + 1);
        }
    }
}
