/*
 * The span scope with one span per relation, routed by the key itself: a named improvement over
 * the paper ("coachhook-span-relation", docs/BENCHMARKS.md, tenth session). With one span over
 * every edited key, a same-relation prompt about an unedited subject has most of its whitened
 * energy in the span (key(S2, r) ~ key(S2, r') - key(X, r') + key(X, r) once X was edited for r and
 * S2 for r'); a span of one relation's keys holds only that relation's edited subjects. A serving
 * node is not told a prompt's relation, so each position is routed to the relation whose centred
 * mean edit key is nearest in direction to its own key (measured right for 99.3 % of edit prompts,
 * 98.5 % of paraphrases and 96.5 % of neighbours on demo-d256x at 1000 edits).
 * Two forms of one score: the dense form (the editor's, on the float64 inverses it keeps updating)
 * and the factored serving form (issue 29): rho_r = ||F_r^T k||^2 / ||L^T k||^2 with
 * (lambda_s C0)^-1 = L L^T and (lambda_s C0)^-1 - (lambda_s C0 + K_r K_r^T)^-1 = F_r F_r^T (ScopeFactors),
 * one float32 matmul of the keys with [L | F_1 .. F_R] per forward instead of 1 + routes float64
 * (d_ff, d_ff) quadratic forms per position.
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per position t with key k: route {@code r(k) = argmax_r <k - mu, c_r>} over the relations with
 * edits, where mu is the mean of every edited key and c_r the unit direction of (mean edited key
 * of r) - mu (the first relation on ties; with one relation every key routes to it). Score
 * {@code rho_r(k) = 1 - (k^T (lambda_s C0 + K_r K_r^T)^-1 k) / (k^T (lambda_s C0)^-1 k)} as
 * {@link SpanScope} with relation r's edited keys K_r only. With {@code routes} = 2 the score is the
 * larger rho of the two nearest relations (a paraphrase routed to the wrong relation still opens if
 * its own relation's span holds it: docs/BENCHMARKS.md, thirteenth session). Causal: a position's
 * score depends on its own key alone, so appending tokens never changes the decision at earlier
 * positions.
 *
 * <p>The factored form ({@link #factored}) computes the same rho as {@code ||F_r^T k||^2 / ||L^T k||^2}
 * (no cancellation in the numerator, unlike {@code 1 - q_r / q_0}), in float32: O(d_ff (d_ff + sum_r
 * rank_r)) multiply-adds per position in one matmul, and (d_ff, d_ff + sum_r rank_r) float32 of state.
 *
 * <p>NaN where the key is zero (never swaps). Shapes: B rows, T positions, d_ff key width, R
 * relations, W = d_ff + sum_r rank_r. The dense form's inverses are float64 and owned by the caller;
 * this object does not close them. The factored form's arrays belong to the manager given to
 * {@link #factored}.
 */
public final class RelationSpanScope implements KeyScope {
    private static final Logger LOG = LoggerFactory.getLogger(RelationSpanScope.class);
    private final NDArray preserveInverse; // (d_ff, d_ff) float64, (lambda_s C0)^-1, or W = L^-1 when whitened; null where the factored form factors it
    private final boolean whitened; // dense form in whitened coordinates: preserveInverse holds W, the inverses (I + Z_r Z_r^T)^-1
    private final List<String> relations;
    private final List<NDArray> accumulatedInverses; // R x (d_ff, d_ff) float64; empty in the factored form
    private final NDArray projection; // (d_ff, W) float32, [L | F_1 .. F_R]; null in the dense form
    private final NDArray segments; // (W, 1 + R) float32, 0/1: column c of projection adds to q_0 or to relation r
    private final int[] ranks; // (R) rank_r, the width of F_r; null in the dense form
    private final double[] mean; // (d_ff)
    private final double[][] directions; // (R, d_ff), unit or zero
    private final int routes; // 1 or 2: how many nearest relations score a key

