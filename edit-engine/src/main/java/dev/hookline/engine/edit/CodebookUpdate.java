/*
 * The update "rule" of codebook-nearest: no matrix is solved; each edit's residual at the editing layer becomes
 * the codebook row of its edited keys, which the hook serves at positions whose nearest edited key it is.
 * Reference: GRACE (Hartvigsen et al., NeurIPS 2023) for the codebook; CodebookNearestParams for the method.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.scope.NearestKeyScopeStrategy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per layer a codebook (E + 1, d) float32: row 0 zeros (positions that take no row), row c + 1 the residual of
 * the nearest-edit scope's edited-key column c. The scope appends, per batch of u edits, the u mean keys and
 * then the u plain prompts' keys ({@link NearestKeyScopeStrategy#addBatchKeys}); the rows follow that order, so
 * both keys of edit i carry its residual. A is zero: the hook's delta stays zero.
 */
public final class CodebookUpdate implements UpdateRule {
    private NDManager state;
    private final Map<Integer, NDArray> codebooks = new LinkedHashMap<>(); // layer -> (E + 1, d) float32

    @Override
    public boolean hooked() {
        return true;
    }

    @Override
    public boolean servesCodebook() {
        return true;
    }

    @Override
    public void start(NDManager editorState, LayerStatistics statistics, int[] layers, int mlpSize) {
        this.state = editorState;
    }

    /** Zero: nothing goes to the delta. */
    @Override
    public NDArray solve(int layer, NDArray keys) {
        return state.zeros(keys.getShape(), DataType.FLOAT64);
    }

    @Override
    public void addKeys(NDManager pending, int layer, NDArray keys, List<Runnable> updates) {
        // The keys live in the scope; the codebook takes the residuals (addResiduals).
    }

    /** Appends the batch's residuals (d, u) row-major as 2u rows: the mean keys' then the plain keys'. */
    @Override
    public void addResiduals(NDManager pending, int layer, double[] residual, int u, int d, List<Runnable> updates) {
        int keysPerEdit = NearestKeyScopeStrategy.KEYS_PER_EDIT;
        float[] rows = new float[keysPerEdit * u * d]; // (2u, d)
        for (int copy = 0; copy < keysPerEdit; copy++) {
            for (int i = 0; i < u; i++) {
                for (int a = 0; a < d; a++) {
                    rows[((copy * u) + i) * d + a] = (float) residual[a * u + i];
                }
            }
        }
        NDArray added = pending.create(rows, new Shape((long) keysPerEdit * u, d));
        updates.add(() -> {
            NDArray old = codebooks.get(layer);
            NDArray base = old != null ? old : pending.zeros(new Shape(1, d), DataType.FLOAT32);
            NDArray next = base.concat(added, 0); // (E + 1 + 2u, d)
            next.attach(state);
            codebooks.put(layer, next);
            if (old != null) {
                old.close();
            }
        });
    }

    @Override
    public void restoreCodebook(NDManager editorState, int layer, float[] rows, int d) {
        if (rows.length % d != 0 || rows.length < d) {
            throw new IllegalArgumentException("codebook of layer " + layer + " has " + rows.length + " values, not rows of "
                    + d);
        }
        for (int a = 0; a < d; a++) {
            if (rows[a] != 0f) {
                throw new IllegalArgumentException("codebook of layer " + layer + ": row 0 must be zeros");
            }
        }
        NDArray old = codebooks.put(layer, editorState.create(rows, new Shape(rows.length / d, d)));
        if (old != null) {
            old.close();
        }
    }

    @Override
    public NDArray codebook(int layer) {
        return codebooks.get(layer);
    }

    @Override
    public NDArray inverse(int layer) {
        throw new IllegalStateException("codebook-nearest solves no system and keeps no inverse");
    }

    @Override
    public double[] covariance(int layer) {
        throw new IllegalStateException("codebook-nearest keeps no covariance");
    }

    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        throw new IllegalStateException("codebook-nearest continues from its bundle's rows (restoreCodebook), not C_accu");
    }

    /** The codebook: (E + 1) d float32. */
    @Override
    public long servingBytesPerLayer(long ff, long d, int shards) {
        NDArray c = codebooks.isEmpty() ? null : codebooks.values().iterator().next();
        return c == null ? 0 : c.getShape().get(0) * d * 4L;
    }

    @Override
    public long editingBytesPerLayer(long ff) {
        return 0;
    }
}
