/*
 * Hyperparameters of alphaedit-nearest (this project's method, not a paper's): AlphaEdit's
 * null-space projected update written into hook deltas on the frozen base, served only where the
 * nearest-edit scope admits a key (the scope of coachhook-nearest). The faithful AlphaEdit stays
 * the method "alphaedit".
 * Reference: Fang et al., ICLR 2025 (the update); docs/BENCHMARKS.md, seventeenth session (the scope).
 */
package dev.hookline.engine.edit;

/**
 * @param update AlphaEdit's record (layers, null-space threshold, L2, value step)
 * @param alpha0 the fixed threshold on the nearest edited key's score, in [0, 1)
 * @param scopeLambda lambda_s of the scope's whitening of lambda_s C0
 */
public record AlphaEditNearestParams(AlphaEditParams update, double alpha0, double scopeLambda) {
    public AlphaEditNearestParams {
        if (update == null) {
            throw new IllegalArgumentException("AlphaEdit's record is required");
        }
        if (!(alpha0 >= 0 && alpha0 < 1)) {
            throw new IllegalArgumentException("nearest threshold must be in [0, 1), got " + alpha0);
        }
        if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
            throw new IllegalArgumentException("scope lambda must be finite and > 0, got " + scopeLambda);
        }
    }

    /** This record with the scope threshold {@code alpha}. */
    public AlphaEditNearestParams withAlpha0(double alpha) {
        return new AlphaEditNearestParams(update, alpha, scopeLambda);
    }

    /**
     * The default null-space threshold of alphaedit-nearest, chosen on the dev stream of demo-d256x (model
     * seed 1, 500 edits, batch 100, no labels) from AlphaEdit's three values 2e-2, 2e-1 and 1: mean of
     * reliability, generality and locality 0.928, 0.9405 and 0.9407 (docs/BENCHMARKS.md, nineteenth session).
     * The faithful alphaedit keeps the authors' 2e-2, its own dev choice.
     */
    public static final double DEFAULT_THRESHOLD = 1.0;

    /** {@code update}'s layers, L2 and value step with {@link #DEFAULT_THRESHOLD}, under {@code nearest}'s scope. */
    public static AlphaEditNearestParams tuned(AlphaEditParams update, CoachHookParams nearest) {
        return of(new AlphaEditParams(update.layers(), DEFAULT_THRESHOLD, update.l2(), update.valueStep()), nearest);
    }

    /** AlphaEdit's update with coachhook-nearest's scope: its threshold and lambda_s. */
    public static AlphaEditNearestParams of(AlphaEditParams update, CoachHookParams nearest) {
        if (!"nearest".equals(nearest.scope())) {
            throw new IllegalArgumentException("alphaedit-nearest takes the nearest scope's record, got scope "
                    + nearest.scope());
        }
        return new AlphaEditNearestParams(update, nearest.alpha0(), nearest.scopeLambda());
    }
}