    /**
     * @param preserveInverse {@code (lambda_s C0)^-1}, (d_ff, d_ff) float64
     * @param relations relation names, R >= 1, distinct
     * @param accumulatedInverses per relation {@code (lambda_s C0 + K_r K_r^T)^-1}, same order
     * @param mean mean edited key mu, (d_ff)
     * @param directions per relation the unit direction of its mean edited key minus mu (zero
     *     allowed), (R, d_ff)
     */
    public RelationSpanScope(NDArray preserveInverse, List<String> relations, List<NDArray> accumulatedInverses,
            double[] mean, double[][] directions) {
        this(preserveInverse, relations, accumulatedInverses, mean, directions, 1);
    }

    /**
     * As {@link #RelationSpanScope(NDArray, List, List, double[], double[][])}, scoring each key
     * under its {@code routes} nearest relations (1 or 2; fewer when there are fewer relations) and
     * keeping the largest rho.
     */
    public RelationSpanScope(NDArray preserveInverse, List<String> relations, List<NDArray> accumulatedInverses,
            double[] mean, double[][] directions, int routes) {
        this(preserveInverse, relations, accumulatedInverses, mean, directions, routes, false);
    }

    /**
     * The editor's dense form in whitened coordinates (numerically stable for any C0 that factors):
     * with {@code lambda_s C0 = L L^T} and W = L^-1, a key is scored on y = W k as
     * {@code rho_r = 1 - y^T (I + Z_r Z_r^T)^-1 y / ||y||^2}, Z_r = W K_r, which is the same rho as
     * the (lambda_s C0)^-1 form: (lambda_s C0 + K_r K_r^T)^-1 = W^T (I + Z_r Z_r^T)^-1 W. Every
     * matrix here has eigenvalues in (0, 1] or is triangular, so no explicit inverse of an
     * ill-conditioned C0 enters (ScopeFactors#whitening).
     *
     * @param whitening W, (d_ff, d_ff) float64
     * @param whitenedInverses per relation {@code (I + Z_r Z_r^T)^-1}, (d_ff, d_ff) float64
     */
    public static RelationSpanScope whitened(NDArray whitening, List<String> relations, List<NDArray> whitenedInverses,
            double[] mean, double[][] directions, int routes) {
        return new RelationSpanScope(whitening, relations, whitenedInverses, mean, directions, routes, true);
    }

    private RelationSpanScope(NDArray preserveInverse, List<String> relations, List<NDArray> accumulatedInverses,
            double[] mean, double[][] directions, int routes, boolean whitened) {
        if (routes != 1 && routes != 2) {
            throw new IllegalArgumentException("a key is scored under 1 or 2 nearest relations, got " + routes);
        }
        if (relations.isEmpty() || relations.size() != accumulatedInverses.size() || relations.size() != directions.length) {
            throw new IllegalArgumentException("relation span scope needs R >= 1 relations with one inverse and one direction"
                    + " each, got " + relations.size() + ", " + accumulatedInverses.size() + ", " + directions.length);
        }
        if (relations.stream().distinct().count() != relations.size()) {
            throw new IllegalArgumentException("relation names repeat: " + relations);
        }
        if (preserveInverse.getDataType() != DataType.FLOAT64 || preserveInverse.getShape().dimension() != 2
                || preserveInverse.getShape().get(0) != preserveInverse.getShape().get(1)) {
            throw new IllegalArgumentException("preserve inverse must be square float64, got "
                    + preserveInverse.getDataType() + " " + preserveInverse.getShape());
        }
        long ff = preserveInverse.getShape().get(0);
        for (NDArray a : accumulatedInverses) {
            if (a.getDataType() != DataType.FLOAT64 || !a.getShape().equals(preserveInverse.getShape())) {
                throw new IllegalArgumentException("relation inverses must be float64 " + preserveInverse.getShape()
                        + ", got " + a.getDataType() + " " + a.getShape());
            }
        }
        if (mean.length != ff) {
            throw new IllegalArgumentException("mean key has " + mean.length + " entries, keys have " + ff);
        }
        for (double[] c : directions) {
            if (c.length != ff) {
                throw new IllegalArgumentException("relation direction has " + c.length + " entries, keys have " + ff);
            }
        }
        this.preserveInverse = preserveInverse;
        this.whitened = whitened;
        this.routes = routes;
        this.relations = List.copyOf(relations);
        this.accumulatedInverses = List.copyOf(accumulatedInverses);
        this.projection = null;
        this.segments = null;
        this.ranks = null;
        this.mean = mean.clone();
        this.directions = new double[directions.length][];
        for (int r = 0; r < directions.length; r++) {
            this.directions[r] = directions[r].clone();
        }
    }

