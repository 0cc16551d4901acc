/*
 * AlphaEdit's update rule: the MEMIT-style least-squares update projected onto the null space of
 * the preserved keys, so the outputs on preserved knowledge do not move:
 * Delta = R K^T P (K_p K_p^T P + K K^T P + L2 I)^-1, in the key-to-value layout (d_ff, d) of CausalLm.mlpProjectionWeight
 * A R^T with A = (P (K K^T + K_p K_p^T) + L2 I)^-1 P K; K_p K_p^T accumulates the keys of every
 * earlier batch (the paper's protection of earlier edits). Written into the weight in place.
 * Reference: Fang et al., "AlphaEdit: Null-Space Constrained Knowledge Editing for Language
 * Models", ICLR 2025, eq. 9-12 and the authors' AlphaEdit_main.py (L2 ridge, cache_c).
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Null-space projected in-place rule; shapes: d_ff MLP width, u batch size. */
public final class AlphaEditUpdate implements UpdateRule {
    private static final Logger LOG = LoggerFactory.getLogger(AlphaEditUpdate.class);

    private final double threshold;
    private final double l2;
    private NDManager state;
    private final Map<Integer, NDArray> projector = new LinkedHashMap<>(); // layer -> P, (d_ff, d_ff) float64
    private final Map<Integer, NDArray> earlierKeys = new LinkedHashMap<>(); // layer -> K_p K_p^T, float64
    private final Map<Integer, Long> nullity = new LinkedHashMap<>();

    /** AlphaEdit with {@code params}' threshold and L2. */
    public AlphaEditUpdate(AlphaEditParams params) {
        this.threshold = params.nullspaceThreshold();
        this.l2 = params.l2();
    }

    @Override
    public boolean hooked() {
        return false;
    }

    @Override
    public void start(NDManager state, LayerStatistics statistics, int[] layers, int mlpSize) {
        this.state = state;
        for (int l : layers) {
            try (NDManager work = state.newSubManager()) {
                NDArray c0 = work.create(statistics.c0(l), new Shape(mlpSize, mlpSize)); // (d_ff, d_ff)
                NDArray p = NullSpace.projector(c0, threshold);
                p.attach(state);
                projector.put(l, p);
            }
            nullity.put(l, NullSpace.rank(projector.get(l)));
            earlierKeys.put(l, state.zeros(new Shape(mlpSize, mlpSize), DataType.FLOAT64));
            if (nullity.get(l) == 0) {
                LOG.warn("alphaedit: layer {} has no eigenvalue of C0 below {}: P = 0, edits will not move the model",
                        l, threshold);
            } else {
                LOG.info("alphaedit: layer {} null space of dimension {} of {} (threshold {})", l, nullity.get(l),
                        mlpSize, threshold);
            }
        }
    }

    /** The null-space projector of {@code layer}, (d_ff, d_ff) row-major float64. */
    public double[] projector(int layer) {
        return projector.get(layer).toDoubleArray();
    }

    /** The dimension of {@code layer}'s null space (trace of P). */
    public long nullity(int layer) {
        return nullity.get(layer);
    }

    @Override
    public NDArray solve(int layer, NDArray keys) {
        NDArray p = projector.get(layer);
        try (NDManager work = state.newSubManager()) {
            NDArray k = keys.toType(DataType.FLOAT64, true); // (d_ff, u)
            k.attach(work);
            int ff = (int) k.getShape().get(0);
            NDArray gram = in(work, k.matMul(k.transpose()).add(earlierKeys.get(layer))); // K K^T + K_p K_p^T
            NDArray lhs = in(work, p.matMul(gram)); // (d_ff, d_ff), not symmetric
            lhs = in(work, lhs.add(work.eye(ff, ff, 0, DataType.FLOAT64).mul(l2)));
            NDArray rhs = in(work, p.matMul(k)); // (d_ff, u)
            NDArray a = lhs.inverse().matMul(rhs); // (d_ff, u): general (LU) inverse, lhs is not symmetric
            a.attach(state);
            return a;
        }
    }

    @Override
    public void addKeys(NDManager pending, int layer, NDArray keys, List<Runnable> updates) {
        updates.add(() -> NormalEquations.addGram(earlierKeys.get(layer), keys, 1));
    }

    @Override
    public NDArray inverse(int layer) {
        throw new UnsupportedOperationException("alphaedit keeps no inverse (it solves a non-symmetric system)");
    }

    /** K_p K_p^T of every earlier edit. */
    @Override
    public double[] covariance(int layer) {
        return earlierKeys.get(layer).toDoubleArray();
    }

    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        throw new IllegalStateException("only hook state can be restored");
    }

    /** P and K_p K_p^T. */
    @Override
    public long editingBytesPerLayer(long ff) {
        return 2 * ff * ff * 8L;
    }

    private static NDArray in(NDManager work, NDArray x) {
        x.attach(work);
        return x;
    }
}
