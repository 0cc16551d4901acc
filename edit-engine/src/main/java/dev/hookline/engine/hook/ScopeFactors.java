/*
 * Factors that turn the span scopes' (d_ff, d_ff) float64 quadratic forms into sums of squares of a
 * key's projections, for serving (issue 29, "a scope that is cheap to serve"). Two are needed:
 * the Cholesky factor L of the preserve inverse (lambda_s C0)^-1 = L L^T, so that
 * k^T (lambda_s C0)^-1 k = ||L^T k||^2 (full rank: the keys' whitened energy lies in every
 * direction), and for each relation a thin factor F_r of the difference
 * (lambda_s C0)^-1 - (lambda_s C0 + K_r K_r^T)^-1 = F_r F_r^T, which by the Woodbury identity has
 * rank at most the number of keys in K_r, so that rho_r = ||F_r^T k||^2 / ||L^T k||^2 exactly.
 * The thin factor is found by a pivoted (partial) Cholesky of the difference, from the two stored
 * inverses alone, so bundles written before the factored form existed serve through it too.
 * Reference: Woodbury identity; pivoted Cholesky for low-rank PSD matrices (Harbrecht, Peters and
 * Schneider 2012); blocked right-looking Cholesky (Golub and Van Loan, section 4.2).
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Shapes: n = d_ff, r = rank of a relation's difference of inverses. Row-major Java arrays. */
public final class ScopeFactors {
    private static final Logger LOG = LoggerFactory.getLogger(ScopeFactors.class);

    private ScopeFactors() {}

    /** Columns per block of {@link #choleskyLower}: the trailing update is one BLAS matmul per block. */
    static final int BLOCK = 256;

    /**
     * Relative size (to the largest diagonal entry of the difference) below which a residual
     * diagonal entry of the difference is float64 noise and the pivoted Cholesky stops.
     */
    static final double RANK_TOLERANCE = 1e-11;

    /**
     * The lower Cholesky factor L of a symmetric positive definite matrix, {@code a = L L^T}: a
     * blocked right-looking factorisation whose panel solves and trailing updates run as float64
     * matmuls on {@code manager}'s device and whose diagonal blocks are factored in Java. Only the
     * lower triangle of {@code a} is read (the diagonal blocks are symmetrised).
     *
     * @param a (n, n) float64, row-major
     * @return L, (n, n), row-major, zero above the diagonal
     * @throws IllegalStateException where {@code a} is not numerically positive definite
     */
    public static double[] choleskyLower(NDManager manager, double[] a, int n) {
        return choleskyLower(manager, a, n, BLOCK);
    }

