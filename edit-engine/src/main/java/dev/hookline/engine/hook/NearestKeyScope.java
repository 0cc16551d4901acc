/*
 * The nearest-edit scope (coachhook-nearest): a position takes the hooked output where its key is
 * close to one edited key, measured in the whitening of the scope's preserve term.
 * Reference: this project's scope geometry (docs/BENCHMARKS.md, seventeenth session): one span of
 * every edited key fills the key space as edits accumulate, single keys do not.
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * Per position t with key k and whitened key {@code q = W k} ({@code W^T W = (lambda_s C0)^-1}):
 * {@code score(k) = max_i (a_i . q)^2 / |q|^2} with {@code a_i = z_i / sqrt(1 + |z_i|^2)} for every
 * edited key's whitening {@code z_i}: the largest single-key span score
 * ({@link SpanScope}'s rho with one edited key), in [0, 1). It depends on the position's own key
 * alone (causal, cacheable), and unlike a span of all edited keys it does not grow towards 1 for
 * every key as edits accumulate.
 *
 * <p>Float32 (the whitening and the edited keys), O(d_ff (d_ff + E)) multiply-adds per position for
 * E edited keys. NaN where the key is zero; 0 before any edit. Shapes: B rows, T positions, d_ff key
 * width, E edited keys. The arrays belong to the caller; this object does not close them.
 *
 * <p>Shards (alphaedit-shards): the edited keys' columns fall into consecutive shards ({@code shardStarts},
 * the first column of shards 1, 2, ...), one hook delta each; {@link #routes} names for each position the
 * shard of its nearest edited key (the argmax of the same score; on an exact tie the later column wins,
 * so a fact edited again is served from its newest shard).
 *
 * <p>Codebook (codebook-nearest): {@link #routes} also names the nearest edited key's column, whose stored
 * residual an admitted position takes.
 *
 * <p>Subject gate (codebook-subject): with a {@link SubjectGate}, a position may take only the columns whose edit's
 * subject it has seen ({@link #routesAmong}); the score is the same, the maximum over those columns alone.
 */
public final class NearestKeyScope implements KeyScope {
    private final NDArray whiteningT; // (d_ff, d_ff) float32, W^T
    private final NDArray editedT; // (d_ff, E) float32, columns a_i; null before any edit
    private final long[] shardStarts; // first column of shards 1..S-1, ascending; empty: one shard
    private final SubjectGate gate; // null: every column competes at every position

    /**
     * One shard.
     *
     * @param whiteningT {@code W^T}, (d_ff, d_ff) float32
     * @param editedT the scaled whitened edited keys as columns, (d_ff, E) float32, or null for none
     */
    public NearestKeyScope(NDArray whiteningT, NDArray editedT) {
        this(whiteningT, editedT, new long[0]);
    }

    /**
     * @param whiteningT {@code W^T}, (d_ff, d_ff) float32
     * @param editedT the scaled whitened edited keys as columns, (d_ff, E) float32, or null for none
     * @param shardStarts the first column of shards 1, 2, ... (strictly ascending, each in 1..E); empty for one shard
     */
    public NearestKeyScope(NDArray whiteningT, NDArray editedT, long[] shardStarts) {
        this(whiteningT, editedT, shardStarts, null);
    }

