/*
 * Test helper: teacher-forced log P(target_new | prompt) of edit requests under a model.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import java.util.List;

final class TargetProbe {
    private TargetProbe() {}

    /** Sum over target tokens of log P(token | prefix), one value per request (plain prompt, no hooks). */
    static double[] logProbabilities(CausalLm model, TextTokenizer tok, List<EditRequest> requests) {
        double[] out = new double[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            EditPrompts p = EditPrompts.of(requests.get(i), tok, List.of());
            int start = p.variants().get(0).length - 1;
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                NDArray logits = model.forward(scope, TokenBatch.single(p.teacherForced(0), model.config().eosTokenId()),
                        ForwardOptions.defaults()).logits(); // (1, T, V)
                NDArray lp = logits.get(0).logSoftmax(1); // (T, V)
                for (int j = 0; j < p.targetIds().length; j++) {
                    out[i] += lp.get(start + j).getFloat(p.targetIds()[j]);
                }
            }
        }
        return out;
    }
}
