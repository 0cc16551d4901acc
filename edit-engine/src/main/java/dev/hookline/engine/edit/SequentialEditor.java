/*
 * A consecutive editor: applies batch after batch of edit requests to one model branch.
 * Reference: the consecutive (sequential batch) editing protocol of CoachHooK and MEMIT-seq.
 */
package dev.hookline.engine.edit;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import java.util.List;
import java.util.Map;

/** One editing method with its state; not thread-safe. */
public interface SequentialEditor extends AutoCloseable {

    /**
     * What one batch did.
     *
     * @param edits requests in the batch
     * @param seconds wall time of the batch
     * @param probabilityNew P(new | delta) per request from the value step (NaN for FT)
     * @param alphaAfter alpha per editing layer after the batch (empty for methods without hooks)
     */
    record BatchOutcome(int edits, double seconds, double[] probabilityNew, Map<Integer, Double> alphaAfter) {}

    /** Method name as used in reports: coachhook, coachhook-corpus, coachhook-nohook, memit, ft. */
    String method();

    /** Applies one batch. */
    BatchOutcome apply(List<EditRequest> batch);

    /** The model to run for inference after the edits so far. */
    CausalLm model();

    /** Forward options to run it with (the validated hooks, or none for in-place methods). */
    ForwardOptions inferenceOptions();

    /**
     * Forward options of the current state served at a different fixed scope threshold on every layer, for
     * a threshold sweep after the fact (bench {@code --sweep-thresholds}); empty for editors whose threshold
     * is not a fixed hyperparameter (in-place methods, the min rule). Nothing of the editor changes.
     */
    default java.util.Optional<ForwardOptions> inferenceOptionsAtThreshold(double threshold) {
        return java.util.Optional.empty();
    }

    /** Bytes of the state that must be stored to reproduce the edited model from the base model. */
    long stateBytes();

    /** Edits applied so far. */
    int editCount();

    /** Alpha per editing layer (empty for methods without hooks). */
    Map<Integer, Double> alphas();

    @Override
    void close();
}
