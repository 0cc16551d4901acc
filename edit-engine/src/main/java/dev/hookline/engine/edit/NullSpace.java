/*
 * The projector onto the null space of the preserved keys' covariance: P = U U^T with U the
 * eigenvectors of C0 = E[k k^T] whose eigenvalues are below a threshold. AlphaEdit takes U from an
 * SVD; DJL 0.36 has no eigen-decomposition, so P is computed as the spectral projector
 * (I + sign(tau I - C0)) / 2 with the scaled Newton iteration for the matrix sign, which needs
 * only inverses and products (on the model's device) and gives the same P to float64 precision.
 * Reference: AlphaEdit (Fang et al., ICLR 2025) section 3.2; Higham, Functions of Matrices, ch. 5
 * (Newton iteration for the sign function with Frobenius-norm scaling).
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Shapes: n = d_ff. */
public final class NullSpace {
    private NullSpace() {}

    /** Newton steps at most; convergence is quadratic once the scaled iterate is near its sign. */
    static final int MAX_STEPS = 100;

    /** The relative change below which the iterate counts as converged. */
    static final double TOLERANCE = 1e-14;

    /**
     * Below this relative change the iteration is in its quadratic phase: a step that then fails to
     * halve the change has reached the rounding floor, and further steps only repeat it. Measured on a
     * d_ff 4096 C0 (the large preset, threshold 1): 6.6e-10, then 2.03e-14, 2.00e-14, 2.01e-14, ...
     * for ever, so that without this rule all 100 steps ran (9-10 min on 2 CPU cores; 13 steps take 46 s).
     */
    static final double QUADRATIC_PHASE = 1e-8;

    /**
     * P onto the eigenvectors of {@code c} with eigenvalue below {@code tau}: symmetric,
     * idempotent, {@code P c ~ 0} on the kept (large-eigenvalue) directions.
     *
     * @param c symmetric (n, n), float64
     * @param tau threshold; should not be an eigenvalue of c
     * @return P, (n, n) float64, attached to {@code c}'s manager
     */
    public static NDArray projector(NDArray c, double tau) {
        return iterate(c, tau).projector();
    }

    /** P and the number of Newton steps taken. */
    record Result(NDArray projector, int steps) {}

    static Result iterate(NDArray c, double tau) {
        if (c.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("covariance must be float64, got " + c.getDataType());
        }
        int n = (int) c.getShape().get(0);
        NDManager owner = c.getManager();
        try (NDManager work = owner.newSubManager()) {
            NDArray eye = work.eye(n, n, 0, DataType.FLOAT64);
            NDArray x = in(work, eye.mul(tau).sub(c)); // (n, n): sign(x) is +1 where eigenvalues of c < tau
            double previous = Double.POSITIVE_INFINITY;
            int steps = 0;
            while (steps < MAX_STEPS) {
                double change;
                NDArray next;
                try (NDManager iteration = work.newSubManager()) { // one step's temporaries
                    NDArray inverse = in(iteration, x.inverse());
                    double mu = Math.sqrt(frobenius(inverse) / frobenius(x));
                    NDArray scaled = in(iteration, x.mul(mu)); // x lives in work: move its products out of it
                    NDArray half = scaled.add(inverse.div(mu)).div(2);
                    next = half.add(half.transpose()).div(2); // keep it exactly symmetric
                    change = frobenius(next.sub(x)) / Math.max(frobenius(next), 1e-300);
                    next.attach(work);
                }
                x.close();
                x = next;
                steps++;
                if (change < TOLERANCE || (previous < QUADRATIC_PHASE && change > previous / 2)) {
                    break; // converged, or at the rounding floor
                }
                previous = change;
            }
            NDArray p = x.add(eye).div(2); // (n, n)
            p.attach(owner);
            return new Result(p, steps);
        }
    }

    /** trace(P): the dimension of the null space P projects onto. */
    public static long rank(NDArray p) {
        double[] v = p.toDoubleArray();
        int n = (int) p.getShape().get(0);
        double t = 0;
        for (int i = 0; i < n; i++) {
            t += v[i * n + i];
        }
        return Math.round(t);
    }

    private static double frobenius(NDArray x) {
        try (NDArray norm = x.norm()) {
            return norm.getDouble();
        }
    }

    private static NDArray in(NDManager work, NDArray x) {
        x.attach(work);
        return x;
    }
}
