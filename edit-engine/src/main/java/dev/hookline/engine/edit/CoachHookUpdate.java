/*
 * CoachHooK's update rule: A = (C_accu + K K^T)^-1 K with C_accu = lambda C0 + sum of every
 * earlier batch's K K^T, the update accumulated into the hook delta W_h - W_0 (the base model
 * stays frozen). C_accu^-1 is kept and Woodbury-updated, O(d_ff^2 u) per batch.
 * Reference: CoachHooK (Li et al.), DESIGN.md section 3, step 3.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Accumulating rule into hook layers; shapes: d_ff MLP width, u batch size. */
public class CoachHookUpdate implements UpdateRule {
    private final double lambda;
    private NDManager state;
    private int ff;
    private final Map<Integer, NDArray> cAccu = new LinkedHashMap<>(); // layer -> (d_ff, d_ff) float64
    private final Map<Integer, NDArray> solveInverse = new LinkedHashMap<>(); // layer -> C_accu^-1, float64

    /** A rule whose C_accu starts as {@code lambda} C0. */
    public CoachHookUpdate(double lambda) {
        this.lambda = lambda;
    }

    @Override
    public boolean hooked() {
        return true;
    }

    @Override
    public void start(NDManager state, LayerStatistics statistics, int[] layers, int mlpSize) {
        this.state = state;
        this.ff = mlpSize;
        for (int l : layers) {
            double[] c0 = statistics.c0(l);
            NDArray preserve = state.create(c0, new Shape(ff, ff)).mul(lambda); // lambda C0
            solveInverse.put(l, NormalEquations.spdInverse(state, c0, ff, lambda, "C_accu = lambda C0, layer " + l));
            cAccu.put(l, preserve);
        }
    }

    @Override
    public NDArray solve(int layer, NDArray keys) {
        // (C_accu + K K^T)^-1 K from the kept C_accu^-1
        return NormalEquations.solveWithInverse(solveInverse.get(layer), keys);
    }

    @Override
    public void addKeys(NDManager pending, int layer, NDArray keys, List<Runnable> updates) {
        updates.add(() -> {
            NormalEquations.addGram(cAccu.get(layer), keys, 1);
            NormalEquations.updateInverse(solveInverse.get(layer), keys).attach(pending);
        });
    }

    @Override
    public NDArray inverse(int layer) {
        return solveInverse.get(layer);
    }

    @Override
    public double[] covariance(int layer) {
        return cAccu.get(layer).toDoubleArray();
    }

    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        NDArray restored = state.create(savedCovariance, new Shape(ff, ff)); // (d_ff, d_ff) float64
        NDArray old = cAccu.put(layer, restored);
        if (old != null) {
            old.close();
        }
        NDArray inverse = NormalEquations.spdInverse(state, savedCovariance, ff, 1.0, "restored C_accu, layer " + layer);
        NDArray oldInverse = solveInverse.put(layer, inverse);
        if (oldInverse != null && oldInverse != inverse) {
            retire.accept(oldInverse); // a span scope may still read it until it is refreshed
        }
        return restored;
    }

    @Override
    public long editingBytesPerLayer(long ff) {
        return ff * ff * 8L; // C_accu
    }
}
