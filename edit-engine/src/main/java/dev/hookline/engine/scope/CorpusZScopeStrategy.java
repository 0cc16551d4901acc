/*
 * Corpus-calibrated scope: m standardised by its mean and std over the corpus key sample at the
 * layer, recomputed from the current delta before each alpha rule and after a restore.
 * Reference: DESIGN.md section 7 (a scope test that does not depend on prompt length).
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.hook.CorpusZScore;
import dev.hookline.engine.hook.ScopeTest;

/** {@link CorpusZScore} per layer, (0, 0) before the first batch. */
public final class CorpusZScopeStrategy extends ScopeStrategy {
    @Override
    public String bundleName() {
        return "corpus-z";
    }

    @Override
    public void start(ScopeContext editor) {
        super.start(editor);
        for (int l : editor.layers()) {
            tests.put(l, new CorpusZScore(0, 0));
        }
    }

    @Override
    public ScopeTest candidateTest(int layer, NDArray candidateDelta) {
        return corpusScope(layer, candidateDelta);
    }

    @Override
    public void beforeAlphaRule() {
        refresh();
    }

    /** Recomputes mu and sigma of m = ||k delta|| over the corpus key sample per layer. */
    @Override
    public void refresh() {
        for (int l : context.layers()) {
            tests.put(l, corpusScope(l, context.delta(l)));
        }
    }

    /** The corpus scope test of {@code layer} if its delta were {@code delta}, (d_ff, d). */
    private CorpusZScore corpusScope(int layer, NDArray delta) {
        int ff = context.mlpSize();
        DataType type = context.dataType();
        float[] sample = context.statistics().corpusKeys(layer);
        try (NDManager scope = context.state().newSubManager()) {
            NDArray keys = scope.create(sample, new Shape(sample.length / ff, ff)).toType(type, false); // (S, d_ff)
            double[] mv = keys.matMul(delta.toType(type, false)).norm(new int[] {1})
                    .toType(DataType.FLOAT64, false).toDoubleArray(); // (S)
            double mean = 0;
            for (double v : mv) {
                mean += v;
            }
            mean /= mv.length;
            double ss = 0;
            for (double v : mv) {
                ss += (v - mean) * (v - mean);
            }
            return new CorpusZScore(mean, Math.sqrt(ss / Math.max(1, mv.length - 1)));
        }
    }
}
