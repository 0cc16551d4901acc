/*
 * The consecutive editing protocol: a stream of N edits applied in batches of b; all N are
 * evaluated after the last batch, with curve points every k edits.
 * Reference: CoachHooK's consecutive batch editing setting (and MEMIT-seq / WISE's sequential protocol).
 */
package dev.hookline.engine.eval;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.SequentialEditor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs one editor through the protocol. */
public final class ConsecutiveProtocol {

    /**
     * @param batchSize edits per batch b
     * @param curveEvery evaluate a curve point after every this many edits (rounded to whole batches)
     * @param curveSample at most this many of the edits so far are evaluated at a curve point
     *     (evenly spaced); the final evaluation uses all
     * @param sweepThresholds fixed scope thresholds at which a fixed-threshold hooked editor's state is also
     *     evaluated, after the fact, at every curve point and after the last batch (on the curve sample);
     *     empty: none. The editing itself runs at the editor's own threshold.
     */
    public record Params(int batchSize, int curveEvery, int curveSample, List<Double> sweepThresholds) {
        public Params {
            if (batchSize < 1 || curveEvery < 1 || curveSample < 1) {
                throw new IllegalArgumentException("batchSize, curveEvery and curveSample must be >= 1");
            }
            for (double t : sweepThresholds) {
                if (!(t >= 0 && t < 1)) {
                    throw new IllegalArgumentException("a swept threshold must be in [0, 1), got " + t);
                }
            }
            sweepThresholds = List.copyOf(sweepThresholds);
        }

        /** No threshold sweep. */
        public Params(int batchSize, int curveEvery, int curveSample) {
            this(batchSize, curveEvery, curveSample, List.of());
        }
    }

    /**
     * The state after {@code edits} edits served at {@code threshold} instead of the editor's own.
     *
     * @param edits edits applied so far
     * @param threshold the swept scope threshold
     * @param scores metrics on the curve sample of those edits
     */
    public record SweepPoint(int edits, double threshold, EditScores scores) {}

    /**
     * @param edits edits applied so far
     * @param scores metrics on (a sample of) those edits
     */
    public record CurvePoint(int edits, EditScores scores) {}

    /**
     * Everything measured for one method.
     *
     * @param method method name
     * @param scores final metrics on all N edits
     * @param curve curve points in edit order
     * @param secondsPerBatch mean wall time of a batch
     * @param stateBytes bytes of state to store the edited model relative to the base
     * @param alphaHistory alpha per layer after each batch (empty maps for methods without hooks)
     * @param meanProbabilityNew mean P(new | delta) of the value step over all edits
     * @param evaluationSeconds wall time of every evaluation (curve points and the final one, sweeps included)
     * @param sweep the threshold sweep's points in edit order (empty without one, or for an editor whose
     *     threshold is not fixed)
     */
    public record Result(String method, EditScores scores, List<CurvePoint> curve, double secondsPerBatch,
            long stateBytes, List<Map<Integer, Double>> alphaHistory, double meanProbabilityNew,
            double evaluationSeconds, List<SweepPoint> sweep) {}

    /** A progress event: batches done out of total. */
    public record Progress(String method, int batchesDone, int batches, double seconds) {}

    private ConsecutiveProtocol() {}

    /** Runs {@code stream} through {@code editor} and evaluates with {@code evaluator}. */
    public static Result run(SequentialEditor editor, List<EditRequest> stream, Params params,
            EditEvaluator evaluator, Consumer<Progress> progress) {
        if (stream.isEmpty()) {
            throw new IllegalArgumentException("no edits in the stream");
        }
        int batches = (stream.size() + params.batchSize() - 1) / params.batchSize();
        List<CurvePoint> curve = new ArrayList<>();
        List<SweepPoint> sweep = new ArrayList<>();
        List<Map<Integer, Double>> alphas = new ArrayList<>();
        double seconds = 0;
        long evaluationNanos = 0;
        double pNew = 0;
        int pCount = 0;
        int nextCurve = params.curveEvery();
        for (int b = 0; b < batches; b++) {
            List<EditRequest> batch = stream.subList(b * params.batchSize(),
                    Math.min(stream.size(), (b + 1) * params.batchSize()));
            SequentialEditor.BatchOutcome outcome = editor.apply(batch);
            seconds += outcome.seconds();
            alphas.add(outcome.alphaAfter());
            for (double p : outcome.probabilityNew()) {
                if (!Double.isNaN(p)) {
                    pNew += p;
                    pCount++;
                }
            }
            int done = Math.min(stream.size(), (b + 1) * params.batchSize());
            if (done >= nextCurve && b < batches - 1) {
                List<EditRequest> sofar = sample(stream.subList(0, done), params.curveSample());
                long t0 = System.nanoTime();
                curve.add(new CurvePoint(done, evaluator.evaluate(editor.model(), editor.inferenceOptions(), sofar)));
                sweep(editor, sofar, done, params, evaluator, sweep);
                evaluationNanos += System.nanoTime() - t0;
                while (nextCurve <= done) {
                    nextCurve += params.curveEvery();
                }
            }
            progress.accept(new Progress(editor.method(), b + 1, batches, seconds));
        }
        long t0 = System.nanoTime();
        EditScores last = evaluator.evaluate(editor.model(), editor.inferenceOptions(), stream);
        curve.add(new CurvePoint(stream.size(), last));
        sweep(editor, sample(stream, params.curveSample()), stream.size(), params, evaluator, sweep);
        evaluationNanos += System.nanoTime() - t0;
        return new Result(editor.method(), last, curve, seconds / batches, editor.stateBytes(), alphas,
                pCount == 0 ? Double.NaN : pNew / pCount, evaluationNanos / 1e9, sweep);
    }

    private static void sweep(SequentialEditor editor, List<EditRequest> edits, int done, Params params,
            EditEvaluator evaluator, List<SweepPoint> out) {
        for (double t : params.sweepThresholds()) {
            editor.inferenceOptionsAtThreshold(t).ifPresent(options ->
                    out.add(new SweepPoint(done, t, evaluator.evaluate(editor.model(), options, edits))));
        }
    }

    /** At most {@code max} evenly spaced elements of {@code list}. */
    static <T> List<T> sample(List<T> list, int max) {
        if (list.size() <= max) {
            return list;
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < max; i++) {
            out.add(list.get((int) ((long) i * list.size() / max)));
        }
        return out;
    }
}