    private RelationSpanScope(NDArray densePreserve, List<String> relations, NDArray projection, NDArray segments,
            int[] ranks, double[] mean, double[][] directions, int routes) {
        this.preserveInverse = densePreserve;
        this.whitened = false;
        this.accumulatedInverses = List.of();
        this.relations = List.copyOf(relations);
        this.projection = projection;
        this.segments = segments;
        this.ranks = ranks;
        this.mean = mean;
        this.directions = directions;
        this.routes = routes;
    }

    /**
     * The factored serving form of the scope whose dense form the same arguments give (see the
     * class comment): the Cholesky factor of {@code preserveInverse} and a pivoted-Cholesky factor of
     * each relation's difference of inverses, stored as one float32 (d_ff, W) array owned by
     * {@code manager}. Same routing, same rho up to float32 rounding. Where the preserve inverse is
     * not numerically positive definite (an ill-conditioned C0: its float64 inverse has lost its
     * small eigenvalues) q_0 stays the dense float64 quadratic form and only the relations' terms
     * are factored.
     *
     * @param manager owner of the factored arrays (the hook's manager; its device computes)
     * @param ff d_ff
     * @param preserveInverse {@code (lambda_s C0)^-1}, (d_ff, d_ff) float64 row-major
     * @param accumulatedInverses per relation {@code (lambda_s C0 + K_r K_r^T)^-1}, same layout
     * @param maxRanks per relation the number of keys in K_r (its Woodbury rank bound)
     */
    public static RelationSpanScope factored(NDManager manager, int ff, double[] preserveInverse, List<String> relations,
            List<double[]> accumulatedInverses, int[] maxRanks, double[] mean, double[][] directions, int routes) {
        if (routes != 1 && routes != 2) {
            throw new IllegalArgumentException("a key is scored under 1 or 2 nearest relations, got " + routes);
        }
        if (relations.isEmpty() || relations.size() != accumulatedInverses.size() || relations.size() != directions.length
                || relations.size() != maxRanks.length) {
            throw new IllegalArgumentException("relation span scope needs R >= 1 relations with one inverse, one rank"
                    + " bound and one direction each, got " + relations.size() + ", " + accumulatedInverses.size() + ", "
                    + maxRanks.length + ", " + directions.length);
        }
        if (relations.stream().distinct().count() != relations.size()) {
            throw new IllegalArgumentException("relation names repeat: " + relations);
        }
        if (mean.length != ff) {
            throw new IllegalArgumentException("mean key has " + mean.length + " entries, keys have " + ff);
        }
        double[][] dirs = new double[directions.length][];
        for (int r = 0; r < directions.length; r++) {
            if (directions[r].length != ff) {
                throw new IllegalArgumentException("relation direction has " + directions[r].length + " entries, keys have " + ff);
            }
            dirs[r] = directions[r].clone();
        }
        double[] lower = null; // (d_ff, d_ff), L L^T = (lambda_s C0)^-1
        NDArray densePreserve = null;
        try {
            lower = ScopeFactors.choleskyLower(manager, preserveInverse, ff);
        } catch (IllegalStateException notDefinite) {
            LOG.warn("(lambda_s C0)^-1 is not numerically positive definite ({}): q_0 stays a float64 (d_ff, d_ff)"
                    + " quadratic form, the relations' terms are factored", notDefinite.getMessage());
            densePreserve = manager.create(preserveInverse, new Shape(ff, ff)); // (d_ff, d_ff) float64
        }
        int head = lower == null ? 0 : ff;
        List<List<double[]>> thin = new ArrayList<>();
        int[] ranks = new int[relations.size()];
        int width = head;
        for (int r = 0; r < relations.size(); r++) {
            thin.add(ScopeFactors.lowRankDifference(preserveInverse, accumulatedInverses.get(r), ff, maxRanks[r]));
            ranks[r] = thin.get(r).size(); // rank_r x (d_ff)
            width += ranks[r];
        }
        int cols = Math.max(1, width); // a zero-width projection is kept as one zero column
        float[] proj = new float[ff * cols]; // (d_ff, W) row-major
        float[] seg = new float[cols * (1 + relations.size())]; // (W, 1 + R)
        if (lower != null) {
            for (int a = 0; a < ff; a++) {
                for (int j = 0; j <= a; j++) {
                    proj[a * cols + j] = (float) lower[a * ff + j];
                }
            }
            for (int c = 0; c < ff; c++) {
                seg[c * (1 + relations.size())] = 1f;
            }
        }
        int column = head;
        for (int r = 0; r < relations.size(); r++) {
            for (double[] f : thin.get(r)) {
                for (int a = 0; a < ff; a++) {
                    proj[a * cols + column] = (float) f[a];
                }
                seg[column * (1 + relations.size()) + 1 + r] = 1f;
                column++;
            }
        }
        NDArray projection = manager.create(proj, new Shape(ff, cols)); // (d_ff, W) float32
        NDArray segments = manager.create(seg, new Shape(cols, 1 + relations.size())); // (W, 1 + R) float32
        return new RelationSpanScope(densePreserve, relations, projection, segments, ranks, mean.clone(), dirs, routes);
    }