    /**
     * @param whiteningT {@code W^T}, (d_ff, d_ff) float32
     * @param editedT the scaled whitened edited keys as columns, (d_ff, E) float32, or null for none
     * @param shardStarts the first column of shards 1, 2, ... (strictly ascending, each in 1..E); empty for one shard
     * @param gate the subject gate over the E columns, or null for none
     */
    public NearestKeyScope(NDArray whiteningT, NDArray editedT, long[] shardStarts, SubjectGate gate) {
        if (whiteningT.getDataType() != DataType.FLOAT32 || (editedT != null && editedT.getDataType() != DataType.FLOAT32)) {
            throw new IllegalArgumentException("nearest-edit scope arrays must be float32");
        }
        long ff = whiteningT.getShape().get(0);
        if (whiteningT.getShape().dimension() != 2 || whiteningT.getShape().get(1) != ff
                || (editedT != null && (editedT.getShape().dimension() != 2 || editedT.getShape().get(0) != ff))) {
            throw new IllegalArgumentException("nearest-edit scope needs W^T (d_ff, d_ff) and keys (d_ff, E), got "
                    + whiteningT.getShape() + " and " + (editedT == null ? "none" : editedT.getShape()));
        }
        long e = editedT == null ? 0 : editedT.getShape().get(1);
        for (int i = 0; i < shardStarts.length; i++) {
            if (shardStarts[i] < 1 || shardStarts[i] > e || (i > 0 && shardStarts[i] <= shardStarts[i - 1])) {
                throw new IllegalArgumentException("shard starts must ascend strictly within 1.." + e + ", got "
                        + java.util.Arrays.toString(shardStarts));
            }
        }
        if (gate != null && (gate.columns() != e || shardStarts.length > 0)) {
            throw new IllegalArgumentException("a subject gate needs one subject per edited key (" + e + ", got "
                    + gate.columns() + ") and no shards");
        }
        this.whiteningT = whiteningT;
        this.editedT = editedT;
        this.shardStarts = shardStarts.clone();
        this.gate = gate;
    }

    /** The subject gate, or null. */
    public SubjectGate gate() {
        return gate;
    }

