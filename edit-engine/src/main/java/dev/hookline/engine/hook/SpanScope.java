/*
 * A scope test on the key itself rather than on the size of the hook's output change: the share
 * of a key's whitened energy that lies in the span of the keys edited so far. An improvement over
 * the paper measured as the named method "coachhook-span" (docs/BENCHMARKS.md): with last-token
 * keys the paper's m_t = ||(W_h - W_0) k_t|| is large exactly where an update leaks into a
 * neighbour, so thresholding it cannot remove harmful leakage; this score does not depend on the
 * residuals at all.
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * {@code rho(k) = 1 - (k^T C_accu^-1 k) / (k^T (lambda C0)^-1 k)}, in [0, 1). With
 * {@code C_accu = lambda C0 + sum_i k_i k_i^T} over the edited keys, rho is 0 before any edit;
 * for a single edited key with whitened norm {@code w2 = k^T (lambda C0)^-1 k} it is
 * {@code w2 / (1 + w2)}, and for another key it is about its squared whitened cosine to the edited
 * span times that saturation. A position swaps where {@code rho >= alpha}.
 *
 * <p>Defined at every position of every sequence (T = 1 included); NaN where the key is zero
 * (whitened norm below 1e-30), which never swaps. Padding positions are scored but the hook never
 * swaps them. Shapes: B rows, T positions, d_ff key width. Both inverses are float64 and live as
 * long as the owner keeps them; this object does not close them.
 */
public final class SpanScope implements KeyScope {
    private final NDArray preserveInverse; // (d_ff, d_ff) float64, (lambda C0)^-1
    private final NDArray accumulatedInverse; // (d_ff, d_ff) float64, C_accu^-1

    /**
     * @param preserveInverse {@code (lambda C0)^-1}, (d_ff, d_ff), float64
     * @param accumulatedInverse {@code C_accu^-1}, (d_ff, d_ff), float64, same device
     */
    public SpanScope(NDArray preserveInverse, NDArray accumulatedInverse) {
        if (preserveInverse.getDataType() != DataType.FLOAT64 || accumulatedInverse.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("span scope inverses must be float64");
        }
        if (!preserveInverse.getShape().equals(accumulatedInverse.getShape())
                || preserveInverse.getShape().dimension() != 2
                || preserveInverse.getShape().get(0) != preserveInverse.getShape().get(1)) {
            throw new IllegalArgumentException("span scope inverses must be square and of one shape, got "
                    + preserveInverse.getShape() + " and " + accumulatedInverse.getShape());
        }
        this.preserveInverse = preserveInverse;
        this.accumulatedInverse = accumulatedInverse;
    }

    /** Scores of every position of a batch of keys (B, T, d_ff), row-major (B, T). */
    @Override
    public double[] keyScores(NDArray keys) {
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray k = keys.toType(DataType.FLOAT64, true); // (B, T, d_ff)
            k.attach(work);
            double[] preserved = k.matMul(preserveInverse).mul(k).sum(new int[] {2}).toDoubleArray(); // (B, T)
            double[] remaining = k.matMul(accumulatedInverse).mul(k).sum(new int[] {2}).toDoubleArray(); // (B, T)
            double[] rho = new double[preserved.length];
            for (int i = 0; i < rho.length; i++) {
                rho[i] = preserved[i] > 1e-30 ? 1 - remaining[i] / preserved[i] : Double.NaN;
            }
            return rho;
        }
    }

    @Override
    public String name() {
        return "span";
    }

    /** A position's score depends on its own key (or output difference) alone. */
    @Override
    public boolean positionwise() {
        return true;
    }
}
