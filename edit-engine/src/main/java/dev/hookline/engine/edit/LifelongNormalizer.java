/*
 * UltraEdit's lifelong normalisation: per-feature running mean and standard deviation of every
 * row (a token's key concatenated with its output gradient) seen in all batches so far, merged
 * batch by batch, and the standardisation (x - mean) / (std + eps) with those statistics.
 * Reference: UltraEdit (Gu et al. 2025) section 3, lifelong normalisation; the running statistics
 * of the authors' RunningMeanStd. The merge here is the exact one (Chan et al. 1979): the sum of
 * squared deviations grows by the batch's own sum of squares plus n n_x delta^2 / (n + n_x); the
 * authors' code adds n_x times the batch's unbiased variance, which over-counts by one batch
 * variance per batch and is undefined for a one-row batch.
 */
package dev.hookline.engine.edit;

/** Running statistics of rows of width w; not thread-safe. */
public final class LifelongNormalizer {
    /** The eps of the reference (float32 machine epsilon), in the std's denominator and the division. */
    public static final double EPS = Math.ulp(1.0f);

    private final int width;
    private long count;
    private final double[] mean;
    private final double[] sumSquares; // sum over rows of (x - mean)^2 per feature

    /** Empty statistics for rows of {@code width} features. */
    public LifelongNormalizer(int width) {
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1, got " + width);
        }
        this.width = width;
        this.mean = new double[width];
        this.sumSquares = new double[width];
    }

    /** Rows seen so far. */
    public long count() {
        return count;
    }

    /** Running mean per feature (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** Running standard deviation per feature, {@code sqrt(S / (n - 1 + eps))} (0 before any row). */
    public double[] std() {
        double[] out = new double[width];
        if (count == 0) {
            return out;
        }
        for (int j = 0; j < width; j++) {
            out[j] = Math.sqrt(sumSquares[j] / (count - 1 + EPS));
        }
        return out;
    }

    /**
     * Merges a batch of rows into the statistics.
     *
     * @param rows (n_x, w) row-major
     * @param n number of rows n_x (>= 1)
     */
    public void update(double[] rows, int n) {
        if (n < 1 || rows.length != (long) n * width) {
            throw new IllegalArgumentException("expected " + n + " rows of " + width + ", got " + rows.length + " values");
        }
        long total = count + n;
        for (int j = 0; j < width; j++) {
            double batchMean = 0;
            for (int i = 0; i < n; i++) {
                batchMean += rows[i * width + j];
            }
            batchMean /= n;
            double batchSquares = 0;
            for (int i = 0; i < n; i++) {
                double dev = rows[i * width + j] - batchMean;
                batchSquares += dev * dev;
            }
            double delta = batchMean - mean[j];
            mean[j] += n * delta / total;
            sumSquares[j] += batchSquares + (double) count * n * delta * delta / total;
        }
        count = total;
    }

    /** (x - mean) / (std + eps) of each row, (n, w) row-major, with the current statistics. */
    public double[] normalize(double[] rows, int n) {
        if (rows.length != (long) n * width) {
            throw new IllegalArgumentException("expected " + n + " rows of " + width + ", got " + rows.length + " values");
        }
        double[] std = std();
        double[] out = new double[rows.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < width; j++) {
                out[i * width + j] = (rows[i * width + j] - mean[j]) / (std[j] + EPS);
            }
        }
        return out;
    }

    /** The state (count, mean, sum of squares) for storage. */
    public double[] state() {
        double[] out = new double[1 + 2 * width];
        out[0] = count;
        System.arraycopy(mean, 0, out, 1, width);
        System.arraycopy(sumSquares, 0, out, 1 + width, width);
        return out;
    }
}
