/*
 * A scope test that scores the MLP keys themselves rather than the hook's output differences
 * (the span scopes); the hook layer asks it for every position of a batch at once.
 */
package dev.hookline.engine.hook;

import ai.djl.ndarray.NDArray;

/** A {@link ScopeTest} on keys: {@link #scores(double[])} does not apply, {@link #keyScores} does. */
public interface KeyScope extends ScopeTest {

    /**
     * Scores of every position of a batch of keys.
     *
     * @param keys (B, T, d_ff), any float type
     * @return row-major (B, T); NaN where undefined (never swaps)
     */
    double[] keyScores(NDArray keys);

    /** A key scope scores keys, not output differences; see {@link #keyScores}. */
    @Override
    default double[] scores(double[] m) {
        throw new UnsupportedOperationException("the " + name() + " scope scores keys (keyScores), not output differences");
    }
}
