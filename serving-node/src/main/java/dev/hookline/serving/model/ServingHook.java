/*
 * The validated CoachHooK hook of one layer with fewer native calls per forward, for inference
 * only: the same arithmetic and the same scope decision as the engine's HookLayer (validated
 * mode), bit for bit, but (1) when no position of the batch swaps it returns W_0's output as is,
 * skipping the selection tensor and the masked add, (2) it does not copy the mask of a one-row
 * batch (no padding there), and (3) it skips dtype conversions that are no-ops. On the demo model a hook call is ~10 native calls of 10-50 us each, which is
 * the whole hook cost (docs/BENCHMARKS.md); most calls in serving swap nothing. With the span scopes
 * (coachhook-span and coachhook-span-relation bundles) the decision needs only the keys (rho from
 * KeyScope.keyScores: two (d_ff, d_ff) float64 quadratic forms per position for span, one float32
 * product with the factored span-relation scope's (d_ff, d_ff + sum of ranks) projection), so the output change
 * k (W_h - W_0) is computed only when some position swaps; with ForwardOptions.readFrom (generation
 * reads each row's last position) only the read positions are scored, as in HookLayer.
 * Reference: CoachHooK validated hook layers; edit-engine HookLayer (the reference implementation;
 * ServingHookTest checks equality with it).
 */
package dev.hookline.serving.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.KeyScope;
import dev.hookline.engine.model.MlpProjectionHook;

/**
 * Validated hook over a HookLayer's state (delta (d_ff, d), alpha, scope test). Shapes: B rows,
 * T positions, d hidden size, d_ff MLP width. Immutable and thread-safe.
 */
public final class ServingHook implements MlpProjectionHook {
    private final HookLayer layer;

    /** The fast path of {@code layer}, which must be a validated hook. */
    public ServingHook(HookLayer layer) {
        if (layer.mode() != HookLayer.Mode.VALIDATED) {
            throw new IllegalArgumentException("serving hooks are validated hooks; layer " + layer.layer() + " is "
                    + layer.mode());
        }
        this.layer = layer;
    }

    /** Positionwise exactly when the reference is (its scope), so generation may use the KV cache. */
    @Override
    public boolean positionwise() {
        return layer.positionwise();
    }

    /** A subject-gated codebook (codebook-subject) reads the token ids, as its reference does. */
    @Override
    public boolean wantsTokens() {
        return layer.wantsTokens();
    }

    /** codebook-subject: the reference's routing with the token ids (the other hooks ignore them). */
    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask, int[] readFrom, int[][] tokens,
            int offset) {
        if (layer.wantsTokens()) {
            return layer.replace(blockLayer, keys, original, mask, readFrom, tokens, offset);
        }
        return replace(blockLayer, keys, original, mask, readFrom);
    }

    /** The reference hook this one reproduces. */
    public HookLayer reference() {
        return layer;
    }

    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask) {
        return replace(blockLayer, keys, original, mask, null);
    }

    /**
     * As HookLayer: with a key scope, positions before {@code readFrom[b]} are not scored and keep
     * W_0's output (the forward reads no logits there); the m-based scopes ignore {@code readFrom}.
     */
    @Override
    public NDArray replace(int blockLayer, NDArray keys, NDArray original, NDArray mask, int[] readFrom) {
        if (layer.shards() > 1 || layer.codebook() != null) {
            // alphaedit-shards and codebook-nearest: routed per position, as the engine's hook does
            return layer.replace(blockLayer, keys, original, mask, readFrom);
        }
        if (layer.scope() instanceof KeyScope span) {
            return replaceSpan(span, keys, original, mask, readFrom);
        }
        NDArray delta = layer.delta();
        NDArray d = delta.getDataType() == keys.getDataType() ? delta : delta.toType(keys.getDataType(), false);
        NDArray shift = keys.matMul(d); // (B, T, d)
        int rows = (int) keys.getShape().get(0);
        int length = (int) keys.getShape().get(1);
        NDArray norms = shift.norm(new int[] {2}); // (B, T)
        float[] m = (norms.getDataType() == DataType.FLOAT32 ? norms : norms.toType(DataType.FLOAT32, false)).toFloatArray();
        // A one-row batch has no padding (TokenBatch pads rows to the longest row), so its mask is
        // all ones and need not be copied to Java; with several rows it is read as HookLayer does.
        float[] real = rows == 1 ? null
                : (mask.getDataType() == DataType.FLOAT32 ? mask : mask.toType(DataType.FLOAT32, false)).toFloatArray();
        float[] select = null;
        for (int b = 0; b < rows; b++) {
            int n = 0;
            for (int t = 0; t < length; t++) {
                n += real == null || real[b * length + t] > 0.5f ? 1 : 0;
            }
            // Right padding: the real positions are 0..n-1 (as in HookLayer).
            double[] mRow = new double[n];
            for (int t = 0; t < n; t++) {
                mRow[t] = m[b * length + t];
            }
            double[] z = layer.scope().scores(mRow);
            for (int t = 0; t < n; t++) {
                if (ScopeTest.swaps(z[t], layer.alpha())) {
                    if (select == null) {
                        select = new float[rows * length];
                    }
                    select[b * length + t] = 1f;
                }
            }
        }
        if (select == null) {
            return original; // nothing swaps: P_t everywhere
        }
        NDArray sel = keys.getManager().create(select, new Shape(rows, length, 1)); // (B, T, 1) float32
        if (sel.getDataType() != keys.getDataType()) {
            sel = sel.toType(keys.getDataType(), false);
        }
        return original.add(shift.mul(sel)); // O_t where swapped, P_t elsewhere
    }

    /** Span scopes: rho per position from the keys alone; the shift only where something swaps. */
    private NDArray replaceSpan(KeyScope span, NDArray keys, NDArray original, NDArray mask, int[] readFrom) {
        int rows = (int) keys.getShape().get(0);
        int length = (int) keys.getShape().get(1);
        float[] real = rows == 1 ? null
                : (mask.getDataType() == DataType.FLOAT32 ? mask : mask.toType(DataType.FLOAT32, false)).toFloatArray();
        // (B, T); NaN (never swaps) before readFrom. Without readFrom every position is scored in one
        // call, padding too (it never swaps below), as before.
        double[] rho = readFrom == null ? span.keyScores(keys) : HookLayer.keyScoresFrom(span, keys, real, readFrom);
        float[] select = null;
        for (int i = 0; i < rows * length; i++) {
            // Padding positions never swap (HookLayer scores only the real positions 0..n-1 of a row).
            if ((real == null || real[i] > 0.5f) && ScopeTest.swaps(rho[i], layer.alpha())) {
                if (select == null) {
                    select = new float[rows * length];
                }
                select[i] = 1f;
            }
        }
        if (select == null) {
            return original; // nothing swaps: P_t everywhere
        }
        NDArray delta = layer.delta();
        NDArray d = delta.getDataType() == keys.getDataType() ? delta : delta.toType(keys.getDataType(), false);
        NDArray shift = keys.matMul(d); // (B, T, d)
        NDArray sel = keys.getManager().create(select, new Shape(rows, length, 1)); // (B, T, 1) float32
        if (sel.getDataType() != keys.getDataType()) {
            sel = sel.toType(keys.getDataType(), false);
        }
        return original.add(shift.mul(sel)); // O_t where swapped, P_t elsewhere
    }
}