    /**
     * True where the factored form also factors q_0 (the preserve inverse was numerically positive
     * definite); false for the dense form and for a factored form that keeps q_0 in float64.
     */
    public boolean preserveFactored() {
        return projection != null && preserveInverse == null;
    }

    /** True for the editor's dense form in whitened coordinates ({@link #whitened}). */
    public boolean isWhitened() {
        return whitened;
    }

    /** True for the factored serving form ({@link #factored}), false for the editor's dense form. */
    public boolean isFactored() {
        return projection != null;
    }

    /** Per relation the rank of its factor F_r (factored form; empty for the dense form). */
    public int[] factorRanks() {
        return ranks == null ? new int[0] : ranks.clone();
    }

    /** The relation names, in routing order. */
    public List<String> relations() {
        return relations;
    }

    /** How many nearest relations score a key (1 or 2). */
    public int routeCount() {
        return routes;
    }

    /** Index into {@link #relations()} of the relation {@code key} (d_ff) routes to (the nearest). */
    public int route(double[] key) {
        return route(key, 0);
    }

    private int route(double[] flat, int offset) {
        return nearest(flat, offset, 1)[0];
    }

    /**
     * The {@code k} relations nearest in direction to the key at {@code flat[offset..]}, nearest
     * first (the lower index on ties); {@code min(k, R)} of them.
     */
    private int[] nearest(double[] flat, int offset, int k) {
        int[] best = new int[Math.min(k, directions.length)];
        double[] bestDot = new double[best.length];
        Arrays.fill(bestDot, Double.NEGATIVE_INFINITY);
        Arrays.fill(best, -1);
        for (int r = 0; r < directions.length; r++) {
            double[] c = directions[r];
            double dot = 0;
            for (int a = 0; a < c.length; a++) {
                dot += (flat[offset + a] - mean[a]) * c[a];
            }
            for (int j = 0; j < best.length; j++) {
                if (best[j] < 0 || dot > bestDot[j]) {
                    System.arraycopy(best, j, best, j + 1, best.length - j - 1);
                    System.arraycopy(bestDot, j, bestDot, j + 1, best.length - j - 1);
                    best[j] = r;
                    bestDot[j] = dot;
                    break;
                }
            }
        }
        return best;
    }

