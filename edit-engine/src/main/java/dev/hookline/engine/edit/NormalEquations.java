/*
 * The float64 normal-equation solve of MEMIT/CoachHooK: A = (C + K K^T)^-1 K.
 * Reference: MEMIT (Meng et al. 2023) eq. 14 / CoachHooK's accumulated form; the choice of DJL
 * (LAPACK through libtorch) over ND4J is measured and recorded in docs/ARCHITECTURE.md.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.hook.ScopeFactors;

/**
 * Shapes: d_ff key width, u number of keys in the batch.
 */
public final class NormalEquations {
    private NormalEquations() {}

    /**
     * {@code A = solve(c + K K^T, K)} in float64.
     *
     * @param c the covariance term, (d_ff, d_ff), symmetric positive definite, float64
     * @param keys K, (d_ff, u)
     * @return A, (d_ff, u), float64, attached to {@code c}'s manager
     */
    public static NDArray solve(NDArray c, NDArray keys) {
        if (c.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("covariance must be float64, got " + c.getDataType());
        }
        NDManager owner = c.getManager();
        try (NDManager work = owner.newSubManager()) {
            NDArray k = keys.toType(DataType.FLOAT64, true); // (d_ff, u)
            k.attach(work);
            NDArray lhs = c.add(k.matMul(k.transpose())); // (d_ff, d_ff)
            lhs.attach(work);
            NDArray a = lhs.inverse().matMul(k); // (d_ff, u)
            a.attach(owner);
            return a;
        }
    }

    /**
     * {@code P = (scale sym(C))^-1} of a covariance that may be only positive <em>semi</em>-definite
     * (fewer corpus positions than d_ff, dead or duplicate units, a random model's keys): by the
     * Cholesky factor, {@code scale sym(C) = L L^T}, {@code W = L^-1} and {@code P = W^T W}, so P is
     * symmetric positive definite by construction. Where the factorisation fails, the smallest
     * relative ridge of {@link ScopeFactors#RIDGES} that lets it succeed is added to the diagonal
     * (logged). An explicit LU inverse of such a matrix is neither symmetric nor definite, and every
     * later solve with it is noise (seen: a Llama model with d_ff 8192, reliability 0.05 with
     * {@code I + K^T P K} at a pivot of -6e13; docs/BENCHMARKS.md, third GPU session).
     *
     * @param manager where P lives (and the device of the factorisation)
     * @param c C, (n, n), float64, row-major
     * @param scale the factor of C (lambda), positive and finite
     * @param what names the matrix in the log and in errors (e.g. "coachhook, layer 2")
     * @return P, (n, n), float64, attached to {@code manager}
     * @throws IllegalStateException where no ridge makes it positive definite or P is not finite
     */
    public static NDArray spdInverse(NDManager manager, double[] c, int n, double scale, String what) {
        double[] w = ScopeFactors.whitening(manager, c, n, scale, what); // L^-1, lower
        try (NDManager work = manager.newSubManager()) {
            NDArray wt = work.create(w, new ai.djl.ndarray.types.Shape(n, n));
            NDArray p = wt.transpose().matMul(wt); // W^T W, (n, n)
            p.attach(manager);
            return p;
        }
    }

    /**
     * The same {@code A = (C + K K^T)^-1 K} from {@code P = C^-1} by the Woodbury identity,
     * {@code A = P K (I_u + K^T P K)^-1}: O(d_ff^2 u) instead of the O(d_ff^3) inverse, for editors
     * that keep C^-1 between batches.
     *
     * @param p C^-1, (d_ff, d_ff), symmetric, float64
     * @param keys K, (d_ff, u)
     * @return A, (d_ff, u), float64, attached to {@code p}'s manager
     */
    public static NDArray solveWithInverse(NDArray p, NDArray keys) {
        requireFloat64(p);
        NDManager owner = p.getManager();
        try (NDManager work = owner.newSubManager()) {
            NDArray k = in(work, keys.toType(DataType.FLOAT64, true)); // (d_ff, u)
            NDArray pk = in(work, p.matMul(k)); // (d_ff, u)
            NDArray small = k.transpose().matMul(pk); // (u, u)
            small.attach(work);
            NDArray s = small.add(work.eye((int) k.getShape().get(1), (int) k.getShape().get(1), 0, DataType.FLOAT64));
            NDArray a = pk.matMul(s.inverse()); // (d_ff, u)
            a.attach(owner);
            return a;
        }
    }

    /**
     * Rows and columns per block of the in-place updates below: a (512, 4096) float64 block is
     * 16 MB, below glibc's mmap threshold, so its scratch memory is reused instead of being faulted
     * in afresh as every new (d_ff, d_ff) array is (0.23 s per 134 MB array here, against 0.02 s for
     * the whole blocked update; docs/BENCHMARKS.md, twelfth session).
     */
    static final int BLOCK = 512;

