/*
 * Hyperparameters of codebook-nearest (this project's method, not a paper's): every edit's residual at its
 * editing layer is kept as one row of a codebook, and a position the nearest-edit scope admits takes the row of
 * its nearest edited key, where the linear methods take k delta. No update is solved, nothing is shared
 * between edits but the scope.
 * Reference: the idea of a discrete key-value codebook at one layer is GRACE's (Hartvigsen et al., NeurIPS 2023:
 * keys, values and a deferral radius); the keys, the whitened nearest score and the values (MEMIT's value step
 * residuals) are this project's (docs/BENCHMARKS.md, twenty-third session).
 */
package dev.hookline.engine.edit;

/**
 * @param layers the editing layer, exactly one (a codebook replaces the layer's output shift; residual spreading
 *     over layers has no meaning for it)
 * @param alpha0 the fixed threshold on the nearest edited key's score, in [0, 1)
 * @param scopeLambda lambda_s of the scope's whitening of lambda_s C0
 * @param valueStep the value step that gives each edit's target
 */
public record CodebookNearestParams(int[] layers, double alpha0, double scopeLambda, ValueStepParams valueStep) {
    public CodebookNearestParams {
        if (layers == null || layers.length != 1) {
            throw new IllegalArgumentException("codebook-nearest edits exactly one layer, got "
                    + (layers == null ? "none" : java.util.Arrays.toString(layers)));
        }
        if (!(alpha0 >= 0 && alpha0 < 1)) {
            throw new IllegalArgumentException("nearest threshold must be in [0, 1), got " + alpha0);
        }
        if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
            throw new IllegalArgumentException("scope lambda must be finite and > 0, got " + scopeLambda);
        }
        if (valueStep == null) {
            throw new IllegalArgumentException("the value step's record is required");
        }
        layers = layers.clone();
    }

    /**
     * The default threshold, chosen on two dev streams by the rule alphaedit-shards' threshold was chosen by (the
     * best mean of reliability, generality and locality averaged over the curve points), the two weighted alike:
     * the large world's (world seed 20261206, model seed 1, 10,000 edits, batch 100, no labels, one H100, curve
     * every 2,500 edits on 500 sampled) and the demo world's with the {@code demo} preset (d 96, d_ff 384, model
     * seed 1, 500 edits, batch 100, 2-core CPU, every 100 edits on 200). Each run edited at 0.45 and served at each
     * threshold by {@code hookline bench --sweep-thresholds}. Means at 0.45 / 0.5 / 0.55 / 0.6 / 0.65 / 0.7:
     * large 0.971 / 0.970 / 0.966 / 0.957 / 0.946 / 0.927, demo 0.969 / 0.978 / 0.981 / 0.984 / 0.982 / 0.974,
     * together 0.970 / <b>0.974</b> / 0.973 / 0.970 / 0.964 / 0.951 (docs/BENCHMARKS.md, twenty-third session).
     */
    public static final double DEFAULT_ALPHA0 = 0.5;

    /**
     * alphaedit-shards' value step and lambda_s at {@code alpha}, on the last of its layers (the one whose output
     * the value step's targets are for; with several layers given, e.g. {@code --layers 1,2}, codebook-nearest
     * edits the last alone).
     */
    public static CodebookNearestParams of(AlphaEditShardsParams shards, double alpha) {
        AlphaEditNearestParams n = shards.nearest();
        int[] layers = n.update().layers();
        return new CodebookNearestParams(new int[] {layers[layers.length - 1]}, alpha, n.scopeLambda(),
                n.update().valueStep());
    }

    /** This record with the threshold {@code alpha}. */
    public CodebookNearestParams withAlpha0(double alpha) {
        return new CodebookNearestParams(layers, alpha, scopeLambda, valueStep);
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodebookNearestParams p && java.util.Arrays.equals(layers, p.layers) && alpha0 == p.alpha0
                && scopeLambda == p.scopeLambda && valueStep.equals(p.valueStep);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(java.util.Arrays.hashCode(layers), alpha0, scopeLambda, valueStep);
    }

    @Override
    public String toString() {
        return "CodebookNearestParams[layers=" + java.util.Arrays.toString(layers) + ", alpha0=" + alpha0
                + ", scopeLambda=" + scopeLambda + ", valueStep=" + valueStep + "]";
    }
}