    /** The route of every position of keys (B, T, d_ff), row-major (B, T). */
    public int[] routes(NDArray keys) {
        double[] flat = keys.toType(DataType.FLOAT64, false).toDoubleArray();
        int ff = mean.length;
        int[] out = new int[flat.length / ff];
        for (int i = 0; i < out.length; i++) {
            out[i] = route(flat, i * ff);
        }
        return out;
    }

    @Override
    public double[] keyScores(NDArray keys) {
        int ff = mean.length;
        if (keys.getShape().dimension() != 3 || keys.getShape().get(2) != ff) {
            throw new IllegalArgumentException("keys must be (B, T, " + ff + "), got " + keys.getShape());
        }
        int n = (int) (keys.getShape().get(0) * keys.getShape().get(1));
        if (projection != null) {
            return factoredScores(keys, n, ff);
        }
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray k = keys.toType(DataType.FLOAT64, true).reshape(n, ff); // (N, d_ff)
            k.attach(work);
            double[] flat = k.toDoubleArray(); // routing reads the keys themselves
            double[] preserved; // (N) k^T (lambda_s C0)^-1 k
            double[] scored; // (N, d_ff): the rows the relations' inverses score, W k when whitened
            if (whitened) {
                NDArray y = k.matMul(preserveInverse.transpose()); // (N, d_ff), rows W k
                preserved = y.mul(y).sum(new int[] {1}).toDoubleArray();
                scored = y.toDoubleArray();
            } else {
                preserved = k.matMul(preserveInverse).mul(k).sum(new int[] {1}).toDoubleArray();
                scored = flat;
            }
            int[][] route = new int[n][];
            int[] count = new int[relations.size()];
            for (int i = 0; i < n; i++) {
                route[i] = relations.size() == 1 ? new int[] {0} : nearest(flat, i * ff, routes);
                for (int r : route[i]) {
                    count[r]++;
                }
            }
            double[] rho = new double[n];
            Arrays.fill(rho, Double.NEGATIVE_INFINITY);
            for (int r = 0; r < relations.size(); r++) {
                if (count[r] == 0) {
                    continue;
                }
                int[] at = new int[count[r]];
                double[] rows = new double[count[r] * ff];
                int c = 0;
                for (int i = 0; i < n; i++) {
                    for (int x : route[i]) {
                        if (x == r) {
                            System.arraycopy(scored, i * ff, rows, c * ff, ff);
                            at[c++] = i;
                        }
                    }
                }
                NDArray kr = work.create(rows, new Shape(c, ff));
                double[] q = kr.matMul(accumulatedInverses.get(r)).mul(kr).sum(new int[] {1}).toDoubleArray(); // (c)
                for (int j = 0; j < c; j++) {
                    int i = at[j];
                    if (preserved[i] > 1e-30) {
                        rho[i] = Math.max(rho[i], 1 - q[j] / preserved[i]);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                rho[i] = preserved[i] > 1e-30 ? rho[i] : Double.NaN;
                requireDefined(rho[i], preserved[i], flat, i * ff, ff);
            }
            return rho;
        }
    }

    /** rho in the factored form: one float32 matmul with [L | F_1 .. F_R], squares summed per segment. */
    private double[] factoredScores(NDArray keys, int n, int ff) {
        int width = relations.size() + 1;
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray k = keys.reshape(n, ff); // (N, d_ff)
            k.attach(work);
            if (k.getDataType() != DataType.FLOAT32) {
                k = k.toType(DataType.FLOAT32, false);
            }
            NDArray y = k.matMul(projection); // (N, W): L^T k, then F_r^T k per relation
            float[] sums = y.mul(y).matMul(segments).toFloatArray(); // (N, 1 + R): q_0, then ||F_r^T k||^2
            double[] dense = null; // q_0 in float64 where the preserve inverse did not factor
            if (preserveInverse != null) {
                NDArray k64 = k.toType(DataType.FLOAT64, false); // (N, d_ff)
                dense = k64.matMul(preserveInverse).mul(k64).sum(new int[] {1}).toDoubleArray(); // (N)
            }
            float[] kf = k.toFloatArray();
            double[] flat = new double[kf.length]; // routing in float64 on the keys' values, as in the dense form
            for (int i = 0; i < kf.length; i++) {
                flat[i] = kf[i];
            }
            double[] rho = new double[n];
            for (int i = 0; i < n; i++) {
                double preserved = dense != null ? dense[i] : sums[i * width];
                if (!(preserved > 1e-30)) {
                    rho[i] = Double.NaN;
                } else {
                    double best = Double.NEGATIVE_INFINITY;
                    for (int r : relations.size() == 1 ? new int[] {0} : nearest(flat, i * ff, routes)) {
                        best = Math.max(best, sums[i * width + 1 + r] / preserved);
                    }
                    rho[i] = best;
                }
                requireDefined(rho[i], preserved, flat, i * ff, ff);
            }
            return rho;
        }
    }

