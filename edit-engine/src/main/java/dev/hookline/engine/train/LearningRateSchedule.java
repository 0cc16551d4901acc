/*
 * Linear warmup then cosine decay, the schedule of nanoGPT / GPT-3 training.
 */
package dev.hookline.engine.train;

/**
 * @param peak learning rate at the end of warmup
 * @param minimum learning rate at the end of training
 * @param warmupSteps steps of linear warmup from peak / warmupSteps
 * @param totalSteps total number of steps
 */
public record LearningRateSchedule(double peak, double minimum, long warmupSteps, long totalSteps) {
    public LearningRateSchedule {
        if (peak <= 0 || minimum < 0 || minimum > peak) {
            throw new IllegalArgumentException("need 0 <= minimum <= peak and peak > 0: " + minimum + ", " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmupSteps <= totalSteps, totalSteps >= 1");
        }
    }

    /** Learning rate of step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return minimum + 0.5 * (peak - minimum) * (1 + Math.cos(Math.PI * progress));
    }
}
