/*
 * A CoachHooK hook layer: replaces the MLP projection output of one block by W_h k + b where the
 * scope test fires (validated) or everywhere (temporary).
 * Reference: CoachHooK (Li et al.), hook layers; DESIGN.md section 3.
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.model.MlpProjectionHook;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The hook at one editing layer. Holds {@code delta = W_h - W_0} in the model's key-to-value
 * layout (d_ff, d), so {@code O_t - P_t = k_t delta} and {@code O_t = P_t + k_t delta}; W_0 stays
 * in the base model untouched.
 *
 * <p>Shapes: B rows, T positions, d hidden size, d_ff MLP width.
 *
 * <p>Validated mode, per row over its real positions: {@code m_t = ||k_t delta||}, scores from the
 * {@link ScopeTest}, output {@code O_t} where {@code z_t >= alpha} and {@code P_t} elsewhere.
 * Padding positions always keep {@code P_t}. A {@link KeyScope} (the span scopes) scores the keys themselves
 * instead of m_t. The swap decision is taken in Java (double
 * precision) by the same code the alpha rule uses, so a prompt that set alpha swaps at it.
 * Temporary mode: {@code O_t} everywhere.
 *
 * <p>Shards (alphaedit-shards): besides {@code delta}, the current shard's, the hook may hold the
 * frozen deltas of earlier shards; under a {@link NearestKeyScope} with as many shards, a swapped
 * position takes the delta of its nearest edited key's shard. Temporary mode uses the current shard's.
 * The selection then holds {@code shard + 1} where a position swaps (0 elsewhere), 1 without shards.
 *
 * <p>Codebook (codebook-nearest): instead of a linear delta the hook holds one residual row per edited key
 * of its {@link NearestKeyScope}; a position the scope admits takes {@code P_t + r_c} for its nearest edited
 * key's column c (the selection holds {@code c + 1}). The hook's delta is then unused (zero). A codebook has no
 * "W_h everywhere": it serves the same way in temporary mode.
 */
public final class HookLayer implements MlpProjectionHook {

    /** How the hook decides where to use W_h. */
    public enum Mode {
        /** Scope test: W_h only where z >= alpha. */
        VALIDATED,
        /** W_h at every position (used while a batch is being computed). */
        TEMPORARY
    }

    /**
     * What the validated hook saw on one row, for explain and the alpha rule.
     *
     * @param layer block index
     * @param row batch row
     * @param m output difference per real position
     * @param z score per real position (NaN where undefined)
     * @param alpha the threshold used
     * @param swapped whether each real position took W_h's output
     */
    public record RowTrace(int layer, int row, double[] m, double[] z, double alpha, boolean[] swapped) {}

    private final int layer;
    private final NDArray delta; // (d_ff, d), W_h - W_0
    private final double alpha;
    private final ScopeTest scope;
    private final Mode mode;
    private final Consumer<RowTrace> recorder;
    private final List<NDArray> earlierShards; // deltas of shards 0..S-2, (d_ff, d) each; delta is shard S-1
    private final NDArray codebook; // (E + 1, d): row 0 zeros, row c + 1 the residual of edited-key column c; or null

    /**
     * @param layer block index
     * @param delta W_h - W_0 in key-to-value layout (d_ff, d); kept by reference, not copied
     * @param alpha scope threshold
     * @param scope the scope test
     * @param mode validated or temporary
     * @param recorder receives one trace per row of every validated forward, or null
     */
    public HookLayer(int layer, NDArray delta, double alpha, ScopeTest scope, Mode mode,
            Consumer<RowTrace> recorder) {
        this(layer, delta, alpha, scope, mode, recorder, List.of());
    }

    /**
     * A sharded hook: {@code delta} is the current (last) shard's, {@code earlierShards} the frozen deltas
     * of the shards before it, in order; {@code scope} must be a {@link NearestKeyScope} with as many shards.
     */
    public HookLayer(int layer, NDArray delta, double alpha, ScopeTest scope, Mode mode,
            Consumer<RowTrace> recorder, List<NDArray> earlierShards) {
        this(layer, delta, alpha, scope, mode, recorder, earlierShards, null);
    }