    /**
     * Turns {@code p = C^-1} into {@code (C + K K^T)^-1} in place and returns
     * {@code A = (C + K K^T)^-1 K}, by the Woodbury identity: with {@code W = P K} and
     * {@code S = I_u + K^T W = L L^T} (Cholesky), {@code G = W L^-T}, the new inverse is
     * {@code P - G G^T} and {@code A = G L^-1}. O(d_ff^2 u) and no new (d_ff, d_ff) array. The
     * update is written to the upper block triangle and mirrored, so p stays exactly symmetric.
     *
     * @param p C^-1, (d_ff, d_ff), symmetric, float64; updated in place
     * @param keys K, (d_ff, u)
     * @return A, (d_ff, u), float64, attached to {@code p}'s manager
     */
    public static NDArray updateInverse(NDArray p, NDArray keys) {
        return updateInverse(p, keys, BLOCK);
    }

    static NDArray updateInverse(NDArray p, NDArray keys, int block) {
        requireFloat64(p);
        NDManager owner = p.getManager();
        try (NDManager work = owner.newSubManager()) {
            NDArray k = in(work, keys.toType(DataType.FLOAT64, true)); // (d_ff, u)
            int u = (int) k.getShape().get(1);
            NDArray w = in(work, p.matMul(k)); // (d_ff, u)
            double[] s = in(work, k.transpose().matMul(w)).toDoubleArray(); // (u, u)
            for (int i = 0; i < u; i++) {
                s[i * u + i] += 1;
            }
            double[] lowerInverse = inverseFactor(s, u); // L^-1 (or its eigen fallback), (u, u)
            NDArray lInv = work.create(lowerInverse, new ai.djl.ndarray.types.Shape(u, u));
            NDArray g = in(work, w.matMul(lInv.transpose())); // (d_ff, u)
            NDArray a = g.matMul(lInv); // (d_ff, u)
            a.attach(owner);
            addGram(p, g, -1, block);
            return a;
        }
    }

    /**
     * {@code c += sign * G G^T} in place, block by block, computed on the upper block triangle and
     * mirrored to the lower one (c stays exactly symmetric).
     *
     * @param c (n, n) float64, symmetric
     * @param g (n, u)
     */
    public static void addGram(NDArray c, NDArray g, double sign) {
        addGram(c, g, sign, BLOCK);
    }

    static void addGram(NDArray c, NDArray g, double sign, int block) {
        requireFloat64(c);
        int n = (int) c.getShape().get(0);
        try (NDManager work = c.getManager().newSubManager()) {
            NDArray g64 = in(work, g.toType(DataType.FLOAT64, true));
            for (int i = 0; i < n; i += block) {
                int i1 = Math.min(n, i + block);
                NDArray gi = in(work, g64.get(new NDIndex(i + ":" + i1)));
                for (int j = i; j < n; j += block) {
                    int j1 = Math.min(n, j + block);
                    NDArray gj = in(work, g64.get(new NDIndex(j + ":" + j1)));
                    NDArray product = in(work, gi.matMul(gj.transpose())); // (i1 - i, j1 - j)
                    NDIndex upper = new NDIndex(i + ":" + i1 + ", " + j + ":" + j1);
                    NDArray view = in(work, c.get(upper)); // a view: writes reach c
                    view.addi(sign == 1 ? product : product.muli(sign));
                    if (i == j) {
                        c.set(upper, in(work, view.add(view.transpose())).divi(2));
                    } else {
                        c.set(new NDIndex(j + ":" + j1 + ", " + i + ":" + i1), view.transpose());
                    }
                    product.close();
                }
            }
        }
    }

    /**
     * A factor F (u, u) with {@code F^T F = S^-1} for {@code S = I_u + K^T P K} (row-major): the
     * inverse Cholesky factor L^-1 where S is numerically positive definite. S >= I holds exactly,
     * but a kept inverse P that has lost precision (ill-conditioned C, many Woodbury downdates;
     * seen at d_ff 4096) can make S indefinite; then S is repaired by its eigen-decomposition with
     * every eigenvalue raised to at least 1 (the bound S satisfies exactly), F = Lambda^-1/2 V^T,
     * and the solve goes on instead of failing.
     */
    static double[] inverseFactor(double[] s, int u) {
        try {
            return choleskyLowerInverse(s, u);
        } catch (IllegalStateException notDefinite) {
            org.slf4j.LoggerFactory.getLogger(NormalEquations.class).warn("{}; continuing with its eigenvalues "
                    + "clamped to >= 1", notDefinite.getMessage());
            return clampedInverseRoot(s, u, 1.0);
        }
    }

