/*
 * CoachHooK's algebra without hooks (the paper's ablation): the accumulated C_accu of
 * CoachHookUpdate, the update written into the MLP projection weight of a private model copy.
 * Reference: CoachHooK (Li et al.), ablation without hook layers; DESIGN.md section 3.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import java.util.function.Consumer;

/** {@link CoachHookUpdate} applied in place. */
public final class NoHookUpdate extends CoachHookUpdate {
    /** A rule whose C_accu starts as {@code lambda} C0. */
    public NoHookUpdate(double lambda) {
        super(lambda);
    }

    @Override
    public boolean hooked() {
        return false;
    }

    @Override
    public NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire) {
        throw new IllegalStateException("only hook state can be restored");
    }
}