    /**
     * A codebook hook when {@code codebook} is not null: (E + 1, d), row 0 zeros and row c + 1 the residual
     * served for the scope's edited-key column c; {@code scope} must be a {@link NearestKeyScope} holding E
     * keys, without shards.
     */
    public HookLayer(int layer, NDArray delta, double alpha, ScopeTest scope, Mode mode,
            Consumer<RowTrace> recorder, List<NDArray> earlierShards, NDArray codebook) {
        if (delta.getShape().dimension() != 2) {
            throw new IllegalArgumentException("hook delta must be (d_ff, d), got " + delta.getShape());
        }
        if (Double.isNaN(alpha)) {
            throw new IllegalArgumentException("alpha is NaN at layer " + layer);
        }
        if (!earlierShards.isEmpty() && !(scope instanceof NearestKeyScope n && n.shards() == earlierShards.size() + 1)) {
            throw new IllegalArgumentException("layer " + layer + ": " + (earlierShards.size() + 1)
                    + " shard deltas need a nearest-edit scope with as many shards");
        }
        for (NDArray e : earlierShards) {
            if (!e.getShape().equals(delta.getShape())) {
                throw new IllegalArgumentException("layer " + layer + ": shard delta " + e.getShape() + " differs from "
                        + delta.getShape());
            }
        }
        this.layer = layer;
        this.delta = delta;
        this.alpha = alpha;
        this.scope = scope;
        this.mode = mode;
        this.recorder = recorder;
        if (codebook != null) {
            if (!earlierShards.isEmpty() || !(scope instanceof NearestKeyScope ns) || ns.shards() != 1
                    || codebook.getShape().dimension() != 2 || codebook.getShape().get(0) != ns.edits() + 1
                    || codebook.getShape().get(1) != delta.getShape().get(1) || ns.edits() >= (1 << 24)) {
                throw new IllegalArgumentException("layer " + layer + ": a codebook " + codebook.getShape()
                        + " needs a nearest-edit scope without shards holding one key per row but the first, below 2^24");
            }
        }
        this.earlierShards = List.copyOf(earlierShards);
        this.codebook = codebook;
    }

    /** The codebook, (E + 1, d), or null for a delta hook. */
    public NDArray codebook() {
        return codebook;
    }

    /** Shards of this hook (1 without shards). */
    public int shards() {
        return earlierShards.size() + 1;
    }

    /** The delta of shard {@code s} (the last is {@link #delta()}). */
    public NDArray shardDelta(int s) {
        return s == earlierShards.size() ? delta : earlierShards.get(s);
    }

    public int layer() {
        return layer;
    }

    public double alpha() {
        return alpha;
    }

    public Mode mode() {
        return mode;
    }

    public ScopeTest scope() {
        return scope;
    }

    /** W_h - W_0, (d_ff, d), the live array. */
    public NDArray delta() {
        return delta;
    }

    /** The same hook in another mode. */
    public HookLayer withMode(Mode newMode) {
        return new HookLayer(layer, delta, alpha, scope, newMode, recorder, earlierShards, codebook);
    }