    /**
     * {@code F = Lambda^-1/2 V^T} for {@code sym(S) = V Lambda V^T} with each eigenvalue raised to at
     * least {@code floor}: {@code F^T F = V max(Lambda, floor)^-1 V^T}. Cyclic Jacobi rotations
     * (u is a batch size, at most a few hundred).
     */
    static double[] clampedInverseRoot(double[] s, int u, double floor) {
        double[] a = new double[u * u];
        for (int i = 0; i < u; i++) {
            for (int j = 0; j < u; j++) {
                a[i * u + j] = (s[i * u + j] + s[j * u + i]) / 2;
            }
        }
        double[] v = new double[u * u]; // eigenvectors in columns
        for (int i = 0; i < u; i++) {
            v[i * u + i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double scale = 0;
            for (int i = 0; i < u; i++) {
                for (int j = 0; j < u; j++) {
                    double x = a[i * u + j] * a[i * u + j];
                    scale += x;
                    if (i != j) {
                        off += x;
                    }
                }
            }
            if (off <= 1e-30 * scale) {
                break;
            }
            for (int p = 0; p < u - 1; p++) {
                for (int q = p + 1; q < u; q++) {
                    double apq = a[p * u + q];
                    if (Math.abs(apq) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q * u + q] - a[p * u + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double sn = t * c;
                    for (int k = 0; k < u; k++) { // A <- A J (columns p, q)
                        double akp = a[k * u + p];
                        double akq = a[k * u + q];
                        a[k * u + p] = c * akp - sn * akq;
                        a[k * u + q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < u; k++) { // A <- J^T A (rows p, q)
                        double apk = a[p * u + k];
                        double aqk = a[q * u + k];
                        a[p * u + k] = c * apk - sn * aqk;
                        a[q * u + k] = sn * apk + c * aqk;
                    }
                    for (int k = 0; k < u; k++) { // V <- V J
                        double vkp = v[k * u + p];
                        double vkq = v[k * u + q];
                        v[k * u + p] = c * vkp - sn * vkq;
                        v[k * u + q] = sn * vkp + c * vkq;
                    }
                }
            }
        }
        double[] f = new double[u * u];
        for (int i = 0; i < u; i++) {
            double lambda = Math.max(a[i * u + i], floor);
            double w = 1 / Math.sqrt(lambda);
            for (int k = 0; k < u; k++) {
                f[i * u + k] = w * v[k * u + i]; // row i of Lambda^-1/2 V^T
            }
        }
        return f;
    }

    /** L^-1 for the Cholesky factor L of the symmetric positive definite (u, u) matrix s (row-major). */
    static double[] choleskyLowerInverse(double[] s, int u) {
        double[] l = new double[u * u];
        for (int i = 0; i < u; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = (s[i * u + j] + s[j * u + i]) / 2;
                for (int q = 0; q < j; q++) {
                    sum -= l[i * u + q] * l[j * u + q];
                }
                if (i == j) {
                    if (!(sum > 0)) {
                        throw new IllegalStateException("I + K^T P K is not positive definite (pivot " + sum
                                + " at " + i + "): the inverse has lost precision");
                    }
                    l[i * u + i] = Math.sqrt(sum);
                } else {
                    l[i * u + j] = sum / l[j * u + j];
                }
            }
        }
        double[] inv = new double[u * u]; // forward substitution on the identity
        for (int col = 0; col < u; col++) {
            for (int i = col; i < u; i++) {
                double sum = i == col ? 1 : 0;
                for (int q = col; q < i; q++) {
                    sum -= l[i * u + q] * inv[q * u + col];
                }
                inv[i * u + col] = sum / l[i * u + i];
            }
        }
        return inv;
    }

    /** {@code x}, attached to {@code work} (freed with it). */
    private static NDArray in(NDManager work, NDArray x) {
        x.attach(work);
        return x;
    }

    private static void requireFloat64(NDArray c) {
        if (c.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("covariance must be float64, got " + c.getDataType());
        }
    }

    /** Java-array form of {@link #solve}: c row-major (n, n), keys row-major (n, u); returns (n, u). */
    public static double[] solve(NDManager manager, double[] c, double[] keys, int n, int u) {
        try (NDManager work = manager.newSubManager()) {
            NDArray cArr = work.create(c, new ai.djl.ndarray.types.Shape(n, n));
            NDArray kArr = work.create(keys, new ai.djl.ndarray.types.Shape(n, u));
            return solve(cArr, kArr).toDoubleArray();
        }
    }
}
