/*
 * Gathers per-(row, position) vectors out of (B, T, n) activations into Java arrays.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/** Index helpers on (B, T, n) arrays. */
final class Positions {
    private Positions() {}

    /** Flat row indices b * T + t of the pairs, for index-select on a (B*T, n) view. */
    static long[] flat(int[] rows, int[] positions, long length) {
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            idx[i] = rows[i] * length + positions[i];
        }
        return idx;
    }

    /** Rows of {@code x} (B, T, n) at the pairs, as an array (P, n) attached to {@code scope}. */
    static NDArray select(NDManager scope, NDArray x, int[] rows, int[] positions) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long n = x.getShape().get(2);
        NDArray index = scope.create(flat(rows, positions, t));
        NDArray out = x.reshape(b * t, n).get(new NDIndex("{}", index)); // (P, n)
        out.attach(scope);
        return out;
    }

    /** {@link #select} as float64 Java rows. */
    static double[][] gather(NDManager scope, NDArray x, int[] rows, int[] positions) {
        try (NDManager work = scope.newSubManager()) {
            NDArray sel = select(work, x, rows, positions);
            int n = (int) sel.getShape().get(1);
            double[] flat = sel.toType(DataType.FLOAT64, false).toDoubleArray();
            double[][] out = new double[rows.length][n];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(flat, i * n, out[i], 0, n);
            }
            return out;
        }
    }
}