    /** The same hook with a recorder of row traces. */
    public HookLayer withRecorder(Consumer<RowTrace> newRecorder) {
        return new HookLayer(layer, delta, alpha, scope, mode, newRecorder, earlierShards, codebook);
    }

    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask) {
        return replace(blockLayer, keys, original, mask, null);
    }

    /**
     * With a key scope (position by position), positions before {@code readFrom[b]} are not scored
     * and keep W_0's output (their score is NaN in the trace); the sequence scopes, whose score of a
     * position depends on the whole row, ignore {@code readFrom}.
     */
    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask, int[] readFrom) {
        if (wantsTokens()) {
            throw new IllegalStateException("layer " + layer + ": a subject-gated hook needs the token ids (the model"
                    + " passes them to hooks that want them)");
        }
        return replaced(keys, original, mask, readFrom, null);
    }

    /** A subject-gated codebook hook reads the token ids; the others ignore them. */
    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask, int[] readFrom, int[][] tokens,
            int offset) {
        return replaced(keys, original, mask, readFrom, allowed(tokens, offset, keys));
    }

    /** True for a codebook hook whose scope has a subject gate (codebook-subject). */
    @Override
    public boolean wantsTokens() {
        return codebook != null && scope instanceof NearestKeyScope n && n.gate() != null;
    }

    /** The gate's columns per position (B, T), or null for hooks without a gate. */
    private int[][] allowed(int[][] tokens, int offset, NDArray keys) {
        if (!wantsTokens()) {
            return null;
        }
        if (tokens == null || tokens.length != keys.getShape().get(0)) {
            throw new IllegalArgumentException("layer " + layer + ": token ids of " + (tokens == null ? 0 : tokens.length)
                    + " rows for keys " + keys.getShape());
        }
        return ((NearestKeyScope) scope).gate().allowed(tokens, offset, (int) keys.getShape().get(1));
    }

    private NDArray replaced(NDArray keys, NDArray original, NDArray mask, int[] readFrom, int[][] allowed) {
        if (mode == Mode.TEMPORARY && codebook == null) {
            return original.add(keys.matMul(castDelta(keys)));
        }
        // Sharded or a codebook, without a recorder: no product with the whole delta is needed.
        NDArray shift = (!earlierShards.isEmpty() || codebook != null) && recorder == null ? null
                : keys.matMul(castDelta(keys)); // (B, T, d)
        return applySelection(keys, original, shift, selection(keys, shift, mask, readFrom, allowed));
    }

    /** A delta in the keys' type. */
    private static NDArray cast(NDArray delta, NDArray keys) {
        return delta.getDataType() == keys.getDataType() ? delta : delta.toType(keys.getDataType(), false);
    }

    /**
     * The validated hook's decision per position, row-major (B, T): 1 where the position takes
     * W_h's output (a sharded hook: its shard + 1), 0 where it keeps W_0's (padding is always 0). It depends on the keys alone
     * (and on W_h for the m-based scopes), so a caller whose keys do not change between passes may
     * compute it once and reuse it with {@link #replaceWithSelection}.
     */
    public float[] selection(NDArray keys, NDArray mask) {
        if (wantsTokens()) {
            throw new IllegalStateException("layer " + layer + ": a subject-gated hook selects with the token ids");
        }
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray shift = keys.matMul(castDelta(keys));
            shift.attach(work);
            return selection(keys, shift, mask, null, null);
        }
    }

    /** As {@link #selection(NDArray, NDArray)} for a hook that reads the token ids (see {@link #wantsTokens}). */
    public float[] selection(NDArray keys, NDArray mask, int[][] tokens, int offset) {
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray shift = keys.matMul(castDelta(keys));
            shift.attach(work);
            return selection(keys, shift, mask, null, allowed(tokens, offset, keys));
        }
    }

    /** {@code original + (W_h - W_0) k} at the positions where {@code select} is 1 (sharded: its shard's delta). */
    public NDArray replaceWithSelection(NDArray keys, NDArray original, float[] select) {
        return applySelection(keys, original,
                earlierShards.isEmpty() && codebook == null ? keys.matMul(castDelta(keys)) : null, select);
    }

    private NDArray castDelta(NDArray keys) {
        return cast(delta, keys);
    }

    private float[] selection(NDArray keys, NDArray shift, NDArray mask, int[] readFrom, int[][] allowed) {
        long rows = keys.getShape().get(0);
        long length = keys.getShape().get(1);
        // m = ||k delta|| feeds the m-based scopes and the trace; a key scope without a recorder needs
        // neither (one device-to-host copy fewer per hooked layer and decoded token).
        float[] m = scope instanceof KeyScope && recorder == null ? null
                : shift.norm(new int[] {2}).toType(DataType.FLOAT32, false).toFloatArray(); // (B, T)
        float[] real = mask.toType(DataType.FLOAT32, false).toFloatArray(); // (B, T)
        int[] shardOf = null; // (B, T), sharded hooks only
        int[] columnOf = null; // (B, T), codebook hooks only
        double[] keyScores = null; // (B, T)
        if (allowed != null) {
            NearestKeyScope.Routed routed = gatedFrom((NearestKeyScope) scope, keys, real, readFrom, allowed);
            keyScores = routed.scores();
            columnOf = routed.columns();
        } else if (codebook != null) {
            NearestKeyScope.Routed routed = scoredFrom(((NearestKeyScope) scope)::routes, keys, real, readFrom);
            keyScores = routed.scores();
            columnOf = routed.columns();
        } else if (!earlierShards.isEmpty()) {
            NearestKeyScope.Routed routed = scoredFrom(((NearestKeyScope) scope)::routes, keys, real, readFrom);
            keyScores = routed.scores();
            shardOf = routed.shards();
        } else if (scope instanceof KeyScope ks) {
            keyScores = keyScoresFrom(ks, keys, real, readFrom);
        }
        float[] select = new float[(int) (rows * length)];
        for (int b = 0; b < rows; b++) {
            int n = 0;
            for (int t = 0; t < length; t++) {
                n += real[(int) (b * length + t)] > 0.5f ? 1 : 0;
            }
            // Right padding: the real positions are 0..n-1.
            double[] mRow = new double[n];
            for (int t = 0; m != null && t < n; t++) {
                mRow[t] = m[(int) (b * length + t)];
            }
            double[] z = keyScores != null
                    ? Arrays.copyOfRange(keyScores, (int) (b * length), (int) (b * length + n))
                    : scope.scores(mRow);
            boolean[] swapped = new boolean[n];
            for (int t = 0; t < n; t++) {
                swapped[t] = ScopeTest.swaps(z[t], alpha);
                int at = (int) (b * length + t);
                select[at] = !swapped[t] ? 0f : columnOf != null ? columnOf[at] + 1f : shardOf == null ? 1f : shardOf[at] + 1f;
            }
            if (recorder != null) {
                recorder.accept(new RowTrace(layer, b, mRow, z, alpha, swapped));
            }
        }
        return select;
    }

    /**
     * The key scope's scores at the real positions from {@code readFrom[b]} on (all real positions
     * if null), NaN elsewhere: only those keys are scored (a span scope's score costs two d_ff^2
     * quadratic forms per position). The serving node's fast path uses it too.
     *
     * @param keys (B, T, d_ff)
     * @param real row-major (B, T), 1 at real positions; null: every position is real
     * @param readFrom per row the first position read, or null
     */
    public static double[] keyScoresFrom(KeyScope scope, NDArray keys, float[] real, int[] readFrom) {
        return scoredFrom(k -> new NearestKeyScope.Routed(scope.keyScores(k), null, null), keys, real, readFrom).scores();
    }

    /**
     * As {@link #keyScoresFrom}, with the shard of each scored position's nearest edited key (0 elsewhere).
     */
    public static NearestKeyScope.Routed routesFrom(NearestKeyScope scope, NDArray keys, float[] real, int[] readFrom) {
        return scoredFrom(scope::routes, keys, real, readFrom);
    }

    /** The gated scope's routes at the real positions from {@code readFrom[b]} on; none elsewhere. */
    private static NearestKeyScope.Routed gatedFrom(NearestKeyScope scope, NDArray keys, float[] real, int[] readFrom,
            int[][] allowed) {
        int length = (int) keys.getShape().get(1);
        int[][] read = new int[allowed.length][];
        for (int i = 0; i < allowed.length; i++) {
            boolean scored = (real == null || real[i] > 0.5f) && (readFrom == null || i % length >= readFrom[i / length]);
            read[i] = scored ? allowed[i] : null;
        }
        return scope.routesAmong(keys, read);
    }

    private static NearestKeyScope.Routed scoredFrom(Function<NDArray, NearestKeyScope.Routed> score, NDArray keys,
            float[] real, int[] readFrom) {
        int length = (int) keys.getShape().get(1);
        int total = (int) (keys.getShape().get(0) * length);
        boolean[] scored = new boolean[total];
        int n = 0;
        for (int i = 0; i < total; i++) {
            scored[i] = (real == null || real[i] > 0.5f) && (readFrom == null || i % length >= readFrom[i / length]);
            n += scored[i] ? 1 : 0;
        }
        if (n == total) {
            return score.apply(keys);
        }
        double[] out = new double[total];
        Arrays.fill(out, Double.NaN);
        int[] shards = new int[total];
        int[] columns = new int[total];
        Arrays.fill(columns, -1);
        if (n == 0) {
            return new NearestKeyScope.Routed(out, shards, columns);
        }
        long[] at = new long[n];
        int c = 0;
        for (int i = 0; i < total; i++) {
            if (scored[i]) {
                at[c++] = i;
            }
        }
        long ff = keys.getShape().get(2);
        try (NDManager work = keys.getManager().newSubManager()) {
            NDArray index = work.create(at);
            NDArray picked = keys.reshape(total, ff).get(index).reshape(1, n, ff); // (1, n, d_ff)
            picked.attach(work);
            NearestKeyScope.Routed result = score.apply(picked);
            for (int i = 0; i < n; i++) {
                out[(int) at[i]] = result.scores()[i];
                if (result.shards() != null) {
                    shards[(int) at[i]] = result.shards()[i];
                }
                if (result.columns() != null) {
                    columns[(int) at[i]] = result.columns()[i];
                }
            }
            return new NearestKeyScope.Routed(out, shards, columns);
        }
    }

    /**
     * {@code original + shift} where {@code select} is 1; sharded: {@code original + k delta_s} where it is
     * {@code s + 1} ({@code shift} unused, each shard's product computed only where some position takes it).
     */
    private NDArray applySelection(NDArray keys, NDArray original, NDArray shift, float[] select) {
        long rows = keys.getShape().get(0);
        long length = keys.getShape().get(1);
        if (select.length != rows * length) {
            throw new IllegalArgumentException("selection has " + select.length + " entries for keys " + keys.getShape());
        }
        if (codebook != null) {
            long[] row = new long[select.length]; // the codebook row of each position: 0 (zeros) where none is taken
            boolean any = false;
            for (int i = 0; i < select.length; i++) {
                row[i] = (long) select[i];
                any |= row[i] != 0;
            }
            if (!any) {
                return original; // no position takes a row: the base output as it is
            }
            NDArray taken = codebook.get(keys.getManager().create(row)); // (B*T, d)
            return original.add(taken.reshape(rows, length, codebook.getShape().get(1)).toType(original.getDataType(), false));
        }
        if (!earlierShards.isEmpty()) {
            NDArray out = original;
            for (int s = 0; s <= earlierShards.size(); s++) {
                float[] mine = new float[select.length];
                boolean any = false;
                for (int i = 0; i < select.length; i++) {
                    if (select[i] == s + 1f) {
                        mine[i] = 1f;
                        any = true;
                    }
                }
                if (any) {
                    NDArray sel = keys.getManager().create(mine, new Shape(rows, length, 1)).toType(keys.getDataType(), false);
                    out = out.add(keys.matMul(cast(shardDelta(s), keys)).mul(sel));
                }
            }
            return out;
        }
        NDArray sel = keys.getManager().create(select, new Shape(rows, length, 1)).toType(keys.getDataType(), false); // (B, T, 1)
        return original.add(shift.mul(sel));
    }

    /**
     * True in temporary mode and for positionwise scopes: then the output at a position depends on
     * that position alone and KV-cached generation may run the hook on new positions only. A
     * sequence z-score standardises against the whole sequence, so generation with it reruns the
     * sequence each step (infer.Decoder).
     */
    @Override
    public boolean positionwise() {
        return (mode == Mode.TEMPORARY && codebook == null) || scope.positionwise();
    }
}
