/*
 * The scope test of a CoachHooK hook layer: which positions of a sequence take the hooked output.
 * Reference: CoachHooK (Li et al.), "local editing scope identification": z-score of the output
 * difference ||W_h k_t - W_0 k_t|| over the positions of one sequence, compared with alpha.
 */
package dev.hookline.engine.hook;

/**
 * Turns the per-position output differences m_t of one sequence into scores z_t; a position swaps
 * to the hooked output when {@code z_t >= alpha}. Implementations are pure functions of their
 * input and of immutable state, so the hook in a forward and the alpha rule after a batch agree
 * bit for bit (the alpha rule sets alpha to a score this same code computed).
 */
public interface ScopeTest {

    /**
     * Margin the alpha rule keeps below the smallest per-prompt maximum score. The same position's
     * score differs by about 1e-7 between float32 forwards of different batch compositions
     * (padding changes the BLAS blocking), so alpha set exactly at a score could miss it by that
     * much; 1e-4 is far above the noise and far below any meaningful change of alpha.
     */
    double ALPHA_MARGIN = 1e-4;

    /**
     * Scores of the real positions of one sequence.
     *
     * @param m output differences ||(W_h - W_0) k_t|| at the sequence's real positions (padding
     *     already removed), length T >= 1
     * @return z_t per position; {@code NaN} where the score is undefined (such a position never swaps)
     */
    double[] scores(double[] m);

    /** Short name recorded in manifests and reports. */
    String name();

    /**
     * Whether a position's score depends on that position alone (a corpus z-score, the span
     * scopes) rather than on the whole sequence (the sequence z-score). Only positionwise scopes
     * let a hook run on the new positions of a KV cache; see {@link HookLayer#positionwise()}.
     */
    default boolean positionwise() {
        return false;
    }

    /** Whether position scores {@code z} swap at {@code alpha}: z >= alpha, never for NaN. */
    static boolean swaps(double z, double alpha) {
        return !Double.isNaN(z) && z >= alpha;
    }

    /** Largest defined score of a sequence, or NaN when no position has a defined score. */
    static double maxScore(double[] z) {
        double max = Double.NaN;
        for (double v : z) {
            if (!Double.isNaN(v) && (Double.isNaN(max) || v > max)) {
                max = v;
            }
        }
        return max;
    }
}
