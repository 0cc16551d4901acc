/*
 * Teacher-forced score of a target continuation: the editing literature's token-level metric.
 * Reference: ROME/MEMIT evaluation (per-token argmax of the target given prompt + earlier target tokens).
 */
package dev.hookline.engine.infer;

/**
 * Per-token scores of a target given its prompt, each target token conditioned on the prompt and
 * the true earlier target tokens.
 *
 * @param promptIds ids of the prompt
 * @param targetIds ids of the target continuation
 * @param logProbs natural-log probability of each target token
 * @param predictedIds the model's top-1 token at each target position
 */
public record ContinuationScore(int[] promptIds, int[] targetIds, double[] logProbs, int[] predictedIds) {

    /** Share of target tokens whose top-1 prediction is the target token (token-level accuracy). */
    public double accuracy() {
        int hits = 0;
        for (int i = 0; i < targetIds.length; i++) {
            hits += predictedIds[i] == targetIds[i] ? 1 : 0;
        }
        return (double) hits / targetIds.length;
    }

    /** Whether every target token is the top-1 prediction. */
    public boolean allCorrect() {
        return accuracy() == 1.0;
    }

    /** log P(target | prompt), the sum of the per-token log-probabilities. */
    public double totalLogProb() {
        double sum = 0;
        for (double lp : logProbs) {
            sum += lp;
        }
        return sum;
    }
}
