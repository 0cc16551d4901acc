/*
 * AlphaEdit's update rule: the MEMIT-style least-squares update projected onto the null space of
 * the preserved keys, so the outputs on preserved knowledge do not move:
 * Delta = R K^T P (K_p K_p^T P + K K^T P + L2 I)^-1, in the key-to-value layout (d_ff, d) of CausalLm.mlpProjectionWeight
 * A R^T with A = (P (K K^T + K_p K_p^T) + L2 I)^-1 P K; K_p K_p^T accumulates the keys of every
 * earlier batch (the paper's protection of earlier edits). Written into the weight in place, or, for
 * alphaedit-nearest (this project's variant, not the paper's), into hook deltas that serve only under
 * the nearest-edit scope.
 * The hooked form solves the same system in an equivalent symmetric form: A lies in P's range
 * ((I - P) A = 0 follows from the system), so A = (P G P + L2 I)^-1 P K with G = K K^T + K_p K_p^T;
 * it keeps S^-1 = (P K_p K_p^T P + L2 I)^-1 and updates it by Woodbury with P K per batch,
 * O(d_ff^2 u) instead of the in-place form's O(d_ff^3) LU per batch (the faithful alphaedit keeps
 * the authors' LU solve).
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
    private final boolean hooked;
    private NDManager state;
    private final Map<Integer, NDArray> projector = new LinkedHashMap<>(); // layer -> P, (d_ff, d_ff) float64
    private final Map<Integer, NDArray> earlierKeys = new LinkedHashMap<>(); // layer -> K_p K_p^T, float64
    private final Map<Integer, NDArray> solveInverse = new LinkedHashMap<>(); // hooked: (P K_p K_p^T P + L2 I)^-1
    private final Map<Integer, Long> nullity = new LinkedHashMap<>();

    /** AlphaEdit with {@code params}' threshold and L2, in place (the paper's). */
    public AlphaEditUpdate(AlphaEditParams params) {
        this(params, false);
    }

    /**
     * AlphaEdit with {@code params}' threshold and L2.
     *
     * @param hooked true: the update goes to hook deltas on the frozen base (alphaedit-nearest); false: in place
     */
    public AlphaEditUpdate(AlphaEditParams params, boolean hooked) {
        this.threshold = params.nullspaceThreshold();
        this.l2 = params.l2();
        this.hooked = hooked;
    }

    @Override
    public boolean hooked() {
        return hooked;
    }

    @Override
    public void start(NDManager state, LayerStatistics statistics, int[] layers, int mlpSize) {
        this.state = state;
        for (int l : layers) {
            long started = System.nanoTime();
            int steps;
            try (NDManager work = state.newSubManager()) {
                NDArray c0 = work.create(statistics.c0(l), new Shape(mlpSize, mlpSize)); // (d_ff, d_ff)
                NullSpace.Result result = NullSpace.iterate(c0, threshold);
                result.projector().attach(state);
                projector.put(l, result.projector());
                steps = result.steps();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            nullity.put(l, NullSpace.rank(projector.get(l)));
            earlierKeys.put(l, state.zeros(new Shape(mlpSize, mlpSize), DataType.FLOAT64));
            if (hooked) {
                try (NDManager work = state.newSubManager()) {
                    NDArray s0 = work.eye(mlpSize, mlpSize, 0, DataType.FLOAT64).div(l2); // (L2 I)^-1
                    s0.attach(state);
                    solveInverse.put(l, s0);
                }
            }
            if (nullity.get(l) == 0) {
                LOG.warn("alphaedit: layer {} has no eigenvalue of C0 below {}: P = 0, edits will not move the model",
                        l, threshold);
            } else {
                LOG.info("alphaedit: layer {} null space of dimension {} of {} (threshold {}; {} Newton steps, {} s)", l,
                        nullity.get(l), mlpSize, threshold, steps, String.format("%.1f", seconds));
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
        if (hooked) {
            try (NDManager work = state.newSubManager()) {
                NDArray pk = in(work, p.matMul(keys.toType(DataType.FLOAT64, false))); // (d_ff, u), P K
                NDArray a = NormalEquations.solveWithInverse(solveInverse.get(layer), pk); // (S + P K K^T P)^-1 P K
                a.attach(state);
                return a;
            }
        }
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
        updates.add(() -> {
            NormalEquations.addGram(earlierKeys.get(layer), keys, 1);
            if (hooked) {
                NDArray pk = projector.get(layer).matMul(keys); // (d_ff, u)
                pk.attach(pending);
                NormalEquations.updateInverse(solveInverse.get(layer), pk).attach(pending);
            }
        });
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

    /**
     * Continues from a saved K_p K_p^T of {@code layer} (hooked form only: the in-place form's edits live
     * in the weight); P is the one {@link #start} made from the same statistics.
     */
    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        if (!hooked) {
            throw new IllegalStateException("only hook state can be restored");
        }
        int ff = (int) earlierKeys.get(layer).getShape().get(0);
        if (savedCovariance.length != ff * ff) {
            throw new IllegalArgumentException("saved K_p K_p^T of layer " + layer + " has " + savedCovariance.length
                    + " values, expected " + ff + " x " + ff);
        }
        NDArray restored = state.create(savedCovariance, new Shape(ff, ff)); // (d_ff, d_ff) float64
        NDArray old = earlierKeys.put(layer, restored);
        if (old != null) {
            old.close();
        }
        double[] s;
        try (NDManager work = state.newSubManager()) {
            NDArray p = projector.get(layer);
            NDArray m = in(work, in(work, p.matMul(restored)).matMul(p)); // P K_p K_p^T P, (d_ff, d_ff)
            s = in(work, m.add(work.eye(ff, ff, 0, DataType.FLOAT64).mul(l2))).toDoubleArray();
        }
        NDArray inverse = NormalEquations.spdInverse(state, s, ff, 1.0, "alphaedit-nearest S, layer " + layer);
        NDArray oldInverse = solveInverse.put(layer, inverse);
        if (oldInverse != null) {
            oldInverse.close();
        }
        return restored;
    }

    /**
     * A new shard (alphaedit-shards, hooked form): K_p K_p^T = 0 and S^-1 = (L2 I)^-1 again; P stays. The
     * shard's delta starts at zero, so the edits of earlier shards are not in it to protect.
     */
    @Override
    public void openShard(int layer) {
        if (!hooked) {
            throw new IllegalStateException("shards belong to the hooked form");
        }
        int ff = (int) earlierKeys.get(layer).getShape().get(0);
        earlierKeys.put(layer, state.zeros(new Shape(ff, ff), DataType.FLOAT64)).close();
        try (NDManager work = state.newSubManager()) {
            NDArray s0 = work.eye(ff, ff, 0, DataType.FLOAT64).div(l2); // (L2 I)^-1
            s0.attach(state);
            solveInverse.put(layer, s0).close();
        }
    }

    /** P and K_p K_p^T, and the hooked form's S^-1. */
    @Override
    public long editingBytesPerLayer(long ff) {
        return (hooked ? 3 : 2) * ff * ff * 8L;
    }

    private static NDArray in(NDManager work, NDArray x) {
        x.attach(work);
        return x;
    }
}
