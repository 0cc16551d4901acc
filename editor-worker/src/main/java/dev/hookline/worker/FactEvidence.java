/*
 * Per-fact evidence of a computed version (issue 25): for every edit of the batch and every
 * earlier edit the worker re-checks, the base and edited model's top-1 next token after the edit
 * prompt, the probabilities of the new and the old target (product over the target's tokens,
 * teacher-forced), each paraphrase prompt's pass (the edited model predicts every target token)
 * and each locality prompt's pass (the edited model's predictions equal the base model's), and
 * greedy continuations before/after for a few prompts. Sent with the completion as `evidence`.
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.Generation;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.PromptTarget;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds the evidence JSON; one batched scoring pass per model. */
final class FactEvidence {
    /** Greedy before/after outputs are recorded for this many edit prompts. */
    static final int GENERATIONS = 3;
    static final int GENERATION_TOKENS = 4;

    private FactEvidence() {
    }

    /**
     * @param base the unedited model (hooks off)
     * @param edited the edited model, scored with {@code editedOptions}
     * @param batch the batch's edits
     * @param earlier the earlier edits re-checked
     */
    static ObjectNode build(LanguageModel base, LanguageModel edited, ForwardOptions editedOptions,
            List<EditRequest> batch, List<EditRequest> earlier) {
        List<EditRequest> all = new ArrayList<>(batch);
        all.addAll(earlier);
        List<PromptTarget> pairs = new ArrayList<>();
        for (EditRequest r : all) {
            pairs.add(new PromptTarget(r.filledPrompt(), r.targetNew()));
            pairs.add(new PromptTarget(r.filledPrompt(), old(r)));
            r.paraphrasePrompts().forEach(p -> pairs.add(new PromptTarget(p, r.targetNew())));
            for (int i = 0; i < r.localityPrompts().size(); i++) {
                pairs.add(new PromptTarget(r.localityPrompts().get(i), r.localityTargets().get(i)));
            }
        }
        List<TextTokenizer.Continuation> cs = new ArrayList<>();
        for (PromptTarget p : pairs) {
            cs.add(base.tokenizer().continuation(p.prompt(), p.target()));
        }
        List<ContinuationScore> before = base.scoreIds(cs, ForwardOptions.defaults());
        List<ContinuationScore> after = edited.scoreIds(cs, editedOptions);
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        ArrayNode facts = out.putArray("facts");
        int at = 0;
        for (int q = 0; q < all.size(); q++) {
            EditRequest r = all.get(q);
            ObjectNode f = facts.addObject();
            f.put("origin", q < batch.size() ? "batch" : "earlier");
            origin(f, r.caseId());
            f.put("subject", r.subject());
            f.put("prompt", r.prompt());
            f.put("targetNew", r.targetNew());
            if (r.targetTrue() != null) {
                f.put("targetTrue", r.targetTrue());
            }
            boolean hasOld = r.targetTrue() != null && !r.targetTrue().isBlank();
            side(f.putObject("base"), base, before.get(at), before.get(at + 1), hasOld);
            side(f.putObject("edited"), edited, after.get(at), after.get(at + 1), hasOld);
            f.put("success", after.get(at).allCorrect());
            at += 2;
            ArrayNode para = f.putArray("paraphrases");
            for (String p : r.paraphrasePrompts()) {
                para.addObject().put("prompt", p).put("pass", after.get(at++).allCorrect());
            }
            ArrayNode loc = f.putArray("locality");
            for (int i = 0; i < r.localityPrompts().size(); i++) {
                boolean same = Arrays.equals(before.get(at).predictedIds(), after.get(at).predictedIds());
                loc.addObject().put("prompt", r.localityPrompts().get(i)).put("expected", r.localityTargets().get(i))
                        .put("pass", same);
                at++;
            }
        }
        List<String> prompts = batch.stream().limit(GENERATIONS).map(EditRequest::filledPrompt).toList();
        ArrayNode gens = out.putArray("generations");
        if (!prompts.isEmpty() && editedOptions.additions().isEmpty()) {
            List<Generation> b = base.generate(prompts, GENERATION_TOKENS, ForwardOptions.defaults());
            List<Generation> a = edited.generate(prompts, GENERATION_TOKENS, editedOptions);
            for (int i = 0; i < prompts.size(); i++) {
                gens.addObject().put("prompt", prompts.get(i)).put("before", b.get(i).completion())
                        .put("after", a.get(i).completion());
            }
        }
        return out;
    }

    /** The old target to score; the new one when the edit names none (its pOld is then left out). */
    private static String old(EditRequest r) {
        return r.targetTrue() != null && !r.targetTrue().isBlank() ? r.targetTrue() : r.targetNew();
    }

    private static void side(ObjectNode o, LanguageModel lm, ContinuationScore target, ContinuationScore old,
            boolean hasOld) {
        int[] predicted = target.predictedIds();
        o.put("top1", predicted.length == 0 ? "" : lm.tokenizer().decode(new int[] {predicted[0]}));
        o.put("pNew", Math.exp(target.totalLogProb()));
        if (hasOld) {
            o.put("pOld", Math.exp(old.totalLogProb()));
        }
    }

    /** The worker names edits "batch{id}.{ordinal}" (EditMapping); the registry links facts by them. */
    private static void origin(ObjectNode f, String caseId) {
        if (caseId != null && caseId.startsWith("batch")) {
            String[] parts = caseId.substring(5).split("\\.");
            try {
                f.put("batchId", Long.parseLong(parts[0]));
                if (parts.length > 1) {
                    f.put("ordinal", Integer.parseInt(parts[1]));
                }
            } catch (NumberFormatException e) {
                // not a registry edit id: no link
            }
        }
    }
}