    /**
     * Scores and routes of keys (B, T, d_ff) when position i may take only the columns {@code allowed[i]}
     * (row-major (B, T); null or empty: none, score NaN, column -1): the best of those columns' scores, on a tie
     * the later column. Only the positions with some column are whitened and scored.
     */
    public Routed routesAmong(NDArray keys, int[][] allowed) {
        long b = keys.getShape().get(0);
        long t = keys.getShape().get(1);
        long ff = keys.getShape().get(2);
        int total = (int) (b * t);
        if (allowed.length != total) {
            throw new IllegalArgumentException(allowed.length + " allowed lists for keys " + keys.getShape());
        }
        double[] score = new double[total];
        java.util.Arrays.fill(score, Double.NaN);
        int[] shards = new int[total];
        int[] columns = new int[total];
        java.util.Arrays.fill(columns, -1);
        long e = edits();
        int p = 0;
        int pairs = 0;
        for (int[] cs : allowed) {
            if (cs != null && cs.length > 0) {
                p++;
                pairs += cs.length;
            }
        }
        if (p == 0 || e == 0) {
            return new Routed(score, shards, columns);
        }
        // Only the U distinct allowed columns are read: (P, d_ff) x (d_ff, U), not the whole (d_ff, E).
        java.util.TreeMap<Integer, Integer> local = new java.util.TreeMap<>(); // column -> index among the U
        for (int[] cs : allowed) {
            if (cs != null) {
                for (int c : cs) {
                    if (c < 0 || c >= e) {
                        throw new IllegalArgumentException("column " + c + " outside 0.." + (e - 1));
                    }
                    local.putIfAbsent(c, 0);
                }
            }
        }
        long[] used = new long[local.size()];
        int u = 0;
        for (Map.Entry<Integer, Integer> c : local.entrySet()) {
            used[u] = c.getKey();
            c.setValue(u++);
        }
        long[] at = new long[p];
        long[] flat = new long[pairs]; // position index * U + local column, into the (P, U) products
        int i = 0;
        int j = 0;
        for (int x = 0; x < total; x++) {
            int[] cs = allowed[x];
            if (cs != null && cs.length > 0) {
                for (int c : cs) {
                    flat[j++] = (long) i * used.length + local.get(c);
                }
                at[i++] = x;
            }
        }
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray k = keys.toType(DataType.FLOAT32, true).reshape(total, ff).get(work.create(at)); // (P, d_ff)
            k.attach(work);
            NDArray q = k.matMul(whiteningT); // (P, d_ff)
            double[] norm = q.mul(q).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray(); // (P)
            NDArray picked = editedT.transpose().get(work.create(used)); // (U, d_ff): rows of the used columns
            picked.attach(work);
            double[] products = q.matMul(picked.transpose()).square().reshape(-1).take(work.create(flat))
                    .toType(DataType.FLOAT64, false).toDoubleArray(); // (pairs)
            j = 0;
            for (i = 0; i < p; i++) {
                int x = (int) at[i];
                double best = -1;
                int col = -1;
                for (int c : allowed[x]) {
                    double v = products[j++];
                    if (v >= best) { // ascending columns: on a tie the later one
                        best = v;
                        col = c;
                    }
                }
                if (norm[i] > 1e-30) {
                    score[x] = Math.min(best / norm[i], 1.0);
                    columns[x] = col;
                }
            }
        }
        return new Routed(score, shards, columns);
    }

    /** Shards, S (one without shard starts). */
    public int shards() {
        return shardStarts.length + 1;
    }

    /** The shard of edited-key column {@code column}. */
    public int shardOf(long column) {
        int s = 0;
        while (s < shardStarts.length && column >= shardStarts[s]) {
            s++;
        }
        return s;
    }

    /** Edited keys held, E. */
    public long edits() {
        return editedT == null ? 0 : editedT.getShape().get(1);
    }

    /** Scores of every position of a batch of keys (B, T, d_ff), row-major (B, T). */
    @Override
    public double[] keyScores(NDArray keys) {
        return scored(keys, false).scores();
    }

    /**
     * Scores and, per position, the shard of the nearest edited key (0 where no key is held or the
     * score is NaN) and that key's column (-1 there), all row-major (B, T).
     */
    public Routed routes(NDArray keys) {
        return scored(keys, true);
    }

    /**
     * Scores with the shard and the column of each position's nearest edited key (null when not asked for;
     * shard 0 and column -1 where no key is held or the score is NaN).
     */
    public record Routed(double[] scores, int[] shards, int[] columns) {}

    private Routed scored(NDArray keys, boolean route) {
        if (gate != null) {
            throw new IllegalStateException("a subject-gated scope scores with the token ids (routesAmong)");
        }
        try (NDManager work = keys.getManager().newSubManager()) {
            long b = keys.getShape().get(0);
            long t = keys.getShape().get(1);
            long ff = keys.getShape().get(2);
            NDArray k = keys.toType(DataType.FLOAT32, true).reshape(b * t, ff); // (B*T, d_ff)
            k.attach(work);
            NDArray q = k.matMul(whiteningT); // (B*T, d_ff), rows W k
            double[] norm = q.mul(q).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray(); // (B*T)
            NDArray products = editedT == null ? null : q.matMul(editedT).square(); // (B*T, E)
            double[] best = products == null ? new double[norm.length]
                    : products.max(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] score = new double[norm.length];
            for (int i = 0; i < score.length; i++) {
                score[i] = norm[i] > 1e-30 ? Math.min(best[i] / norm[i], 1.0) : Double.NaN;
            }
            int[] shards = null;
            int[] columns = null;
            if (route) {
                shards = new int[norm.length];
                columns = new int[norm.length];
                java.util.Arrays.fill(columns, -1);
                if (products != null) {
                    long e = editedT.getShape().get(1);
                    // argMax takes the first maximum; over the reversed columns that is the last one.
                    long[] reversed = products.flip(1).argMax(1).toType(DataType.INT64, false).toLongArray();
                    for (int i = 0; i < shards.length; i++) {
                        if (!Double.isNaN(score[i])) {
                            columns[i] = (int) (e - 1 - reversed[i]);
                            shards[i] = shardOf(columns[i]);
                        }
                    }
                }
            }
            return new Routed(score, shards, columns);
        }
    }

    @Override
    public String name() {
        return "nearest";
    }

    /**
     * A position's score depends on its own key alone, and with a subject gate also on the tokens up to it: still
     * causal, so a KV-cached forward may score its new positions alone when it is given the earlier tokens (the
     * model passes them to hooks that ask, {@link dev.hookline.engine.model.MlpProjectionHook#wantsTokens}).
     */
    @Override
    public boolean positionwise() {
        return true;
    }
}
