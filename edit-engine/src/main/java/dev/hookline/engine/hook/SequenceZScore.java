/*
 * The paper's scope test: z-score of m_t over the real positions of the same sequence.
 * Reference: CoachHooK (Li et al.), validated hook layer; DESIGN.md section 3.
 */
package dev.hookline.engine.hook;

import java.util.Arrays;

/**
 * {@code z_t = (m_t - mean(m)) / std(m)} over the T real positions of one sequence, with the
 * sample standard deviation (divisor T - 1).
 *
 * <p>Edge cases (documented behaviour, tested):
 * <ul>
 *   <li>T = 1: the spread is undefined, every z is NaN, the position keeps W_0's output.</li>
 *   <li>std = 0 or below {@code 1e-5 * mean + 1e-12} (all m equal, e.g. W_h == W_0, where m is
 *       0 everywhere, or float32 rounding noise around equal values): no position stands out,
 *       every z is NaN, nothing swaps.</li>
 *   <li>Padding: callers pass only real positions, so padding never enters mean or std and never swaps.</li>
 * </ul>
 * Within one sequence of n positions the largest possible z is (n - 1) / sqrt(n), so a fixed
 * alpha above that cannot fire on short prompts (DESIGN.md section 7).
 */
public final class SequenceZScore implements ScopeTest {
    /** The single instance (stateless). */
    public static final SequenceZScore INSTANCE = new SequenceZScore();

    private SequenceZScore() {}

    @Override
    public double[] scores(double[] m) {
        int n = m.length;
        double[] z = new double[n];
        if (n < 2) {
            Arrays.fill(z, Double.NaN);
            return z;
        }
        double mean = 0;
        for (double v : m) {
            mean += v;
        }
        mean /= n;
        double ss = 0;
        for (double v : m) {
            ss += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(ss / (n - 1));
        if (!(std > 1e-5 * Math.abs(mean) + 1e-12)) {
            Arrays.fill(z, Double.NaN);
            return z;
        }
        for (int t = 0; t < n; t++) {
            z[t] = (m[t] - mean) / std;
        }
        return z;
    }

    @Override
    public String name() {
        return "sequence-z";
    }
}