    /**
     * Checks that the scope scores each of {@code probes} (non-zero keys, e.g. the relations' mean
     * edited keys) with a finite rho; a scope that cannot would keep its hook closed everywhere.
     *
     * @param probes R' keys, each (d_ff)
     * @param what names the layer in the error
     * @throws IllegalStateException naming the relation and the cause where a rho is not finite
     */
    public void requireFinite(NDManager manager, double[][] probes, String what) {
        int ff = mean.length;
        double[] flat = new double[probes.length * ff]; // (1, R', d_ff)
        for (int r = 0; r < probes.length; r++) {
            System.arraycopy(probes[r], 0, flat, r * ff, ff);
        }
        double[] rho;
        try (NDManager probe = manager.newSubManager()) {
            rho = keyScores(probe.create(flat, new Shape(1, probes.length, ff)));
        } catch (IllegalStateException broken) {
            throw new IllegalStateException(what + ": " + broken.getMessage(), broken);
        }
        for (int r = 0; r < rho.length; r++) {
            if (!Double.isFinite(rho[r])) {
                throw new IllegalStateException(what + ": the span-relation scope scores probe key " + r + " with rho "
                        + rho[r] + "; its hook would never open");
            }
        }
    }

    /**
     * A rho that is not finite at a non-zero key means the scope's quadratic forms broke (an
     * explicit (lambda_s C0)^-1 that is not positive definite, a non-finite inverse); left as NaN it
     * would silently keep the hook closed at every position, so it fails loudly instead. A zero key
     * (q_0 = 0) stays NaN: rho is undefined there and the hook does not swap.
     */
    private static void requireDefined(double rho, double preserved, double[] flat, int offset, int ff) {
        if (Double.isFinite(rho)) {
            return;
        }
        double norm = 0;
        for (int a = 0; a < ff; a++) {
            norm += flat[offset + a] * flat[offset + a];
        }
        if (norm == 0) {
            return;
        }
        throw new IllegalStateException("span-relation scope: rho is " + rho + " at a non-zero key (k^T (lambda_s C0)^-1 k = "
                + preserved + "): the scope's inverses are not numerically positive definite (an ill-conditioned C0"
                + " inverted explicitly?) or not finite; re-edit with this version of the editor, which whitens stably");
    }

    @Override
    public String name() {
        return "span-relation";
    }

    /** A position's score depends on its own key (or output difference) alone. */
    @Override
    public boolean positionwise() {
        return true;
    }
}
