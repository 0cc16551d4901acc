/*
 * Next-token cross-entropy of a GPT-2 forward over the real positions of a padded batch.
 * Reference: GPT2LMHeadModel's loss (logits shifted by one, mean over predicted tokens).
 */
package dev.hookline.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.util.Tensors;

/** Language-modelling loss helpers. */
public final class LanguageModelLoss {
    private LanguageModelLoss() {}

    /**
     * Mean negative log-likelihood of token t+1 given tokens 0..t, over every pair of real
     * positions of every row, as a scalar in the logits' dtype (attached to {@code scope}).
     *
     * @param logits (B, T, V) from the forward over {@code batch}
     */
    public static NDArray nextTokenLoss(NDManager scope, NDArray logits, TokenBatch batch) {
        int b = batch.size();
        int t = batch.length();
        if (t < 2) {
            throw new IllegalArgumentException("next-token loss needs sequences of >= 2 tokens");
        }
        float[] weights = new float[b * (t - 1)];
        long[] targets = new long[b * (t - 1)];
        int count = 0;
        for (int row = 0; row < b; row++) {
            int[] ids = batch.row(row);
            for (int pos = 0; pos + 1 < t; pos++) {
                boolean real = pos + 1 < ids.length;
                targets[row * (t - 1) + pos] = real ? ids[pos + 1] : batch.padId();
                weights[row * (t - 1) + pos] = real ? 1f : 0f;
                count += real ? 1 : 0;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no row of the batch has two or more tokens");
        }
        try (NDManager work = scope.newSubManager()) {
            NDArray target = Tensors.owned(work.create(targets, new Shape(b, t - 1, 1))); // (B, T-1, 1)
            NDArray weight = Tensors.owned(work.create(weights, new Shape(b, t - 1, 1))
                    .toType(logits.getDataType(), false)); // (B, T-1, 1)
            NDArray logProbs = logits.get(new NDIndex(":, :-1, :")).logSoftmax(2); // (B, T-1, V)
            logProbs.attach(work);
            NDArray picked = logProbs.gather(target, 2); // (B, T-1, 1)
            NDArray loss = picked.mul(weight).sum().neg().div(Tensors.scalar(picked, count)); // ()
            loss.attach(scope);
            return loss;
        }
    }
}
