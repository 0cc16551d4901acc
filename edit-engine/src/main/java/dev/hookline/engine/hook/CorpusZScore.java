/*
 * A scope test that does not depend on prompt length: m_t standardised by the distribution of m
 * over a corpus sample at the same layer (an improvement over the paper, measured as the named
 * method "coachhook-corpus"; DESIGN.md section 7 explains why the per-sequence z-score cannot
 * reach alpha0 = 2.2 on short prompts).
 */
package dev.hookline.engine.hook;

/**
 * {@code z_t = (m_t - mu) / sigma}, where mu and sigma are the mean and standard deviation of
 * ||(W_h - W_0) k|| over keys k sampled from a corpus at this layer. Defined at every position
 * of every sequence, also for T = 1; NaN only when sigma is 0 (W_h == W_0 on the whole sample).
 *
 * @param mu corpus mean of m
 * @param sigma corpus standard deviation of m, >= 0
 */
public record CorpusZScore(double mu, double sigma) implements ScopeTest {
    public CorpusZScore {
        if (!Double.isFinite(mu) || !Double.isFinite(sigma) || sigma < 0) {
            throw new IllegalArgumentException("corpus statistics must be finite with sigma >= 0, got mu "
                    + mu + ", sigma " + sigma);
        }
    }

    @Override
    public double[] scores(double[] m) {
        double[] z = new double[m.length];
        for (int t = 0; t < m.length; t++) {
            z[t] = sigma > 1e-12 ? (m[t] - mu) / sigma : Double.NaN;
        }
        return z;
    }

    @Override
    public String name() {
        return "corpus-z";
    }

    /** A position's score depends on its own key (or output difference) alone. */
    @Override
    public boolean positionwise() {
        return true;
    }
}
