/*
 * MEMIT's update rule applied batch after batch: A = (lambda C0 + K K^T)^-1 K with a fresh
 * lambda C0 every batch (no accumulation), the update written into the weight in place.
 * Reference: MEMIT (Meng et al. 2023) algorithm 1, eq. 14; DESIGN.md section 3 (baselines).
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** In-place rule on a fixed (lambda C0)^-1; shapes: d_ff MLP width, u batch size. */
public final class MemitUpdate implements UpdateRule {
    private final double lambda;
    private LayerStatistics statistics;
    private final Map<Integer, NDArray> solveInverse = new LinkedHashMap<>(); // layer -> (lambda C0)^-1

    /** MEMIT with covariance weight {@code lambda}. */
    public MemitUpdate(double lambda) {
        this.lambda = lambda;
    }

    @Override
    public boolean hooked() {
        return false;
    }

    @Override
    public void start(NDManager state, LayerStatistics statistics, int[] layers, int mlpSize) {
        this.statistics = statistics;
        int ff = mlpSize;
        for (int l : layers) {
            solveInverse.put(l, NormalEquations.spdInverse(state, statistics.c0(l), ff, lambda, "MEMIT lambda C0, layer " + l));
        }
    }

    @Override
    public NDArray solve(int layer, NDArray keys) {
        return NormalEquations.solveWithInverse(solveInverse.get(layer), keys);
    }

    @Override
    public void addKeys(NDManager pending, int layer, NDArray keys, List<Runnable> updates) {
        // nothing accumulates: every batch solves against lambda C0 afresh
    }

    @Override
    public NDArray inverse(int layer) {
        return solveInverse.get(layer);
    }

    @Override
    public double[] covariance(int layer) {
        double[] out = statistics.c0(layer).clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= lambda;
        }
        return out;
    }

    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        throw new IllegalStateException("only hook state can be restored");
    }

    @Override
    public long editingBytesPerLayer(long ff) {
        return 0;
    }
}
