/*
 * UltraEdit's lifelong normalisation: the running statistics merged batch by batch equal the mean
 * and standard deviation of every row seen so far, computed naively (two passes over all rows).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LifelongNormalizerTest {
    @Test
    void runningStatisticsEqualANaiveLoopOverAllRowsSeen() {
        int w = 7;
        Random random = new Random(3);
        LifelongNormalizer norm = new LifelongNormalizer(w);
        List<double[]> seen = new ArrayList<>();
        int[] sizes = {1, 5, 2, 40, 1, 13};
        for (int b = 0; b < sizes.length; b++) {
            int n = sizes[b];
            double[] batch = new double[n * w];
            for (int i = 0; i < batch.length; i++) {
                // drifting, feature-scaled data: the statistics must follow the shift between batches
                batch[i] = (1 + i % w) * random.nextGaussian() + 3 * b + 100;
            }
            norm.update(batch, n);
            for (int i = 0; i < n; i++) {
                double[] row = new double[w];
                System.arraycopy(batch, i * w, row, 0, w);
                seen.add(row);
            }
            long total = seen.size();
            assertEquals(total, norm.count());
            double[] mean = norm.mean();
            double[] std = norm.std();
            for (int j = 0; j < w; j++) {
                double m = 0;
                for (double[] r : seen) {
                    m += r[j];
                }
                m /= total;
                double ss = 0;
                for (double[] r : seen) {
                    ss += (r[j] - m) * (r[j] - m);
                }
                double s = Math.sqrt(ss / (total - 1 + LifelongNormalizer.EPS));
                assertEquals(m, mean[j], 1e-10 * Math.abs(m), "mean of feature " + j + " after batch " + b);
                assertEquals(s, std[j], 1e-9 * s, "std of feature " + j + " after batch " + b);
            }
            double[] z = norm.normalize(batch, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < w; j++) {
                    double expected = (batch[i * w + j] - mean[j]) / (std[j] + LifelongNormalizer.EPS);
                    assertEquals(expected, z[i * w + j], 1e-12 * Math.max(1, Math.abs(expected)));
                }
            }
        }
        // Standardised with the statistics of everything seen, the whole history has mean 0 and std 1.
        double[] all = new double[seen.size() * w];
        for (int i = 0; i < seen.size(); i++) {
            System.arraycopy(seen.get(i), 0, all, i * w, w);
        }
        double[] z = norm.normalize(all, seen.size());
        for (int j = 0; j < w; j++) {
            double m = 0;
            double ss = 0;
            for (int i = 0; i < seen.size(); i++) {
                m += z[i * w + j];
            }
            m /= seen.size();
            for (int i = 0; i < seen.size(); i++) {
                ss += (z[i * w + j] - m) * (z[i * w + j] - m);
            }
            assertEquals(0, m, 1e-9);
            assertEquals(1, Math.sqrt(ss / (seen.size() - 1)), 1e-6);
        }
    }

    @Test
    void badShapesAreRefused() {
        LifelongNormalizer norm = new LifelongNormalizer(3);
        assertThrows(IllegalArgumentException.class, () -> norm.update(new double[5], 2));
        assertThrows(IllegalArgumentException.class, () -> norm.update(new double[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new LifelongNormalizer(0));
    }
}