    static double[] choleskyLower(NDManager manager, double[] a, int n, int block) {
        if (a.length != (long) n * n) {
            throw new IllegalArgumentException("matrix has " + a.length + " entries, not (" + n + ", " + n + ")");
        }
        double[] out;
        try (NDManager work = manager.newSubManager()) {
            NDArray m = work.create(a, new Shape(n, n)); // (n, n), overwritten by L on and below the diagonal
            for (int k0 = 0; k0 < n; k0 += block) {
                int k1 = Math.min(n, k0 + block);
                int b = k1 - k0;
                try (NDManager step = work.newSubManager()) {
                    NDIndex diagonal = new NDIndex(k0 + ":" + k1 + ", " + k0 + ":" + k1);
                    NDArray akk = m.get(diagonal); // (b, b)
                    akk.attach(step);
                    double[] lkk = cholesky(akk.toDoubleArray(), b, k0);
                    m.set(diagonal, step.create(lkk, new Shape(b, b)));
                    if (k1 < n) {
                        NDIndex panelAt = new NDIndex(k1 + ":, " + k0 + ":" + k1);
                        NDArray a21 = m.get(panelAt); // (n - k1, b)
                        a21.attach(step);
                        NDArray lkkInverse = step.create(lowerInverse(lkk, b), new Shape(b, b)); // (b, b)
                        NDArray panel = a21.matMul(lkkInverse.transpose()); // L21 = A21 L11^-T, (n - k1, b)
                        panel.attach(step);
                        m.set(panelAt, panel);
                        NDIndex trailingAt = new NDIndex(k1 + ":, " + k1 + ":");
                        NDArray trailing = m.get(trailingAt); // (n - k1, n - k1)
                        trailing.attach(step);
                        NDArray gram = panel.matMul(panel.transpose()); // (n - k1, n - k1)
                        gram.attach(step);
                        m.set(trailingAt, trailing.subi(gram)); // A22 - L21 L21^T
                    }
                }
            }
            out = m.toDoubleArray();
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                out[i * n + j] = 0;
            }
        }
        return out;
    }

    /**
     * Relative ridges (times the mean diagonal entry of lambda_s C0) tried, in order, when
     * lambda_s C0 itself does not factor: a rank-deficient or numerically indefinite C0 (fewer
     * corpus positions than d_ff, dead units) has no inverse, and the smallest ridge that makes it
     * factor defines rho with the least change.
     */
    static final double[] RIDGES = {1e-12, 1e-10, 1e-8, 1e-6};

    /**
     * The whitening W = L^-1 of the scope's preserve term, {@code sym(lambda_s C0) = L L^T}, so that
     * {@code k^T (lambda_s C0)^-1 k = ||W k||^2} without ever forming the explicit inverse (whose
     * float64 rounding grows with C0's condition number: at d_ff 4096 on a few thousand corpus
     * positions it is neither symmetric nor positive definite). Where the Cholesky factorisation
     * fails, the smallest of {@link #RIDGES} that lets it succeed is added to the diagonal (logged).
     *
     * @param c0 C0, (n, n) float64, row-major (symmetrised here)
     * @param what names the matrix in the log and in errors (e.g. "layer 1")
     * @return W, (n, n) row-major, lower triangular
     * @throws IllegalStateException where no ridge makes lambda_s C0 positive definite, or W is not finite
     */
    public static double[] whitening(NDManager manager, double[] c0, int n, double lambdaS, String what) {
        if (c0.length != (long) n * n) {
            throw new IllegalArgumentException("C0 has " + c0.length + " entries, not (" + n + ", " + n + ")");
        }
        if (!(lambdaS > 0) || Double.isInfinite(lambdaS)) {
            throw new IllegalArgumentException("scope lambda must be positive and finite, got " + lambdaS);
        }
        double[] a = new double[n * n]; // (n, n) lambda_s sym(C0)
        double trace = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i * n + j] = lambdaS * (c0[i * n + j] + c0[j * n + i]) / 2;
            }
            trace += a[i * n + i];
        }
        if (!Double.isFinite(trace) || !(trace > 0)) {
            throw new IllegalStateException(what + ": lambda_s C0 has trace " + trace
                    + " (not finite or not positive): the key statistics are broken");
        }
        double[] lower;
        try {
            lower = choleskyLower(manager, a, n);
        } catch (IllegalStateException notDefinite) {
            lower = null;
            for (double ridge : RIDGES) {
                double shift = ridge * trace / n;
                double[] shifted = a.clone();
                for (int i = 0; i < n; i++) {
                    shifted[i * n + i] += shift;
                }
                try {
                    lower = choleskyLower(manager, shifted, n);
                    LOG.warn("{}: the preserve term is not numerically positive definite ({}); whitening with"
                            + " it + {} I instead (a relative ridge of {})", what, notDefinite.getMessage(), shift, ridge);
                    break;
                } catch (IllegalStateException stillNot) {
                    // try the next ridge
                }
            }
            if (lower == null) {
                throw new IllegalStateException(what + ": lambda_s C0 is not positive definite even with a relative"
                        + " ridge of " + RIDGES[RIDGES.length - 1] + " (" + notDefinite.getMessage() + ")");
            }
        }
        double[] w = lowerInverse(manager, lower, n);
        for (double x : w) {
            if (!Double.isFinite(x)) {
                throw new IllegalStateException(what + ": the span scope's whitening L^-1 of lambda_s C0 is not finite");
            }
        }
        return w;
    }

    /**
     * The inverse of a lower triangular (n, n) matrix (row-major), by blocks:
     * {@code [L11 0; L21 L22]^-1 = [L11^-1 0; -L22^-1 L21 L11^-1  L22^-1]}, the off-diagonal block as
     * float64 matmuls on {@code manager}'s device, the diagonal blocks of at most {@link #BLOCK} by
     * forward substitution. Triangular inverses stay accurate far beyond what the condition number
     * of a general inverse allows.
     */
    public static double[] lowerInverse(NDManager manager, double[] l, int n) {
        try (NDManager work = manager.newSubManager()) {
            return lowerInverse(work, work.create(l, new Shape(n, n)), n).toDoubleArray();
        }
    }

    private static NDArray lowerInverse(NDManager work, NDArray l, int n) {
        if (n <= BLOCK) {
            return work.create(lowerInverse(l.toDoubleArray(), n), new Shape(n, n));
        }
        int h = n / 2;
        NDArray a = lowerInverse(work, l.get(new NDIndex(":" + h + ", :" + h)), h); // (h, h) L11^-1
        NDArray b = lowerInverse(work, l.get(new NDIndex(h + ":, " + h + ":")), n - h); // (n-h, n-h) L22^-1
        NDArray c = b.matMul(l.get(new NDIndex(h + ":, :" + h)).matMul(a)).neg(); // (n-h, h)
        NDArray top = a.concat(work.zeros(new Shape(h, n - h), a.getDataType()), 1); // (h, n)
        return top.concat(c.concat(b, 1), 0); // (n, n)
    }

    /** Cholesky of one (b, b) diagonal block (row-major); {@code offset} names its place in errors. */
    private static double[] cholesky(double[] s, int b, int offset) {
        double[] l = new double[b * b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = (s[i * b + j] + s[j * b + i]) / 2;
                for (int q = 0; q < j; q++) {
                    sum -= l[i * b + q] * l[j * b + q];
                }
                if (i == j) {
                    if (!(sum > 0)) {
                        throw new IllegalStateException("matrix is not positive definite (pivot " + sum + " at "
                                + (offset + i) + ")");
                    }
                    l[i * b + i] = Math.sqrt(sum);
                } else {
                    l[i * b + j] = sum / l[j * b + j];
                }
            }
        }
        return l;
    }

    /** The inverse of a lower triangular (b, b) matrix (row-major), by forward substitution. */
    private static double[] lowerInverse(double[] l, int b) {
        double[] inv = new double[b * b];
        for (int col = 0; col < b; col++) {
            for (int i = col; i < b; i++) {
                double sum = i == col ? 1 : 0;
                for (int q = col; q < i; q++) {
                    sum -= l[i * b + q] * inv[q * b + col];
                }
                inv[i * b + col] = sum / l[i * b + i];
            }
        }
        return inv;
    }

    /**
     * A thin factor of {@code D = preserve - accumulated} (positive semi-definite when
     * {@code accumulated = (preserve^-1 + K K^T)^-1}): vectors f_1..f_r (each (n)) with
     * {@code D = sum_j f_j f_j^T} up to float64 noise, by a pivoted partial Cholesky that reads D one
     * row at a time. It stops when the largest residual diagonal entry of D falls below
     * {@link #RANK_TOLERANCE} times D's largest diagonal entry, or at {@code maxRank} vectors (the
     * number of keys in K: D's rank in exact arithmetic; what the stored inverses' rounding adds
     * beyond it is noise). O(n r^2) arithmetic, no (n, n) array besides the two inputs.
     *
     * @param preserve (lambda_s C0)^-1, (n, n) float64, row-major, symmetric
     * @param accumulated (lambda_s C0 + K K^T)^-1, (n, n) float64, row-major, symmetric
     * @param maxRank the number of keys in K (at most n vectors are returned either way)
     * @return the factor's vectors, r of them, each (n)
     */
    public static List<double[]> lowRankDifference(double[] preserve, double[] accumulated, int n, int maxRank) {
        if (preserve.length != (long) n * n || accumulated.length != (long) n * n) {
            throw new IllegalArgumentException("inverses must be (" + n + ", " + n + "), got " + preserve.length
                    + " and " + accumulated.length + " entries");
        }
        double[] residual = new double[n]; // diagonal of D - sum f f^T
        double largest = 0;
        for (int i = 0; i < n; i++) {
            residual[i] = preserve[i * n + i] - accumulated[i * n + i];
            largest = Math.max(largest, residual[i]);
        }
        double tolerance = RANK_TOLERANCE * largest;
        List<double[]> factor = new ArrayList<>();
        while (factor.size() < Math.min(n, maxRank)) {
            int p = 0;
            for (int i = 1; i < n; i++) {
                if (residual[i] > residual[p]) {
                    p = i;
                }
            }
            double[] column = new double[n]; // row p of D (D is symmetric) less what the factor holds
            for (int i = 0; i < n; i++) {
                column[i] = preserve[p * n + i] - accumulated[p * n + i];
            }
            for (double[] f : factor) {
                double fp = f[p];
                if (fp != 0) {
                    for (int i = 0; i < n; i++) {
                        column[i] -= fp * f[i];
                    }
                }
            }
            double pivot = column[p];
            if (!(pivot > tolerance)) {
                break;
            }
            double scale = 1 / Math.sqrt(pivot);
            for (int i = 0; i < n; i++) {
                column[i] *= scale;
                residual[i] -= column[i] * column[i];
            }
            residual[p] = 0; // exactly explained (guards against rounding picking p again)
            factor.add(column);
        }
        return factor;
    }
}
