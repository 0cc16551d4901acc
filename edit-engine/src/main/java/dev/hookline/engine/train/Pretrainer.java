/*
 * Pretraining loop: next-token cross-entropy on corpus lines, AdamW, warmup + cosine, clipping.
 * Reference: nanoGPT train.py (decay only on matrices, clip 1.0, cosine schedule), on DJL autograd.
 */
package dev.hookline.engine.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.io.SafeTensors;
import dev.hookline.engine.util.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Trains a {@link CausalLm} in place on tokenised sequences. */
public final class Pretrainer {
    private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);

    /** Sequences are sorted by length within windows of this many batches to limit padding. */
    private static final int SORT_WINDOW_BATCHES = 16;

    /**
     * Outcome of a training run.
     *
     * @param steps optimiser steps taken
     * @param tokens real (unpadded) tokens processed, over all epochs
     * @param seconds wall-clock training time
     * @param firstLoss mean loss of the first epoch
     * @param finalLoss mean loss of the last epoch
     * @param cpuSeconds process CPU time spent in training (independent of other load on the machine)
     */
    public record Result(long steps, long tokens, double seconds, double firstLoss, double finalLoss,
            double cpuSeconds) {
        public double tokensPerSecond() {
            return tokens / Math.max(1e-9, seconds);
        }
    }

    private Pretrainer() {}

    /**
     * Trains {@code model} on {@code sequences} (each already ending with end-of-text) for the
     * preset's epochs. Data order comes from {@code new Random(seed)}; set the engine seed for
     * anything the engine draws.
     *
     * @param progress where the progress bar goes (stderr in the CLI), or null for none
     */
    public static Result train(CausalLm model, List<int[]> sequences, PretrainPreset preset, long seed,
            PrintStream progress) {
        return train(model, sequences, preset, seed, progress, epoch -> { });
    }

    /**
     * As {@link #train(CausalLm, List, PretrainPreset, long, PrintStream)}, calling
     * {@code afterEpoch} with the 1-based number of each finished epoch.
     */
    public static Result train(CausalLm model, List<int[]> sequences, PretrainPreset preset, long seed,
            PrintStream progress, java.util.function.IntConsumer afterEpoch) {
        try {
            return train(model, sequences, preset, seed, progress, null, (at, optimizer) -> afterEpoch.accept(at.epochsDone()),
                    () -> false);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the listener above does no I/O
        }
    }

    /**
     * Where a run stands after a finished epoch: with the model's weights and the optimiser's
     * moments, enough to continue it to the same weights as an uninterrupted run.
     *
     * @param epochsDone finished epochs
     * @param step optimiser steps taken
     * @param tokens real tokens processed so far
     * @param firstLoss mean loss of the first epoch
     * @param lastEpochLoss mean loss of the last finished epoch
     * @param seconds wall-clock training time so far (over every part of a resumed run)
     * @param cpuSeconds process CPU time of training so far
     */
    public record Progress(int epochsDone, long step, long tokens, double firstLoss, double lastEpochLoss,
            double seconds, double cpuSeconds) {
        /** The start of a run. */
        public static final Progress START = new Progress(0, 0, 0, Double.NaN, Double.NaN, 0, 0);
    }

    /** Told of every finished epoch, with the optimiser whose moments a snapshot needs. */
    @FunctionalInterface
    public interface EpochListener {
        void epochDone(Progress at, AdamW optimizer) throws IOException;
    }

    /** Training stopped on request between two steps; {@link #at()} is the last finished epoch. */
    public static final class Stopped extends RuntimeException {
        private final transient Progress at;
        private final long step;

        Stopped(Progress at, long step) {
            super("pretraining stopped at step " + step + " after " + at.epochsDone() + " finished epochs");
            this.at = at;
            this.step = step;
        }

        /** The last finished epoch's progress. */
        public Progress at() {
            return at;
        }

        /** The step at which training stopped. */
        public long step() {
            return step;
        }
    }

    /**
     * The training loop. Starts at {@code resume} (null: a fresh run); {@code resumeMoments}, when
     * resuming, holds the optimiser's moments as {@link AdamW#momentTensors()} wrote them after
     * that epoch, and {@code model} holds that epoch's weights. The data order of the skipped
     * epochs is drawn again, so a resumed run reaches the same weights as an uninterrupted one.
     * Between steps it polls {@code stop} and throws {@link Stopped} when that says so.
     */
    public static Result train(CausalLm model, List<int[]> sequences, PretrainPreset preset, long seed,
            PrintStream progress, Resume resume, EpochListener listener, BooleanSupplier stop) throws IOException {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no training sequences");
        }
        Progress from = resume == null ? Progress.START : resume.at();
        if (from.epochsDone() >= preset.epochs()) {
            throw new IllegalArgumentException("nothing to resume: " + from.epochsDone() + " of "
                    + preset.epochs() + " epochs are done");
        }
        int padId = model.config().eosTokenId();
        Random random = new Random(seed);
        List<int[]> usable = new ArrayList<>();
        for (int[] s : sequences) {
            if (s.length >= 2) {
                usable.add(s.length > model.config().maxPositions()
                        ? java.util.Arrays.copyOf(s, model.config().maxPositions()) : s);
            }
        }
        int batchesPerEpoch = (usable.size() + preset.batchSize() - 1) / preset.batchSize();
        long totalSteps = (long) batchesPerEpoch * preset.epochs();
        if (from.step() != (long) batchesPerEpoch * from.epochsDone()) {
            throw new IllegalArgumentException("cannot resume: " + from.epochsDone() + " epochs of "
                    + batchesPerEpoch + " batches are " + (long) batchesPerEpoch * from.epochsDone()
                    + " steps, the snapshot says " + from.step());
        }
        LearningRateSchedule schedule = new LearningRateSchedule(preset.learningRate(),
                preset.learningRate() * 0.1, Math.round(totalSteps * preset.warmupFraction()), totalSteps);
        Set<String> decayed = decayedNames(model.parameters());
        AdamW.Settings settings = new AdamW.Settings(0.9, 0.95, 1e-8, preset.weightDecay(), 1.0);
        long tokens = from.tokens();
        long tokensBefore = tokens;
        double firstLoss = from.firstLoss();
        double epochLoss = from.lastEpochLoss();
        long start = System.nanoTime();
        double cpuStart = dev.hookline.engine.util.ProcessMemory.cpuSeconds();
        model.setTrainable(true);
        try (AdamW optimizer = new AdamW(model.parameters(), decayed, settings);
                ProgressBar bar = progress == null ? null : new ProgressBar(progress, "pretrain", totalSteps)) {
            if (resume != null) {
                optimizer.restore(from.step(), resume.moments());
            }
            long step = from.step();
            Progress lastDone = from;
            for (int epoch = 0; epoch < preset.epochs(); epoch++) {
                List<List<int[]>> batches = batches(usable, preset.batchSize(), random);
                if (epoch < from.epochsDone()) {
                    continue; // drawn only to advance the data order to where the run stopped
                }
                double lossSum = 0;
                for (List<int[]> rows : batches) {
                    if (stop.getAsBoolean()) {
                        throw new Stopped(lastDone, step);
                    }
                    TokenBatch batch = TokenBatch.of(rows, padId);
                    double loss;
                    try (NDManager scope = NDManager.newBaseManager(model.device())) {
                        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = model.forward(scope, batch).logits();
                            NDArray lossArray = LanguageModelLoss.nextTokenLoss(scope, logits, batch);
                            collector.backward(lossArray);
                            loss = lossArray.getFloat();
                        }
                    }
                    if (!Double.isFinite(loss)) {
                        throw new IllegalStateException("loss became " + loss + " at step " + step);
                    }
                    optimizer.step(schedule.at(step));
                    step++;
                    lossSum += loss;
                    for (int[] r : rows) {
                        tokens += r.length;
                    }
                    if (bar != null) {
                        double secs = (System.nanoTime() - start) / 1e9;
                        bar.update(step, String.format(Locale.ROOT, "epoch %d/%d loss %.4f %.0f tok/s",
                                epoch + 1, preset.epochs(), loss, (tokens - tokensBefore) / Math.max(1e-9, secs)));
                    }
                }
                epochLoss = lossSum / batches.size();
                if (epoch == 0) {
                    firstLoss = epochLoss;
                }
                LOG.debug("epoch {} mean loss {}", epoch + 1, epochLoss);
                lastDone = new Progress(epoch + 1, step, tokens, firstLoss, epochLoss,
                        from.seconds() + (System.nanoTime() - start) / 1e9,
                        from.cpuSeconds() + dev.hookline.engine.util.ProcessMemory.cpuSeconds() - cpuStart);
                listener.epochDone(lastDone, optimizer);
            }
            return new Result(step, tokens, from.seconds() + (System.nanoTime() - start) / 1e9, firstLoss, epochLoss,
                    from.cpuSeconds() + dev.hookline.engine.util.ProcessMemory.cpuSeconds() - cpuStart);
        } finally {
            model.setTrainable(false);
        }
    }

    /**
     * A run to continue: where it stood and the optimiser's moments then (a snapshot that
     * {@link AdamW#restore} reads).
     */
    public record Resume(Progress at, SafeTensors.Reader moments) {}

    /** Shuffles, sorts by length within windows (less padding), cuts into batches, shuffles batches. */
    private static List<List<int[]>> batches(List<int[]> sequences, int batchSize, Random random) {
        List<int[]> order = new ArrayList<>(sequences);
        Collections.shuffle(order, random);
        int window = batchSize * SORT_WINDOW_BATCHES;
        List<List<int[]>> batches = new ArrayList<>();
        for (int from = 0; from < order.size(); from += window) {
            List<int[]> slice = new ArrayList<>(order.subList(from, Math.min(order.size(), from + window)));
            slice.sort(Comparator.comparingInt(s -> s.length));
            for (int b = 0; b < slice.size(); b += batchSize) {
                batches.add(slice.subList(b, Math.min(slice.size(), b + batchSize)));
            }
        }
        Collections.shuffle(batches, random);
        return batches;
    }

    /** Names of the parameters that get weight decay (attention and MLP matrices). */
    static Set<String> decayedNames(Map<String, NDArray> parameters) {
        Set<String> decayed = new HashSet<>();
        for (String name : parameters.keySet()) {
            // Attention and MLP matrices of every family (GPT-2/GPT-J "attn.", Llama "self_attn.").
            if (name.endsWith(".weight") && (name.contains("attn.") || name.contains(".mlp."))) {
                decayed.add(name);
            }
        }
        return decayed;
    }
}
